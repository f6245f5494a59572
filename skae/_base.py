"""The shared base of every skae estimator: the scikit-learn side of the seam.

:class:`BaseAutoencoder` validates parameters and data, drives training,
and gives ``transform``, ``inverse_transform``, ``score``, ``score_samples``,
feature names, tags and pickling once, for every estimator.  A subclass only
declares its parameters and what differs in its network (:meth:`_architecture`).

TensorFlow is imported lazily, by the first ``fit`` or unpickling of a fitted
model, through the ``skae._tf`` sub-package.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._spec import NetworkSpec

ACTIVATIONS = {"identity", "logistic", "tanh", "relu", "elu"}
_FLOAT32_MAX = np.finfo(np.float32).max
# Rows per call when transforming or scoring: bounds the activations' memory.
_CHUNK_SIZE = 16384


# Docstring sections every estimator shares (numpydoc, indented for a class body).
_DOC_NETWORK = """\
    hidden_layer_sizes : array-like of int, default={hidden}
        Encoder layers before the code layer; the decoder mirrors them.{hidden_note}
    activation : {{'identity', 'logistic', 'tanh', 'relu', 'elu'}}, default='elu'
        Activation of the hidden layers (encoder and decoder). ReLU/ELU layers
        start from He initialisation, the others from Glorot.
    loss : {{'mse', 'binary_crossentropy'}}, default='mse'
        Reconstruction error. 'binary_crossentropy' is for data in [0, 1]:
        the output goes through a sigmoid."""

_DOC_TRAINING = """\
    alpha : float, default=1e-4
        Strength of the L2 penalty on the kernels: ``alpha / 2 * sum(W ** 2)``
        is added to the loss.
    batch_size : int or 'auto', default='auto'
        Mini-batch size; 'auto' means ``min(200, n_samples)``.
    learning_rate : {'constant', 'adaptive', 'cosine'}, default='constant'
        Step-size schedule. 'adaptive' (as in :class:`~sklearn.neural_network.MLPRegressor`)
        divides the step by 5 each time the loss (or validation score) stalls
        for more than ``n_iter_no_change`` epochs, and stops once the step is
        at most 1e-6: slower, but it settles past Adam's noise floor.
        'cosine' anneals the step from ``learning_rate_init`` towards 0 over
        ``max_iter`` epochs (``lr_t = learning_rate_init * (1 + cos(pi (t +
        1/2) / max_iter)) / 2`` in epoch t = 0, 1, ..., the middle of each
        epoch's span on the cosine; Loshchilov & Hutter, 2017):
        training runs all ``max_iter`` epochs, which are its budget, and
        ``tol`` stops it early only with ``early_stopping``.
    learning_rate_init : float, default=1e-3
        Adam's initial step size.
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Training stops (or, with ``learning_rate='adaptive'``, the step is
        divided by 5) when the loss (or the validation score, with
        ``early_stopping``) has not improved by at least ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs.  With
        ``learning_rate='cosine'`` only the validation score can stop training.
    n_iter_no_change : int, default=10
        See ``tol``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data, stop on its
        reconstruction score, and restore the best epoch's weights.
    validation_fraction : float, default=0.1
        Fraction of the training data held out when ``early_stopping``.
    shuffle : bool, default=True
        Shuffle the samples every epoch.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, shuffling, noise and the validation split.
        An int gives the same model on every fit. No global seed is changed.
    verbose : bool or int, default=False
        Print the loss after every epoch."""

_DOC_ATTRIBUTES = """\
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.
    n_iter_ : int
        Number of epochs run.
    loss_curve_ : list of float
        Training loss (with every penalty term) after each epoch.
    best_loss_ : float or None
        Lowest training loss; None with ``early_stopping``.
    validation_scores_ : list of float
        With ``early_stopping``: the validation score (negative mean
        reconstruction error) after each epoch.
    best_validation_score_ : float
        With ``early_stopping``: the best validation score.
    encoder_ : keras.Model
        A Keras model of the encoder (a copy of the fitted weights).
    decoder_ : keras.Model
        A Keras model of the decoder (a copy of the fitted weights)."""


def _check_float32_range(X):
    """Reject finite float64 values that would overflow the float32 network."""
    if X.dtype == np.float64 and X.size and np.abs(X).max() > _FLOAT32_MAX:
        raise ValueError(
            "Input X contains infinity or a value too large for dtype('float32')."
        )
    return X


def _tf_side():
    """The TensorFlow side (networks and training), imported on first use."""
    from ._tf import networks, training

    return networks, training


class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class for the autoencoders: use a subclass.

    A subclass defines ``__init__`` (its parameters, stored unchanged),
    extends ``_parameter_constraints`` and implements :meth:`_architecture`.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(ACTIVATIONS)],
        "loss": [StrOptions({"mse", "binary_crossentropy"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "adaptive", "cosine"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # -- public API -----------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X = validate_data(self, X, dtype=(np.float64, np.float32))
        _check_float32_range(X)
        spec = self._network_spec(X.shape[1])
        rng = check_random_state(self.random_state)

        X_train, X_val = X, None
        if self.early_stopping:
            n_val = int(round(self.validation_fraction * X.shape[0]))
            if n_val < 1 or n_val >= X.shape[0]:
                raise ValueError(
                    f"early_stopping with validation_fraction={self.validation_fraction}"
                    f" cannot split {X.shape[0]} samples into a non-empty training"
                    " and validation set; use more samples or early_stopping=False."
                )
            order = rng.permutation(X.shape[0])
            X_val, X_train = X[order[:n_val]], X[order[n_val:]]
        batch_size = self._batch_size(X_train.shape[0])

        _, training = _tf_side()
        seeds = rng.randint(np.iinfo(np.int32).max, size=2)
        try:
            net, result = self._train(spec, X_train, X_val, batch_size, seeds)
        except training.NonFiniteLossError as exc:
            raise ValueError(
                f"{type(self).__name__} training diverged: the loss became {exc.loss}"
                f" at epoch {exc.epoch}. Scale the input (e.g. with StandardScaler,"
                " or to [0, 1] for loss='binary_crossentropy') or lower"
                f" learning_rate_init (now {self.learning_rate_init})."
            ) from None

        self._network = net
        self.n_iter_ = result.n_iter
        self.loss_curve_ = result.loss_curve
        if self.early_stopping:
            self.validation_scores_ = result.validation_scores
            self.best_validation_score_ = result.best_validation_score
            self.best_loss_ = None
        else:
            self.best_loss_ = result.best_loss
        self._set_fitted_attributes(X, result)
        if not result.converged:
            warnings.warn(
                f"{type(self).__name__}: stopped after max_iter={self.max_iter} epochs"
                " and the optimization hasn't converged yet.",
                ConvergenceWarning,
            )
        return self

    def transform(self, X):
        """Encode X: the activations of the code layer.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Same dtype as X (float32 or float64).
        """
        X = self._validate_X(X)
        return self._run("encode", X, X.dtype)

    def inverse_transform(self, X):
        """Decode codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=(np.float64, np.float32))
        _check_float32_range(Z)
        if Z.shape[1] != self.n_components:
            raise ValueError(
                f"X has {Z.shape[1]} features, but {type(self).__name__}.inverse_transform"
                f" is expecting {self.n_components} features (n_components) as input."
            )
        return self._run("decode", Z, Z.dtype)

    def score_samples(self, X):
        """Negative reconstruction error of each sample.

        The error is the mean over features of the squared error
        (``loss='mse'``) or of the binary cross-entropy
        (``loss='binary_crossentropy'``).  Higher is better: unusual samples
        (anomalies) get low scores.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,), float64
        """
        X = self._validate_X(X)
        return -self._run("sample_errors", X, np.float64)

    def score(self, X, y=None):
        """Negative mean reconstruction error: higher is better.

        So ``GridSearchCV`` without ``scoring`` picks the model that
        reconstructs held-out data best.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : None
            Ignored.

        Returns
        -------
        score : float
        """
        return float(np.mean(self.score_samples(X)))

    # -- Keras access ---------------------------------------------------------
    @property
    def encoder_(self):
        """A Keras model of the fitted encoder (a copy of its weights).

        Plain ``Dense`` layers: it saves and loads with Keras' own format
        (``model.save("encoder.keras")``) and no custom objects.
        """
        check_is_fitted(self)
        return self._network.keras_encoder()

    @property
    def decoder_(self):
        """A Keras model of the fitted decoder (a copy of its weights).

        For tied networks the kernels are the encoder's, transposed, copied
        into plain ``Dense`` layers.
        """
        check_is_fitted(self)
        return self._network.keras_decoder()

    # -- for subclasses -------------------------------------------------------
    def _train(self, spec, X_train, X_val, batch_size, seeds, rows_shuffled=False):
        """Build the network of ``spec`` and train it; return (network, result).

        ``seeds`` are two integers: for the initial weights and for training.
        ``rows_shuffled``: X_train is a private copy whose rows the caller
        put in random order (see ``training.train``).
        """
        networks, training = _tf_side()
        net = networks.Autoencoder(spec, seed=int(seeds[0]))
        result = training.train(
            net,
            X_train,  # converted to float32 by train, with at most one copy
            None if X_val is None else np.asarray(X_val, dtype=np.float32),
            batch_size=batch_size,
            max_iter=self.max_iter,
            learning_rate=self.learning_rate_init,
            shuffle=self.shuffle,
            seed=int(seeds[1]),
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            schedule=self.learning_rate,
            verbose=self.verbose,
            chunk_size=_CHUNK_SIZE,
            rows_shuffled=rows_shuffled,
        )
        return net, result

    def _architecture(self):
        """Network options that differ between estimators (a dict for NetworkSpec)."""
        raise NotImplementedError

    def _set_fitted_attributes(self, X, result):
        """Set estimator-specific fitted attributes after training on X.

        ``result`` is the training run's record (loss curves and their parts).
        """

    # -- private helpers ------------------------------------------------------
    def _network_spec(self, n_features):
        hidden = self.hidden_layer_sizes
        hidden = (hidden,) if isinstance(hidden, Integral) else tuple(hidden)
        if not all(isinstance(h, Integral) and h >= 1 for h in hidden):
            raise ValueError(
                f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes}."
            )
        return NetworkSpec(
            n_features=int(n_features),
            n_components=int(self.n_components),
            hidden_layer_sizes=tuple(int(h) for h in hidden),
            activation=self.activation,
            loss=self.loss,
            alpha=float(self.alpha),
            **self._architecture(),
        )

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going"
                " to be clipped"
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _validate_X(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return _check_float32_range(X)

    def _run(self, name, X, dtype):
        """Apply a compiled network function to X, chunk by chunk, in X's precision."""
        parts = [
            self._network.run(name, X[start : start + _CHUNK_SIZE]).numpy()
            for start in range(0, X.shape[0], _CHUNK_SIZE)
        ]
        return np.concatenate(parts).astype(dtype, copy=False)

    @property
    def _n_features_out(self):
        return self.n_components

    # -- pickling: weights as numpy arrays, the network rebuilt on load -------
    def __getstate__(self):
        state = dict(super().__getstate__())  # may be self.__dict__ itself
        net = state.pop("_network", None)
        if net is not None:
            state["_network_state"] = (net.spec, net.get_weights())
        return state

    def __setstate__(self, state):
        saved = state.pop("_network_state", None)
        super().__setstate__(state)
        if saved is not None:
            networks, _ = _tf_side()
            spec, weights = saved
            self._network = networks.Autoencoder(spec, weights=weights)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
