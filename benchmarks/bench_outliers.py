"""Outlier detection: skae's autoencoders against scikit-learn's detectors.

Novelty detection, as ``LocalOutlierFactor(novelty=True)`` is meant for:
each detector is fitted on normal data only and ranks a test set of held-out
normal samples and anomalies by its score (ROC AUC and average precision of
``-score_samples``), standardised with a scaler fitted on the training data.

Tasks:
- **digits, one class out** (10 tasks): the rows of one digit are the
  anomalies; half of the other digits' rows (stratified, per seed) train, the
  other half and every row of the held-out digit are the test set.
- **synthetic, planted anomalies** in the style of ADBench's generated types
  (Han et al., 2022): normal data from a 3-component mixture on a curved
  5-dimensional manifold in 30 dimensions; a Gaussian mixture fitted to the
  normal training data then gives *local* anomalies (its components with
  covariances x5), *clustered* anomalies (its means x5) and *global*
  anomalies (uniform over 1.1x the data's range).  5% of the test set.

Rows: the four autoencoders through ``AutoencoderOutlierDetector``, each
with hidden layers (256, 128) and ``max_iter=100``: the Tied one is the
detector's default (32 codes on the 64 digit features, 15 on the 30
synthetic ones), the others have 32 codes.  PCA's reconstruction error with
8 components and with the default's code size; IsolationForest,
LocalOutlierFactor(novelty=True) and OneClassSVM at their defaults.  Means
over ``--seeds`` seeds (default 3) and the fit time per task.  Writes
``benchmarks/results/outliers.md``.

    python benchmarks/bench_outliers.py            # 3 seeds
    python benchmarks/bench_outliers.py --quick    # 1 seed, digits 0-2 only
"""

import argparse
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

RESULTS = Path(__file__).resolve().parent / "results"


