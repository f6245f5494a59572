"""The training engine: a training state, a loop over compiled epochs, and per-epoch policies.

- :class:`TrainingState` is everything a model needs to go on training: the
  network's variables, Adam's moments and step count, the learning rate and
  the schedule's position, the epoch count, the random stream, and what the
  policies remember (best loss, stall counter, ...).  It converts to and
  from plain numpy data (:meth:`TrainingState.to_numpy`), so it pickles,
  and a model saved mid-training resumes bit-identically in a fresh process.
- :class:`Data` is the training rows as the loop reads them: one float32
  tensor (shared with numpy where possible), or, for sparse input, a source
  densified a chunk of rows at a time.  It owns the layout of the training
  copy: centring and the one-off row shuffle of the centred linear net.
- :func:`run` runs epochs.  Each epoch draws a seed pair from the state's
  random stream, orders the rows, and runs its mini-batches in one
  compiled ``tf.function`` call (or a few, for chunked data or live
  progress), so Python is visited once per epoch.
- Policies (:class:`Policy`) decide everything else, as Keras'
  ``CallbackList`` does: the learning-rate schedule, the divergence guard,
  validation with best-weights restore, stopping on a plateau, progress.

Randomness (shuffling, corruption noise) comes from stateless random ops
whose seeds derive from the state's random stream and the batch number: the
same seed gives the same training run, and no global seed is set.
"""

import copy
import functools
import time

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
    return n_entries >= XLA_MIN_ENTRIES and not spec.centred_linear


# From this many entries the centred linear net's training copy is written
# in random row order once, and an epoch slices contiguous batches instead
# of gathering rows (see batch_runner).
BLOCK_SHUFFLE_MIN_ENTRIES = 2**23

# Rows densified at a time from a chunked (sparse) source: about this many entries.
CHUNK_ENTRIES = 2**22

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
    """The training loss, a validation score or a weight became NaN or infinite."""

    def __init__(self, epoch, loss):
        super().__init__(f"non-finite loss {loss} at epoch {epoch}")
        self.epoch = epoch
        self.loss = loss


def overflowing_terms(spec, weights, data, without):
    """Which weighted loss terms make training's loss non-finite from the start.

    ``without`` maps a parameter's name to ``spec`` with that term removed.
    The loss is evaluated at ``weights`` (the starting point) on the first
    rows of ``data``; if it is not finite, the names whose removal makes it
    finite are returned (a term whose weight overflows float32, not the
    data, is then to blame).  Called only after training diverged.
    """
    _, x = next(data.chunks(256))
    x = tf.convert_to_tensor(x, tf.float32)
    params = tf.nest.map_structure(lambda w: tf.constant(np.asarray(w, np.float32)), weights)
    seed = tf.constant([0, 0], tf.int64)

    def finite(s):
        loss, _ = networks.objective(s, params, x, networks.training_draws(s, x, seed))
        return bool(np.isfinite(loss.numpy()))

    if finite(spec):
        return []
    return [name for name, other in without.items() if finite(other)]


