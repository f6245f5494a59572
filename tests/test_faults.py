"""Fit is a transaction: an exception at any stage leaves the estimator exactly as it was."""


import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from skae import TiedAutoencoder

from .conftest import ALL_ESTIMATORS

KINDS = [(E, dict(hidden_layer_sizes=(12,))) for E in ALL_ESTIMATORS]
KINDS.append((TiedAutoencoder, dict(hidden_layer_sizes=())))  # the linear case
IDS = [E.__name__ for E, _ in KINDS[:-1]] + ["TiedAutoencoder-linear"]
each_kind = pytest.mark.parametrize("Estimator, kw", KINDS, ids=IDS)


class Injected(Exception):
    pass


def _stages(est, continuing=False):
    """(name, target object, attribute, how many calls pass first) per stage of fit.

    A fresh fit builds a new network; warm_start and partial_fit copy the
    fitted training state instead."""
    import skae._base
    import skae._tied
    from skae._tf import engine, loop

    stages = [
        ("validation", skae._base, "validate_data", 0),
        ("network build", engine.TrainingState, "copy" if continuing else "fresh", 0),
        ("data preparation", engine, "Data", 0),
        ("epoch 1", loop, "run_epoch", 0),
        ("epoch 2", loop, "run_epoch", 1),
        ("policies", engine.DivergenceGuard, "on_epoch_end", 1),
        ("attribute setting", type(est), "_fitted_attributes", 0),
    ]
    if est.hidden_layer_sizes == ():
        stages.append(("Rayleigh-Ritz", skae._tied, "projected_scatter", 0))
    return stages


def _inject(monkeypatch, target, name, n_pass, exc):
    original = getattr(target, name)
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) > n_pass:
            raise exc
        return original(*args, **kwargs)

    if isinstance(target, type) and isinstance(target.__dict__.get(name), classmethod):
        monkeypatch.setattr(target, name, classmethod(lambda cls, *a, **k: failing(*a, **k)))
    else:
        monkeypatch.setattr(target, name, failing)
    return calls



def _snapshot(est):
    return dict(est.__dict__)


def _assert_unchanged(est, before):
    assert est.__dict__.keys() == before.keys()
    for key, value in before.items():
        assert est.__dict__[key] is value, key


@each_kind
@pytest.mark.parametrize("exc", [Injected("boom"), KeyboardInterrupt(), MemoryError()],
                         ids=["error", "KeyboardInterrupt", "MemoryError"])
def test_a_failed_first_fit_leaves_it_unfitted(digits, monkeypatch, Estimator, kw, exc):
    est = Estimator(3, max_iter=3, random_state=0, **kw)
    for stage, target, name, n_pass in _stages(est):
        with monkeypatch.context() as m:
            calls = _inject(m, target, name, n_pass, exc)
            before = _snapshot(est)
            with pytest.raises(type(exc)):
                est.fit(digits)
            assert calls, stage  # the stage was reached
            _assert_unchanged(est, before)
            with pytest.raises(NotFittedError):
                check_is_fitted(est)
            with pytest.raises(NotFittedError):
                est.transform(digits)


@each_kind
def test_a_failed_refit_keeps_the_previous_model(digits, monkeypatch, Estimator, kw):
    est = Estimator(3, max_iter=3, random_state=0, **kw).fit(digits)
    Z = est.transform(digits)
    for mode in ("fit", "warm fit", "partial_fit"):
        for stage, target, name, n_pass in _stages(est, continuing=mode != "fit"):
            if mode == "partial_fit" and n_pass:
                continue  # one epoch: there is no second one to fail in
            with monkeypatch.context() as m:
                _inject(m, target, name, n_pass, KeyboardInterrupt())
                est.set_params(warm_start=mode == "warm fit")
                before = _snapshot(est)
                with pytest.raises(KeyboardInterrupt):
                    if mode == "partial_fit":
                        est.partial_fit(digits)
                    else:
                        est.fit(digits)
                _assert_unchanged(est, before)
            np.testing.assert_array_equal(est.transform(digits), Z)
    est.set_params(warm_start=False)
    # The training state was not touched either: continuing gives the model
    # that continuing would have given without the failures.
    twin = Estimator(3, max_iter=3, random_state=0, **kw).fit(digits)
    np.testing.assert_array_equal(est.partial_fit(digits).transform(digits),
                                  twin.partial_fit(digits).transform(digits))


def test_failed_refit_on_another_width_keeps_the_old_one(digits):
    # Issue: transform then raised TensorFlow's InvalidArgumentError.
    est = TiedAutoencoder(3, max_iter=2, random_state=0).fit(digits)
    Z = est.transform(digits)
    with pytest.raises(ValueError, match="diverged"):
        est.fit(digits[:, :10] * 1e20)
    assert est.n_features_in_ == 64
    np.testing.assert_array_equal(est.transform(digits), Z)


def test_failed_refit_on_reordered_columns_keeps_the_old_names(digits):
    # Issue: transform then silently used permuted columns.
    import pandas as pd

    df = pd.DataFrame(digits[:, :6], columns=list("abcdef"))
    est = TiedAutoencoder(2, max_iter=2, random_state=0).fit(df)
    Z = est.transform(df)
    reordered = df[list("fedcba")] * 1e20
    with pytest.raises(ValueError, match="diverged"):
        est.fit(reordered)
    assert list(est.feature_names_in_) == list("abcdef")
    np.testing.assert_array_equal(est.transform(df), Z)
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        est.transform(df[list("fedcba")])


def test_interrupted_rayleigh_ritz_leaves_no_wide_network(digits, monkeypatch):
    # Issue: Ctrl-C there left a 13-column transform for n_components=3.
    import skae._tied

    est = TiedAutoencoder(3, hidden_layer_sizes=(), max_iter=2, random_state=0)
    _inject(monkeypatch, skae._tied, "projected_scatter", 0, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        est.fit(digits)
    with pytest.raises(NotFittedError):
        est.transform(digits)
    monkeypatch.undo()
    assert est.fit(digits).transform(digits).shape == (1797, 3)
