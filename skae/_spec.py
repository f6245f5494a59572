"""Plain descriptions of a network: the seam between the two worlds.

The estimators (scikit-learn side) describe the network they want with a
:class:`NetworkSpec` (or a :class:`PredictorSpec` on one); the TensorFlow side
builds and trains it.  Neither side imports the other's framework, and a spec
is plain data, so it pickles and is the key of the compiled functions' cache.

A spec's network is a sequence of layer descriptions, derived from its
hyperparameters: :class:`Dense`, :class:`Conv2D`, :class:`Conv2DTranspose`,
:class:`Reshape`, :class:`Noise` and :class:`BatchNorm` (see
:meth:`NetworkSpec.encoder_layers` and :meth:`NetworkSpec.decoder_layers`).
The layers with weights (dense and convolutional) each own one entry of the
network's weights, in order (batch normalisations have a list of their
own); a
decoder layer with ``tied=i`` has no kernel of its own and uses the kernel of
the encoder's weight layer ``i`` through its adjoint: the transpose for a
dense layer, the transposed convolution for a convolution.
"""

import math
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


# -- layer descriptions ----------------------------------------------------------
@dataclass(frozen=True)
class Dense:
    """``activation(x W + b)`` on rows of ``n_in`` features, to ``units``.
    ``tied=i``: W is the transpose of the encoder's weight layer i's kernel."""

    n_in: int
    units: int
    activation: str = "identity"
    use_bias: bool = True
    tied: int = None

    weighted = True

    @property
    def output_shape(self):
        return (self.units,)

    @property
    def kernel_shape(self):
        return (self.n_in, self.units)

    @property
    def fans(self):
        return self.n_in, self.units


def _same_padding_size(size, stride):
    return math.ceil(size / stride)


@dataclass(frozen=True)
class Conv2D:
    """A 2-D convolution with 'same' padding on images of ``input_shape``
    ``(height, width, channels)``, to ``filters`` channels; the kernel is
    ``(kernel_height, kernel_width, channels, filters)``, as Keras' ``Conv2D``."""

    input_shape: tuple
    filters: int
    kernel_size: tuple = (3, 3)
    strides: tuple = (2, 2)
    activation: str = "identity"
    use_bias: bool = True

    weighted = True
    tied = None

    @property
    def output_shape(self):
        h, w, _ = self.input_shape
        return (_same_padding_size(h, self.strides[0]), _same_padding_size(w, self.strides[1]), self.filters)

    @property
    def kernel_shape(self):
        return (*self.kernel_size, self.input_shape[2], self.filters)

    @property
    def fans(self):
        area = self.kernel_size[0] * self.kernel_size[1]
        return area * self.input_shape[2], area * self.filters


@dataclass(frozen=True)
class Conv2DTranspose:
    """The transposed convolution (the adjoint of a :class:`Conv2D` with
    'same' padding) from images of ``input_shape`` to ``output_shape``
    ``(height, width, filters)``.  The kernel is ``(kernel_height,
    kernel_width, filters, input channels)``, as Keras' ``Conv2DTranspose``;
    ``tied=i`` uses the encoder's convolution i's kernel, which has exactly
    that shape."""

    input_shape: tuple
    output_shape: tuple
    kernel_size: tuple = (3, 3)
    strides: tuple = (2, 2)
    activation: str = "identity"
    use_bias: bool = True
    tied: int = None

    weighted = True

    @property
    def filters(self):
        return self.output_shape[2]

    @property
    def kernel_shape(self):
        return (*self.kernel_size, self.output_shape[2], self.input_shape[2])

    @property
    def fans(self):
        area = self.kernel_size[0] * self.kernel_size[1]
        return area * self.input_shape[2], area * self.output_shape[2]


@dataclass(frozen=True)
class BatchNorm:
    """Batch normalisation of its input's last axis (the units of flat rows,
    or the channels of an image: ``shape[-1]`` of them), then ``activation``: ``activation(gamma *
    (x - mean) / sqrt(var + epsilon) + beta)``.  Training uses the batch's
    statistics (of the global batch, under tf.distribute) and moves the
    running ones towards them by ``1 - momentum`` a step; inference uses the
    running ones.  Its weights are not a kernel layer's: they are the
    network's ``"batch_norm"`` entries, in order."""

    shape: tuple
    activation: str = "identity"
    momentum: float = 0.99
    epsilon: float = 1e-3

    weighted = False

    @property
    def output_shape(self):
        return self.shape


