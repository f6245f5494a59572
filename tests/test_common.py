"""scikit-learn's own estimator checks, over every skae estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skae import DenoisingAutoencoder, SparseAutoencoder, TiedAutoencoder, VariationalAutoencoder

# Few epochs keep the ~70 checks fast; each check still fits real networks.
ESTIMATORS = [
    TiedAutoencoder(max_iter=5, random_state=0),
    TiedAutoencoder(hidden_layer_sizes=(), activation="identity", max_iter=5, random_state=0),
    SparseAutoencoder(n_components=8, max_iter=5, random_state=0),
    SparseAutoencoder(n_components=6, hidden_layer_sizes=(5,), tied_weights=True, max_iter=5, random_state=0),
    DenoisingAutoencoder(max_iter=5, random_state=0),
    DenoisingAutoencoder(noise="masking", noise_level=0.3, tied_weights=True, max_iter=5, random_state=0),
    VariationalAutoencoder(hidden_layer_sizes=(16,), max_iter=5, random_state=0),
    VariationalAutoencoder(loss="binary_crossentropy", beta=4.0, max_iter=5, random_state=0),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
