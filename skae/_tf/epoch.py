"""One epoch: its mini-batches run in one compiled ``tf.function`` call (or a
few, for chunked data or live progress), so Python is visited once per epoch.

Randomness (shuffling, corruption noise) comes from stateless random ops
whose seeds derive from the state's random stream and the batch number: the
same seed gives the same training run, and no global seed is set.
"""

import functools

import numpy as np

from . import import_tensorflow
from .distribute import WHOLE_BATCH, ReplicaShard, replica_variables
from .losses import loss_parts, objective, training_draws
from .optim import Adam

tf = import_tensorflow()

# XLA-compile the per-batch step when the data are at least this many
# entries: measured +15% samples/s on 784-300-150 (60000 x 784), while on
# small data the compile time (per architecture) costs more than it saves.
# Never for the centred linear tied network, whose step is three matmuls
# with nothing to fuse: there XLA measured 10-100% slower per epoch.
XLA_MIN_ENTRIES = 2**23


def use_xla(spec, n_entries):
    # Nor for convolutional networks: XLA's CPU convolutions measured 1.4x
    # slower per epoch than TensorFlow's own kernels (MNIST, 28x28, filters
    # (32, 64): 22-26 s against 16 s for 2 epochs of 50000 rows).
    convolutional = bool(getattr(spec, "autoencoder", spec).conv_filters)
    return n_entries >= XLA_MIN_ENTRIES and not spec.centred_linear and not convolutional


# From this many entries the centred linear net's training copy is written
# in random row order once, and an epoch slices contiguous batches instead
# of gathering rows (see batch_runner).
BLOCK_SHUFFLE_MIN_ENTRIES = 2**23


@functools.lru_cache(maxsize=64)
def permutation_function():
    @tf.function(autograph=False)
    def permutation(n, seed):
        return tf.argsort(tf.random.stateless_uniform([n], seed=seed))

    permutation.__qualname__ = "skae.permutation"
    return permutation


@functools.lru_cache(maxsize=64)
def batch_runner(spec, mode, jit_compile=False, weighted=False, strategy=None):
    """Mini-batches ``first .. last - 1`` of an epoch, compiled once for ``spec``.

    ``mode``: "gather" (batch i is rows ``index[i * b : (i + 1) * b]``, the
    epoch's order), "slice" (batch i is rows ``i * b - offset`` onwards of
    ``X``: data in order, or a chunk already taken in the epoch's order) or
    "blocks" (for rows already in random order: ``index`` orders the
    batches, ``shift`` rotates the rows; slicing instead of gathering saves
    a copy of every batch, measured 0.095 -> 0.056 s per epoch for the
    linear tied net, 70000 x 784, k=10).  Batch i draws its random numbers
    from ``seed`` folded with i, so a run split into several calls gives the
    same model as one call.

    The per-batch step is XLA-compiled when ``jit_compile``; the loop over
    batches never is (an XLA while-loop gathering batches ran ~100x slower).

    Under a tf.distribute ``strategy`` (mirrored variables), each batch is
    the global batch: every replica takes its share of the rows (and of the
    batch's random draws, drawn whole as on one device), its gradients are
    all-reduced, and every replica applies the same Adam step to its copy;
    :class:`~skae._tf.distribute.ReplicaShard` makes the sum of the replicas'
    losses the global batch's loss, so the model is that of one device up
    to float rounding.  A runner is compiled per strategy: tf.function's own
    trace cache does not tell two strategies apart.

    Returns the sums over the batches' rows of the loss and of each of its
    parts (:func:`~skae._tf.losses.loss_parts`).
    """
    n_parts = len(loss_parts(spec))

    def gradients(xb, wb, draws, params, batch):
        updates = []
        with tf.GradientTape() as tape:
            loss, parts = objective(spec, params, xb, draws, wb if weighted else None, batch, updates)
        # Zero for parameters the loss does not use (the calibrated decoder's
        # variance, set after training; batch normalisation's running
        # statistics): Adam then leaves them as they are.
        grads = tape.gradient(loss, tf.nest.flatten(params), unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return grads, tf.stack([loss, *parts]), updates

    def move_running_statistics(updates):
        """Batch normalisation's running statistics, towards this batch's
        (under a strategy, the global batch's: every replica moves its copy alike)."""
        for layer, weights, mean, variance in updates:
            for name, value in (("moving_mean", mean), ("moving_variance", variance)):
                weights[name].assign(layer.momentum * weights[name] + (1.0 - layer.momentum) * tf.stop_gradient(value))

    @tf.function(jit_compile=jit_compile, autograph=False)
    def one_device_step(xb, wb, draws, variables, learning_rate):
        params, m, v, powers, iterations = variables
        grads, losses, updates = gradients(xb, wb, draws, params, WHOLE_BATCH)
        Adam.update(tf.nest.flatten(params), grads, m, v, powers, iterations, learning_rate)
        move_running_statistics(updates)
        return losses * tf.cast(tf.shape(xb)[0], tf.float32)

    def replica_step(xb, wb, draws, variables, learning_rate):
        params, m, v, powers, iterations = variables
        context = tf.distribute.get_replica_context()
        n, replica = tf.shape(xb)[0], context.replica_id_in_sync_group
        lo = n * replica // context.num_replicas_in_sync
        hi = n * (replica + 1) // context.num_replicas_in_sync
        grads, losses, updates = gradients(
            xb[lo:hi], wb[lo:hi] if weighted else wb, tuple(d[lo:hi] for d in draws), params,
            ReplicaShard(context, n),
        )
        grads = context.all_reduce(tf.distribute.ReduceOp.SUM, grads)
        Adam.update(tf.nest.flatten(params), grads, m, v, powers, iterations, learning_rate)
        move_running_statistics(updates)
        return losses

    def distributed_step(xb, wb, draws, variables, learning_rate):
        losses = strategy.run(replica_step, args=(xb, wb, draws, variables, learning_rate))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None) * tf.cast(tf.shape(xb)[0], tf.float32)

    def replicated(variables):
        """``variables`` (one tuple per local replica, see :func:`training_variables`)
        as a value each replica of ``strategy.run`` gets its own tuple of."""
        n_local = len(variables)
        return strategy.experimental_distribute_values_from_function(
            lambda context: variables[context.replica_id_in_sync_group % n_local]  # local replicas come in order
        )

    def run(X, w, index, shift, offset, n, first, last, seed, batch_size, variables, learning_rate):
        per_replica = None if strategy is None else replicated(variables)

        def batch(i, totals):
            if mode == "blocks":
                # Window index[i] of the rows rotated by `shift`, wrapping.
                start = index[i] * batch_size
                size = tf.minimum(batch_size, n - start)
                start = (start + shift) % n
                wrap = start + size > n
                xb = tf.cond(wrap, lambda: tf.concat([X[start:], X[: start + size - n]], axis=0),
                             lambda: X[start : start + size])
                wb = w if not weighted else tf.cond(
                    wrap, lambda: tf.concat([w[start:], w[: start + size - n]], axis=0),
                    lambda: w[start : start + size])
            elif mode == "gather":
                rows = index[i * batch_size : (i + 1) * batch_size]
                xb = tf.gather(X, rows)
                wb = tf.gather(w, rows) if weighted else w
            else:
                start = i * batch_size - offset
                xb = X[start : start + batch_size]
                wb = w[start : start + batch_size] if weighted else w
            batch_seed = tf.random.experimental.stateless_fold_in(seed, i)
            draws = training_draws(spec, xb, batch_seed)
            if strategy is None:
                return i + 1, totals + one_device_step(xb, wb, draws, variables, learning_rate)
            return i + 1, totals + distributed_step(xb, wb, draws, per_replica, learning_rate)

        _, totals = tf.while_loop(lambda i, _: i < last, batch, (first, tf.zeros([1 + n_parts], tf.float32)))
        return totals

    run.__qualname__ = "skae.epoch"  # see skae._tf._OwnRetracingFilter
    return tf.function(run, reduce_retracing=True, autograph=False)


