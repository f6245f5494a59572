"""The terms of the training loss, and the per-sample errors inference reports.

Reconstruction error (squared error or binary cross-entropy from logits),
the VAE's evidence lower bound, sparsity's KL penalty, the L2 term, the layer
correspondence term and the supervised error of the meta-estimators; each
estimator's spec says which it uses, and :func:`objective` adds them up.
"""

import numpy as np

from .._spec import Noise, PredictorSpec
from . import import_tensorflow
from .distribute import WHOLE_BATCH
from .layers import (
    TF_ACTIVATIONS, Training, calibrated, code_layer, correspondence_errors, decode_logits, decoder_outputs, encode,
    frozen_view, hidden_outputs, posterior, posterior_of_hidden, predict,
)

tf = import_tensorflow()


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


# The calibrated decoder's variance is kept above this (a standard deviation
# of 1e-3): a feature the decoder reproduces exactly must not give an
# unbounded likelihood.
MIN_NOISE_VAR = 1e-6


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
    Noise layers' draws (standard normal, or uniform for the zeroing kinds)
    of their input's shape, in order; for a VAE, standard-normal draws of
    the codes' shape.
    """
    draws = ()
    if isinstance(spec, PredictorSpec):
        return draws
    seeds = tf.random.experimental.stateless_split(seed, 2)
    n = tf.shape(x)[0]
    noise = [layer for layer in spec.encoder_layers() if isinstance(layer, Noise)]
    for i, layer in enumerate(noise):
        draw = tf.random.stateless_normal if layer.kind == "gaussian" else tf.random.stateless_uniform
        layer_seed = seeds[0] if i == 0 else tf.random.experimental.stateless_fold_in(seeds[0], i)
        draws += (draw(tf.stack([n, *layer.shape]), seed=layer_seed, dtype=x.dtype, alg=RNG),)
    if spec.variational:
        shape = tf.stack([n, spec.n_components])
        draws += (tf.random.stateless_normal(shape, seed=seeds[1], dtype=x.dtype, alg=RNG),)
    if spec.contraction and not spec.contraction_in_closed_form:
        shape = tf.stack([n, spec.n_components])
        projection_seed = tf.random.experimental.stateless_fold_in(seeds[1], 1)
        draws += (tf.random.stateless_normal(shape, seed=projection_seed, dtype=x.dtype, alg=RNG),)
    return draws


# d activation / d pre-activation, from the activation's output h (and the
# pre-activation a, for ReLU and ELU).
_DERIVATIVES = {
    "identity": lambda h, a: tf.ones_like(h),
    "logistic": lambda h, a: h * (1.0 - h),
    "tanh": lambda h, a: 1.0 - tf.square(h),
    "relu": lambda h, a: tf.cast(a > 0, h.dtype),
    "elu": lambda h, a: tf.where(a > 0, tf.ones_like(h), h + 1.0),
}


def jacobian_norms(spec, params, x, projections=None):
    """Per-sample squared Frobenius norm of the encoder's Jacobian ||J_f(x)||²_F.

    An encoder of one dense layer h = s(x W + b) has J = diag(s'(a)) Wᵀ, so
    ``||J||² = sum_j s'(a_j)² sum_i W_ij²`` (Rifai et al., 2011): exact, at
    the cost of the forward pass.  Deeper (or convolutional) encoders use
    ``projections`` v ~ N(0, I_k), one per sample: ``||Jᵀ v||²`` (one
    vector-Jacobian product, an extra backward pass) has expectation
    ``tr(J Jᵀ) = ||J||²``, an unbiased estimate whose gradient is unbiased
    too; its noise averages out over the batch and the epochs as the
    mini-batch gradient's does.
    """
    if spec.contraction_in_closed_form:
        layer, weights = spec.encoder_layers()[0], params["encoder"][0]
        W = tf.cast(weights["kernel"], x.dtype)
        pre = tf.matmul(x, W)
        if "bias" in weights:
            pre = pre + tf.cast(weights["bias"], x.dtype)
        h = TF_ACTIVATIONS[layer.activation](pre)
        slope = _DERIVATIVES[layer.activation](h, pre)
        return tf.reduce_sum(tf.square(slope) * tf.reduce_sum(tf.square(W), axis=0), axis=1)
    with tf.GradientTape() as tape:
        tape.watch(x)
        codes = encode(spec, params, x)
    vjp = tape.gradient(codes, x, output_gradients=projections)
    return tf.reduce_sum(tf.square(vjp), axis=1)


def _noise_draws(spec, draws):
    """(the noise layers' draws, the rest) of :func:`training_draws`' tuple."""
    n = sum(isinstance(layer, Noise) for layer in spec.encoder_layers())
    return tuple(draws[:n]), list(draws[n:])


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


def objective(spec, params, x, draws, weights=None, batch=WHOLE_BATCH, updates=None):
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
    noise_draws, draws = _noise_draws(spec, draws)
    training = Training(batch)

    def mean(per_sample):
        return batch.mean(per_sample if weights is None else weights * per_sample)

    parts = ()
    if not spec.centred_linear:  # one pass through the network serves every term
        hidden = hidden_outputs(spec, params, x, noise_draws, training)
        h = hidden[-1] if hidden else x
    if spec.variational:
        mu, logvar = posterior_of_hidden(spec, params, h)
        eps = draws.pop(0)
        codes = mu + tf.exp(0.5 * logvar) * eps
        decoded = decoder_outputs(spec, params, codes, training)
        logits = decoded[-1]
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
        codes = code_layer(spec, params, h)
        decoded = decoder_outputs(spec, params, codes, training)
        loss = mean(reconstruction_errors(spec, x, decoded[-1]))
    for name, *options in spec.penalties:
        loss = loss + batch.once(PENALTIES[name](codes, *options, batch=batch), of_statistics=True)
    if spec.contraction:
        projections = None if spec.contraction_in_closed_form else draws.pop(0)
        loss = loss + spec.contraction * mean(jacobian_norms(spec, params, x, projections))
    if spec.layer_loss_weight and spec.n_weight_layers > 1:
        loss = loss + spec.layer_loss_weight * mean(correspondence_errors(spec, hidden, decoded))
    if spec.alpha:
        l2 = tf.add_n([tf.reduce_sum(tf.square(W)) for W in kernels(params)])
        loss = loss + batch.once(0.5 * spec.alpha * l2)
    if updates is not None:
        updates.extend(training.updates)
    return loss, parts


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
        layers, _ = frozen_view(spec, params)
        view = {"encoder": layers, "decoder": params["decoder"]}
        errors = reconstruction_errors(spec.autoencoder, x, decode_logits(spec.autoencoder, view, code))
        reconstruction = batch.mean(errors if weights is None else weights * errors)
        loss = supervised + spec.reconstruction_weight * reconstruction
        parts = (supervised, reconstruction)
    if spec.alpha:
        _, first = frozen_view(spec, params)
        trainable = list(params["encoder"])[max(0, spec.n_frozen - first):]
        layers = trainable + list(params["head"]) + list(params.get("decoder", []))
        l2 = tf.add_n([tf.reduce_sum(tf.square(layer["kernel"])) for layer in layers if "kernel" in layer])
        loss = loss + batch.once(0.5 * spec.alpha * l2)
    return loss, parts
