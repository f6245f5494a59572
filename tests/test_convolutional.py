"""Convolutional autoencoders: image_shape and conv_filters on every autoencoder."""

import pickle
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from skae import (
    AutoencoderClassifier,
    AutoencoderOutlierDetector,
    AutoencoderRegressor,
    DenoisingAutoencoder,
    SparseAutoencoder,
    TiedAutoencoder,
    VariationalAutoencoder,
)
from skae._spec import Conv2D, Conv2DTranspose

CONV = dict(image_shape=(8, 8), conv_filters=(4, 8), hidden_layer_sizes=())


# -- the layers -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "image, kernel_size, strides", [((8, 8, 1), (3, 3), (2, 2)), ((7, 5, 3), (3, 2), (2, 1)), ((6, 6, 2), (5, 5), (3, 3))]
)
def test_the_transposed_convolution_is_the_convolutions_adjoint(rng, image, kernel_size, strides):
    # <conv(x), y> = <x, conv_transpose(y)>: what a tied decoder relies on.
    import tensorflow as tf

    from skae._tf.layers import apply_layer

    conv = Conv2D(image, 4, kernel_size, strides, use_bias=False)
    adjoint = Conv2DTranspose(conv.output_shape, conv.input_shape, kernel_size, strides, use_bias=False, tied=0)
    W = tf.constant(rng.normal(size=conv.kernel_shape))
    x = tf.constant(rng.normal(size=(3, *image)))
    y = tf.constant(rng.normal(size=(3, *conv.output_shape)))
    Kx = apply_layer(conv, {"kernel": W}, x)
    Kty = apply_layer(adjoint, {}, y, kernel=W)
    assert Kty.shape == x.shape
    np.testing.assert_allclose(tf.reduce_sum(Kx * y).numpy(), tf.reduce_sum(x * Kty).numpy(), rtol=1e-10)


@pytest.mark.parametrize("tied", [True, False])
def test_gradients_match_finite_differences(rng, tied):
    import tensorflow as tf

    from skae._tf.layers import initial_weights
    from skae._tf.losses import objective

    ae = DenoisingAutoencoder(
        2, image_shape=(5, 4), conv_filters=(2,), hidden_layer_sizes=(3,), activation="tanh",
        tied_weights=tied, alpha=0.01, layer_loss_weight=0.5,
    )
    spec = ae._network_spec(20)
    params = tf.nest.map_structure(lambda w: tf.Variable(np.asarray(w, np.float64)), initial_weights(spec, 0))
    x = tf.constant(rng.normal(size=(6, 20)))
    noise = (tf.constant(rng.normal(size=(6, 20))),)  # the input noise layer's draws

    def loss():
        return objective(spec, params, x, noise)[0]

    flat = tf.nest.flatten(params)
    with tf.GradientTape() as tape:
        value = loss()
    grads = tape.gradient(value, flat)
    eps = 1e-6
    checked = 0
    for var, grad in zip(flat, grads):
        for index in list(np.ndindex(*var.shape))[:6]:
            original = var[index].numpy()
            var[index].assign(original + eps)
            up = loss().numpy()
            var[index].assign(original - eps)
            down = loss().numpy()
            var[index].assign(original)
            np.testing.assert_allclose(grad[index].numpy(), (up - down) / (2 * eps), rtol=1e-5, atol=1e-8)
            checked += 1
    assert checked > 30


# -- the estimators -----------------------------------------------------------------
@pytest.mark.parametrize(
    "est",
    [
        TiedAutoencoder(4, **CONV),
        SparseAutoencoder(16, **CONV),
        SparseAutoencoder(16, tied_weights=True, **CONV),
        DenoisingAutoencoder(4, **CONV),
        DenoisingAutoencoder(4, tied_weights=True, **CONV),
        VariationalAutoencoder(2, **CONV),
    ],
    ids=["tied", "sparse", "sparse_tied", "denoising", "denoising_tied", "variational"],
)
def test_every_autoencoder_trains_a_convolutional_network(digits01, est):
    est.set_params(max_iter=3, random_state=0)
    Z = est.fit(digits01).transform(digits01)
    assert Z.shape == (len(digits01), est.n_components)
    assert np.isfinite(Z).all() and np.isfinite(est.score_samples(digits01)).all()
    assert est.inverse_transform(Z).shape == digits01.shape
    coefs = est.coefs_
    # conv 1, conv 2, code; code, transposed conv 2, transposed conv 1
    assert [c.shape for c in coefs] == [
        (3, 3, 1, 4), (3, 3, 4, 8), (32, est.n_components), (est.n_components, 32), (3, 3, 4, 8), (3, 3, 1, 4)
    ]
    decoder = est._network.get_weights()["decoder"]
    tied = est._network.spec.tied_weights
    assert all(("kernel" in layer) != tied for layer in decoder)
    if tied:
        np.testing.assert_array_equal(coefs[-1], coefs[0])
        np.testing.assert_array_equal(coefs[-2], coefs[1])
    # The Keras models hold the same network.
    X32 = digits01[:20].astype(np.float32)
    np.testing.assert_allclose(est.encoder_(X32).numpy(), Z[:20], atol=1e-5)


