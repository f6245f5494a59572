"""The shared base: training engine, early stopping, seeds, dtypes, output."""

import numpy as np
import pytest
from sklearn.utils import check_random_state

from skae import TiedAutoencoder

from .conftest import ALL_ESTIMATORS

each_estimator = pytest.mark.parametrize("Estimator", ALL_ESTIMATORS, ids=lambda c: c.__name__)


@each_estimator
def test_same_seed_same_model_different_seed_different_model(digits, Estimator):
    kw = dict(n_components=3, hidden_layer_sizes=(16,), max_iter=5)
    a = Estimator(random_state=7, **kw).fit_transform(digits)
    b = Estimator(random_state=7, **kw).fit_transform(digits)
    c = Estimator(random_state=8, **kw).fit_transform(digits)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_fit_leaves_global_seeds_alone(digits):
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    TiedAutoencoder(max_iter=2, random_state=0).fit(digits)
    np.testing.assert_array_equal(np.random.get_state()[1], before)
    from tensorflow.python.eager import context

    assert context.global_seed() is None


def test_every_row_is_trained_on_even_when_batches_do_not_divide(rng):
    # An outlier in the last, partial batch must change the model: a loop that
    # drops incomplete batches would give identical weights.
    for n, batch_size in [(201, 200), (5, 32)]:
        X = rng.normal(size=(n, 4))
        X_outlier = X.copy()
        X_outlier[-1] = 50.0
        kw = dict(n_components=2, batch_size=batch_size, shuffle=False, max_iter=1, random_state=0)
        with pytest.warns(UserWarning, match="clipped") if batch_size > n else _nothing():
            a = TiedAutoencoder(**kw).fit(X).transform(X[:3])
        with pytest.warns(UserWarning, match="clipped") if batch_size > n else _nothing():
            b = TiedAutoencoder(**kw).fit(X_outlier).transform(X[:3])
        assert not np.allclose(a, b)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_early_stopping_restores_the_best_validation_epoch(digits):
    ae = TiedAutoencoder(
        8, hidden_layer_sizes=(32,), early_stopping=True, validation_fraction=0.2,
        n_iter_no_change=3, tol=0.0, learning_rate_init=0.05, max_iter=300, random_state=0,
    ).fit(digits)
    scores = ae.validation_scores_
    assert len(scores) == ae.n_iter_ < 300
    assert ae.best_validation_score_ == max(scores)
    assert ae.best_loss_ is None
    # Rebuild fit's validation split (the first draw of its random state).
    order = check_random_state(0).permutation(digits.shape[0])
    X_val = digits[order[: int(round(0.2 * digits.shape[0]))]]
    # The returned weights are those of the best epoch, not the last.
    assert ae.score(X_val.astype(np.float32)) == pytest.approx(ae.best_validation_score_, rel=1e-5)
    assert np.argmax(scores) < len(scores) - 1


def test_verbose_prints_progress(digits, capsys):
    TiedAutoencoder(max_iter=3, verbose=True, random_state=0).fit(digits)
    out = capsys.readouterr().out
    assert "Iteration 1, loss = " in out and "Iteration 3, loss = " in out


@each_estimator
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_output_dtype_follows_input(digits, dtype, Estimator):
    X = digits.astype(dtype)
    ae = Estimator(3, max_iter=2, random_state=0).fit(X)
    Z = ae.transform(X)
    assert Z.dtype == dtype
    assert ae.inverse_transform(Z).dtype == dtype
    assert ae.score_samples(X).dtype == np.float64


def test_int_input_is_converted_to_float64(digits):
    X = (digits * 4).round().astype(np.int64)
    assert TiedAutoencoder(2, max_iter=2, random_state=0).fit_transform(X).dtype == np.float64


@each_estimator
def test_pandas_output_and_feature_names(digits, Estimator):
    import pandas as pd  # in the test extra

    df = pd.DataFrame(digits[:, :5], columns=[f"px{i}" for i in range(5)])
    ae = Estimator(3, max_iter=2, random_state=0).set_output(transform="pandas")
    out = ae.fit_transform(df)
    prefix = Estimator.__name__.lower()
    assert list(out.columns) == [f"{prefix}0", f"{prefix}1", f"{prefix}2"]
    assert list(ae.feature_names_in_) == list(df.columns)
    assert list(ae.get_feature_names_out()) == list(out.columns)


@each_estimator
def test_divergence_is_a_clear_error_not_nan_weights(rng, Estimator):
    X = rng.normal(size=(50, 4)) * 1e20  # finite in float32, but its squares are not
    ae = Estimator(2, max_iter=5, random_state=0)
    with pytest.raises(ValueError, match="diverged.*Scale the input.*learning_rate_init"):
        ae.fit(X)
    assert not hasattr(ae, "n_iter_")  # nothing half-fitted is left behind


@each_estimator
def test_keras_models_reproduce_transform_and_inverse_transform(digits, Estimator):
    ae = Estimator(4, hidden_layer_sizes=(16,), max_iter=3, random_state=0).fit(digits)
    X = digits[:20].astype(np.float32)
    Z = ae.transform(X)
    np.testing.assert_allclose(ae.encoder_.predict(X, verbose=0), Z, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(
        ae.decoder_.predict(Z, verbose=0), ae.inverse_transform(Z), rtol=1e-4, atol=1e-5
    )


@each_estimator
def test_xla_step_trains_the_same_model_deterministically(digits, monkeypatch, Estimator):
    # On large data the per-batch step is XLA-compiled; force that path here.
    from skae._tf import epoch

    kw = dict(n_components=3, hidden_layer_sizes=(16,), max_iter=3, random_state=0)
    plain = Estimator(**kw).fit(digits).transform(digits)
    monkeypatch.setattr(epoch, "XLA_MIN_ENTRIES", 0)
    xla = Estimator(**kw).fit(digits).transform(digits)
    np.testing.assert_array_equal(xla, Estimator(**kw).fit(digits).transform(digits))
    np.testing.assert_allclose(xla, plain, rtol=1e-3, atol=1e-4)
