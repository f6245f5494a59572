"""What the contractive penalty costs: epoch time with and without it.

ContractiveAutoencoder(contraction=0.003) against the same network with
contraction=0, on synthetic data of MNIST's width (``--rows`` x 784, values
in [0, 1]), for the closed form (no hidden layer, 64 codes) and for the
deep estimate (one hidden layer of 256 units, 32 codes; one more backward
pass through the encoder per step).  Each fit runs ``--epochs`` epochs after
a one-epoch fit that traces the network; the two variants alternate,
``--repeats`` rounds, and the table gives medians.

    python benchmarks/bench_contractive.py                  # 20000 rows
    python benchmarks/bench_contractive.py --rows 5000 --repeats 1

Writes ``benchmarks/results/contractive_cost.md``.
"""

import argparse
import platform
import time
import warnings
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def data(n, d=784, seed=0):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 20)) @ rng.normal(size=(20, d)) / 4
    return (1 / (1 + np.exp(-latent))).astype(np.float32)


def epoch_seconds(make, X, epochs):
    make(1).fit(X)  # trace and compile
    ae = make(epochs)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ae.fit(X)
    return (time.perf_counter() - start) / epochs


def main():
    from skae import ContractiveAutoencoder

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X = data(args.rows)
    configs = {
        "one layer, 64 codes (closed form)": dict(n_components=64, hidden_layer_sizes=()),
        "784-256-32 (estimate)": dict(n_components=32, hidden_layer_sizes=(256,)),
    }
    rows = []
    for name, config in configs.items():
        times = {0.0: [], 0.003: []}
        for rep in range(args.repeats):
            for contraction in times:
                def make(epochs, contraction=contraction):
                    return ContractiveAutoencoder(contraction=contraction, max_iter=epochs, random_state=0, **config)

                times[contraction].append(epoch_seconds(make, X, args.epochs))
                print(f"[{rep + 1}/{args.repeats}] {name}, contraction={contraction}:"
                      f" {times[contraction][-1]:.2f} s/epoch", flush=True)
        off, on = np.median(times[0.0]), np.median(times[0.003])
        rows.append(f"| {name} | {off:.2f} | {on:.2f} | {on / off:.2f}× |")
    text = "\n".join([
        f"`python benchmarks/bench_contractive.py --rows {args.rows} --epochs {args.epochs}"
        f" --repeats {args.repeats}` on {platform.processor() or platform.machine()}, batch 200,"
        f" {args.rows} x 784.",
        "",
        "| network | s/epoch, contraction=0 | s/epoch, contraction=0.003 | cost |",
        "|---|---:|---:|---:|",
        *rows,
    ])
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "contractive_cost.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
