"""Plain descriptions of a network: the seam between the two worlds.

The estimators (scikit-learn side) describe the network they want with a
:class:`NetworkSpec`; the TensorFlow side builds and trains it.  Neither side
imports the other's framework, and a spec is plain data, so it pickles.
"""

from dataclasses import dataclass, field, replace

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

    ``layer_loss_weight`` adds that weight times ``sum_i ||e_i - d_i||^2``
    (a mean over the batch) between each hidden encoder layer's output e_i
    and the output of its mirror decoder layer d_i (of the same size).

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
    layer_loss_weight: float = 0.0

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

    def layer_specs(self):
        """One shallow autoencoder per encoder layer, for greedy layer-wise
        pretraining: layer i encodes layer i - 1's output (the input, for the
        first) and reconstructs it.  Each keeps the weight tying and the input
        noise; the first keeps the loss and the others use squared error (they
        reconstruct activations, not data); the last, the code layer, keeps the
        code activation, the penalties and the variational posterior."""
        sizes = self.layer_sizes
        last = len(sizes) - 2
        return [
            replace(
                self, n_features=sizes[i], n_components=sizes[i + 1], hidden_layer_sizes=(),
                code_activation=self.code_activation if i == last else self.activation,
                loss=self.loss if i == 0 else "mse",
                penalties=self.penalties if i == last else (),
                variational=self.variational and i == last,
                layer_loss_weight=0.0,
            )
            for i in range(last + 1)
        ]


@dataclass(frozen=True)
class PredictorSpec:
    """A prediction network on an autoencoder's encoder: what the supervised
    meta-estimators fine-tune.

    ``autoencoder`` is a deterministic autoencoder spec (no noise, sampling
    or penalties): its encoder gives the code, its decoder the joint
    objective's reconstruction.  The head is dense layers of
    ``head_layer_sizes`` units (the autoencoder's ``activation``), then a
    linear output layer of ``n_outputs`` units: class logits (``task``
    'classification') or values ('regression').  The first ``n_frozen``
    encoder layers are held fixed; with ``cached`` the trainer feeds their
    outputs, computed once, instead of the input.  The loss is the
    supervised error plus ``reconstruction_weight`` times the
    reconstruction error, plus ``alpha / 2`` times the squared trainable
    kernels.

    The trainer reads rows laid out as ``[input, targets, supervised
    weight]``: the input (the frozen layers' output when ``cached``), the
    class index (one column) or the target values, and each row's weight in
    the supervised term (0 for unlabelled rows).
    """

    autoencoder: NetworkSpec
    task: str
    n_outputs: int
    head_layer_sizes: tuple = ()
    n_frozen: int = 0
    cached: bool = False
    reconstruction_weight: float = 0.0
    alpha: float = 0.0
    # Never the centred linear tied net (the trainer asks every spec; not a field).
    centred_linear = False

    def __post_init__(self):
        n_layers = len(self.autoencoder.layer_sizes) - 1
        if not 0 <= self.n_frozen <= n_layers:
            raise ValueError(f"n_frozen must be in [0, {n_layers}].")
        if self.cached and (self.n_frozen == 0 or self.reconstruction_weight):
            raise ValueError("cached needs frozen layers and no reconstruction term.")

    @property
    def n_inputs(self):
        """Width of the input the trainer feeds."""
        return self.autoencoder.layer_sizes[self.n_frozen if self.cached else 0]

    @property
    def n_target_columns(self):
        return 1 if self.task == "classification" else self.n_outputs
