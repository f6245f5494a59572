"""The training engine: one compiled TensorFlow function per epoch.

The data are converted once to a float32 tensor.  Each epoch (a shuffle by
index permutation and every mini-batch, the last one smaller when the batch
size does not divide the number of rows; or, for data whose rows were put in
random order once, a shuffle of the order of contiguous batches) runs inside a single
``tf.function``, so Python is visited once per epoch: for the loss curve,
early stopping, the divergence guard and progress output.

Randomness (shuffling, corruption noise) comes from stateless random ops
whose seeds derive from the caller's integer seed and the epoch number: the
same seed gives the same training run, and no global seed is set.
"""

import functools
from dataclasses import dataclass, field

import numpy as np

from . import import_tensorflow, networks

tf = import_tensorflow()

# XLA-compile the per-batch step when the data are at least this many
# entries: measured +15% samples/s on 784-300-150 (60000 x 784), while on
# small data the compile time (per architecture) costs more than it saves.
# Never for the centred linear tied network, whose step is three matmuls
# with nothing to fuse: there XLA measured 10-100% slower per epoch.
XLA_MIN_ENTRIES = 2**23


def use_xla(spec, n_entries):
    return n_entries >= XLA_MIN_ENTRIES and not networks.is_centred_linear_tied(spec)


# Callers that can put the training rows in random order once (a copy they
# make anyway) should from this many entries: an epoch then slices contiguous
# batches instead of gathering rows (see epoch_function).
BLOCK_SHUFFLE_MIN_ENTRIES = 2**23

# TensorFlow's CPU kernels need tensor buffers aligned to this many bytes
# (EIGEN_MAX_ALIGN_BYTES); a misaligned DLPack import aborts the process.
ALIGNMENT = 64


def aligned_empty(shape, dtype=np.float32):
    """An uninitialised C-contiguous array whose data start on an ALIGNMENT boundary."""
    n_bytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    buffer = np.empty(n_bytes + ALIGNMENT, np.uint8)
    start = -buffer.ctypes.data % ALIGNMENT
    return buffer[start : start + n_bytes].view(dtype).reshape(shape)


def to_tensor(X):
    """X as a float32 tensor, without a copy where TensorFlow allows one.

    ``tf.convert_to_tensor`` always copies.  A float32, C-contiguous,
    aligned, writeable array is shared with TensorFlow through DLPack
    instead (the tensor keeps it alive; training never writes to it);
    anything else is copied once into such an array first.  On 70000 x 784
    this saves a 220 MB copy: 0.14 s measured, more where fresh memory is
    slow to map.
    """
    X = np.asarray(X)
    shareable = (
        X.dtype == np.float32
        and X.flags.c_contiguous
        and X.flags.writeable  # DLPack cannot export read-only arrays
        and X.ctypes.data % ALIGNMENT == 0
    )
    if not shareable:
        X32 = aligned_empty(X.shape)
        np.copyto(X32, X, casting="same_kind")
        X = X32
    if X.size == 0:
        return tf.convert_to_tensor(X)
    return tf.experimental.dlpack.from_dlpack(X.__dlpack__())


class NonFiniteLossError(ArithmeticError):
    """The training loss became NaN or infinite."""

    def __init__(self, epoch, loss):
        super().__init__(f"non-finite loss {loss} at epoch {epoch}")
        self.epoch = epoch
        self.loss = loss


class Adam:
    """Adam's state (Kingma & Ba, 2015) for a list of variables."""

    beta_1, beta_2, epsilon = 0.9, 0.999, 1e-8

    def __init__(self, variables, learning_rate):
        self.learning_rate = tf.constant(learning_rate, tf.float32)
        self.m = [tf.Variable(tf.zeros_like(v), trainable=False) for v in variables]
        self.v = [tf.Variable(tf.zeros_like(v), trainable=False) for v in variables]
        self.powers = [tf.Variable(1.0, trainable=False), tf.Variable(1.0, trainable=False)]

    @classmethod
    def update(cls, params, grads, m, v, powers, learning_rate):
        """One step: a fused kernel per variable (as Keras 2 did on TensorFlow)."""
        b1p = powers[0].assign(powers[0] * cls.beta_1)
        b2p = powers[1].assign(powers[1] * cls.beta_2)
        for var, m_i, v_i, g in zip(params, m, v, grads):
            tf.raw_ops.ResourceApplyAdam(
                var=var.handle,
                m=m_i.handle,
                v=v_i.handle,
                beta1_power=b1p,
                beta2_power=b2p,
                lr=learning_rate,
                beta1=tf.constant(cls.beta_1, tf.float32),
                beta2=tf.constant(cls.beta_2, tf.float32),
                epsilon=tf.constant(cls.epsilon, tf.float32),
                grad=g,
            )


