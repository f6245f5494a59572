"""Few labels: AutoencoderClassifier against scikit-learn's (semi-)supervised baselines.

Digits, standardised (a scaler fitted on the training pool, labels unused).
A fixed stratified 30% of the rows (540) is the test set; of the other 1257
rows (the pool), 20, 50, 100, 200 or 500 keep their label (stratified, per
seed) and the rest are unlabelled (-1).  Accuracy on the test set, mean and
standard deviation over ``--seeds`` seeds (default 5).

Rows:
- LogisticRegression on the labelled rows: raw (standardised) pixels; PCA
  codes (32, fitted on the whole pool); the frozen codes of the pretrained
  autoencoder below.
- MLPClassifier (its defaults, ``max_iter=1000``) on the labelled rows alone.
- SelfTrainingClassifier(LogisticRegression) and LabelSpreading on the whole
  pool.  LabelSpreading's default RBF kernel (gamma=20) is degenerate on
  standardised pixels, so it appears twice, as tuned as we found it: a k-NN
  kernel (k=7) on the standardised pixels, and scikit-learn's own digits
  example's setting (RBF, gamma=0.25, ``max_iter=100``) on the raw 0-16 pixels.
- AutoencoderClassifier, three ways, each on an autoencoder pretrained with
  ``pretraining='none'`` and ``'greedy'``:
  ``TiedAutoencoder(32, hidden_layer_sizes=(256, 128), max_iter=100)`` (the
  classifier's default autoencoder), fitted on the whole pool.  Pretraining
  does not see the labels, so each seed's autoencoder is fitted once and
  handed to every label count in a ``FrozenEstimator``: the same fits
  ``AutoencoderClassifier`` runs in phase 1, done once.  Then:
  *fine-tuned* (defaults: the whole encoder and a softmax head on the
  labelled rows); *frozen + cache* (``freeze=2``: the two hidden layers
  fixed and their outputs cached, the code layer and head trained);
  *joint* (``reconstruction_weight=1.0``: every row's reconstruction error
  in the loss too).

Also times the cache: ``freeze=2`` with ``cache_frozen=True`` against
``False`` (the same model) at each label count, and at 500 labels with the
frozen layers' input 10x wider (the digits tiled).

Writes ``benchmarks/results/pretraining.md``.

    python benchmarks/bench_pretraining.py            # 5 seeds (about 15 minutes on 2 cores)
    python benchmarks/bench_pretraining.py --quick    # 1 seed, 50 and 200 labels
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
from sklearn.exceptions import ConvergenceWarning
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

RESULTS = Path(__file__).resolve().parent / "results"
LABELS = (20, 50, 100, 200, 500)
AE_ROWS = [
    ("AutoencoderClassifier fine-tuned", {}),
    ("AutoencoderClassifier frozen + cache (freeze=2)", {"freeze": 2}),
    ("AutoencoderClassifier joint (reconstruction_weight=1)", {"reconstruction_weight": 1.0}),
]


def split(seed_labels, n_labels, y_pool):
    keep, _ = train_test_split(
        np.arange(y_pool.size), train_size=n_labels, stratify=y_pool, random_state=seed_labels
    )
    y_few = np.full_like(y_pool, -1)
    y_few[keep] = y_pool[keep]
    return y_few


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seeds = 1 if args.quick else args.seeds
    labels = (50, 200) if args.quick else LABELS

    from skae import AutoencoderClassifier, TiedAutoencoder

    X_raw, y = load_digits(return_X_y=True)
    pool_raw, test_raw, y_pool, y_test = train_test_split(X_raw, y, test_size=0.3, stratify=y, random_state=0)
    scaler = StandardScaler().fit(pool_raw)
    pool, test = scaler.transform(pool_raw), scaler.transform(test_raw)
    pca = PCA(32, random_state=0).fit(pool)

    scores = {}  # row -> n_labels -> [accuracy per seed]
    times = {}
    cache_times = {}  # n_labels -> (cached s, uncached s)

    def record(row, n, acc, seconds=None):
        scores.setdefault(row, {}).setdefault(n, []).append(acc)
        if seconds is not None:
            times.setdefault(row, []).append(seconds)

    for seed in range(seeds):
        pretrained = {}
        for pretraining in ("none", "greedy"):
            t = time.perf_counter()
            ae = TiedAutoencoder(
                32, hidden_layer_sizes=(256, 128), max_iter=100, pretraining=pretraining, random_state=seed
            ).fit(pool)
            pretrained[pretraining] = ae
            print(f"seed {seed}: pretrained ({pretraining}) in {time.perf_counter() - t:.1f}s", flush=True)
        codes_pool, codes_test = pretrained["none"].transform(pool), pretrained["none"].transform(test)
        for n in labels:
            y_few = split(seed, n, y_pool)
            lab = y_few != -1
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                lr = lambda: LogisticRegression(max_iter=5000)  # noqa: E731
                record("LogisticRegression, raw pixels", n, lr().fit(pool[lab], y_pool[lab]).score(test, y_test))
                record("LogisticRegression, PCA codes (32)", n,
                       lr().fit(pca.transform(pool[lab]), y_pool[lab]).score(pca.transform(test), y_test))
                record("LogisticRegression, frozen AE codes (32)", n,
                       lr().fit(codes_pool[lab], y_pool[lab]).score(codes_test, y_test))
                record("MLPClassifier, labels only", n,
                       MLPClassifier(max_iter=1000, random_state=seed).fit(pool[lab], y_pool[lab]).score(test, y_test))
                record("SelfTrainingClassifier(LogisticRegression)", n,
                       SelfTrainingClassifier(lr()).fit(pool, y_few).score(test, y_test))
            with np.errstate(divide="ignore", invalid="ignore"):
                record("LabelSpreading, k-NN (k=7)", n,
                       LabelSpreading(kernel="knn", n_neighbors=7).fit(pool, y_few).score(test, y_test))
                record("LabelSpreading, RBF gamma=0.25 on raw pixels", n,
                       LabelSpreading(gamma=0.25, max_iter=100).fit(pool_raw, y_few).score(test_raw, y_test))
            for pretraining, ae in pretrained.items():
                for name, kwargs in AE_ROWS:
                    row = f"{name}, pretraining='{pretraining}'"
                    t = time.perf_counter()
                    clf = AutoencoderClassifier(FrozenEstimator(ae), random_state=seed, **kwargs).fit(pool, y_few)
                    record(row, n, clf.score(test, y_test), time.perf_counter() - t)
            # The cache: the same frozen model with and without it.
            for cache in (True, False):
                t = time.perf_counter()
                AutoencoderClassifier(
                    FrozenEstimator(pretrained["none"]), freeze=2, cache_frozen=cache, random_state=seed
                ).fit(pool, y_few)
                cache_times.setdefault(n, {}).setdefault(cache, []).append(time.perf_counter() - t)
            print(f"seed {seed}, {n} labels: done", flush=True)

    # The cache where the frozen layers cost more: 640 features (digits tiled x10).
    wide = np.tile(pool, 10)
    ae_wide = TiedAutoencoder(32, hidden_layer_sizes=(256, 128), max_iter=5, random_state=0).fit(wide)
    y_few = split(0, 500, y_pool)
    wide_times = {}
    for cache in (True, False):
        t = time.perf_counter()
        AutoencoderClassifier(FrozenEstimator(ae_wide), freeze=2, cache_frozen=cache, random_state=0).fit(wide, y_few)
        wide_times[cache] = time.perf_counter() - t

    non_skae = [r for r in scores if not r.startswith("AutoencoderClassifier")]
    skae_rows = [r for r in scores if r.startswith("AutoencoderClassifier")]
    lines = [
        "# Few labels: AutoencoderClassifier against scikit-learn's baselines",
        "",
        f"`python benchmarks/bench_pretraining.py{' --quick' if args.quick else ''}` on"
        f" {platform.machine()}, {os.cpu_count()} cores, no GPU; {seeds} seed(s).",
        "Digits, standardised; 540 test rows fixed; of the 1257-row pool, n labelled (stratified),"
        " the rest -1. Test accuracy, mean ± standard deviation over the seeds.",
        "",
        "| model | " + " | ".join(f"{n} labels" for n in labels) + " | fine-tuning (s) |",
        "|---|" + "---:|" * (len(labels) + 1),
    ]
    for row in non_skae + skae_rows:
        cells = []
        for n in labels:
            a = np.array(scores[row][n])
            best_here = max(np.mean(scores[r][n]) for r in scores)
            text = f"{a.mean():.3f} ± {a.std():.3f}"
            cells.append(f"**{text}**" if np.isclose(a.mean(), best_here) else text)
        fit_time = f"{np.mean(times[row]):.2f}" if row in times else ""
        lines.append(f"| {row} | " + " | ".join(cells) + f" | {fit_time} |")
    lines += ["", "## Target: the best AutoencoderClassifier row against every scikit-learn row", "",
              "| labels | best AutoencoderClassifier | best scikit-learn | met |", "|---:|---|---|---|"]
    for n in labels:
        best_ae = max(skae_rows, key=lambda r: np.mean(scores[r][n]))
        best_sk = max(non_skae, key=lambda r: np.mean(scores[r][n]))
        a, b = np.mean(scores[best_ae][n]), np.mean(scores[best_sk][n])
        lines.append(f"| {n} | {best_ae}: {a:.3f} | {best_sk}: {b:.3f} | {'yes' if a > b else 'no'} |")
    lines += ["", "## The frozen layers' cache (freeze=2: the same model with and without it)", "",
              "| labels | cached (s) | recomputed (s) | speed-up |", "|---:|---:|---:|---:|"]
    for n in labels:
        c, u = np.mean(cache_times[n][True]), np.mean(cache_times[n][False])
        lines.append(f"| {n} | {c:.2f} | {u:.2f} | {u / c:.2f}x |")
    c, u = wide_times[True], wide_times[False]
    lines.append(f"| 500, 640 features (digits tiled x10) | {c:.2f} | {u:.2f} | {u / c:.2f}x |")
    lines.append("")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("pretraining_quick.md" if args.quick else "pretraining.md")
    out.write_text("\n".join(lines))
    print("\n".join(lines))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
