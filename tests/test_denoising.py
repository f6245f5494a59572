"""What DenoisingAutoencoder promises: noise in training only, and it denoises."""

import numpy as np
import pytest

from skae import DenoisingAutoencoder, TiedAutoencoder

KW = dict(n_components=16, hidden_layer_sizes=(128,), max_iter=100, learning_rate_init=3e-3, random_state=0)


@pytest.mark.parametrize("noise", ["gaussian", "dropout", "masking"])
def test_inference_is_deterministic(digits, noise):
    dae = DenoisingAutoencoder(4, noise=noise, noise_level=0.3, max_iter=3, random_state=0).fit(digits)
    np.testing.assert_array_equal(dae.transform(digits), dae.transform(digits))
    np.testing.assert_array_equal(dae.score_samples(digits), dae.score_samples(digits))
    # No corruption at inference: score is exactly the error of the clean round trip.
    rec = dae.inverse_transform(dae.transform(digits))
    assert dae.score(digits) == pytest.approx(-np.mean((rec - digits) ** 2), rel=1e-6)


@pytest.mark.parametrize("noise, level", [("gaussian", 0.5), ("masking", 0.3)])
def test_training_sees_corrupted_inputs(digits, noise, level):
    dae = DenoisingAutoencoder(noise=noise, noise_level=level, alpha=0.0, **{**KW, "max_iter": 30}).fit(digits)
    clean_error = -dae.score(digits)
    # The training loss is the error of reconstructing clean rows from
    # corrupted ones: clearly above the clean round-trip error of the same
    # weights (measured: 0.18 vs 0.12 for Gaussian noise after 100 epochs).
    assert dae.loss_curve_[-1] > 1.2 * clean_error


def test_zero_noise_level_is_a_plain_autoencoder(digits):
    kw = dict(n_components=4, hidden_layer_sizes=(8,), tied_weights=True, max_iter=3, random_state=0)
    plain = DenoisingAutoencoder(noise_level=0.0, **kw).fit(digits)
    tied = TiedAutoencoder(**{k: v for k, v in kw.items() if k != "tied_weights"}).fit(digits)
    np.testing.assert_allclose(plain.transform(digits), tied.transform(digits), rtol=1e-6, atol=1e-6)


def test_denoises_better_than_a_tied_autoencoder_trained_on_clean_data(digits):
    X_train, X_test = digits[:1400], digits[1400:]
    X_noisy = X_test + 0.5 * np.random.default_rng(1).normal(size=X_test.shape)
    dae = DenoisingAutoencoder(noise="gaussian", noise_level=0.5, tied_weights=True, **KW).fit(X_train)
    ae = TiedAutoencoder(**KW).fit(X_train)  # same architecture, clean training

    def error(model):
        return np.mean((model.inverse_transform(model.transform(X_noisy)) - X_test) ** 2)

    # Measured over random_state 0-3: 0.87x to 0.91x (0.199 vs 0.218 here).
    # (Masking 30% of the entries gave no reliable gain at this size:
    # 0.99x to 1.01x over the same seeds, so it is not claimed.)
    assert error(dae) < 0.95 * error(ae)


def test_noise_follows_random_state(digits):
    kw = dict(n_components=3, noise="dropout", noise_level=0.3, max_iter=3)
    a = DenoisingAutoencoder(random_state=1, **kw).fit(digits)
    b = DenoisingAutoencoder(random_state=1, **kw).fit(digits)
    assert a.loss_curve_ == b.loss_curve_