# -- the optimiser ------------------------------------------------------------
class Adam:
    """Adam's state (Kingma & Ba, 2015): the moments ``m`` and ``v`` (named
    like the network's parameters), the step count, and the powers
    ``beta_1 ** t``, ``beta_2 ** t`` of the bias correction."""

    beta_1, beta_2, epsilon = 0.9, 0.999, 1e-8

    def __init__(self, params, state=None):
        zeros = lambda v: tf.Variable(tf.zeros_like(v), trainable=False)  # noqa: E731
        self.m = tf.nest.map_structure(zeros, params)
        self.v = tf.nest.map_structure(zeros, params)
        self.powers = [tf.Variable(1.0, trainable=False), tf.Variable(1.0, trainable=False)]
        self.iterations = tf.Variable(0, dtype=tf.int64, trainable=False)
        if state is not None:
            self.set_state(state)

    def variables(self):
        return tf.nest.flatten(self.m), tf.nest.flatten(self.v), self.powers, self.iterations

    def get_state(self):
        # Through the first replica's copies, as Autoencoder.get_weights.
        as_numpy = lambda v: v.numpy()  # noqa: E731
        m, v, powers, iterations = networks.replica_variables((self.m, self.v, self.powers, self.iterations))
        return {
            "m": networks.plain(tf.nest.map_structure(as_numpy, m)),
            "v": networks.plain(tf.nest.map_structure(as_numpy, v)),
            "powers": np.array([p.numpy() for p in powers], np.float32),
            "iterations": int(iterations.numpy()),
        }

    def set_state(self, state):
        for var, value in zip(tf.nest.flatten(self.m) + tf.nest.flatten(self.v),
                              tf.nest.flatten(state["m"]) + tf.nest.flatten(state["v"])):
            var.assign(value)
        for var, value in zip(self.powers, state["powers"]):
            var.assign(value)
        self.iterations.assign(state["iterations"])

    @classmethod
    def update(cls, params, grads, m, v, powers, iterations, learning_rate):
        """One step: a fused kernel per variable (as Keras 2 did on TensorFlow)."""
        b1p = powers[0].assign(powers[0] * cls.beta_1)
        b2p = powers[1].assign(powers[1] * cls.beta_2)
        iterations.assign_add(1)
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


# -- the training state -------------------------------------------------------
class TrainingState:
    """All that training needs to go on: network, optimiser, schedule, epochs, random stream.

    ``learning_rate`` is the current base step (the 'adaptive' schedule
    lowers it); ``schedule_epoch`` the position in the schedule (epochs
    since the last ``fit`` began); ``epoch`` the epochs run in all;
    ``rng`` the numpy generator that gives each epoch its seeds;
    ``memory`` what policies carry from one call to the next.
    """

    def __init__(self, net, optimizer, *, learning_rate, rng, epoch=0, schedule_epoch=0, memory=None):
        # The tf.distribute strategy the variables were created under (None:
        # plain variables); training runs over its replicas.
        self.strategy = networks.current_strategy()
        self.net = net
        self.optimizer = optimizer
        self.learning_rate = float(learning_rate)
        self.rng = rng
        self.epoch = int(epoch)
        self.schedule_epoch = int(schedule_epoch)
        self.memory = {} if memory is None else memory

    @classmethod
    def fresh(cls, spec, *, init_seed, train_seed, learning_rate):
        net = networks.Autoencoder(spec, seed=init_seed)
        return cls(net, Adam(net.train_params), learning_rate=learning_rate,
                   rng=np.random.default_rng(train_seed))

    @property
    def spec(self):
        return self.net.spec

    def to_numpy(self):
        """The state as plain data (numpy arrays, numbers, dicts): what pickles."""
        return {
            "spec": self.net.spec,
            "weights": self.net.get_weights(),
            "optimizer": self.optimizer.get_state(),
            "learning_rate": self.learning_rate,
            "rng": copy.deepcopy(self.rng.bit_generator.state),
            "epoch": self.epoch,
            "schedule_epoch": self.schedule_epoch,
            "memory": copy.deepcopy(self.memory),
        }

    @classmethod
    def from_numpy(cls, data):
        """The state of :meth:`to_numpy`'s data (see :func:`check_saved` for data
        from a file)."""
        net = networks.build(data["spec"], data["weights"])
        rng = np.random.default_rng()
        rng.bit_generator.state = copy.deepcopy(data["rng"])
        return cls(
            net, Adam(net.train_params, data["optimizer"]), learning_rate=data["learning_rate"], rng=rng,
            epoch=data["epoch"], schedule_epoch=data["schedule_epoch"],
            memory=copy.deepcopy(data["memory"]),
        )

    def copy(self, spec=None):
        """An independent copy (new variables): what a transaction trains on;
        with ``spec``, for that network (whose weights have the same shapes:
        a changed penalty or noise level, say)."""
        data = self.to_numpy()
        if spec is not None:
            data["spec"] = spec
        return TrainingState.from_numpy(data)


