"""Bad input gets a clear ValueError/TypeError in scikit-learn's wording."""

import re

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from skae import DenoisingAutoencoder, SparseAutoencoder, TiedAutoencoder

from .conftest import ALL_ESTIMATORS

each_estimator = pytest.mark.parametrize("Estimator", ALL_ESTIMATORS, ids=lambda c: c.__name__)


@pytest.fixture(scope="module", params=ALL_ESTIMATORS, ids=lambda c: c.__name__)
def fitted(request, digits):
    return request.param(3, max_iter=2, random_state=0).fit(digits)


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
@each_estimator
def test_bad_training_data(X, error, message, Estimator):
    with pytest.raises(error, match=re.escape(message)):
        Estimator(max_iter=1).fit(X)


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
@each_estimator
def test_bad_parameters_are_named(params, message, Estimator):
    X = np.random.default_rng(0).normal(size=(5, 3))
    message = message.replace("TiedAutoencoder", Estimator.__name__)
    with pytest.raises(ValueError, match=re.escape(message)):
        Estimator(max_iter=1, **params).fit(X)


@pytest.mark.parametrize(
    "Estimator, params, message",
    [
        (SparseAutoencoder, {"sparsity_target": 1.0}, "The 'sparsity_target' parameter of SparseAutoencoder must be a float in the range (0.0, 1.0). Got 1.0 instead."),
        (SparseAutoencoder, {"sparsity_weight": -0.1}, "The 'sparsity_weight' parameter of SparseAutoencoder must be a float in the range [0.0, inf). Got -0.1 instead."),
        (DenoisingAutoencoder, {"noise": "salt"}, "The 'noise' parameter of DenoisingAutoencoder must be a str among"),
        (DenoisingAutoencoder, {"noise_level": -1.0}, "The 'noise_level' parameter of DenoisingAutoencoder must be a float in the range [0.0, inf)"),
        (DenoisingAutoencoder, {"noise": "dropout", "noise_level": 1.0}, "noise_level must be in [0, 1) for noise='dropout' (the fraction of entries zeroed), got 1.0."),
    ],
)
def test_bad_estimator_specific_parameters(Estimator, params, message):
    X = np.random.default_rng(0).normal(size=(5, 3))
    with pytest.raises(ValueError, match=re.escape(message)):
        Estimator(max_iter=1, **params).fit(X)


def test_wrong_number_of_features(fitted):
    name = type(fitted).__name__
    with pytest.raises(ValueError, match=f"X has 5 features, but {name} is expecting 64 features as input"):
        fitted.transform(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="X has 5 features"):
        fitted.score_samples(np.zeros((2, 5)))


def test_wrong_code_width_in_inverse_transform(fitted):
    name = type(fitted).__name__
    with pytest.raises(ValueError, match=re.escape(f"X has 4 features, but {name}.inverse_transform is expecting 3 features (the fitted n_components)")):
        fitted.inverse_transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="NaN"):
        fitted.inverse_transform(np.full((2, 3), np.nan))


def test_bad_data_after_fit(fitted):
    with pytest.raises(ValueError, match="NaN"):
        fitted.transform(np.full((2, 64), np.nan))
    with pytest.raises(ValueError, match="too large"):
        fitted.transform(np.full((2, 64), 1e300))


@each_estimator
@pytest.mark.parametrize("method", ["transform", "inverse_transform", "score", "score_samples"])
def test_use_before_fit(method, Estimator):
    with pytest.raises(NotFittedError, match=f"This {Estimator.__name__} instance is not fitted yet"):
        getattr(Estimator(), method)(np.zeros((2, 2)))


def test_keras_models_before_fit():
    with pytest.raises(NotFittedError):
        TiedAutoencoder().encoder_
