"""The optimiser (Adam, as fused kernels) and the learning-rate schedules."""

import numpy as np

from . import import_tensorflow
from .distribute import replica_variables
from .network import plain

tf = import_tensorflow()


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
        m, v, powers, iterations = replica_variables((self.m, self.v, self.powers, self.iterations))
        return {
            "m": plain(tf.nest.map_structure(as_numpy, m)),
            "v": plain(tf.nest.map_structure(as_numpy, v)),
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


class ConstantSchedule:
    """Adam's step stays at the state's learning rate.

    Schedules take part in the loop as its first policy (see
    :class:`~skae._tf.loop.Policy`): the hooks they do not use do nothing.
    """

    def on_train_begin(self, loop):
        pass

    on_epoch_begin = on_epoch_end = on_train_end = on_train_begin

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
