"""The training loop and its per-epoch policies.

:func:`run` runs epochs (:func:`~skae._tf.epoch.run_epoch`) on a
:class:`~skae._tf.state.TrainingState`.  Policies (:class:`Policy`) decide
everything else, as Keras' ``CallbackList`` does: the learning-rate schedule
(:mod:`skae._tf.optim`), the divergence guard, validation with best-weights
restore, stopping on a plateau, progress.  :func:`greedy_pretrain` trains
a deep network layer by layer with the same loop.
"""

import time

import numpy as np

from . import import_tensorflow
from .data import Data
from .epoch import run_epoch
from .losses import loss_parts, objective, training_draws
from .optim import CosineSchedule
from .state import TrainingState

tf = import_tensorflow()


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
        loss, _ = objective(s, params, x, training_draws(s, x, seed))
        return bool(np.isfinite(loss.numpy()))

    if finite(spec):
        return []
    return [name for name, other in without.items() if finite(other)]


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
        for name, value in zip(loss_parts(state.spec), parts):
            loop.part_curves.setdefault(name, []).append(value)
        if "validation_score" in loop.logs:
            loop.validation_scores.append(loop.logs["validation_score"])
    loop.notify("on_train_end")
    return loop
