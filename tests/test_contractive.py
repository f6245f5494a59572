"""ContractiveAutoencoder: the Jacobian penalty, exact and estimated, and what it buys."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skae import ContractiveAutoencoder, TiedAutoencoder


def _exact_norms(spec, params, x):
    import tensorflow as tf

    from skae._tf.layers import encode

    with tf.GradientTape() as tape:
        tape.watch(x)
        codes = encode(spec, params, x)
    J = tape.batch_jacobian(codes, x)  # (n, k, d)
    return tf.reduce_sum(tf.square(tf.reshape(J, [J.shape[0], -1])), axis=1).numpy()


def _params(spec, seed=0):
    import tensorflow as tf

    from skae._tf.layers import initial_weights

    weights = initial_weights(spec, seed)
    return tf.nest.map_structure(lambda w: tf.constant(np.asarray(w, np.float64)), weights)


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "elu", "identity"])
def test_the_closed_form_is_the_exact_jacobian_norm(rng, activation):
    import tensorflow as tf

    from skae._tf.losses import jacobian_norms

    ae = ContractiveAutoencoder(5, contraction=1.0)
    spec = ae._network_spec(12)
    spec = type(spec)(**{**spec.__dict__, "code_activation": activation})
    assert spec.contraction_in_closed_form
    params = _params(spec)
    params["encoder"][0]["bias"] = tf.constant(rng.normal(size=5))
    x = tf.constant(rng.normal(size=(20, 12)))
    np.testing.assert_allclose(jacobian_norms(spec, params, x).numpy(), _exact_norms(spec, params, x), rtol=1e-10)


@pytest.mark.parametrize("conv", [False, True])
def test_the_deep_estimate_is_unbiased(rng, conv):
    # The mean of ||J^T v||^2 over many projections v ~ N(0, I) converges to
    # ||J||_F^2: within 4 standard errors of it, for every sample.
    import tensorflow as tf

    from skae._tf.losses import jacobian_norms

    extra = dict(image_shape=(4, 4), conv_filters=(3,)) if conv else {}
    spec = ContractiveAutoencoder(3, hidden_layer_sizes=(6,), activation="tanh", **extra)._network_spec(16)
    assert not spec.contraction_in_closed_form
    params = _params(spec)
    x = tf.constant(rng.normal(size=(4, 16)))
    exact = _exact_norms(spec, params, x)
    draws = np.stack([
        jacobian_norms(spec, params, x, tf.constant(rng.normal(size=(4, 3)))).numpy() for _ in range(4000)
    ])
    stderr = draws.std(axis=0) / np.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(axis=0) - exact) < 4 * stderr)
    assert np.all(stderr < 0.1 * exact)  # the check has power


def _jacobian_norm(ae, X, eps=1e-3):
    """Mean squared Frobenius norm of transform's Jacobian, by central differences."""
    total = np.zeros(len(X))
    for i in range(X.shape[1]):
        step = np.zeros(X.shape[1])
        step[i] = eps
        total += (((ae.transform(X + step) - ae.transform(X - step)) / (2 * eps)) ** 2).sum(axis=1)
    return total.mean()


def test_codes_contract_and_stay_useful():
    # Measured on held-out digits (16 codes, one hidden layer of 64, 100 epochs):
    # the finite-difference Jacobian norm is 15.5 for TiedAutoencoder (linear
    # codes), 2.57 for the same network as the contractive one without the
    # penalty and 1.72 with it; LogisticRegression on the codes scores 0.947,
    # 0.927 and 0.936 (docs/user_guide/contractive.rst has the table).
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16, y, random_state=0)
    kw = dict(n_components=16, hidden_layer_sizes=(64,), max_iter=100, random_state=0)
    contractive = ContractiveAutoencoder(**kw).fit(X_train)
    plain = ContractiveAutoencoder(contraction=0.0, **kw).fit(X_train)
    tied = TiedAutoencoder(**kw).fit(X_train)
    norms = {name: _jacobian_norm(ae, X_test[:100]) for name, ae in
             (("contractive", contractive), ("plain", plain), ("tied", tied))}
    assert norms["contractive"] < 0.8 * norms["plain"] and norms["contractive"] < 0.2 * norms["tied"]

    def accuracy(ae):
        clf = LogisticRegression(max_iter=3000).fit(ae.transform(X_train), y_train)
        return clf.score(ae.transform(X_test), y_test)

    assert accuracy(contractive) >= accuracy(plain) - 0.01


def test_a_diverging_fit_names_the_contraction():
    X = load_digits().data / 16
    with pytest.raises(ValueError, match="contraction"):
        ContractiveAutoencoder(4, contraction=1e39, max_iter=2, random_state=0).fit(X)
