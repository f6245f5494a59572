"""Bad input gets a clear ValueError/TypeError in scikit-learn's wording."""

import re

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skae import TiedAutoencoder


@pytest.fixture(scope="module")
def fitted(digits):
    return TiedAutoencoder(3, max_iter=2, random_state=0).fit(digits)


@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError, "Input X contains NaN"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError, "Input X contains infinity"),
        (np.array([1.0, 2.0, 3.0]), ValueError, "Expected 2D array, got 1D array instead"),
        (np.zeros((2, 3, 4)), ValueError, "Found array with dim 3"),
        (np.array([["a", "b"], ["c", "d"]]), ValueError, "could not convert string to float"),
        (np.zeros((0, 3)), ValueError, "0 sample"),
        (np.array([[1e39, 0.0], [0.0, 1.0]]), ValueError, "too large for dtype('float32')"),
    ],
)
def test_bad_training_data(X, error, message):
    with pytest.raises(error, match=re.escape(message)):
        TiedAutoencoder(max_iter=1).fit(X)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"n_components": 0}, "The 'n_components' parameter of TiedAutoencoder must be an int in the range [1, inf). Got 0 instead."),
        ({"activation": "softmax"}, "The 'activation' parameter of TiedAutoencoder must be a str among"),
        ({"loss": "mae"}, "The 'loss' parameter of TiedAutoencoder must be a str among"),
        ({"learning_rate_init": 0.0}, "The 'learning_rate_init' parameter of TiedAutoencoder must be a float in the range (0.0, inf). Got 0.0 instead."),
        ({"batch_size": 0}, "The 'batch_size' parameter of TiedAutoencoder must be"),
        ({"alpha": -1.0}, "The 'alpha' parameter of TiedAutoencoder must be a float in the range [0.0, inf). Got -1.0 instead."),
        ({"hidden_layer_sizes": (10, 0)}, "hidden_layer_sizes must be positive integers, got (10, 0)."),
        ({"early_stopping": True, "validation_fraction": 0.01}, "cannot split 5 samples"),
    ],
)
def test_bad_parameters_are_named(params, message):
    X = np.random.default_rng(0).normal(size=(5, 3))
    with pytest.raises(ValueError, match=re.escape(message)):
        TiedAutoencoder(max_iter=1, **params).fit(X)


def test_wrong_number_of_features(fitted):
    with pytest.raises(ValueError, match="X has 5 features, but TiedAutoencoder is expecting 64 features as input"):
        fitted.transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="X has 5 features"):
        fitted.score_samples(np.zeros((2, 5)))


def test_wrong_code_width_in_inverse_transform(fitted):
    with pytest.raises(ValueError, match=re.escape("X has 4 features, but TiedAutoencoder.inverse_transform is expecting 3 features (n_components)")):
        fitted.inverse_transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        fitted.inverse_transform(np.full((2, 3), np.nan))


def test_bad_data_after_fit(fitted):
    with pytest.raises(ValueError, match="NaN"):
        fitted.transform(np.full((2, 64), np.nan))
    with pytest.raises(ValueError, match="too large"):
        fitted.transform(np.full((2, 64), 1e300))


@pytest.mark.parametrize("method", ["transform", "inverse_transform", "score", "score_samples"])
def test_use_before_fit(method):
    with pytest.raises(NotFittedError, match="This TiedAutoencoder instance is not fitted yet"):
        getattr(TiedAutoencoder(), method)(np.zeros((2, 2)))


def test_keras_models_before_fit():
    with pytest.raises(NotFittedError):
        TiedAutoencoder().encoder_
