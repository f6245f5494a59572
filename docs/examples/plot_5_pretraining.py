"""
Pretraining and fine-tuning when labels are few
===============================================

Unlabelled data are often plentiful when labels are not. Fit the
autoencoder on all the training digits without their labels, then use the
few labels three ways:

* **frozen codes**: a LogisticRegression on the codes of the labelled rows,
  the encoder untouched;
* **fine-tuned**: :class:`~skae.AutoencoderClassifier` puts a softmax head
  on the code layer and trains encoder and head on the labelled rows;
* **joint**: the same, with every row's reconstruction error kept in the
  loss (``reconstruction_weight=1``), so the unlabelled rows still shape the
  encoder while it is tuned.

and compare them with scikit-learn: a LogisticRegression on the raw pixels,
and :class:`~sklearn.semi_supervised.LabelSpreading`, which also uses the
unlabelled rows (on a k-nearest-neighbour graph).

What to expect on these digits: the joint objective is the best
autoencoder at every count, and a little ahead of the LogisticRegression on
raw pixels from 200 labels. Plain fine-tuning needs labels to pay: over the
5 seeds of ``benchmarks/bench_pretraining.py`` it beats the frozen codes
from 100 labels on, and on this one split only ties them at 200.
LabelSpreading is better than all of them: digits of one class lie close
together in pixel space, which is exactly what a neighbour graph exploits,
with nothing to learn.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading

from skae import AutoencoderClassifier, TiedAutoencoder

X, y = load_digits(return_X_y=True)
X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
scaler = StandardScaler().fit(X_pool)  # no labels needed
X_pool, X_test = scaler.transform(X_pool), scaler.transform(X_test)

# Phase 1, unsupervised: the autoencoder sees every training image. It does
# not depend on the labels, so it is fitted once here and handed to each
# classifier below in a FrozenEstimator (reused, never changed).
autoencoder = TiedAutoencoder(32, hidden_layer_sizes=(256, 128), max_iter=100, random_state=0).fit(X_pool)

# %%
# Phase 2, supervised: ``n`` labelled images (stratified), the rest marked
# -1, scikit-learn's convention for unlabelled rows.
sizes = [20, 50, 100, 200]
models = {
    "LogisticRegression, raw pixels": None,
    "LabelSpreading (k-NN)": lambda: LabelSpreading(kernel="knn", n_neighbors=7),
    "frozen codes + LogisticRegression": None,
    "AutoencoderClassifier, fine-tuned": lambda: AutoencoderClassifier(FrozenEstimator(autoencoder), random_state=0),
    "AutoencoderClassifier, joint": lambda: AutoencoderClassifier(
        FrozenEstimator(autoencoder), reconstruction_weight=1.0, random_state=0
    ),
}
accuracy = {name: [] for name in models}
for n in sizes:
    labelled, _ = train_test_split(np.arange(len(y_pool)), train_size=n, stratify=y_pool, random_state=0)
    y_few = np.full_like(y_pool, -1)
    y_few[labelled] = y_pool[labelled]
    for name, make in models.items():
        if name == "LogisticRegression, raw pixels":
            model = LogisticRegression(max_iter=5000).fit(X_pool[labelled], y_pool[labelled])
            score = model.score(X_test, y_test)
        elif name == "frozen codes + LogisticRegression":
            model = LogisticRegression(max_iter=5000).fit(autoencoder.transform(X_pool[labelled]), y_pool[labelled])
            score = model.score(autoencoder.transform(X_test), y_test)
        else:
            # LabelSpreading divides by zero for rows that no label reaches.
            with np.errstate(divide="ignore", invalid="ignore"):
                score = make().fit(X_pool, y_few).score(X_test, y_test)
        accuracy[name].append(score)
    print(f"{n:4d} labels: " + ", ".join(f"{name} {acc[-1]:.3f}" for name, acc in accuracy.items()))

# %%
fig, ax = plt.subplots(figsize=(6, 4.2))
for name, acc in accuracy.items():
    ax.plot(sizes, acc, "o-" if name.startswith("Autoencoder") else "s--", label=name)
ax.set(xscale="log", xlabel="labelled training images", ylabel="test accuracy",
       title="Digits with few labels (one split)")
ax.set_xticks(sizes, [str(s) for s in sizes])
ax.legend(fontsize=8)
plt.show()
