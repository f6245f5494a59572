"""skae on a real Dask cluster: search through joblib, streaming through dask-ml.

One ``distributed.LocalCluster`` for the module: 2 worker processes of one
thread each, on 127.0.0.1 only, no dashboard; the fixture shuts it down.
Every test runs under a deadline, so a hung cluster fails the test instead
of hanging the run.  Cost (2-core machine): 15-20 s for the module, most of
it each worker importing TensorFlow and compiling; marked ``slow``.
"""

import contextlib
import logging
import os
import signal

import dask.array as da
import joblib
import numpy as np
import pytest
from dask_ml.wrappers import Incremental, ParallelPostFit
from distributed import Client, LocalCluster, get_task_stream
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import minmax_scale

import skae

pytestmark = pytest.mark.slow

DEADLINE = 180  # seconds per test


@contextlib.contextmanager
def deadline(seconds):
    """Raise TimeoutError in the test if it runs longer than ``seconds``."""

    def expire(signum, frame):
        raise TimeoutError(f"the Dask test did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def client():
    with deadline(DEADLINE):
        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close(timeout=30)
        cluster.close(timeout=30)


@pytest.fixture(scope="module")
def X():
    return minmax_scale(load_digits().data[:400])


def test_the_cluster_is_local_and_has_two_worker_processes(client):
    workers = client.scheduler_info()["workers"]
    assert len(workers) == 2
    assert all(address.startswith("tcp://127.0.0.1:") for address in workers)
    pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids


def test_grid_search_on_dask_gives_the_local_cv_results(client, X):
    def search(n_jobs):
        return GridSearchCV(
            skae.TiedAutoencoder(random_state=0, max_iter=5, batch_size=50),
            {"n_components": [2, 6], "hidden_layer_sizes": [(), (16,)]},
            cv=2, n_jobs=n_jobs,
        )

    with deadline(DEADLINE):
        local = search(1).fit(X)
        with get_task_stream(client) as stream, joblib.parallel_backend("dask"):
            remote = search(-1).fit(X)
    assert len(stream.data) >= 8, "the fits did not run on the cluster"  # 4 settings x 2 folds
    assert remote.cv_results_["params"] == local.cv_results_["params"]
    np.testing.assert_array_equal(remote.cv_results_["rank_test_score"], local.cv_results_["rank_test_score"])
    for key in ("mean_test_score", "std_test_score", "split0_test_score", "split1_test_score"):
        # The same seeds and the same data: only the float rounding of a
        # one-thread worker against this process's threads may differ.
        np.testing.assert_allclose(remote.cv_results_[key], local.cv_results_[key], rtol=1e-5, err_msg=key)
    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(remote.transform(X), local.transform(X), atol=1e-5)


def test_incremental_trains_through_partial_fit_over_chunks(client, X):
    dX = da.from_array(X, chunks=(100, X.shape[1]))
    with deadline(DEADLINE):
        wrapped = Incremental(
            skae.DenoisingAutoencoder(6, random_state=0, batch_size=50), shuffle_blocks=False
        ).fit(dX)
        codes = wrapped.transform(dX)
        assert isinstance(codes, da.Array)
        codes = codes.compute()
    # The same chunks, in order, through partial_fit in this process.
    local = skae.DenoisingAutoencoder(6, random_state=0, batch_size=50)
    for start in range(0, len(X), 100):
        local.partial_fit(X[start : start + 100])
    fitted = wrapped.estimator_
    assert fitted.n_iter_ == local.n_iter_ == 4
    np.testing.assert_allclose(fitted.loss_curve_, local.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(codes, local.transform(X), atol=1e-5)


def test_parallel_post_fit_transforms_a_dask_array(client, X):
    dX = da.from_array(X, chunks=(100, X.shape[1]))
    with deadline(DEADLINE):
        wrapped = ParallelPostFit(skae.SparseAutoencoder(5, random_state=0, max_iter=5)).fit(X)
        codes = wrapped.transform(dX)
        assert isinstance(codes, da.Array) and codes.chunks[0] == (100,) * 4
        codes = codes.compute()
    # Computed on one-thread workers: equal to float64 rounding (see below).
    np.testing.assert_allclose(codes, wrapped.estimator.transform(X), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize(
    "estimator",
    [
        skae.TiedAutoencoder(4, hidden_layer_sizes=(16,), max_iter=5, random_state=0),
        skae.SparseAutoencoder(4, max_iter=5, random_state=0),
        skae.DenoisingAutoencoder(4, max_iter=5, random_state=0),
        skae.VariationalAutoencoder(3, max_iter=5, random_state=0),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_fitted_model_ships_to_the_workers_and_transforms_identically(client, X, estimator):
    model = estimator.fit(X)

    def on_worker(model, X):
        return os.getpid(), model.transform(X), model.inverse_transform(model.transform(X))

    with deadline(DEADLINE):
        results = [
            client.submit(on_worker, model, X, workers=[address], pure=False).result()
            for address in client.scheduler_info()["workers"]
        ]
    (pid_a, codes, restored), (pid_b, codes_b, restored_b) = results
    assert len({pid_a, pid_b, os.getpid()}) == 3
    # Each worker unpickled its own copy: the same bits from both.
    np.testing.assert_array_equal(codes, codes_b)
    np.testing.assert_array_equal(restored, restored_b)
    # Here, the same up to float64 rounding: TensorFlow's matmul sums in an
    # order set by its thread pool, one thread on a Dask worker, two here.
    np.testing.assert_allclose(codes, model.transform(X), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(restored, model.inverse_transform(model.transform(X)), rtol=1e-12, atol=1e-14)
