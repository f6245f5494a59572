"""The shared base of every skae estimator: the scikit-learn side of the seam.

:class:`BaseAutoencoder` validates parameters and data, drives training,
and gives ``transform``, ``inverse_transform``, ``score``, ``score_samples``,
feature names, tags and pickling once, for every estimator.  A subclass only
declares its parameters and what differs in its network (:meth:`_architecture`).

TensorFlow is imported lazily, by the first ``fit`` or unpickling of a fitted
model, through the ``skae._tf`` sub-package.
"""

import copy
import os
import sys
import threading
import warnings
import weakref
from dataclasses import replace
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import InvalidParameterError, Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_is_fitted,
    validate_data,
)

from ._checks import (
    _check_float32_range,
    _check_unit_range,
    _unit_mean,
    _layer_sizes,
    _convolutions,
    _finite,
)
from ._spec import ACTIVATIONS, NetworkSpec

# Inference (and the linear net's statistics) read at most this many rows,
# and about this many entries, at a time: the densified chunk of a wide
# sparse matrix and the activations stay bounded (as the trainer's chunks:
# skae._tf.data.CHUNK_ENTRIES).
_CHUNK_SIZE = 16384
_CHUNK_ENTRIES = 2**22


def _chunk_rows(n_features, most=None):
    """Rows per chunk for data of ``n_features`` columns (at most ``most``,
    by default _CHUNK_SIZE, read when called)."""
    most = _CHUNK_SIZE if most is None else most
    return int(max(1, min(most, _CHUNK_ENTRIES // max(1, n_features))))


_SKIPPED_DIRS = tuple(
    os.path.dirname(os.path.abspath(module.__file__)) + os.sep
    for module in (sys.modules[__package__], sys.modules["sklearn"])
)


def _stacklevel():
    """The ``stacklevel`` that makes a warning name the first line outside
    skae and scikit-learn (the user's own call, even through a Pipeline),
    for a ``warnings.warn`` in the function that calls this."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_SKIPPED_DIRS):
        frame, level = frame.f_back, level + 1
    return level


def _divergence_message(estimator, what, exc, culprits):
    """The error for a divergence that weighted loss terms caused (None if none did)."""
    if not culprits:
        return None
    named = " and ".join(f"{name}={getattr(estimator, name)!r}" for name in culprits)
    return (
        f"{type(estimator).__name__} {what} diverged: the loss became {exc.loss} at epoch"
        f" {exc.epoch}, because the loss term weighted by {named} overflows float32 from"
        f" the first step. Lower {' and '.join(culprits)}."
    )


def _same_value(a, b):
    """Whether two parameter values are equal (values that cannot say, such
    as arrays, count as different)."""
    try:
        return a is b or bool(a == b)
    except (TypeError, ValueError):
        return False


def _tf_side():
    """The TensorFlow side (:mod:`skae._tf.engine`), imported on first use."""
    from ._tf import engine

    return engine


class _SparseRows:
    """Rows of a sparse matrix, densified on demand (the trainer's row source)."""

    def __init__(self, X):
        self.X = X.tocsr()
        self.shape = X.shape

    def take(self, rows):
        return self.X[rows].toarray()


def _rows(X):
    """What the trainer reads: a dense array as it is, a sparse matrix as a row source."""
    return _SparseRows(X) if sp.issparse(X) else X


def _dense_chunks(X):
    """X (dense or sparse) in dense chunks of rows: the only way sparse data are densified."""
    chunk_size = _chunk_rows(X.shape[1])
    for start in range(0, X.shape[0], chunk_size):
        chunk = X[start : start + chunk_size]
        yield chunk.toarray() if sp.issparse(chunk) else chunk


# Fitted state that is private: swapped in and out with the public ``*_`` attributes.
_PRIVATE_FITTED = ("_network", "_training_state", "_stats", "_scatter", "_fitted_params")
# Version of the pickled state; a pickle of another format is refused clearly.
_STATE_FORMAT = 1


def _skae_version():
    from . import __version__

    return __version__


def _is_fitted_key(key):
    return key in _PRIVATE_FITTED or (key.endswith("_") and not key.startswith("__"))


# One re-entrant lock per estimator object, outside its __dict__: pickling,
# clone and deepcopy never see it, and a copy gets a lock of its own.
_LOCKS = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _transaction_lock(estimator):
    with _LOCKS_GUARD:
        lock = _LOCKS.get(estimator)
        if lock is None:
            lock = _LOCKS[estimator] = threading.RLock()
        return lock


def _swap_in(estimator, train):
    """Fit as a transaction: ``train()`` computes every fitted attribute (a
    dict), which replaces the old ones in one step; on any exception the
    estimator is put back exactly as it was.

    Transactions on one estimator run one at a time: two threads calling
    ``partial_fit`` together each go on from the other's result, and a
    failing call puts back only what it found, never undoing another's."""
    with _transaction_lock(estimator):
        before = dict(estimator.__dict__)
        try:
            fitted = train()
            kept = {k: v for k, v in before.items() if not _is_fitted_key(k)}
            estimator.__dict__ = {**kept, **fitted}  # one step
        except BaseException:
            estimator.__dict__ = before
            raise


def _validate_fitted_X(estimator, X):
    """X for a fitted estimator's inference: dense or sparse, float64 or
    float32, of the fitted width, within float32's range."""
    check_is_fitted(estimator)
    X = validate_data(
        estimator, X, reset=False, accept_sparse=("csr", "csc"), dtype=(np.float64, np.float32)
    )
    return _check_float32_range(X)


class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class for the autoencoders: use a subclass.

    A subclass defines ``__init__`` (its parameters, stored unchanged),
    extends ``_parameter_constraints`` and implements :meth:`_architecture`.
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "loss": [StrOptions({"mse", "binary_crossentropy"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "adaptive", "cosine"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "pretraining": [StrOptions({"none", "greedy"})],
        "layer_loss_weight": [Interval(Real, 0, None, closed="left")],
        "image_shape": [None, "array-like"],
        "conv_filters": ["array-like", Interval(Integral, 1, None, closed="left")],
        "kernel_size": ["array-like", Interval(Integral, 1, None, closed="left")],
        "strides": ["array-like", Interval(Integral, 1, None, closed="left")],
    }

    # -- public API -----------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Train the autoencoder to reconstruct X.

        A fit is a transaction: if it fails or is interrupted (divergence,
        ``KeyboardInterrupt``, ``MemoryError``, ...), the estimator is left
        exactly as it was.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data. Sparse matrices (CSR, CSC) are densified one
            mini-batch at a time, never whole.
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights: each sample's reconstruction error counts
            in proportion (a weight of 2 about as if the sample were there
            twice). Samples of weight 0 are left out altogether.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._transaction(X, sample_weight, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None):
        """Train on X for one pass (one epoch), going on from the current state.

        The first call builds the network (and fixes ``n_features_in_``);
        each later call continues training where the last one, or ``fit``,
        stopped: same weights, same optimiser moments and step count, same
        random stream, same schedule position.  ``early_stopping`` does not
        apply (as in :class:`~sklearn.neural_network.MLPRegressor`).  For
        data that do not fit in memory, pass chunks (e.g. of a
        ``np.memmap``) one call at a time.  Like ``fit``, a failed call
        leaves the estimator as it was.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : None
            Ignored; present for API consistency.
        sample_weight : array-like of shape (n_samples,), default=None
            As in :meth:`fit`, relative within this call.

        Returns
        -------
        self : object
        """
        return self._transaction(X, sample_weight, incremental=True)

    def transform(self, X):
        """Encode X: the activations of the code layer.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Same dtype as X (float32 or float64).
        """
        X = self._validate_X(X)
        return self._infer("encode", X, X.dtype)

    def inverse_transform(self, X):
        """Decode codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by :meth:`transform`.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            Dense, whatever the input to ``fit`` was.
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=(np.float64, np.float32))
        _check_float32_range(Z)
        if Z.shape[1] != self._n_features_out:
            raise ValueError(
                f"X has {Z.shape[1]} features, but {type(self).__name__}.inverse_transform"
                f" is expecting {self._n_features_out} features (the fitted n_components) as input."
            )
        return self._infer("decode", Z, Z.dtype)

    def score_samples(self, X):
        """Negative reconstruction error of each sample.

        The error is the mean over features of the squared error
        (``loss='mse'``) or of the binary cross-entropy
        (``loss='binary_crossentropy'``).  Higher is better: unusual samples
        (anomalies) get low scores.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,), float64
        """
        X = self._validate_X(X)
        _check_unit_range(X, self._network.spec.loss)
        return -self._infer("sample_errors", X, np.float64)

    def score(self, X, y=None, sample_weight=None):
        """Negative mean reconstruction error: higher is better.

        So ``GridSearchCV`` without ``scoring`` picks the model that
        reconstructs held-out data best.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the mean.

        Returns
        -------
        score : float
        """
        scores = self.score_samples(X)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, scores, ensure_non_negative=True)
        return float(np.average(scores, weights=sample_weight))

    # -- named weights, as MLPRegressor's -------------------------------------
    @property
    def coefs_(self):
        """Kernels of the layers, input to output (encoder, then decoder).

        ``coefs_[i]`` has shape (units in, units out), as in
        :class:`~sklearn.neural_network.MLPRegressor`.  For tied networks the
        decoder's kernels are the encoder's, transposed (copies: changing
        them changes nothing).
        """
        check_is_fitted(self)
        return [W for W, _ in self._network.layers()]

    @property
    def intercepts_(self):
        """Biases of the layers, input to output (encoder, then decoder)."""
        check_is_fitted(self)
        return [b for _, b in self._network.layers()]

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
    def _architecture(self):
        """Network options that differ between estimators (a dict for NetworkSpec)."""
        raise NotImplementedError

    def _training_spec(self, spec):
        """The network that training runs on (the linear tied net's differs)."""
        return spec

    def _training_data(self, X, sample_weight, X_val, w_val, state, incremental, seeds):
        """(training Data, validation Data or None, extras for the hooks below)."""
        engine = _tf_side()
        val = None if X_val is None else engine.Data(_rows(X_val), w_val)
        return engine.Data(_rows(X), sample_weight), val, {}

    def _inference_network(self, state, X, sample_weight, extras, incremental):
        """The network ``transform`` uses after training on X; (network, attributes)."""
        return state.net, {}

    def _fitted_attributes(self, X, sample_weight, net, loop, continuing):
        """Estimator-specific fitted attributes (a dict) after training on X."""
        return {}

    # -- the transaction --------------------------------------------------------
    def _transaction(self, X, sample_weight, incremental):
        """Fit or partial_fit as a transaction: train a new (or copied) state,
        then swap every fitted attribute in at once; on any exception, put
        back the estimator exactly as it was."""
        warning = None

        def train():
            nonlocal warning
            fitted, warning = self._train(X, sample_weight, incremental)
            return fitted

        _swap_in(self, train)
        if warning:
            warnings.warn(warning, ConvergenceWarning, stacklevel=_stacklevel())
        return self

    def _train(self, X, sample_weight, incremental):
        """Everything fit/partial_fit compute; returns (fitted attributes, warning)."""
        engine = _tf_side()
        previous = self.__dict__.get("_training_state")
        continuing = previous is not None and (incremental or self.warm_start)
        X = validate_data(
            self, X, reset=not continuing, accept_sparse=("csr", "csc"), dtype=(np.float64, np.float32)
        )
        _check_float32_range(X)
        _check_unit_range(X, self.loss)
        X, sample_weight = self._check_weights(X, sample_weight)
        spec = self._training_spec(self._network_spec(X.shape[1]))
        if continuing and previous.spec != spec:
            refused = self._refused_changes(previous.spec, spec, X.shape[1])
            if refused is not None:
                raise ValueError(
                    f"{'partial_fit' if incremental else 'fit with warm_start=True'} cannot change"
                    f" the shapes of the fitted network's weights, and {refused or 'its parameters'}"
                    " would. Set it back, or use fit (with warm_start=False) to train a new model."
                )
        rng = check_random_state(self.random_state)

        X_train, w_train, X_val, w_val = X, sample_weight, None, None
        if self.early_stopping and not incremental:
            n_val = int(round(self.validation_fraction * X.shape[0]))
            if n_val < 1 or n_val >= X.shape[0]:
                raise ValueError(
                    f"early_stopping with validation_fraction={self.validation_fraction}"
                    f" cannot split {X.shape[0]} samples into a non-empty training"
                    " and validation set; use more samples or early_stopping=False."
                )
            order = rng.permutation(X.shape[0])
            X_val, X_train = X[order[:n_val]], X[order[n_val:]]
            if sample_weight is not None:
                w_val, w_train = sample_weight[order[:n_val]], sample_weight[order[n_val:]]
                w_val, w_train = w_val / w_val.mean(), w_train / w_train.mean()
        batch_size = self._batch_size(X_train.shape[0])

        seeds = None
        if continuing:
            # The fitted model stays untouched until the swap; the copy trains
            # under the current parameters (alpha, noise, penalties may change).
            state = previous.copy(spec)
        else:
            seeds = rng.randint(np.iinfo(np.int32).max, size=2)
            state = engine.TrainingState.fresh(
                spec, init_seed=int(seeds[0]), train_seed=int(seeds[1]),
                learning_rate=self.learning_rate_init,
            )
        if not incremental:  # each fit runs its schedule from the start
            state.schedule_epoch = 0
            state.learning_rate = float(self.learning_rate_init)
        data, val, extras = self._training_data(X_train, w_train, X_val, w_val, state, incremental, seeds)

        max_epochs = 1 if incremental else self.max_iter
        greedy_curves = self.__dict__.get("pretraining_loss_curves_") if continuing else None
        n_layers = spec.n_weight_layers
        # Half of max_iter, shared by the layers; the stack is fine-tuned for
        # the rest. Fewer than 2 epochs per layer: no pretraining (n_iter_ never
        # exceeds max_iter).
        per_layer = self.max_iter // (2 * n_layers)
        if self.pretraining == "greedy" and not (continuing or incremental) and n_layers > 1 and per_layer:
            greedy_curves = engine.greedy_pretrain(
                state, data, epochs=per_layer, batch_size=batch_size, shuffle=self.shuffle,
                verbose=self.verbose,
            )
            state.epoch += per_layer * n_layers
            max_epochs -= per_layer * n_layers  # at least max_iter / 2

        schedule = {
            "constant": engine.ConstantSchedule,
            "adaptive": engine.AdaptiveSchedule,
            "cosine": lambda: engine.CosineSchedule(self.max_iter if incremental else max_epochs),
        }[self.learning_rate]()
        policies = [engine.DivergenceGuard()]
        if val is not None:
            policies.append(engine.Validation(val))
        if not (self.learning_rate == "cosine" and val is None):  # the schedule says when to stop
            monitor = "validation_score" if val is not None else "loss"
            policies.append(engine.Plateau(self.tol, self.n_iter_no_change, monitor, reset=not incremental))
        if self.verbose:
            policies.append(engine.Progress(self.verbose, max_epochs))
        try:
            loop = engine.run(
                state, data, batch_size=batch_size, shuffle=self.shuffle, schedule=schedule,
                policies=policies, max_epochs=max_epochs, verbose=self.verbose,
            )
        except engine.NonFiniteLossError as exc:
            start = previous.net.get_weights() if continuing else engine.initial_weights(spec, int(seeds[0]))
            culprits = engine.overflowing_terms(spec, start, data, self._loss_terms(spec))
            raise ValueError(
                _divergence_message(self, "training", exc, culprits)
                or f"{type(self).__name__} training diverged: the loss became {exc.loss}"
                f" at epoch {exc.epoch}. Scale the input (e.g. with StandardScaler,"
                " or to [0, 1] for loss='binary_crossentropy') or lower"
                f" learning_rate_init (now {self.learning_rate_init})."
            ) from None

        net, fitted = self._inference_network(state, X, sample_weight, extras, incremental)
        fitted.update(
            {k: self.__dict__[k] for k in ("n_features_in_", "feature_names_in_") if k in self.__dict__}
        )
        loss_curve = (list(self.loss_curve_) if continuing else []) + loop.loss_curve
        fitted.update(
            _network=net,
            _training_state=state,
            n_iter_=state.epoch,
            loss_curve_=loss_curve,
            best_loss_=None if val is not None else float(min(loss_curve)),
            validation_scores_=None,
            best_validation_score_=None,
            pretraining_loss_curves_=greedy_curves,
            _fitted_params=copy.deepcopy(self.get_params(deep=False)),
        )
        if val is not None:
            old = self.__dict__.get("validation_scores_") if continuing else None
            fitted["validation_scores_"] = list(old or []) + loop.validation_scores
            fitted["best_validation_score_"] = float(max(fitted["validation_scores_"]))
        fitted.update(self._fitted_attributes(X, sample_weight, net, loop, continuing))
        warning = None
        if not incremental and not loop.converged:
            warning = (
                f"{type(self).__name__}: stopped after max_iter={self.max_iter} epochs"
                " and the optimization hasn't converged yet."
            )
        return fitted, warning

    # -- private helpers ------------------------------------------------------
    def _check_weights(self, X, sample_weight):
        """Validated weights normalised to mean 1, with zero-weight rows dropped
        (exactly as if they were not there); None when all are equal."""
        if sample_weight is None:
            return X, None
        w = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        keep = w > 0
        if not keep.any():
            raise ValueError("Sample weights must contain at least one non-zero number.")
        if not keep.all():
            X, w = X[keep], w[keep]
        if np.all(w == w[0]):
            return X, None
        return X, _unit_mean(w)

    def _loss_terms(self, spec):
        """The weighted loss terms of ``spec``: the parameter that weighs each,
        mapped to ``spec`` without that term (to tell, when training
        diverges, whether a term rather than the data overflowed)."""
        terms = {}
        if spec.alpha:
            terms["alpha"] = replace(spec, alpha=0.0)
        if spec.layer_loss_weight and spec.n_weight_layers > 1:
            terms["layer_loss_weight"] = replace(spec, layer_loss_weight=0.0)
        return terms

    def _refused_changes(self, fitted_spec, spec, n_features):
        """None when ``spec`` (the current parameters) keeps the shapes of the
        fitted network's weights, so training can go on; otherwise the
        parameter changes that alter them, as "n_components changed from 2
        to 3" (each found by applying it alone to the fitted parameters; ''
        when a model saved without them cannot tell)."""
        engine = _tf_side()
        fitted_shapes = engine.weight_shapes(fitted_spec)

        def keeps_shapes(other):
            return other.centred_linear == fitted_spec.centred_linear and (
                engine.weight_shapes(other) == fitted_shapes
            )

        if keeps_shapes(spec):
            return None
        old = self.__dict__.get("_fitted_params")
        if old is None:
            return ""
        changes = []
        for name, value in self.get_params(deep=False).items():
            if _same_value(old.get(name), value):
                continue
            trial = type(self)(**{**old, name: value})
            if not keeps_shapes(trial._training_spec(trial._network_spec(n_features))):
                changes.append(f"{name} changed from {old.get(name)!r} to {value!r}")
        return ", ".join(changes)

    def _network_spec(self, n_features):
        if isinstance(self.n_components, bool):
            # bool is an Integral to Python, but True is not a size.
            raise InvalidParameterError(
                f"The 'n_components' parameter of {type(self).__name__} must be an int in"
                f" the range [1, inf). Got {self.n_components!r} instead."
            )
        return NetworkSpec(
            n_features=int(n_features),
            n_components=int(self.n_components),
            hidden_layer_sizes=_layer_sizes(self.hidden_layer_sizes, "hidden_layer_sizes"),
            activation=self.activation,
            loss=self.loss,
            alpha=float(self.alpha),
            layer_loss_weight=float(self.layer_loss_weight),
            **_convolutions(self, n_features),
            **self._architecture(),
        )

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return min(200, n_samples)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going"
                " to be clipped",
                stacklevel=_stacklevel(),
            )
        return int(np.clip(self.batch_size, 1, n_samples))

    def _validate_X(self, X):
        return _validate_fitted_X(self, X)

    def _infer(self, name, X, dtype):
        """'encode', 'decode' or 'sample_errors' of the fitted model on X, as ``dtype``."""
        return self._run(self._network, name, X, dtype)

    @staticmethod
    def _run(net, name, X, dtype):
        """Apply a compiled network function to X, chunk by chunk, in X's
        precision; a float32 chunk whose result overflows float32 (input near
        float32's limits) is computed again in float64.  The result is finite,
        or a ValueError says it cannot be (it does not fit ``dtype``)."""
        parts = []
        for chunk in _dense_chunks(X):
            out = net.run(name, chunk).numpy()
            if chunk.dtype == np.float32 and not np.isfinite(out).all():
                out = net.run(name, chunk.astype(np.float64)).numpy()
            parts.append(out)
        return _finite(np.concatenate(parts), dtype, name)

    @property
    def _n_features_out(self):
        """The fitted code width: what ``transform`` gives, whatever
        ``n_components`` was set to since (as PCA's ``n_components_``)."""
        return self._network.spec.n_components

    def get_feature_names_out(self, input_features=None):
        """Names of the codes: the class name in lower case and the code's index.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Checked against ``feature_names_in_`` (or ``n_features_in_``);
            not used otherwise.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        return super().get_feature_names_out(input_features)

    # -- pickling: weights and training state as numpy data ---------------------
    def __getstate__(self):
        state = dict(super().__getstate__())  # may be self.__dict__ itself
        net = state.pop("_network", None)
        training_state = state.pop("_training_state", None)
        if net is not None:
            shared = training_state is not None and net is training_state.net
            state["_skae_state"] = {
                "format": _STATE_FORMAT,
                "skae_version": _skae_version(),
                "estimator": type(self).__qualname__,
                "training": None if training_state is None else training_state.to_numpy(),
                "network": None if shared else (net.spec, net.get_weights()),
            }
        return state

    def __setstate__(self, state):
        saved = state.pop("_skae_state", None)
        if "_network_state" in state:
            raise ValueError(
                f"This {type(self).__name__} was saved by an earlier skae whose format"
                " cannot be loaded by this version; fit the model again."
            )
        super().__setstate__(state)
        if saved is None:
            return
        if saved.get("format") != _STATE_FORMAT:
            raise ValueError(
                f"This {type(self).__name__} was saved by skae"
                f" {saved.get('skae_version', 'of an unknown version')} in state format"
                f" {saved.get('format')!r}; skae {_skae_version()} reads format {_STATE_FORMAT}."
                " Load it with the version that saved it, or fit the model again."
            )
        name = type(self).__qualname__
        saved_as = saved.get("estimator", name)  # saves before this tag: checked below
        if saved_as != name:
            raise ValueError(f"This saved {saved_as} is not a {name}: load it as what it is.")
        try:
            self._load_networks(saved)
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
            raise ValueError(
                f"This saved {name} is damaged or was not written by skae ({exc});"
                " fit the model again."
            ) from None

    def _load_networks(self, saved):
        """Rebuild the networks of a save, checking the whole of it: the
        estimator's parameters, every part of the training state and the
        finiteness of each array (weights, Adam's moments), and that the
        network is one this class builds."""
        missing = [p for p in self._get_param_names() if p not in self.__dict__]
        if missing:
            raise ValueError(f"the parameters {', '.join(missing)} are missing")
        engine = _tf_side()
        training_state = None
        if saved["training"] is not None:
            engine.check_saved(saved["training"])
            training_state = engine.TrainingState.from_numpy(saved["training"])
        if saved["network"] is None:
            net = training_state.net
        else:
            spec, weights = saved["network"]
            net = engine.Autoencoder(spec, weights=weights)  # checks shapes and finiteness
        if net.spec.variational != bool(self._architecture().get("variational", False)):
            kind = "a variational" if net.spec.variational else "not a variational"
            raise ValueError(f"its network is {kind} autoencoder")
        self._network = net
        if training_state is not None:
            self._training_state = training_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        return tags