SAVED_STATE_KEYS = ("spec", "weights", "optimizer", "learning_rate", "rng", "epoch", "schedule_epoch", "memory")


def check_saved(data):
    """Check a saved state (:meth:`TrainingState.to_numpy`'s data, read
    back from a file) before building from it: every part present, Adam's
    moments shaped as the weights, every number finite (and the second
    moments non-negative).  A ValueError says what is wrong."""
    missing = [key for key in SAVED_STATE_KEYS if key not in data]
    if missing:
        raise ValueError(f"the training state is missing {', '.join(map(repr, missing))}")
    optimizer = data["optimizer"]
    missing = [key for key in ("m", "v", "powers", "iterations") if key not in optimizer]
    if missing:
        raise ValueError(f"the optimizer state is missing {', '.join(map(repr, missing))}")
    networks.check_weights(networks.initial_weights(data["spec"], 0), data["weights"])
    networks.check_weights(data["weights"], optimizer["m"], "Adam's first moments")
    networks.check_weights(data["weights"], optimizer["v"], "Adam's second moments")
    for what, values in (("powers", optimizer["powers"]), ("learning rate", data["learning_rate"])):
        if not np.isfinite(np.asarray(values, np.float64)).all():
            raise ValueError(f"the training state's {what} contain NaN or infinity")
    if any((np.asarray(a) < 0).any() for a in tf.nest.flatten(optimizer["v"])):
        raise ValueError("Adam's second moments are negative")


