"""What VariationalAutoencoder promises: a bound that scores, and samples that look like data."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from skae import PosteriorCollapseWarning, VariationalAutoencoder


@pytest.fixture(scope="module")
def split(digits01):
    return digits01[:1500], digits01[1500:]


@pytest.fixture(scope="module")
def vae(split):
    X_train, _ = split
    return VariationalAutoencoder(
        8, loss="binary_crossentropy", max_iter=100, random_state=0
    ).fit(X_train)


def test_loss_parts_are_recorded_and_kl_is_non_negative(vae):
    assert len(vae.kl_curve_) == len(vae.reconstruction_curve_) == vae.n_iter_
    assert min(vae.kl_curve_) >= 0.0
    # The total is reconstruction + beta * KL (+ a small L2 term, alpha=1e-4).
    total = np.array(vae.reconstruction_curve_) + np.array(vae.kl_curve_)
    assert np.all(np.array(vae.loss_curve_) >= total - 1e-4)
    assert np.allclose(vae.loss_curve_, total, rtol=0.02)


def test_large_beta_drives_the_kl_term_to_zero_and_warns_of_collapse(split):
    X_train, _ = split
    vae = VariationalAutoencoder(2, loss="binary_crossentropy", beta=50.0, max_iter=40, random_state=0)
    with pytest.warns(PosteriorCollapseWarning, match="2 of 2 latents") as caught:
        vae.fit(X_train)
    assert caught[0].filename == __file__
    assert vae.kl_curve_[-1] < 0.05  # measured: 0.002 nats
    assert (vae.latent_kl_ < 0.01).all()


def test_samples_look_like_digits_not_noise(vae, split):
    X_train, X_test = split
    nn = NearestNeighbors(n_neighbors=1).fit(X_train)
    samples = vae.sample(300, random_state=0)
    assert samples.shape == (300, 64) and samples.min() >= 0 and samples.max() <= 1
    d_samples = nn.kneighbors(samples)[0].mean()
    d_noise = nn.kneighbors(np.random.default_rng(0).random((300, 64)))[0].mean()
    d_real = nn.kneighbors(X_test)[0].mean()
    # Measured: samples 1.28, held-out digits 1.17, uniform noise 3.56.
    assert d_samples < 0.5 * d_noise
    assert d_samples < 1.5 * d_real


def test_elbo_is_higher_on_held_out_digits_than_on_noise(vae, split):
    _, X_test = split
    noise = np.random.default_rng(0).random((300, 64))
    # Measured: about -24 nats per held-out digit, -108 per noise image.
    assert vae.score(X_test) > vae.score(noise) + 50
    assert np.median(vae.score_samples(X_test)) > np.percentile(vae.score_samples(noise), 99)


def test_elbo_is_a_bound_made_of_its_two_terms(vae, split):
    X_train, _ = split
    # Over training data, the ELBO matches the training curves' last epoch
    # (one random draw per sample there, 16 fixed draws here).
    expected = -(vae.reconstruction_curve_[-1] + vae.kl_curve_[-1])
    assert vae.score(X_train) == pytest.approx(expected, rel=0.05)


def test_transform_is_the_deterministic_posterior_mean(vae, split):
    _, X_test = split
    np.testing.assert_array_equal(vae.transform(X_test), vae.transform(X_test))
    np.testing.assert_array_equal(vae.score_samples(X_test), vae.score_samples(X_test))
    # A row's score does not depend on the rows scored with it.
    np.testing.assert_allclose(vae.score_samples(X_test[:7]), vae.score_samples(X_test)[:7], rtol=1e-10)


def test_sample_repeats_with_the_same_random_state(vae):
    np.testing.assert_array_equal(vae.sample(5, random_state=3), vae.sample(5, random_state=3))
    assert not np.allclose(vae.sample(5, random_state=3), vae.sample(5, random_state=4))


@pytest.mark.parametrize("n_samples", [0, -1, 2.5])
def test_sample_rejects_bad_counts(vae, n_samples):
    with pytest.raises(ValueError, match="Invalid value for 'n_samples'"):
        vae.sample(n_samples)
