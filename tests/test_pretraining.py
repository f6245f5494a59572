"""Greedy layer-wise pretraining and the layer-correspondence loss, on every estimator."""

import pickle

import numpy as np
import pytest

from skae import DenoisingAutoencoder, SparseAutoencoder, TiedAutoencoder, VariationalAutoencoder

from .conftest import ALL_ESTIMATORS


def _data(cls, digits, digits01):
    return digits01 if cls is SparseAutoencoder else digits


@pytest.mark.parametrize("cls", ALL_ESTIMATORS)
def test_greedy_pretraining_stacks_trained_layers(cls, digits, digits01):
    X = _data(cls, digits, digits01)[:600]
    ae = cls(8, hidden_layer_sizes=(32, 16), pretraining="greedy", max_iter=12, random_state=0).fit(X)
    curves = ae.pretraining_loss_curves_
    # 3 layers of 12 // 6 = 2 epochs each, then 6 epochs of the whole stack.
    assert [len(c) for c in curves] == [2, 2, 2]
    assert len(ae.loss_curve_) == 6 and ae.n_iter_ == 12
    assert all(c[-1] < c[0] for c in curves)  # each shallow autoencoder learned
    assert ae.loss_curve_[-1] < ae.loss_curve_[0]  # and so did the stack
    assert ae.transform(X).shape == (600, 8)
    assert [W.shape for W in ae.coefs_[:3]] == [(64, 32), (32, 16), (16, 8)]
    loaded = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(loaded.transform(X[:5]), ae.transform(X[:5]))
    assert loaded.pretraining_loss_curves_ == curves
    # It is another starting point than 'none' with the same seed.
    plain = cls(8, hidden_layer_sizes=(32, 16), max_iter=12, random_state=0).fit(X)
    assert plain.pretraining_loss_curves_ is None
    assert not np.allclose(plain.coefs_[0], ae.coefs_[0])


def test_greedy_helps_a_deep_net_on_a_short_budget(digits):
    """A 4-hidden-layer tied net on digits with 40 epochs in all: the greedy
    start reconstructs held-out digits better than end-to-end training alone."""
    X_train, X_test = digits[:1400], digits[1400:]
    kwargs = dict(hidden_layer_sizes=(128, 64, 32, 16), max_iter=40, random_state=0)
    greedy = TiedAutoencoder(8, pretraining="greedy", **kwargs).fit(X_train)
    plain = TiedAutoencoder(8, **kwargs).fit(X_train)
    assert greedy.score(X_test) > plain.score(X_test)


def test_one_layer_has_nothing_to_stack(digits):
    a = TiedAutoencoder(4, hidden_layer_sizes=(), pretraining="greedy", max_iter=5, random_state=0).fit(digits)
    b = TiedAutoencoder(4, hidden_layer_sizes=(), max_iter=5, random_state=0).fit(digits)
    np.testing.assert_array_equal(a.components_, b.components_)
    assert a.pretraining_loss_curves_ is None


def test_partial_fit_and_warm_start_go_on_without_greedy(digits):
    ae = DenoisingAutoencoder(4, hidden_layer_sizes=(16,), pretraining="greedy", max_iter=4, random_state=0)
    ae.partial_fit(digits)
    assert ae.pretraining_loss_curves_ is None and ae.n_iter_ == 1
    ae = TiedAutoencoder(4, hidden_layer_sizes=(16,), pretraining="greedy", max_iter=4, random_state=0).fit(digits)
    curves = ae.pretraining_loss_curves_
    ae.set_params(warm_start=True).fit(digits)
    assert ae.pretraining_loss_curves_ == curves and ae.n_iter_ == 8


@pytest.mark.parametrize("cls", ALL_ESTIMATORS)
def test_layer_loss_pulls_mirror_layers_together(cls, digits, digits01):
    """The correspondence term is trained down: the mirror layers end up closer
    than without it; it changes nothing without hidden layers."""
    from skae._tf import layers  # the term itself, on the fitted weights

    X = _data(cls, digits, digits01)[:600]
    kwargs = dict(hidden_layer_sizes=(32, 16), max_iter=15, random_state=0)
    with_term = cls(8, layer_loss_weight=1.0, **kwargs).fit(X)
    without = cls(8, **kwargs).fit(X)

    def gap(ae):
        net = ae._network
        x = X.astype(np.float32)
        codes = layers.encode(net.spec, net.params, x)
        return float(np.mean(layers.layer_correspondence(net.spec, net.params, x, codes)))

    assert gap(with_term) < 0.8 * gap(without)
    assert with_term.loss_curve_[-1] < with_term.loss_curve_[0]
    loaded = pickle.loads(pickle.dumps(with_term))
    np.testing.assert_array_equal(loaded.transform(X[:5]), with_term.transform(X[:5]))


def test_layer_loss_needs_hidden_layers_to_matter(digits):
    kwargs = dict(hidden_layer_sizes=(), activation="identity", max_iter=3, random_state=0)
    a = VariationalAutoencoder(4, layer_loss_weight=5.0, **kwargs).fit(digits)
    b = VariationalAutoencoder(4, **kwargs).fit(digits)
    np.testing.assert_array_equal(a.transform(digits), b.transform(digits))


def test_bad_values_are_rejected(digits):
    with pytest.raises(ValueError, match="The 'pretraining' parameter of TiedAutoencoder must be"):
        TiedAutoencoder(pretraining="layerwise").fit(digits)
    with pytest.raises(ValueError, match="The 'layer_loss_weight' parameter of SparseAutoencoder must be"):
        SparseAutoencoder(layer_loss_weight=-1.0).fit(digits)
