"""Plain descriptions of a network: the seam between the two worlds.

The estimators (scikit-learn side) describe the network they want with a
:class:`NetworkSpec`; the TensorFlow side builds and trains it.  Neither side
imports the other's framework, and a spec is plain data, so it pickles.
"""

from dataclasses import dataclass, field

# The one activation table: skae's (scikit-learn's) name -> (Keras' name for
# the exported models, the TensorFlow function as a path under ``tf``).
ACTIVATIONS = {
    "identity": ("linear", "identity"),
    "logistic": ("sigmoid", "sigmoid"),
    "tanh": ("tanh", "tanh"),
    "relu": ("relu", "nn.relu"),
    "elu": ("elu", "nn.elu"),
}


@dataclass(frozen=True)
class NetworkSpec:
    """What to build: layer sizes, activations, weight tying and loss terms.

    ``hidden_layer_sizes`` are the encoder's layers before the code layer of
    ``n_components`` units; the decoder mirrors them.  Hidden layers (encoder
    and decoder) use ``activation``, the code layer ``code_activation``; the
    output layer is linear for ``loss='mse'`` and a sigmoid for
    ``loss='binary_crossentropy'``.  With ``tied_weights`` the decoder's
    kernels are the encoder's, transposed (only biases are its own).
    ``penalties`` are extra loss terms as ``(name, options)`` pairs, added to
    the reconstruction error and the L2 term ``alpha / 2 * sum(W ** 2)``:
    ``("kl_sparsity", target, weight)`` is ``weight * sum_j KL(target || mean
    activation of code unit j over the batch)``.  ``corruption``, when given,
    is ``(kind, level)`` with kind 'gaussian', 'dropout' or 'masking': the
    input is corrupted during training only, the target stays clean.

    ``variational`` makes it a VAE: the code layer gives the posterior mean,
    a second head of the same size its log-variance, and the loss is the
    negative ELBO with the KL term weighted by ``beta``.

    ``centred_linear`` says "centred linear tied": one tied linear layer with
    no biases, trained on data the trainer centres itself (the PCA-like
    case; see :class:`~skae.TiedAutoencoder`).  Its training loss leaves out
    the constant mean ``||x||² / d``.
    """

    n_features: int
    n_components: int
    hidden_layer_sizes: tuple = ()
    activation: str = "identity"
    code_activation: str = "identity"
    loss: str = "mse"
    tied_weights: bool = False
    alpha: float = 0.0
    penalties: tuple = field(default=())
    corruption: tuple = ()
    variational: bool = False
    beta: float = 1.0
    centred_linear: bool = False

    def __post_init__(self):
        if self.centred_linear and not (
            self.tied_weights
            and self.hidden_layer_sizes == ()
            and self.code_activation == "identity"
            and self.loss == "mse"
            and not (self.corruption or self.penalties or self.variational)
        ):
            raise ValueError("centred_linear needs one tied linear layer with squared error.")

    @property
    def layer_sizes(self):
        """Encoder sizes from the input to the code layer."""
        return (self.n_features, *self.hidden_layer_sizes, self.n_components)

    @property
    def use_bias(self):
        return not self.centred_linear
