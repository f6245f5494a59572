"""TensorFlow internals of training: the data hand-off, shuffle modes, the state, policies."""

import io
from dataclasses import replace

import numpy as np

from skae import TiedAutoencoder


def test_training_data_reach_tensorflow_with_at_most_one_copy():
    from skae._tf import loop, network, optim, data as tf_data, state as tf_state

    rng = np.random.default_rng(0)
    aligned = tf_data.aligned_empty((50, 7))
    aligned[...] = rng.normal(size=(50, 7))
    tensor = tf_data.to_tensor(aligned)
    aligned[3, 4] = 123.0
    assert float(tensor[3, 4]) == 123.0  # shared, not copied
    # Misaligned, float64, read-only or strided data are copied once, exactly.
    misaligned = np.frombuffer(aligned.tobytes()[4:] + b"\0" * 4, np.float32).reshape(50, 7)
    read_only = aligned.copy()
    read_only.flags.writeable = False
    for X in (misaligned, aligned.astype(np.float64), read_only, np.asfortranarray(aligned)):
        np.testing.assert_array_equal(tf_data.to_tensor(X).numpy(), X.astype(np.float32))


class _Rows:
    """A chunked row source, as sparse input is given to the trainer."""

    def __init__(self, X):
        self.X, self.shape = X, X.shape

    def take(self, rows):
        return self.X[rows]


def _state(spec, learning_rate=0.0):
    from skae._tf import loop, network, optim, data as tf_data, state as tf_state

    return tf_state.TrainingState.fresh(spec, init_seed=0, train_seed=1, learning_rate=learning_rate)


def test_every_data_layout_visits_every_row_once_per_epoch(rng, monkeypatch):
    from skae._tf import loop, network, optim, data as tf_data, state as tf_state

    X = rng.normal(size=(203, 6)).astype(np.float32)  # batches of 50 and a last one of 3
    X -= X.mean(axis=0)
    deep = TiedAutoencoder(2, hidden_layer_sizes=(4,), alpha=0.0)._network_spec(6)
    linear = replace(TiedAutoencoder(2, hidden_layer_sizes=(), alpha=0.0)._network_spec(6), centred_linear=True)
    monkeypatch.setattr(tf_data, "CHUNK_ENTRIES", 6 * 60)  # chunks of 60 rows: 1 batch per call
    for spec in (deep, linear):
        net = network.Autoencoder(spec, seed=0)
        expected = loop.mean_error(net, tf_data.Data(X))
        # The linear net's loss leaves out mean ||x||^2 / d; centring (by 0
        # here) makes Data keep it as the offset the reported loss adds back.
        centre = np.zeros(6) if spec.centred_linear else None
        layouts = [
            (tf_data.Data(X, centre=centre), False), (tf_data.Data(X, centre=centre), True),
            (tf_data.Data(X, centre=centre, preshuffle=rng.permutation(203)), True),
            (tf_data.Data(_Rows(X), centre=centre), False), (tf_data.Data(_Rows(X), centre=centre), True),
        ]
        for data, shuffle in layouts:
            # A zero learning rate leaves the weights alone: each epoch's mean
            # loss is the mean error over all rows iff every row is used once.
            result = loop.run(_state(spec), data, batch_size=50, shuffle=shuffle,
                              schedule=optim.ConstantSchedule(), max_epochs=2)
            np.testing.assert_allclose(result.loss_curve, [expected] * 2, rtol=1e-5)


def test_a_chunked_source_trains_the_same_model_as_the_dense_tensor(rng, monkeypatch):
    from skae._tf import loop, network, optim, data as tf_data, state as tf_state

    X = rng.normal(size=(203, 6)).astype(np.float32)
    spec = TiedAutoencoder(2, hidden_layer_sizes=(4,))._network_spec(6)
    dense = _state(spec, 1e-2)
    loop.run(dense, tf_data.Data(X), batch_size=20, shuffle=True,
                 schedule=optim.ConstantSchedule(), max_epochs=3)
    monkeypatch.setattr(tf_data, "CHUNK_ENTRIES", 6 * 45)  # 2 batches per call, 6 calls an epoch
    chunked = _state(spec, 1e-2)
    loop.run(chunked, tf_data.Data(_Rows(X)), batch_size=20, shuffle=True,
                 schedule=optim.ConstantSchedule(), max_epochs=3)
    for a, b in zip(dense.net.variables_list, chunked.net.variables_list):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_state_round_trips_through_numpy_and_resumes_identically(rng):
    from skae._tf import loop, network, optim, data as tf_data, state as tf_state

    X = rng.normal(size=(120, 5)).astype(np.float32)
    spec = TiedAutoencoder(2, hidden_layer_sizes=(4,))._network_spec(5)
    kw = dict(batch_size=16, shuffle=True, schedule=optim.ConstantSchedule(), max_epochs=2)
    a = _state(spec, 1e-2)
    loop.run(a, tf_data.Data(X), **kw)
    b = tf_state.TrainingState.from_numpy(a.to_numpy())
    assert b.optimizer.get_state()["iterations"] == a.optimizer.get_state()["iterations"] == 16
    loop.run(a, tf_data.Data(X), **kw)
    loop.run(b, tf_data.Data(X), **kw)
    for v, w in zip(a.net.variables_list, b.net.variables_list):
        np.testing.assert_array_equal(v.numpy(), w.numpy())
    assert a.epoch == b.epoch == 4
    # A copy is independent: training it leaves the original alone.
    c = a.copy()
    before = a.net.get_weights()
    loop.run(c, tf_data.Data(X), **kw)
    np.testing.assert_array_equal(a.net.get_weights()["encoder"][0]["kernel"],
                                  before["encoder"][0]["kernel"])
    assert not np.array_equal(c.net.get_weights()["encoder"][0]["kernel"],
                              before["encoder"][0]["kernel"])


def test_live_progress_splits_an_epoch_without_changing_the_model(rng):
    from skae._tf import loop, network, optim, data as tf_data, state as tf_state

    X = rng.normal(size=(400, 5)).astype(np.float32)
    spec = TiedAutoencoder(2, hidden_layer_sizes=(4,))._network_spec(5)
    plain, live = _state(spec, 1e-2), _state(spec, 1e-2)
    kw = dict(batch_size=10, shuffle=True, schedule=optim.ConstantSchedule(), max_epochs=2)
    loop.run(plain, tf_data.Data(X), **kw)
    out = io.StringIO()
    progress = loop.Progress(2, 2, stream=out, interval=0.0)  # redraw at every chunk
    loop.run(live, tf_data.Data(X), policies=[progress], **kw)
    for a, b in zip(plain.net.variables_list, live.net.variables_list):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    text = out.getvalue()
    assert "/40 batches" in text and "samples/s" in text
    assert "Iteration 2, loss = " in text
