"""TiedAutoencoder: the decoder is the encoder, transposed."""

from ._base import _DOC_ATTRIBUTES, _DOC_NETWORK, _DOC_TRAINING, BaseAutoencoder

_LINEAR_NOTE = "\n        ``()`` gives a linear autoencoder."


class TiedAutoencoder(BaseAutoencoder):
    __doc__ = f"""Autoencoder whose decoder reuses the encoder's kernels, transposed.

    The encoder is a stack of dense layers of ``hidden_layer_sizes`` units
    followed by a linear code layer of ``n_components`` units.  The decoder
    mirrors it with the *same* kernel variables transposed (only its biases
    are its own), as in the classic tied-weights design: half the weights of
    an untied autoencoder, and a pickle or a Keras export that holds plain
    arrays.

    With ``hidden_layer_sizes=()`` the network is linear (the code layer is
    always linear), its squared-error minima span the principal subspace,
    and ``components_`` holds the learned directions like :class:`~sklearn.decomposition.PCA`.

    Trained with Adam on mini-batches; the loss is the mean reconstruction
    error plus ``alpha / 2`` times the sum of squared kernel weights.

    The defaults (one ELU layer of 100 units, 2 codes, squared error) suit
    standardised data, e.g. after :class:`~sklearn.preprocessing.StandardScaler`.

    Parameters
    ----------
    n_components : int, default=2
        Number of units in the code layer: the dimension of ``transform``'s output.
{_DOC_NETWORK.format(hidden="(100,)", hidden_note=_LINEAR_NOTE)}
{_DOC_TRAINING}

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features_in_)
        Only for the linear network (``hidden_layer_sizes=()``, squared
        error): the encoder's kernel, transposed. Its rows span
        (approximately) the same subspace as PCA's first components, in an
        arbitrary basis: they are neither ordered nor exactly orthonormal.
{_DOC_ATTRIBUTES}

    See Also
    --------
    sklearn.decomposition.PCA : The linear, exact counterpart.
    sklearn.neural_network.MLPRegressor : An untied network, trained with numpy.

    References
    ----------
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

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(100,),
        activation="elu",
        loss="mse",
        alpha=1e-4,
        batch_size="auto",
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
        self.alpha = alpha
        self.batch_size = batch_size
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

    def _set_fitted_attributes(self, X, result):
        net = self._network
        if len(net.encoder_kernels) == 1 and self.loss == "mse":
            self.components_ = net.encoder_kernels[0].numpy().T.astype(float)
        else:  # a refit with another architecture must not keep a stale one
            self.__dict__.pop("components_", None)
