"""Autoencoder networks built from a :class:`~skae._spec.NetworkSpec`.

The network is a ``tf.Module`` holding plain ``tf.Variable`` objects under
names, so a tied decoder really uses the encoder's kernel variable
(transposed), there is no layer object that has to be serialised, and the
weights round-trip as a nested dict of numpy arrays::

    {"encoder": [{"kernel": W1, "bias": b1}, ...],     # input -> code
     "decoder": [{"kernel": V1, "bias": c1}, ...],     # code -> output;
                                                       # no "kernel" if tied
     "logvar": {"kernel": Wv, "bias": bv}}             # VAEs only

A centred linear tied net (``spec.centred_linear``) has no "bias" entries.
Initial weights come from a numpy generator seeded by the caller: no
TensorFlow global seed is touched.

The forward pass and losses are functions of ``(spec, params, x)``, compiled
once per spec (and dtype) and cached: fitting the same architecture again,
as cross-validation and grid search do hundreds of times, reuses the traced
graph with the new model's variables passed in as arguments.
"""

import functools
from collections.abc import Mapping, Sequence

import numpy as np

from .._spec import ACTIVATIONS, PredictorSpec
from . import import_tensorflow

tf = import_tensorflow()


def _tf_function(path):
    return functools.reduce(getattr, path.split("."), tf)


TF_ACTIVATIONS = {name: _tf_function(path) for name, (_, path) in ACTIVATIONS.items()}


def initial_kernel(rng, fan_in, fan_out, activation):
    """He-normal for ReLU/ELU layers, Glorot-uniform for the others."""
    if activation in ("relu", "elu"):
        return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    if activation == "logistic":  # as scikit-learn's MLP does for sigmoid units
        limit *= np.sqrt(2.0)
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def activations(spec):
    """(encoder activations, decoder activations), one per layer."""
    n_layers = len(spec.layer_sizes) - 1
    encoder = [spec.activation] * (n_layers - 1) + [spec.code_activation]
    decoder = [spec.activation] * (n_layers - 1) + ["identity"]  # last: output logits
    return encoder, decoder


def initial_weights(spec, seed):
    """The named initial weights of ``spec`` (numpy), drawn from ``seed``."""
    sizes = spec.layer_sizes
    n_layers = len(sizes) - 1
    enc_act, dec_act = activations(spec)
    rng = np.random.default_rng(seed)

    def layer(kernel, n_out):
        out = {} if kernel is None else {"kernel": kernel}
        if spec.use_bias:
            out["bias"] = np.zeros(n_out)
        return out

    weights = {"encoder": [], "decoder": []}
    for i in range(n_layers):
        weights["encoder"].append(layer(initial_kernel(rng, sizes[i], sizes[i + 1], enc_act[i]), sizes[i + 1]))
    for j, i in enumerate(reversed(range(n_layers))):
        kernel = None if spec.tied_weights else initial_kernel(rng, sizes[i + 1], sizes[i], dec_act[j])
        weights["decoder"].append(layer(kernel, sizes[i]))
    if spec.variational:
        weights["logvar"] = {
            "kernel": initial_kernel(rng, sizes[-2], sizes[-1], "identity"),
            "bias": np.zeros(sizes[-1]),
        }
    if calibrated(spec):
        # The decoder's log-variance: not trained by the optimiser (training
        # uses each batch's optimum); set from the training data after fit.
        weights["noise"] = {"logvar": np.zeros(1)}
    return weights


def weight_shapes(spec):
    """The shapes of ``spec``'s named weights: two specs whose shapes agree
    can go on training each other's weights."""
    return tf.nest.map_structure(np.shape, initial_weights(spec, 0))


def calibrated(spec):
    """A VAE with a Gaussian decoder whose variance is fitted (``loss='mse'``)."""
    return spec.variational and spec.loss == "mse"


# The calibrated decoder's variance is kept above this (a standard deviation
# of 1e-3): a feature the decoder reproduces exactly must not give an
# unbounded likelihood.
MIN_NOISE_VAR = 1e-6


def _dense(x, W, b, act):
    x = tf.matmul(x, tf.cast(W, x.dtype))
    return TF_ACTIVATIONS[act](x if b is None else x + tf.cast(b, x.dtype))


