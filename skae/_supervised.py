"""AutoencoderClassifier and AutoencoderRegressor: an autoencoder's encoder,
pretrained on every row, fine-tuned with a prediction head on the labelled ones."""

from dataclasses import replace
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context, clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_array,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from ._base import BaseAutoencoder, _swap_in, _tf_side, _validate_fitted_X
from ._checks import _check_float32_range, _layer_sizes, _unit_mean
from ._spec import PredictorSpec
from ._tied import default_deep_tied


class _Rows:
    """Training rows ``[input, targets, supervised weight]`` read a chunk at a
    time (the trainer's row source): the input is sparse, or too costly to copy."""

    def __init__(self, X, tail):
        self.X = X.tocsr() if sp.issparse(X) else X
        self.tail = tail
        self.shape = (X.shape[0], X.shape[1] + tail.shape[1])

    def take(self, rows):
        X = self.X[rows]
        X = X.toarray() if sp.issparse(X) else X
        return np.hstack([X.astype(np.float32, copy=False), self.tail[rows]])


class _BaseAutoencoderPredictor(BaseEstimator):
    """Shared by AutoencoderClassifier and AutoencoderRegressor: use those."""

    _parameter_constraints: dict = {
        "autoencoder": [HasMethods(["fit", "transform", "inverse_transform"]), None],
        "head_layer_sizes": ["array-like"],
        "freeze": [Interval(Integral, 0, None, closed="left")],
        "cache_frozen": ["boolean"],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        autoencoder=None,
        *,
        head_layer_sizes=(),
        freeze=0,
        cache_frozen=True,
        reconstruction_weight=0.0,
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=3e-3,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        random_state=None,
        verbose=False,
    ):
        self.autoencoder = autoencoder
        self.head_layer_sizes = head_layer_sizes
        self.freeze = freeze
        self.cache_frozen = cache_frozen
        self.reconstruction_weight = reconstruction_weight
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.verbose = verbose

    # -- fitting ----------------------------------------------------------------
    def _fit(self, X, y, sample_weight):
        """Everything fit computes, as a transaction: on any exception the
        estimator is left exactly as it was."""
        _swap_in(self, lambda: self._train(X, y, sample_weight))
        return self

    def _train(self, X, y, sample_weight):
        engine = _tf_side()
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=(np.float64, np.float32))
        _check_float32_range(X)
        targets, labelled, extra = self._targets(y, X.shape[0])
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
            keep = sample_weight > 0
            if not keep.all():  # a zero weight is exactly as if the row were not there
                X, targets, labelled, sample_weight = X[keep], targets[keep], labelled[keep], sample_weight[keep]
        if not labelled.any():
            raise ValueError(
                f"{type(self).__name__} needs labelled rows: every row of y is"
                f" {'-1 (unlabelled)' if self._task == 'classification' else 'NaN (unlabelled)'}"
                " or has zero weight."
            )
        rng = check_random_state(self.random_state)
        autoencoder = self._pretrain(X, sample_weight, rng)

        # The autoencoder as a plain deterministic network: no noise, sampling
        # or penalties (a VAE's code is its posterior mean).
        ae_net = autoencoder._network
        ae_spec = replace(
            ae_net.spec, corruption=(), penalties=(), variational=False, centred_linear=False,
            layer_loss_weight=0.0,
        )
        n_layers = ae_spec.n_weight_layers
        if self.freeze > n_layers:
            raise ValueError(
                f"freeze={self.freeze} is more than the autoencoder's {n_layers} encoder"
                f" layer{'s' if n_layers > 1 else ''} (conv_filters, hidden_layer_sizes and the code layer)."
            )
        head = _layer_sizes(self.head_layer_sizes, "head_layer_sizes")
        joint = self.reconstruction_weight > 0
        spec = PredictorSpec(
            autoencoder=ae_spec, task=self._task, n_outputs=extra["n_outputs"], head_layer_sizes=head,
            n_frozen=int(self.freeze), cached=bool(self.cache_frozen and self.freeze and not joint),
            reconstruction_weight=float(self.reconstruction_weight), alpha=float(self.alpha),
        )
        seeds = rng.randint(np.iinfo(np.int32).max, size=2)
        ae_weights = ae_net.get_weights()
        net = engine.Predictor(
            spec, engine.Predictor.initial(spec, int(seeds[0]), ae_weights["encoder"], ae_weights["decoder"])
        )

        # The labelled validation split (early stopping): stratified for a classifier.
        w = np.ones(X.shape[0]) if sample_weight is None else sample_weight
        train_rows = np.flatnonzero(labelled)
        val_rows = None
        if self.early_stopping:
            n_val = int(round(self.validation_fraction * train_rows.size))
            if n_val < 1 or n_val >= train_rows.size:
                raise ValueError(
                    f"early_stopping with validation_fraction={self.validation_fraction}"
                    f" cannot split {train_rows.size} labelled samples into a non-empty training"
                    " and validation set; use more labels or early_stopping=False."
                )
            stratify = targets[train_rows, 0] if self._task == "classification" else None
            if stratify is not None and np.unique(stratify, return_counts=True)[1].min() < 2:
                stratify = None
            train_rows, val_rows = train_test_split(
                train_rows, test_size=n_val, stratify=stratify, random_state=rng
            )

        # Each row's weight in the supervised term: the sample weights of the
        # labelled training rows, mean 1 over them, 0 elsewhere; jointly, scaled
        # so that the mean over all rows is the labelled rows' weighted mean.
        supervised = np.zeros(X.shape[0])
        supervised[train_rows] = _unit_mean(w[train_rows])
        rows = np.arange(X.shape[0]) if joint else np.sort(train_rows)
        if joint:
            supervised *= X.shape[0] / train_rows.size
        recon_w = None if (sample_weight is None or not joint) else _unit_mean(w)

        def data(rows, supervised_weight, weights):
            inputs = X[rows]
            if spec.cached:  # the frozen layers' outputs, computed once
                inputs = BaseAutoencoder._run(net, "frozen_outputs", inputs, np.float32)
            tail = np.hstack([targets[rows], supervised_weight[:, None]]).astype(np.float32)
            if sp.issparse(inputs):
                return engine.Data(_Rows(inputs, tail), weights)
            # Written once into the float32 array the trainer shares with TensorFlow.
            laid_out = engine.aligned_empty((len(rows), inputs.shape[1] + tail.shape[1]))
            laid_out[:, : inputs.shape[1]] = inputs
            laid_out[:, inputs.shape[1] :] = tail
            return engine.Data(laid_out, weights)

        train_data = data(rows, supervised[rows], recon_w)
        val = None
        if val_rows is not None:
            w_val = _unit_mean(w[val_rows]) if sample_weight is not None else None
            val = data(val_rows, np.ones(val_rows.size), w_val)

        state = engine.TrainingState(
            net, engine.Adam(net.train_params), learning_rate=self.learning_rate_init,
            rng=np.random.default_rng(int(seeds[1])),
        )
        policies = [engine.DivergenceGuard()]
        if val is not None:
            policies += [
                engine.Validation(val),
                engine.Plateau(self.tol, self.n_iter_no_change, "validation_score"),
            ]
        if self.verbose:
            policies.append(engine.Progress(self.verbose, self.max_iter))
        n = train_data.n
        batch_size = min(200, n) if self.batch_size == "auto" else int(np.clip(self.batch_size, 1, n))
        try:
            loop = engine.run(
                state, train_data, batch_size=batch_size, shuffle=True,
                schedule=engine.CosineSchedule(self.max_iter), policies=policies,
                max_epochs=self.max_iter, verbose=self.verbose,
            )
        except engine.NonFiniteLossError as exc:
            raise ValueError(
                f"{type(self).__name__} fine-tuning diverged: the loss became {exc.loss} at"
                f" epoch {exc.epoch}. Scale the input or lower learning_rate_init (now"
                f" {self.learning_rate_init})."
            ) from None

        fitted = {k: self.__dict__[k] for k in ("n_features_in_", "feature_names_in_") if k in self.__dict__}
        fitted.update(extra["attributes"])
        fitted.update(
            autoencoder_=autoencoder,
            _network=net,
            n_iter_=state.epoch,
            loss_curve_=loop.loss_curve,
            best_loss_=None if val is not None else float(min(loop.loss_curve)),
            validation_scores_=None if val is None else loop.validation_scores,
            best_validation_score_=None if val is None else float(max(loop.validation_scores)),
        )
        return fitted

    def _pretrain(self, X, sample_weight, rng):
        """Phase 1: the autoencoder, fitted on every row (unless frozen)."""
        frozen = isinstance(self.autoencoder, FrozenEstimator)
        if frozen:
            autoencoder = self.autoencoder.estimator
        elif self.autoencoder is None:
            autoencoder = default_deep_tied(X.shape[1], rng.randint(np.iinfo(np.int32).max))
        else:
            autoencoder = clone(self.autoencoder)
        if not isinstance(autoencoder, BaseAutoencoder):
            raise TypeError(
                "autoencoder must be a skae autoencoder (e.g. TiedAutoencoder), got"
                f" {type(autoencoder).__name__}."
            )
        if frozen:
            check_is_fitted(autoencoder)
        else:
            autoencoder.fit(X, sample_weight=sample_weight)
        if autoencoder.n_features_in_ != X.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but the fitted autoencoder is expecting"
                f" {autoencoder.n_features_in_} features as input."
            )
        return autoencoder

    # -- inference ----------------------------------------------------------------
    def _output(self, X):
        X = _validate_fitted_X(self, X)
        return BaseAutoencoder._run(self._network, "predict", X, np.float64)

    @property
    def encoder_(self):
        """A Keras model of the fine-tuned encoder (a copy of its weights)."""
        check_is_fitted(self)
        return self._network.keras_encoder()

    # -- pickling: the fine-tuned network as numpy data --------------------------
    def __getstate__(self):
        state = dict(super().__getstate__())
        net = state.pop("_network", None)
        if net is not None:
            state["_skae_network"] = (net.spec, net.get_weights())
        return state

    def __setstate__(self, state):
        saved = state.pop("_skae_network", None)
        super().__setstate__(state)
        if saved is not None:
            engine = _tf_side()
            try:
                spec, weights = saved
                if not isinstance(spec, PredictorSpec) or spec.task != self._task:
                    raise ValueError(f"its network is not an {type(self).__name__}'s")
                self._network = engine.build(spec, weights)  # checks shapes and finiteness
            except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
                raise ValueError(
                    f"This saved {type(self).__name__} is damaged or was not written by skae"
                    f" ({exc}); fit the model again."
                ) from None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


