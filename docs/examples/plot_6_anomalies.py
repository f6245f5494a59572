"""
Anomaly detection with score_samples
====================================

``score_samples`` is the negative reconstruction error: an autoencoder fitted
on normal data reconstructs them well and unusual data badly. Here the
"normal" data are the digits 0-8; the anomalies are the held-out 9s, which
the model never saw, and digits with a block of pixels wiped out.
:class:`~skae.AutoencoderOutlierDetector` wraps the autoencoder in
scikit-learn's outlier vocabulary: ``predict`` (-1 for outliers),
``decision_function`` and an ``offset_`` set by ``contamination``.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import AutoencoderOutlierDetector

X, y = load_digits(return_X_y=True)
normal, nines = X[y != 9], X[y == 9]
X_train, X_normal = train_test_split(normal, test_size=0.2, random_state=0)
damaged = X_normal.copy()
damaged[:, 16:40] = 16.0  # three rows of the 8x8 image set to full ink

model = make_pipeline(
    StandardScaler(),
    # The default autoencoder: TiedAutoencoder(32, hidden_layer_sizes=(256, 128), max_iter=100).
    AutoencoderOutlierDetector(
        contamination=0.05,  # predict flags scores below the training data's 5th percentile
        random_state=0,
    ),
).fit(X_train)

# %%
# Higher reconstruction error = more unusual: ``-score_samples``.
error = {name: -model.score_samples(data) for name, data in
         [("held-out 0-8", X_normal), ("unseen 9s", nines), ("damaged 0-8", damaged)]}
for name in ("unseen 9s", "damaged 0-8"):
    labels = np.r_[np.zeros(len(X_normal)), np.ones(len(error[name]))]
    auc = roc_auc_score(labels, np.r_[error["held-out 0-8"], error[name]])
    print(f"ROC AUC, held-out 0-8 against {name}: {auc:.3f}")

# %%
# ``predict`` draws the line at ``offset_``: the fraction flagged as outliers.
# ``offset_`` is the ``contamination`` quantile of the *training* scores, as
# in IsolationForest; a net this size reconstructs its training digits better
# than new ones, so new normal digits are flagged more often than the 5%
# asked for.
for name, data in [("held-out 0-8", X_normal), ("unseen 9s", nines), ("damaged 0-8", damaged)]:
    print(f"{name}: {np.mean(model.predict(data) == -1):.0%} flagged")

# %%
fig, ax = plt.subplots(figsize=(6, 4))
bins = np.logspace(np.log10(min(e.min() for e in error.values())), np.log10(max(e.max() for e in error.values())), 40)
for name, e in error.items():
    ax.hist(e, bins=bins, alpha=0.5, label=name)
ax.axvline(-model[-1].offset_, color="k", linestyle="--", label="-offset_ (predict's threshold)")
ax.set(xscale="log", xlabel="reconstruction error (-score_samples)", ylabel="digits")
ax.legend()
plt.show()
