"""skae.plotting, drawn headless: the images shown are the estimator's numbers."""

import matplotlib
import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import SparseAutoencoder, TiedAutoencoder, VariationalAutoencoder
from skae.plotting import plot_filters, plot_reconstructions, plot_samples

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def pixels():
    from sklearn.datasets import load_digits

    return load_digits().data[:400]


def shown(ax):
    return np.asarray(ax.images[0].get_array())


def test_reconstructions_rows_are_the_estimators_reconstructions(pixels):
    pca = PCA(5).fit(pixels)
    pipe = make_pipeline(StandardScaler(), TiedAutoencoder(3, max_iter=2, random_state=0))
    pipe.fit(pixels)
    fig, axes = plot_reconstructions({"pca": pca, "ae": pipe}, pixels[:10], image_shape=(8, 8), n_images=4)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert axes.shape == (3, 4)
    np.testing.assert_allclose(shown(axes[0, 2]), pixels[2].reshape(8, 8))
    np.testing.assert_allclose(shown(axes[1, 2]), pca.inverse_transform(pca.transform(pixels[2:3])).reshape(8, 8))
    np.testing.assert_allclose(shown(axes[2, 3]), pipe.inverse_transform(pipe.transform(pixels[3:4])).reshape(8, 8), rtol=1e-6)
    assert [axes[i, 0].get_ylabel() for i in range(3)] == ["original", "pca", "ae"]
    # One colour scale for every row: the originals'.
    assert {axes[i, 0].images[0].get_clim() for i in range(3)} == {(0.0, 16.0)}


def test_a_single_estimator_is_labelled_by_its_class(pixels):
    _, axes = plot_reconstructions(PCA(3).fit(pixels), pixels, image_shape=(8, 8))
    assert axes.shape == (2, 8)
    assert axes[1, 0].get_ylabel() == "PCA"


def test_filters_are_the_first_kernel_columns(pixels):
    ae = SparseAutoencoder(7, hidden_layer_sizes=(), max_iter=2, random_state=0).fit(pixels / 16)
    fig, axes = plot_filters(ae, image_shape=(8, 8), n_cols=3)
    assert axes.shape == (3, 3)
    kernel = ae.coefs_[0]
    np.testing.assert_allclose(shown(axes[1, 0]), kernel[:, 3].reshape(8, 8))
    lo, hi = axes[1, 0].images[0].get_clim()
    assert lo == -hi == -np.abs(kernel[:, 3]).max()
    assert [ax.axison for ax in axes.flat] == [True] * 7 + [False] * 2


def test_filters_of_pca_and_of_a_deep_net(pixels):
    _, axes = plot_filters(PCA(4).fit(pixels), image_shape=(8, 8))
    assert axes.shape == (1, 4)
    deep = TiedAutoencoder(2, hidden_layer_sizes=(12, 6), max_iter=1, random_state=0).fit(pixels)
    _, axes = plot_filters(deep, image_shape=(8, 8), n_filters=5)
    assert axes.size == 5  # the first hidden layer's units, not the codes


def test_samples_are_the_vae_samples(pixels):
    vae = VariationalAutoencoder(2, hidden_layer_sizes=(16,), max_iter=2, random_state=0).fit(pixels / 16)
    fig, axes = plot_samples(vae, image_shape=(8, 8), n_samples=6, n_cols=4, random_state=3)
    assert axes.shape == (2, 4)
    expected = vae.sample(6, random_state=3)
    np.testing.assert_allclose(shown(axes[1, 1]), expected[5].reshape(8, 8))
    assert not axes[1, 3].axison


def test_draws_into_a_given_figure(pixels):
    fig = plt.figure()
    left, right = fig.subfigures(1, 2)
    out, axes = plot_filters(PCA(2).fit(pixels), image_shape=(8, 8), fig=right)
    assert out is right and axes[0, 0].figure is right


def test_bad_input(pixels):
    pca = PCA(2).fit(pixels)
    with pytest.raises(ValueError, match=r"image_shape=\(7, 7\) has 49 pixels, but the images have 64 features"):
        plot_reconstructions(pca, pixels, image_shape=(7, 7))
    with pytest.raises(TypeError, match="needs an estimator with a sample method"):
        plot_samples(pca, image_shape=(8, 8))
    with pytest.raises(NotFittedError):
        plot_filters(TiedAutoencoder(), image_shape=(8, 8))
    with pytest.raises(TypeError, match="needs a skae estimator or an estimator with components_"):
        plot_filters(StandardScaler().fit(pixels), image_shape=(8, 8))