def _layer_outputs(x, layers, acts):
    """The output of each of a stack of dense ``layers`` applied to x, in order."""
    outputs = []
    for layer, act in zip(layers, acts):
        x = _dense(x, layer["kernel"], layer.get("bias"), act)
        outputs.append(x)
    return outputs


def _apply(x, layers, acts):
    """A stack of dense ``layers`` applied to x (x itself if there are none)."""
    outputs = _layer_outputs(x, layers, acts)
    return outputs[-1] if outputs else x


def encode_hidden(spec, params, x):
    """The encoder's last hidden representation, before the code layer."""
    return _apply(x, params["encoder"][:-1], activations(spec)[0])


def code_layer(spec, params, h):
    layer = params["encoder"][-1]
    return _dense(h, layer["kernel"], layer.get("bias"), spec.code_activation)


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
    raw = _dense(h, params["logvar"]["kernel"], params["logvar"]["bias"], "identity")
    return code_layer(spec, params, h), LOGVAR_BOUND * tf.tanh(raw / LOGVAR_BOUND)


def decoder_outputs(spec, params, z):
    """The output of every decoder layer, the logits last."""
    encoder = params["encoder"]
    outputs = []
    for j, (layer, act) in enumerate(zip(params["decoder"], activations(spec)[1])):
        if "kernel" in layer:
            z = tf.matmul(z, tf.cast(layer["kernel"], z.dtype))
        else:
            # Tied: the encoder's kernel variable itself, transposed.
            W = encoder[len(encoder) - 1 - j]["kernel"]
            z = tf.matmul(z, tf.cast(W, z.dtype), transpose_b=True)
        b = layer.get("bias")
        z = TF_ACTIVATIONS[act](z if b is None else z + tf.cast(b, z.dtype))
        outputs.append(z)
    return outputs


def decode_logits(spec, params, z):
    return decoder_outputs(spec, params, z)[-1]


def layer_correspondence(spec, params, x, codes):
    """Per-sample ``sum_i ||e_i - d_i||^2``: each hidden encoder layer's output
    against its mirror decoder layer's (seed 002's extra loss)."""
    encoded = _layer_outputs(x, params["encoder"][:-1], activations(spec)[0])
    decoded = decoder_outputs(spec, params, codes)[:-1][::-1]
    return tf.add_n([tf.reduce_sum(tf.math.squared_difference(e, d), axis=1) for e, d in zip(encoded, decoded)])


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


def log_likelihood(spec, x, logits, noise_logvar=0.0):
    """log p(x | z) per sample, in nats: Bernoulli (binary cross-entropy) or
    Gaussian of variance ``exp(noise_logvar)`` (squared error), summed over
    the features."""
    if spec.loss == "binary_crossentropy":
        nll = tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits)
        return -tf.reduce_sum(nll, axis=1)
    d = tf.cast(tf.shape(x)[1], x.dtype)
    noise_logvar = tf.cast(noise_logvar, x.dtype)
    sq = tf.reduce_sum(tf.math.squared_difference(logits, x), axis=1)
    return -0.5 * sq * tf.exp(-noise_logvar) - 0.5 * d * (np.log(2 * np.pi) + noise_logvar)


def noise_logvar(params):
    """The calibrated decoder's fitted log-variance (0: unit variance)."""
    return params["noise"]["logvar"][0] if "noise" in params else 0.0


def gaussian_kl(mean, logvar):
    """KL(N(mean, exp(logvar)) || N(0, I)) per sample, in nats (closed form)."""
    return 0.5 * tf.reduce_sum(tf.exp(logvar) + tf.square(mean) - 1.0 - logvar, axis=1)


# Monte-Carlo draws of the ELBO at inference: fixed and shared by every
# sample, so scores are deterministic and do not depend on which samples
# share a batch. Antithetic pairs (eps, -eps) halve the variance of the
# linear part of the estimate.
ELBO_DRAWS = 16


