"""Run by tests/test_distribute.py in fresh processes (TensorFlow's devices
and cluster are set once per process): fits skae estimators under a
tf.distribute strategy and saves what the test compares.

    python distributed_worker.py mirrored OUT.npz
    python distributed_worker.py multiworker OUT.npz    (with TF_CONFIG set)
"""

import pickle
import sys

import numpy as np


def data():
    from sklearn.datasets import load_digits
    from sklearn.preprocessing import minmax_scale

    return minmax_scale(load_digits().data[:600])


def estimators():
    """(name, estimator): every kind of loss term a replica shares out.

    Batches of 64 rows leave a last batch of 24 over 2 replicas; the sparse
    net's penalty is a function of batch statistics; the denoising net and
    the VAE draw random numbers per batch; alpha adds an L2 term; the
    convolutional net's decoder is the adjoint of its encoder.
    """
    import skae

    common = dict(max_iter=4, random_state=0, batch_size=64)
    return [
        ("tied_linear", skae.TiedAutoencoder(8, **common)),
        ("tied_deep", skae.TiedAutoencoder(8, hidden_layer_sizes=(32,), alpha=1e-3, **common)),
        ("sparse", skae.SparseAutoencoder(8, sparsity_weight=0.5, **common)),
        ("denoising", skae.DenoisingAutoencoder(8, **common)),
        ("variational", skae.VariationalAutoencoder(4, **common)),
        ("conv_denoising", skae.DenoisingAutoencoder(
            8, image_shape=(8, 8), conv_filters=(4, 8), hidden_layer_sizes=(), tied_weights=True, **common
        )),
    ]


def fit_all(out):
    """Fit every estimator, then partial_fit it once; save the codes after each."""
    X = data()
    for name, estimator in estimators():
        out[f"{name}_fit"] = estimator.fit(X).transform(X)
        out[f"{name}_partial"] = estimator.partial_fit(X).transform(X)
        out[f"{name}_loss"] = np.array(estimator.loss_curve_)
    return estimator


def mirrored(path):
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import skae
    from skae._tf import epoch

    X = data()
    out = {}
    one_device = {}
    fit_all(one_device)
    out.update({f"single_{k}": v for k, v in one_device.items()})

    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    with strategy.scope():
        last = fit_all(out)
        kernel = last._training_state.net.params["encoder"][0]["kernel"]
        out["replicas"] = np.array(strategy.num_replicas_in_sync)
        out["mirrored"] = np.array(type(kernel).__name__ == "MirroredVariable")
        out["copies_agree"] = np.array(
            all(np.array_equal(kernel.values[0].numpy(), c.numpy()) for c in kernel.values)
        )
        # The supervised meta-estimator trains on the same engine.
        y = np.arange(len(X)) % 10

        def classifier():
            autoencoder = skae.TiedAutoencoder(8, max_iter=2, random_state=0)
            return skae.AutoencoderClassifier(autoencoder, max_iter=3, random_state=0).fit(X, y)

        out["classifier"] = classifier().predict_proba(X)
    out["single_classifier"] = classifier().predict_proba(X)

    # Pickled under the strategy, loaded outside it: plain variables, same model.
    loaded = pickle.loads(pickle.dumps(last))
    loaded_kernel = loaded._training_state.net.params["encoder"][0]["kernel"]
    out["loaded_plain"] = np.array(not isinstance(loaded_kernel, tf.distribute.DistributedValues))
    out["loaded"] = loaded.transform(X)
    out["loaded_partial"] = loaded.partial_fit(X).transform(X)
    with strategy.scope():
        out["strategy_partial"] = last.partial_fit(X).transform(X)

    # Another strategy (one device) compiles its own runner for a network the
    # first one already compiled, and trains the same model with it.
    misses = epoch.batch_runner.cache_info().misses
    other = tf.distribute.MirroredStrategy(["/cpu:1"])
    with other.scope():
        out["other_fit"] = estimators()[1][1].fit(X).transform(X)
    out["other_compiles"] = np.array(epoch.batch_runner.cache_info().misses - misses)

    # Misuse is refused clearly.
    def inside_run():
        estimators()[0][1].fit(X)

    try:
        strategy.run(inside_run)
        out["inside_run_error"] = np.array("")
    except RuntimeError as exc:
        out["inside_run_error"] = np.array(str(exc))

    # Batch normalisation (no estimator exposes it yet: through the engine):
    # every replica normalises by the global batch's statistics.
    from skae._spec import NetworkSpec
    from skae._tf import engine

    bn = NetworkSpec(64, 4, (16,), "elu", tied_weights=True, batch_normalization=True,
                     image_shape=(8, 8, 1), conv_filters=(4,))

    def bn_fit():
        state = engine.TrainingState.fresh(bn, init_seed=0, train_seed=1, learning_rate=3e-3)
        engine.run(state, engine.Data(X.astype(np.float32)), batch_size=64, shuffle=True,
                   schedule=engine.ConstantSchedule(), max_epochs=2)
        norms = state.net.get_weights()["batch_norm"]
        codes = state.net.run("encode", X.astype(np.float32)).numpy()
        return np.concatenate([codes.ravel()] + [e[k].ravel() for e in norms for k in sorted(e)])

    out["bn_single"] = bn_fit()
    with strategy.scope():
        out["bn_mirrored"] = bn_fit()
    np.savez(path, **out)


def multiworker(path):
    import tensorflow as tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    out = {"replicas": np.array(strategy.num_replicas_in_sync)}
    with strategy.scope():
        fit_all(out)
    np.savez(path, **out)


if __name__ == "__main__":
    {"mirrored": mirrored, "multiworker": multiworker}[sys.argv[1]](sys.argv[2])
