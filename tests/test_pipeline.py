"""skae estimators as Pipeline steps and inside GridSearchCV."""

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skae import TiedAutoencoder


def test_grid_search_over_hidden_layer_sizes_in_two_processes():
    X = load_digits().data[:600]
    pipe = make_pipeline(StandardScaler(), TiedAutoencoder(4, max_iter=10, random_state=0))
    grid = GridSearchCV(
        pipe, {"tiedautoencoder__hidden_layer_sizes": [(), (32,)]}, cv=2, n_jobs=2
    ).fit(X)
    scores = grid.cv_results_["mean_test_score"]
    assert len(scores) == 2 and np.all(np.isfinite(scores)) and np.all(scores < 0)
    assert grid.best_score_ == scores.max()  # score: higher (less error) is better
    assert grid.best_estimator_.transform(X).shape == (600, 4)


def test_codes_feed_a_classifier():
    X, y = load_digits(return_X_y=True)
    pipe = make_pipeline(
        StandardScaler(),
        TiedAutoencoder(16, hidden_layer_sizes=(), max_iter=30, random_state=0),
        LogisticRegression(max_iter=2000),
    )
    pipe.fit(X[:1200], y[:1200])
    assert pipe.score(X[1200:], y[1200:]) > 0.85
