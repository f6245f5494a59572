"""Wrong results with no error, each reproduced as it was reported, then fixed:
divergence, overflow on large float32 input, binary cross-entropy outside
[0, 1], the float64 precision of the linear net, the fitted-state vocabulary
and where warnings point."""

import os
import subprocess
import sys
import textwrap
import tracemalloc
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.utils.validation import check_is_fitted

from skae import (
    DenoisingAutoencoder,
    SparseAutoencoder,
    TiedAutoencoder,
    VariationalAutoencoder,
)
from skae._checks import _check_float32_range

from .conftest import ALL_ESTIMATORS

FAST = dict(max_iter=3, random_state=0)


# -- 1. divergence in the last epoch ---------------------------------------------
@pytest.mark.parametrize("Estimator", [TiedAutoencoder, DenoisingAutoencoder])
@pytest.mark.parametrize("max_iter", [3, 1])
def test_divergence_in_the_last_epoch_raises(digits, Estimator, max_iter):
    # Reported: loss_curve_ = [1.16, 3.79e+26, 3.79e+26], NaN weights and
    # NaN transform, and fit returned normally.  max_iter=1: the only epoch
    # is the last.
    ae = Estimator(learning_rate_init=1e3, max_iter=max_iter)
    with pytest.raises(ValueError, match="diverged"):
        ae.fit(digits)
    with pytest.raises(NotFittedError):
        check_is_fitted(ae)


@pytest.mark.parametrize("max_iter", [3, 1])
def test_vae_at_a_huge_step_gives_an_error_or_finite_output(digits, max_iter):
    # Reported alike for the VAE.  With its calibrated decoder (log of the
    # batch's squared error) the same fit stays finite, if useless (a loss
    # near 1e17): what must never come back is NaN.
    vae = VariationalAutoencoder(learning_rate_init=1e3, max_iter=max_iter)
    try:
        vae.fit(digits)
    except ValueError as exc:
        assert "diverged" in str(exc)
        return
    weights = [w for pair in zip(vae.coefs_, vae.intercepts_) for w in pair]
    assert all(np.isfinite(w).all() for w in weights)
    assert np.isfinite(vae.transform(digits)).all() and np.isfinite(vae.score_samples(digits)).all()
    assert np.isfinite(vae.loss_curve_).all()


# -- 2. large finite float32 input -------------------------------------------------
@pytest.fixture(scope="module")
def fitted32(digits):
    X = digits.astype(np.float32)
    models = {}
    for Estimator in ALL_ESTIMATORS:
        models[Estimator.__name__] = Estimator(random_state=0, max_iter=2).fit(X)
    models["linear"] = TiedAutoencoder(hidden_layer_sizes=(), random_state=0, max_iter=2).fit(X)
    return models


@pytest.mark.parametrize("name", ["TiedAutoencoder", "SparseAutoencoder", "DenoisingAutoencoder",
                                  "VariationalAutoencoder", "linear"])
@pytest.mark.parametrize("value", [1e19, 3e38])
def test_large_float32_input_gives_finite_scores(fitted32, name, value):
    # Reported: float32 input of 1e19 gave score_samples -inf; 3e38 gave NaN
    # transform and score.
    ae = fitted32[name]
    X = np.full((3, 64), value, np.float32)
    X[1] *= -1
    X[2, ::2] = 0
    scores = ae.score_samples(X)
    assert scores.dtype == np.float64 and np.isfinite(scores).all() and (scores <= 0).all()
    assert np.isfinite(ae.score(X))
    # transform: finite, or scikit-learn's "too large" error.
    try:
        Z = ae.transform(X)
    except ValueError as exc:
        assert "too large for dtype('float32')" in str(exc)
    else:
        assert Z.dtype == np.float32 and np.isfinite(Z).all()


def test_linear_fit_on_one_huge_float32_row():
    # Reported: fit "succeeded", then transform [0, 5.5e29] and score -inf.
    X = np.array([[1e37] * 3], np.float32)
    ae = TiedAutoencoder(hidden_layer_sizes=()).fit(X)
    Z = ae.transform(X)
    np.testing.assert_array_equal(Z, 0.0)  # the row is the mean
    assert ae.score_samples(X)[0] == 0.0
    np.testing.assert_allclose(ae.inverse_transform(Z), X, rtol=1e-6)


