"""Every public estimator at MNIST size (20000 x 784, 15.7M entries): from
2**23 entries the engine takes its large-data paths (XLA-compiled steps,
the centred linear net's pre-shuffled copy), which digits never reach.

Reported: AutoencoderClassifier and AutoencoderRegressor crashed there with
``AttributeError: 'PredictorSpec' object has no attribute 'centred_linear'``,
fully labelled and with the joint objective alike.
"""

import numpy as np
import pytest

from skae import (
    AutoencoderClassifier,
    AutoencoderOutlierDetector,
    AutoencoderRegressor,
    DenoisingAutoencoder,
    SparseAutoencoder,
    TiedAutoencoder,
    VariationalAutoencoder,
)
from skae._tf import epoch

N, D = 20000, 784

pytestmark = pytest.mark.slow  # about 40 s: XLA compiles per architecture


@pytest.fixture(scope="module")
def mnist_sized():
    rng = np.random.default_rng(0)
    X = rng.random((N, D), dtype=np.float32)
    y = rng.integers(0, 10, size=N)
    return X, y


def test_the_data_take_the_large_data_paths(mnist_sized):
    X, _ = mnist_sized
    assert X.size >= epoch.XLA_MIN_ENTRIES and X.size >= epoch.BLOCK_SHUFFLE_MIN_ENTRIES


def _small(k=8):
    return TiedAutoencoder(k, hidden_layer_sizes=(32,), max_iter=1, random_state=0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: TiedAutoencoder(8, max_iter=1, random_state=0),  # the centred linear net
        lambda: _small(),
        lambda: SparseAutoencoder(8, hidden_layer_sizes=(32,), max_iter=1, random_state=0),
        lambda: DenoisingAutoencoder(8, hidden_layer_sizes=(32,), max_iter=1, random_state=0),
        lambda: VariationalAutoencoder(8, hidden_layer_sizes=(32,), max_iter=1, random_state=0),
    ],
    ids=["tied-linear", "tied", "sparse", "denoising", "variational"],
)
def test_autoencoders_at_mnist_size(mnist_sized, make):
    X, _ = mnist_sized
    ae = make().fit(X)
    codes = ae.transform(X)
    assert codes.shape == (N, 8) and codes.dtype == np.float32 and np.isfinite(codes).all()
    assert ae.inverse_transform(codes[:100]).shape == (100, D)
    assert np.isfinite(ae.score_samples(X)).all()
    assert ae.n_iter_ == 1


@pytest.mark.parametrize("reconstruction_weight", [0.0, 1.0], ids=["fine-tuned", "joint"])
def test_classifier_at_mnist_size(mnist_sized, reconstruction_weight):
    X, y = mnist_sized
    y_fit = y.copy()
    if reconstruction_weight:
        y_fit[100:] = -1  # the joint objective with 100 labels, as reported
    clf = AutoencoderClassifier(
        _small(), max_iter=1, reconstruction_weight=reconstruction_weight, random_state=0
    ).fit(X, y_fit)
    assert set(clf.predict(X[:500])) <= set(range(10))
    proba = clf.predict_proba(X)
    assert proba.shape == (N, 10) and np.allclose(proba.sum(axis=1), 1)
    assert clf.autoencoder_.transform(X).shape == (N, 8)


@pytest.mark.parametrize("reconstruction_weight", [0.0, 1.0], ids=["fine-tuned", "joint"])
def test_regressor_at_mnist_size(mnist_sized, reconstruction_weight):
    X, _ = mnist_sized
    y = X[:, :2].sum(axis=1).astype(np.float64)
    if reconstruction_weight:
        y[100:] = np.nan
    reg = AutoencoderRegressor(
        _small(), max_iter=1, reconstruction_weight=reconstruction_weight, random_state=0
    ).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (N,) and np.isfinite(pred).all()
    assert reg.autoencoder_.transform(X[:10]).shape == (10, 8)


def test_outlier_detector_at_mnist_size(mnist_sized):
    X, _ = mnist_sized
    detector = AutoencoderOutlierDetector(_small(), contamination=0.05).fit(X)
    labels = detector.predict(X)
    assert set(labels) == {-1, 1}
    assert abs((labels == -1).mean() - 0.05) < 0.01
    assert detector.autoencoder_.transform(X[:10]).shape == (10, 8)
