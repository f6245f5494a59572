"""
A variational autoencoder: latent map and generated digits
==========================================================

A VAE with two latent dimensions, trained on the digits in [0, 1] with a
Bernoulli likelihood. Its posterior means place the digits on a plane where
the classes form regions; decoding points drawn from the prior N(0, I)
generates new digits.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import norm
from sklearn.datasets import load_digits

from skae import VariationalAutoencoder
from skae.plotting import plot_samples

X, y = load_digits(return_X_y=True)
X = X / 16.0
vae = VariationalAutoencoder(
    2, hidden_layer_sizes=(256,), loss="binary_crossentropy", max_iter=150, random_state=0
).fit(X)
print(f"ELBO per digit: {vae.score(X):.1f} nats")

# %%
# The latent map: each digit's posterior mean, coloured by its class.
Z = vae.transform(X)
fig, ax = plt.subplots(figsize=(6, 5))
points = ax.scatter(Z[:, 0], Z[:, 1], c=y, cmap="tab10", s=6)
fig.colorbar(points, ax=ax, label="digit")
ax.set(xlabel="z1", ylabel="z2", title="Posterior means of the digits")
plt.show()

# %%
# Digits generated from the prior:
fig, axes = plot_samples(vae, image_shape=(8, 8), n_samples=32, random_state=0, vmin=0, vmax=1)
fig.suptitle("Generated digits: z ~ N(0, I), decoded")
plt.show()

# %%
# The decoder over a grid of latent points (through the prior's quantiles):
grid = norm.ppf(np.linspace(0.05, 0.95, 12))
codes = np.array([[a, b] for b in grid[::-1] for a in grid])
images = vae.inverse_transform(codes).reshape(12, 12, 8, 8)
fig, ax = plt.subplots(figsize=(6, 6))
ax.imshow(images.transpose(0, 2, 1, 3).reshape(96, 96), cmap="gray_r")
ax.set_axis_off()
ax.set_title("The decoder across the latent plane")
plt.show()
