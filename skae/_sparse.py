"""SparseAutoencoder: a logistic code layer pushed towards sparse activity."""

from numbers import Real

import numpy as np

from sklearn.utils._param_validation import Interval

from ._base import _DOC_ATTRIBUTES, _DOC_NETWORK, _DOC_TRAINING, BaseAutoencoder


class SparseAutoencoder(BaseAutoencoder):
    __doc__ = f"""Autoencoder with a KL-divergence sparsity penalty on its code layer.

    The code layer has a logistic (sigmoid) activation, so the mean
    activation of each code unit over a batch, p̂_j, is a probability.  The
    loss adds ``sparsity_weight * sum_j KL(p || p̂_j)`` with
    ``p = sparsity_target``, which pushes every unit to be active on only a
    small fraction of the samples (Ng, "Sparse autoencoder", CS294A notes).
    Over-complete codes (``n_components`` larger than the number of
    features) are allowed, and are where the penalty matters most.

    The batch means are clipped to [1e-6, 1 - 1e-6] inside the penalty, so a
    dead or saturated unit gives a large, finite loss, never NaN.

    Parameters
    ----------
    n_components : int, default=100
        Number of code units (may exceed the number of features).
{_DOC_NETWORK.format(hidden="()", hidden_note="")}
    sparsity_target : float, default=0.1
        Target mean activation p of every code unit, in (0, 1).
    sparsity_weight : float, default=0.2
        Weight of the KL sparsity penalty; 0 switches it off.
    tied_weights : bool, default=False
        Decoder kernels are the encoder's, transposed.
{_DOC_TRAINING}

    Attributes
    ----------
    mean_activation_ : ndarray of shape (n_components,)
        Mean activation of each code unit over the training data: compare
        with ``sparsity_target`` to see the sparsity reached.
{_DOC_ATTRIBUTES}

    See Also
    --------
    TiedAutoencoder : Linear code layer, tied weights.
    sklearn.neural_network.BernoulliRBM : Another model of binary hidden units.

    References
    ----------
    A. Ng, "Sparse autoencoder", CS294A Lecture notes, Stanford (2011).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skae import SparseAutoencoder
    >>> X = load_digits().data / 16
    >>> ae = SparseAutoencoder(n_components=128, loss="binary_crossentropy", max_iter=3, random_state=0)
    >>> ae.fit_transform(X).shape
    (1797, 128)
    >>> ae.mean_activation_.shape
    (128,)
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
        "sparsity_weight": [Interval(Real, 0, None, closed="left")],
        "tied_weights": ["boolean"],
    }

    def __init__(
        self,
        n_components=100,
        *,
        hidden_layer_sizes=(),
        activation="elu",
        loss="mse",
        sparsity_target=0.1,
        sparsity_weight=0.2,
        tied_weights=False,
        alpha=1e-4,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=1e-3,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        verbose=False,
        warm_start=False,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.sparsity_target = sparsity_target
        self.sparsity_weight = sparsity_weight
        self.tied_weights = tied_weights
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    def _architecture(self):
        penalty = ("kl_sparsity", float(self.sparsity_target), float(self.sparsity_weight))
        return {
            "tied_weights": bool(self.tied_weights),
            "code_activation": "logistic",
            "penalties": (penalty,) if self.sparsity_weight > 0 else (),
        }

    def _fitted_attributes(self, X, sample_weight, net, loop, continuing):
        codes = self._run(net, "encode", X, np.float64)
        return {"mean_activation_": np.average(codes, axis=0, weights=sample_weight)}
