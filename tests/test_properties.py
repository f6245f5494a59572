"""Property-based: any finite float array of any shape and scale goes to any
estimator, and what comes back is a clear error or a finite answer.

Arrays of 1-12 rows and 1-5 columns, float32 or float64, of ordinary
numbers at scales from 1e-30 to 1e30, with a few of float32's extremes
(+-1e38, +-3.4e38), subnormals and zeros, and constant columns.  ``fit``
either raises ``ValueError``/``TypeError`` or succeeds; then, on the
training data and on other data of the same width, ``score_samples`` and
``score`` are finite, of the right shape and dtype, and ``transform`` is too
(or raises scikit-learn's "too large for dtype('float32')" error when its
float32 result cannot hold the code).  Examples are derandomised (the same every run, so CI cannot flake)
and bounded so the file runs in about a minute.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skae import DenoisingAutoencoder, SparseAutoencoder, TiedAutoencoder, VariationalAutoencoder

F32_MAX = float(np.finfo(np.float32).max)
SPECIAL = [0.0, 1.0, -1.0, 1e38, -1e38, F32_MAX, -F32_MAX, 1e-45, -1e-45, 1e-40, 1e19, -1e19]

ESTIMATORS = {
    "tied": lambda: TiedAutoencoder(2, hidden_layer_sizes=(4,), max_iter=2, random_state=0),
    "linear": lambda: TiedAutoencoder(2, hidden_layer_sizes=(), max_iter=2, random_state=0),
    "sparse": lambda: SparseAutoencoder(2, hidden_layer_sizes=(4,), max_iter=2, random_state=0),
    "denoising": lambda: DenoisingAutoencoder(2, hidden_layer_sizes=(4,), max_iter=2, random_state=0),
    "variational": lambda: VariationalAutoencoder(2, hidden_layer_sizes=(4,), max_iter=2, random_state=0),
}


@st.composite
def arrays_of(draw, d, dtype):
    n = draw(st.integers(1, 12))
    scale = draw(st.sampled_from([1.0, 1.0, 1e-30, 1e10, 1e30]))
    X = draw(arrays(np.float64, (n, d), elements=st.floats(-1e3, 1e3, width=32))) * scale
    for _ in range(draw(st.integers(0, 2))):  # a few extreme entries
        X[draw(st.integers(0, n - 1)), draw(st.integers(0, d - 1))] = draw(st.sampled_from(SPECIAL))
    if draw(st.booleans()):  # a constant column
        X[:, draw(st.integers(0, d - 1))] = draw(st.sampled_from(SPECIAL))
    return np.clip(X, -F32_MAX, F32_MAX).astype(dtype)


@st.composite
def fit_and_new_data(draw):
    """Training data, and other data of the same width to transform and score."""
    d = draw(st.integers(1, 5))
    dtypes = st.sampled_from([np.float32, np.float64])
    return draw(arrays_of(d, draw(dtypes))), draw(arrays_of(d, draw(dtypes)))


@pytest.mark.parametrize("name", list(ESTIMATORS))
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=fit_and_new_data())
def test_any_finite_input_gives_an_error_or_a_finite_answer(name, data):
    X, X_new = data
    ae = ESTIMATORS[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning, batch-size clipping
        try:
            ae.fit(X)
        except (ValueError, TypeError) as exc:
            event(f"fit raised {type(exc).__name__}")
            return
    event("fitted")
    for A in (X, X_new):
        scores = ae.score_samples(A)
        assert scores.shape == (A.shape[0],) and scores.dtype == np.float64
        assert np.isfinite(scores).all()
        assert np.isfinite(ae.score(A))
        try:
            Z = ae.transform(A)
        except ValueError as exc:
            assert "too large for dtype('float32')" in str(exc) and A.dtype == np.float32
            event("transform: float32 overflow error")
            continue
        assert Z.shape == (A.shape[0], 2) and Z.dtype == A.dtype
        assert np.isfinite(Z).all()
