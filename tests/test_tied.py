"""What TiedAutoencoder promises, beyond scikit-learn's generic checks."""

import warnings

import numpy as np
import pytest
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from skae import TiedAutoencoder


def _mse(model, X):
    return float(np.mean((model.inverse_transform(model.transform(X)) - X) ** 2))


LINEAR = dict(
    hidden_layer_sizes=(), alpha=0.0, learning_rate="adaptive", learning_rate_init=3e-2,
    n_iter_no_change=2, tol=1e-5, max_iter=500, random_state=0,
)


def test_linear_tied_autoencoder_matches_pca_reconstruction(digits):
    k = 10
    pca = PCA(k).fit(digits)
    ae = TiedAutoencoder(k, **LINEAR).fit(digits)
    ratio = _mse(ae, digits) / _mse(pca, digits)
    # PCA is optimal; measured 1.0003 (well inside the 1% the issue asks).
    assert 1.0 - 1e-9 <= ratio < 1.002, ratio
    assert ae.n_iter_ < 500  # the adaptive schedule ran out of step size: converged
    # Angles to PCA's subspace: where the eigen-gap is wide they are tiny
    # (PCA's top 5 directions lie within 0.33 degrees of the learned
    # subspace, measured); at k=10 the gap on digits is narrow (0.09 of
    # eigenvalues near 1.7), and excess MSE >= gap * sum(sin^2) lets the
    # last angle stay large (15 degrees, measured) at an excess of 0.03%.
    top5 = np.degrees(subspace_angles(ae.components_.T, pca.components_[:5].T)).max()
    assert top5 < 0.5, top5
    lam = PCA().fit(digits).explained_variance_ * (len(digits) - 1) / len(digits)
    sin2 = np.sum(np.sin(subspace_angles(ae.components_.T, pca.components_.T)) ** 2)
    excess = (_mse(ae, digits) - _mse(pca, digits)) * digits.shape[1]
    assert sin2 <= excess / (lam[k - 1] - lam[k]) * 1.01
    # The leading, well-separated components match PCA's one by one.
    cosines = np.abs(np.sum(ae.components_ * pca.components_, axis=1))
    assert np.all(cosines[:5] > 0.999), cosines
    np.testing.assert_allclose(ae.explained_variance_, pca.explained_variance_, rtol=0.02)
    np.testing.assert_allclose(ae.explained_variance_ratio_, pca.explained_variance_ratio_, rtol=0.02)


def test_linear_components_are_ordered_orthonormal_and_exact_within_their_span(digits):
    ae = TiedAutoencoder(6, hidden_layer_sizes=(), max_iter=5, random_state=0).fit(digits)
    C = ae.components_
    np.testing.assert_allclose(C @ C.T, np.eye(6), atol=1e-10)
    assert np.all(np.diff(ae.explained_variance_) <= 0)
    np.testing.assert_allclose(ae.mean_, digits.mean(axis=0))
    # Exact given the subspace: codes are projections of centred data, their
    # variances are explained_variance_, and decoding is the projection.
    Z = ae.transform(digits)
    np.testing.assert_allclose(Z, (digits - ae.mean_) @ C.T, atol=1e-5)
    np.testing.assert_allclose(Z.var(axis=0, ddof=1), ae.explained_variance_, rtol=1e-4)
    np.testing.assert_allclose(ae.inverse_transform(Z), Z @ C + ae.mean_, atol=1e-5)
    # Sign convention of PCA (svd_flip): the largest entry of each row is positive.
    assert np.all(C[np.arange(6), np.argmax(np.abs(C), axis=1)] > 0)


def test_linear_with_more_components_than_features(rng):
    X = rng.normal(size=(40, 3))
    ae = TiedAutoencoder(5, hidden_layer_sizes=(), max_iter=3, random_state=0).fit(X)
    assert ae.components_.shape == (5, 3)
    np.testing.assert_array_equal(ae.components_[3:], 0.0)
    np.testing.assert_allclose(ae.inverse_transform(ae.transform(X)), X, atol=1e-5)


def test_adaptive_learning_rate_divides_the_step_and_stops(digits, capsys):
    ae = TiedAutoencoder(4, hidden_layer_sizes=(), learning_rate="adaptive", learning_rate_init=1e-2,
                         n_iter_no_change=1, tol=1e-3, max_iter=300, verbose=True, random_state=0)
    ae.fit(digits)
    out = capsys.readouterr().out
    assert "Setting learning rate to 0.002000" in out
    assert ae.n_iter_ < 300


def test_components_only_for_linear_networks(digits):
    deep = TiedAutoencoder(2, hidden_layer_sizes=(8,), max_iter=2, random_state=0).fit(digits)
    assert not hasattr(deep, "components_")
    lin = TiedAutoencoder(2, hidden_layer_sizes=(), max_iter=2, random_state=0).fit(digits)
    assert hasattr(lin, "components_")
    lin.set_params(hidden_layer_sizes=(8,)).fit(digits)
    for name in ("components_", "explained_variance_", "explained_variance_ratio_", "mean_"):
        assert not hasattr(lin, name)  # not kept stale from the earlier fit


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
        TiedAutoencoder(learning_rate="constant", max_iter=2, random_state=0).fit(digits)


