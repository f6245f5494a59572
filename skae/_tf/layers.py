"""Layer descriptions (:mod:`skae._spec`) made into weights and a forward pass.

A network's weights are plain data, named per layer, one entry per layer
with weights (dense or convolutional), in order::

    {"encoder": [{"kernel": W1, "bias": b1}, ...],     # input -> code
     "decoder": [{"kernel": V1, "bias": c1}, ...],     # code -> output;
                                                       # no "kernel" if tied
     "logvar": {"kernel": Wv, "bias": bv}}             # VAEs only

Functions here are pure: ``(spec, params, x) -> tensor``, with ``params``
the weights as tensors or variables (the JAX/Flax way: no layer objects
that track their weights).  A tied decoder layer reads the encoder's kernel
variable itself, through its adjoint: the transpose of a dense kernel, the
transposed convolution of a convolution's.  Initial weights come from a
numpy generator seeded by the caller: no TensorFlow global seed is touched.
"""

import functools

import numpy as np

from .._spec import ACTIVATIONS, BatchNorm, Conv2D, Conv2DTranspose, Dense, Noise, Reshape, batch_norms, weight_layers
from . import import_tensorflow

tf = import_tensorflow()


def _tf_function(path):
    return functools.reduce(getattr, path.split("."), tf)


TF_ACTIVATIONS = {name: _tf_function(path) for name, (_, path) in ACTIVATIONS.items()}


# -- initial weights ---------------------------------------------------------------
def initial_kernel(rng, shape, fans, activation):
    """He-normal for ReLU/ELU layers, Glorot-uniform for the others (Keras'
    fans: a convolution's count its kernel's area)."""
    fan_in, fan_out = fans
    if activation in ("relu", "elu"):
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    if activation == "logistic":  # as scikit-learn's MLP does for sigmoid units
        limit *= np.sqrt(2.0)
    return rng.uniform(-limit, limit, size=shape)


def initial_layer(rng, layer):
    """The initial weights of one weight layer: a kernel (unless tied) and a bias (if it has one)."""
    out = {}
    if layer.tied is None:
        out["kernel"] = initial_kernel(rng, layer.kernel_shape, layer.fans, layer.activation)
    if layer.use_bias:
        out["bias"] = np.zeros(layer.output_shape[-1])
    return out


def calibrated(spec):
    """A VAE with a Gaussian decoder whose variance is fitted (``loss='mse'``)."""
    return spec.variational and spec.loss == "mse"


def initial_weights(spec, seed):
    """The named initial weights of an autoencoder ``spec`` (numpy), drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    weights = {
        "encoder": [initial_layer(rng, layer) for layer in weight_layers(spec.encoder_layers())],
        "decoder": [initial_layer(rng, layer) for layer in weight_layers(spec.decoder_layers())],
    }
    norms = batch_norms(spec.encoder_layers()) + batch_norms(spec.decoder_layers())
    if norms:
        weights["batch_norm"] = [
            {"gamma": np.ones(c), "beta": np.zeros(c), "moving_mean": np.zeros(c), "moving_variance": np.ones(c)}
            for c in (layer.output_shape[-1] for layer in norms)
        ]
    if spec.variational:
        weights["logvar"] = initial_layer(rng, spec.logvar_layer())
    if calibrated(spec):
        # The decoder's log-variance: not trained by the optimiser (training
        # uses each batch's optimum); set from the training data after fit.
        weights["noise"] = {"logvar": np.zeros(1)}
    return weights


def initial_head(spec, seed):
    """A predictor's new head (:class:`~skae._spec.PredictorSpec`), drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    return [initial_layer(rng, layer) for layer in spec.head_layers()]


# -- applying layers -----------------------------------------------------------------
def corrupt(x, kind, level, noise):
    """Corrupt a training batch: additive Gaussian noise of std ``level``, or
    zero a ``level`` fraction of the entries, rescaling the rest by
    1 / (1 - level) ('dropout') or not ('masking').  ``noise`` is standard
    normal ('gaussian') or uniform on [0, 1) (the others), of x's shape."""
    if kind == "gaussian":
        return x + level * noise
    x = tf.where(noise >= level, x, tf.zeros_like(x))
    return x / (1.0 - level) if kind == "dropout" else x


def _conv_strides(layer):
    return [1, *layer.strides, 1]


class Training:
    """What a training pass gives the layers: ``batch`` takes the batch
    statistics (a :class:`~skae._tf.distribute.WholeBatch` or
    ``ReplicaShard``), and ``updates`` collects each batch normalisation's
    (layer, weights, mean, variance), which the training step moves the
    running statistics towards."""

    def __init__(self, batch):
        self.batch = batch
        self.updates = []


