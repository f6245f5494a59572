"""Checks of estimator parameters and input data that every skae estimator shares.

Where scikit-learn's ``validate_data`` and ``_param_validation`` stop: values
that would overflow the float32 network, data outside [0, 1] for binary
cross-entropy, sample weights at any scale, layer sizes, and the image and
convolution options checked against X's width.
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp

_FLOAT32_MAX = float(np.finfo(np.float32).max)
# Rounding slack of the [0, 1] check (MinMaxScaler can give 1 + 2e-16).
_UNIT_RANGE_SLACK = 1e-6


def _stored_values(X):
    """The values X holds: a sparse matrix's non-zeros as densifying gives
    them.  Duplicate entries of a non-canonical matrix add up when densified,
    so their sums (in float64) are what counts; a canonical matrix, the usual
    case, is read in place."""
    if not sp.issparse(X):
        return X
    if X.has_canonical_format:
        return X.data
    summed = X.astype(np.float64)  # a copy: X itself stays as given
    summed.sum_duplicates()
    return summed.data


def _extremes(X):
    """(min, max) of X's stored values (a sparse matrix's non-zeros), or None
    when it stores none.  With min/max rather than ``abs``: no temporary as
    large as X."""
    values = _stored_values(X)
    return (float(values.min()), float(values.max())) if values.size else None


def _check_float32_range(X):
    """Reject finite float64 values that would overflow the float32 network
    (and float32 duplicates of a sparse matrix whose sum would)."""
    summed = sp.issparse(X) and not X.has_canonical_format
    extremes = _extremes(X) if X.dtype == np.float64 or summed else None
    if extremes is not None and max(extremes[1], -extremes[0]) > _FLOAT32_MAX:
        raise ValueError(
            "Input X contains infinity or a value too large for dtype('float32')."
        )
    return X


def _check_unit_range(X, loss):
    """Binary cross-entropy is a likelihood for data in [0, 1] only: outside
    it the loss goes below zero without bound and training chases nonsense."""
    extremes = _extremes(X) if loss == "binary_crossentropy" else None
    if extremes is None:
        return X
    low, high = extremes
    if low < -_UNIT_RANGE_SLACK or high > 1 + _UNIT_RANGE_SLACK:
        raise ValueError(
            f"loss='binary_crossentropy' needs X in [0, 1], but X has values in [{low:.6g},"
            f" {high:.6g}]. Scale X to [0, 1] (e.g. with sklearn.preprocessing.MinMaxScaler,"
            " clip=True for data not seen in fit) or use loss='mse'."
        )
    return X



def _unit_mean(w):
    """Positive weights scaled to mean 1.  Divided by their maximum first:
    weights such as 1e308 overflow a plain mean, and ``w / inf`` is 0."""
    w = w / w.max()
    return w / w.mean()


def _layer_sizes(value, name):
    """A layer-size parameter (an int or a sequence of ints) as a tuple of
    positive ints, or a ValueError naming it."""
    sizes = (value,) if isinstance(value, Integral) else tuple(value)
    if not all(isinstance(h, Integral) and not isinstance(h, bool) and h >= 1 for h in sizes):
        raise ValueError(f"{name} must be positive integers, got {value}.")
    return tuple(int(h) for h in sizes)


def _pair(value, name):
    """``kernel_size`` or ``strides``: an int or two, as a pair of positive ints."""
    pair = _layer_sizes(value, name)
    if len(pair) == 1:
        pair *= 2
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints (height, width), got {value!r}.")
    return pair


def _convolutions(est, n_features):
    """The image and convolution options of an autoencoder's NetworkSpec,
    checked against X's width."""
    filters = _layer_sizes(est.conv_filters, "conv_filters")
    kernel_size, strides = _pair(est.kernel_size, "kernel_size"), _pair(est.strides, "strides")
    if est.image_shape is None:
        if filters:
            raise ValueError(
                "conv_filters needs image_shape=(height, width) or (height, width, channels):"
                " the shape each row of X is read as."
            )
        return {}
    shape = tuple(est.image_shape) if not isinstance(est.image_shape, Integral) else (est.image_shape,)
    if not (
        len(shape) in (2, 3)
        and all(isinstance(s, Integral) and not isinstance(s, bool) and (s >= 1 or s == -1) for s in shape)
        and shape.count(-1) <= 1
    ):
        raise ValueError(
            "image_shape must be (height, width) or (height, width, channels), positive integers"
            f" (one may be -1: inferred from the number of features), got {est.image_shape!r}."
        )
    shape = tuple(int(s) for s in shape) + ((1,) if len(shape) == 2 else ())
    known = int(np.prod([s for s in shape if s != -1]))
    if -1 in shape:
        if n_features % known:
            raise ValueError(
                f"image_shape={tuple(est.image_shape)} cannot read X's {n_features} features as images:"
                f" {n_features} is not a multiple of {known}."
            )
        shape = tuple(n_features // known if s == -1 else s for s in shape)
    if int(np.prod(shape)) != n_features:
        raise ValueError(
            f"image_shape={tuple(est.image_shape)} has {int(np.prod(shape))} values per image, but X has"
            f" {n_features} features: each row of X must be one flat image."
        )
    if filters and getattr(est, "pretraining", "none") == "greedy":
        raise ValueError("pretraining='greedy' trains dense layers only; it does not take conv_filters.")
    return {"image_shape": shape, "conv_filters": filters, "kernel_size": kernel_size, "strides": strides}


def _finite(values, dtype, name):
    """``values`` as ``dtype``, or a clear error where they overflow it."""
    with np.errstate(over="ignore"):
        out = values.astype(dtype, copy=False)
    if not np.isfinite(out).all():
        what = {"encode": "transform", "decode": "inverse_transform"}.get(name, "score_samples")
        raise ValueError(
            "Input X contains infinity or a value too large for dtype('float32'): its"
            f" {what} overflows float32. Pass X as float64 to get a float64 result, or scale it."
        )
    return out