def _posterior_average(spec, params, x, per_sample):
    """The mean over the fixed ELBO draws z ~ q(z | x) of ``per_sample(logits)``,
    with the posterior's (mean, log-variance)."""
    mean, logvar = posterior(spec, params, x)
    eps = tf.random.stateless_normal(
        [ELBO_DRAWS // 2, spec.n_components], seed=[0, 0], dtype=x.dtype, alg=RNG
    )
    eps = tf.concat([eps, -eps], axis=0)
    std = tf.exp(0.5 * logvar)
    total = tf.zeros_like(mean[:, 0])
    for i in range(ELBO_DRAWS):
        total += per_sample(decode_logits(spec, params, mean + std * eps[i]))
    return total / ELBO_DRAWS, (mean, logvar)


def elbo(spec, params, x):
    """Per-sample evidence lower bound, in nats (see VariationalAutoencoder)."""
    expected, (mean, logvar) = _posterior_average(
        spec, params, x, lambda logits: log_likelihood(spec, x, logits, noise_logvar(params))
    )
    return expected - gaussian_kl(mean, logvar)


def expected_squared_errors(spec, params, x):
    """A VAE's per-sample squared error under q(z | x), averaged over the
    features (the ELBO's draws): what the calibrated decoder's variance is fitted to."""
    return _posterior_average(
        spec, params, x, lambda logits: tf.reduce_mean(tf.math.squared_difference(logits, x), axis=1)
    )[0]


def latent_kl(spec, params, x):
    """KL(q(z | x) || N(0, I)) per sample and latent, in nats."""
    mean, logvar = posterior(spec, params, x)
    return 0.5 * (tf.exp(logvar) + tf.square(mean) - 1.0 - logvar)


def posterior_std(spec, params, x):
    """The standard deviation of q(z | x)."""
    return tf.exp(0.5 * posterior(spec, params, x)[1])


def sample_errors(spec, params, x):
    """Per-sample error: reconstruction error, or for a VAE the negative ELBO;
    for a predictor, the supervised error of rows laid out as it trains on."""
    if isinstance(spec, PredictorSpec):
        return supervised_errors(spec, params, x)
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
    if isinstance(spec, PredictorSpec):
        return draws
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


# -- how a step reduces over its batch -----------------------------------------
class WholeBatch:
    """The whole batch is on this device: means are plain means, and every
    term of the loss counts once."""

    @staticmethod
    def mean(per_sample):
        """The batch mean of a per-sample quantity (rows on axis 0)."""
        return tf.reduce_mean(per_sample, axis=0)

    statistic = mean  # a batch statistic a penalty is a function of (sparsity's rho-hat)

    @staticmethod
    def once(term, of_statistics=False):
        """A term of the loss that does not sum over rows (L2, a penalty of statistics)."""
        return term


WHOLE_BATCH = WholeBatch()


class ReplicaShard:
    """One replica's rows of a global batch of ``n`` rows, under tf.distribute.

    Each replica's loss is its share of the global batch's loss, so that the
    sum over replicas of the shares, and of their gradients (what the
    all-reduce computes), is exactly the loss and gradient of the global
    batch on one device:

    - a mean over rows is this shard's sum over the global ``n``;
    - a batch statistic (sparsity's mean activation) has the global value
      (an all-reduce, outside the gradient) and, as gradient, this shard's
      part of the global one;
    - a term every replica computes whole counts 1/R in the value; its
      gradient too if it depends only on the weights (L2), in full if it is
      a function of statistics (whose gradients are already per shard).
    """

    def __init__(self, context, n):
        self.context = context
        self.n = tf.cast(n, tf.float32)
        self.replicas = float(context.num_replicas_in_sync)

    def mean(self, per_sample):
        return tf.reduce_sum(per_sample, axis=0) / self.n

    def statistic(self, per_sample):
        local = self.mean(per_sample)
        whole = self.context.all_reduce(tf.distribute.ReduceOp.SUM, tf.stop_gradient(local))
        return whole + (local - tf.stop_gradient(local))

    def once(self, term, of_statistics=False):
        if of_statistics:
            return tf.stop_gradient(term) / self.replicas + (term - tf.stop_gradient(term))
        return term / self.replicas


def kl_sparsity(codes, target, weight, batch=WHOLE_BATCH):
    """weight * sum_j KL(target || mean activation of unit j), for units in (0, 1).

    The batch means are clipped away from 0 and 1, so a dead or saturated
    unit gives a large but finite penalty, never NaN.  ``batch`` (a
    :class:`WholeBatch` or :class:`ReplicaShard`) takes the means.
    """
    eps = 1e-6
    rho_hat = tf.clip_by_value(batch.statistic(codes), eps, 1.0 - eps)
    kl = target * tf.math.log(target / rho_hat) + (1.0 - target) * tf.math.log(
        (1.0 - target) / (1.0 - rho_hat)
    )
    return weight * tf.reduce_sum(kl)


PENALTIES = {"kl_sparsity": kl_sparsity}


def replica_variables(structure, replica=0):
    """``structure`` with each tf.distribute variable replaced by its copy on
    this worker's ``replica``-th device (plain variables stay as they are).

    What compiled functions take as arguments: TensorFlow traces a
    distributed variable passed to a ``tf.function`` by capturing it, and
    reuses that trace for any other distributed variable of the same shape,
    so a second model's call would silently read and train the first
    model's variables.  Plain variables are traced as inputs.
    """
    def component(v):
        return v.values[replica] if isinstance(v, tf.distribute.DistributedValues) else v

    return tf.nest.map_structure(component, structure)


def current_strategy():
    """The tf.distribute strategy whose scope the caller is in, or None.

    skae trains under a strategy's scope (``with strategy.scope(): fit``),
    not inside ``strategy.run``.
    """
    if not tf.distribute.has_strategy():
        return None
    if not tf.distribute.in_cross_replica_context():
        raise RuntimeError(
            "skae estimators cannot be fitted inside strategy.run; fit them inside"
            " `with strategy.scope():` and they train data-parallel over its replicas."
        )
    strategy = tf.distribute.get_strategy()
    supported = (
        tf.distribute.MirroredStrategy, tf.distribute.MultiWorkerMirroredStrategy, tf.distribute.OneDeviceStrategy
    )
    if not isinstance(strategy, supported):
        raise ValueError(
            f"skae trains under MirroredStrategy, MultiWorkerMirroredStrategy and"
            f" OneDeviceStrategy; got {type(strategy).__name__}."
        )
    return strategy


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
    if isinstance(spec, PredictorSpec):
        return ("supervised", "reconstruction") if spec.reconstruction_weight else ()
    return ("reconstruction", "kl") if spec.variational else ()


def kernels(params):
    """Every kernel variable, once (a tied decoder has none of its own)."""
    layers = params["encoder"] + params["decoder"]
    return [layer["kernel"] for layer in layers if "kernel" in layer]


def objective(spec, params, x, draws, weights=None, batch=WHOLE_BATCH):
    """The training loss on one batch, and its parts (see :func:`loss_parts`).

    Autoencoders: mean reconstruction error of the clean batch (from its
    corrupted version, if the spec corrupts) plus penalties.  VAEs: the
    negative ELBO per sample, ``-log p(x | z) + beta * KL``, with one
    reparameterised draw of z per sample.  ``draws`` are the batch's random
    numbers, from :func:`training_draws`.  ``weights``, when given, are the
    samples' weights: the per-sample terms are averaged as ``sum(w * e) /
    batch size``, so a weight of 2 counts a sample as if it were there twice.
    ``batch`` takes the means over the batch: the whole batch, or under
    tf.distribute one replica's shard of it (:class:`ReplicaShard`).

    For the centred linear tied net (``spec.centred_linear``) the loss
    leaves out the batch's mean ||x||² / d, a constant that does not move the
    weights; the trainer adds the data's back to the loss it reports.
    """
    if isinstance(spec, PredictorSpec):
        return predictor_objective(spec, params, x, weights, batch)
    draws = list(draws)

    def mean(per_sample):
        return batch.mean(per_sample if weights is None else weights * per_sample)

    x_in = corrupt(x, *spec.corruption, draws.pop(0)) if spec.corruption else x
    parts = ()
    if spec.variational:
        mu, logvar = posterior(spec, params, x_in)
        eps = draws.pop(0)
        codes = mu + tf.exp(0.5 * logvar) * eps
        logits = decode_logits(spec, params, codes)
        noise = 0.0
        if calibrated(spec):
            # The decoder's variance at its optimum for this batch (the mean
            # squared error; Rybkin et al., 2021): the reconstruction term
            # keeps its weight against the KL whatever the data's scale.
            sq = tf.reduce_mean(tf.math.squared_difference(logits, x), axis=1)
            weighted_sq = sq if weights is None else weights * sq
            noise = tf.math.log(tf.maximum(tf.stop_gradient(batch.statistic(weighted_sq)), MIN_NOISE_VAR))
        reconstruction = -mean(log_likelihood(spec, x, logits, noise))
        kl = mean(gaussian_kl(mu, logvar))
        loss = reconstruction + spec.beta * kl
        parts = (reconstruction, kl)
    elif spec.centred_linear:
        loss = mean(linear_tied_errors(x, params["encoder"][0]["kernel"], with_norms=False))
    else:
        codes = encode(spec, params, x_in)
        logits = decode_logits(spec, params, codes)
        loss = mean(reconstruction_errors(spec, x, logits))
    for name, *options in spec.penalties:
        loss = loss + batch.once(PENALTIES[name](codes, *options, batch=batch), of_statistics=True)
    if spec.layer_loss_weight and spec.hidden_layer_sizes:
        loss = loss + spec.layer_loss_weight * mean(layer_correspondence(spec, params, x_in, codes))
    if spec.alpha:
        l2 = tf.add_n([tf.reduce_sum(tf.square(W)) for W in kernels(params)])
        loss = loss + batch.once(0.5 * spec.alpha * l2)
    return loss, parts


# -- prediction networks on an encoder (the supervised meta-estimators) -------
def _first_layer(spec, params):
    """The index of the first encoder layer in ``params``: 0, or with a cached
    trainer's params (the trainable layers only) ``n_frozen``."""
    return len(spec.autoencoder.layer_sizes) - 1 - len(params["encoder"])


def _frozen_view(spec, params):
    """The encoder layers of ``params``, the frozen ones behind a stop-gradient,
    with the index of the first (see :func:`_first_layer`)."""
    layers = list(params["encoder"])
    first = _first_layer(spec, params)
    view = []
    for i, layer in enumerate(layers, start=first):
        if i < spec.n_frozen:
            layer = {key: tf.stop_gradient(value) for key, value in layer.items()}
        view.append(layer)
    return view, first


def predict(spec, params, x):
    """(code, output) of a predictor: class logits or values.  ``x`` is the
    input, or with a cached trainer's params, the frozen layers' output."""
    layers, first = _frozen_view(spec, params)
    code = _apply(x, layers, activations(spec.autoencoder)[0][first:])
    head = list(params["head"])
    return code, _apply(code, head, [spec.autoencoder.activation] * (len(head) - 1) + ["identity"])


def frozen_outputs(spec, params, x):
    """The output of the first ``n_frozen`` encoder layers: what a cached trainer feeds."""
    return _apply(x, list(params["encoder"])[: spec.n_frozen], activations(spec.autoencoder)[0])


def _split_rows(spec, rows):
    """(input, targets, supervised weight) of rows laid out as a predictor trains on."""
    n_in, n_t = spec.n_inputs, spec.n_target_columns
    return rows[:, :n_in], rows[:, n_in : n_in + n_t], rows[:, n_in + n_t]


def _supervised_per_sample(spec, output, targets):
    if spec.task == "classification":
        labels = tf.cast(targets[:, 0], tf.int32)
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=output)
    return tf.reduce_mean(tf.math.squared_difference(output, targets), axis=1)


