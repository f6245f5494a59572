"""TiedAutoencoder: the decoder is the encoder, transposed."""

from dataclasses import replace
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval
from sklearn.utils.extmath import _incremental_mean_and_var
from sklearn.utils.sparsefuncs import incr_mean_variance_axis

from ._base import BaseAutoencoder, _dense_chunks, _rows, _tf_side
from ._checks import _finite
from ._rayleigh_ritz import orthonormal_basis, projected_scatter, ritz


class TiedAutoencoder(BaseAutoencoder):
    """Autoencoder whose decoder reuses the encoder's kernels, transposed.

    The encoder is a stack of dense layers of ``hidden_layer_sizes`` units
    followed by a linear code layer of ``n_components`` units.  The decoder
    mirrors it with the *same* kernel variables transposed (only its biases
    are its own), as in the classic tied-weights design: half the weights of
    an untied autoencoder, and a pickle or a Keras export that holds plain
    arrays.

    With ``hidden_layer_sizes=()`` and ``loss='mse'`` the network is linear
    (the code layer is always linear) and its squared-error minima span
    PCA's principal subspace (Baldi & Hornik, 1989).  In that case the
    decoder bias is fixed to the data mean (its optimum) rather than
    learned, the kernel is trained on centred data, and training ends with a
    Rayleigh–Ritz step: one pass over the data turns the learned subspace
    into ordered, orthonormal ``components_`` with their
    ``explained_variance_``, as :class:`~sklearn.decomposition.PCA` gives.
    What is exact: given the learned subspace, the components are the exact
    principal directions of the data within it, the reconstruction is the
    exact orthogonal projection onto it, and ``transform(X)`` equals
    ``(X - mean_) @ components_.T`` to rounding: ``transform``,
    ``inverse_transform`` and ``score_samples`` compute in float64 with those
    arrays, which keep the training data's dtype (float32 or float64), as
    PCA's do.  What is approximate: the subspace
    itself, found by stochastic gradient descent; it approaches PCA's as
    training converges.  As PCA's randomized solver does, the linear net
    trains ``n_oversamples`` components more than it keeps, and the
    Rayleigh–Ritz step keeps the top ``n_components``: where eigenvalues
    near the ``n_components``-th are close, plain gradient descent mixes
    those directions for a long time, while the extra components make the
    gap that matters the one to the ``n_components + n_oversamples``-th.
    ``learning_rate='cosine'`` got there fastest in our measurements
    (``benchmarks/bench_pca.py``): within 1.001x of PCA's error in 10 epochs
    of batches of 1024 from a step of 1e-2 on 70000 x 784, and in 200 epochs
    of the default batch from 3e-2 on the digits.

    Trained with Adam on mini-batches; the loss is the mean reconstruction
    error plus ``alpha / 2`` times the sum of squared kernel weights.

    The defaults (one ELU layer of 100 units, 2 codes, squared error) suit
    standardised data, e.g. after :class:`~sklearn.preprocessing.StandardScaler`.

    Parameters
    ----------
    n_components : int, default=2
        Number of units in the code layer: the dimension of ``transform``'s output.
    hidden_layer_sizes : array-like of int, default=(100,)
        Encoder layers before the code layer; the decoder mirrors them.
        ``()`` gives a linear autoencoder.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'elu'}, default='elu'
        Activation of the hidden layers (encoder and decoder). ReLU/ELU layers
        start from He initialisation, the others from Glorot.
    loss : {'mse', 'binary_crossentropy'}, default='mse'
        Reconstruction error. 'binary_crossentropy' is for data in [0, 1]:
        the output goes through a sigmoid.
    n_oversamples : int, default=10
        Linear network only: components trained beyond ``n_components`` and
        dropped by the Rayleigh–Ritz step (capped at ``n_features -
        n_components``), like PCA's ``n_oversamples``.  ``loss_curve_``,
        ``best_loss_`` and ``validation_scores_`` are then those of the
        wider training network.  Ignored by deeper networks.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the kernels: ``alpha / 2 * sum(W ** 2)``
        is added to the loss.
    batch_size : int or 'auto', default='auto'
        Mini-batch size; 'auto' means ``min(200, n_samples)``.
    learning_rate : {'cosine', 'constant', 'adaptive'}, default='cosine'
        Step-size schedule. 'cosine' anneals the step from
        ``learning_rate_init`` towards 0 over ``max_iter`` epochs (``lr_t =
        learning_rate_init * (1 + cos(pi (t + 1/2) / max_iter)) / 2`` in
        epoch t = 0, 1, ..., the middle of each epoch's span on the cosine;
        Loshchilov & Hutter, 2017): ``max_iter`` is then a budget that
        training spends in full, ending with steps so small that the weights
        have settled, so it never warns of non-convergence; ``tol`` stops it
        early only with ``early_stopping``.  Each ``partial_fit`` call is one
        epoch of the schedule, which starts again after ``max_iter`` calls
        (a warm restart).  'constant' (the default of
        :class:`~sklearn.neural_network.MLPRegressor`) keeps the step and
        stops when the loss stalls (see ``tol``), with a
        ``ConvergenceWarning`` if it is still falling at ``max_iter``.
        'adaptive' (as in MLPRegressor) divides the step by 5 each time the
        loss (or validation score) stalls for more than ``n_iter_no_change``
        epochs, and stops once the step is at most 1e-6.
    learning_rate_init : float, default=3e-3
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
        1: print a line per epoch (loss, validation score, time, samples/s,
        time left at most); 2: also a live line within epochs longer than a
        second.
    warm_start : bool, default=False
        ``fit`` continues from the fitted weights and optimiser state (for up
        to ``max_iter`` more epochs) instead of starting again, as in
        :class:`~sklearn.neural_network.MLPRegressor`.  ``partial_fit``
        always continues.
    pretraining : {'none', 'greedy'}, default='none'
        'greedy': before training the whole network, ``fit`` trains one
        shallow autoencoder per encoder layer, each on the codes of the one
        before (the input, for the first), and stacks them (Hinton &
        Salakhutdinov, 2006).  Each keeps this estimator's weight tying and
        input noise; the first keeps ``loss``, the others reconstruct with
        squared error; the last (the code layer) keeps the code's activation,
        penalties and posterior.  The epochs come out of ``max_iter``: each
        of the L layers gets ``max_iter // (2 L)``, on its own cosine
        schedule from ``learning_rate_init``, and the stack is then
        fine-tuned for the rest, so ``n_iter_`` (which counts both) never
        exceeds ``max_iter``.  With ``max_iter < 2 L`` there are too few
        epochs to share, and a network of one layer has nothing to stack:
        'greedy' is then 'none' (``pretraining_loss_curves_`` is None).
        ``partial_fit`` and ``fit`` with ``warm_start`` go on from the
        current weights without it.
    layer_loss_weight : float, default=0.0
        Weight of an extra loss term ``sum_i ||e_i - d_i||^2`` (a mean over
        the samples), between each hidden encoder layer's output e_i and the
        output of its mirror decoder layer d_i, of the same size: it asks the
        decoder to retrace the encoder's steps.  No effect without hidden
        layers.
    image_shape : tuple of int, default=None
        ``(height, width)`` or ``(height, width, channels)``: read each row of
        X as an image of this shape (X stays 2-D, one flat row per image, in
        row-major order with channels last, as ``load_digits().data`` and
        ``images.reshape(len(images), -1)`` give).  Its product must equal the
        number of features; one entry may be -1, inferred from it as numpy's
        ``reshape`` does (``(-1, 1)`` reads rows as 1-D signals of any length,
        for ``kernel_size=(k, 1)``).  Needed by ``conv_filters``.
    conv_filters : array-like of int, default=()
        Channel counts of strided convolutional layers ('same' padding)
        placed in front of the dense ``hidden_layer_sizes``, one layer per
        entry; the decoder mirrors them with transposed convolutions (with
        tied weights, the adjoints of the encoder's). Empty: a dense network.
        Not with ``pretraining='greedy'``.
    kernel_size : int or tuple of int, default=3
        The convolutions' kernel ``(height, width)`` (an int: square), as
        Keras' ``Conv2D``.
    strides : int or tuple of int, default=2
        The convolutions' strides ``(height, width)`` (an int: both): each
        convolution divides the image's height and width by them, rounding up.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Only for the linear network (``hidden_layer_sizes=()``,
        ``loss='mse'``): orthonormal directions of the learned subspace,
        ordered by decreasing explained variance, with PCA's sign
        convention. What they mean after ``partial_fit`` is in the user
        guide's page on incremental training. They are the encoder's kernel (transposed); rows beyond
        the number of features are zero.
    explained_variance_ : ndarray of shape (n_components,)
        Linear network only: variance of the training data along each
        component (ddof=1, as PCA).
    explained_variance_ratio_ : ndarray of shape (n_components,)
        Linear network only: ``explained_variance_`` over the total variance.
    mean_ : ndarray of shape (n_features,)
        Linear network only: the training data's mean (the decoder's bias);
        after ``partial_fit``, the mean of all data seen.
    var_ : ndarray of shape (n_features,)
        Linear network only: the per-feature variance of all data seen
        (ddof=0, as :class:`~sklearn.decomposition.IncrementalPCA`).
    n_samples_seen_ : float
        Linear network only: the number of samples seen, as rows of non-zero
        weight: ``sample_weight`` is relative within each call (it weighs
        rows against each other, not calls against calls), so a call's rows
        count once each whatever their weights.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when X has string column names.
    n_iter_ : int
        Number of epochs run.
    pretraining_loss_curves_ : list of list of float or None
        With ``pretraining='greedy'``: the loss after each epoch of each
        layer's shallow autoencoder, input side first; None without.
    loss_curve_ : list of float
        Training loss (with every penalty term) after each epoch.
    best_loss_ : float or None
        Lowest training loss; None with ``early_stopping``.
    validation_scores_ : list of float or None
        With ``early_stopping``: the validation score (negative mean
        reconstruction error) after each epoch; None without.
    best_validation_score_ : float or None
        With ``early_stopping``: the best validation score; None without.
    coefs_ : list of ndarray
        Kernels of the layers, input to output (encoder, then decoder),
        ``coefs_[i]`` of shape (units in, units out), as in
        :class:`~sklearn.neural_network.MLPRegressor`.  For tied networks the
        decoder's kernels are the encoder's, transposed.  A convolution's
        kernel is (kernel height, kernel width, channels in, channels out), a
        transposed convolution's (kernel height, kernel width, channels out,
        channels in), as in Keras (tied: the encoder convolution's kernel).
    intercepts_ : list of ndarray
        Biases of the layers, input to output.
    encoder_ : keras.Model
        A Keras model of the encoder (a copy of the fitted weights).
    decoder_ : keras.Model
        A Keras model of the decoder (a copy of the fitted weights).

    See Also
    --------
    sklearn.decomposition.PCA : The linear, exact counterpart.
    sklearn.neural_network.MLPRegressor : An untied network, trained with numpy.

    References
    ----------
    P. Baldi and K. Hornik, "Neural networks and principal component
    analysis: learning from examples without local minima", Neural Networks
    2 (1989).

    G. E. Hinton and R. R. Salakhutdinov, "Reducing the dimensionality of
    data with neural networks", Science 313 (2006).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skae import TiedAutoencoder
    >>> X = StandardScaler().fit_transform(load_digits().data)
    >>> ae = TiedAutoencoder(n_components=8, max_iter=5, random_state=0)
    >>> codes = ae.fit_transform(X)
    >>> codes.shape
    (1797, 8)
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "n_oversamples": [Interval(Integral, 0, None, closed="left")],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(100,),
        activation="elu",
        loss="mse",
        n_oversamples=10,
        alpha=1e-4,
        batch_size="auto",
        learning_rate="cosine",
        learning_rate_init=3e-3,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        random_state=None,
        verbose=False,
        warm_start=False,
        pretraining="none",
        layer_loss_weight=0.0,
        image_shape=None,
        conv_filters=(),
        kernel_size=3,
        strides=2,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.loss = loss
        self.n_oversamples = n_oversamples
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
        self.pretraining = pretraining
        self.layer_loss_weight = layer_loss_weight
        self.image_shape = image_shape
        self.conv_filters = conv_filters
        self.kernel_size = kernel_size
        self.strides = strides

    def _architecture(self):
        return {"tied_weights": True, "code_activation": "identity"}

    @staticmethod
    def _is_linear(spec):
        """Linear network with squared error: the PCA-like case."""
        return (
            spec.hidden_layer_sizes == () and not spec.conv_filters and spec.loss == "mse"
            and not spec.centred_linear
        )

    def _training_spec(self, spec):
        if not self._is_linear(spec):
            return spec
        # The optimal decoder bias of a linear autoencoder is the data mean:
        # it is fixed instead of learned, and a bias-free net, wider by the
        # oversampling, trains on centred data.
        k = spec.n_components
        p = max(0, min(self.n_oversamples, spec.n_features - k))
        return replace(spec, n_components=k + p, centred_linear=True)

    def _training_data(self, X, sample_weight, X_val, w_val, state, incremental, seeds):
        if not state.spec.centred_linear:
            return super()._training_data(X, sample_weight, X_val, w_val, state, incremental, seeds)
        engine = _tf_side()
        if incremental:
            # Chan's update: mean_ and var_ are those of all data seen.
            stats = _running_stats(X, sample_weight, self.__dict__.get("_stats"))
            centre = stats[0]
        else:
            stats = None
            centre = _mean(X, sample_weight)
        # On large dense data the training copy is laid out in random row
        # order, so that each epoch can slice contiguous batches rather than
        # gather rows (0.095 -> 0.056 s per epoch at k=10, 70000 x 784).  On
        # small data, where that saves nothing, batches of freshly shuffled
        # rows reached PCA more closely (digits: 1.00003x against 1.0003x).
        order = None
        if self.shuffle and not sp.issparse(X) and X.size >= engine.BLOCK_SHUFFLE_MIN_ENTRIES:
            seed = seeds if seeds is not None else state.rng.integers(0, 2**62)
            order = np.random.default_rng(seed).permutation(X.shape[0])
        data = engine.Data(_rows(X), sample_weight, centre=centre, preshuffle=order)
        val = None if X_val is None else engine.Data(_rows(X_val), w_val, centre=centre)
        return data, val, {"centre": centre, "stats": stats, "validation": X_val is not None}

    def _infer(self, name, X, dtype):
        if "components_" not in self.__dict__:
            return super()._infer(name, X, dtype)
        # The linear net in float64, with mean_ and components_ themselves (one
        # matmul, as PCA): exact to rounding whatever X's offset, and finite
        # for any float32 input.
        C = self.components_.astype(np.float64, copy=False)
        mean = self.mean_.astype(np.float64, copy=False)
        parts = []
        for chunk in _dense_chunks(X):
            chunk = chunk.astype(np.float64, copy=False)
            if name == "decode":
                parts.append(chunk @ C + mean)
                continue
            centred = chunk - mean
            Z = centred @ C.T
            if name == "encode":
                parts.append(Z)
            else:  # sample_errors: the mean squared residual of the projection
                residual = centred - Z @ C
                parts.append(np.einsum("ij,ij->i", residual, residual) / X.shape[1])
        return _finite(np.concatenate(parts), dtype, name)

    def _inference_network(self, state, X, sample_weight, extras, incremental):
        if not state.spec.centred_linear:
            return state.net, {}
        engine = _tf_side()
        W = state.net.get_weights()["encoder"][0]["kernel"].astype(np.float64)
        k = int(self.n_components)
        scatter = None
        if incremental:
            # The scatter of all data seen, in the learned subspace: this
            # chunk's (about its own mean, plus Chan's term for the shift of
            # the mean), and the earlier chunks' carried over by projecting
            # their accumulated scatter onto the new subspace.  Ordering the
            # components by one chunk's variances alone was noisy (1.08x
            # PCA's error on digits in chunks of 90 rows, against 1.00x).
            mean, var, n_seen = extras["stats"]
            n_chunk = X.shape[0]  # weights have mean 1: their sum is the number of rows
            Q = orthonormal_basis(W)
            chunk_mean = _mean(X, sample_weight)
            M, _ = projected_scatter(Q, X, chunk_mean, sample_weight)
            previous = self.__dict__.get("_scatter")
            if previous is not None:
                Q_old, M_old, old_mean = previous
                R = Q_old.T @ Q
                M += R.T @ M_old @ R
                shift = Q.T @ (chunk_mean - old_mean)
                M += (n_seen - n_chunk) * n_chunk / n_seen * np.outer(shift, shift)
            scatter = (Q, M, mean)
            U, ritz_values = ritz(Q, M, k)
            explained_variance = ritz_values / max(n_seen - 1, 1)
        else:
            # Without a validation split the training centre is X's mean.
            mean = _mean(X, sample_weight) if extras["validation"] else extras["centre"]
            Q = orthonormal_basis(W)
            M, feature_ss = projected_scatter(Q, X, mean, sample_weight)
            scatter = (Q, M, mean)  # for partial_fit after fit
            U, ritz_values = ritz(Q, M, k)
            n_seen = X.shape[0]
            var = feature_ss / n_seen
            explained_variance = ritz_values / max(n_seen - 1, 1)
        # Keep the top n_components of the (possibly oversampled) subspace.
        spec = replace(state.spec, n_components=k, centred_linear=False)
        net = engine.Autoencoder(
            spec, weights={"encoder": [{"kernel": U, "bias": -mean @ U}], "decoder": [{"bias": mean}]}
        )
        total = var.sum() * n_seen / max(n_seen - 1, 1)
        # Public arrays in X's precision, as PCA keeps them; the running
        # statistics and the scatter stay float64 for later partial_fit calls.
        dtype = X.dtype
        return net, {
            "_stats": (mean, var, n_seen),
            "_scatter": scatter,
            "mean_": mean.astype(dtype),
            "var_": var.astype(dtype),
            "n_samples_seen_": n_seen,
            "components_": np.ascontiguousarray(U.T, dtype=dtype),
            "explained_variance_": explained_variance.astype(dtype),
            "explained_variance_ratio_": (
                explained_variance / total if total > 0 else np.zeros_like(ritz_values)
            ).astype(dtype),
        }


def default_deep_tied(n_features, random_state):
    """The autoencoder the meta-estimators use when given none:
    ``TiedAutoencoder(k, hidden_layer_sizes=(256, 128), max_iter=100)`` with
    ``k = min(32, n_features // 2)``, at least 1 (32 when ``n_features`` is None)."""
    codes = 32 if n_features is None else max(1, min(32, n_features // 2))
    return TiedAutoencoder(
        n_components=codes, hidden_layer_sizes=(256, 128), max_iter=100, random_state=random_state
    )


def _mean(X, sample_weight):
    """Column means of X (dense or sparse), weighted, in float64."""
    if sample_weight is None:
        return np.asarray(X.mean(axis=0, dtype=np.float64)).ravel()
    w = sample_weight.astype(np.float64)
    return np.asarray(X.T @ w).ravel() / w.sum()


def _running_stats(X, sample_weight, previous):
    """(mean, variance, count) of all data seen after X (Chan et al.'s update),
    as IncrementalPCA keeps them; counts are sums of weights."""
    if previous is None:
        last_mean, last_var, last_n = 0.0, 0.0, 0
    else:
        last_mean, last_var, last_n = previous
    if sp.issparse(X):
        mean, var, n = incr_mean_variance_axis(
            X.tocsr(), axis=0, last_mean=np.zeros(X.shape[1]) + last_mean,
            last_var=np.zeros(X.shape[1]) + last_var,
            last_n=np.full(X.shape[1], float(last_n)), weights=sample_weight,
        )
        return np.asarray(mean, np.float64), np.asarray(var, np.float64), float(n[0])
    mean, var, n = _incremental_mean_and_var(
        X, last_mean, last_var, np.full(X.shape[1], float(last_n)), sample_weight=sample_weight
    )
    return np.asarray(mean, np.float64), np.asarray(var, np.float64), float(n[0])
