"""Pickle/joblib round trips, in this process and in fresh ones; Keras export."""

import pickle
import subprocess
import sys
import textwrap

import joblib
import numpy as np
import pytest
from sklearn.base import clone

from skae import TiedAutoencoder

from .conftest import ALL_ESTIMATORS


@pytest.fixture(scope="module", params=ALL_ESTIMATORS, ids=lambda c: c.__name__)
def fitted(request, digits):
    Estimator = request.param
    return Estimator(5, hidden_layer_sizes=(24, 12), max_iter=5, random_state=0).fit(digits)


def test_pickle_round_trip_in_process(fitted, digits):
    loaded = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(loaded.transform(digits), fitted.transform(digits))
    np.testing.assert_array_equal(loaded.score_samples(digits), fitted.score_samples(digits))
    assert loaded.loss_curve_ == fitted.loss_curve_
    # The pickle holds numpy arrays, not TensorFlow objects.
    state = fitted.__getstate__()
    assert "_network" not in state and "_training_state" not in state
    import tensorflow as tf

    saved = state["_skae_state"]
    leaves = tf.nest.flatten([saved["training"]["weights"], saved["training"]["optimizer"]["m"]])
    assert leaves and all(type(w) is np.ndarray for w in leaves)


def test_unfitted_pickle_clone_and_set_params(digits):
    ae = TiedAutoencoder(3, max_iter=2, random_state=0)
    loaded = pickle.loads(pickle.dumps(ae))
    assert loaded.get_params() == ae.get_params()
    twin = clone(ae).set_params(n_components=4)
    assert twin.fit_transform(digits).shape == (1797, 4)
    assert not hasattr(ae, "n_iter_")


@pytest.mark.parametrize("import_tf_first", [False, True])
def test_joblib_load_in_a_fresh_process(fitted, digits, tmp_path, import_tf_first):
    model_path, data_path, out_path = tmp_path / "ae.joblib", tmp_path / "X.npy", tmp_path / "Z.npy"
    joblib.dump(fitted, model_path)
    np.save(data_path, digits)
    script = textwrap.dedent(f"""
        import sys
        {"import tensorflow" if import_tf_first else ""}
        import joblib, numpy as np
        model = joblib.load({str(model_path)!r})
        X = np.load({str(data_path)!r})
        np.save({str(out_path)!r}, np.column_stack([model.transform(X), model.score_samples(X)]))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    expected = np.column_stack([fitted.transform(digits), fitted.score_samples(digits)])
    np.testing.assert_array_equal(np.load(out_path), expected)
    if not import_tf_first:
        assert "cuda" not in proc.stderr.lower()  # TensorFlow's start-up noise stays quiet


def test_keras_encoder_saves_and_loads_in_keras_format(fitted, digits, tmp_path):
    import tensorflow as tf

    path = tmp_path / "encoder.keras"
    fitted.encoder_.save(path)
    encoder = tf.keras.models.load_model(path)  # no custom objects needed
    X = digits[:50].astype(np.float32)
    np.testing.assert_allclose(encoder.predict(X, verbose=0), fitted.transform(X), rtol=1e-4, atol=1e-5)


# -- what a saved model carries, and what loading refuses ----------------------------------
def _tampered(model, change):
    state = model.__getstate__()
    state = {**state, "_skae_state": change(dict(state["_skae_state"]))}
    loaded = type(model).__new__(type(model))
    loaded.__setstate__(state)
    return loaded


def test_a_pickle_carries_skae_version_and_format(fitted):
    import skae

    saved = fitted.__getstate__()["_skae_state"]
    assert saved["skae_version"] == skae.__version__ and saved["format"] == 1


def test_another_state_format_is_refused_clearly(fitted):
    def future(saved):
        return {**saved, "format": 2, "skae_version": "9.0"}

    with pytest.raises(ValueError, match="saved by skae 9.0 in state format 2.*reads format 1"):
        _tampered(fitted, future)
    with pytest.raises(ValueError, match="earlier skae"):
        state = {**fitted.__getstate__(), "_network_state": {}}
        type(fitted).__new__(type(fitted)).__setstate__(state)


def test_non_finite_saved_weights_are_refused(fitted):
    def poisoned(saved):
        training = dict(saved["training"])
        weights = {**training["weights"]}
        layer = dict(weights["encoder"][0])
        layer["kernel"] = layer["kernel"].copy()
        layer["kernel"][0, 0] = np.nan
        weights["encoder"] = [layer, *weights["encoder"][1:]]
        return {**saved, "training": {**training, "weights": weights}}

    with pytest.raises(ValueError, match="NaN or infinity"):
        _tampered(fitted, poisoned)


def test_wrongly_shaped_saved_weights_are_refused(fitted):
    def reshaped(saved):
        training = dict(saved["training"])
        weights = {**training["weights"]}
        layer = dict(weights["encoder"][0])
        layer["kernel"] = layer["kernel"][:, :-1]
        weights["encoder"] = [layer, *weights["encoder"][1:]]
        return {**saved, "training": {**training, "weights": weights}}

    with pytest.raises(ValueError, match="do not fit this network's shapes"):
        _tampered(fitted, reshaped)


# -- skops: loading without pickle's arbitrary code -----------------------------------------
def test_skops_round_trip_with_the_documented_trusted_types(fitted, digits, tmp_path):
    import skops.io as sio

    path = tmp_path / "model.skops"
    sio.dump(fitted, path)
    # The list docs/user_guide/persistence.rst gives: the estimator and NetworkSpec.
    trusted = [f"skae.{type(fitted).__module__.split('.')[1]}.{type(fitted).__name__}",
               "skae._spec.NetworkSpec"]
    assert sorted(sio.get_untrusted_types(file=path)) == sorted(trusted)
    loaded = sio.load(path, trusted=trusted)
    np.testing.assert_array_equal(loaded.transform(digits), fitted.transform(digits))
    np.testing.assert_array_equal(loaded.score_samples(digits), fitted.score_samples(digits))
    # The training state came too: going on after loading is going on in place.
    np.testing.assert_array_equal(
        pickle.loads(pickle.dumps(fitted)).partial_fit(digits).transform(digits),
        loaded.partial_fit(digits).transform(digits),
    )
