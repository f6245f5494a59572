"""Image grids for looking at autoencoders: reconstructions, filters, samples.

Needs matplotlib (``pip install "skae[plot]"``), imported when a function is
first called.  Each function draws on a new figure (or on ``fig``, e.g. a
subfigure) and returns ``(fig, axes)``, ``axes`` being a 2-D array of
``matplotlib.axes.Axes``, so the caller can title, save or restyle it.

They take any fitted estimator with the methods they need, so PCA and a
``Pipeline`` ending in an autoencoder work as well as skae's estimators.
"""

import numpy as np
from sklearn.utils.validation import check_array, check_is_fitted

__all__ = ["plot_filters", "plot_reconstructions", "plot_samples"]


def plot_reconstructions(estimators, X, *, image_shape, n_images=8, cmap="gray_r", fig=None):
    """Show images and their reconstructions by one or several estimators.

    The first row shows the first ``n_images`` rows of ``X``; each further
    row their reconstruction ``inverse_transform(transform(X))`` by one
    estimator.  All rows share one colour scale, that of ``X``.

    Parameters
    ----------
    estimators : estimator or dict of str to estimator
        Fitted estimators with ``transform`` and ``inverse_transform``
        (PCA, any skae estimator, a ``Pipeline`` ending in one); a dict
        labels the rows with its keys.
    X : array-like of shape (n_samples, n_features)
        Images, flattened, in the estimators' input space.
    image_shape : tuple of int
        Shape of one image, e.g. ``(8, 8)``; its product must be ``n_features``.
    n_images : int, default=8
        Number of images (columns) to show.
    cmap : str, default='gray_r'
        Matplotlib colormap.
    fig : matplotlib Figure or SubFigure, default=None
        Where to draw; a new figure if None.

    Returns
    -------
    fig : matplotlib Figure
    axes : ndarray of Axes, shape (1 + n_estimators, n_images)

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skae.plotting import plot_reconstructions
    >>> X = load_digits().data
    >>> fig, axes = plot_reconstructions({"PCA, 10": PCA(10).fit(X)}, X, image_shape=(8, 8))
    >>> axes.shape
    (2, 8)
    """
    if not isinstance(estimators, dict):
        estimators = {type(estimators).__name__: estimators}
    X = check_array(X, ensure_min_samples=1)[:n_images]
    shape = _check_image_shape(image_shape, X.shape[1])
    rows = {"original": X}
    for name, est in estimators.items():
        rows[name] = np.asarray(est.inverse_transform(est.transform(X)))
    vmin, vmax = float(X.min()), float(X.max())
    new_figure = fig is None
    fig, axes = _grid(fig, len(rows), X.shape[0], cell=1.0)
    for ax_row, (name, images) in zip(axes, rows.items()):
        for ax, image in zip(ax_row, images):
            ax.imshow(image.reshape(shape), cmap=cmap, vmin=vmin, vmax=vmax)
        ax_row[0].set_ylabel(name, rotation=0, ha="right", va="center")
    if new_figure:
        fig.tight_layout()  # room for the row labels
    return fig, axes


