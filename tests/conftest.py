import os

# scikit-learn's check_array_api_input (numpy namespace) runs only when SciPy's
# array API support is switched on before SciPy is imported; without it the
# check is skipped, and we want it to run.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skae import (  # noqa: E402
    DenoisingAutoencoder,
    SparseAutoencoder,
    TiedAutoencoder,
    VariationalAutoencoder,
)

# Every estimator, for the tests of what the shared base promises to all.
ALL_ESTIMATORS = [TiedAutoencoder, SparseAutoencoder, DenoisingAutoencoder, VariationalAutoencoder]


@pytest.fixture(scope="session")
def digits():
    """Standardised digits (1797 x 64), float64."""
    return StandardScaler().fit_transform(load_digits().data)


@pytest.fixture(scope="session")
def digits01():
    """Digits scaled to [0, 1], float64."""
    return load_digits().data / 16.0


@pytest.fixture
def rng():
    return np.random.default_rng(0)
