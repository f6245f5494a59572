"""``python -m skae``: PCA and the autoencoders on scikit-learn's digits.

For a few code sizes k, each method is fitted on 75% of the standardised
digits and measured on the other 25%: reconstruction MSE (in standardised
units), the accuracy of a LogisticRegression trained on the codes, and the
fit time.  Then a VAE's samples are compared with real digits and noise.
"""

import argparse
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from . import (
    DenoisingAutoencoder,
    SparseAutoencoder,
    TiedAutoencoder,
    VariationalAutoencoder,
)


def methods(k, max_iter):
    """(name, unfitted estimator) pairs compared at code size k."""
    return [
        ("PCA", PCA(k, random_state=0)),
        (
            "TiedAutoencoder linear",
            TiedAutoencoder(
                k, hidden_layer_sizes=(), alpha=0.0, learning_rate="cosine",
                learning_rate_init=3e-2, max_iter=max_iter, random_state=0,
            ),
        ),
        (
            "TiedAutoencoder deep (128, 64) ELU",
            TiedAutoencoder(
                k, hidden_layer_sizes=(128, 64),
                max_iter=max_iter, random_state=0,
            ),
        ),
        (
            "SparseAutoencoder (128,) KL p=0.1",
            SparseAutoencoder(
                k, hidden_layer_sizes=(128,),
                max_iter=max_iter, random_state=0,
            ),
        ),
        (
            "DenoisingAutoencoder (128, 64) σ=0.5",
            DenoisingAutoencoder(
                k, hidden_layer_sizes=(128, 64), noise="gaussian", noise_level=0.5,
                max_iter=max_iter, random_state=0,
            ),
        ),
        (
            "VariationalAutoencoder (256,) Gauss.",
            VariationalAutoencoder(k, max_iter=max_iter, random_state=0),
        ),
    ]


def sample_quality(X_train, X_test, max_iter):
    """Fit a VAE on digits in [0, 1]; how close are its samples to real digits?"""
    vae = VariationalAutoencoder(8, loss="binary_crossentropy", max_iter=max_iter, random_state=0)
    vae.fit(X_train)
    nn = NearestNeighbors(n_neighbors=1).fit(X_train)
    noise = np.random.default_rng(0).random(X_test.shape)
    dist = {
        "VAE samples": nn.kneighbors(vae.sample(len(X_test), random_state=0))[0].mean(),
        "held-out digits": nn.kneighbors(X_test)[0].mean(),
        "uniform noise": nn.kneighbors(noise)[0].mean(),
    }
    print(
        "VariationalAutoencoder(8, Bernoulli) on digits in [0, 1]: mean distance to the nearest"
        " training digit: " + ", ".join(f"{k} {v:.2f}" for k, v in dist.items())
    )
    print(
        f"  ELBO per digit (nats): training {vae.score(X_train):.1f},"
        f" held-out {vae.score(X_test):.1f}, uniform noise {vae.score(noise):.1f}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m skae", description=__doc__.split("\n\n")[0])
    parser.add_argument("--codes", type=int, nargs="+", default=[2, 10, 30], help="code sizes k")
    parser.add_argument("--max-iter", type=int, default=200, help="epochs (default 200)")
    args = parser.parse_args(argv)

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0
    )
    X01_train, X01_test = X_train / 16.0, X_test / 16.0
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    print(f"digits: {X_train.shape[0]} training, {X_test.shape[0]} held-out samples, 64 features\n")

    header = f"{'method':<36} {'k':>3} {'held-out MSE':>13} {'vs PCA':>7} {'LogReg acc':>10} {'fit s':>7} {'epochs':>6}"
    print(header)
    print("-" * len(header))
    for k in args.codes:
        pca_mse = None
        for name, est in methods(k, args.max_iter):
            start = time.perf_counter()
            est.fit(X_train)
            seconds = time.perf_counter() - start
            mse = float(np.mean((est.inverse_transform(est.transform(X_test)) - X_test) ** 2))
            pca_mse = pca_mse or mse
            clf = LogisticRegression(max_iter=5000).fit(est.transform(X_train), y_train)
            acc = clf.score(est.transform(X_test), y_test)
            epochs = getattr(est, "n_iter_", "")
            print(
                f"{name:<36} {k:>3} {mse:>13.4f} {mse / pca_mse:>7.3f} {acc:>10.3f}"
                f" {seconds:>7.2f} {epochs:>6}",
                flush=True,
            )
        print()
    sample_quality(X01_train, X01_test, args.max_iter)


if __name__ == "__main__":
    main()
