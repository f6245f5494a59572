"""
Choosing the architecture with GridSearchCV
===========================================

``score`` is the negative reconstruction error, so ``GridSearchCV`` without
a ``scoring`` argument picks the model that reconstructs held-out folds
best. Here it searches the depth and the code size of a tied autoencoder
inside a ``Pipeline``.
"""

# %%
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skae import TiedAutoencoder

X = load_digits().data
pipe = Pipeline([
    ("scale", StandardScaler()),
    ("ae", TiedAutoencoder(max_iter=60, random_state=0)),
])
grid = GridSearchCV(
    pipe,
    {"ae__hidden_layer_sizes": [(), (64,), (128, 64)], "ae__n_components": [5, 15]},
    cv=3,
)
grid.fit(X)

# %%
results = pd.DataFrame(grid.cv_results_)[
    ["param_ae__hidden_layer_sizes", "param_ae__n_components", "mean_test_score", "mean_fit_time"]
]
print(results.sort_values("mean_test_score", ascending=False).to_string(index=False))
print("best:", grid.best_params_)

# %%
# The score is the negative mean squared error on the held-out fold (in
# standardised units): more codes always help, and at a fixed code size the
# non-linear networks beat the linear one (which is PCA's subspace).
