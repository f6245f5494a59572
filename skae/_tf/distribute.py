"""tf.distribute helpers: the strategy a fit runs under, replicas' copies of
variables, and how a loss reduces over a batch that replicas share."""

from . import import_tensorflow

tf = import_tensorflow()


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


# -- how a step reduces over its batch -----------------------------------------
class WholeBatch:
    """The whole batch is on this device: means are plain means, and every
    term of the loss counts once."""

    @staticmethod
    def mean(per_sample):
        """The batch mean of a per-sample quantity (rows on axis 0)."""
        return tf.reduce_mean(per_sample, axis=0)

    statistic = mean  # a batch statistic a penalty is a function of (sparsity's rho-hat)
    shared_statistic = mean  # a batch statistic every row's loss depends on (batch normalisation's)

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
      part of the global one; a statistic every row's loss depends on
      (batch normalisation's) has the global value and gradient;
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

    def shared_statistic(self, per_sample):
        """A statistic of the global batch that every row's loss depends on
        (batch normalisation's mean): its value is global, and so is its
        gradient, which the all-reduce's own gradient sums over the replicas
        (each replica's rows move the loss of every replica's rows)."""
        return self.context.all_reduce(tf.distribute.ReduceOp.SUM, self.mean(per_sample))

    def once(self, term, of_statistics=False):
        if of_statistics:
            return tf.stop_gradient(term) / self.replicas + (term - tf.stop_gradient(term))
        return term / self.replicas