class PCAReconstruction:
    """PCA's reconstruction error as a score (higher = more normal)."""

    def __init__(self, n_components):
        self.n_components = n_components

    def fit(self, X):
        k = self.n_components or max(1, min(32, X.shape[1] // 2))  # None: as the detector's default
        self.pca_ = PCA(k, random_state=0).fit(X)
        return self

    def score_samples(self, X):
        back = self.pca_.inverse_transform(self.pca_.transform(X))
        return -np.mean((X - back) ** 2, axis=1)


def detectors(seed):
    from skae import (
        AutoencoderOutlierDetector,
        DenoisingAutoencoder,
        SparseAutoencoder,
        VariationalAutoencoder,
    )

    deep = dict(n_components=32, hidden_layer_sizes=(256, 128), max_iter=100, random_state=seed)
    return [
        # On the digits' 64 features the default is TiedAutoencoder(**deep).
        ("skae Tied (the detector's default)", AutoencoderOutlierDetector(random_state=seed)),
        ("skae Denoising", AutoencoderOutlierDetector(DenoisingAutoencoder(**deep))),
        ("skae Sparse", AutoencoderOutlierDetector(SparseAutoencoder(**deep))),
        ("skae Variational", AutoencoderOutlierDetector(VariationalAutoencoder(**deep))),
        ("PCA reconstruction (8)", PCAReconstruction(8)),
        ("PCA reconstruction (the default's code size)", PCAReconstruction(None)),
        ("IsolationForest", IsolationForest(random_state=seed)),
        ("LocalOutlierFactor(novelty=True)", LocalOutlierFactor(novelty=True)),
        ("OneClassSVM", OneClassSVM(gamma="scale", nu=0.1)),
    ]


def digit_task(digit, seed):
    X, y = load_digits(return_X_y=True)
    normal, odd = X[y != digit], X[y == digit]
    train, test_normal = train_test_split(normal, test_size=0.5, stratify=y[y != digit],
                                          random_state=seed)
    return train, np.vstack([test_normal, odd]), np.r_[np.zeros(len(test_normal)), np.ones(len(odd))]


def synthetic_task(kind, seed, n=3000, d=30, latent=5, ratio=0.05):
    rng = np.random.default_rng(seed)
    A, B = rng.normal(size=(latent, 20)), rng.normal(size=(20, d)) / np.sqrt(20)
    centres = rng.normal(scale=2.0, size=(3, latent))

    def manifold(m):
        z = centres[rng.integers(0, 3, m)] + rng.normal(size=(m, latent))
        return np.tanh(z @ A / np.sqrt(latent)) @ B + 0.05 * rng.normal(size=(m, d))

    train, test_normal = manifold(n), manifold(n // 2)
    n_odd = int(ratio * len(test_normal) / (1 - ratio))
    gmm = GaussianMixture(3, random_state=seed).fit(train)
    if kind == "global":
        low, high = train.min(0), train.max(0)
        odd = rng.uniform(low - 0.05 * (high - low), high + 0.05 * (high - low), size=(n_odd, d))
    else:
        means, covs = gmm.means_, gmm.covariances_
        if kind == "local":
            covs = covs * 5
        else:  # clustered
            means = means * 5
        parts = rng.integers(0, 3, n_odd)
        odd = np.array([rng.multivariate_normal(means[k], covs[k]) for k in parts])
    return train, np.vstack([test_normal, odd]), np.r_[np.zeros(len(test_normal)), np.ones(n_odd)]


def evaluate(detector, train, test, labels):
    scaler = StandardScaler().fit(train)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning of the fixed budgets
        detector.fit(scaler.transform(train))
    seconds = time.perf_counter() - start
    outlying = -detector.score_samples(scaler.transform(test))
    return roc_auc_score(labels, outlying), average_precision_score(labels, outlying), seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int)
    args = parser.parse_args()
    seeds = range(args.seeds or (1 if args.quick else 3))
    digits = range(3) if args.quick else range(10)
    tasks = [(f"digit {k}", lambda s, k=k: digit_task(k, s)) for k in digits]
    tasks += [(f"synthetic {kind}", lambda s, kind=kind: synthetic_task(kind, s))
              for kind in ("local", "clustered", "global")]

    results = {}  # (detector, task) -> list of (auc, ap, seconds)
    names = [name for name, _ in detectors(0)]
    for task, make in tasks:
        for seed in seeds:
            train, test, labels = make(seed)
            for name, detector in detectors(seed):
                auc, ap, seconds = evaluate(detector, train, test, labels)
                results.setdefault((name, task), []).append((auc, ap, seconds))
            line = ", ".join(f"{n.split(' (')[0]} {results[(n, task)][-1][0]:.3f}" for n in names)
            print(f"{task} seed {seed}: {line}", flush=True)

    import sklearn
    import tensorflow as tf

    digit_tasks = [t for t, _ in tasks if t.startswith("digit")]
    synth_tasks = [t for t, _ in tasks if t.startswith("synthetic")]

    def mean(name, task_list, i):
        return float(np.mean([np.mean([r[i] for r in results[(name, t)]]) for t in task_list]))

    lines = [
        "# Outlier detection",
        "",
        f"Novelty detection (fit on normal data, rank held-out normals and anomalies by"
        f" `-score_samples`); {len(seeds)} seed(s) per task. Measured {time.strftime('%Y-%m-%d')}"
        f" on {platform.machine()}, {os.cpu_count()} CPUs, TensorFlow {tf.__version__},"
        f" scikit-learn {sklearn.__version__}.",
        "",
        f"Means over the {len(digit_tasks)} digit one-class-out tasks and over the"
        f" {len(synth_tasks)} synthetic tasks; fit time is the mean per fit over all tasks.",
        "",
        "| detector | digits ROC AUC | digits AP | synthetic ROC AUC | synthetic AP | fit (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        fit = float(np.mean([r[2] for t, _ in tasks for r in results[(name, t)]]))
        lines.append(
            f"| {name} | {mean(name, digit_tasks, 0):.3f} | {mean(name, digit_tasks, 1):.3f} |"
            f" {mean(name, synth_tasks, 0):.3f} | {mean(name, synth_tasks, 1):.3f} | {fit:.2f} |"
        )
    lines += ["", "ROC AUC per task (mean over seeds; min-max over seeds in brackets):", "",
              "| detector | " + " | ".join(t for t, _ in tasks) + " |",
              "|---|" + "---:|" * len(tasks)]
    for name in names:
        cells = []
        for t, _ in tasks:
            aucs = [r[0] for r in results[(name, t)]]
            cells.append(f"{np.mean(aucs):.3f}" + (f" [{min(aucs):.3f}-{max(aucs):.3f}]" if len(aucs) > 1 else ""))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    skae_best = max(mean(n, digit_tasks, 0) for n in names if n.startswith("skae"))
    sk_best = max(mean(n, digit_tasks, 0) for n in names if not n.startswith("skae"))
    lines += ["", f"Best skae detector on the digit tasks: {skae_best:.3f} ROC AUC; best scikit-learn"
              f" detector: {sk_best:.3f} ({'met' if skae_best >= sk_best else 'NOT met'}: the target"
              " is that skae's best at least matches scikit-learn's best)."]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ("outliers_quick.md" if args.quick else "outliers.md")).write_text(text)


if __name__ == "__main__":
    main()
