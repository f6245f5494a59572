"""What to measure on a GPU, and report: the device, training and transform throughput, memory.

The machines skae is developed on have no GPU, so skae's GPU behaviour is
not measured by the project: this script is for users who have one. It
prints

- the TensorFlow build (CUDA or not), the visible GPUs and CPU cores;
- for each network (the linear tied net, which is PCA-like, and a deep one)
  on synthetic float32 data: training samples/s over ``--epochs`` epochs
  after a first, compiling fit; ``transform`` samples/s; and the device
  memory the fit peaked at (TensorFlow's allocator, per GPU) or, on a CPU,
  the process's peak resident memory;
- with ``--strategy``, the same fits under ``tf.distribute.MirroredStrategy``
  over every GPU (or, without a GPU, two logical CPU devices, to try the
  path), against one device.

Run it as it is, and paste its output in an issue:

    python benchmarks/bench_gpu.py                    # default: 60000 x 784
    python benchmarks/bench_gpu.py --rows 200000 --strategy
    CUDA_VISIBLE_DEVICES="" python benchmarks/bench_gpu.py   # the same on the CPU

``--output FILE`` also writes the report to FILE (Markdown).
"""

LINES = []


def say(line=""):
    print(line, flush=True)
    LINES.append(line)


import argparse
import os
import platform
import resource
import sys
import time
import warnings


def describe(tf):
    build = tf.sysconfig.get_build_info()
    say(f"python {platform.python_version()}, TensorFlow {tf.__version__}, "
          f"CUDA build: {bool(build.get('is_cuda_build'))} "
          f"(CUDA {build.get('cuda_version', '-')}, cuDNN {build.get('cudnn_version', '-')})")
    gpus = tf.config.list_physical_devices("GPU")
    say(f"CPU cores: {os.cpu_count()}; GPUs visible: {len(gpus)}")
    for gpu in gpus:
        details = tf.config.experimental.get_device_details(gpu)
        say(f"  {gpu.name}: {details.get('device_name', '?')}, compute capability "
              f"{details.get('compute_capability', '?')}")
    return gpus


def peak_memory(tf, gpus):
    """Peak memory since the last reset: per GPU (MiB), or this process's peak RSS (MiB)."""
    if gpus:
        return ", ".join(
            f"GPU:{i} {tf.config.experimental.get_memory_info(f'GPU:{i}')['peak'] / 2**20:,.0f} MiB"
            for i in range(len(gpus))
        )
    try:  # Linux: the peak since reset_memory (VmHWM)
        with open("/proc/self/status") as f:
            peak = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
        return f"process peak RSS {peak / 2**10:,.0f} MiB (CPU; data included)"
    except (OSError, StopIteration):  # elsewhere: the peak since the process began
        return f"process peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:,.0f} MiB (CPU)"


def reset_memory(tf, gpus):
    for i in range(len(gpus)):
        tf.config.experimental.reset_memory_stats(f"GPU:{i}")
    if not gpus:
        try:
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")  # Linux: reset the peak resident set size to the current one
        except OSError:
            pass


def measure(tf, gpus, make, X, epochs, scope=None):
    """(training samples/s, transform samples/s, memory) of ``make()`` on X."""
    import contextlib

    with scope or contextlib.nullcontext():
        make(1).fit(X[: min(len(X), 2048)])  # compile this architecture first
        reset_memory(tf, gpus)
        model = make(epochs)
        start = time.perf_counter()
        model.fit(X)
        train = epochs * len(X) / (time.perf_counter() - start)
        memory = peak_memory(tf, gpus)
        model.transform(X[:2048])
        start = time.perf_counter()
        model.transform(X)
        infer = len(X) / (time.perf_counter() - start)
    return train, infer, memory


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--features", type=int, default=784)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--strategy", action="store_true",
                        help="also train under MirroredStrategy over every GPU (2 logical CPUs without one)")
    parser.add_argument("--output", help="also write the report to this file")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=".*hasn't converged yet")  # fixed epoch budgets
    say("# bench_gpu: " + " ".join(["python benchmarks/bench_gpu.py", *sys.argv[1:]]))
    say()

    import numpy as np

    from skae._tf import import_tensorflow

    tf = import_tensorflow()
    if args.strategy and not tf.config.list_physical_devices("GPU"):
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    gpus = describe(tf)
    from skae import TiedAutoencoder

    # Low-rank data plus noise, float32 (what the trainer reads without a copy).
    rng = np.random.default_rng(0)
    k = 32
    X = rng.standard_normal((args.rows, k), dtype=np.float32) @ rng.standard_normal(
        (k, args.features), dtype=np.float32
    )
    X += 0.1 * rng.standard_normal(X.shape, dtype=np.float32)
    say(f"data: {args.rows} x {args.features} float32 ({X.nbytes / 2**20:,.0f} MiB), "
          f"batch_size={args.batch_size}, {args.epochs} epochs timed after a compiling fit")

    nets = {
        "linear tied, 32 codes": dict(n_components=32, hidden_layer_sizes=()),
        "deep tied 512-256-32": dict(n_components=32, hidden_layer_sizes=(512, 256)),
    }
    strategies = [("one device", None)]
    if args.strategy:
        devices = [g.name.replace("physical_device:", "") for g in gpus] or ["/cpu:0", "/cpu:1"]
        strategies.append((f"MirroredStrategy over {len(devices)}", tf.distribute.MirroredStrategy(devices)))

    say()
    say("| network | run | train samples/s | transform samples/s | memory |")
    say("|---|---|---:|---:|---|")
    for name, params in nets.items():
        for label, strategy in strategies:
            def make(epochs):
                return TiedAutoencoder(**params, max_iter=epochs, batch_size=args.batch_size,
                                       learning_rate="constant", tol=0.0, random_state=0)

            train, infer, memory = measure(
                tf, gpus, make, X, args.epochs, None if strategy is None else strategy.scope()
            )
            say(f"| {name} | {label} | {train:,.0f} | {infer:,.0f} | {memory} |")
    if args.output:
        with open(args.output, "w") as f:
            f.write("\n".join(LINES) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