def test_float32_output_overflow_is_a_clear_error():
    # A code beyond float32's range cannot be returned as float32.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 4)).astype(np.float32)
    ae = TiedAutoencoder(hidden_layer_sizes=(), n_components=1, random_state=0).fit(X)
    big = np.full((1, 4), 3e38, np.float32) * np.sign(ae.components_[0]).astype(np.float32)
    with pytest.raises(ValueError, match="too large for dtype\\('float32'\\)"):
        ae.transform(big)
    Z = ae.transform(big.astype(np.float64))  # float64 input: a float64 result, finite
    assert np.isfinite(Z).all()


# -- 3. binary cross-entropy outside [0, 1] -------------------------------------------
@pytest.mark.parametrize("Estimator", ALL_ESTIMATORS)
def test_binary_crossentropy_rejects_data_outside_0_1(Estimator):
    # Reported: a VAE on raw 0-16 digits trained to a loss of -6.8e7 and an
    # ELBO of +6.5e7 nats; TiedAutoencoder to a loss of -246.9.
    from sklearn.datasets import load_digits

    raw = load_digits().data
    ae = Estimator(loss="binary_crossentropy", **FAST)
    for method in (ae.fit, ae.partial_fit):
        with pytest.raises(ValueError, match=r"\[0, 1\].*MinMaxScaler"):
            method(raw)
    with pytest.raises(NotFittedError):
        check_is_fitted(ae)
    ae.fit(raw / 16)
    for method in (ae.score, ae.score_samples):
        with pytest.raises(ValueError, match=r"\[0, 1\].*MinMaxScaler"):
            method(raw)
        with pytest.raises(ValueError, match=r"\[0, 1\]"):
            method(-raw / 16)
    assert ae.transform(raw).shape == (len(raw), ae.n_components)  # transform does not need it


def test_binary_crossentropy_range_check_on_sparse_input():
    import scipy.sparse as sp

    X = sp.random(40, 10, density=0.3, format="csr", random_state=0)
    ae = TiedAutoencoder(loss="binary_crossentropy", **FAST).fit(X)  # in [0, 1]: fine
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ae.fit(X * 2)
    assert np.isfinite(ae.score(X))


# -- 4. the linear net in float64 ---------------------------------------------------------
def test_linear_transform_identity_holds_for_float64_data_far_from_zero():
    # Reported: off by 1.7-4.3% of the range with mean 1e5 and spread 0.01,
    # because the mean was folded into a float32 bias.
    rng = np.random.default_rng(0)
    X = 1e5 + 0.01 * rng.normal(size=(500, 10))
    ae = TiedAutoencoder(3, hidden_layer_sizes=(), max_iter=30, random_state=0).fit(X)
    assert ae.mean_.dtype == ae.components_.dtype == np.float64
    Z = ae.transform(X)
    expected = (X - ae.mean_) @ ae.components_.T
    assert np.abs(Z - expected).max() <= 1e-12 * np.ptp(expected)
    back = ae.inverse_transform(Z)
    np.testing.assert_allclose(back, Z @ ae.components_ + ae.mean_, rtol=0, atol=1e-12 * 1e5)
    errors = np.mean((X - back) ** 2, axis=1)
    np.testing.assert_allclose(-ae.score_samples(X), errors, rtol=1e-6)  # X - back cancels


def test_linear_transform_identity_on_digits_as_pca(digits):
    from sklearn.datasets import load_digits

    X = load_digits().data
    ae = TiedAutoencoder(5, hidden_layer_sizes=(), max_iter=5, random_state=0).fit(X)
    # Reported: off by 1e-6, where PCA is at 3e-14.
    assert np.abs(ae.transform(X) - (X - ae.mean_) @ ae.components_.T).max() < 1e-12


def test_linear_attributes_keep_float32_as_pca_does(digits):
    from sklearn.decomposition import PCA

    X = digits.astype(np.float32)
    ae = TiedAutoencoder(5, hidden_layer_sizes=(), max_iter=5, random_state=0).fit(X)
    pca = PCA(5).fit(X)
    for name in ("components_", "mean_", "explained_variance_", "explained_variance_ratio_"):
        assert getattr(ae, name).dtype == getattr(pca, name).dtype == np.float32, name
    assert ae.var_.dtype == np.float32
    Z = ae.transform(X)
    assert Z.dtype == np.float32
    np.testing.assert_allclose(Z, (X - ae.mean_) @ ae.components_.T, atol=1e-4)
    ae.partial_fit(X)
    assert ae.components_.dtype == ae.mean_.dtype == np.float32