_SHARED_DOC = """
    Parameters
    ----------
    autoencoder : skae autoencoder or FrozenEstimator, default=None
        The autoencoder whose encoder is pretrained and fine-tuned.  It is
        cloned and fitted on every row of X (labelled or not); its own
        ``random_state`` and ``pretraining`` apply.  To reuse one already
        fitted, wrap it in :class:`sklearn.frozen.FrozenEstimator`: it is
        then neither refitted nor changed (fine-tuning works on a copy of its
        weights).  None means ``TiedAutoencoder(n_components=k,
        hidden_layer_sizes=(256, 128), max_iter=100)`` with ``k =
        min(32, n_features // 2)`` (at least 1), seeded from ``random_state``.
    head_layer_sizes : array-like of int, default=()
        Hidden layers of the prediction head on the code (with the
        autoencoder's ``activation``); ``()`` puts the output layer straight
        on the code.
    freeze : int, default=0
        Number of encoder layers, from the input, held fixed during
        fine-tuning (at most the number of encoder layers,
        ``len(hidden_layer_sizes) + 1``: all of them trains the head alone).
    cache_frozen : bool, default=True
        With ``freeze > 0`` and no reconstruction term: compute the frozen
        layers' outputs once and train on them, instead of recomputing them
        in every epoch.  False saves their memory where they are wider than
        the input.
    reconstruction_weight : float, default=0.0
        Weight of the reconstruction error in the fine-tuning loss.  0
        fine-tunes on the labelled rows only; above 0 each epoch goes over
        every row, and the loss is the supervised error of the labelled
        rows plus this weight times the reconstruction error (the
        autoencoder's loss without its noise, sampling or penalties) of all
        rows: a joint, semi-supervised objective.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the trainable kernels (encoder, head
        and, jointly, the decoder's own).
    batch_size : int or 'auto', default='auto'
        Mini-batch size of fine-tuning; 'auto' means ``min(200, n)`` for the
        n rows it goes over.
    learning_rate_init : float, default=3e-3
        Adam's initial step; it anneals to about 0 over ``max_iter`` epochs
        on a cosine, as the autoencoders' default ``learning_rate='cosine'``.
    max_iter : int, default=200
        Epochs of fine-tuning (the autoencoder's own ``max_iter`` sets its
        pretraining).
    tol : float, default=1e-4
        With ``early_stopping``, fine-tuning stops when the validation score
        has not improved by at least ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs.  Without it, the cosine
        schedule runs all ``max_iter`` epochs.
    n_iter_no_change : int, default=10
        See ``tol``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the labelled rows (stratified, for
        a classifier), stop on their score (the negative mean {score_name}),
        and restore the best epoch's weights.
    validation_fraction : float, default=0.1
        Fraction of the labelled rows held out when ``early_stopping``.
    random_state : int, RandomState instance or None, default=None
        Seeds the head's initial weights, the shuffling, the validation split
        and the default autoencoder.  An int gives the same model on every fit.
    verbose : bool or int, default=False
        Print a line per fine-tuning epoch.
"""