def batch_norm(layer, weights, x, training=None):
    """A :class:`~skae._spec.BatchNorm` on x: the batch's statistics in
    training (recorded in ``training.updates``), the running ones otherwise."""
    dtype = x.dtype
    if training is None:
        mean = tf.cast(weights["moving_mean"], dtype)
        variance = tf.cast(weights["moving_variance"], dtype)
    else:
        axes = list(range(1, len(x.shape) - 1))  # an image's height and width; none for flat rows
        per_sample = tf.reduce_mean(x, axis=axes) if axes else x
        per_sample_sq = tf.reduce_mean(tf.square(x), axis=axes) if axes else tf.square(x)
        mean = training.batch.shared_statistic(per_sample)
        variance = tf.maximum(training.batch.shared_statistic(per_sample_sq) - tf.square(mean), 0.0)
        training.updates.append((layer, weights, mean, variance))
    scale = tf.cast(weights["gamma"], dtype) * tf.math.rsqrt(variance + layer.epsilon)
    return TF_ACTIVATIONS[layer.activation]((x - mean) * scale + tf.cast(weights["beta"], dtype))


def apply_layer(layer, weights, x, kernel=None, noise=None):
    """One layer on x.  ``weights`` is its entry of the params ({} for a
    layer without weights); ``kernel`` the encoder kernel a tied layer
    uses; ``noise`` a :class:`~skae._spec.Noise` layer's draws (None: the
    identity, as at inference)."""
    if isinstance(layer, Reshape):
        return tf.reshape(x, [-1, *layer.shape])
    if isinstance(layer, Noise):
        return x if noise is None else corrupt(x, layer.kind, layer.level, noise)
    W = weights["kernel"] if kernel is None else kernel
    W = tf.cast(W, x.dtype)
    if isinstance(layer, Dense):
        x = tf.matmul(x, W, transpose_b=kernel is not None)
    elif isinstance(layer, Conv2D):
        x = tf.nn.conv2d(x, W, strides=_conv_strides(layer), padding="SAME")
    elif isinstance(layer, Conv2DTranspose):
        shape = tf.stack([tf.shape(x)[0], *layer.output_shape])
        x = tf.nn.conv2d_transpose(x, W, shape, strides=_conv_strides(layer), padding="SAME")
    else:
        raise TypeError(f"not a layer description: {layer!r}")
    b = weights.get("bias")
    return TF_ACTIVATIONS[layer.activation](x if b is None else x + tf.cast(b, x.dtype))


def stack_outputs(layers, params, x, tied_to=(), draws=None, norms=(), training=None):
    """The output of each layer of ``layers`` applied to x in turn.

    ``params`` are the weight layers' entries, in order; ``tied_to`` the
    encoder's entries, whose kernels tied layers use; ``draws`` the noise
    layers' random numbers, in order (None at inference); ``norms`` the
    batch normalisations' entries, in order; ``training`` a
    :class:`Training` pass, or None at inference.
    """
    outputs, weights, norms = [], iter(params), iter(norms)
    draws = None if draws is None else iter(draws)
    for layer in layers:
        if isinstance(layer, BatchNorm):
            x = batch_norm(layer, next(norms), x, training)
        else:
            entry = next(weights) if layer.weighted else {}
            kernel = None if getattr(layer, "tied", None) is None else tied_to[layer.tied]["kernel"]
            noise = next(draws) if draws is not None and isinstance(layer, Noise) else None
            x = apply_layer(layer, entry, x, kernel, noise)
        outputs.append(x)
    return outputs


def apply_stack(layers, params, x, tied_to=(), draws=None, norms=(), training=None):
    """``layers`` applied to x (x itself if there are none)."""
    outputs = stack_outputs(layers, params, x, tied_to, draws, norms, training)
    return outputs[-1] if outputs else x


def unit_outputs(layers, outputs):
    """The output of each weight layer, after the batch normalisation that
    follows it (which applies its activation), if any."""
    units = []
    for i, (layer, out) in enumerate(zip(layers, outputs)):
        if layer.weighted:
            units.append(out)
        elif isinstance(layer, BatchNorm) and i and layers[i - 1].weighted:
            units[-1] = out
    return units


def _norms(spec, params, part):
    """The batch normalisations' entries of the encoder or the decoder."""
    norms = list(params.get("batch_norm", []))
    n_encoder = len(batch_norms(spec.encoder_layers()))
    return norms[:n_encoder] if part == "encoder" else norms[n_encoder:]


# -- the autoencoder's forward pass --------------------------------------------------
def hidden_outputs(spec, params, x, draws=None, training=None):
    """The output of each encoder layer before the code layer, in order."""
    return stack_outputs(
        spec.encoder_layers()[:-1], params["encoder"][:-1], x, draws=draws,
        norms=_norms(spec, params, "encoder"), training=training,
    )


def encode_hidden(spec, params, x, draws=None, training=None):
    """The encoder's last hidden representation, before the code layer."""
    outputs = hidden_outputs(spec, params, x, draws, training)
    return outputs[-1] if outputs else x


def code_layer(spec, params, h):
    return apply_layer(spec.encoder_layers()[-1], params["encoder"][-1], h)


