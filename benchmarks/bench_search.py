"""Parallel grid search: does ``n_jobs=2`` pay off?

A 9-setting x 3-fold ``GridSearchCV`` on the standardised digits (27 fits
and the refit): ``TiedAutoencoder(max_iter=50)`` over ``n_components`` in
(4, 8, 16) x ``hidden_layer_sizes`` in ((32,), (64,), (128,)), and the same
grid with scikit-learn's ``MLPRegressor(max_iter=50)`` as the autoencoder
(X -> X, ``hidden_layer_sizes=(h, k, h)``).  Each run is timed at
``n_jobs`` 1 and 2:

- **cold**: the first search in a fresh Python process (its workers, too,
  start from nothing: they import TensorFlow and compile each architecture);
- **warm**: the same search again in that process (joblib reuses its workers).

Each cold figure is a fresh interpreter (a subprocess); ``--repeats``
(default 3) runs of each, the median reported.  Writes
``benchmarks/results/search.md``.

    python benchmarks/bench_search.py
"""

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"

RUN = r"""
import json, sys, time, warnings
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler
warnings.simplefilter("ignore", ConvergenceWarning)
kind, n_jobs = sys.argv[1], int(sys.argv[2])
X = StandardScaler().fit_transform(load_digits().data)
if kind == "skae":
    from skae import TiedAutoencoder
    est = TiedAutoencoder(max_iter=50, random_state=0)
    grid = {"n_components": [4, 8, 16], "hidden_layer_sizes": [(32,), (64,), (128,)]}
    y = None
else:
    from sklearn.neural_network import MLPRegressor
    est = MLPRegressor(max_iter=50, random_state=0)
    grid = {"hidden_layer_sizes": [(h, k, h) for k in (4, 8, 16) for h in (32, 64, 128)]}
    y = X
out = {}
for phase in ("cold", "warm"):
    t = time.perf_counter()
    GridSearchCV(est, grid, cv=3, n_jobs=n_jobs).fit(X, y)
    out[phase] = time.perf_counter() - t
print(json.dumps(out))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import numpy as np

    rows = {}
    for kind in ("skae", "mlp"):
        for n_jobs in (1, 2):
            runs = []
            for _ in range(args.repeats):
                out = subprocess.run([sys.executable, "-c", RUN, kind, str(n_jobs)], capture_output=True,
                                     text=True, check=True)
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            rows[kind, n_jobs] = {p: float(np.median([r[p] for r in runs])) for p in ("cold", "warm")}
            print(kind, n_jobs, rows[kind, n_jobs], flush=True)
    lines = [
        "# Parallel grid search: n_jobs 1 against 2",
        "",
        f"`python benchmarks/bench_search.py` on {platform.machine()}, {os.cpu_count()} cores, no GPU;"
        f" median of {args.repeats} runs, each cold one in a fresh process.",
        "9 settings x 3 folds on the standardised digits, max_iter=50.",
        "",
        "| estimator | run | n_jobs=1 (s) | n_jobs=2 (s) | speed-up |",
        "|---|---|---:|---:|---:|",
    ]
    for kind, name in (("skae", "TiedAutoencoder"), ("mlp", "MLPRegressor (X -> X)")):
        for phase in ("cold", "warm"):
            a, b = rows[kind, 1][phase], rows[kind, 2][phase]
            lines.append(f"| {name} | {phase} | {a:.1f} | {b:.1f} | {a / b:.2f}x |")
    lines.append("")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "search.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