def supervised_errors(spec, params, rows):
    """Per-row supervised error (cross-entropy, or mean squared error over the outputs)."""
    x, targets, _ = _split_rows(spec, rows)
    return _supervised_per_sample(spec, predict(spec, params, x)[1], targets)


def predictor_objective(spec, params, rows, weights=None, batch=WHOLE_BATCH):
    """The fine-tuning loss on one batch: the mean of the rows' supervised
    errors times their supervised weights, plus ``reconstruction_weight``
    times the mean reconstruction error of every row (weighted by
    ``weights``), plus the L2 term on the trainable kernels."""
    x, targets, supervised_weight = _split_rows(spec, rows)
    code, output = predict(spec, params, x)
    supervised = batch.mean(supervised_weight * _supervised_per_sample(spec, output, targets))
    loss, parts = supervised, ()
    if spec.reconstruction_weight:
        layers, _ = _frozen_view(spec, params)
        view = {"encoder": layers, "decoder": params["decoder"]}
        errors = reconstruction_errors(spec.autoencoder, x, decode_logits(spec.autoencoder, view, code))
        reconstruction = batch.mean(errors if weights is None else weights * errors)
        loss = supervised + spec.reconstruction_weight * reconstruction
        parts = (supervised, reconstruction)
    if spec.alpha:
        first = _first_layer(spec, params)
        trainable = list(params["encoder"])[max(0, spec.n_frozen - first):]
        layers = trainable + list(params["head"]) + list(params.get("decoder", []))
        l2 = tf.add_n([tf.reduce_sum(tf.square(layer["kernel"])) for layer in layers if "kernel" in layer])
        loss = loss + batch.once(0.5 * spec.alpha * l2)
    return loss, parts


