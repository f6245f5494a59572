"""The newer capabilities (partial_fit, warm_start, sample_weight, sparse
input, tf.distribute, persistence, the meta-estimators) used as a hostile
user would.  Each case was reported as it is reproduced here: lost updates
under threads, checks that sparse input or extreme weights slipped past,
fitted behaviour that followed a changed parameter, crashes, unclear errors,
and documentation that promised what the code did not do."""

import copy
import os
import pickle
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.neural_network import MLPRegressor

import skae
from skae import (
    AutoencoderClassifier,
    AutoencoderOutlierDetector,
    AutoencoderRegressor,
    DenoisingAutoencoder,
    SparseAutoencoder,
    TiedAutoencoder,
    VariationalAutoencoder,
)

from .conftest import ALL_ESTIMATORS

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def X32():
    """4000 x 32 standard normal rows, float32."""
    return np.random.default_rng(0).standard_normal((4000, 32)).astype(np.float32)


def _fitted_tied(X32):
    return TiedAutoencoder(4, hidden_layer_sizes=(32,), max_iter=1, random_state=0).fit(X32)


# == Lost updates and silent wrong results ========================================
# -- 2. two threads calling partial_fit -----------------------------------------
def _together(*calls):
    """Run the calls in threads started at once; return their exceptions (or None)."""
    barrier = threading.Barrier(len(calls))
    errors = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            call()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            errors[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    return errors


@pytest.mark.parametrize("trial", range(4))
def test_concurrent_partial_fits_both_count(X32, trial):
    # Reported: n_iter_ == 2 where 3 is right, in 4 of 4 trials: each thread
    # trained a copy of the old state and the last swap won.
    ae = _fitted_tied(X32)
    errors = _together(lambda: ae.partial_fit(X32[:2000]), lambda: ae.partial_fit(X32[2000:4000]))
    assert errors == [None, None]
    assert ae.n_iter_ == 3
    assert len(ae.loss_curve_) == 3


def test_concurrent_partial_fits_equal_the_same_calls_in_turn(X32):
    # Serialised, the result is that of the two calls one after the other,
    # in one of the two orders.
    ae = _fitted_tied(X32)
    _together(lambda: ae.partial_fit(X32[:2000]), lambda: ae.partial_fit(X32[2000:4000]))
    first, second = _fitted_tied(X32), _fitted_tied(X32)
    first.partial_fit(X32[:2000]).partial_fit(X32[2000:4000])
    second.partial_fit(X32[2000:4000]).partial_fit(X32[:2000])
    codes = ae.transform(X32)
    assert any(np.array_equal(codes, other.transform(X32)) for other in (first, second))


# -- 3. a failing partial_fit must not undo another thread's -------------------------
def test_a_failing_partial_fit_does_not_undo_another_threads(X32):
    # Reported: thread A's diverging partial_fit restored the whole __dict__
    # saved at its start, over thread B's successful call: n_iter_ == 1.
    ae = _fitted_tied(X32)
    errors = [None, None]
    huge = np.full((30000, 32), 1e20, np.float32)

    def a():
        try:
            ae.partial_fit(huge)
        except ValueError as exc:
            errors[0] = exc

    def b():
        time.sleep(0.05)
        ae.partial_fit(X32[:200])

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert isinstance(errors[0], ValueError) and "diverged" in str(errors[0])
    assert ae.n_iter_ == 2
    assert len(ae.loss_curve_) == 2


def test_the_lock_does_not_get_in_the_way_of_copies(X32):
    ae = _fitted_tied(X32)
    for other in (pickle.loads(pickle.dumps(ae)), copy.deepcopy(ae), copy.copy(ae)):
        np.testing.assert_array_equal(other.transform(X32), ae.transform(X32))
        other.partial_fit(X32[:200])
        assert other.n_iter_ == 2
    assert ae.n_iter_ == 1  # the copies trained their own state
    assert clone(ae).get_params() == ae.get_params()
    # A deep copy taken while another thread trains is a whole model.
    result = {}
    errors = _together(lambda: ae.partial_fit(X32), lambda: result.setdefault("copy", copy.deepcopy(ae)))
    assert errors == [None, None]
    assert result["copy"].n_iter_ in (1, 2)
    assert result["copy"].transform(X32[:5]).shape == (5, 4)


# -- 4. sparse input with duplicate entries ------------------------------------------
def _with_duplicate(X, value, dtype=np.float64):
    """X (dense, in [0, 1]) as a CSR matrix whose row 0 also stores two
    entries of ``value`` at column 0 (duplicates: they add up when densified)."""
    csr = sp.csr_matrix(X, dtype=dtype)
    row0 = slice(csr.indptr[0], csr.indptr[1])
    data = np.concatenate([[value, value], csr.data[row0][csr.indices[row0] != 0], csr.data[csr.indptr[1]:]])
    indices = np.concatenate([[0, 0], csr.indices[row0][csr.indices[row0] != 0], csr.indices[csr.indptr[1]:]])
    indptr = csr.indptr - csr.indptr[1] + (2 + (csr.indices[row0] != 0).sum())
    indptr[0] = 0
    out = sp.csr_matrix((data.astype(dtype), indices, indptr), shape=X.shape)
    assert not out.has_canonical_format
    return out


def test_duplicate_entries_cannot_bypass_the_unit_range_check(digits01):
    X = _with_duplicate(digits01[:300], 0.7)
    assert X.toarray()[0, 0] == pytest.approx(1.4)  # what training would see
    ae = TiedAutoencoder(4, loss="binary_crossentropy", max_iter=2, random_state=0)
    with pytest.raises(ValueError, match=r"needs X in \[0, 1\].*1\.4"):
        ae.fit(X)
    ae.fit(digits01[:300])
    with pytest.raises(ValueError, match=r"needs X in \[0, 1\].*1\.4"):
        ae.score_samples(X)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_duplicate_entries_cannot_bypass_the_float32_range_check(digits01, dtype):
    # Reported: two entries of 2.5e38 gave "training diverged" instead of
    # the "too large for float32" error.
    X = _with_duplicate(digits01[:300], 2.5e38, dtype)
    ae = TiedAutoencoder(4, max_iter=2, random_state=0)
    with pytest.raises(ValueError, match=r"too large for dtype\('float32'\)"):
        ae.fit(X)
    ae.fit(digits01[:300])
    with pytest.raises(ValueError, match=r"too large for dtype\('float32'\)"):
        ae.transform(X)


def test_duplicate_entries_that_stay_in_range_are_accepted(digits01):
    X = _with_duplicate(digits01[:300], 0.25)  # 0.5 once summed
    ae = TiedAutoencoder(4, loss="binary_crossentropy", max_iter=2, random_state=0).fit(X)
    dense = TiedAutoencoder(4, loss="binary_crossentropy", max_iter=2, random_state=0).fit(X.toarray())
    np.testing.assert_allclose(ae.transform(X), dense.transform(X.toarray()), rtol=1e-5, atol=1e-6)


def test_the_range_check_copies_no_canonical_matrix():
    rng = np.random.default_rng(0)
    X = sp.random(20000, 1000, density=0.1, format="csr", random_state=0, dtype=np.float64)
    assert X.has_canonical_format and X.data.nbytes == 16_000_000
    from skae._checks import _check_unit_range

    tracemalloc.start()
    try:
        _check_unit_range(X, "binary_crossentropy")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    del rng


# -- 5. sample weights whose sum overflows ----------------------------------------------
def test_weights_whose_sum_overflows_still_train(digits):
    # Reported: w / w.mean() was 0 for every row; the loss was the L2 term alone.
    w = np.ones(len(digits))
    w[:2] = 1e308
    with np.errstate(over="ignore"):
        assert not np.isfinite(w.sum())
    ae = TiedAutoencoder(4, hidden_layer_sizes=(16,), max_iter=3, random_state=0).fit(digits, sample_weight=w)
    assert ae.loss_curve_[0] > 0.05  # a reconstruction error, not alpha's term alone
    # The same relative weights at a sane scale give the same model.
    w_small = np.full(len(digits), 2e-308)
    w_small[:2] = 2.0
    same = TiedAutoencoder(4, hidden_layer_sizes=(16,), max_iter=3, random_state=0).fit(
        digits, sample_weight=w_small
    )
    np.testing.assert_allclose(ae.transform(digits), same.transform(digits), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("Estimator", [AutoencoderClassifier, AutoencoderRegressor])
def test_meta_estimator_weights_whose_sum_overflows_still_train(digits, Estimator):
    y = np.tile(np.arange(10), 180)[: len(digits)]
    w = np.ones(len(digits))
    w[:2] = 1e308
    ae = TiedAutoencoder(4, max_iter=2, random_state=0)
    est = Estimator(ae, max_iter=3, random_state=0).fit(digits, y, sample_weight=w)
    assert np.isfinite(est.loss_curve_).all()
    # Reported alike: losses of 0.007 (alpha's term alone) where a real fit's are about 2.
    assert est.loss_curve_[0] > 0.05
    assert est.autoencoder_.loss_curve_[0] > 0.05


# -- 6. fitted behaviour uses the fitted width --------------------------------------------
@pytest.mark.parametrize("Estimator", ALL_ESTIMATORS)
@pytest.mark.parametrize("hidden", [(), (8,)], ids=["shallow", "deep"])
def test_set_params_after_fit_does_not_change_the_fitted_width(digits, Estimator, hidden):
    pd = pytest.importorskip("pandas")
    ae = Estimator(n_components=2, hidden_layer_sizes=hidden, max_iter=2, random_state=0).fit(digits)
    ae.set_params(n_components=3)
    codes = ae.transform(digits)
    assert codes.shape == (len(digits), 2)
    assert ae.inverse_transform(codes).shape == digits.shape
    with pytest.raises(ValueError, match="expecting 2 features"):
        ae.inverse_transform(np.zeros((5, 3)))
    names = ae.get_feature_names_out()
    assert len(names) == 2
    ae.set_output(transform="pandas")
    frame = ae.transform(pd.DataFrame(digits))
    assert list(frame.columns) == list(names)
    if Estimator is VariationalAutoencoder:
        assert ae.sample(4, random_state=0).shape == (4, digits.shape[1])


def test_a_refused_partial_fit_leaves_a_consistent_model(digits):
    ae = TiedAutoencoder(2, hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(digits)
    ae.set_params(n_components=3)
    with pytest.raises(ValueError, match="n_components"):
        ae.partial_fit(digits)
    assert ae.inverse_transform(ae.transform(digits)).shape == digits.shape
    assert len(ae.get_feature_names_out()) == 2


# == Crashes and memory ==================================================================
# -- 7. a later tf.distribute strategy -----------------------------------------------------
STRATEGIES = textwrap.dedent(
    """
    import pickle, numpy as np, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from skae import TiedAutoencoder
    X = np.random.default_rng(0).standard_normal((600, 16)).astype(np.float32)
    e = TiedAutoencoder(4, hidden_layer_sizes=(8,), max_iter=1, random_state=0)
    with tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]).scope():
        e.partial_fit(X)
    with tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]).scope():
        e.partial_fit(X)
        blob = pickle.dumps(e)
    e.partial_fit(X)  # and with no strategy
    again = pickle.loads(blob)
    with tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]).scope():
        again.fit(X)  # a fit under a third strategy, then used outside it
    assert e.n_iter_ == 3, e.n_iter_
    assert pickle.loads(pickle.dumps(e)).transform(X).shape == (600, 4)
    assert np.isfinite(again.transform(X)).all()
    print("OK")
    """
)


@pytest.mark.slow
def test_a_second_strategy_can_continue_and_save_the_model():
    # Reported: "Mixing different tf.distribute.Strategy objects" from the
    # second partial_fit, and from pickle.dumps inside another strategy.
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run(
        [sys.executable, "-c", STRATEGIES], capture_output=True, text=True, timeout=240, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("OK")


# -- 8. sparse inference memory -------------------------------------------------------
def _status(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith(field))


def _reset_peak_rss():
    """Reset the process's peak resident memory (Linux); return the current one."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    return _status("VmRSS:")


def _peak_rss():
    return _status("VmHWM:")


def test_sparse_inference_memory_is_bounded_by_entries():
    # Reported: transform plus score_samples of a 16384 x 2000 CSR matrix of
    # 0.14 MB cost +1018 MiB; width 20000 was killed at +6 GB.
    width = 20000
    train = sp.random(300, width, density=1e-3, format="csr", random_state=0, dtype=np.float64)
    ae = TiedAutoencoder(4, hidden_layer_sizes=(8,), max_iter=1, random_state=0).fit(train)
    # (sp.random takes about a minute for this shape with SCIPY_ARRAY_API=1, as conftest sets it.)
    rng = np.random.default_rng(1)
    nnz = 32768
    X = sp.csr_matrix(
        (rng.random(nnz), (rng.integers(0, 16384, nnz), rng.integers(0, width, nnz))), shape=(16384, width)
    )
    ae.transform(X[:10])  # compiled before measuring
    before = _reset_peak_rss()
    codes = ae.transform(X)
    scores = ae.score_samples(X)
    peak = _peak_rss() - before
    assert codes.shape == (16384, 4) and scores.shape == (16384,)
    # Before: +10001 MiB (16384 rows densified at once, twice). Now measured
    # +209 MiB: float64 chunks of about 4M entries (33 MB), TensorFlow's copy,
    # and score_samples' reconstruction of the chunk and its squared error.
    assert peak < 400 * 2**20, f"+{peak / 2**20:.0f} MiB"
    # And the chunked result is the dense one.
    rows = X[:50].toarray()
    np.testing.assert_allclose(codes[:50], ae.transform(rows), rtol=1e-6, atol=1e-7)


# -- 9. verbose output with no stdout ------------------------------------------------------
@pytest.mark.parametrize("verbose", [1, 2])
def test_verbose_with_no_stdout(digits, monkeypatch, verbose):
    # Reported: AttributeError: 'NoneType' object has no attribute 'write'
    # (pythonw, services), where MLPRegressor(verbose=True) works.
    monkeypatch.setattr(sys, "stdout", None)
    MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, verbose=True).fit(digits, digits[:, 0])
    ae = TiedAutoencoder(4, hidden_layer_sizes=(16, 8), pretraining="greedy", max_iter=6,
                         learning_rate="adaptive", verbose=verbose, random_state=0)
    ae.fit(digits)
    ae.partial_fit(digits)
    assert ae.n_iter_ == 7
    clf = AutoencoderClassifier(TiedAutoencoder(4, max_iter=1, verbose=verbose), max_iter=2, verbose=verbose)
    clf.fit(digits, np.arange(len(digits)) % 3)


def test_no_stdout_or_stderr_from_the_first_import_on():
    # pythonw: both streams are None before TensorFlow is first imported.
    code = textwrap.dedent(
        """
        import sys
        sys.stdout = sys.stderr = None
        import numpy as np
        from skae import TiedAutoencoder
        X = np.random.default_rng(0).standard_normal((300, 8))
        ae = TiedAutoencoder(2, hidden_layer_sizes=(4,), max_iter=2, verbose=2).fit(X)
        ae.partial_fit(X)
        sys.__stdout__.write(f"n_iter_={ae.n_iter_}")
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.endswith("n_iter_=3")


# -- 10. a duck-typed scorer in the outlier detector -------------------------------------------
class MeanScorer:
    """An estimator with fit and score_samples only (no n_features_in_):
    minus the distance to the training mean."""

    def fit(self, X, y=None):
        self.mean = np.asarray(X).mean(axis=0)
        return self

    def score_samples(self, X):
        return -np.linalg.norm(np.asarray(X) - self.mean, axis=1)

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self


def test_outlier_detector_with_a_duck_typed_scorer(digits):
    # Reported: AttributeError: 'MeanScorer' object has no attribute 'n_features_in_'.
    detector = AutoencoderOutlierDetector(MeanScorer(), contamination=0.1).fit(digits)
    assert detector.n_features_in_ == digits.shape[1]
    labels = detector.predict(digits)
    assert abs((labels == -1).mean() - 0.1) < 0.01
    far = digits.mean(axis=0) + 100.0
    assert detector.predict(far[None, :]).tolist() == [-1]
    with pytest.raises(ValueError, match="features"):
        detector.predict(digits[:, :10])


# == Unclear errors ================================================================================
# -- 11. string labels with -1 for the unlabelled rows -------------------------------------------
def test_string_labels_with_minus_one_for_unlabelled(digits):
    # Reported: "Unknown label type: unknown. Maybe ... regression target".
    names = np.array(["zero", "one", "two"], dtype=object)
    y = names[np.arange(len(digits)) % 3].copy()
    y[300:] = -1  # SelfTrainingClassifier's convention: object dtype, -1 unlabelled
    clf = AutoencoderClassifier(TiedAutoencoder(4, max_iter=2, random_state=0), max_iter=3, random_state=0)
    clf.fit(digits, y)
    assert sorted(clf.classes_) == ["one", "two", "zero"]
    assert set(clf.predict(digits)) <= {"zero", "one", "two"}


def test_a_string_minus_one_is_not_taken_for_a_label(digits):
    y = np.array(["a", "b", "-1"])[np.arange(len(digits)) % 3]
    clf = AutoencoderClassifier(TiedAutoencoder(4, max_iter=1, random_state=0), max_iter=1)
    with pytest.raises(ValueError, match="dtype object"):
        clf.fit(digits, y)


# -- 12. warm_start and partial_fit: what may change ------------------------------------------------
@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
def test_a_refused_change_names_the_parameter(digits, how):
    ae = TiedAutoencoder(2, hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(digits)
    ae.set_params(n_components=3, warm_start=True)
    with pytest.raises(ValueError, match="n_components changed from 2 to 3"):
        ae.fit(digits) if how == "warm_start" else ae.partial_fit(digits)
    ae.set_params(n_components=2, hidden_layer_sizes=(8, 4))
    with pytest.raises(ValueError, match=r"hidden_layer_sizes changed from \(8,\) to \(8, 4\)"):
        ae.fit(digits) if how == "warm_start" else ae.partial_fit(digits)


@pytest.mark.parametrize("how", ["warm_start", "partial_fit"])
@pytest.mark.parametrize(
    "Estimator, change",
    [
        (TiedAutoencoder, {"alpha": 0.5}),
        (TiedAutoencoder, {"layer_loss_weight": 1.0}),
        (DenoisingAutoencoder, {"noise_level": 0.9}),
        (SparseAutoencoder, {"sparsity_weight": 2.0}),
        (VariationalAutoencoder, {"beta": 4.0}),
    ],
    ids=["alpha", "layer_loss_weight", "noise_level", "sparsity_weight", "beta"],
)
def test_changes_that_keep_the_shapes_are_allowed_and_take_effect(digits, Estimator, change, how):
    def fitted():
        return Estimator(n_components=2, hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(digits)

    kept, changed = fitted(), fitted()
    changed.set_params(**change)
    for ae in (kept, changed):
        ae.set_params(warm_start=True, max_iter=2)
        ae.fit(digits) if how == "warm_start" else ae.partial_fit(digits)
    assert changed.n_iter_ == kept.n_iter_ == (4 if how == "warm_start" else 3)
    assert not np.allclose(changed.transform(digits), kept.transform(digits))


# -- 13. tampered saves ------------------------------------------------------------------------
def _saved(digits):
    ae = TiedAutoencoder(2, hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(digits)
    return ae, ae.__getstate__()


def _load(cls, state):
    est = cls.__new__(cls)
    est.__setstate__(state)
    return est


@pytest.mark.parametrize(
    "key", ["spec", "weights", "optimizer", "learning_rate", "rng", "epoch", "schedule_epoch", "memory"]
)
def test_a_save_missing_part_of_its_state_is_refused(digits, key):
    _, state = _saved(digits)
    del state["_skae_state"]["training"][key]
    with pytest.raises(ValueError, match="saved TiedAutoencoder.*(missing|damaged)"):
        _load(TiedAutoencoder, state)


@pytest.mark.parametrize("part", ["m", "v", "powers"])
def test_non_finite_optimizer_state_is_refused_at_load(digits, part):
    # Reported: NaN in Adam's moments loaded, and later failed with
    # "diverged ... scale the input".
    _, state = _saved(digits)
    optimizer = state["_skae_state"]["training"]["optimizer"]
    if part == "powers":
        optimizer["powers"][0] = np.nan
    else:
        optimizer[part]["encoder"][0]["kernel"][0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        _load(TiedAutoencoder, state)


def test_a_save_relabelled_as_another_class_is_refused(digits):
    # Reported: a TiedAutoencoder pickle relabelled as VariationalAutoencoder
    # loaded; transform and sample() ran and get_params raised AttributeError.
    _, state = _saved(digits)
    with pytest.raises(ValueError, match="TiedAutoencoder.*not a VariationalAutoencoder"):
        _load(VariationalAutoencoder, copy.deepcopy(state))
    with pytest.raises(ValueError, match="not a SparseAutoencoder"):
        _load(SparseAutoencoder, copy.deepcopy(state))


def test_a_save_without_its_class_tag_is_still_checked_against_the_class(digits):
    # A save from before the class tag: the network's kind and the class's
    # parameters are checked instead.
    _, state = _saved(digits)
    del state["_skae_state"]["estimator"]
    with pytest.raises(ValueError, match="VariationalAutoencoder is damaged.*parameters .*beta"):
        _load(VariationalAutoencoder, copy.deepcopy(state))
    for param in VariationalAutoencoder._get_param_names():
        state.setdefault(param, VariationalAutoencoder().get_params()[param])
    with pytest.raises(ValueError, match="not a variational autoencoder"):
        _load(VariationalAutoencoder, state)


def test_a_save_relabelled_in_the_pickle_stream_is_refused(digits):
    ae, _ = _saved(digits)
    blob = pickle.dumps(ae, protocol=2)  # the class by module and name, in text
    tampered = blob.replace(b"skae._tied\nTiedAutoencoder", b"skae._sparse\nSparseAutoencoder")
    assert tampered != blob
    with pytest.raises(ValueError, match="not a SparseAutoencoder"):
        pickle.loads(tampered)


def test_a_meta_estimator_save_is_checked_too(digits):
    y = np.arange(len(digits)) % 3
    clf = AutoencoderClassifier(TiedAutoencoder(2, max_iter=1, random_state=0), max_iter=1).fit(digits, y)
    state = clf.__getstate__()
    spec, weights = state["_skae_network"]
    weights["head"][0]["kernel"][0, 0] = np.inf
    with pytest.raises(ValueError, match="saved AutoencoderClassifier is damaged.*NaN or infinity"):
        _load(AutoencoderClassifier, state)
    reg_state = clf.__getstate__()
    with pytest.raises(ValueError, match="not an AutoencoderRegressor's"):
        _load(AutoencoderRegressor, reg_state)


def test_an_untampered_save_still_loads(digits):
    ae, _ = _saved(digits)
    again = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(again.transform(digits), ae.transform(digits))


# -- 14. a loss term's weight that overflows ------------------------------------------------------
@pytest.mark.parametrize(
    "Estimator, params, name",
    [
        (TiedAutoencoder, {"layer_loss_weight": 1e300}, "layer_loss_weight"),
        (TiedAutoencoder, {"layer_loss_weight": 1e38}, "layer_loss_weight"),
        (SparseAutoencoder, {"sparsity_weight": 1e300}, "sparsity_weight"),
        (VariationalAutoencoder, {"beta": 1e300}, "beta"),
        (TiedAutoencoder, {"alpha": 1e300}, "alpha"),
    ],
)
def test_an_overflowing_loss_weight_is_named(digits, Estimator, params, name):
    # Reported: "diverged ... scale the input / lower learning_rate_init".
    ae = Estimator(n_components=2, hidden_layer_sizes=(8,), max_iter=2, random_state=0, **params)
    with pytest.raises(ValueError, match=name) as info:
        ae.fit(digits)
    assert "scale the input" not in str(info.value).lower()


def test_diverging_on_data_still_names_the_data(digits):
    ae = TiedAutoencoder(2, hidden_layer_sizes=(8,), learning_rate_init=1e3, max_iter=3, random_state=0)
    with pytest.raises(ValueError, match="Scale the input"):
        ae.fit(digits)


# == Documentation that does not match behaviour ===================================================
# -- 15. the linear net's partial_fit and sparse input -----------------------------------------
def test_what_the_guide_says_of_the_linear_net_holds(digits):
    # Reported: the guide said "bit for bit" of 4x partial_fit against fit
    # and of sparse against dense input, for every estimator.  The linear
    # net trains the same weights bit for bit; its Rayleigh-Ritz finish
    # (components_) is equal to rounding from sparse input, and after
    # partial_fit it is made from the running scatter: an approximation.
    kw = dict(n_components=4, hidden_layer_sizes=(), tol=0, n_iter_no_change=10**6, random_state=0)
    fit = TiedAutoencoder(max_iter=4, **kw).fit(digits)
    parts = TiedAutoencoder(max_iter=4, **kw)
    for _ in range(4):
        parts.partial_fit(digits)
    sparse = TiedAutoencoder(max_iter=4, **kw).fit(sp.csr_matrix(digits))

    def trained(ae):
        return ae._training_state.net.get_weights()["encoder"][0]["kernel"]

    np.testing.assert_array_equal(trained(parts), trained(fit))
    np.testing.assert_array_equal(trained(sparse), trained(fit))
    np.testing.assert_allclose(sparse.components_, fit.components_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(sparse.transform(digits), fit.transform(digits), rtol=0, atol=1e-12)
    # After partial_fit: components in the trained subspace, close to fit's.
    Q = np.linalg.qr(trained(parts))[0]
    np.testing.assert_allclose(parts.components_ @ Q @ Q.T, parts.components_, atol=1e-6)  # a float32 kernel
    assert parts.score(digits) > 1.05 * fit.score(digits)  # scores are negative errors
    text = " ".join((DOCS / "user_guide" / "incremental.rst").read_text().split())
    assert "approximate those of ``fit`` rather than equal them" in text
    assert "equal to rounding" in text


# -- 16. n_samples_seen_, mean_activation_, and greedy pretraining's budget ---------------------------
def test_n_samples_seen_counts_rows_as_documented(digits):
    X = digits[:120]
    ae = TiedAutoencoder(4, hidden_layer_sizes=(), max_iter=2, random_state=0).fit(X, sample_weight=np.full(120, 2.0))
    assert ae.n_samples_seen_ == 120
    ae.partial_fit(X, sample_weight=np.r_[np.full(60, 3.0), np.zeros(60)])
    assert ae.n_samples_seen_ == 180  # rows of non-zero weight
    doc = " ".join(TiedAutoencoder.__doc__.split())
    assert "rows of non-zero weight" in doc and "the sum of the weights" not in doc


def test_mean_activation_after_partial_fit_is_as_documented(digits):
    ae = SparseAutoencoder(8, max_iter=2, random_state=0).fit(digits[:900])
    ae.partial_fit(digits[900:])
    np.testing.assert_allclose(ae.mean_activation_, ae.transform(digits[900:]).mean(axis=0), rtol=1e-6)
    assert "the last call" in " ".join(SparseAutoencoder.__doc__.split())


@pytest.mark.parametrize("max_iter", [1, 2, 3, 4, 5, 6, 7, 12])
def test_greedy_pretraining_keeps_within_max_iter(digits, max_iter):
    # Reported: pretraining='greedy' with max_iter=1 ran 5 epochs.
    ae = TiedAutoencoder(4, hidden_layer_sizes=(16, 8), pretraining="greedy", max_iter=max_iter, tol=0,
                         random_state=0).fit(digits)
    assert ae.n_iter_ <= max_iter
    n_layers = 3
    if max_iter >= 2 * n_layers:
        assert len(ae.pretraining_loss_curves_) == n_layers
        assert len(ae.loss_curve_) == ae.n_iter_ - sum(map(len, ae.pretraining_loss_curves_))
    else:
        assert ae.pretraining_loss_curves_ is None
