"""Reference outputs of fixed configurations of every estimator.

Recorded before the TensorFlow side was reorganised (issue: networks
described layer by layer), so that the reorganisation can be shown not to
change what any estimator computes::

    python tests/reference/record.py            # write outputs.npz
    python tests/reference/record.py --compare  # compare with it, entry by entry

``tests/test_reference.py`` checks the same outputs to a tolerance (another
machine's CPU kernels may round differently); ``--compare`` reports which
entries are bit-identical on the machine that recorded them.
"""

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUTPUTS = HERE / "outputs.npz"


def data():
    import scipy.sparse as sp
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0)[:400]
    y = y[:400]
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.5, 2.0, size=len(X))
    return X[:300], y[:300], X[300:], y[300:], weights[:300], sp.csr_matrix(X[:300])


def configurations():
    """name -> (make estimator, fit options); every estimator, and the
    engine's paths (greedy, early stopping, weights, sparse, adaptive)."""
    import skae

    common = dict(max_iter=4, batch_size=64, random_state=0)
    ae = lambda cls, **kw: (lambda: cls(**{**common, **kw}))  # noqa: E731
    return {
        "tied_linear": (ae(skae.TiedAutoencoder, n_components=8, hidden_layer_sizes=()), {}),
        "tied_deep": (ae(skae.TiedAutoencoder, n_components=4, hidden_layer_sizes=(32, 16)), {}),
        "tied_bce_adaptive": (
            ae(skae.TiedAutoencoder, n_components=4, hidden_layer_sizes=(24,), loss="binary_crossentropy",
               learning_rate="adaptive", activation="logistic"), {}),
        "tied_greedy_layerloss": (
            ae(skae.TiedAutoencoder, n_components=4, hidden_layer_sizes=(24,), pretraining="greedy",
               layer_loss_weight=0.1, max_iter=6), {}),
        "tied_weighted": (ae(skae.TiedAutoencoder, n_components=4, hidden_layer_sizes=(24,)), {"weights": True}),
        "tied_sparse_input": (ae(skae.TiedAutoencoder, n_components=4, hidden_layer_sizes=(24,)), {"sparse": True}),
        "tied_early_stopping": (
            ae(skae.TiedAutoencoder, n_components=4, hidden_layer_sizes=(24,), early_stopping=True), {}),
        "sparse": (ae(skae.SparseAutoencoder, n_components=16, hidden_layer_sizes=(32,)), {}),
        "sparse_tied": (ae(skae.SparseAutoencoder, n_components=16, tied_weights=True, activation="logistic"), {}),
        "denoising_gaussian": (ae(skae.DenoisingAutoencoder, n_components=4, hidden_layer_sizes=(32,)), {}),
        "denoising_dropout_tied": (
            ae(skae.DenoisingAutoencoder, n_components=4, hidden_layer_sizes=(32,), noise="dropout",
               noise_level=0.3, tied_weights=True), {}),
        "vae_mse": (ae(skae.VariationalAutoencoder, n_components=2, hidden_layer_sizes=(32,)), {}),
        "vae_bce": (
            ae(skae.VariationalAutoencoder, n_components=2, hidden_layer_sizes=(32,), loss="binary_crossentropy"),
            {}),
        "classifier_finetune": (
            lambda: skae.AutoencoderClassifier(
                skae.TiedAutoencoder(4, hidden_layer_sizes=(24,), **common), max_iter=4, random_state=0),
            {"supervised": "classification"}),
        "classifier_frozen_head": (
            lambda: skae.AutoencoderClassifier(
                skae.TiedAutoencoder(4, hidden_layer_sizes=(24,), **common), freeze=1, head_layer_sizes=(8,),
                max_iter=4, random_state=0),
            {"supervised": "classification"}),
        "classifier_joint_partial_labels": (
            lambda: skae.AutoencoderClassifier(
                skae.DenoisingAutoencoder(4, hidden_layer_sizes=(24,), **common), reconstruction_weight=1.0,
                max_iter=4, random_state=0),
            {"supervised": "classification", "unlabelled": True}),
        "regressor": (
            lambda: skae.AutoencoderRegressor(
                skae.TiedAutoencoder(4, hidden_layer_sizes=(24,), **common), max_iter=4, random_state=0,
                early_stopping=True),
            {"supervised": "regression"}),
        "outlier": (
            lambda: skae.AutoencoderOutlierDetector(
                skae.TiedAutoencoder(4, hidden_layer_sizes=(24,), **common), random_state=0),
            {"outlier": True}),
    }


def outputs(name):
    """The outputs of configuration ``name``, as a dict of float64 arrays."""
    make, options = configurations()[name]
    X, y, X_test, y_test, weights, X_csr = data()
    est = make()
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if options.get("supervised"):
            target = y.astype(float) / 9.0 if options["supervised"] == "regression" else y.copy()
            if options.get("unlabelled"):
                target[30:] = -1
            est.fit(X, target)
            if options["supervised"] == "classification":
                out["predict_proba"] = est.predict_proba(X_test)
            else:
                out["predict"] = est.predict(X_test)
            out["loss_curve"] = np.asarray(est.loss_curve_)
            if getattr(est, "validation_scores_", None) is not None:
                out["validation_scores"] = np.asarray(est.validation_scores_)
            return out
        if options.get("outlier"):
            est.fit(X)
            out["score_samples"] = est.score_samples(X_test)
            out["decision_function"] = est.decision_function(X_test)
            out["loss_curve"] = np.asarray(est.autoencoder_.loss_curve_)
            return out
        fit_X = X_csr if options.get("sparse") else X
        est.fit(fit_X, sample_weight=weights if options.get("weights") else None)
    out["loss_curve"] = np.asarray(est.loss_curve_)
    if getattr(est, "validation_scores_", None) is not None:
        out["validation_scores"] = np.asarray(est.validation_scores_)
    out["transform"] = est.transform(X_test)
    out["inverse_transform"] = est.inverse_transform(out["transform"])
    out["score_samples"] = est.score_samples(X_test)
    return out


def record():
    arrays = {}
    for name in configurations():
        for key, value in outputs(name).items():
            arrays[f"{name}/{key}"] = np.asarray(value, np.float64)
    np.savez_compressed(OUTPUTS, **arrays)
    print(f"wrote {len(arrays)} arrays to {OUTPUTS}")


def compare():
    reference = np.load(OUTPUTS)
    identical = True
    for name in configurations():
        for key, value in outputs(name).items():
            ref = reference[f"{name}/{key}"]
            value = np.asarray(value, np.float64)
            same = ref.shape == value.shape and np.array_equal(ref, value)
            identical &= same
            diff = np.max(np.abs(ref - value) / (np.abs(ref) + 1e-12)) if ref.shape == value.shape else np.inf
            print(f"{name + '/' + key:50s} {'bit-identical' if same else f'max rel diff {diff:.3g}'}")
    return identical


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE.parents[1]))
    if args.compare:
        sys.exit(0 if compare() else 1)
    record()
