"""What SparseAutoencoder promises: sparse codes near the target activation."""

import numpy as np
import pytest

from skae import SparseAutoencoder

KW = dict(loss="binary_crossentropy", max_iter=100, learning_rate_init=3e-3, random_state=0)


@pytest.fixture(scope="module")
def sparse_and_dense(digits01):
    # Over-complete: 128 codes for 64 pixels.
    sparse = SparseAutoencoder(128, sparsity_target=0.1, sparsity_weight=0.2, **KW).fit(digits01)
    dense = SparseAutoencoder(128, sparsity_target=0.1, sparsity_weight=0.0, **KW).fit(digits01)
    return sparse, dense


def test_mean_activation_reaches_the_target(sparse_and_dense, digits01):
    sparse, _ = sparse_and_dense
    m = sparse.mean_activation_
    assert m.shape == (128,)
    # Measured: every unit within 0.011 of 0.1 (median 0.002).
    assert np.abs(m - 0.1).max() < 0.03
    np.testing.assert_allclose(m, sparse.transform(digits01).mean(axis=0), rtol=1e-6)


def test_without_the_penalty_codes_are_far_from_sparse(sparse_and_dense):
    sparse, dense = sparse_and_dense
    # Measured: mean activation 0.52 without the penalty, 0.10 with it.
    assert dense.mean_activation_.mean() > 0.3
    assert np.abs(dense.mean_activation_ - 0.1).mean() > 10 * np.abs(sparse.mean_activation_ - 0.1).mean()


def test_codes_are_probabilities(sparse_and_dense, digits01):
    codes = sparse_and_dense[0].transform(digits01)
    assert codes.min() >= 0.0 and codes.max() <= 1.0


def test_penalty_is_finite_when_units_saturate(rng):
    # Huge inputs drive the logistic code units to exactly 0 or 1 in float32.
    X = rng.normal(size=(64, 5)) * 1e4
    ae = SparseAutoencoder(8, learning_rate_init=1e-2, max_iter=3, random_state=0).fit(X)
    assert np.all(np.isfinite(ae.loss_curve_))


def test_tied_weights_share_kernels(digits01):
    ae = SparseAutoencoder(16, hidden_layer_sizes=(32,), tied_weights=True, max_iter=2, random_state=0)
    coefs = ae.fit(digits01).coefs_
    assert [W.shape for W in coefs] == [(64, 32), (32, 16), (16, 32), (32, 64)]
    np.testing.assert_array_equal(coefs[2], coefs[1].T)
    np.testing.assert_array_equal(coefs[3], coefs[0].T)
    untied = SparseAutoencoder(16, hidden_layer_sizes=(32,), max_iter=2, random_state=0).fit(digits01)
    assert not np.allclose(untied.coefs_[3], untied.coefs_[0].T)
