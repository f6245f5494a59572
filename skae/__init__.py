"""skae: autoencoders as scikit-learn estimators, trained by TensorFlow.

TensorFlow is imported only when a model is built (``fit``, or loading a
fitted model), so ``import skae`` stays fast.
"""

from ._contractive import ContractiveAutoencoder
from ._denoising import DenoisingAutoencoder
from ._outlier import AutoencoderOutlierDetector
from ._sparse import SparseAutoencoder
from ._supervised import AutoencoderClassifier, AutoencoderRegressor
from ._tied import TiedAutoencoder
from ._variational import PosteriorCollapseWarning, VariationalAutoencoder

__all__ = [
    "AutoencoderClassifier",
    "AutoencoderRegressor",
    "AutoencoderOutlierDetector",
    "ContractiveAutoencoder",
    "DenoisingAutoencoder",
    "PosteriorCollapseWarning",
    "SparseAutoencoder",
    "TiedAutoencoder",
    "VariationalAutoencoder",
]
__version__ = "0.1.0.dev0"
