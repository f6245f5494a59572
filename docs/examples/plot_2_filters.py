"""
Learned filters
===============

The weights from the 64 pixels to each first-layer unit, shown as an 8x8
image: red pixels excite the unit, blue ones inhibit it. A sparse
autoencoder with more codes than pixels learns localised strokes; PCA's
components are global patterns ordered by variance.
"""

# %%
import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from skae import SparseAutoencoder
from skae.plotting import plot_filters

X = load_digits().data / 16.0  # in [0, 1], for the Bernoulli (cross-entropy) loss

sparse = SparseAutoencoder(
    100, loss="binary_crossentropy", sparsity_target=0.05, sparsity_weight=0.5,
    max_iter=150, random_state=0,
).fit(X)
print(f"mean activation of the codes: {sparse.mean_activation_.mean():.3f} (target 0.05)")

fig, axes = plot_filters(sparse, image_shape=(8, 8), n_filters=40, n_cols=10)
fig.suptitle("SparseAutoencoder: 40 of its 100 filters")
plt.show()

# %%
fig, axes = plot_filters(PCA(20).fit(X), image_shape=(8, 8), n_cols=10)
fig.suptitle("PCA: the first 20 components")
plt.show()
