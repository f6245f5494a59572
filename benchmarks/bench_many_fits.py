"""Hundreds of fits in one process: memory and time per fit must stay flat.

What cross-validation and grid search do: fit the same few architectures
again and again on differently sized data.  Reports the process's resident
memory and the mean time per fit over consecutive blocks of fits, and writes
``benchmarks/results/many_fits.md``.

    python benchmarks/bench_many_fits.py            # 900 fits, about a minute
    python benchmarks/bench_many_fits.py --fits 60
"""

import argparse
import gc
import resource
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from skae import TiedAutoencoder

RESULTS = Path(__file__).resolve().parent / "results"


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fits", type=int, default=900)
    args = parser.parse_args()
    X = StandardScaler().fit_transform(load_digits().data)
    architectures = [(), (32,), (64, 16)]
    block = max(args.fits // 6, 1)
    rows, times = [], []
    warnings.simplefilter("ignore")
    for i in range(args.fits):
        n = 900 + 7 * (i % 50)  # cross-validation folds differ in size
        ae = TiedAutoencoder(
            5, hidden_layer_sizes=architectures[i % 3], max_iter=5, random_state=i
        )
        start = time.perf_counter()
        ae.fit(X[:n]).transform(X[n:])
        times.append(time.perf_counter() - start)
        if (i + 1) % block == 0:
            gc.collect()
            rows.append((i + 1, rss_mib(), 1000 * np.mean(times[-block:])))
            print(f"after {i + 1} fits: RSS {rows[-1][1]:.0f} MiB, {rows[-1][2]:.1f} ms/fit", flush=True)

    lines = [
        "# Many fits in one process",
        "",
        f"{args.fits} fits of TiedAutoencoder (3 architectures in turn, 5 epochs, 900-1243 rows of",
        "standardised digits), each followed by a transform. Memory is the process's resident set",
        "after a garbage collection; time is the mean per fit over the preceding block.",
        "",
        "| fits so far | RSS (MiB) | ms per fit (last block) |",
        "|---:|---:|---:|",
    ] + [f"| {n} | {rss:.0f} | {ms:.1f} |" for n, rss, ms in rows]
    first, last = rows[0], rows[-1]
    lines += [
        "",
        f"From the first block to the last: RSS {last[1] - first[1]:+.0f} MiB, "
        f"time per fit x{last[2] / first[2]:.2f} (the first block includes the TensorFlow import "
        "and the one-off traces).",
    ]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "many_fits.md").write_text(text)


if __name__ == "__main__":
    main()
