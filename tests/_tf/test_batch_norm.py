"""Batch normalisation as a layer description: batch statistics in training,
running statistics at inference, moved by the training step."""

from dataclasses import replace

import numpy as np
import pytest
from sklearn.datasets import load_digits

from skae._spec import BatchNorm, Conv2D, Dense, NetworkSpec, PredictorSpec

X = (load_digits().data / 16).astype(np.float32)


def _spec(**kw):
    base = dict(n_features=64, n_components=4, hidden_layer_sizes=(32,), activation="elu",
                batch_normalization=True)
    return NetworkSpec(**{**base, **kw})


def test_every_hidden_layer_is_normalised_and_takes_the_activation_after():
    spec = _spec(image_shape=(8, 8, 1), conv_filters=(4,), tied_weights=True)
    encoder, decoder = spec.encoder_layers(), spec.decoder_layers()
    kinds = [type(layer).__name__ for layer in encoder]
    assert kinds == ["Reshape", "Conv2D", "BatchNorm", "Reshape", "Dense", "BatchNorm", "Dense"]
    conv, dense = encoder[1], encoder[4]
    assert (conv.activation, conv.use_bias, dense.activation, dense.use_bias) == ("identity", False, "identity", False)
    assert encoder[2] == BatchNorm((4, 4, 4), "elu", 0.99) and encoder[5] == BatchNorm((32,), "elu", 0.99)
    # The code layer is not normalised, and has no bias (the decoder normalises its image at once).
    assert isinstance(encoder[-1], Dense) and not encoder[-1].use_bias and encoder[-1].activation == "identity"
    assert [type(layer).__name__ for layer in decoder] == [
        "Dense", "BatchNorm", "Dense", "BatchNorm", "Reshape", "Conv2DTranspose", "Reshape"
    ]
    assert decoder[-2].use_bias and decoder[-2].activation == "identity"  # the output layer is not either
    # The kernel layers and their tying are as without normalisation.
    plain = replace(spec, batch_normalization=False)
    assert [(type(a), a.tied) for a in spec.decoder_layers() if a.weighted] == [
        (type(b), b.tied) for b in plain.decoder_layers() if b.weighted
    ]


@pytest.mark.parametrize("image", [False, True])
def test_training_normalises_by_the_batch_and_inference_by_the_running_statistics(rng, image):
    import tensorflow as tf

    from skae._tf.distribute import WHOLE_BATCH
    from skae._tf.layers import Training, batch_norm

    shape = (3, 5, 6) if image else (6,)
    layer = BatchNorm(shape)
    weights = {"gamma": np.ones(6), "beta": np.zeros(6), "moving_mean": rng.normal(size=6),
               "moving_variance": rng.uniform(0.5, 2, size=6)}
    x = tf.constant(rng.normal(3.0, 2.0, size=(50, *shape)))
    training = Training(WHOLE_BATCH)
    out = batch_norm(layer, weights, x, training).numpy().reshape(-1, 6)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(out.var(axis=0), 1.0, rtol=1e-2)  # epsilon = 1e-3 takes its share
    (recorded,) = training.updates
    np.testing.assert_allclose(recorded[2].numpy(), x.numpy().reshape(-1, 6).mean(axis=0), rtol=1e-10)
    inference = batch_norm(layer, weights, x).numpy()
    expected = (x.numpy() - weights["moving_mean"]) / np.sqrt(weights["moving_variance"] + 1e-3)
    np.testing.assert_allclose(inference, expected, rtol=1e-10)


def _train(spec, X, **kw):
    from skae._tf import engine

    state = engine.TrainingState.fresh(spec, init_seed=0, train_seed=1, learning_rate=kw.pop("learning_rate", 3e-3))
    loop = engine.run(state, engine.Data(X), shuffle=kw.pop("shuffle", True), schedule=engine.ConstantSchedule(), **kw)
    return state, loop


def test_the_step_moves_the_running_statistics_to_the_data(rng):
    # Weights held still (a zero step) and one batch of all rows: with
    # momentum 0 the running statistics are the data's, exactly.
    import tensorflow as tf

    from skae._tf.layers import encode_hidden

    spec = _spec(hidden_layer_sizes=(16, 8), batch_norm_momentum=0.0)
    state, _ = _train(spec, X, batch_size=len(X), max_epochs=1, learning_rate=0.0)
    weights = state.net.get_weights()
    first = X @ weights["encoder"][0]["kernel"]  # the first hidden layer, before its normalisation
    np.testing.assert_allclose(weights["batch_norm"][0]["moving_mean"], first.mean(axis=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(weights["batch_norm"][0]["moving_variance"], first.var(axis=0), rtol=1e-3)
    # Inference then normalises by them: the hidden units of the data have mean 0 (gamma 1, beta 0).
    identity = replace(spec, activation="identity")
    state, _ = _train(identity, X, batch_size=len(X), max_epochs=1, learning_rate=0.0)
    hidden = encode_hidden(identity, state.net.params, tf.constant(X)).numpy()
    np.testing.assert_allclose(hidden.mean(axis=0), 0.0, atol=1e-4)


def test_a_normalised_network_trains_and_infers_per_row(rng):
    import tensorflow as tf

    spec = _spec(image_shape=(8, 8, 1), conv_filters=(4,), tied_weights=True)
    state, loop = _train(spec, X, batch_size=100, max_epochs=6)
    assert loop.loss_curve[-1] < 0.5 * loop.loss_curve[0]
    # Inference does not depend on which rows share a batch.
    whole = state.net.run("encode", tf.constant(X[:40])).numpy()
    alone = np.concatenate([state.net.run("encode", tf.constant(X[i : i + 1])).numpy() for i in range(40)])
    np.testing.assert_allclose(alone, whole, rtol=1e-5, atol=1e-6)
    # The exported Keras models hold the same network.
    np.testing.assert_allclose(state.net.keras_encoder()(X[:40]).numpy(), whole, atol=1e-5)
    decoded = state.net.run("decode", tf.constant(whole)).numpy()
    np.testing.assert_allclose(state.net.keras_decoder()(whole).numpy(), decoded, atol=1e-5)


def test_the_running_statistics_travel_with_the_state():
    from skae._tf import engine

    spec = _spec()
    a, _ = _train(spec, X, batch_size=64, max_epochs=1)
    b = engine.TrainingState.from_numpy(a.to_numpy())
    kw = dict(batch_size=64, shuffle=True, schedule=engine.ConstantSchedule(), max_epochs=1)
    engine.run(a, engine.Data(X), **kw)
    engine.run(b, engine.Data(X), **kw)
    wa, wb = a.net.get_weights(), b.net.get_weights()
    for ea, eb in zip(wa["batch_norm"], wb["batch_norm"]):
        for key in ea:
            np.testing.assert_array_equal(ea[key], eb[key])
    assert not np.array_equal(wa["batch_norm"][0]["moving_mean"], np.zeros(32))


def test_what_does_not_take_batch_normalisation_yet_says_so():
    spec = _spec()
    with pytest.raises(ValueError, match="greedy"):
        spec.layer_specs()
    with pytest.raises(ValueError, match="batch-normalised"):
        PredictorSpec(autoencoder=spec, task="classification", n_outputs=3)
    assert isinstance(_spec(batch_normalization=False).encoder_layers()[0], Dense)
    assert isinstance(_spec(image_shape=(8, 8, 1), conv_filters=(2,)).encoder_layers()[1], Conv2D)
