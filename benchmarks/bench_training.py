"""Training throughput: skae's TiedAutoencoder against plain Keras and MLPRegressor.

The network is the classic tied stacked autoencoder 784-300-150-300-784
(ELU hidden layers, linear code and output, decoder kernels = encoder
kernels transposed), trained with Adam (learning rate 1e-3), batch 256,
squared error, no L2, on synthetic standardised data of 60000 x 784 (a
low-rank signal plus noise, so the loss keeps falling).

Three contenders, timed side by side in one run, each on its own fresh model:
- skae ``TiedAutoencoder``;
- Keras ``model.fit`` of the same network written the usual way, with a
  ``DenseTranspose`` layer for the tied decoder (default compile options);
- scikit-learn ``MLPRegressor(X -> X)``, which cannot tie weights, so it
  trains an untied 784-300-150-300-784 net (about twice the parameters).

For each: the wall time of a fit of ``--epochs`` epochs, and of a fit of one
epoch (tracing/compilation + one epoch); steady throughput counts the epochs
after the first.  ``--repeats`` rounds (default 3) interleave the
contenders; the table gives medians and ranges.  Writes ``benchmarks/results/training.md``.

The cost of ``verbose=2``'s live line is measured apart, where it is drawn
(epochs longer than its 1 s interval): ``--live-rows`` rows (default
200000), one model trained by ``partial_fit`` (one epoch per call) with
verbose=0 and verbose=2 alternately, ``--live-repeats`` pairs.  Whole fits of
fresh models, as in the table, differ by more than that cost from one fit to
the next on a shared machine; epochs of one model, side by side, do not.

    python benchmarks/bench_training.py            # full: 60000 rows, 6 epochs
    python benchmarks/bench_training.py --quick    # 10000 rows, 3 epochs
"""

import argparse
import contextlib
import io
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def synthetic(n, d=784, rank=40, seed=0):
    rng = np.random.default_rng(seed)
    scales = np.linspace(3.0, 0.5, rank)
    X = (rng.normal(size=(n, rank)) * scales) @ np.linalg.qr(rng.normal(size=(d, rank)))[0].T
    X += 0.3 * rng.normal(size=(n, d))
    X = (X - X.mean(0)) / X.std(0)
    return X.astype(np.float32)


def time_skae(X, batch_size, verbose=0):
    from skae import TiedAutoencoder

    def fit(n_epochs):
        ae = TiedAutoencoder(
            150, hidden_layer_sizes=(300,), activation="elu", alpha=0.0,
            batch_size=batch_size, max_iter=n_epochs, tol=0.0, n_iter_no_change=10**6,
            random_state=0, verbose=verbose,
        )
        start = time.perf_counter()
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")  # ConvergenceWarning: tol=0 on purpose
            ae.fit(X)
        seconds = time.perf_counter() - start
        assert ae.n_iter_ == n_epochs
        return seconds, ae.loss_curve_[-1]

    fit(1)  # TensorFlow import and first trace: not part of either timing
    return fit