def test_a_convolutional_net_learns_digits(digits01):
    # Real convergence: a 4-code convolutional tied net reconstructs digits
    # far better than their mean, and at least as well as PCA's 4 components.
    from sklearn.decomposition import PCA

    ae = TiedAutoencoder(
        4, image_shape=(8, 8), conv_filters=(16, 32), hidden_layer_sizes=(64,), max_iter=60, random_state=0
    ).fit(digits01)
    error = np.mean((ae.inverse_transform(ae.transform(digits01)) - digits01) ** 2)
    baseline = np.mean((digits01 - digits01.mean(axis=0)) ** 2)
    pca = PCA(4).fit(digits01)
    pca_error = np.mean((pca.inverse_transform(pca.transform(digits01)) - digits01) ** 2)
    assert error < 0.5 * baseline
    assert error < pca_error


def test_rectangular_multichannel_images_with_odd_sizes(rng):
    # 7x5 RGB images, strides that do not divide them: the decoder still
    # gives back the input's shape, and Keras' decoder computes the same.
    X = rng.uniform(size=(60, 7 * 5 * 3))
    ae = TiedAutoencoder(
        3, image_shape=(7, 5, 3), conv_filters=(4, 6), kernel_size=(3, 2), strides=(2, 2),
        hidden_layer_sizes=(), max_iter=2, random_state=0,
    ).fit(X)
    Z = ae.transform(X)
    R = ae.inverse_transform(Z)
    assert R.shape == X.shape
    np.testing.assert_allclose(ae.decoder_(Z.astype(np.float32)).numpy(), R, atol=1e-5)


@pytest.mark.parametrize(
    "params, n_features, message",
    [
        (dict(image_shape=(8, 8)), 63, r"image_shape=\(8, 8\) has 64 values per image, but X has 63 features"),
        (dict(image_shape=(4, 4, 4)), 63, "has 64 values per image, but X has 63"),
        (dict(conv_filters=(4,)), 64, "conv_filters needs image_shape"),
        (dict(image_shape=(8,), conv_filters=(4,)), 64, r"image_shape must be \(height, width\)"),
        (dict(image_shape=(-1, -1), conv_filters=(4,)), 64, "one may be -1"),
        (dict(image_shape=(-1, 5), conv_filters=(4,)), 64, "64 is not a multiple of 5"),
        (dict(image_shape=(8, 8), conv_filters=(0,)), 64, "conv_filters must be positive integers"),
        (dict(image_shape=(8, 8), conv_filters=(4,), kernel_size=(3, 3, 3)), 64, "kernel_size must be an int or a pair"),
        (dict(image_shape=(8, 8), conv_filters=(4,), strides=0), 64, "strides"),
        (dict(image_shape=(8, 8), conv_filters=(4,), pretraining="greedy"), 64, "greedy"),
    ],
)
def test_bad_image_options_are_clear_errors(rng, params, n_features, message):
    X = rng.uniform(size=(30, n_features))
    with pytest.raises(ValueError, match=message):
        TiedAutoencoder(2, max_iter=1, **params).fit(X)


def test_one_image_dimension_is_inferred_from_the_width(rng):
    # (-1, 1): rows as 1-D signals of any length, as numpy's reshape infers.
    ae = TiedAutoencoder(2, image_shape=(-1, 1), conv_filters=(3,), kernel_size=(3, 1), strides=(2, 1),
                         hidden_layer_sizes=(), max_iter=1, random_state=0)
    for width in (1, 7, 30):
        ae.fit(rng.normal(size=(20, width)))
        assert ae._network.spec.image_shape == (width, 1, 1)
        assert ae.coefs_[0].shape == (3, 1, 1, 3)