@dataclass(frozen=True)
class Reshape:
    """Each row to ``shape`` (flat rows: ``(n,)``); no weights."""

    shape: tuple

    weighted = False

    @property
    def output_shape(self):
        return self.shape


@dataclass(frozen=True)
class Noise:
    """Training-only corruption of its input: ``kind`` 'gaussian' (additive,
    std ``level``), 'dropout' (zero a ``level`` fraction, rescale the rest) or
    'masking' (zero a ``level`` fraction); the identity at inference.  No
    weights.  ``shape`` is its input's (and output's) shape."""

    kind: str
    level: float
    shape: tuple

    weighted = False

    @property
    def output_shape(self):
        return self.shape


def weight_layers(layers):
    """The layers of a description that own an entry of the weights, in order."""
    return [layer for layer in layers if layer.weighted]


def batch_norms(layers):
    """The batch-normalisation layers of a description, in order."""
    return [layer for layer in layers if isinstance(layer, BatchNorm)]


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

    ``contraction`` adds that weight times the squared Frobenius norm of
    the encoder's Jacobian at each sample (a mean over the batch): in closed
    form for an encoder of one dense layer, otherwise an unbiased estimate
    from one random projection per sample (see
    :func:`~skae._tf.losses.jacobian_norms`).

    ``conv_filters`` puts strided convolutions ('same' padding, of
    ``kernel_size`` and ``strides``, ``activation``) in front of the dense
    layers, one per entry, on rows read as images of ``image_shape``
    ``(height, width, channels)``; the decoder mirrors them with transposed
    convolutions (tied: the adjoints of the encoder's).

    ``batch_normalization`` normalises every hidden layer (convolutions and
    dense layers of the encoder and decoder; not the code or the output):
    the layer computes its linear part without a bias, and a
    :class:`BatchNorm` with ``batch_norm_momentum`` follows it, with the
    layer's activation.
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
    contraction: float = 0.0
    image_shape: tuple = None
    conv_filters: tuple = ()
    kernel_size: tuple = (3, 3)
    strides: tuple = (2, 2)
    batch_normalization: bool = False
    batch_norm_momentum: float = 0.99

    def __post_init__(self):
        if self.conv_filters and (
            self.image_shape is None or math.prod(self.image_shape) != self.n_features
            or len(self.image_shape) != 3
        ):
            raise ValueError("conv_filters needs an image_shape (height, width, channels) of n_features.")
        if self.centred_linear and not (
            self.tied_weights
            and self.hidden_layer_sizes == ()
            and self.code_activation == "identity"
            and self.loss == "mse"
            and not (self.corruption or self.penalties or self.variational or self.contraction)
        ):
            raise ValueError("centred_linear needs one tied linear layer with squared error.")

    @property
    def layer_sizes(self):
        """Encoder sizes from the input to the code layer."""
        return (self.n_features, *self.hidden_layer_sizes, self.n_components)

    @property
    def use_bias(self):
        return not self.centred_linear

    def encoder_layers(self):
        """The encoder's layer descriptions, input to code: the input noise
        (if the spec corrupts), the convolutions (between reshapes to the
        image and back to flat rows), the dense hidden layers, the code layer."""
        layers = []
        if self.corruption:
            layers.append(Noise(*self.corruption, shape=(self.n_features,)))
        width = self.n_features
        if self.conv_filters:
            layers.append(Reshape(tuple(self.image_shape)))
            shape = tuple(self.image_shape)
            for filters in self.conv_filters:
                conv = Conv2D(shape, filters, self.kernel_size, self.strides, self.activation, self.use_bias)
                layers += self._normalised(conv)
                shape = conv.output_shape
            width = math.prod(shape)
            layers.append(Reshape((width,)))
        sizes = (width, *self.hidden_layer_sizes, self.n_components)
        for i in range(len(sizes) - 1):
            code = i == len(sizes) - 2
            dense = Dense(sizes[i], sizes[i + 1], self.code_activation if code else self.activation, self.use_bias)
            if code and self.batch_normalization and len(sizes) > 2:
                # The decoder normalises the code's image at once, so a code
                # bias would have no gradient (only rounding noise, which Adam
                # would follow): the code layer has none.
                dense = replace(dense, use_bias=False)
            layers += [dense] if code else self._normalised(dense)
        return tuple(layers)

    def _normalised(self, layer):
        """A hidden layer, as it is or (with batch_normalization) linear and
        without a bias, followed by a BatchNorm with its activation."""
        if not self.batch_normalization:
            return [layer]
        return [
            replace(layer, activation="identity", use_bias=False),
            BatchNorm(layer.output_shape, layer.activation, self.batch_norm_momentum),
        ]

    def decoder_layers(self):
        """The decoder's layer descriptions, code to output: the encoder's
        weight layers mirrored (tied to them with ``tied_weights``), each
        with ``activation`` but the last, which gives the output logits."""
        encoder = weight_layers(self.encoder_layers())
        n = len(encoder)
        layers = []
        for j, i in enumerate(reversed(range(n))):
            enc = encoder[i]
            act = "identity" if j == n - 1 else self.activation
            tied = i if self.tied_weights else None
            if isinstance(enc, Dense):
                layer = Dense(enc.units, enc.n_in, act, self.use_bias, tied)
            else:
                layer = Conv2DTranspose(
                    enc.output_shape, enc.input_shape, enc.kernel_size, enc.strides, act, self.use_bias, tied
                )
            layers += [layer] if j == n - 1 else self._normalised(layer)
            if isinstance(enc, Dense) and i == len(self.conv_filters) and self.conv_filters:
                layers.append(Reshape(encoder[i - 1].output_shape))  # the first dense layer: back to the image
        if self.conv_filters:
            layers.append(Reshape((self.n_features,)))
        return tuple(layers)

    def logvar_layer(self):
        """A VAE's log-variance head, on the encoder's last hidden layer."""
        code = weight_layers(self.encoder_layers())[-1]
        return Dense(code.n_in, code.units, "identity", True)

    @property
    def contraction_in_closed_form(self):
        """The encoder is one dense layer: its Jacobian norm has a closed form."""
        layers = self.encoder_layers()
        return len(layers) == 1 and isinstance(layers[0], Dense)

    @property
    def n_weight_layers(self):
        """The encoder's layers with weights (convolutions, dense layers, the code layer)."""
        return len(weight_layers(self.encoder_layers()))

    def layer_specs(self):
        """One shallow autoencoder per encoder layer, for greedy layer-wise
        pretraining: layer i encodes layer i - 1's output (the input, for the
        first) and reconstructs it.  Each keeps the weight tying and the input
        noise; the first keeps the loss and the others use squared error (they
        reconstruct activations, not data); the last, the code layer, keeps the
        code activation, the penalties and the variational posterior."""
        if self.conv_filters or self.batch_normalization:
            raise ValueError("greedy pretraining is for dense networks (no conv_filters or batch normalisation).")
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
                contraction=self.contraction if i == 0 else 0.0,
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
        if self.autoencoder.batch_normalization:
            raise ValueError("prediction networks do not take batch-normalised autoencoders yet.")
        n_layers = self.autoencoder.n_weight_layers
        if not 0 <= self.n_frozen <= n_layers:
            raise ValueError(f"n_frozen must be in [0, {n_layers}].")
        if self.cached and (self.n_frozen == 0 or self.reconstruction_weight):
            raise ValueError("cached needs frozen layers and no reconstruction term.")

    @property
    def n_inputs(self):
        """Width of the input the trainer feeds (flat rows)."""
        if not (self.cached and self.n_frozen):
            return self.autoencoder.n_features
        return math.prod(self.frozen_output_shape)

    @property
    def frozen_output_shape(self):
        """The shape of a row of the frozen layers' output."""
        return weight_layers(self.autoencoder.encoder_layers())[self.n_frozen - 1].output_shape

    def head_layers(self):
        """The head's layer descriptions, code to output."""
        sizes = (self.autoencoder.n_components, *self.head_layer_sizes, self.n_outputs)
        acts = [self.autoencoder.activation] * len(self.head_layer_sizes) + ["identity"]
        return tuple(Dense(sizes[i], sizes[i + 1], acts[i]) for i in range(len(sizes) - 1))

    @property
    def n_target_columns(self):
        return 1 if self.task == "classification" else self.n_outputs
