"""Data-parallel training under tf.distribute, on real local replicas and workers.

TensorFlow fixes its devices and its cluster once per process, so each test
runs tests/distributed_worker.py in fresh processes: MirroredStrategy over
two logical CPU devices, and MultiWorkerMirroredStrategy over two worker
processes talking gRPC on 127.0.0.1.  Both must train the model one device
trains with the same global batch, up to float rounding.

Cost (2-core machine, measured in the full suite): 9 s for the mirrored
process (shared by four tests), 10 s for the two multi-worker processes;
marked ``slow``.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from .distributed_worker import fit_all

WORKER = Path(__file__).with_name("distributed_worker.py")
TIMEOUT = 240  # seconds; a hung collective fails the test instead of the run
NAMES = ("tied_linear", "tied_deep", "sparse", "denoising", "variational", "conv_denoising")
# Float32 training whose reductions are split over two replicas.
ATOL = 1e-5


def _run(args, env=None, count=1):
    """Start ``count`` workers, wait for all (bounded), kill any left; return their results."""
    procs = []
    try:
        for i in range(count):
            out = args[1].format(i=i)
            procs.append((out, subprocess.Popen(
                [sys.executable, str(WORKER), args[0], out],
                env=env(i) if env else None, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )))
        results = []
        for out, proc in procs:
            log, _ = proc.communicate(timeout=TIMEOUT)
            assert proc.returncode == 0, log.decode(errors="replace")[-4000:]
            results.append(dict(np.load(out)))
        return results
    finally:
        for _, proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def mirrored(tmp_path_factory):
    (out,) = _run(("mirrored", str(tmp_path_factory.mktemp("mirrored") / "out.npz")))
    return out


@pytest.mark.slow
def test_mirrored_strategy_trains_the_one_device_model(mirrored):
    out = mirrored
    assert out["replicas"] == 2
    assert out["mirrored"], "variables were not created under the strategy"
    assert out["copies_agree"], "the replicas' copies of a variable drifted apart"
    for name in NAMES:
        for stage in ("fit", "partial"):
            np.testing.assert_allclose(
                out[f"{name}_{stage}"], out[f"single_{name}_{stage}"], atol=ATOL, err_msg=f"{name} {stage}"
            )
        np.testing.assert_allclose(out[f"{name}_loss"], out[f"single_{name}_loss"], rtol=1e-5, err_msg=name)
        # partial_fit trained the model's own variables (a trace reused
        # across models would have trained the first model's): it moved.
        assert np.abs(out[f"{name}_partial"] - out[f"{name}_fit"]).max() > 1e-4, name
    np.testing.assert_allclose(out["classifier"], out["single_classifier"], atol=ATOL)


@pytest.mark.slow
def test_mirrored_batch_normalisation_uses_the_global_batch(mirrored):
    # Codes and running statistics equal the one-device network's.
    np.testing.assert_allclose(mirrored["bn_mirrored"], mirrored["bn_single"], atol=1e-5)


@pytest.mark.slow
def test_mirrored_models_pickle_without_the_strategy(mirrored):
    out = mirrored
    assert out["loaded_plain"], "a model loaded outside the strategy kept distributed variables"
    np.testing.assert_array_equal(out["loaded"], out["conv_denoising_partial"])
    # Training goes on the same way with the strategy or without it.
    np.testing.assert_allclose(out["loaded_partial"], out["strategy_partial"], atol=ATOL)


@pytest.mark.slow
def test_compiled_training_is_not_shared_across_strategies(mirrored):
    out = mirrored
    # A network already compiled under one strategy is compiled again under
    # another, and trains the one-device model there.
    assert out["other_compiles"] >= 1
    np.testing.assert_allclose(out["other_fit"], out["single_tied_deep_fit"], atol=ATOL)


@pytest.mark.slow
def test_fit_inside_strategy_run_is_refused(mirrored):
    assert "strategy.scope()" in str(mirrored["inside_run_error"])


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_multi_worker_mirrored_strategy_across_two_processes(tmp_path):
    ports = [_free_port(), _free_port()]
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}

    def env(i):
        config = {"cluster": cluster, "task": {"type": "worker", "index": i}}
        return dict(os.environ, TF_CONFIG=json.dumps(config))

    workers = _run(("multiworker", str(tmp_path / "worker{i}.npz")), env=env, count=2)
    one_device = {}
    fit_all(one_device)  # here, in this process: no strategy
    for out in workers:
        assert out["replicas"] == 2
        for name in NAMES:
            for stage in ("fit", "partial"):
                np.testing.assert_allclose(
                    out[f"{name}_{stage}"], one_device[f"{name}_{stage}"], atol=ATOL, err_msg=f"{name} {stage}"
                )
    # The workers end with the same model, whichever of them saves it.
    for name in NAMES:
        np.testing.assert_array_equal(workers[0][f"{name}_partial"], workers[1][f"{name}_partial"])


def test_unsupported_strategy_is_refused():
    import tensorflow as tf

    from skae import TiedAutoencoder

    X = np.random.default_rng(0).random((20, 4))
    with tf.distribute.experimental.CentralStorageStrategy().scope():
        with pytest.raises(ValueError, match="MirroredStrategy, MultiWorkerMirroredStrategy and OneDeviceStrategy"):
            TiedAutoencoder(2, max_iter=1).fit(X)


def test_one_device_strategy_trains_the_plain_model():
    import tensorflow as tf

    from skae import DenoisingAutoencoder

    X = np.random.default_rng(0).random((50, 6))
    plain = DenoisingAutoencoder(3, max_iter=3, random_state=0).fit(X)
    with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
        one = DenoisingAutoencoder(3, max_iter=3, random_state=0).fit(X)
        np.testing.assert_allclose(one.transform(X), plain.transform(X), atol=1e-6)
