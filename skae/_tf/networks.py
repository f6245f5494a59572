"""Autoencoder networks built from a :class:`~skae._spec.NetworkSpec`.

The network is a ``tf.Module`` holding plain ``tf.Variable`` objects, so a
tied decoder really uses the encoder's kernel variable (transposed), there is
no layer object that has to be serialised, and the weights round-trip as a
list of numpy arrays.  Initial weights come from a numpy generator seeded by
the caller: no TensorFlow global seed is touched.

The forward pass and losses are functions of ``(spec, params, x)``, compiled
once per spec (and dtype) and cached: fitting the same architecture again,
as cross-validation and grid search do hundreds of times, reuses the traced
graph with the new model's variables passed in as arguments.
"""

import functools

import numpy as np

from . import import_tensorflow

tf = import_tensorflow()

ACTIVATIONS = {
    "identity": tf.identity,
    "logistic": tf.sigmoid,
    "tanh": tf.tanh,
    "relu": tf.nn.relu,
    "elu": tf.nn.elu,
}
# The same functions under Keras' names, for the exported Keras models.
KERAS_ACTIVATIONS = {
    "identity": "linear",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "elu": "elu",
}


def initial_kernel(rng, fan_in, fan_out, activation):
    """He-normal for ReLU/ELU layers, Glorot-uniform for the others."""
    if activation in ("relu", "elu"):
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    if activation == "logistic":  # as scikit-learn's MLP does for sigmoid units
        limit *= np.sqrt(2.0)
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def unpack(spec, params):
    """Split the flat parameter list into (encoder kernels, encoder biases,
    decoder kernels or None when tied, decoder biases).

    A variational network keeps its log-variance head (kernel, bias) as the
    last two parameters; see :func:`logvar_head`.
    """
    n_layers = len(spec.layer_sizes) - 1
    if not spec.use_bias:
        dec_W = None if spec.tied_weights else params[n_layers : 2 * n_layers]
        return params[:n_layers], [None] * n_layers, dec_W, [None] * n_layers
    enc_W = params[0 : 2 * n_layers : 2]
    enc_b = params[1 : 2 * n_layers : 2]
    dec = params[2 * n_layers : len(params) - (2 if spec.variational else 0)]
    if spec.tied_weights:
        return enc_W, enc_b, None, dec
    return enc_W, enc_b, dec[0::2], dec[1::2]


def _activations(spec):
    n_layers = len(spec.layer_sizes) - 1
    encoder = [spec.activation] * (n_layers - 1) + [spec.code_activation]
    decoder = [spec.activation] * (n_layers - 1) + ["identity"]  # last: output logits
    return encoder, decoder


def _dense(x, W, b, act):
    x = tf.matmul(x, tf.cast(W, x.dtype))
    return ACTIVATIONS[act](x if b is None else x + tf.cast(b, x.dtype))


def encode_hidden(spec, params, x):
    """The encoder's last hidden representation, before the code layer."""
    enc_W, enc_b, _, _ = unpack(spec, params)
    for W, b, act in zip(enc_W[:-1], enc_b[:-1], _activations(spec)[0]):
        x = _dense(x, W, b, act)
    return x


def code_layer(spec, params, h):
    enc_W, enc_b, _, _ = unpack(spec, params)
    return _dense(h, enc_W[-1], enc_b[-1], spec.code_activation)


def encode(spec, params, x):
    """The code (for a VAE: the posterior mean)."""
    return code_layer(spec, params, encode_hidden(spec, params, x))


# The log-variance head's output is bounded smoothly to (-LOGVAR_BOUND,
# LOGVAR_BOUND): nearly the identity where posteriors live (|logvar| < 5),
# and exp(logvar) can never overflow float32, even on unscaled input.
LOGVAR_BOUND = 20.0


def posterior(spec, params, x):
    """A VAE's Gaussian posterior q(z | x): (mean, log-variance)."""
    h = encode_hidden(spec, params, x)
    W, b = params[-2:]
    raw = _dense(h, W, b, "identity")
    return code_layer(spec, params, h), LOGVAR_BOUND * tf.tanh(raw / LOGVAR_BOUND)


