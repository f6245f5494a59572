"""TiedAutoencoder: the decoder is the encoder, transposed."""

from ._base import BaseAutoencoder


class TiedAutoencoder(BaseAutoencoder):
    """Autoencoder whose decoder reuses the encoder's kernels, transposed.

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
    hidden_layer_sizes : array-like of int, default=(100,)
        Encoder layers before the code layer; the decoder mirrors them.
        ``()`` gives a linear autoencoder.
    activation : {'identity', 'logistic', 'tanh', 'relu', 'elu'}, default='elu'
        Activation of the hidden layers (encoder and decoder). ReLU/ELU layers
        start from He initialisation, the others from Glorot.
    loss : {'mse', 'binary_crossentropy'}, default='mse'
        Reconstruction error. 'binary_crossentropy' is for data in [0, 1]:
        the output goes through a sigmoid.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the kernels.
    batch_size : int or 'auto', default='auto'
        Mini-batch size; 'auto' means ``min(200, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam's step size.
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Training stops when the loss (or the validation score, with
        ``early_stopping``) has not improved by at least ``tol`` for more than
        ``n_iter_no_change`` consecutive epochs.
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
        Seeds the initial weights, shuffling and the validation split. An
        int gives the same model on every fit. No global seed is changed.
    verbose : bool or int, default=False
        Print the loss after every epoch.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features_in_)
        Only for the linear network (``hidden_layer_sizes=()``): the encoder's
        kernel, transposed. Its rows span (approximately) the same subspace as
        PCA's first components, in an arbitrary basis: they are neither
        ordered nor exactly orthonormal.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit, when X has string column names.
    n_iter_ : int
        Number of epochs run.
    loss_curve_ : list of float
        Training loss (including the L2 term) after each epoch.
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
        A Keras model of the decoder (a copy of the fitted weights).

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

    def _set_fitted_attributes(self):
        net = self._network
        if len(net.encoder_kernels) == 1 and self.loss == "mse":
            self.components_ = net.encoder_kernels[0].numpy().T.astype(float)
        else:  # a refit with another architecture must not keep a stale one
            self.__dict__.pop("components_", None)