_INFERENCE = {
    "predict": lambda spec, params, x: predict(spec, params, x)[1],
    "frozen_outputs": frozen_outputs,
    "encode": encode,
    "decode": decode,
    "sample_errors": sample_errors,
    "expected_squared_errors": expected_squared_errors,
    "latent_kl": latent_kl,
    "posterior_std": posterior_std,
}


@functools.lru_cache(maxsize=64)
def compiled(name, spec, dtype):
    """``name``'s function for ``spec`` and input ``dtype``, compiled once.

    Called as ``fn(params, x)``; only the batch dimension of ``x`` varies.
    """
    fn = _INFERENCE[name]

    def run(params, x):
        return fn(spec, params, x)

    run.__qualname__ = f"skae.{name}"  # see skae._tf._OwnRetracingFilter
    return tf.function(run, reduce_retracing=True, autograph=False)


def plain(structure):
    """A nested structure with TensorFlow's tracking wrappers (which a
    ``tf.Module`` puts around its dicts and lists) turned into plain dicts
    and lists: what pickles without TensorFlow."""
    if isinstance(structure, Mapping):
        return {key: plain(value) for key, value in structure.items()}
    if isinstance(structure, Sequence) and not isinstance(structure, (str, bytes)):
        return [plain(value) for value in structure]
    return structure