def keras_model():
    import tensorflow as tf

    keras = tf.keras

    class DenseTranspose(keras.layers.Layer):
        """A tied decoder layer: another Dense layer's kernel, transposed."""

        def __init__(self, dense, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.dense = dense
            self.activation = keras.activations.get(activation)

        def build(self, input_shape):
            self.bias = self.add_weight(
                shape=(self.dense.kernel.shape[0],), initializer="zeros", name="bias"
            )

        def call(self, inputs):
            z = tf.matmul(inputs, self.dense.kernel, transpose_b=True)
            return self.activation(z + self.bias)

    inputs = keras.Input(shape=(784,))
    dense1 = keras.layers.Dense(300, activation="elu", kernel_initializer="he_normal")
    dense2 = keras.layers.Dense(150, kernel_initializer="glorot_uniform")
    h = dense2(dense1(inputs))
    h = DenseTranspose(dense2, activation="elu")(h)
    outputs = DenseTranspose(dense1)(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    return model


def live_line_cost(X, batch_size, repeats):
    """Epoch times of one model, verbose=0 and verbose=2 alternately:
    (pairs of seconds, live lines drawn per verbose=2 epoch)."""
    from skae import TiedAutoencoder

    ae = TiedAutoencoder(150, hidden_layer_sizes=(300,), activation="elu", alpha=0.0,
                         batch_size=batch_size, random_state=0)

    def epoch(verbose):
        out = io.StringIO()
        ae.set_params(verbose=verbose)
        start = time.perf_counter()
        with contextlib.redirect_stdout(out):
            ae.partial_fit(X)
        return time.perf_counter() - start, out.getvalue().count("\r")

    epoch(0), epoch(2)  # tracing, and the first split epoch
    pairs, drawn = [], []
    for rep in range(repeats):
        (quiet, _), (live, lines) = epoch(0), epoch(2)
        pairs.append((quiet, live))
        drawn.append(lines)
        print(f"[live {rep + 1}/{repeats}] verbose=0 {quiet:.2f} s, verbose=2 {live:.2f} s"
              f" ({lines} live lines)", flush=True)
    return pairs, drawn


def time_keras(X, batch_size):
    def fit(n_epochs):
        model = keras_model()
        start = time.perf_counter()
        hist = model.fit(X, X, batch_size=batch_size, epochs=n_epochs, shuffle=True, verbose=0)
        return time.perf_counter() - start, hist.history["loss"][-1]

    fit(1)
    return fit


def time_mlp(X, batch_size):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    def fit(n_epochs):
        mlp = MLPRegressor(
            hidden_layer_sizes=(300, 150, 300), activation="relu", alpha=0.0, batch_size=batch_size,
            max_iter=n_epochs, tol=0.0, n_iter_no_change=10**6, random_state=0,
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(X, X)
        # MLPRegressor's loss is half the squared error.
        return time.perf_counter() - start, 2 * mlp.loss_curve_[-1]

    return fit


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rows", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--mlp-epochs", type=int, default=2, help="MLPRegressor is slow: fewer epochs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--live-rows", type=int, help="rows for the live-line cost (default 200000)")
    parser.add_argument("--live-repeats", type=int, default=9)
    args = parser.parse_args()
    n = args.rows or (10000 if args.quick else 60000)
    epochs = args.epochs or (3 if args.quick else 6)
    batch_size = 256
    X = synthetic(n)

    contenders = [
        ("skae TiedAutoencoder", time_skae(X, batch_size), epochs),
        # The live in-epoch progress line (chunked epochs, redrawn every ~1 s).
        ("skae TiedAutoencoder, verbose=2", time_skae(X, batch_size, verbose=2), epochs),
        ("Keras model.fit (DenseTranspose)", time_keras(X, batch_size), epochs),
        ("MLPRegressor (untied, ReLU)", time_mlp(X, batch_size), min(args.mlp_epochs, epochs)),
    ]
    # Repeats interleave the contenders, so a noisy spell hits them alike.
    runs = {name: [] for name, _, _ in contenders}
    for rep in range(args.repeats):
        for name, fit, n_epochs in contenders:
            (t1, _), (tn, loss) = fit(1), fit(n_epochs)
            steady = (n_epochs - 1) * n / (tn - t1) if n_epochs > 1 else float("nan")
            runs[name].append((tn, n_epochs * n / tn, steady, loss))
            print(f"[{rep + 1}/{args.repeats}] {name}: {n_epochs} epochs in {tn:.2f} s"
                  f" (1 epoch: {t1:.2f} s), {steady:,.0f} samples/s after epoch 1", flush=True)
    rows = []
    for name, _, n_epochs in contenders:
        tn, overall, steady, loss = (float(np.median(c)) for c in zip(*runs[name]))
        spread = [r[2] for r in runs[name]]
        rows.append((name, n_epochs, tn, overall, steady, loss, min(spread), max(spread)))

    import sklearn
    import tensorflow as tf

    keras_steady = rows[2][4]
    ratios = [a[2] / b[2] for a, b in zip(runs[rows[0][0]], runs[rows[2][0]])]
    progress = [b[2] / a[2] for a, b in zip(runs[rows[0][0]], runs[rows[1][0]])]
    lines = [
        "# Training throughput",
        "",
        f"784-300-150 tied autoencoder, ELU, Adam 1e-3, batch {batch_size}, {n} x 784 synthetic float32.",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} CPUs, "
        f"TensorFlow {tf.__version__}, Keras {tf.keras.__version__}, scikit-learn {sklearn.__version__}, "
        f"devices: {', '.join(d.device_type for d in tf.config.list_physical_devices())}.",
        "",
        f"Medians of {args.repeats} interleaved repeats; the range of the after-epoch-1 throughput in brackets.",
        "",
        "| trainer | epochs | fit time (s) | samples/s (whole fit) | samples/s (after epoch 1) | vs Keras (after epoch 1) | final train MSE |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, n_epochs, tn, overall, steady, loss, lo, hi in rows:
        lines.append(
            f"| {name} | {n_epochs} | {tn:.2f} | {overall:,.0f} | {steady:,.0f} [{lo:,.0f}-{hi:,.0f}] | "
            f"{steady / keras_steady:.2f}x | {loss:.4f} |"
        )
    lines += [
        "",
        "Steady throughput excludes the first epoch (tracing/compilation), measured as "
        "(epochs - 1) x rows / (fit(epochs) - fit(1)) on fresh models. skae / Keras within each repeat: "
        + ", ".join(f"{r:.2f}x" for r in ratios) + ". verbose=2 / verbose=0 within each repeat: "
        + ", ".join(f"{r:.3f}x" for r in progress) + ".",
    ]
    live_rows = args.live_rows or (50000 if args.quick else 200000)
    pairs, drawn = live_line_cost(synthetic(live_rows), batch_size, args.live_repeats)
    pair_ratios = sorted(quiet / live for quiet, live in pairs)
    quiet_med = float(np.median([q for q, _ in pairs]))
    live_med = float(np.median([v for _, v in pairs]))
    lines += [
        "",
        "## Cost of verbose=2's live line",
        "",
        f"One model, {live_rows} x 784 rows, `partial_fit` epochs alternately with verbose=0 and"
        f" verbose=2 ({args.live_repeats} pairs; {min(drawn)}-{max(drawn)} live lines drawn per"
        " verbose=2 epoch).",
        "",
        "| | verbose=0 | verbose=2 |",
        "|---|---:|---:|",
        f"| median epoch (s) | {quiet_med:.2f} | {live_med:.2f} |",
        f"| samples/s | {live_rows / quiet_med:,.0f} | {live_rows / live_med:,.0f} |",
        "",
        f"verbose=2 / verbose=0 throughput, median of the pairs: {float(np.median(pair_ratios)):.3f}x"
        f" (pairs from {pair_ratios[0]:.3f}x to {pair_ratios[-1]:.3f}x).",
    ]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    name = "training_quick.md" if args.quick else "training.md"
    (RESULTS / name).write_text(text)


if __name__ == "__main__":
    main()
