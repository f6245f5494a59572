"""The TensorFlow side as the estimators see it: every name they use, in one place.

The estimator side (``skae/_*.py``) imports this module, and nothing else of
``skae._tf``, when it builds or loads a model.
"""

from .data import Data, aligned_empty
from .epoch import BLOCK_SHUFFLE_MIN_ENTRIES
from .layers import calibrated, initial_weights
from .loop import (
    DivergenceGuard, NonFiniteLossError, Plateau, Progress, Validation, greedy_pretrain, overflowing_terms, run,
)
from .losses import MIN_NOISE_VAR
from .network import Autoencoder, Predictor, build, weight_shapes
from .optim import AdaptiveSchedule, Adam, ConstantSchedule, CosineSchedule
from .state import TrainingState, check_saved

__all__ = [
    "BLOCK_SHUFFLE_MIN_ENTRIES", "MIN_NOISE_VAR", "AdaptiveSchedule", "Adam", "Autoencoder", "ConstantSchedule",
    "CosineSchedule", "Data", "DivergenceGuard", "NonFiniteLossError", "Plateau", "Predictor", "Progress",
    "TrainingState", "Validation", "aligned_empty", "build", "calibrated", "check_saved", "greedy_pretrain",
    "initial_weights", "overflowing_terms", "run", "weight_shapes",
]