def training_variables(state):
    """What a batch runner steps: (network parameters, Adam's m, v, powers,
    iterations).  Under a strategy, one such tuple per replica on this
    worker, of that replica's copies (see
    :func:`~skae._tf.distribute.replica_variables`)."""
    variables = (state.net.train_params, *state.optimizer.variables())
    if state.strategy is None:
        return variables
    n_local = len(state.strategy.extended.worker_devices)
    return [replica_variables(variables, r) for r in range(n_local)]


def run_epoch(state, data, *, batch_size, shuffle, learning_rate, on_batches=None):
    """One pass over ``data`` with ``state``; return (mean loss, mean parts).

    ``on_batches(done, total)``, when given, is called between chunks of
    batches (and decides their size by returning the number of batches to
    run next, or None for the rest of the epoch).
    """
    spec = state.spec
    n, b = data.n, int(batch_size)
    n_batches = (n + b - 1) // b
    seed = tf.constant(state.rng.integers(0, 2**62, size=2), tf.int64)
    chunked = data.source is not None
    if chunked:
        mode = "slice"
    elif shuffle and data.rows_shuffled:
        mode = "blocks"
    else:
        mode = "gather" if shuffle else "slice"
    weighted = data.weights is not None
    strategy = state.strategy
    runner = batch_runner(spec, mode, strategy is None and use_xla(spec, n * data.n_features), weighted, strategy)
    index, shift = tf.zeros([0], tf.int32), tf.constant(0, tf.int32)
    if mode == "blocks":
        index = tf.argsort(tf.random.stateless_uniform([n_batches], seed=seed))
        shift = tf.random.stateless_uniform(
            [], seed=tf.random.experimental.stateless_fold_in(seed, -1), maxval=n, dtype=tf.int32
        )
    elif shuffle:
        index = permutation_function()(tf.constant(n, tf.int32), seed)
    order = index.numpy() if chunked and shuffle else None
    lr = tf.constant(learning_rate, tf.float32)
    variables = training_variables(state)
    totals = np.zeros(1 + len(loss_parts(spec)))
    # A chunked source is densified at most chunk_rows rows (whole batches) at a time.
    most = max(1, data.chunk_rows // b) if chunked else n_batches
    step = n_batches if on_batches is None else (on_batches(0, n_batches) or n_batches)
    done = 0
    while done < n_batches:
        last = min(n_batches, done + min(step, most))
        if chunked:
            rows = np.arange(done * b, min(last * b, n)) if order is None else order[done * b : last * b]
            X = tf.constant(data.take(rows))
            w = tf.constant(data.weights_np[rows]) if weighted else tf.zeros([0])
            offset = done * b
        else:
            X, w, offset = data.tensor, data.weights if weighted else tf.zeros([0]), 0
        totals += runner(
            X, w, index, shift, tf.constant(offset, tf.int32), tf.constant(n, tf.int32),
            tf.constant(done, tf.int32), tf.constant(last, tf.int32), seed, tf.constant(b, tf.int32),
            variables, lr,
        ).numpy()
        done = last
        if on_batches is not None and done < n_batches:
            step = on_batches(done, n_batches) or step
    # Weighted, the steps averaged w * error over each batch: with weights
    # normalised to mean 1 (the caller's job), totals / n is the weighted mean.
    loss, *parts = (totals / n).tolist()
    return loss + data.loss_offset, parts
