"""ExactSearch: known optima, optimality against the fast search, bad input."""

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.ensemble import (
    GradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop.counterfactual import BlackBoxSearch, ExactSearch, make_search


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X[::2], y[::2], X[1:80:10]


def _flip(model, Q):
    return 1 - model.predict(Q)


def _hand_logistic():
    """logit = 2 z0 + z1 - 1 on a grid of [-2, 2]^2."""
    grid = np.linspace(-2, 2, 5)
    X = np.array([[a, b] for a in grid for b in grid]) + 0.01
    y = (2 * X[:, 0] + X[:, 1] > 1).astype(int)
    model = LogisticRegression().fit(X, y)
    model.coef_ = np.array([[2.0, 1.0]])
    model.intercept_ = np.array([-1.0])
    return X, y, model


@pytest.mark.parametrize("confidence, move", [(0.5, 0.5), (0.8, 0.5 * (1 + 1.3863))])
def test_hand_solved_logistic_regression(confidence, move):
    X, y, model = _hand_logistic()
    search = ExactSearch(sparsity_weight=0, scale=[1.0, 1.0]).fit(X, y)
    res = search.generate(model, np.zeros((1, 2)), [1], confidence=confidence)
    # the cheapest L1 move raises z0 (slope 2 per unit) alone
    assert res.optimal.tolist() == [True] and res.success.tolist() == [True]
    np.testing.assert_allclose(res.X[0], [move, 0.0], atol=1e-4)
    np.testing.assert_allclose(res.distance, [move], atol=1e-4)
    assert res.status.tolist() == ["optimal"] and res.gap.tolist() == [0.0]


def test_hand_solved_depth_two_tree():
    # class 1 iff x0 >= 2 and x1 == 1; integer features
    X = np.array([[a, b] for a in range(4) for b in range(2)] * 3, dtype=float)
    y = ((X[:, 0] >= 2) & (X[:, 1] == 1)).astype(int)
    tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    search = ExactSearch(sparsity_weight=0, scale=[1.0, 1.0]).fit(X, y)
    res = search.generate(tree, np.array([[0.0, 0.0], [3.0, 0.0]]), [1, 1])
    # thresholds 1.5 and 0.5, integers: (2, 1) at L1 3 and (3, 1) at L1 1
    np.testing.assert_array_equal(res.X, [[2.0, 1.0], [3.0, 1.0]])
    np.testing.assert_allclose(res.distance, [3.0, 1.0])
    assert res.optimal.all() and res.success.all()


def test_the_scales_decide_which_feature_moves():
    X, y, model = _hand_logistic()
    # z1 moved by 1 (to logit 0) costs 1 / 2.5 = 0.4 < 0.5 for z0 moved by 0.5
    search = ExactSearch(sparsity_weight=0, scale=[1.0, 2.5]).fit(X, y)
    res = search.generate(model, np.zeros((1, 2)), [1], confidence=0.5)
    np.testing.assert_allclose(res.X[0], [0.0, 1.0], atol=1e-4)  # 0.4 < 0.5
    assert res.objective[0] == pytest.approx(0.4, abs=1e-4)


@pytest.mark.parametrize(
    "model",
    [
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
        DecisionTreeClassifier(max_depth=6, random_state=0),
    ],
    ids=["logistic", "tree6"],
)
def test_breast_cancer_valid_optimal_and_no_worse_than_the_fast_search(cancer, model):
    X, y, Q = cancer
    model.fit(X, y)
    target = _flip(model, Q)
    exact = ExactSearch().fit(X, y).generate(model, Q, target, confidence=0.75)
    fast = BlackBoxSearch().fit(X, y).generate(model, Q, target, confidence=0.75)
    assert exact.success.mean() == 1.0 and exact.optimal.all()
    cost = exact.distance + 2.0 * exact.n_changed
    fast_cost = fast.distance + 2.0 * fast.n_changed
    assert np.all(cost <= fast_cost[fast.success] + 1e-6)
    np.testing.assert_allclose(exact.objective, cost, rtol=1e-6, atol=1e-6)


def test_multinomial_logistic_regression_iris():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=2000).fit(X, y)
    Q = X[::25]
    target = (model.predict(Q) + 1) % 3
    res = (
        ExactSearch(sparsity_weight=0)
        .fit(X, y)
        .generate(model, Q, target, confidence=0.6)
    )
    assert res.success.all() and res.optimal.all()
    proba = model.predict_proba(res.X)[np.arange(len(Q)), target]
    assert np.all(proba >= 0.6)


def test_regressors_reach_their_interval():
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:200, :6], X[:200, 6]
    for model in [Ridge().fit(X, y), RandomForestRegressor(5, max_depth=3).fit(X, y)]:
        res = ExactSearch(time_limit=10).fit(X, y).generate(model, X[:4], y[:4] + 0.1)
        assert res.success.all(), res.status


def test_forest_time_limit_reports_gap_never_an_invalid_row(cancer):
    X, y, Q = cancer
    model = RandomForestClassifier(30, max_depth=6, random_state=0).fit(X, y)
    res = (
        ExactSearch(time_limit=0.05)
        .fit(X, y)
        .generate(model, Q[:3], _flip(model, Q[:3]), confidence=0.75)
    )
    for ok, optimal, gap, status in zip(res.success, res.optimal, res.gap, res.status):
        assert ok or status.startswith(("infeasible", "time limit"))
        assert optimal == (ok and gap == 0.0)
        assert optimal or status != "optimal"


def test_gradient_boosting_binary(cancer):
    X, y, Q = cancer
    model = GradientBoostingClassifier(n_estimators=20, max_depth=2).fit(X, y)
    res = ExactSearch().fit(X, y).generate(model, Q[:3], _flip(model, Q[:3]))
    assert res.success.all() and res.optimal.all()


# ---------------------------------------------------------------- bad input
def test_infeasible_target_is_reported_per_row():
    X, y, model = _hand_logistic()
    search = ExactSearch(immutable=[0, 1]).fit(X, y)
    res = search.generate(model, np.zeros((2, 2)), [1, 1], confidence=0.5)
    assert not res.success.any()
    assert all(s.startswith("infeasible") for s in res.status)
    np.testing.assert_array_equal(res.X, np.zeros((2, 2)))  # source returned
    res = ExactSearch().fit(X, y).generate(model, np.zeros((1, 2)), [1], confidence=1.0)
    assert not res.success[0] and res.status[0].startswith("infeasible")


def test_unsupported_learner_names_the_supported_ones():
    X, y, _ = _hand_logistic()
    knn = KNeighborsClassifier().fit(X, y)
    with pytest.raises(TypeError, match="Supported learners: LogisticRegression"):
        ExactSearch().fit(X, y).generate(knn, X[:1], [1])


@pytest.mark.parametrize("limit", [0, -1.0, "fast"])
def test_time_limit_must_be_positive(limit):
    X, y, _ = _hand_logistic()
    with pytest.raises(ValueError, match="time_limit"):
        ExactSearch(time_limit=limit).fit(X, y)


def test_mixed_frames_are_refused():
    frame = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "c": ["x", "y", "x", "y"]})
    model = make_pipeline(StandardScaler(), LogisticRegression())
    model.fit(frame[["a"]], [0, 0, 1, 1])
    with pytest.raises(TypeError, match="numeric rows"):
        ExactSearch().fit(frame).generate(model, frame, [1, 1, 1, 1])


def test_make_search_exact_and_auto_unchanged():
    assert isinstance(make_search("exact"), ExactSearch)
    assert isinstance(make_search("auto", LogisticRegression()), BlackBoxSearch)