# -- the data -----------------------------------------------------------------
class Data:
    """Training rows as the loop reads them.

    ``X`` is a numpy array, or a row source: an object with ``shape`` and
    ``take(rows)``, which returns those rows as a dense numpy array (sparse
    matrices come this way, densified a chunk at a time and never whole).
    ``weights``: per-row weights (already validated, positive) or None.
    ``centre``: a mean to subtract (the centred linear net); the data's
    mean squared norm per feature is then kept as ``loss_offset``, the
    constant the linear net's training loss leaves out.  ``preshuffle``: a
    row permutation to lay a dense training copy out in (then epochs slice
    contiguous batches).
    """

    def __init__(self, X, weights=None, *, centre=None, preshuffle=None):
        self.n, self.n_features = (int(s) for s in X.shape)
        self.centre = None if centre is None else np.asarray(centre, np.float64)
        self.rows_shuffled = preshuffle is not None
        self.weights_np = None if weights is None else np.asarray(weights, np.float32)
        if self.rows_shuffled and self.weights_np is not None:
            self.weights_np = self.weights_np[preshuffle]
        self.weights = None if self.weights_np is None else tf.constant(self.weights_np)
        if isinstance(X, np.ndarray):
            self.source = None
            if self.centre is None and preshuffle is None:
                self.tensor = to_tensor(X)
            else:
                self.tensor = to_tensor(self._centred_copy(X, preshuffle))
        else:
            self.source, self.tensor = X, None
        self.loss_offset = 0.0
        if self.centre is not None and self.n:
            sq = np.zeros(self.n)
            for start, chunk in self.chunks():
                c = chunk.numpy() if self.source is None else chunk
                sq[start : start + len(c)] = np.einsum("ij,ij->i", c, c, dtype=np.float64)
            w = self.weights_np
            total = sq.sum() if w is None else float(np.dot(w.astype(np.float64), sq) / w.mean())
            self.loss_offset = total / (self.n * self.n_features)

    @property
    def chunk_rows(self):
        return max(1, CHUNK_ENTRIES // max(1, self.n_features))

    def _centred_copy(self, X, order):
        """A float32 copy of X, centred (if asked) and in ``order`` (if given), in one pass."""
        out = aligned_empty(X.shape)
        centre = np.zeros(X.shape[1]) if self.centre is None else self.centre
        if order is None:
            return np.subtract(X, centre, out=out, casting="same_kind")
        # Gather rows straight into the output (float32 data) or through one
        # reused buffer, in chunks: measured no slower than the plain centred
        # copy (0.08 s on 70000 x 784).
        chunk = 1024
        in_place = X.dtype == np.float32
        centre_x = centre.astype(X.dtype)
        buffer = None if in_place else np.empty((chunk, X.shape[1]), X.dtype)
        for start in range(0, X.shape[0], chunk):
            rows = order[start : start + chunk]
            dest = out[start : start + len(rows)]
            gathered = dest if in_place else buffer[: len(rows)]
            np.take(X, rows, axis=0, out=gathered, mode="clip")
            np.subtract(gathered, centre_x, out=dest, casting="same_kind")
        return out

    def take(self, rows):
        """Rows of a chunked source, dense, float32, centred if asked."""
        X = np.asarray(self.source.take(rows))
        if self.centre is not None:
            X = X - self.centre.astype(X.dtype)
        return X.astype(np.float32, copy=False)

    def chunks(self, chunk_rows=None):
        """(start, rows) over the data in order: float32 tensors or arrays."""
        step = chunk_rows or self.chunk_rows
        for start in range(0, self.n, step):
            if self.source is None:
                yield start, self.tensor[start : start + step]
            else:
                yield start, self.take(np.arange(start, min(start + step, self.n)))


def mean_error(net, data):
    """(Weighted) mean per-sample reconstruction error of ``data`` (a :class:`Data`)."""
    total = 0.0
    for start, chunk in data.chunks():  # about CHUNK_ENTRIES entries at a time
        errors = net.run("sample_errors", tf.convert_to_tensor(chunk)).numpy().astype(np.float64)
        if data.weights_np is None:
            total += errors.sum()
        else:
            total += float(np.dot(errors, data.weights_np[start : start + len(errors)]))
    if data.weights_np is None:
        return total / data.n
    return total / float(data.weights_np.sum(dtype=np.float64))


# -- compiled epochs ------------------------------------------------------------
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
    :class:`~skae._tf.networks.ReplicaShard` makes the sum of the replicas'
    losses the global batch's loss, so the model is that of one device up
    to float rounding.  A runner is compiled per strategy: tf.function's own
    trace cache does not tell two strategies apart.

    Returns the sums over the batches' rows of the loss and of each of its
    parts (:func:`~skae._tf.networks.loss_parts`).
    """
    n_parts = len(networks.loss_parts(spec))

    def gradients(xb, wb, draws, params, batch):
        with tf.GradientTape() as tape:
            loss, parts = networks.objective(spec, params, xb, draws, wb if weighted else None, batch)
        # Zero for parameters the loss does not use (the calibrated decoder's
        # variance, set after training): Adam then leaves them as they are.
        grads = tape.gradient(loss, tf.nest.flatten(params), unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return grads, tf.stack([loss, *parts])

    @tf.function(jit_compile=jit_compile, autograph=False)
    def one_device_step(xb, wb, draws, variables, learning_rate):
        params, m, v, powers, iterations = variables
        grads, losses = gradients(xb, wb, draws, params, networks.WHOLE_BATCH)
        Adam.update(tf.nest.flatten(params), grads, m, v, powers, iterations, learning_rate)
        return losses * tf.cast(tf.shape(xb)[0], tf.float32)

    def replica_step(xb, wb, draws, variables, learning_rate):
        params, m, v, powers, iterations = variables
        context = tf.distribute.get_replica_context()
        n, replica = tf.shape(xb)[0], context.replica_id_in_sync_group
        lo = n * replica // context.num_replicas_in_sync
        hi = n * (replica + 1) // context.num_replicas_in_sync
        grads, losses = gradients(
            xb[lo:hi], wb[lo:hi] if weighted else wb, tuple(d[lo:hi] for d in draws), params,
            networks.ReplicaShard(context, n),
        )
        grads = context.all_reduce(tf.distribute.ReduceOp.SUM, grads)
        Adam.update(tf.nest.flatten(params), grads, m, v, powers, iterations, learning_rate)
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
            draws = networks.training_draws(spec, xb, batch_seed)
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
    :func:`~skae._tf.networks.replica_variables`)."""
    variables = (state.net.train_params, *state.optimizer.variables())
    if state.strategy is None:
        return variables
    n_local = len(state.strategy.extended.worker_devices)
    return [networks.replica_variables(variables, r) for r in range(n_local)]


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
    totals = np.zeros(1 + len(networks.loss_parts(spec)))
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


# -- policies -------------------------------------------------------------------
class Policy:
    """Per-epoch decisions, called by :func:`run` (Keras' callback hooks).

    ``loop`` gives ``state``, ``logs`` (the current epoch's figures),
    ``stop(converged)``, and the other policies.
    """

    def on_train_begin(self, loop):
        pass

    def on_epoch_begin(self, loop):
        pass

    def on_epoch_end(self, loop):
        pass

    def on_train_end(self, loop):
        pass


class ConstantSchedule(Policy):
    """Adam's step stays at the state's learning rate."""

    def learning_rate(self, state):
        return state.learning_rate

    def on_plateau(self, loop):
        return False  # a stall ends training


class AdaptiveSchedule(ConstantSchedule):
    """scikit-learn's 'adaptive': a stall divides the step by 5; a stall at
    a step of 1e-6 or less ends training."""

    def on_plateau(self, loop):
        if loop.state.learning_rate <= 1e-6:
            return False
        loop.state.learning_rate /= 5.0
        loop.say(f"Setting learning rate to {loop.state.learning_rate:.6f}")
        return True


class CosineSchedule(ConstantSchedule):
    """The step of schedule epoch t is ``lr * (1 + cos(pi (t + 1/2) / max_iter)) / 2``.
    A fit stops at ``max_iter``; ``partial_fit`` calls go on past it, and the
    schedule starts again (SGDR's warm restart, t modulo ``max_iter``)."""

    def __init__(self, max_iter):
        self.max_iter = max_iter

    def learning_rate(self, state):
        t = state.schedule_epoch % self.max_iter
        return state.learning_rate * 0.5 * (1.0 + np.cos(np.pi * (t + 0.5) / self.max_iter))

    def on_epoch_end(self, loop):
        if loop.state.schedule_epoch >= self.max_iter:
            loop.stop(converged=True)  # the annealing ran to its end


class DivergenceGuard(Policy):
    """A non-finite loss or weight stops training with NonFiniteLossError."""

    def on_epoch_end(self, loop):
        loss = loop.logs["loss"]
        if not np.isfinite(loss):
            raise NonFiniteLossError(loop.state.epoch, loss)
        finite = all(bool(tf.reduce_all(tf.math.is_finite(v))) for v in loop.state.net.variables_list)
        if not finite:
            raise NonFiniteLossError(loop.state.epoch, "non-finite weights")


class Validation(Policy):
    """Score held-out data after each epoch; keep the best epoch's weights
    and restore them at the end."""

    def __init__(self, data):
        self.data = data
        self.best, self.best_weights = -np.inf, None

    def on_epoch_end(self, loop):
        score = -mean_error(loop.state.net, self.data)
        if not np.isfinite(score):
            raise NonFiniteLossError(loop.state.epoch, score)
        loop.logs["validation_score"] = score
        if score > self.best:
            self.best = score
            self.best_weights = loop.state.net.get_weights()

    def on_train_end(self, loop):
        if self.best_weights is not None:
            loop.state.net.set_weights(self.best_weights)


class Plateau(Policy):
    """MLP's stopping rule: a stall is more than ``n_iter_no_change`` epochs
    without an improvement of at least ``tol`` of the monitored figure (the
    training loss, or the validation score); the schedule handles it
    (adaptive) or training stops."""

    def __init__(self, tol, n_iter_no_change, monitor="loss", reset=True):
        self.tol, self.n_iter_no_change, self.monitor = tol, n_iter_no_change, monitor
        self.reset = reset  # a new fit starts counting afresh; partial_fit goes on

    def on_train_begin(self, loop):
        memory = loop.state.memory.setdefault(f"plateau_{self.monitor}", {"best": np.inf, "count": 0})
        if self.reset:
            memory["count"] = 0

    def on_epoch_end(self, loop):
        memory = loop.state.memory[f"plateau_{self.monitor}"]
        # Lower is better for both: the loss, and the negated score.
        value = loop.logs[self.monitor] * (-1 if self.monitor == "validation_score" else 1)
        memory["count"] = memory["count"] + 1 if value > memory["best"] - self.tol else 0
        memory["best"] = min(memory["best"], value)
        if memory["count"] > self.n_iter_no_change:
            if loop.schedule.on_plateau(loop):
                memory["count"] = 0
            else:
                loop.stop(converged=True)


def _duration(seconds):
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress(Policy):
    """``verbose >= 1``: a line per epoch with the loss, the validation
    score, the epoch's time, samples per second and the time left (at most:
    stopping may come first).  ``verbose >= 2`` adds a live line within
    long epochs, redrawn at least every ``interval`` seconds."""

    def __init__(self, verbose, max_epochs, stream=None, interval=1.0):
        self.verbose, self.max_epochs, self.interval = verbose, max_epochs, interval
        self.stream = stream
        self.epoch_times = []

    def _write(self, text):
        # print, as MLPRegressor's verbose output: it writes nothing when
        # sys.stdout is None (pythonw, services) instead of raising.
        print(text, end="", file=self.stream, flush=True)

    def on_epoch_begin(self, loop):
        self.started = time.perf_counter()
        self.live = False

    def on_batches(self, loop, done, total):
        """Live in-epoch progress: returns how many batches to run next (None: the rest)."""
        if done == 0:
            if self.epoch_times and self.epoch_times[-1] < self.interval:
                return None  # epochs are short: no live line to draw, run this one whole
            return max(1, min(total, 4))
        elapsed = time.perf_counter() - self.started
        rate = elapsed / done
        if elapsed > self.interval or self.live:
            self.live = True
            left = rate * (total - done)
            self._write(
                f"\r  epoch {loop.state.epoch + 1}: {done}/{total} batches,"
                f" {done * loop.batch_size / elapsed:,.0f} samples/s, {_duration(left)} left in the epoch "
            )
        return max(1, int(self.interval / 2 / max(rate, 1e-9)))

    def on_epoch_end(self, loop):
        seconds = time.perf_counter() - self.started
        self.epoch_times.append(seconds)
        logs = loop.logs
        msg = f"Iteration {loop.state.epoch}, loss = {logs['loss']:.8f}"
        if "validation_score" in logs:
            msg += f", validation score = {logs['validation_score']:.8f}"
        msg += f", {seconds:.2f}s, {loop.data.n / max(seconds, 1e-9):,.0f} samples/s"
        left = self.max_epochs - loop.epochs_run
        if left > 0:
            msg += f", at most {_duration(left * np.mean(self.epoch_times))} left"
        self._write(("\r" if self.live else "") + msg + "\n")


# -- greedy layer-wise pretraining -------------------------------------------------
def greedy_pretrain(state, data, *, epochs, batch_size, shuffle, verbose=0):
    """Train one shallow autoencoder per layer of ``state``'s network
    (``spec.layer_specs()``), each on the previous one's codes, for
    ``epochs`` epochs on a cosine schedule from the state's learning rate;
    write their weights into the network (encoder layer i and its mirror
    decoder layer) and return each one's loss curve.  Their seeds come from
    the state's random stream."""
    spec = state.spec
    layer_specs = spec.layer_specs()
    weights = state.net.get_weights()
    n_layers = len(layer_specs)
    curves = []
    current = data
    for i, layer_spec in enumerate(layer_specs):
        seeds = state.rng.integers(0, 2**31 - 1, size=2)
        shallow = TrainingState.fresh(
            layer_spec, init_seed=int(seeds[0]), train_seed=int(seeds[1]), learning_rate=state.learning_rate
        )
        if verbose:
            print(f"Greedy pretraining of layer {i + 1}/{n_layers}", flush=True)
        policies = [DivergenceGuard()] + ([Progress(verbose, epochs)] if verbose else [])
        loop = run(
            shallow, current, batch_size=batch_size, shuffle=shuffle, schedule=CosineSchedule(epochs),
            policies=policies, max_epochs=epochs, verbose=verbose,
        )
        curves.append(loop.loss_curve)
        trained = shallow.net.get_weights()
        weights["encoder"][i] = trained["encoder"][0]
        weights["decoder"][n_layers - 1 - i] = trained["decoder"][0]
        if "logvar" in trained:
            weights["logvar"] = trained["logvar"]
        if i < n_layers - 1:
            codes = np.concatenate([
                shallow.net.run("encode", tf.convert_to_tensor(chunk)).numpy() for _, chunk in current.chunks()
            ])
            current = Data(codes, current.weights_np)
    state.net.set_weights(weights)
    return curves


# -- the loop -----------------------------------------------------------------
class Loop:
    """What policies see of a running training: state, logs, and controls."""

    def __init__(self, state, data, *, batch_size, shuffle, schedule, policies, max_epochs, verbose):
        self.state, self.data = state, data
        self.batch_size, self.shuffle = batch_size, shuffle
        self.schedule, self.max_epochs = schedule, max_epochs
        self.policies = [schedule, *policies]
        self.verbose = verbose
        self.logs = {}
        self.loss_curve, self.validation_scores, self.part_curves = [], [], {}
        self.epochs_run = 0
        self.stopped = self.converged = False

    def stop(self, converged):
        self.stopped = True
        self.converged = self.converged or converged

    def say(self, text):
        if self.verbose:
            print(text, flush=True)

    def notify(self, hook):
        for policy in self.policies:
            getattr(policy, hook)(self)


def run(state, data, *, batch_size, shuffle, schedule, policies=(), max_epochs, verbose=0):
    """Train ``state`` on ``data`` for up to ``max_epochs`` epochs, under ``policies``.

    Returns the :class:`Loop`, with ``loss_curve``, ``validation_scores``,
    ``part_curves`` (each of this call's epochs), ``converged`` and ``stopped``.
    The state is changed in place: callers that must be able to go back
    train a :meth:`TrainingState.copy`.
    """
    loop = Loop(state, data, batch_size=batch_size, shuffle=shuffle, schedule=schedule,
                policies=policies, max_epochs=max_epochs, verbose=verbose)
    progress = next((p for p in loop.policies if isinstance(p, Progress)), None)
    live = progress is not None and progress.verbose >= 2
    loop.notify("on_train_begin")
    while loop.epochs_run < max_epochs and not loop.stopped:
        loop.logs = {}
        loop.notify("on_epoch_begin")
        loss, parts = run_epoch(
            state, data, batch_size=batch_size, shuffle=shuffle,
            learning_rate=schedule.learning_rate(state),
            on_batches=(lambda done, total: progress.on_batches(loop, done, total)) if live else None,
        )
        state.epoch += 1
        state.schedule_epoch += 1
        loop.epochs_run += 1
        loop.logs.update(loss=loss, parts=parts)
        loop.notify("on_epoch_end")
        loop.loss_curve.append(loss)
        for name, value in zip(networks.loss_parts(state.spec), parts):
            loop.part_curves.setdefault(name, []).append(value)
        if "validation_score" in loop.logs:
            loop.validation_scores.append(loop.logs["validation_score"])
    loop.notify("on_train_end")
    return loop
