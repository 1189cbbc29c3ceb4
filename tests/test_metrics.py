"""skcoop.metrics: validity, proximity, sparsity, plausibility."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LinearRegression, LogisticRegression

from skcoop.counterfactual import BlackBoxSearch
from skcoop.metrics import plausibility, proximity, sparsity, validity


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y, LogisticRegression(max_iter=1000).fit(X, y)


def test_validity_classification(iris):
    X, y, model = iris
    assert validity(model, X, y) == pytest.approx(np.mean(model.predict(X) == y))
    proba = model.predict_proba(X)[np.arange(len(y)), y]
    per_row = validity(model, X, y, confidence=0.9, reduce=None)
    np.testing.assert_array_equal(per_row, proba >= 0.9)
    assert validity(model, X, y, confidence=0.9, reduce="median") in (0.0, 1.0)
    with pytest.raises(ValueError, match="not classes of the model"):
        validity(model, X[:2], [0, 9], confidence=0.5)
    with pytest.raises(ValueError):
        validity(model, X[:2], [0, 1], confidence=1.5)
    assert np.isnan(validity(model, X[:0], y[:0]))


def test_validity_regression():
    X = np.arange(10.0)[:, None]
    model = LinearRegression().fit(X, 2 * X.ravel())
    assert validity(model, [[1.0], [2.0]], [2.0, 5.0], tolerance=0.5) == 0.5


def test_metrics_agree_with_the_search_result(iris):
    X, y, model = iris
    search = BlackBoxSearch().fit(X, y)
    result = search.generate(model, X[:30], (y[:30] + 1) % 3, confidence=0.7)
    np.testing.assert_allclose(
        proximity(X[:30], result.X, scale=search.scale_, reduce=None), result.distance
    )
    np.testing.assert_array_equal(
        sparsity(X[:30], result.X, reduce=None), result.n_changed
    )
    assert validity(model, result.X, (y[:30] + 1) % 3, confidence=0.7) == pytest.approx(
        result.success.mean()
    )
    # plausibility: a counterfactual is at most as far from its class as
    # before it moved toward it (the search heads for rows of the class)
    before = plausibility(
        X[:30], (y[:30] + 1) % 3, X, y, scale=search.scale_, reduce=None
    )
    after = plausibility(
        result.X, (y[:30] + 1) % 3, X, y, scale=search.scale_, reduce=None
    )
    assert np.median(after) < np.median(before)


def test_proximity_sparsity_and_plausibility_by_hand():
    X = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    X_cf = np.array([[1.0, 0.0, -2.0], [1.0, 1.0, 1.0]])
    assert proximity(X, X_cf) == 1.5
    assert proximity(X, X_cf, scale=[1.0, 1.0, 2.0], reduce="median") == 1.0
    np.testing.assert_array_equal(sparsity(X, X_cf, reduce=None), [2, 0])
    frame = pd.DataFrame(X_cf, columns=list("abc"))
    assert sparsity(X, frame) == 1.0
    ref = np.array([[1.0, 0.0, -2.0], [5.0, 5.0, 5.0]])
    np.testing.assert_array_equal(
        plausibility(X_cf, [0, 1], ref, [0, 1], reduce=None), [0.0, 12.0]
    )
    assert np.isinf(plausibility(X_cf[:1], [2], ref, [0, 1], reduce=None)[0])


def test_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        proximity(np.zeros((2, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="NaN"):
        sparsity(np.zeros((1, 2)), [[np.nan, 0.0]])
    with pytest.raises(ValueError, match="positive and finite"):
        proximity(np.zeros((1, 2)), np.ones((1, 2)), scale=[1.0, 0.0])
    with pytest.raises(ValueError, match="features"):
        plausibility(np.zeros((1, 2)), [0], np.zeros((3, 3)), [0, 0, 0])
    with pytest.raises(ValueError, match="reduce"):
        proximity(np.zeros((1, 2)), np.ones((1, 2)), reduce="max")