_SHARED_ATTRIBUTES = """    autoencoder_ : skae autoencoder
        The pretrained autoencoder (phase 1), as pretraining left it.
    encoder_ : keras.Model
        A Keras model of the fine-tuned encoder (a copy of its weights).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.
    n_iter_ : int
        Epochs of fine-tuning run.
    loss_curve_ : list of float
        Fine-tuning loss after each epoch.
    best_loss_ : float or None
        Lowest fine-tuning loss; None with ``early_stopping``.
    validation_scores_ : list of float or None
        With ``early_stopping``: the validation score after each epoch.
    best_validation_score_ : float or None
        With ``early_stopping``: the best validation score.
"""


class AutoencoderClassifier(ClassifierMixin, _BaseAutoencoderPredictor):
    __doc__ = """A classifier on an autoencoder's encoder, pretrained on all rows and fine-tuned.

    Phase 1 fits the autoencoder on every row of X, labelled or not (unless
    it is given already fitted, in a :class:`~sklearn.frozen.FrozenEstimator`).
    Phase 2 puts a softmax head on its code layer and trains encoder and head
    together on the labelled rows, by cross-entropy, with Adam.  Rows whose
    label is -1 are unlabelled, as in scikit-learn's semi-supervised
    estimators (:class:`~sklearn.semi_supervised.SelfTrainingClassifier`,
    :class:`~sklearn.semi_supervised.LabelSpreading`): they take part in
    pretraining, and with ``reconstruction_weight > 0`` in fine-tuning.
    Fine-tuning changes the encoder inside this estimator only.
""" + _SHARED_DOC.replace("{score_name}", "cross-entropy") + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels (without the -1 of unlabelled rows).
""" + _SHARED_ATTRIBUTES + """
    See Also
    --------
    AutoencoderRegressor : The same for regression.
    sklearn.semi_supervised.SelfTrainingClassifier : Semi-supervised by pseudo-labels.
    sklearn.neural_network.MLPClassifier : A network trained on the labels alone.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skae import AutoencoderClassifier, TiedAutoencoder
    >>> X, y = load_digits(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> y_few = np.full_like(y, -1)
    >>> y_few[:100] = y[:100]  # 100 labels; -1 marks the unlabelled rows
    >>> clf = AutoencoderClassifier(
    ...     TiedAutoencoder(16, max_iter=5, random_state=0), max_iter=5, random_state=0
    ... ).fit(X, y_few)
    >>> clf.classes_
    array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    >>> clf.predict_proba(X[:2]).shape
    (2, 10)
    """
    _task = "classification"

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Pretrain the autoencoder on every row of X, then fine-tune on the labelled ones.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Class labels; -1 marks an unlabelled row (among string labels,
            the number -1 in a y of dtype object, as in
            :class:`~sklearn.semi_supervised.SelfTrainingClassifier`).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, in pretraining and fine-tuning alike.
            Samples of weight 0 are left out altogether.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight)

    def _targets(self, y, n_samples):
        y = column_or_1d(y, warn=True)
        check_consistent_length(np.empty(n_samples), y)
        if y.dtype.kind in "US" and (y == "-1").any():
            raise ValueError(
                "y has dtype string and contains '-1'. To mark unlabelled rows among string"
                " labels, use dtype object and the number -1 for them (as"
                " SelfTrainingClassifier does)."
            )
        unlabelled = np.zeros(n_samples, bool)
        if y.dtype.kind in "iufO":
            # Object labels (strings, say) mark unlabelled rows with the number -1.
            unlabelled = np.asarray(y == -1, dtype=bool)
        check_classification_targets(y[~unlabelled])
        classes, index = np.unique(y[~unlabelled], return_inverse=True)
        targets = np.zeros((n_samples, 1))
        targets[~unlabelled, 0] = index
        return targets, ~unlabelled, {"n_outputs": max(2, classes.size), "attributes": {"classes_": classes}}

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        proba = np.exp(self._logits(X))
        return proba / proba.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        logits = self._logits(X)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def predict(self, X):
        """The most probable class.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        logits = self._logits(X)  # before classes_: unfitted, this raises NotFittedError
        return self.classes_[np.argmax(logits, axis=1)]

    def _logits(self, X):
        """The classes' logits less the rows' largest logit (one class still
        has two outputs: the second is dropped here)."""
        logits = self._output(X)
        return logits[:, : self.classes_.size] - logits.max(axis=1, keepdims=True)


class AutoencoderRegressor(RegressorMixin, _BaseAutoencoderPredictor):
    __doc__ = """A regressor on an autoencoder's encoder, pretrained on all rows and fine-tuned.

    Phase 1 fits the autoencoder on every row of X, labelled or not (unless
    it is given already fitted, in a :class:`~sklearn.frozen.FrozenEstimator`).
    Phase 2 puts a linear head on its code layer and trains encoder and head
    together on the labelled rows, by squared error, with Adam.  Rows whose
    targets are all NaN are unlabelled: they take part in pretraining, and
    with ``reconstruction_weight > 0`` in fine-tuning.  Fine-tuning changes
    the encoder inside this estimator only.  Targets are fitted as they are:
    scale them (e.g. with :class:`~sklearn.compose.TransformedTargetRegressor`)
    when they are far from unit scale.
""" + _SHARED_DOC.replace("{score_name}", "squared error") + """
    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
""" + _SHARED_ATTRIBUTES + """
    See Also
    --------
    AutoencoderClassifier : The same for classification.
    sklearn.neural_network.MLPRegressor : A network trained on the targets alone.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import AutoencoderRegressor, TiedAutoencoder
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 6))
    >>> y = X[:, 0] - X[:, 1]
    >>> y[50:] = np.nan  # 50 labelled rows; NaN marks the unlabelled ones
    >>> reg = AutoencoderRegressor(
    ...     TiedAutoencoder(4, max_iter=5, random_state=0), max_iter=5, random_state=0
    ... ).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    """
    _task = "regression"

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Pretrain the autoencoder on every row of X, then fine-tune on the labelled ones.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets; a row whose targets are all NaN is unlabelled.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, in pretraining and fine-tuning alike.
            Samples of weight 0 are left out altogether.

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight)

    def _targets(self, y, n_samples):
        y = check_array(y, ensure_2d=False, dtype=np.float64, ensure_all_finite="allow-nan", input_name="y")
        if y.ndim > 2:
            raise ValueError(f"y must be 1- or 2-dimensional, got shape {y.shape}.")
        check_consistent_length(np.empty(n_samples), y)
        Y = y.reshape(n_samples, -1)
        missing = np.isnan(Y)
        unlabelled = missing.all(axis=1)
        if (missing.any(axis=1) & ~unlabelled).any():
            raise ValueError(
                "y has rows with some targets NaN and some not: NaN marks an unlabelled row,"
                " and all of its targets must be NaN."
            )
        if np.abs(Y[~unlabelled]).max(initial=0) > np.finfo(np.float32).max:
            raise ValueError("y contains a value too large for dtype('float32').")
        targets = np.where(missing, 0.0, Y)
        return targets, ~unlabelled, {"n_outputs": Y.shape[1], "attributes": {"n_outputs_": Y.shape[1], "_y_1d": y.ndim == 1}}

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        out = self._output(X)
        return out[:, 0] if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