@functools.lru_cache(maxsize=64)
def epoch_function(spec, shuffle, jit_compile=False):
    """A compiled epoch for ``spec``, shared by every model of that spec.

    ``shuffle``: False (batches in row order), True (batches of rows drawn
    by a fresh permutation each epoch, gathered) or ``"blocks"`` (for rows
    already in random order: the rows rotated by a random shift, cut into
    contiguous batches visited in a random order, both fresh each epoch;
    slicing instead of gathering saves a copy of every batch, measured
    0.095 -> 0.056 s per epoch for the linear tied net, 70000 x 784, k=10).

    The per-batch step is XLA-compiled when ``jit_compile``; the loop over
    batches never is (an XLA while-loop gathering batches ran ~100x slower).

    ``epoch(X, seed, batch_size, params, m, v, powers, learning_rate)``
    returns the mean training loss over the epoch's batches (weighted by
    their sizes), followed by the mean of each of its parts
    (:func:`~skae._tf.networks.loss_parts`); every row is used, the last batch being smaller when
    ``batch_size`` does not divide the number of rows.
    """

    n_parts = len(networks.loss_parts(spec))

    @tf.function(jit_compile=jit_compile)
    def step(xb, draws, params, m, v, powers, learning_rate):
        with tf.GradientTape() as tape:
            loss, parts = networks.objective(spec, params, xb, draws)
        grads = tape.gradient(loss, params)
        Adam.update(params, grads, m, v, powers, learning_rate)
        return tf.stack([loss, *parts]) * tf.cast(tf.shape(xb)[0], tf.float32)

    def epoch(X, seed, batch_size, params, m, v, powers, learning_rate):
        n = tf.shape(X)[0]
        n_batches = (n + batch_size - 1) // batch_size
        if shuffle == "blocks":
            order = tf.argsort(tf.random.stateless_uniform([n_batches], seed=seed))
            shift = tf.random.stateless_uniform(
                [], seed=tf.random.experimental.stateless_fold_in(seed, -1), maxval=n, dtype=tf.int32
            )
        elif shuffle:
            order = tf.argsort(tf.random.stateless_uniform([n], seed=seed))
        else:
            order = tf.range(n)
        # The total loss first, then its parts, each summed over rows.
        totals = tf.zeros([1 + n_parts], tf.float32)
        for i in tf.range(n_batches):
            if shuffle == "blocks":
                # Window order[i] of the rows rotated by `shift`, wrapping.
                start = order[i] * batch_size
                size = tf.minimum(batch_size, n - start)
                start = (start + shift) % n
                xb = tf.cond(
                    start + size <= n,
                    lambda: X[start : start + size],
                    lambda: tf.concat([X[start:], X[: start + size - n]], axis=0),
                )
            else:
                xb = tf.gather(X, order[i * batch_size : (i + 1) * batch_size])
            batch_seed = tf.random.experimental.stateless_fold_in(seed, i)
            draws = networks.training_draws(spec, xb, batch_seed)
            totals += step(xb, draws, params, m, v, powers, learning_rate)
        return totals / tf.cast(n, tf.float32)

    epoch.__qualname__ = "skae.epoch"  # see skae._tf._OwnRetracingFilter
    return tf.function(epoch, reduce_retracing=True)


def mean_error(net, X, chunk_size):
    """Mean per-sample reconstruction error of a float32 tensor."""
    total = 0.0
    for start in range(0, int(X.shape[0]), chunk_size):
        total += float(tf.reduce_sum(net.run("sample_errors", X[start : start + chunk_size])))
    return total / int(X.shape[0])


@dataclass
class TrainingResult:
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    part_curves: dict = field(default_factory=dict)
    best_loss: float = np.inf
    best_validation_score: float = -np.inf
    n_iter: int = 0
    converged: bool = False