def test_sparse_input_works_and_gives_the_dense_model(digits01):
    # Sparse rows are densified a chunk at a time, as for dense networks.
    X = np.where(digits01 > 0.3, digits01, 0.0)
    kw = dict(max_iter=3, random_state=0, **CONV)
    dense = DenoisingAutoencoder(4, **kw).fit(X)
    csr = DenoisingAutoencoder(4, **kw).fit(sp.csr_matrix(X))
    np.testing.assert_allclose(csr.transform(sp.csr_matrix(X)), dense.transform(X), atol=1e-5)


def test_partial_fit_goes_on_and_refuses_a_new_architecture(digits01):
    ae = TiedAutoencoder(4, random_state=0, **CONV)
    first = ae.partial_fit(digits01).transform(digits01)
    second = ae.partial_fit(digits01).transform(digits01)
    assert ae.n_iter_ == 2 and np.abs(second - first).max() > 1e-4
    ae.set_params(conv_filters=(4, 16))
    with pytest.raises(ValueError, match=r"conv_filters changed from \(4, 8\) to \(4, 16\)"):
        ae.partial_fit(digits01)
    ae.set_params(conv_filters=(4, 8), kernel_size=5)
    with pytest.raises(ValueError, match="kernel_size changed from 3 to 5"):
        ae.partial_fit(digits01)


def test_pickle_loads_in_a_fresh_process(digits01, tmp_path):
    ae = DenoisingAutoencoder(4, tied_weights=True, max_iter=2, random_state=0, **CONV).fit(digits01)
    path = tmp_path / "conv.pkl"
    path.write_bytes(pickle.dumps(ae))
    np.save(tmp_path / "X.npy", digits01[:50])
    code = (
        "import pickle, numpy as np, sys;"
        f"ae = pickle.loads(open({str(path)!r}, 'rb').read());"
        f"X = np.load({str(tmp_path / 'X.npy')!r});"
        f"np.save({str(tmp_path / 'Z.npy')!r}, ae.transform(X));"
        "ae.partial_fit(X)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
    np.testing.assert_array_equal(np.load(tmp_path / "Z.npy"), ae.transform(digits01[:50]))


def test_meta_estimators_take_a_convolutional_encoder(digits01):
    from sklearn.datasets import load_digits

    y = load_digits().target
    ae = TiedAutoencoder(8, max_iter=3, random_state=0, **CONV)
    # All encoder layers frozen: the classifier's encoder is the autoencoder's.
    frozen = AutoencoderClassifier(ae, freeze=3, max_iter=3, random_state=0).fit(digits01, y)
    np.testing.assert_allclose(
        frozen.encoder_(digits01[:30].astype(np.float32)).numpy(),
        frozen.autoencoder_.transform(digits01[:30]), atol=1e-5,
    )
    # The cache boundary after a convolution (its output is an image).
    for freeze in (1, 2):
        clf = AutoencoderClassifier(ae, freeze=freeze, max_iter=3, random_state=0).fit(digits01, y)
        assert clf.predict_proba(digits01).shape == (len(digits01), 10)
        uncached = AutoencoderClassifier(ae, freeze=freeze, cache_frozen=False, max_iter=3, random_state=0)
        np.testing.assert_allclose(uncached.fit(digits01, y).predict_proba(digits01),
                                   clf.predict_proba(digits01), atol=1e-5)
    joint = AutoencoderClassifier(ae, reconstruction_weight=1.0, max_iter=3, random_state=0).fit(digits01, y)
    assert joint.score(digits01, y) > 0.3
    reg = AutoencoderRegressor(ae, max_iter=3, random_state=0).fit(digits01, y / 9.0)
    assert reg.predict(digits01).shape == (len(digits01),)
    detector = AutoencoderOutlierDetector(ae, random_state=0).fit(digits01)
    assert set(np.unique(detector.predict(digits01))) == {-1, 1}


def test_plot_filters_shows_the_first_convolutions_kernels(digits01):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from skae.plotting import plot_filters

    ae = TiedAutoencoder(4, max_iter=1, random_state=0, **CONV).fit(digits01)
    fig, axes = plot_filters(ae, n_cols=2)
    assert axes.shape == (2, 2)
    np.testing.assert_array_equal(axes[0, 1].images[0].get_array(), ae.coefs_[0][:, :, 0, 1])
    with pytest.raises(ValueError, match="needs image_shape"):
        plot_filters(TiedAutoencoder(4, max_iter=1, hidden_layer_sizes=()).fit(digits01))