def plot_filters(estimator, *, image_shape=None, n_filters=None, n_cols=10, cmap="RdBu_r", fig=None):
    """Show each first-layer unit's weights over the input as an image.

    For a skae estimator, the columns of the first encoder kernel (one per
    unit of the first hidden layer, or of the code layer when there is no
    hidden layer); for a convolutional one (``conv_filters``), the first
    convolution's kernels, one image per filter (of ``kernel_size``; the
    input channels side by side); for other estimators, the rows of
    ``components_`` (PCA, NMF, ...).  Each image has its own symmetric colour
    scale, so zero is the middle colour of a diverging ``cmap``.

    Parameters
    ----------
    estimator : fitted skae estimator, or estimator with ``components_``
    image_shape : tuple of int, default=None
        Shape of one input image; its product must be ``n_features_in_``.
        Not needed for convolutional kernels, which have their own shape.
    n_filters : int, default=None
        Number of units to show (the first ones); all if None.
    n_cols : int, default=10
        Images per row of the grid.
    cmap : str, default='RdBu_r'
        Matplotlib colormap (a diverging one shows the signs).
    fig : matplotlib Figure or SubFigure, default=None
        Where to draw; a new figure if None.

    Returns
    -------
    fig : matplotlib Figure
    axes : ndarray of Axes, shape (n_rows, n_cols)
        Axes beyond the last filter are switched off.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skae import SparseAutoencoder
    >>> from skae.plotting import plot_filters
    >>> X = load_digits().data / 16
    >>> ae = SparseAutoencoder(20, max_iter=2, random_state=0).fit(X)
    >>> fig, axes = plot_filters(ae, image_shape=(8, 8), n_cols=5)
    >>> axes.shape
    (4, 5)
    """
    filters = _first_layer_filters(estimator)
    if n_filters is not None:
        filters = filters[:n_filters]
    if filters.ndim == 3:  # convolution kernels, already images
        shape = filters.shape[1:]
    elif image_shape is None:
        raise ValueError("plot_filters needs image_shape for a dense first layer.")
    else:
        shape = _check_image_shape(image_shape, filters.shape[1])
    n_cols = min(n_cols, len(filters))
    n_rows = -(-len(filters) // n_cols)
    fig, axes = _grid(fig, n_rows, n_cols, cell=0.9)
    for ax, w in zip(axes.flat, filters):
        limit = float(np.abs(w).max()) or 1.0
        ax.imshow(w.reshape(shape), cmap=cmap, vmin=-limit, vmax=limit)
    for ax in axes.flat[len(filters) :]:
        ax.set_axis_off()
    return fig, axes


def plot_samples(estimator, *, image_shape, n_samples=32, n_cols=8, random_state=None,
                 cmap="gray_r", vmin=None, vmax=None, fig=None):
    """Show new data generated by ``estimator.sample`` as a grid of images.

    Parameters
    ----------
    estimator : fitted estimator with ``sample(n_samples, random_state=...)``
        A :class:`~skae.VariationalAutoencoder`.
    image_shape : tuple of int
        Shape of one image; its product must be the number of features.
    n_samples : int, default=32
        Number of samples to draw and show.
    n_cols : int, default=8
        Images per row of the grid.
    random_state : int, RandomState instance or None, default=None
        Passed to ``sample``; an int gives the same images each call.
    cmap : str, default='gray_r'
        Matplotlib colormap.
    vmin, vmax : float, default=None
        Colour scale; the samples' own range if None.
    fig : matplotlib Figure or SubFigure, default=None
        Where to draw; a new figure if None.

    Returns
    -------
    fig : matplotlib Figure
    axes : ndarray of Axes, shape (n_rows, n_cols)
    """
    if not callable(getattr(estimator, "sample", None)):
        raise TypeError(
            f"plot_samples needs an estimator with a sample method, such as"
            f" VariationalAutoencoder; got {type(estimator).__name__}."
        )
    samples = np.asarray(estimator.sample(n_samples, random_state=random_state))
    shape = _check_image_shape(image_shape, samples.shape[1])
    n_cols = min(n_cols, n_samples)
    fig, axes = _grid(fig, -(-n_samples // n_cols), n_cols, cell=0.9)
    vmin = float(samples.min()) if vmin is None else vmin
    vmax = float(samples.max()) if vmax is None else vmax
    for ax, image in zip(axes.flat, samples):
        ax.imshow(image.reshape(shape), cmap=cmap, vmin=vmin, vmax=vmax)
    for ax in axes.flat[n_samples:]:
        ax.set_axis_off()
    return fig, axes


def _first_layer_filters(estimator):
    """(n_units, n_features): the weights from the input to each first-layer
    unit; for a convolution, (filters, kernel height, kernel width * input channels)."""
    from ._base import BaseAutoencoder

    if isinstance(estimator, BaseAutoencoder):
        check_is_fitted(estimator)
        kernel = estimator.coefs_[0]
        if kernel.ndim == 4:  # (height, width, in channels, filters)
            h, w, c, f = kernel.shape
            return kernel.transpose(3, 0, 2, 1).reshape(f, h, c * w)
        return kernel.T
    if hasattr(estimator, "components_"):
        return np.asarray(estimator.components_)
    check_is_fitted(estimator)
    raise TypeError(
        f"plot_filters needs a skae estimator or an estimator with components_;"
        f" got {type(estimator).__name__}."
    )


def _check_image_shape(image_shape, n_features):
    shape = tuple(int(s) for s in image_shape)
    if int(np.prod(shape)) != n_features:
        raise ValueError(
            f"image_shape={shape} has {int(np.prod(shape))} pixels, but the images"
            f" have {n_features} features."
        )
    return shape


def _grid(fig, n_rows, n_cols, cell):
    """A grid of image axes without ticks, on fig (or a new figure)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "skae.plotting needs matplotlib: pip install 'skae[plot]'"
        ) from exc
    if fig is None:
        fig = plt.figure(figsize=(cell * n_cols + 1.0, cell * n_rows))
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, axes