def encode(spec, params, x, draws=None, training=None):
    """The code (for a VAE: the posterior mean); ``draws`` and ``training``:
    a training pass's noise and batch statistics."""
    return code_layer(spec, params, encode_hidden(spec, params, x, draws, training))


# The log-variance head's output is bounded smoothly to (-LOGVAR_BOUND,
# LOGVAR_BOUND): nearly the identity where posteriors live (|logvar| < 5),
# and exp(logvar) can never overflow float32, even on unscaled input.
LOGVAR_BOUND = 20.0


def posterior_of_hidden(spec, params, h):
    """A VAE's Gaussian posterior (mean, log-variance) from the encoder's last hidden representation."""
    raw = apply_layer(spec.logvar_layer(), params["logvar"], h)
    return code_layer(spec, params, h), LOGVAR_BOUND * tf.tanh(raw / LOGVAR_BOUND)


def posterior(spec, params, x, draws=None, training=None):
    """A VAE's Gaussian posterior q(z | x): (mean, log-variance)."""
    return posterior_of_hidden(spec, params, encode_hidden(spec, params, x, draws, training))


def decoder_outputs(spec, params, z, training=None):
    """The output of every decoder layer with weights (after its batch
    normalisation, if any), the logits last (flat rows)."""
    layers = spec.decoder_layers()
    outputs = stack_outputs(
        layers, params["decoder"], z, tied_to=params["encoder"], norms=_norms(spec, params, "decoder"),
        training=training,
    )
    units = unit_outputs(layers, outputs)
    if isinstance(layers[-1], Reshape):
        units[-1] = outputs[-1]
    return units


def decode_logits(spec, params, z, training=None):
    return decoder_outputs(spec, params, z, training)[-1]


def decode(spec, params, z):
    out = decode_logits(spec, params, z)
    return tf.sigmoid(out) if spec.loss == "binary_crossentropy" else out


def _flat(x):
    return tf.reshape(x, [tf.shape(x)[0], -1])


def correspondence_errors(spec, hidden, decoded):
    """Per-sample ``sum_i ||e_i - d_i||^2`` from a pass's outputs: ``hidden``
    the encoder's (:func:`hidden_outputs`), ``decoded`` the decoder's
    (:func:`decoder_outputs`)."""
    encoded = unit_outputs(spec.encoder_layers()[:-1], hidden)
    mirrored = decoded[:-1][::-1]
    return tf.add_n([
        tf.reduce_sum(tf.math.squared_difference(_flat(e), _flat(d)), axis=1) for e, d in zip(encoded, mirrored)
    ])


def layer_correspondence(spec, params, x, codes):
    """Per-sample ``sum_i ||e_i - d_i||^2``: each hidden encoder layer's output
    on x against its mirror decoder layer's on ``codes`` (seed 002's extra
    loss; training computes it from its own pass, :func:`correspondence_errors`)."""
    return correspondence_errors(spec, hidden_outputs(spec, params, x), decoder_outputs(spec, params, codes))


# -- prediction networks on an encoder (the supervised meta-estimators) -----------
def _first_layer(spec, params):
    """The index of the first encoder weight layer in ``params``: 0, or with a
    cached trainer's params (the trainable layers only) ``n_frozen``."""
    return spec.autoencoder.n_weight_layers - len(params["encoder"])


def frozen_view(spec, params):
    """The encoder layers of ``params``, the frozen ones behind a stop-gradient,
    with the index of the first (see :func:`_first_layer`)."""
    first = _first_layer(spec, params)
    view = []
    for i, layer in enumerate(params["encoder"], start=first):
        if i < spec.n_frozen:
            layer = {key: tf.stop_gradient(value) for key, value in layer.items()}
        view.append(layer)
    return view, first


def _encoder_after(spec, first):
    """The encoder's layer descriptions after its first ``first`` weight layers."""
    layers = spec.autoencoder.encoder_layers()
    seen = 0
    for i, layer in enumerate(layers):
        if seen == first:
            return layers[i:]
        seen += layer.weighted
    return ()


def predict(spec, params, x):
    """(code, output) of a predictor: class logits or values.  ``x`` is the
    input, or with a cached trainer's params, the frozen layers' output (flat)."""
    layers, first = frozen_view(spec, params)
    if first:
        x = tf.reshape(x, [-1, *spec.frozen_output_shape])
    code = apply_stack(_encoder_after(spec, first), layers, x)
    return code, apply_stack(spec.head_layers(), params["head"], code)


def frozen_outputs(spec, params, x):
    """The output of the first ``n_frozen`` encoder layers, as flat rows: what a cached trainer feeds."""
    layers = spec.autoencoder.encoder_layers()
    end = len(layers) - len(_encoder_after(spec, spec.n_frozen))
    return _flat(apply_stack(layers[:end], list(params["encoder"])[: spec.n_frozen], x))
