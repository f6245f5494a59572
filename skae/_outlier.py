"""AutoencoderOutlierDetector: reconstruction error as a scikit-learn outlier detector."""

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, OutlierMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    _get_feature_names,
    _num_features,
    check_is_fitted,
)

from ._base import _swap_in
from ._tied import default_deep_tied


class AutoencoderOutlierDetector(OutlierMixin, MetaEstimatorMixin, BaseEstimator):
    """Outlier detection by reconstruction error, with scikit-learn's outlier vocabulary.

    Fits a clone of ``autoencoder`` on the training data; a sample that it
    reconstructs badly is unusual.  As :class:`~sklearn.ensemble.IsolationForest`
    does, ``score_samples`` is higher for normal samples, ``offset_`` is the
    ``contamination`` quantile of the training scores, ``decision_function``
    is ``score_samples - offset_`` (negative for outliers) and ``predict``
    gives -1 for outliers and 1 for inliers.  Scale the data first (e.g. a
    :class:`~sklearn.preprocessing.StandardScaler` in a Pipeline), as for
    the autoencoders themselves.

    Parameters
    ----------
    autoencoder : skae autoencoder, default=None
        Any estimator with ``fit`` and ``score_samples`` (higher = more
        normal); cloned, never changed.  One without ``n_features_in_``
        is fine: the detector then takes the number of features (and their
        names) from X and checks new X against them itself.  None means
        ``TiedAutoencoder(n_components=k, hidden_layer_sizes=(256, 128),
        max_iter=100)`` with ``k = min(32, n_features // 2)`` (at least 1):
        a code narrow enough that unusual samples reconstruct worse than
        normal ones.  Chosen on the digit tasks of
        ``benchmarks/bench_outliers.py``, where the deeper, wider net beat
        ``TiedAutoencoder(8, hidden_layer_sizes=(64,))``; a
        :class:`DenoisingAutoencoder` of the same shape scored best there.
    contamination : float, default=0.1
        The expected proportion of outliers in the training data, in (0, 0.5]:
        it sets ``offset_``, hence what ``predict`` calls an outlier.  It
        does not change ``score_samples``.  The quantile is of the training
        scores; an autoencoder reconstructs its training data better than
        new data, so on new normal data ``predict`` flags more than this
        fraction (16% for 5% in the gallery's digits example).  To flag a
        set fraction of new data, set ``offset_`` to that quantile of
        ``score_samples`` on held-out normal data.
    random_state : int, RandomState instance or None, default=None
        Seeds the default autoencoder (``autoencoder=None``); an autoencoder
        passed in keeps its own ``random_state``.

    Attributes
    ----------
    autoencoder_ : estimator
        The fitted clone.
    offset_ : float
        The ``contamination`` quantile of the training samples' scores.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during ``fit``, when they are all strings.

    See Also
    --------
    sklearn.ensemble.IsolationForest : The same interface, from random trees.
    sklearn.neighbors.LocalOutlierFactor : With ``novelty=True``, for new data.

    Examples
    --------
    >>> import numpy as np
    >>> from skae import AutoencoderOutlierDetector, TiedAutoencoder
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 2)) @ rng.normal(size=(2, 6))  # rank 2
    >>> detector = AutoencoderOutlierDetector(
    ...     TiedAutoencoder(2, hidden_layer_sizes=(), random_state=0), contamination=0.05
    ... ).fit(X)
    >>> odd = X[:1] + rng.normal(size=(1, 6))  # off the plane of the data
    >>> detector.predict(np.vstack([X[:1], odd])).tolist()
    [1, -1]
    """

    _parameter_constraints: dict = {
        "autoencoder": [HasMethods(["fit", "score_samples"]), None],
        "contamination": [Interval(Real, 0, 0.5, closed="right")],
        "random_state": ["random_state"],
    }

    def __init__(self, autoencoder=None, *, contamination=0.1, random_state=None):
        self.autoencoder = autoencoder
        self.contamination = contamination
        self.random_state = random_state

    def _default(self, n_features=None):
        return default_deep_tied(n_features, self.random_state)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit a clone of the autoencoder on X and set ``offset_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, mostly normal.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        _swap_in(self, lambda: self._train(X))  # a failed fit leaves the detector as it was
        return self

    def _train(self, X):
        """The fitted attributes."""
        if self.autoencoder is None:
            try:
                n_features = _num_features(X)
            except TypeError:  # not data: the autoencoder's fit says so
                n_features = None
            autoencoder = self._default(n_features)
        else:
            autoencoder = clone(self.autoencoder)
        autoencoder.fit(X)
        scores = autoencoder.score_samples(X)
        fitted = {
            "autoencoder_": autoencoder,
            "offset_": float(np.percentile(scores, 100.0 * self.contamination)),
        }
        if hasattr(autoencoder, "n_features_in_"):
            fitted["n_features_in_"] = autoencoder.n_features_in_
            names = getattr(autoencoder, "feature_names_in_", None)
        else:  # a duck-typed scorer: the detector reads (and later checks) X itself
            fitted["n_features_in_"] = _num_features(X)
            names = _get_feature_names(X)
        if names is not None:
            fitted["feature_names_in_"] = names
        return fitted

    def score_samples(self, X):
        """The autoencoder's score: higher is more normal.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        if not hasattr(self.autoencoder_, "n_features_in_"):
            # A scorer that does not check its input's width: check it here.
            _check_feature_names(self, X, reset=False)
            _check_n_features(self, X, reset=False)
        return self.autoencoder_.score_samples(X)

    def decision_function(self, X):
        """``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X):
        """-1 for outliers, 1 for inliers.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
        """
        return np.where(self.decision_function(X) < 0, -1, 1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = self._default() if self.autoencoder is None else self.autoencoder
        # A duck-typed scorer without tags is not assumed to take sparse input.
        inner_tags = getattr(inner, "__sklearn_tags__", None)
        tags.input_tags.sparse = inner_tags is not None and inner_tags().input_tags.sparse
        return tags