def decode_logits(spec, params, z):
    enc_W, _, dec_W, dec_b = unpack(spec, params)
    n_layers = len(enc_W)
    for j, act in enumerate(_activations(spec)[1]):
        if dec_W is None:
            # Tied: the encoder's kernel variable itself, transposed.
            W = enc_W[n_layers - 1 - j]
            z = tf.matmul(z, tf.cast(W, z.dtype), transpose_b=True)
        else:
            z = tf.matmul(z, tf.cast(dec_W[j], z.dtype))
        z = ACTIVATIONS[act](z if dec_b[j] is None else z + tf.cast(dec_b[j], z.dtype))
    return z


def decode(spec, params, z):
    out = decode_logits(spec, params, z)
    return tf.sigmoid(out) if spec.loss == "binary_crossentropy" else out


def reconstruction_errors(spec, x, logits):
    """Per-sample reconstruction error, averaged over the features."""
    if spec.loss == "binary_crossentropy":
        err = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)
    else:
        err = tf.math.squared_difference(logits, x)
    return tf.reduce_mean(err, axis=1)


def log_likelihood(spec, x, logits):
    """log p(x | z) per sample, in nats: Bernoulli (binary cross-entropy) or
    unit-variance Gaussian (squared error), summed over the features."""
    if spec.loss == "binary_crossentropy":
        nll = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)
        return -tf.reduce_sum(nll, axis=1)
    d = tf.cast(tf.shape(x)[1], x.dtype)
    return -0.5 * tf.reduce_sum(tf.math.squared_difference(logits, x), axis=1) - 0.5 * d * np.log(
        2 * np.pi
    )


def gaussian_kl(mean, logvar):
    """KL(N(mean, exp(logvar)) || N(0, I)) per sample, in nats (closed form)."""
    return 0.5 * tf.reduce_sum(tf.exp(logvar) + tf.square(mean) - 1.0 - logvar, axis=1)


# Monte-Carlo draws of the ELBO at inference: fixed and shared by every
# sample, so scores are deterministic and do not depend on which samples
# share a batch. Antithetic pairs (eps, -eps) halve the variance of the
# linear part of the estimate.
ELBO_DRAWS = 16