def train(
    net,
    X,
    X_val=None,
    *,
    batch_size,
    max_iter,
    learning_rate,
    shuffle,
    seed,
    tol,
    n_iter_no_change,
    schedule="constant",
    verbose=0,
    chunk_size=16384,
    rows_shuffled=False,
):
    """Train ``net`` on ``X`` (a numpy array) with Adam; return a TrainingResult.

    Stopping follows scikit-learn's MLP: training stops when the training
    loss (or, with ``X_val``, the validation score, the negative mean
    reconstruction error) has not improved by at least ``tol`` for more than
    ``n_iter_no_change`` consecutive epochs.  ``schedule``: 'constant';
    'adaptive', where such a stall divides the learning rate by 5 instead,
    and training stops when a stall happens at a learning rate of 1e-6 or
    less (scikit-learn's 'adaptive' schedule); or 'cosine', which sets the
    rate of epoch t to ``learning_rate * (1 + cos(pi (t + 1/2) / max_iter)) / 2``
    and runs all ``max_iter`` epochs (a stall of the validation score, with
    ``X_val``, still stops it).  Training that ends its cosine schedule has
    converged.  With ``X_val`` the weights of the best validation epoch are
    restored at the end.

    ``rows_shuffled``: X's rows are already in random order (a private copy
    the caller permuted), so shuffling visits contiguous batches in random
    order instead of gathering rows (see :func:`epoch_function`).
    """
    # The centred linear tied net trains on its loss less the constant mean
    # ||x||² / d (see networks.objective); the reported loss includes it.
    loss_offset = 0.0
    if networks.is_centred_linear_tied(net.spec) and np.size(X):
        sq = sum(
            float(np.einsum("ij,ij->i", c, c).sum(dtype=np.float64))
            for c in (X[i : i + chunk_size] for i in range(0, len(X), chunk_size))
        )
        loss_offset = sq / np.size(X)
    X = to_tensor(X)
    X_val = None if X_val is None else tf.convert_to_tensor(X_val, tf.float32)
    opt = Adam(net.trainable, learning_rate)
    shuffle = ("blocks" if rows_shuffled else True) if shuffle else False
    run_epoch = epoch_function(net.spec, shuffle, use_xla(net.spec, int(np.prod(X.shape))))
    batch_size = tf.constant(batch_size, tf.int32)
    seeds = np.random.default_rng(seed)  # one pair per epoch, drawn as it starts

    result = TrainingResult()
    best_weights = None
    no_improvement = 0
    for it in range(max_iter):
        if schedule == "cosine":
            opt.learning_rate = tf.constant(
                learning_rate * 0.5 * (1.0 + np.cos(np.pi * (it + 0.5) / max_iter)), tf.float32
            )
        seed_it = tf.constant(seeds.integers(0, 2**62, size=2), tf.int64)
        loss, *parts = run_epoch(
            X, seed_it, batch_size, net.trainable, opt.m, opt.v, opt.powers, opt.learning_rate
        ).numpy().tolist()
        loss += loss_offset
        if not np.isfinite(loss):
            raise NonFiniteLossError(it + 1, loss)
        result.loss_curve.append(loss)
        for name, value in zip(networks.loss_parts(net.spec), parts):
            result.part_curves.setdefault(name, []).append(value)
        result.n_iter = it + 1
        if X_val is not None:
            score = -mean_error(net, X_val, chunk_size)
            result.validation_scores.append(score)
            if not np.isfinite(score):
                raise NonFiniteLossError(it + 1, score)
            no_improvement = no_improvement + 1 if score < result.best_validation_score + tol else 0
            if score > result.best_validation_score:
                result.best_validation_score = score
                best_weights = net.get_weights()
        else:
            no_improvement = no_improvement + 1 if loss > result.best_loss - tol else 0
            result.best_loss = min(result.best_loss, loss)
        if verbose:
            msg = f"Iteration {it + 1}, loss = {loss:.8f}"
            if X_val is not None:
                msg += f", validation score = {result.validation_scores[-1]:.8f}"
            print(msg, flush=True)
        if schedule == "cosine" and X_val is None:
            continue  # the schedule, not the loss, says when to stop
        if no_improvement > n_iter_no_change:
            if schedule != "adaptive" or learning_rate <= 1e-6:
                result.converged = True
                break
            learning_rate /= 5.0
            opt.learning_rate = tf.constant(learning_rate, tf.float32)
            no_improvement = 0
            if verbose:
                print(f"Setting learning rate to {learning_rate:.6f}", flush=True)
    if schedule == "cosine" and result.n_iter == max_iter:
        result.converged = True  # the annealing ran to its end
    if best_weights is not None:
        net.set_weights(best_weights)
    return result
