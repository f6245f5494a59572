"""Incremental, sparse and out-of-core training: what they cost and what they reach.

Three measurements, each in its own subprocess so that its peak resident
memory (``ru_maxrss``) is its own:

1. ``pca``: the linear ``TiedAutoencoder`` trained by ``partial_fit`` over
   70000 x 784 synthetic data (the spectrum of ``bench_pca.py``) in 20
   chunks, against ``IncrementalPCA`` over the same chunks and against
   ``fit``: MSE ratio to PCA's, and time.
2. ``sparse``: a 200000 x 50000 CSR matrix at 0.1% density (dense float32
   would be 40 GB), one epoch of a 50000-64-16 tied autoencoder; peak
   resident memory (target: under 3 GB).
3. ``memmap``: a 4,000,000 x 784 float32 ``np.memmap`` on disk (12.5 GB),
   one pass of ``partial_fit`` in chunks of 100,000 rows, against ``fit``
   of one epoch on an in-memory 400,000-row slice: throughput and peak
   resident memory (target: under 2 GB).  The file is deleted at the end.

Writes ``benchmarks/results/incremental.md``.

    python benchmarks/bench_incremental.py            # all three
    python benchmarks/bench_incremental.py --quick    # smaller sizes
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def spectrum_data(n, d, seed=0):
    """Rows with covariance eigenvalues ~ i^-1.1, randomly rotated (bench_pca's)."""
    rng = np.random.default_rng(seed)
    scales = np.arange(1, d + 1) ** -0.55
    basis = np.linalg.qr(rng.normal(size=(d, d)))[0]
    return ((rng.normal(size=(n, d)) * scales) @ basis.T).astype(np.float32)


def bench_pca(quick):
    from sklearn.decomposition import PCA, IncrementalPCA

    from skae import TiedAutoencoder

    n, d, k, n_chunks = (14000, 784, 10, 20) if quick else (70000, 784, 10, 20)
    X = spectrum_data(n, d)
    chunks = np.array_split(np.arange(n), n_chunks)
    pca = PCA(k, svd_solver="covariance_eigh").fit(X)

    def mse(model):
        return float(np.mean((model.inverse_transform(model.transform(X)) - X) ** 2))

    out = {"n": n, "d": d, "k": k, "chunks": n_chunks, "pca_mse": mse(pca)}
    start = time.perf_counter()
    ipca = IncrementalPCA(k)
    for rows in chunks:
        ipca.partial_fit(X[rows])
    out["ipca_s"], out["ipca_ratio"] = time.perf_counter() - start, mse(ipca) / out["pca_mse"]
    rows_ = []
    for passes in (1, 2, 5):
        kw = dict(hidden_layer_sizes=(), alpha=0.0, learning_rate="cosine", learning_rate_init=1e-2,
                  batch_size=1024, max_iter=passes * n_chunks, random_state=0)
        TiedAutoencoder(k, **kw).partial_fit(X[chunks[0]])  # compile before timing
        ae = TiedAutoencoder(k, **kw)
        start = time.perf_counter()
        for _ in range(passes):
            for rows in chunks:
                ae.partial_fit(X[rows])
        rows_.append((passes, time.perf_counter() - start, mse(ae) / out["pca_mse"]))
    out["ae_partial"] = rows_
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        ae = TiedAutoencoder(k, hidden_layer_sizes=(), alpha=0.0, learning_rate="cosine",
                             learning_rate_init=1e-2, batch_size=1024, max_iter=10,
                             random_state=0).fit(X)
    out["ae_fit"] = (time.perf_counter() - start, mse(ae) / out["pca_mse"])
    return out


def bench_sparse(quick):
    import scipy.sparse as sp

    from skae import TiedAutoencoder

    n, d, density = (20000, 50000, 0.001) if quick else (200000, 50000, 0.001)
    rng = np.random.default_rng(0)
    nnz = int(n * d * density)
    rows = rng.integers(0, n, size=nnz)
    cols = rng.integers(0, d, size=nnz)
    X = sp.csr_matrix((rng.random(nnz).astype(np.float32), (rows, cols)), shape=(n, d))
    X.sum_duplicates()
    base = peak_mb()
    ae = TiedAutoencoder(16, hidden_layer_sizes=(64,), max_iter=1, random_state=0)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ae.fit(X)
    seconds = time.perf_counter() - start
    Z = ae.transform(X[:1000])
    assert Z.shape == (1000, 16) and np.all(np.isfinite(Z))
    return {"n": n, "d": d, "nnz": int(X.nnz), "csr_mb": (X.data.nbytes + X.indices.nbytes
            + X.indptr.nbytes) / 2**20, "dense_gb": n * d * 4 / 2**30, "seconds": seconds,
            "samples_per_s": n / seconds, "peak_mb": peak_mb(), "peak_before_fit_mb": base,
            "loss": ae.loss_curve_[-1]}


def bench_memmap(quick):
    from skae import TiedAutoencoder

    n, d, chunk = (400000, 784, 100000) if quick else (4000000, 784, 100000)
    path = Path(tempfile.mkdtemp()) / "X.f32"
    try:
        start = time.perf_counter()
        with open(path, "wb") as f:
            for i in range(0, n, chunk):
                f.write(spectrum_data(min(chunk, n - i), d, seed=i).tobytes())
        write_s = time.perf_counter() - start
        kw = dict(n_components=32, hidden_layer_sizes=(256,), batch_size=256, random_state=0)
        ae = TiedAutoencoder(**kw)
        base = peak_mb()
        start = time.perf_counter()
        for i in range(0, n, chunk):
            # A fresh mapping per chunk, dropped after it: pages read stay
            # out of the process once it moves on.
            part = np.memmap(path, np.float32, "r", offset=i * d * 4, shape=(min(chunk, n - i), d))
            ae.partial_fit(part)
            del part
        memmap_s = time.perf_counter() - start
        memmap_peak = peak_mb()
        n_mem = min(400000, n)
        X_mem = np.fromfile(path, np.float32, count=n_mem * d).reshape(n_mem, d)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mem = TiedAutoencoder(max_iter=1, **kw)
            mem.partial_fit(X_mem[:1000])  # compile first, as the memmap run's first chunk does
            start = time.perf_counter()
            TiedAutoencoder(max_iter=1, **kw).fit(X_mem)
            mem_s = time.perf_counter() - start
    finally:
        path.unlink(missing_ok=True)
        path.parent.rmdir()
    return {"n": n, "d": d, "chunk": chunk, "file_gb": n * d * 4 / 2**30, "write_s": write_s,
            "memmap_s": memmap_s, "memmap_rate": n / memmap_s, "memmap_peak_mb": memmap_peak,
            "peak_before_mb": base, "mem_n": n_mem, "mem_s": mem_s, "mem_rate": n_mem / mem_s,
            "loss": ae.loss_curve_[-1], "deleted": not path.exists()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", choices=["pca", "sparse", "memmap"])
    args = parser.parse_args()
    if args.only:
        result = {"pca": bench_pca, "sparse": bench_sparse, "memmap": bench_memmap}[args.only](args.quick)
        print("RESULT " + json.dumps(result))
        return
    results = {}
    for name in ("pca", "sparse", "memmap"):
        cmd = [sys.executable, __file__, "--only", name] + (["--quick"] if args.quick else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        line = [l for l in proc.stdout.splitlines() if l.startswith("RESULT ")][-1]
        results[name] = json.loads(line[len("RESULT "):])
        print(name, results[name], flush=True)
    import sklearn
    import tensorflow as tf

    p, s, m = results["pca"], results["sparse"], results["memmap"]
    lines = [
        "# Incremental, sparse and out-of-core training",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} CPUs, no GPU,"
        f" TensorFlow {tf.__version__}, scikit-learn {sklearn.__version__}"
        + (" (--quick sizes)." if args.quick else "."),
        "",
        f"## partial_fit of the linear TiedAutoencoder against IncrementalPCA ({p['n']} x {p['d']},"
        f" k={p['k']}, {p['chunks']} chunks)",
        "",
        "Synthetic data with eigenvalues ~ i^-1.1 (bench_pca's). TiedAutoencoder(k, hidden_layer_sizes=(),"
        " learning_rate='cosine', learning_rate_init=1e-2, batch_size=1024, max_iter=passes x chunks).",
        "",
        "| method | passes | time (s) | MSE / PCA |",
        "|---|---:|---:|---:|",
        f"| IncrementalPCA | 1 | {p['ipca_s']:.2f} | {p['ipca_ratio']:.5f} |",
    ]
    for passes, secs, ratio in p["ae_partial"]:
        lines.append(f"| TiedAutoencoder.partial_fit | {passes} | {secs:.2f} | {ratio:.5f} |")
    lines += [
        f"| TiedAutoencoder.fit (10 epochs) | 10 | {p['ae_fit'][0]:.2f} | {p['ae_fit'][1]:.5f} |",
        "",
        f"## Sparse input: {s['n']} x {s['d']} CSR, {s['nnz']:,} non-zeros",
        "",
        f"CSR arrays: {s['csr_mb']:.0f} MB; as dense float32: {s['dense_gb']:.1f} GB."
        f" One epoch of TiedAutoencoder(16, hidden_layer_sizes=(64,)): {s['seconds']:.1f} s"
        f" ({s['samples_per_s']:,.0f} samples/s), final loss {s['loss']:.5f}.",
        f"Peak resident memory of the process: {s['peak_mb']:,.0f} MB"
        f" ({s['peak_before_fit_mb']:,.0f} MB before the fit, with the matrix built).",
        "",
        f"## Out of core: a {m['n']:,} x {m['d']} float32 memmap ({m['file_gb']:.1f} GB on disk)",
        "",
        f"Written in {m['write_s']:.0f} s. TiedAutoencoder(32, hidden_layer_sizes=(256,), batch_size=256),"
        f" one pass of partial_fit in chunks of {m['chunk']:,} rows.",
        "",
        "| run | rows | time (s) | samples/s | peak resident memory (MB) |",
        "|---|---:|---:|---:|---:|",
        f"| partial_fit over the memmap | {m['n']:,} | {m['memmap_s']:.1f} | {m['memmap_rate']:,.0f} |"
        f" {m['memmap_peak_mb']:,.0f} |",
        f"| fit, 1 epoch, in memory | {m['mem_n']:,} | {m['mem_s']:.1f} | {m['mem_rate']:,.0f} | — |",
        "",
        f"Memmap throughput / in-memory: {m['memmap_rate'] / m['mem_rate']:.2f}x. The file was deleted"
        f" afterwards: {m['deleted']}.",
    ]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / ("incremental_quick.md" if args.quick else "incremental.md")).write_text(text)


if __name__ == "__main__":
    main()
