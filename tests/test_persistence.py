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
