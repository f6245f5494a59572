"""TiedAutoencoder: the decoder is the encoder, transposed."""

from dataclasses import replace
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import _DOC_ATTRIBUTES, _DOC_NETWORK, _DOC_TRAINING, BaseAutoencoder, _tf_side

_LINEAR_NOTE = "\n        ``()`` gives a linear autoencoder."


class TiedAutoencoder(BaseAutoencoder):
    __doc__ = f"""Autoencoder whose decoder reuses the encoder's kernels, transposed.

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
    ``(X - mean_) @ components_.T``.  What is approximate: the subspace
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
{_DOC_NETWORK.format(hidden="(100,)", hidden_note=_LINEAR_NOTE)}
    n_oversamples : int, default=10
        Linear network only: components trained beyond ``n_components`` and
        dropped by the Rayleigh–Ritz step (capped at ``n_features -
        n_components``), like PCA's ``n_oversamples``.  ``loss_curve_``,
        ``best_loss_`` and ``validation_scores_`` are then those of the
        wider training network.  Ignored by deeper networks.
{_DOC_TRAINING}

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        Only for the linear network (``hidden_layer_sizes=()``,
        ``loss='mse'``): orthonormal directions of the learned subspace,
        ordered by decreasing explained variance, with PCA's sign
        convention. They are the encoder's kernel (transposed); rows beyond
        the number of features are zero.
    explained_variance_ : ndarray of shape (n_components,)
        Linear network only: variance of the training data along each
        component (ddof=1, as PCA).
    explained_variance_ratio_ : ndarray of shape (n_components,)
        Linear network only: ``explained_variance_`` over the total variance.
    mean_ : ndarray of shape (n_features,)
        Linear network only: the training data's mean (the decoder's bias).
{_DOC_ATTRIBUTES}

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

    def _architecture(self):
        return {"tied_weights": True, "code_activation": "identity"}

    @staticmethod
    def _is_linear(spec):
        """Linear network with squared error: the PCA-like case."""
        return spec.hidden_layer_sizes == () and spec.loss == "mse"

    def _train(self, spec, X_train, X_val, batch_size, seeds):
        if not self._is_linear(spec):
            return super()._train(spec, X_train, X_val, batch_size, seeds)
        # The optimal decoder bias of a linear autoencoder is the data mean:
        # fix it instead of learning it, and train a bias-free net on centred
        # data: float32 copies, centred in the same pass, into buffers that
        # TensorFlow can use without copying again.  (Centring batch by batch
        # instead saves this copy but costs more over a fit: measured +0.025 s
        # per epoch against 0.04 s for the copy on 70000 x 784.)  On large
        # data the training rows are copied in random order, so that each
        # epoch can slice contiguous batches rather than gather rows (0.095
        # -> 0.056 s per epoch at k=10).  On small data, where that saves
        # nothing, batches of freshly shuffled rows reached PCA more closely
        # (digits, 7 batches per epoch: 1.00003x against 1.0003x at k=10).
        mean = X_train.mean(axis=0, dtype=np.float64)
        # Without a validation split X_train is fit's X: pass the mean on to
        # _set_fitted_attributes rather than compute it twice.
        self._fit_mean = mean if X_val is None else None
        networks, training = _tf_side()
        blocks = self.shuffle and X_train.size >= training.BLOCK_SHUFFLE_MIN_ENTRIES

        def centred(X, order=None):
            if X is None:
                return None
            out = training.aligned_empty(X.shape)
            if order is None:
                return np.subtract(X, mean, out=out, casting="same_kind")
            # Gather rows straight into the output (float32 data) or through
            # one reused buffer, in chunks: measured no slower than the plain
            # centred copy (0.08 s on 70000 x 784).
            chunk = 1024
            in_place = X.dtype == np.float32  # no buffer: the output is float32 too
            mean_x = mean.astype(X.dtype)
            buffer = None if in_place else np.empty((chunk, X.shape[1]), X.dtype)
            for start in range(0, X.shape[0], chunk):
                rows = order[start : start + chunk]
                dest = out[start : start + len(rows)]
                gathered = dest if in_place else buffer[: len(rows)]
                np.take(X, rows, axis=0, out=gathered, mode="clip")
                np.subtract(gathered, mean_x, out=dest, casting="same_kind")
            return out

        order = np.random.default_rng(seeds).permutation(X_train.shape[0]) if blocks else None
        # The training net is wider by the oversampling; _set_fitted_attributes
        # narrows it to n_components.
        k = spec.n_components
        wide = replace(spec, n_components=k + max(0, min(self.n_oversamples, spec.n_features - k)))
        net, result = super()._train(
            replace(wide, use_bias=False),
            centred(X_train, order),
            centred(X_val),
            batch_size,
            seeds,
            rows_shuffled=blocks,
        )
        W = net.get_weights()[0].astype(np.float64)
        return networks.Autoencoder(wide, weights=[W, -mean @ W, mean]), result

    def _set_fitted_attributes(self, X, result):
        if not self._is_linear(self._network.spec):
            # A refit with another architecture must not keep stale attributes.
            for name in ("components_", "explained_variance_", "explained_variance_ratio_", "mean_"):
                self.__dict__.pop(name, None)
            return
        networks, _ = _tf_side()
        wide = self._network.spec
        W = self._network.encoder_kernels[0].numpy().astype(np.float64)
        mean = self.__dict__.pop("_fit_mean", None)
        self.mean_ = X.mean(axis=0, dtype=np.float64) if mean is None else mean
        U, ritz_values, total = _rayleigh_ritz(W, X, self.mean_)
        # Keep the top n_components of the (possibly oversampled) subspace.
        k = int(self.n_components)
        U, ritz_values = U[:, :k], ritz_values[:k]
        self._network = networks.Autoencoder(
            replace(wide, n_components=k), weights=[U, -self.mean_ @ U, self.mean_]
        )
        n_samples = X.shape[0]
        self.components_ = U.T
        self.explained_variance_ = ritz_values / max(n_samples - 1, 1)
        total /= max(n_samples - 1, 1)
        self.explained_variance_ratio_ = (
            self.explained_variance_ / total if total > 0 else np.zeros_like(ritz_values)
        )


def _rayleigh_ritz(W, X, mean, chunk_size=8192):
    """Ordered orthonormal components spanning the columns of W.

    Q = orth(W); M = Qᵀ Xcᵀ Xc Q from one pass over the data (Xc = X - mean,
    centred chunk by chunk in X's precision, never formed whole; M and the
    sums are accumulated in float64); M = V Λ Vᵀ;
    return Q V (columns by decreasing Λ, signs as PCA's ``svd_flip``), Λ
    (sums of squares along each column, the best that any basis of span(W)
    can explain) and the total sum of squares Σ ||x - mean||², from the same
    pass.  Costs O(n d k + d k²).  Where W has more columns than rank, the
    extra columns are zero.
    """
    d, k = W.shape
    Q = np.linalg.qr(W)[0][:, : min(d, k)]
    dtype = np.float32 if X.dtype == np.float32 else np.float64
    Q_x, mean_x = Q.astype(dtype), mean.astype(dtype)
    M = np.zeros((Q.shape[1], Q.shape[1]))
    total = 0.0
    for start in range(0, X.shape[0], chunk_size):
        chunk = np.subtract(X[start : start + chunk_size], mean_x, dtype=dtype)
        P = (chunk @ Q_x).astype(np.float64)
        M += P.T @ P
        # Row sums first: float32 BLAS dot over 6e6 entries loses 1e-5.
        total += float(np.einsum("ij,ij->i", chunk, chunk).sum(dtype=np.float64))
    ritz_values, V = np.linalg.eigh(M)
    order = np.argsort(ritz_values)[::-1]
    ritz_values, U = np.clip(ritz_values[order], 0, None), Q @ V[:, order]
    signs = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
    U *= np.where(signs == 0, 1.0, signs)
    if k > U.shape[1]:
        U = np.hstack([U, np.zeros((d, k - U.shape[1]))])
        ritz_values = np.concatenate([ritz_values, np.zeros(k - len(ritz_values))])
    return U, ritz_values, total