# -- 6. peak memory of the float32 range check ---------------------------------------------
def test_float32_range_check_makes_no_full_size_temporary():
    # Reported: np.abs(X) doubled the peak memory of a float64 transform.
    X = np.random.default_rng(0).normal(size=(100_000, 64))  # 51 MB
    tracemalloc.start()
    try:
        _check_float32_range(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < X.nbytes / 20


# -- 7. other threads' stderr during TensorFlow's import ---------------------------------------
def test_first_fit_keeps_other_threads_stderr():
    # Reported: while TensorFlow was imported, fd 2 pointed at a file and
    # another thread lost 139 of 293 lines.
    code = textwrap.dedent(
        """
        import os, threading, time
        import numpy as np
        from skae import TiedAutoencoder

        done = threading.Event()
        def chatter():
            i = 0
            while not done.is_set() or i < 50:
                os.write(2, f"line {i}\\n".encode())
                i += 1
                time.sleep(0.005)
            print("written", i)
        t = threading.Thread(target=chatter)
        t.start()
        TiedAutoencoder(max_iter=1).fit(np.random.default_rng(0).normal(size=(30, 4)))
        done.set()
        t.join()
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    n = int(out.stdout.split("written")[1])
    lines = [line for line in out.stderr.splitlines() if line.startswith("line ")]
    assert sorted(lines, key=lambda s: int(s.split()[1])) == [f"line {i}" for i in range(n)]
    assert n > 100  # the thread did write while TensorFlow was being imported
    # ... and TensorFlow's start-up chatter is still silenced.
    assert "absl::InitializeLog" not in out.stderr and "oneDNN" not in out.stderr


# -- 8. the fitted-state vocabulary ------------------------------------------------------------
@pytest.mark.parametrize("Estimator", ALL_ESTIMATORS)
def test_get_feature_names_out_needs_a_fitted_estimator(digits, Estimator):
    with pytest.raises(NotFittedError):
        Estimator().get_feature_names_out()
    ae = Estimator(**FAST).fit(digits)
    assert len(ae.get_feature_names_out()) == ae.n_components
    with pytest.raises(ValueError, match="input_features"):
        ae.get_feature_names_out(input_features=["a", "b"])


@pytest.mark.parametrize("Estimator", ALL_ESTIMATORS)
def test_validation_scores_are_none_without_early_stopping(digits, Estimator):
    ae = Estimator(**FAST).fit(digits)
    assert ae.validation_scores_ is None and ae.best_validation_score_ is None


def test_n_iter_no_change_may_be_infinite(digits):
    ae = TiedAutoencoder(learning_rate="constant", n_iter_no_change=np.inf, tol=1e9, max_iter=4,
                         random_state=0)
    with pytest.warns(ConvergenceWarning):
        ae.fit(digits)
    assert ae.n_iter_ == 4  # never stops on tol: runs to max_iter, as MLP does


@pytest.mark.parametrize("params", [{"n_components": True}, {"hidden_layer_sizes": (True,)},
                                    {"hidden_layer_sizes": True}, {"hidden_layer_sizes": (8, False)}])
def test_booleans_are_not_sizes(digits, params):
    with pytest.raises((ValueError, TypeError)):
        TiedAutoencoder(**params, max_iter=1).fit(digits)


def test_sample_rejects_a_boolean(digits):
    vae = VariationalAutoencoder(**FAST).fit(digits)
    for bad in (True, False, 2.5, "3", -1):
        with pytest.raises((ValueError, TypeError), match="n_samples"):
            vae.sample(bad)
    assert vae.sample(3, random_state=0).shape == (3, digits.shape[1])
    assert vae.sample(np.int64(2), random_state=0).shape == (2, digits.shape[1])


# -- 9. warnings point at the caller ------------------------------------------------------------
def test_convergence_warning_names_the_callers_line(digits):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TiedAutoencoder(learning_rate="constant", max_iter=1, random_state=0).fit(digits)
    assert [w.filename for w in caught if w.category is ConvergenceWarning] == [__file__]


def test_batch_size_warning_names_the_callers_line(digits):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SparseAutoencoder(batch_size=10_000, max_iter=1, random_state=0).fit(digits)
        TiedAutoencoder(batch_size=10_000, random_state=0).partial_fit(digits)
    files = [w.filename for w in caught if "batch_size" in str(w.message)]
    assert files == [__file__, __file__]


def test_warnings_from_a_pipeline_name_the_callers_line(digits):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        make_pipeline(StandardScaler(), TiedAutoencoder(learning_rate="constant", max_iter=1, random_state=0)).fit(digits)
    assert [w.filename for w in caught if w.category is ConvergenceWarning] == [__file__]
