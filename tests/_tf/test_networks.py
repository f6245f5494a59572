"""TensorFlow internals of the network: named weights, tied kernels, the linear loss."""

import numpy as np
import pytest

from skae import TiedAutoencoder, VariationalAutoencoder


def test_decoder_uses_the_encoder_kernel_variables(digits):
    ae = TiedAutoencoder(4, hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    ae.fit(digits)
    params = ae._network.params
    # Kernels exist once (encoder side); the decoder owns only its biases.
    assert all("kernel" not in layer for layer in params["decoder"])
    n_params = sum(v.numpy().size for v in ae._network.variables_list)
    assert n_params == (64 * 16 + 16) + (16 * 4 + 4) + (16 + 64)

    # A change to an encoder kernel is seen by the decoder, as its transpose.
    Z = np.random.default_rng(0).normal(size=(5, 4))
    W0, W1 = (layer["kernel"].numpy().astype(float) for layer in params["encoder"])
    b_dec = [layer["bias"].numpy().astype(float) for layer in params["decoder"]]

    def numpy_decode(W0, W1):
        h = Z @ W1.T + b_dec[0]
        h = np.where(h > 0, h, np.expm1(h))  # ELU
        return h @ W0.T + b_dec[1]

    np.testing.assert_allclose(ae.inverse_transform(Z), numpy_decode(W0, W1), rtol=1e-5, atol=1e-5)
    new_W1 = 2.0 * W1
    params["encoder"][1]["kernel"].assign(new_W1.astype(np.float32))
    np.testing.assert_allclose(ae.inverse_transform(Z), numpy_decode(W0, new_W1), rtol=1e-5, atol=1e-5)


def test_named_weights_round_trip_and_reject_other_shapes(digits):
    from skae._tf import epoch, losses, network

    vae = VariationalAutoencoder(3, hidden_layer_sizes=(8,), max_iter=1, random_state=0).fit(digits)
    weights = vae._network.get_weights()
    assert sorted(weights) == ["decoder", "encoder", "logvar", "noise"]  # noise: loss='mse'
    assert weights["logvar"]["kernel"].shape == (8, 3)
    assert weights["noise"]["logvar"].shape == (1,)
    rebuilt = network.Autoencoder(vae._network.spec, weights=weights)
    np.testing.assert_array_equal(rebuilt.run("encode", digits[:5]), vae.transform(digits[:5]))
    weights["encoder"][0]["kernel"] = np.zeros((64, 9))
    with pytest.raises(ValueError, match="do not fit this network's shapes"):
        network.Autoencoder(vae._network.spec, weights=weights)
    del weights["logvar"]
    with pytest.raises(ValueError, match="do not fit this network's shapes"):
        network.Autoencoder(vae._network.spec, weights=weights)


def test_fast_linear_loss_equals_the_direct_reconstruction_error(rng):
    import tensorflow as tf

    from skae._tf import epoch, losses, network

    x = tf.constant(rng.normal(size=(50, 12)))
    W = tf.constant(rng.normal(size=(12, 4)))
    direct = tf.reduce_mean(tf.square(x - x @ W @ tf.transpose(W)), axis=1)
    np.testing.assert_allclose(losses.linear_tied_errors(x, W).numpy(), direct.numpy(), rtol=1e-10)


def test_refitting_an_architecture_reuses_its_compiled_functions(rng, caplog):
    from skae._tf import epoch, losses, network

    X = rng.normal(size=(300, 6))
    for i in range(6):  # as cross-validation does: new data sizes, new models
        ae = TiedAutoencoder(2, hidden_layer_sizes=(5,), max_iter=2, random_state=i)
        ae.fit(X[: 150 + 25 * i]).transform(X[: 10 + i])
    spec = ae._network.spec
    # One trace for the first shape, one relaxed to any number of rows.
    assert epoch.batch_runner(spec, "gather", False, False).experimental_get_tracing_count() <= 2
    assert network.compiled("encode", spec, "float64").experimental_get_tracing_count() <= 2
    assert "retracing" not in caplog.text
