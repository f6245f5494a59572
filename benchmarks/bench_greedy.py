"""Greedy layer-wise pretraining and the layer-correspondence loss: when they help.

1. **Greedy vs end to end, same total epochs.**  Deep nets (4 hidden layers):
   - digits (standardised; 1437 rows train, 360 held out):
     ``TiedAutoencoder`` and ``DenoisingAutoencoder`` (16 codes, hidden
     (256, 128, 64, 32)) at ``max_iter`` 20, 50, 100 and 200;
   - synthetic, 60000 x 784 (50000 train, 10000 held out): 16 latent
     factors through a random tanh layer of 64 units to 784 features, plus
     noise, standardised; ``TiedAutoencoder`` (16 codes, hidden (512, 256,
     128, 64), batches of 256) at ``max_iter`` 4 and 10.
   Figures: held-out reconstruction MSE, the accuracy of a
   LogisticRegression on the codes (digits: trained on the training codes
   with all labels, scored on the held-out ones), and the fit time.
2. **layer_loss_weight** 0, 0.01, 0.1 and 1 on digits, hidden (128, 64, 32),
   16 codes, ``max_iter=100``: the same figures.

Means over ``--seeds`` seeds (default 2; the synthetic data: 1).  Writes
``benchmarks/results/greedy.md``.

    python benchmarks/bench_greedy.py            # about 15 minutes on 2 cores
    python benchmarks/bench_greedy.py --quick    # digits only, 1 seed, 2 budgets
"""

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

RESULTS = Path(__file__).resolve().parent / "results"


def synthetic(n=60000, d=784, k=16, seed=0):
    rng = np.random.default_rng(seed)
    Z = rng.normal(size=(n, k))
    H = np.tanh(Z @ rng.normal(size=(k, 64)) / np.sqrt(k) * 2)
    X = H @ rng.normal(size=(64, d)) + 0.1 * rng.normal(size=(n, d))
    return X.astype(np.float32)


def probe(ae, X_train, y_train, X_test, y_test):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lr = LogisticRegression(max_iter=3000).fit(ae.transform(X_train), y_train)
    return lr.score(ae.transform(X_test), y_test)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seeds = 1 if args.quick else args.seeds

    from skae import DenoisingAutoencoder, TiedAutoencoder

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    lines = [
        "# Greedy layer-wise pretraining and the layer-correspondence loss",
        "",
        f"`python benchmarks/bench_greedy.py{' --quick' if args.quick else ''}` on {platform.machine()},"
        f" {os.cpu_count()} cores, no GPU; {seeds} seed(s) on digits.",
        "",
        "## Greedy against end to end, the same total epochs (max_iter)",
        "",
        "Held-out MSE (lower is better), LogisticRegression accuracy on the codes, fit time.",
        "",
        "| data | estimator | max_iter | MSE none | MSE greedy | accuracy none | accuracy greedy"
        " | fit none (s) | fit greedy (s) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    budgets = (20, 100) if args.quick else (20, 50, 100, 200)
    for cls in (TiedAutoencoder, DenoisingAutoencoder):
        for max_iter in budgets:
            cells = {}
            for pretraining in ("none", "greedy"):
                mse, acc, secs = [], [], []
                for seed in range(seeds):
                    t = time.perf_counter()
                    ae = cls(16, hidden_layer_sizes=(256, 128, 64, 32), max_iter=max_iter,
                             pretraining=pretraining, random_state=seed).fit(X_train)
                    secs.append(time.perf_counter() - t)
                    mse.append(-ae.score(X_test))
                    acc.append(probe(ae, X_train, y_train, X_test, y_test))
                cells[pretraining] = (np.mean(mse), np.mean(acc), np.mean(secs))
            n, g = cells["none"], cells["greedy"]
            lines.append(
                f"| digits | {cls.__name__} | {max_iter} | {n[0]:.4f} | {g[0]:.4f} | {n[1]:.3f} | {g[1]:.3f}"
                f" | {n[2]:.1f} | {g[2]:.1f} |"
            )
            print(lines[-1], flush=True)
    if not args.quick:
        S = synthetic()
        S = StandardScaler().fit_transform(S).astype(np.float32)
        S_train, S_test = S[:50000], S[50000:]
        for max_iter in (4, 10):
            cells = {}
            for pretraining in ("none", "greedy"):
                t = time.perf_counter()
                ae = TiedAutoencoder(16, hidden_layer_sizes=(512, 256, 128, 64), batch_size=256,
                                     max_iter=max_iter, pretraining=pretraining, random_state=0).fit(S_train)
                cells[pretraining] = (-ae.score(S_test), time.perf_counter() - t)
            n, g = cells["none"], cells["greedy"]
            lines.append(
                f"| synthetic 60000x784 | TiedAutoencoder | {max_iter} | {n[0]:.4f} | {g[0]:.4f} | | |"
                f" {n[1]:.1f} | {g[1]:.1f} |"
            )
            print(lines[-1], flush=True)

    lines += [
        "",
        "## layer_loss_weight (digits, hidden (128, 64, 32), 16 codes, max_iter=100)",
        "",
        "| estimator | layer_loss_weight | held-out MSE | accuracy on codes | fit (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for cls in (TiedAutoencoder, DenoisingAutoencoder):
        for weight in (0.0, 0.01, 0.1, 1.0):
            mse, acc, secs = [], [], []
            for seed in range(seeds):
                t = time.perf_counter()
                ae = cls(16, hidden_layer_sizes=(128, 64, 32), max_iter=100, layer_loss_weight=weight,
                         random_state=seed).fit(X_train)
                secs.append(time.perf_counter() - t)
                mse.append(-ae.score(X_test))
                acc.append(probe(ae, X_train, y_train, X_test, y_test))
            lines.append(f"| {cls.__name__} | {weight} | {np.mean(mse):.4f} | {np.mean(acc):.3f} | {np.mean(secs):.1f} |")
            print(lines[-1], flush=True)
    lines.append("")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("greedy_quick.md" if args.quick else "greedy.md")
    out.write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
