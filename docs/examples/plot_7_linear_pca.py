"""
The linear tied autoencoder recovers PCA
========================================

A tied autoencoder with no hidden layer is linear, and its best weights
span PCA's principal subspace (Baldi & Hornik, 1989). skae fixes its decoder
bias at the data mean, trains a few components more than it keeps, and
finishes with a Rayleigh-Ritz step that keeps the best ones, so
the fitted model has PCA's ``components_``, ``explained_variance_`` and
``explained_variance_ratio_``. How close are they to PCA's?
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.linalg import subspace_angles
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from skae import TiedAutoencoder
from skae.plotting import plot_filters

X = StandardScaler().fit_transform(load_digits().data)
k = 8
pca = PCA(k).fit(X)
ae = TiedAutoencoder(
    k, hidden_layer_sizes=(), alpha=0.0, learning_rate="cosine", learning_rate_init=3e-2,
    max_iter=200, random_state=0,
).fit(X)


def mse(model):
    return np.mean((model.inverse_transform(model.transform(X)) - X) ** 2)


print(f"epochs: {ae.n_iter_}")
print(f"reconstruction error, autoencoder / PCA: {mse(ae) / mse(pca):.5f}")
angles = np.degrees(subspace_angles(ae.components_.T, pca.components_.T))
print(f"largest principal angle between the subspaces: {angles.max():.2f} degrees")
print("|cos| between matching components:", np.round(np.abs(np.sum(ae.components_ * pca.components_, axis=1)), 4))

# %%
fig, ax = plt.subplots(figsize=(5.5, 3.5))
ax.plot(range(1, k + 1), pca.explained_variance_ratio_, "o-", label="PCA")
ax.plot(range(1, k + 1), ae.explained_variance_ratio_, "x--", label="linear TiedAutoencoder")
ax.set(xlabel="component", ylabel="explained variance ratio")
ax.legend()
plt.show()

# %%
# The components themselves, PCA's above and the autoencoder's below:
fig = plt.figure(figsize=(8, 2.4))
top, bottom = fig.subfigures(2, 1)
plot_filters(pca, image_shape=(8, 8), n_cols=k, fig=top)
plot_filters(ae, image_shape=(8, 8), n_cols=k, fig=bottom)
top.suptitle("PCA", fontsize=9)
bottom.suptitle("linear TiedAutoencoder", fontsize=9)
plt.show()