def check_weights(expected, weights, what="The weights"):
    """Weights given to a network (loaded, or computed), or arrays that must
    match them (Adam's moments, named by ``what``), must have its shapes and
    be finite."""
    shapes = tf.nest.map_structure(np.shape, expected)
    try:
        tf.nest.assert_same_structure(expected, weights)
        same = shapes == tf.nest.map_structure(np.shape, weights)
    except (ValueError, TypeError):
        same = False
    if not same:
        raise ValueError(f"{what} do not fit this network's shapes.")
    if not all(np.isfinite(w).all() for w in tf.nest.flatten(weights)):
        raise ValueError(
            f"{what} contain NaN or infinity: a saved model that was corrupted or"
            " not written by skae."
        )


class Autoencoder(tf.Module):
    """The named variables of one network, and its forward pass.

    Parameters
    ----------
    spec : NetworkSpec
    seed : int
        Seeds the numpy generator that draws the initial weights.
    weights : dict, optional
        Named weights as returned by :meth:`get_weights`; overrides ``seed``.
    """

    def __init__(self, spec, seed=0, weights=None):
        super().__init__(name="autoencoder")
        self.spec = spec
        init = initial_weights(spec, seed)
        if weights is not None:
            check_weights(init, weights)
            init = weights
        self.params = tf.nest.map_structure(
            lambda w: tf.Variable(np.asarray(w, dtype=np.float32)), init
        )

    @property
    def train_params(self):
        """What the optimiser steps: every parameter."""
        return self.params

    @property
    def variables_list(self):
        """The variables in a fixed order (the optimiser's)."""
        return tf.nest.flatten(self.params)

    def run(self, name, x):
        """Apply 'encode', 'decode' or 'sample_errors' to x, in x's precision."""
        return compiled(name, self.spec, tf.as_dtype(x.dtype).name)(replica_variables(self.params), x)

    # -- weights --------------------------------------------------------------
    def get_weights(self):
        """The named weights as numpy arrays (copies).  Mirrored variables
        are read through their first replica's copy (all are equal): reading
        them whole is refused inside another strategy's scope, and a fitted
        model must save and go on training under any strategy, or none."""
        return plain(tf.nest.map_structure(lambda v: v.numpy(), replica_variables(self.params)))

    def set_weights(self, weights):
        check_weights(self.get_weights(), weights)
        for v, w in zip(self.variables_list, tf.nest.flatten(weights)):
            v.assign(np.asarray(w, dtype=np.float32))

    def layers(self):
        """(kernel, bias) per layer as numpy arrays, input to output; a tied
        decoder's kernels are the encoder's, transposed; a missing bias is zeros."""
        out = []
        for layer in self.params["encoder"]:
            out.append(layer["kernel"].numpy())
        n = len(self.params["encoder"])
        for j, layer in enumerate(self.params["decoder"]):
            if "kernel" in layer:
                out.append(layer["kernel"].numpy())
            else:
                out.append(self.params["encoder"][n - 1 - j]["kernel"].numpy().T)
        biases = [
            layer["bias"].numpy() if "bias" in layer else np.zeros(W.shape[1], np.float32)
            for layer, W in zip(self.params["encoder"] + self.params["decoder"], out)
        ]
        return list(zip(out, biases))

    # -- Keras export ---------------------------------------------------------
    @staticmethod
    def _keras_stack(name, in_dim, layers, activation_names):
        keras = tf.keras
        stack = [keras.Input(shape=(in_dim,))]
        for i, ((W, _), act) in enumerate(zip(layers, activation_names)):
            stack.append(
                keras.layers.Dense(W.shape[1], activation=ACTIVATIONS[act][0], name=f"{name}_{i}")
            )
        model = keras.Sequential(stack, name=name)
        model.set_weights([a for W, b in layers for a in (W, b)])
        return model

    def keras_encoder(self):
        n = len(self.params["encoder"])
        return self._keras_stack("encoder", self.spec.n_features, self.layers()[:n], activations(self.spec)[0])

    def keras_decoder(self):
        n = len(self.params["encoder"])
        acts = activations(self.spec)[1]
        if self.spec.loss == "binary_crossentropy":
            acts[-1] = "logistic"
        return self._keras_stack("decoder", self.spec.n_components, self.layers()[n:], acts)


