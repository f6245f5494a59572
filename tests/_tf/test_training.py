"""TensorFlow internals of training: the data hand-off, shuffle modes, the state, policies."""

import io
from dataclasses import replace

import numpy as np

from skae import TiedAutoencoder


def test_training_data_reach_tensorflow_with_at_most_one_copy():
    from skae._tf import training

    rng = np.random.default_rng(0)
    aligned = training.aligned_empty((50, 7))
    aligned[...] = rng.normal(size=(50, 7))
    tensor = training.to_tensor(aligned)
    aligned[3, 4] = 123.0
    assert float(tensor[3, 4]) == 123.0  # shared, not copied
    # Misaligned, float64, read-only or strided data are copied once, exactly.
    misaligned = np.frombuffer(aligned.tobytes()[4:] + b"\0" * 4, np.float32).reshape(50, 7)
    read_only = aligned.copy()
    read_only.flags.writeable = False
    for X in (misaligned, aligned.astype(np.float64), read_only, np.asfortranarray(aligned)):
        np.testing.assert_array_equal(training.to_tensor(X).numpy(), X.astype(np.float32))


class _Rows:
    """A chunked row source, as sparse input is given to the trainer."""

    def __init__(self, X):
        self.X, self.shape = X, X.shape

    def take(self, rows):
        return self.X[rows]


def _state(spec, learning_rate=0.0):
    from skae._tf import training

    return training.TrainingState.fresh(spec, init_seed=0, train_seed=1, learning_rate=learning_rate)


def test_every_data_layout_visits_every_row_once_per_epoch(rng, monkeypatch):
    from skae._tf import networks, training

    X = rng.normal(size=(203, 6)).astype(np.float32)  # batches of 50 and a last one of 3
    X -= X.mean(axis=0)
    deep = TiedAutoencoder(2, hidden_layer_sizes=(4,), alpha=0.0)._network_spec(6)
    linear = replace(TiedAutoencoder(2, hidden_layer_sizes=(), alpha=0.0)._network_spec(6), centred_linear=True)
    monkeypatch.setattr(training, "CHUNK_ENTRIES", 6 * 60)  # chunks of 60 rows: 1 batch per call
    for spec in (deep, linear):
        net = networks.Autoencoder(spec, seed=0)
        expected = training.mean_error(net, training.Data(X))
        # The linear net's loss leaves out mean ||x||^2 / d; centring (by 0
        # here) makes Data keep it as the offset the reported loss adds back.
        centre = np.zeros(6) if spec.centred_linear else None
        layouts = [
            (training.Data(X, centre=centre), False), (training.Data(X, centre=centre), True),
            (training.Data(X, centre=centre, preshuffle=rng.permutation(203)), True),
            (training.Data(_Rows(X), centre=centre), False), (training.Data(_Rows(X), centre=centre), True),
        ]
        for data, shuffle in layouts:
            # A zero learning rate leaves the weights alone: each epoch's mean
            # loss is the mean error over all rows iff every row is used once.
            loop = training.run(_state(spec), data, batch_size=50, shuffle=shuffle,
                                schedule=training.ConstantSchedule(), max_epochs=2)
            np.testing.assert_allclose(loop.loss_curve, [expected] * 2, rtol=1e-5)


def test_a_chunked_source_trains_the_same_model_as_the_dense_tensor(rng, monkeypatch):
    from skae._tf import training

    X = rng.normal(size=(203, 6)).astype(np.float32)
    spec = TiedAutoencoder(2, hidden_layer_sizes=(4,))._network_spec(6)
    dense = _state(spec, 1e-2)
    training.run(dense, training.Data(X), batch_size=20, shuffle=True,
                 schedule=training.ConstantSchedule(), max_epochs=3)
    monkeypatch.setattr(training, "CHUNK_ENTRIES", 6 * 45)  # 2 batches per call, 6 calls an epoch
    chunked = _state(spec, 1e-2)
    training.run(chunked, training.Data(_Rows(X)), batch_size=20, shuffle=True,
                 schedule=training.ConstantSchedule(), max_epochs=3)
    for a, b in zip(dense.net.variables_list, chunked.net.variables_list):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_state_round_trips_through_numpy_and_resumes_identically(rng):
    from skae._tf import training

    X = rng.normal(size=(120, 5)).astype(np.float32)
    spec = TiedAutoencoder(2, hidden_layer_sizes=(4,))._network_spec(5)
    kw = dict(batch_size=16, shuffle=True, schedule=training.ConstantSchedule(), max_epochs=2)
    a = _state(spec, 1e-2)
    training.run(a, training.Data(X), **kw)
    b = training.TrainingState.from_numpy(a.to_numpy())
    assert b.optimizer.get_state()["iterations"] == a.optimizer.get_state()["iterations"] == 16
    training.run(a, training.Data(X), **kw)
    training.run(b, training.Data(X), **kw)
    for v, w in zip(a.net.variables_list, b.net.variables_list):
        np.testing.assert_array_equal(v.numpy(), w.numpy())
    assert a.epoch == b.epoch == 4
    # A copy is independent: training it leaves the original alone.
    c = a.copy()
    before = a.net.get_weights()
    training.run(c, training.Data(X), **kw)
    np.testing.assert_array_equal(a.net.get_weights()["encoder"][0]["kernel"],
                                  before["encoder"][0]["kernel"])
    assert not np.array_equal(c.net.get_weights()["encoder"][0]["kernel"],
                              before["encoder"][0]["kernel"])


def test_live_progress_splits_an_epoch_without_changing_the_model(rng):
    from skae._tf import training

    X = rng.normal(size=(400, 5)).astype(np.float32)
    spec = TiedAutoencoder(2, hidden_layer_sizes=(4,))._network_spec(5)
    plain, live = _state(spec, 1e-2), _state(spec, 1e-2)
    kw = dict(batch_size=10, shuffle=True, schedule=training.ConstantSchedule(), max_epochs=2)
    training.run(plain, training.Data(X), **kw)
    out = io.StringIO()
    progress = training.Progress(2, 2, stream=out, interval=0.0)  # redraw at every chunk
    training.run(live, training.Data(X), policies=[progress], **kw)
    for a, b in zip(plain.net.variables_list, live.net.variables_list):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    text = out.getvalue()
    assert "/40 batches" in text and "samples/s" in text
    assert "Iteration 2, loss = " in text