def test_stops_when_loss_plateaus(digits):
    ae = TiedAutoencoder(4, hidden_layer_sizes=(), learning_rate="constant", tol=1e-2,
                         n_iter_no_change=2, max_iter=200, random_state=0).fit(digits)
    assert ae.n_iter_ < 200
    assert len(ae.loss_curve_) == ae.n_iter_
    assert ae.best_loss_ == min(ae.loss_curve_)


def test_cosine_schedule_runs_its_budget_without_warning(digits):
    kw = dict(hidden_layer_sizes=(), tol=1e9, n_iter_no_change=1, max_iter=7, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        cosine = TiedAutoencoder(3, learning_rate="cosine", **kw).fit(digits)
    assert cosine.n_iter_ == 7  # a huge tol stops the other schedules at once
    assert TiedAutoencoder(3, learning_rate="constant", **kw).fit(digits).n_iter_ == 3


def test_cosine_schedule_takes_the_middle_of_each_epoch(digits):
    # One epoch: the rate is learning_rate_init * (1 + cos(pi / 2)) / 2.
    kw = dict(hidden_layer_sizes=(4,), max_iter=1, shuffle=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        cosine = TiedAutoencoder(2, learning_rate="cosine", learning_rate_init=1e-2, **kw).fit(digits)
        half = TiedAutoencoder(2, learning_rate="constant", learning_rate_init=5e-3, **kw).fit(digits)
        full = TiedAutoencoder(2, learning_rate="constant", learning_rate_init=1e-2, **kw).fit(digits)
    np.testing.assert_allclose(cosine.transform(digits), half.transform(digits), rtol=1e-5, atol=1e-6)
    assert not np.allclose(cosine.transform(digits), full.transform(digits), rtol=1e-3)


def test_linear_with_cosine_schedule_reaches_pca(digits):
    # The recipe benchmarks/bench_pca.py uses on digits; measured 1.00003x at
    # k=10 (the 'adaptive' schedule stalls near 1.002x here).
    k = 10
    pca = PCA(k).fit(digits)
    ae = TiedAutoencoder(k, hidden_layer_sizes=(), alpha=0.0, learning_rate="cosine",
                         learning_rate_init=3e-2, max_iter=200, random_state=0).fit(digits)
    ratio = _mse(ae, digits) / _mse(pca, digits)
    assert 1.0 - 1e-9 <= ratio < 1.0005, ratio
    top5 = np.degrees(subspace_angles(ae.components_.T, pca.components_[:5].T)).max()
    assert top5 < 0.5, top5


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_training_loss_is_the_reconstruction_error(digits, dtype):
    # The linear net trains on its loss less the constant mean ||x||^2 / d
    # and the reported curve adds it back.  At the end of a cosine schedule
    # the weights barely move: the last epoch's loss is the model's error.
    X = digits.astype(dtype)
    ae = TiedAutoencoder(5, hidden_layer_sizes=(), n_oversamples=0, alpha=0.0, learning_rate="cosine",
                         learning_rate_init=3e-2, max_iter=60, random_state=0).fit(X)
    np.testing.assert_allclose(ae.loss_curve_[-1], _mse(ae, digits), rtol=1e-3)
    assert ae.loss_curve_[0] > ae.loss_curve_[-1]


def test_oversampling_finds_pca_subspace_despite_a_small_eigengap(digits):
    # Digits' eigenvalues 10 and 11 are 3.5% apart: a 10-component net mixes
    # them for long; training 20 and keeping the top 10 Ritz vectors does not
    # (measured over 3 seeds: 1.9-5.6 degrees against 0.2-0.3).
    k = 10
    pca = PCA(k).fit(digits)
    kw = dict(hidden_layer_sizes=(), alpha=0.0, learning_rate="cosine", learning_rate_init=3e-2,
              max_iter=200, random_state=0)
    angles, ratios = {}, {}
    for p in (0, 10):
        ae = TiedAutoencoder(k, n_oversamples=p, **kw).fit(digits)
        assert ae.components_.shape == (k, 64)
        assert ae.transform(digits).shape == (len(digits), k)
        angles[p] = np.degrees(subspace_angles(ae.components_.T, pca.components_.T)).max()
        ratios[p] = _mse(ae, digits) / _mse(pca, digits)
    assert angles[10] < 1.0 and angles[10] < angles[0], angles
    assert ratios[10] < 1.0001 and ratios[10] <= ratios[0], ratios
    # The training net had 20 codes: its loss is below the kept model's error.
    assert ae.loss_curve_[-1] < _mse(ae, digits)


def test_oversampling_is_capped_by_the_number_of_features(digits):
    ae = TiedAutoencoder(60, hidden_layer_sizes=(), n_oversamples=10, max_iter=2,
                         random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae.fit(digits)
    assert ae.components_.shape == (60, 64)
    np.testing.assert_allclose(ae.components_ @ ae.components_.T, np.eye(60), atol=1e-5)