class Predictor(Autoencoder):
    """The named variables of a prediction network on an encoder
    (:class:`~skae._spec.PredictorSpec`): ``{"encoder": [...], "head":
    [...]}``, and ``"decoder"`` when the loss reconstructs.

    ``weights`` are complete (see :meth:`initial`).  ``train_params`` are
    what the optimiser steps: all of them, or with ``spec.cached`` all but
    the frozen encoder layers, whose outputs the trainer feeds instead.
    """

    def __init__(self, spec, weights):
        tf.Module.__init__(self, name="predictor")
        self.spec = spec
        self.params = tf.nest.map_structure(lambda w: tf.Variable(np.asarray(w, dtype=np.float32)), weights)
        check_weights(self.initial(spec, 0, weights["encoder"], weights.get("decoder")), weights)

    @staticmethod
    def initial(spec, seed, encoder, decoder=None):
        """Complete weights: the encoder's (and decoder's) given, a new head drawn from ``seed``."""
        rng = np.random.default_rng(seed)
        sizes = (spec.autoencoder.n_components, *spec.head_layer_sizes, spec.n_outputs)
        acts = [spec.autoencoder.activation] * len(spec.head_layer_sizes) + ["identity"]
        head = [
            {"kernel": initial_kernel(rng, sizes[i], sizes[i + 1], acts[i]), "bias": np.zeros(sizes[i + 1])}
            for i in range(len(sizes) - 1)
        ]
        weights = {"encoder": plain(encoder), "head": head}
        if spec.reconstruction_weight:
            weights["decoder"] = plain(decoder)
        return weights

    @property
    def train_params(self):
        if not self.spec.cached:
            return self.params
        return {"encoder": list(self.params["encoder"])[self.spec.n_frozen :], "head": list(self.params["head"])}


def build(spec, weights):
    """The network of ``spec`` (an autoencoder or a predictor) with ``weights``."""
    if isinstance(spec, PredictorSpec):
        return Predictor(spec, weights)
    return Autoencoder(spec, weights=weights)
