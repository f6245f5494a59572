"""The training state: everything a model needs to go on training.

The network's variables, Adam's moments and step count, the learning rate
and the schedule's position, the epoch count, the random stream, and what
the policies remember (best loss, stall counter, ...).  It converts to and
from plain numpy data (:meth:`TrainingState.to_numpy`), so it pickles, and a
model saved mid-training resumes bit-identically in a fresh process.
"""

import copy

import numpy as np

from . import import_tensorflow
from .distribute import current_strategy
from .layers import initial_weights
from .network import Autoencoder, build, check_weights
from .optim import Adam

tf = import_tensorflow()


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
        self.strategy = current_strategy()
        self.net = net
        self.optimizer = optimizer
        self.learning_rate = float(learning_rate)
        self.rng = rng
        self.epoch = int(epoch)
        self.schedule_epoch = int(schedule_epoch)
        self.memory = {} if memory is None else memory

    @classmethod
    def fresh(cls, spec, *, init_seed, train_seed, learning_rate):
        net = Autoencoder(spec, seed=init_seed)
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
        net = build(data["spec"], data["weights"])
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
    check_weights(initial_weights(data["spec"], 0), data["weights"])
    check_weights(data["weights"], optimizer["m"], "Adam's first moments")
    check_weights(data["weights"], optimizer["v"], "Adam's second moments")
    for what, values in (("powers", optimizer["powers"]), ("learning rate", data["learning_rate"])):
        if not np.isfinite(np.asarray(values, np.float64)).all():
            raise ValueError(f"the training state's {what} contain NaN or infinity")
    if any((np.asarray(a) < 0).any() for a in tf.nest.flatten(optimizer["v"])):
        raise ValueError("Adam's second moments are negative")
