"""The training engine: one compiled TensorFlow function per epoch.

The data are converted once to a float32 tensor.  Each epoch (a shuffle by
index permutation and every mini-batch, the last one smaller when the batch
size does not divide the number of rows) runs inside a single
``tf.function``, so Python is visited once per epoch: for the loss curve,
early stopping, the divergence guard and progress output.

Randomness (shuffling, corruption noise) comes from stateless random ops
whose seeds derive from the caller's integer seed and the epoch number: the
same seed gives the same training run, and no global seed is set.
"""

import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import import_tensorflow

tf = import_tensorflow()


class NonFiniteLossError(ArithmeticError):
    """The training loss became NaN or infinite."""

    def __init__(self, epoch, loss):
        super().__init__(f"non-finite loss {loss} at epoch {epoch}")
        self.epoch = epoch
        self.loss = loss


class Adam:
    """Adam (Kingma & Ba, 2015) on a list of variables, one fused op per variable."""

    def __init__(self, variables, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.variables = variables
        self.learning_rate = learning_rate
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self.m = [tf.Variable(tf.zeros_like(v), trainable=False) for v in variables]
        self.v = [tf.Variable(tf.zeros_like(v), trainable=False) for v in variables]
        self.beta_1_power = tf.Variable(1.0, trainable=False)
        self.beta_2_power = tf.Variable(1.0, trainable=False)

    def apply(self, grads):
        b1p = self.beta_1_power.assign(self.beta_1_power * self.beta_1)
        b2p = self.beta_2_power.assign(self.beta_2_power * self.beta_2)
        for var, m, v, g in zip(self.variables, self.m, self.v, grads):
            tf.raw_ops.ResourceApplyAdam(
                var=var.handle,
                m=m.handle,
                v=v.handle,
                beta1_power=b1p,
                beta2_power=b2p,
                lr=tf.constant(self.learning_rate, tf.float32),
                beta1=tf.constant(self.beta_1, tf.float32),
                beta2=tf.constant(self.beta_2, tf.float32),
                epsilon=tf.constant(self.epsilon, tf.float32),
                grad=g,
            )


def make_epoch_function(net, optimizer, n_samples, batch_size, shuffle):
    """A compiled function ``epoch(X, seed) -> mean training loss``."""
    n_batches = math.ceil(n_samples / batch_size)
    variables = net.trainable

    @tf.function(
        input_signature=[
            tf.TensorSpec([None, None], tf.float32),
            tf.TensorSpec([2], tf.int64),
        ]
    )
    def epoch(X, seed):
        n = tf.shape(X)[0]
        if shuffle:
            keys = tf.random.stateless_uniform([n], seed=seed)
            order = tf.argsort(keys)
        else:
            order = tf.range(n)
        total = tf.constant(0.0, tf.float32)
        for i in tf.range(n_batches):
            idx = order[i * batch_size : (i + 1) * batch_size]
            xb = tf.gather(X, idx)
            batch_seed = tf.random.experimental.stateless_fold_in(seed, i)
            with tf.GradientTape() as tape:
                loss = net.objective(xb, batch_seed)
            grads = tape.gradient(loss, variables)
            optimizer.apply(grads)
            total += loss * tf.cast(tf.shape(xb)[0], tf.float32)
        return total / tf.cast(n, tf.float32)

    return epoch


def mean_error(net, X, chunk_size):
    """Mean per-sample reconstruction error of a float32 tensor."""
    total = 0.0
    for start in range(0, int(X.shape[0]), chunk_size):
        total += float(tf.reduce_sum(net.compiled("sample_errors", "float32")(X[start : start + chunk_size])))
    return total / int(X.shape[0])


@dataclass
class TrainingResult:
    loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    best_loss: float = np.inf
    best_validation_score: float = -np.inf
    n_iter: int = 0
    converged: bool = False
    seconds: float = 0.0


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
    verbose=0,
    chunk_size=16384,
):
    """Train ``net`` on ``X`` (numpy, float32) with Adam; return a TrainingResult.

    Stopping follows scikit-learn's MLP: training stops when the training
    loss (or, with ``X_val``, the validation score, the negative mean
    reconstruction error) has not improved by at least ``tol`` for more than
    ``n_iter_no_change`` consecutive epochs.  With ``X_val`` the weights of
    the best validation epoch are restored at the end.
    """
    start = time.perf_counter()
    X = tf.convert_to_tensor(X, tf.float32)
    X_val = None if X_val is None else tf.convert_to_tensor(X_val, tf.float32)
    optimizer = Adam(net.trainable, learning_rate)
    run_epoch = make_epoch_function(net, optimizer, int(X.shape[0]), batch_size, shuffle)
    seeds = np.random.default_rng(seed).integers(0, 2**62, size=(max_iter, 2))

    result = TrainingResult()
    best_weights = None
    no_improvement = 0
    for it in range(max_iter):
        loss = float(run_epoch(X, tf.constant(seeds[it], tf.int64)))
        if not np.isfinite(loss):
            raise NonFiniteLossError(it + 1, loss)
        result.loss_curve.append(loss)
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
        if no_improvement > n_iter_no_change:
            result.converged = True
            break
    if best_weights is not None:
        net.set_weights(best_weights)
    result.seconds = time.perf_counter() - start
    return result
