"""AutoencoderClassifier and AutoencoderRegressor: semi-supervised fit,
fine-tuning, freezing with a cache, the joint objective, persistence."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skae import (
    AutoencoderClassifier,
    AutoencoderRegressor,
    DenoisingAutoencoder,
    TiedAutoencoder,
    VariationalAutoencoder,
)


def _few_labels(y, n, seed=0):
    """y with all but n rows (stratified) set to -1."""
    keep, _ = train_test_split(np.arange(y.size), train_size=n, stratify=y, random_state=seed)
    y_few = np.full_like(y, -1)
    y_few[keep] = y[keep]
    return y_few


@pytest.fixture(scope="module")
def digits_split(digits):
    from sklearn.datasets import load_digits

    y = load_digits().target
    return train_test_split(digits, y, test_size=0.3, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def pretrained(digits_split):
    X_train = digits_split[0]
    return TiedAutoencoder(16, hidden_layer_sizes=(64, 32), max_iter=30, random_state=0).fit(X_train)


def _weights(ae):
    return [w.copy() for w in ae.coefs_ + ae.intercepts_]


def test_unlabelled_rows_take_part_in_pretraining_only(digits_split):
    X_train, _, y_train, _ = digits_split
    y_few = _few_labels(y_train, 100)
    ae = TiedAutoencoder(8, hidden_layer_sizes=(32,), max_iter=5, random_state=0)
    clf = AutoencoderClassifier(ae, max_iter=5, random_state=0).fit(X_train, y_few)
    np.testing.assert_array_equal(clf.classes_, np.arange(10))  # no -1 class
    # Phase 1 ran on every row: the same autoencoder fitted on all of X.
    alone = clone(ae).fit(X_train)
    np.testing.assert_allclose(clf.autoencoder_.transform(X_train[:20]), alone.transform(X_train[:20]))
    assert clf.autoencoder_ is not ae and not hasattr(ae, "n_features_in_")  # cloned
    # Without the joint term, the unlabelled rows do not reach phase 2: changing
    # them (the autoencoder given fitted) changes nothing.
    X_other = X_train.copy()
    X_other[y_few == -1] = 0.0
    frozen = FrozenEstimator(alone)
    a = AutoencoderClassifier(frozen, max_iter=5, random_state=0).fit(X_train, y_few)
    b = AutoencoderClassifier(frozen, max_iter=5, random_state=0).fit(X_other, y_few)
    np.testing.assert_array_equal(a.predict_proba(X_train[:50]), b.predict_proba(X_train[:50]))
    # With it, they do.
    a = AutoencoderClassifier(frozen, reconstruction_weight=1.0, max_iter=5, random_state=0).fit(X_train, y_few)
    b = AutoencoderClassifier(frozen, reconstruction_weight=1.0, max_iter=5, random_state=0).fit(X_other, y_few)
    assert not np.allclose(a.predict_proba(X_train[:50]), b.predict_proba(X_train[:50]))


def test_a_frozen_estimator_is_reused_and_never_changed(digits_split, pretrained):
    X_train, _, y_train, _ = digits_split
    before = _weights(pretrained)
    codes = pretrained.transform(X_train[:10])
    clf = AutoencoderClassifier(FrozenEstimator(pretrained), max_iter=20, random_state=0)
    clf.fit(X_train, _few_labels(y_train, 200))
    assert clf.autoencoder_ is pretrained
    for a, b in zip(before, _weights(pretrained)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(codes, pretrained.transform(X_train[:10]))
    # ... while the encoder inside the classifier moved.
    tuned = clf.encoder_.get_weights()
    assert not np.allclose(tuned[0], pretrained.coefs_[0])


def test_a_fitted_autoencoder_passed_plainly_is_cloned_and_refitted(digits_split, pretrained):
    X_train, _, y_train, _ = digits_split
    before = _weights(pretrained)
    clf = AutoencoderClassifier(pretrained, max_iter=2, random_state=0).fit(X_train[:300], y_train[:300])
    assert clf.autoencoder_ is not pretrained
    for a, b in zip(before, _weights(pretrained)):
        np.testing.assert_array_equal(a, b)


def test_fine_tuning_beats_frozen_codes_with_200_labels(digits_split, pretrained):
    X_train, X_test, y_train, y_test = digits_split
    y_few = _few_labels(y_train, 200)
    labelled = y_few != -1
    codes_lr = LogisticRegression(max_iter=2000).fit(pretrained.transform(X_train[labelled]), y_few[labelled])
    frozen_codes = codes_lr.score(pretrained.transform(X_test), y_test)
    clf = AutoencoderClassifier(FrozenEstimator(pretrained), random_state=0).fit(X_train, y_few)
    accuracy = clf.score(X_test, y_test)
    assert accuracy > max(frozen_codes, 0.9), (accuracy, frozen_codes)  # measured 0.928 vs 0.911
    proba = clf.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X_test), atol=1e-10)
    np.testing.assert_array_equal(clf.predict(X_test), clf.classes_[proba.argmax(axis=1)])


def test_frozen_layers_stay_and_the_cache_gives_the_same_model(digits_split, pretrained):
    X_train, _, y_train, _ = digits_split
    y_few = _few_labels(y_train, 200)
    kwargs = dict(freeze=2, max_iter=10, random_state=0)
    cached = AutoencoderClassifier(FrozenEstimator(pretrained), **kwargs).fit(X_train, y_few)
    direct = AutoencoderClassifier(FrozenEstimator(pretrained), cache_frozen=False, **kwargs).fit(X_train, y_few)
    tuned = cached.encoder_.get_weights()  # kernel, bias per layer
    for i in range(2):  # the two frozen layers are the pretrained ones
        np.testing.assert_array_equal(tuned[2 * i], pretrained.coefs_[i])
        np.testing.assert_array_equal(tuned[2 * i + 1], pretrained.intercepts_[i])
    assert not np.allclose(tuned[4], pretrained.coefs_[2])  # the code layer trained
    # Training on the cached outputs is the same computation as recomputing them.
    np.testing.assert_allclose(cached.predict_proba(X_train), direct.predict_proba(X_train), atol=1e-4)
    np.testing.assert_allclose(cached.loss_curve_, direct.loss_curve_, rtol=1e-4)
    # Freezing everything trains the head alone.
    head = AutoencoderClassifier(FrozenEstimator(pretrained), freeze=3, max_iter=5, random_state=0)
    head.fit(X_train, y_few)
    for a, b in zip(head.encoder_.get_weights()[::2], pretrained.coefs_[:3]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("weight", [0.0, 1.0])
def test_fine_tuning_reduces_its_loss(digits_split, pretrained, weight):
    X_train, _, y_train, _ = digits_split
    clf = AutoencoderClassifier(
        FrozenEstimator(pretrained), reconstruction_weight=weight, head_layer_sizes=(16,), max_iter=15,
        random_state=0,
    ).fit(X_train, _few_labels(y_train, 100))
    assert clf.n_iter_ == 15 and len(clf.loss_curve_) == 15
    assert clf.loss_curve_[-1] < 0.5 * clf.loss_curve_[0]


def test_early_stopping_on_a_labelled_split(digits_split, pretrained):
    X_train, _, y_train, _ = digits_split
    clf = AutoencoderClassifier(
        FrozenEstimator(pretrained), early_stopping=True, max_iter=200, n_iter_no_change=5,
        learning_rate_init=1e-2, random_state=0,
    ).fit(X_train, _few_labels(y_train, 200))
    assert clf.n_iter_ < 200
    assert len(clf.validation_scores_) == clf.n_iter_
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert clf.best_loss_ is None
    with pytest.raises(ValueError, match="cannot split 5 labelled samples"):
        AutoencoderClassifier(FrozenEstimator(pretrained), early_stopping=True, validation_fraction=0.01).fit(
            X_train[:5], y_train[:5]
        )


def test_zero_weights_are_as_if_the_rows_were_not_there(digits_split):
    X_train, _, y_train, _ = digits_split
    X, y = X_train[:300], _few_labels(y_train[:300], 100)
    w = np.ones(300)
    w[::3] = 0
    ae = TiedAutoencoder(8, hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    a = AutoencoderClassifier(ae, reconstruction_weight=0.5, max_iter=3, random_state=0).fit(X, y, sample_weight=w)
    b = AutoencoderClassifier(ae, reconstruction_weight=0.5, max_iter=3, random_state=0).fit(X[w > 0], y[w > 0])
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), rtol=1e-5, atol=1e-7)
    # Weights count: the heavily weighted class is predicted more.
    w = np.where(y == 3, 20.0, 1.0)
    heavy = AutoencoderClassifier(FrozenEstimator(a.autoencoder_), max_iter=20, random_state=0).fit(X, y, w)
    plain = AutoencoderClassifier(FrozenEstimator(a.autoencoder_), max_iter=20, random_state=0).fit(X, y)
    assert (heavy.predict(X_train) == 3).sum() > (plain.predict(X_train) == 3).sum()


def test_persistence_and_sparse_input(digits_split, tmp_path):
    import joblib

    X_train, X_test, y_train, _ = digits_split
    y_few = _few_labels(y_train, 100)
    X_sparse = sp.csr_matrix(np.where(np.abs(X_train) > 1, X_train, 0.0))
    ae = VariationalAutoencoder(8, hidden_layer_sizes=(32,), max_iter=3, random_state=0)
    clf = AutoencoderClassifier(ae, reconstruction_weight=0.5, max_iter=3, random_state=0).fit(X_sparse, y_few)
    dense = AutoencoderClassifier(ae, reconstruction_weight=0.5, max_iter=3, random_state=0).fit(
        X_sparse.toarray(), y_few
    )
    np.testing.assert_allclose(clf.predict_proba(X_test), dense.predict_proba(X_test), rtol=1e-4, atol=1e-6)
    joblib.dump(clf, tmp_path / "clf.joblib")
    loaded = joblib.load(tmp_path / "clf.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))
    reg = AutoencoderRegressor(TiedAutoencoder(4, max_iter=3, random_state=0), max_iter=3, random_state=0)
    reg.fit(X_train, np.c_[y_train, -y_train].astype(float))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(reg)).predict(X_test), reg.predict(X_test))


def test_regressor_with_nan_as_unlabelled():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(1000, 3))
    X = Z @ rng.normal(size=(3, 12)) + 0.05 * rng.normal(size=(1000, 12))
    y = Z[:, 0] - 2 * Z[:, 1]
    y_few = y.copy()
    y_few[200:] = np.nan
    reg = AutoencoderRegressor(
        DenoisingAutoencoder(3, hidden_layer_sizes=(32,), noise_level=0.05, max_iter=50, random_state=0),
        random_state=0,
    ).fit(X[:800], y_few[:800])
    assert reg.autoencoder_.n_features_in_ == 12
    assert reg.predict(X[800:]).shape == (200,)
    assert reg.score(X[800:], y[800:]) > 0.9
    Y = np.c_[y, Z[:, 2]]
    Y[200:] = np.nan
    multi = AutoencoderRegressor(TiedAutoencoder(3, max_iter=5, random_state=0), max_iter=5, random_state=0)
    assert multi.fit(X, Y).predict(X[:4]).shape == (4, 2) and multi.n_outputs_ == 2
    Y[0, 1] = 5.0
    Y[0, 0] = np.nan
    with pytest.raises(ValueError, match="some targets NaN and some not"):
        multi.fit(X, Y)


def test_bad_input_and_a_failed_fit_changes_nothing(digits_split, pretrained):
    X_train, _, y_train, _ = digits_split
    clf = AutoencoderClassifier(FrozenEstimator(pretrained), max_iter=2, random_state=0)
    clf.fit(X_train[:200], y_train[:200])
    before = clf.predict_proba(X_train[:10])
    with pytest.raises(ValueError, match="needs labelled rows"):
        clf.fit(X_train[:50], np.full(50, -1))
    with pytest.raises(ValueError, match=r"freeze=4 is more than the autoencoder's 3 encoder layers"):
        clf.set_params(freeze=4).fit(X_train[:200], y_train[:200])
    with pytest.raises(ValueError, match="requires y to be passed"):
        clf.fit(X_train[:200], None)
    with pytest.raises(ValueError, match="X has 10 features, but the fitted autoencoder is expecting 64"):
        clf.set_params(freeze=0).fit(X_train[:200, :10], y_train[:200])
    with pytest.raises(TypeError, match="must be a skae autoencoder"):
        AutoencoderClassifier(PCA(4)).fit(X_train[:200], y_train[:200])
    np.testing.assert_array_equal(clf.predict_proba(X_train[:10]), before)
    with pytest.raises(ValueError, match="Unknown label type"):
        AutoencoderClassifier(max_iter=1).fit(X_train[:50], X_train[:50, 20] + 0.5)
