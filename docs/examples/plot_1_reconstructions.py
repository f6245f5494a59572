"""
Reconstructing digits: PCA and each autoencoder
================================================

Each model compresses the 64 pixels of scikit-learn's 8x8 digits to 10
numbers and decodes them back. Every model is a ``Pipeline`` with a
``StandardScaler`` in front, so ``inverse_transform`` returns pixels.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import DenoisingAutoencoder, SparseAutoencoder, TiedAutoencoder, VariationalAutoencoder
from skae.plotting import plot_reconstructions

X, _ = load_digits(return_X_y=True)
X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)

k = 10
common = dict(max_iter=100, random_state=0)
models = {
    "PCA": PCA(k),
    "Tied (128, 64)": TiedAutoencoder(k, hidden_layer_sizes=(128, 64), **common),
    "Sparse (128,)": SparseAutoencoder(k, hidden_layer_sizes=(128,), **common),
    "Denoising (128, 64)": DenoisingAutoencoder(k, hidden_layer_sizes=(128, 64), **common),
    "VAE (256,)": VariationalAutoencoder(k, max_iter=100, random_state=0),
}
pipes = {name: make_pipeline(StandardScaler(), m).fit(X_train) for name, m in models.items()}

# %%
# Held-out reconstruction error, in pixel units (pixels range over 0-16):
for name, pipe in pipes.items():
    err = np.mean((pipe.inverse_transform(pipe.transform(X_test)) - X_test) ** 2)
    print(f"{name:<20} held-out MSE {err:6.2f}")

# %%
# The first ten held-out digits and their reconstructions:
fig, axes = plot_reconstructions(pipes, X_test, image_shape=(8, 8), n_images=10)
fig.suptitle(f"Held-out digits and their reconstructions from {k} numbers")
plt.show()
