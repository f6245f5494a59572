"""What TiedAutoencoder promises, beyond scikit-learn's generic checks."""

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from skae import TiedAutoencoder


def _mse(model, X):
    return float(np.mean((model.inverse_transform(model.transform(X)) - X) ** 2))


def test_decoder_uses_the_encoder_kernel_variables(digits):
    ae = TiedAutoencoder(4, hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    ae.fit(digits)
    net = ae._network
    # Kernels exist once (encoder side); the decoder owns only its biases.
    assert net.decoder_kernels is None
    n_params = sum(v.numpy().size for v in net.trainable)
    assert n_params == (64 * 16 + 16) + (16 * 4 + 4) + (16 + 64)

    # A change to an encoder kernel is seen by the decoder, as its transpose.
    Z = np.random.default_rng(0).normal(size=(5, 4))
    W0, W1 = (W.numpy().astype(float) for W in net.encoder_kernels)
    b_dec = [b.numpy().astype(float) for b in net.decoder_biases]

    def numpy_decode(W0, W1):
        h = Z @ W1.T + b_dec[0]
        h = np.where(h > 0, h, np.expm1(h))  # ELU
        return h @ W0.T + b_dec[1]

    np.testing.assert_allclose(ae.inverse_transform(Z), numpy_decode(W0, W1), rtol=1e-5, atol=1e-5)
    new_W1 = 2.0 * W1
    net.encoder_kernels[1].assign(new_W1.astype(np.float32))
    np.testing.assert_allclose(ae.inverse_transform(Z), numpy_decode(W0, new_W1), rtol=1e-5, atol=1e-5)


def test_linear_tied_autoencoder_matches_pca_reconstruction(digits):
    k = 10
    pca = PCA(k).fit(digits)
    ae = TiedAutoencoder(
        k, hidden_layer_sizes=(), activation="identity", alpha=0.0,
        learning_rate_init=1e-2, max_iter=300, random_state=0,
    ).fit(digits)
    ratio = _mse(ae, digits) / _mse(pca, digits)
    assert 1.0 - 1e-6 <= ratio < 1.01, ratio  # PCA is optimal; we come within 1%
    assert ae.components_.shape == (k, 64)
    # The learned rows span PCA's subspace: projecting them onto it keeps them.
    P = pca.components_.T @ pca.components_
    C = ae.components_
    assert np.linalg.norm(C @ P - C) / np.linalg.norm(C) < 0.05


def test_components_only_for_linear_networks(digits):
    deep = TiedAutoencoder(2, hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(digits)
    assert not hasattr(deep, "components_")
    lin = TiedAutoencoder(2, hidden_layer_sizes=(), max_iter=2, random_state=0).fit(digits)
    assert hasattr(lin, "components_")
    lin.set_params(hidden_layer_sizes=(8,)).fit(digits)
    assert not hasattr(lin, "components_")  # not kept stale from the earlier fit


def test_deep_tied_beats_linear_at_small_code(digits):
    kw = dict(alpha=0.0, max_iter=150, random_state=0, learning_rate_init=3e-3)
    lin = TiedAutoencoder(2, hidden_layer_sizes=(), **kw).fit(digits)
    deep = TiedAutoencoder(2, hidden_layer_sizes=(64, 32), **kw).fit(digits)
    assert deep.score(digits) > lin.score(digits)


def test_binary_crossentropy_outputs_probabilities(digits01):
    ae = TiedAutoencoder(8, loss="binary_crossentropy", max_iter=20, random_state=0)
    rec = ae.fit(digits01).inverse_transform(ae.transform(digits01))
    assert rec.min() >= 0.0 and rec.max() <= 1.0
    errors = -ae.score_samples(digits01)
    # Per-sample mean binary cross-entropy, computed here from the output.
    eps = 1e-7
    r = np.clip(rec, eps, 1 - eps)
    expected = -np.mean(digits01 * np.log(r) + (1 - digits01) * np.log(1 - r), axis=1)
    np.testing.assert_allclose(errors, expected, rtol=1e-3, atol=1e-4)


def test_score_is_negative_mean_reconstruction_error(digits):
    ae = TiedAutoencoder(5, max_iter=10, random_state=0).fit(digits)
    per_sample = np.mean((ae.inverse_transform(ae.transform(digits)) - digits) ** 2, axis=1)
    np.testing.assert_allclose(ae.score_samples(digits), -per_sample, rtol=1e-6)
    assert ae.score(digits) == pytest.approx(-per_sample.mean(), rel=1e-6)


def test_anomalies_get_low_scores(digits):
    ae = TiedAutoencoder(8, max_iter=60, random_state=0).fit(digits[:1500])
    normal = ae.score_samples(digits[1500:])
    noise = ae.score_samples(np.random.default_rng(0).normal(size=(300, 64)) * digits.std())
    assert np.median(noise) < np.percentile(normal, 5)


def test_convergence_warning_at_max_iter(digits):
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        TiedAutoencoder(max_iter=2, random_state=0).fit(digits)


def test_stops_when_loss_plateaus(digits):
    ae = TiedAutoencoder(4, hidden_layer_sizes=(), tol=1e-2, n_iter_no_change=2,
                         max_iter=200, random_state=0).fit(digits)
    assert ae.n_iter_ < 200
    assert len(ae.loss_curve_) == ae.n_iter_
    assert ae.best_loss_ == min(ae.loss_curve_)
