"""
Pretrained features when labels are few
=======================================

Unlabelled data are often plentiful when labels are not. Fit the
autoencoder on all the digits without their labels, then train a classifier
on the codes of a small labelled subset, and compare with the same
classifier on the raw pixels and on as many PCA components (also fitted
without labels).

What to expect on these digits: the 16 autoencoder codes do better than
16 PCA components at every number of labels, but better than the 64 raw
pixels only when labels are very few (about 20). A logistic regression on
the raw pixels is already strong here; the codes keep what reconstructs the
images, not necessarily what separates the classes.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import TiedAutoencoder

X, y = load_digits(return_X_y=True)
X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)

# Unsupervised: the encoder sees every training image, no labels.
encoder = make_pipeline(
    StandardScaler(),
    TiedAutoencoder(16, hidden_layer_sizes=(128, 64), max_iter=150, random_state=0),
).fit(X_pool)
pca = make_pipeline(StandardScaler(), PCA(16)).fit(X_pool)

# %%
# Supervised: the classifier sees only ``n`` labelled images (5 repeats each).
sizes = [20, 50, 100, 200]
features = {
    "64 raw pixels": lambda X: X,
    "16 PCA components": pca.transform,
    "16 autoencoder codes": encoder.transform,
}
accuracy = {name: [] for name in features}
for n in sizes:
    for name, transform in features.items():
        scores = []
        for seed in range(5):
            idx = np.random.default_rng(seed).choice(len(X_pool), n, replace=False)
            clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
            clf.fit(transform(X_pool[idx]), y_pool[idx])
            scores.append(clf.score(transform(X_test), y_test))
        accuracy[name].append(np.mean(scores))
    print(f"{n:4d} labels: " + ", ".join(f"{name} {acc[-1]:.3f}" for name, acc in accuracy.items()))

# %%
fig, ax = plt.subplots(figsize=(5.5, 4))
for name, acc in accuracy.items():
    ax.plot(sizes, acc, "o-", label=name)
ax.set(xscale="log", xlabel="labelled training images", ylabel="test accuracy",
       title="LogisticRegression with few labels")
ax.legend()
plt.show()