def elbo(spec, params, x):
    """Per-sample evidence lower bound, in nats (see VariationalAutoencoder)."""
    mean, logvar = posterior(spec, params, x)
    eps = tf.random.stateless_normal(
        [ELBO_DRAWS // 2, spec.n_components], seed=[0, 0], dtype=x.dtype, alg=RNG
    )
    eps = tf.concat([eps, -eps], axis=0)
    std = tf.exp(0.5 * logvar)
    expected = tf.zeros_like(mean[:, 0])
    for i in range(ELBO_DRAWS):
        z = mean + std * eps[i]
        expected += log_likelihood(spec, x, decode_logits(spec, params, z))
    return expected / ELBO_DRAWS - gaussian_kl(mean, logvar)


def sample_errors(spec, params, x):
    """Per-sample error: reconstruction error, or for a VAE the negative ELBO."""
    if spec.variational:
        return -elbo(spec, params, x)
    return reconstruction_errors(spec, x, decode_logits(spec, params, encode(spec, params, x)))


# One random algorithm everywhere, so the draws do not depend on the device.
RNG = "philox"


def training_draws(spec, x, seed):
    """The random numbers one training batch needs, as a tuple of tensors.

    Drawn outside the (possibly XLA-compiled) step and passed into
    :func:`objective`: XLA derives other streams from the same stateless
    seed, and the same ``random_state`` must give the same model either way.
    Corruption noise (standard normal, or uniform for the zeroing kinds) of
    x's shape; for a VAE, standard-normal draws of the codes' shape.
    """
    draws = ()
    seeds = tf.random.experimental.stateless_split(seed, 2)
    if spec.corruption:
        draw = tf.random.stateless_normal if spec.corruption[0] == "gaussian" else tf.random.stateless_uniform
        draws += (draw(tf.shape(x), seed=seeds[0], dtype=x.dtype, alg=RNG),)
    if spec.variational:
        shape = tf.stack([tf.shape(x)[0], spec.n_components])
        draws += (tf.random.stateless_normal(shape, seed=seeds[1], dtype=x.dtype, alg=RNG),)
    return draws


def corrupt(x, kind, level, noise):
    """Corrupt a training batch: additive Gaussian noise of std ``level``, or
    zero a ``level`` fraction of the entries, rescaling the rest by
    1 / (1 - level) ('dropout') or not ('masking').  ``noise`` is standard
    normal ('gaussian') or uniform on [0, 1) (the others), of x's shape."""
    if kind == "gaussian":
        return x + level * noise
    x = tf.where(noise >= level, x, tf.zeros_like(x))
    return x / (1.0 - level) if kind == "dropout" else x


def kl_sparsity(codes, target, weight):
    """weight * sum_j KL(target || mean activation of unit j), for units in (0, 1).

    The batch means are clipped away from 0 and 1, so a dead or saturated
    unit gives a large but finite penalty, never NaN.
    """
    eps = 1e-6
    rho_hat = tf.clip_by_value(tf.reduce_mean(codes, axis=0), eps, 1.0 - eps)
    kl = target * tf.math.log(target / rho_hat) + (1.0 - target) * tf.math.log(
        (1.0 - target) / (1.0 - rho_hat)
    )
    return weight * tf.reduce_sum(kl)


PENALTIES = {"kl_sparsity": kl_sparsity}


def is_centred_linear_tied(spec):
    return (
        spec.tied_weights
        and not spec.use_bias
        and spec.layer_sizes == (spec.n_features, spec.n_components)
        and spec.code_activation == "identity"
        and spec.loss == "mse"
        and not (spec.corruption or spec.penalties or spec.variational)
    )


def linear_tied_errors(x, W, with_norms=True):
    """Per-sample mean squared error of x -> x W Wᵀ, without forming x W Wᵀ.

    With z = x W: ||x - z Wᵀ||² = ||x||² - 2 ||z||² + z (WᵀW) zᵀ.  The same
    value and gradient as the direct form in O(b d k + b k²) instead of
    several passes over b x d reconstructions, which dominate when k << d.
    ``with_norms=False`` leaves out ||x||², which does not depend on W:
    training then reads each batch twice (x W and the gradient's xᵀ(...)),
    not three times.
    """
    z = tf.matmul(x, W)
    sq = -2.0 * tf.reduce_sum(tf.square(z), axis=1) + tf.reduce_sum(
        tf.matmul(z, tf.matmul(W, W, transpose_a=True)) * z, axis=1
    )
    if with_norms:
        sq += tf.reduce_sum(tf.square(x), axis=1)
    return sq / tf.cast(tf.shape(x)[1], x.dtype)


def loss_parts(spec):
    """Names of the parts :func:`objective` reports besides the total."""
    return ("reconstruction", "kl") if spec.variational else ()


def objective(spec, params, x, draws):
    """The training loss on one batch, and its parts (see :func:`loss_parts`).

    Autoencoders: mean reconstruction error of the clean batch (from its
    corrupted version, if the spec corrupts) plus penalties.  VAEs: the
    negative ELBO per sample, ``-log p(x | z) + beta * KL``, with one
    reparameterised draw of z per sample.  ``draws`` are the batch's random
    numbers, from :func:`training_draws`.

    For the centred linear tied net (:func:`is_centred_linear_tied`) the loss
    leaves out the batch's mean ||x||² / d, a constant that does not move the
    weights; :func:`~skae._tf.training.train` adds the data's back to the
    loss it reports.
    """
    draws = list(draws)
    x_in = corrupt(x, *spec.corruption, draws.pop(0)) if spec.corruption else x
    parts = ()
    if spec.variational:
        mean, logvar = posterior(spec, params, x_in)
        eps = draws.pop(0)
        codes = mean + tf.exp(0.5 * logvar) * eps
        reconstruction = -tf.reduce_mean(log_likelihood(spec, x, decode_logits(spec, params, codes)))
        kl = tf.reduce_mean(gaussian_kl(mean, logvar))
        loss = reconstruction + spec.beta * kl
        parts = (reconstruction, kl)
    elif is_centred_linear_tied(spec):
        loss = tf.reduce_mean(linear_tied_errors(x, params[0], with_norms=False))
    else:
        codes = encode(spec, params, x_in)
        logits = decode_logits(spec, params, codes)
        loss = tf.reduce_mean(reconstruction_errors(spec, x, logits))
    for name, *options in spec.penalties:
        loss = loss + PENALTIES[name](codes, *options)
    if spec.alpha:
        enc_W, _, dec_W, _ = unpack(spec, params)
        l2 = tf.add_n([tf.reduce_sum(tf.square(W)) for W in list(enc_W) + list(dec_W or [])])
        loss = loss + 0.5 * spec.alpha * l2
    return loss, parts


_INFERENCE = {"encode": encode, "decode": decode, "sample_errors": sample_errors}


@functools.lru_cache(maxsize=64)
def compiled(name, spec, dtype):
    """``name``'s function for ``spec`` and input ``dtype``, compiled once.

    Called as ``fn(params, x)``; only the batch dimension of ``x`` varies.
    """
    fn = _INFERENCE[name]

    def run(params, x):
        return fn(spec, params, x)

    run.__qualname__ = f"skae.{name}"  # see skae._tf._OwnRetracingFilter
    return tf.function(run, reduce_retracing=True)


class Autoencoder(tf.Module):
    """The variables of one network, and its forward pass.

    Parameters
    ----------
    spec : NetworkSpec
    seed : int
        Seeds the numpy generator that draws the initial weights.
    weights : list of ndarray, optional
        Weights as returned by :meth:`get_weights`; overrides ``seed``.
    """

    def __init__(self, spec, seed=0, weights=None):
        super().__init__(name="autoencoder")
        self.spec = spec
        sizes = spec.layer_sizes
        n_layers = len(sizes) - 1
        enc_act, dec_act = _activations(spec)
        rng = np.random.default_rng(seed)
        init = []
        for i in range(n_layers):
            init.append(initial_kernel(rng, sizes[i], sizes[i + 1], enc_act[i]))
            init.append(np.zeros(sizes[i + 1]))
        for j, i in enumerate(reversed(range(n_layers))):
            if not spec.tied_weights:
                init.append(initial_kernel(rng, sizes[i + 1], sizes[i], dec_act[j]))
            init.append(np.zeros(sizes[i]))
        if not spec.use_bias:
            init = [w for w in init if w.ndim == 2]
        if spec.variational:
            init.append(initial_kernel(rng, sizes[-2], sizes[-1], "identity"))
            init.append(np.zeros(sizes[-1]))
        if weights is not None:
            if [np.shape(w) for w in weights] != [w.shape for w in init]:
                raise ValueError("The weights do not fit this network's shapes.")
            init = weights
        self.trainable = [
            tf.Variable(np.asarray(w, dtype=np.float32), name=f"w{i}")
            for i, w in enumerate(init)
        ]
        (
            self.encoder_kernels,
            self.encoder_biases,
            self.decoder_kernels,
            self.decoder_biases,
        ) = unpack(spec, self.trainable)

    def run(self, name, x):
        """Apply 'encode', 'decode' or 'sample_errors' to x, in x's precision."""
        return compiled(name, self.spec, tf.as_dtype(x.dtype).name)(self.trainable, x)

    # -- weights --------------------------------------------------------------
    def get_weights(self):
        return [v.numpy() for v in self.trainable]

    def set_weights(self, weights):
        for v, w in zip(self.trainable, weights):
            v.assign(w)

    # -- Keras export ---------------------------------------------------------
    @staticmethod
    def _keras_stack(name, in_dim, kernels, biases, activations):
        keras = tf.keras
        layers = [keras.Input(shape=(in_dim,))]
        for i, (W, act) in enumerate(zip(kernels, activations)):
            layers.append(
                keras.layers.Dense(
                    W.shape[1], activation=KERAS_ACTIVATIONS[act], name=f"{name}_{i}"
                )
            )
        model = keras.Sequential(layers, name=name)
        model.set_weights([a for W, b in zip(kernels, biases) for a in (W, b)])
        return model

    def keras_encoder(self):
        return self._keras_stack(
            "encoder",
            self.spec.n_features,
            [W.numpy() for W in self.encoder_kernels],
            [b.numpy() for b in self.encoder_biases],
            _activations(self.spec)[0],
        )

    def keras_decoder(self):
        if self.decoder_kernels is None:
            kernels = [W.numpy().T for W in reversed(self.encoder_kernels)]
        else:
            kernels = [W.numpy() for W in self.decoder_kernels]
        activations = _activations(self.spec)[1]
        if self.spec.loss == "binary_crossentropy":
            activations[-1] = "logistic"
        return self._keras_stack(
            "decoder",
            self.spec.n_components,
            kernels,
            [b.numpy() for b in self.decoder_biases],
            activations,
        )
