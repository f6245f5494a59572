"""sample_weight and sparse input, on every estimator."""


import numpy as np
import pytest
import scipy.sparse as sp

from skae import TiedAutoencoder

from .conftest import ALL_ESTIMATORS

each_estimator = pytest.mark.parametrize("Estimator", ALL_ESTIMATORS, ids=lambda c: c.__name__)
LINEAR = dict(hidden_layer_sizes=())



@each_estimator
@pytest.mark.parametrize("shuffle", [False, True])
def test_zero_weight_rows_are_as_if_removed(digits, Estimator, shuffle):
    rng = np.random.default_rng(0)
    w = rng.integers(0, 3, size=len(digits)).astype(float)  # a third of them 0
    kw = dict(n_components=3, hidden_layer_sizes=(12,), max_iter=3, shuffle=shuffle, random_state=0)
    weighted = Estimator(**kw).fit(digits, sample_weight=w)
    removed = Estimator(**kw).fit(digits[w > 0], sample_weight=w[w > 0])
    np.testing.assert_array_equal(weighted.transform(digits), removed.transform(digits))
    assert weighted.loss_curve_ == removed.loss_curve_


@each_estimator
def test_weights_change_the_model_and_ones_do_not(digits, Estimator):
    kw = dict(n_components=3, hidden_layer_sizes=(12,), max_iter=3, random_state=0)
    plain = Estimator(**kw).fit(digits)
    ones = Estimator(**kw).fit(digits, sample_weight=np.full(len(digits), 2.5))
    np.testing.assert_array_equal(plain.transform(digits), ones.transform(digits))
    w = np.where(np.arange(len(digits)) % 2 == 0, 1.0, 3.0)
    weighted = Estimator(**kw).fit(digits, sample_weight=w)
    assert not np.allclose(weighted.transform(digits), plain.transform(digits))


def test_weights_pull_the_model_towards_heavy_samples(digits):
    # Rows of one kind weighted 20x: the model reconstructs them better.
    heavy = np.arange(len(digits)) < 300
    kw = dict(n_components=2, hidden_layer_sizes=(16,), max_iter=30, random_state=0)
    plain = TiedAutoencoder(**kw).fit(digits)
    weighted = TiedAutoencoder(**kw).fit(digits, sample_weight=np.where(heavy, 20.0, 1.0))
    assert weighted.score(digits[heavy]) > plain.score(digits[heavy])


def test_weighted_linear_mean_and_score(digits):
    w = np.random.default_rng(1).uniform(0.1, 2.0, size=len(digits))
    ae = TiedAutoencoder(4, max_iter=2, random_state=0, **LINEAR).fit(digits, sample_weight=w)
    np.testing.assert_allclose(ae.mean_, np.average(digits, axis=0, weights=w), atol=1e-12)
    per_sample = ae.score_samples(digits)
    assert ae.score(digits, sample_weight=w) == pytest.approx(np.average(per_sample, weights=w))


@pytest.mark.parametrize(
    "w, message",
    [
        (-np.ones(20), "Negative values in data passed to `sample_weight`"),
        (np.zeros(20), "Sample weights must contain at least one non-zero number"),
        (np.ones(19), r"sample_weight.shape == \(19,\), expected \(20,\)"),
    ],
)
def test_bad_weights(w, message):
    X = np.random.default_rng(0).normal(size=(20, 4))
    with pytest.raises(ValueError, match=message):
        TiedAutoencoder(2, max_iter=1).fit(X, sample_weight=w)


# -- sparse input -----------------------------------------------------------------
@each_estimator
@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_input_gives_the_model_of_its_dense_copy(digits01, Estimator, fmt):
    X = digits01.copy()
    X[X < 0.3] = 0.0  # sparse-ish
    S = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    kw = dict(n_components=3, hidden_layer_sizes=(12,), max_iter=3, random_state=0)
    dense = Estimator(**kw).fit(X)
    sparse = Estimator(**kw).fit(S)
    np.testing.assert_array_equal(sparse.transform(X), dense.transform(X))
    np.testing.assert_array_equal(sparse.transform(S), dense.transform(X))
    np.testing.assert_array_equal(sparse.score_samples(S), dense.score_samples(X))
    Z = sparse.transform(S)
    assert isinstance(sparse.inverse_transform(Z), np.ndarray)  # dense out
    # partial_fit too
    a, b = Estimator(**kw).partial_fit(S), Estimator(**kw).partial_fit(X)
    np.testing.assert_array_equal(a.transform(X), b.transform(X))


def test_sparse_linear_tied_matches_dense(digits01):
    S = sp.csr_matrix(np.where(digits01 < 0.3, 0.0, digits01))
    X = S.toarray()
    kw = dict(n_components=4, max_iter=3, random_state=0, **LINEAR)
    sparse, dense = TiedAutoencoder(**kw).fit(S), TiedAutoencoder(**kw).fit(X)
    np.testing.assert_allclose(sparse.mean_, dense.mean_, atol=1e-12)
    np.testing.assert_allclose(sparse.components_, dense.components_, atol=1e-6)
    np.testing.assert_allclose(sparse.transform(S), dense.transform(X), atol=1e-6)
    # Streaming sparse chunks keeps the running mean of all rows.
    inc = TiedAutoencoder(**kw)
    for rows in np.array_split(np.arange(S.shape[0]), 3):
        inc.partial_fit(S[rows])
    np.testing.assert_allclose(inc.mean_, X.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(inc.var_, X.var(axis=0), atol=1e-10)


def test_sparse_training_never_densifies_the_whole_matrix(monkeypatch, digits01):
    # Every densification goes through row chunks of the matrix: none is whole.
    calls = []
    original = sp.csr_matrix.toarray

    def toarray(self, *args, **kwargs):
        calls.append(self.shape[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sp.csr_matrix, "toarray", toarray)
    S = sp.csr_matrix(np.vstack([digits01] * 3))  # 5391 rows
    import skae._base
    from skae._tf import data

    monkeypatch.setattr(data, "CHUNK_ENTRIES", 64 * 1000)  # training: 1000 rows at a time
    monkeypatch.setattr(skae._base, "_CHUNK_SIZE", 1000)  # transform, scoring
    ae = TiedAutoencoder(3, hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(S)
    ae.transform(S)
    assert calls and max(calls) < S.shape[0]
