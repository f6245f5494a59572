"""DenoisingAutoencoder: trained to undo corruption of its input."""

from numbers import Real

from sklearn.utils._param_validation import Interval, StrOptions

from ._base import _DOC_ATTRIBUTES, _DOC_NETWORK, _DOC_TRAINING, BaseAutoencoder


class DenoisingAutoencoder(BaseAutoencoder):
    __doc__ = f"""Autoencoder trained to reconstruct clean inputs from corrupted ones.

    During training every mini-batch is corrupted afresh and the network
    learns to reconstruct the *clean* batch (Vincent et al., 2008), which
    makes it learn features robust to the corruption and lets it denoise new
    data.  ``transform``, ``inverse_transform``, ``score`` and
    ``score_samples`` never corrupt: they are deterministic.  The noise is
    drawn from ``random_state``.

    The code layer is linear, as in :class:`TiedAutoencoder`.

    Parameters
    ----------
    n_components : int, default=2
        Number of units in the code layer.
{_DOC_NETWORK.format(hidden="(100,)", hidden_note="")}
    noise : {{'gaussian', 'dropout', 'masking'}}, default='gaussian'
        How the input is corrupted in training: 'gaussian' adds noise of
        standard deviation ``noise_level``; 'dropout' zeroes a
        ``noise_level`` fraction of the entries and scales the others by
        ``1 / (1 - noise_level)``; 'masking' zeroes them without rescaling
        (the original denoising autoencoder).
    noise_level : float, default=0.5
        Standard deviation ('gaussian'; 0.5 is half a standard deviation of
        standardised data) or fraction of entries zeroed ('dropout',
        'masking', in [0, 1)).
    tied_weights : bool, default=False
        Decoder kernels are the encoder's, transposed.
{_DOC_TRAINING}

    Attributes
    ----------
{_DOC_ATTRIBUTES}

    See Also
    --------
    TiedAutoencoder : The same network trained on clean inputs.

    References
    ----------
    P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol, "Extracting and
    composing robust features with denoising autoencoders", ICML (2008).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skae import DenoisingAutoencoder
    >>> X = StandardScaler().fit_transform(load_digits().data)
    >>> dae = DenoisingAutoencoder(n_components=16, noise="dropout", noise_level=0.3, max_iter=3, random_state=0)
    >>> dae.fit_transform(X).shape
    (1797, 16)
    """

    _parameter_constraints: dict = {
        **BaseAutoencoder._parameter_constraints,
        "noise": [StrOptions({"gaussian", "dropout", "masking"})],
        "noise_level": [Interval(Real, 0, None, closed="left")],
        "tied_weights": ["boolean"],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes=(100,),
        activation="elu",
        loss="mse",
        noise="gaussian",
        noise_level=0.5,
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
        self.noise = noise
        self.noise_level = noise_level
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
        if self.noise != "gaussian" and self.noise_level >= 1:
            raise ValueError(
                f"noise_level must be in [0, 1) for noise={self.noise!r}"
                f" (the fraction of entries zeroed), got {self.noise_level}."
            )
        corruption = (self.noise, float(self.noise_level)) if self.noise_level > 0 else ()
        return {
            "tied_weights": bool(self.tied_weights),
            "code_activation": "identity",
            "corruption": corruption,
        }
