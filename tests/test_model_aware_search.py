"""Model-aware search paths (issue 28): checked against the exact search."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from sklearn.datasets import load_breast_cancer, load_iris, make_regression
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skcoop.counterfactual import (
    BlackBoxSearch,
    ExactSearch,
    LinearModelSearch,
    TreeSearch,
    make_search,
)
from skcoop.counterfactual._linear_model import knapsack_move


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.RandomState(0)
    test = rng.choice(len(X), 12, replace=False)
    train = np.setdiff1d(np.arange(len(X)), test)
    return X[train], y[train], X[test]


def _flip(model, Q):
    return 1 - model.predict(Q)


@pytest.mark.parametrize("scaler", [StandardScaler, MinMaxScaler])
def test_linear_matches_exact_lp(cancer, scaler):
    X, y, Q = cancer
    model = make_pipeline(scaler(), LogisticRegression(max_iter=2000)).fit(X, y)
    target = _flip(model, Q)
    fast = LinearModelSearch().fit(X, y).generate(model, Q, target, confidence=0.8)
    exact = ExactSearch(sparsity_weight=0).fit(X, y)
    best = exact.generate(model, Q, target, confidence=0.8)
    assert fast.success.all() and best.success.all()
    np.testing.assert_allclose(fast.distance, best.distance, rtol=1e-4)
    # the source row's output (no initial_output given) and one check
    assert (fast.n_evaluations == 2).all()
    assert (fast.achieved >= 0.8).all()


def test_linear_honours_immutable_and_box(cancer):
    X, y, Q = cancer
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    model.fit(X, y)
    coef = np.abs(model[-1].coef_[0] * X.std(axis=0) / model[0].scale_)
    fixed = np.argsort(-coef)[:3]  # the features the move wants most
    target = _flip(model, Q)
    kw = {"immutable": fixed, "confidence": 0.8}
    fast = LinearModelSearch(immutable=fixed).fit(X, y)
    res = fast.generate(model, Q, target, confidence=0.8)
    best = ExactSearch(sparsity_weight=0, immutable=fixed).fit(X, y)
    ref = best.generate(model, Q, target, confidence=kw["confidence"])
    assert res.success.all()
    np.testing.assert_array_equal(res.X[:, fixed], Q[:, fixed])
    assert np.all(res.X >= np.minimum(X.min(axis=0), Q) - 1e-12)
    assert np.all(res.X <= np.maximum(X.max(axis=0), Q) + 1e-12)
    np.testing.assert_allclose(res.distance, ref.distance, rtol=1e-4)


def test_linear_regressor_matches_exact():
    X, y = make_regression(n_samples=200, n_features=6, noise=1.0, random_state=0)
    model = LinearRegression().fit(X, y)
    Q, true = X[:10], y[:10] + 50.0
    fast = LinearModelSearch().fit(X, y).generate(model, Q, true)
    best = ExactSearch(sparsity_weight=0).fit(X, y).generate(model, Q, true)
    assert fast.success.all()
    np.testing.assert_allclose(fast.distance, best.distance, rtol=1e-4)
    assert (fast.n_evaluations == 2).all()


def test_linear_multiclass_falls_back_to_blackbox():
    X, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=1000).fit(X, y)
    target = (model.predict(X[:8]) + 1) % 3
    a = LinearModelSearch().fit(X, y).generate(model, X[:8], target)
    b = BlackBoxSearch().fit(X, y).generate(model, X[:8], target)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.n_evaluations, b.n_evaluations)


def test_linear_mixed_table_falls_back_to_blackbox():
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.normal(size=80), "b": rng.normal(size=80)})
    frame["c"] = pd.Categorical(rng.choice(["x", "y"], 80))
    y = (frame["a"] + frame["b"] > 0).astype(int).to_numpy()
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["c"]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(frame, y)
    Q = frame.iloc[:6]
    target = 1 - model.predict(Q)
    a = LinearModelSearch().fit(frame, y).generate(model, Q, target)
    b = BlackBoxSearch().fit(frame, y).generate(model, Q, target)
    pd.testing.assert_frame_equal(a.X, b.X)


@settings(max_examples=40, deadline=None)
@given(
    w=st.lists(
        st.floats(-3, 3).filter(lambda v: abs(v) > 1e-3), min_size=1, max_size=5
    ),
    need=st.floats(0.0, 20.0),
    seed=st.integers(0, 1000),
)
def test_knapsack_move_is_the_lp_optimum(w, need, seed):
    """The greedy move equals linprog's optimum of the same L1 problem."""
    w = np.asarray(w)
    d = w.size
    rng = np.random.RandomState(seed)
    x = rng.uniform(-1, 1, d)
    scale = rng.uniform(0.5, 2, d)
    lower, upper = x - rng.uniform(0, 3, d), x + rng.uniform(0, 3, d)
    Z, ok = knapsack_move(
        x[None],
        w,
        np.array([need]),
        scale,
        lower[None],
        upper[None],
        np.ones(d, bool),
        np.zeros(d, bool),
    )
    # variables: up and down moves per feature, cost 1/scale each
    c = np.concatenate([1 / scale, 1 / scale])
    A = -np.concatenate([w, -w])[None]
    bounds = [(0, u - xi) for u, xi in zip(upper, x)]
    bounds += [(0, xi - lo) for lo, xi in zip(lower, x)]
    lp = linprog(c, A_ub=A, b_ub=[-need], bounds=bounds, method="highs")
    assert ok[0] == (lp.status == 0)
    if ok[0]:
        assert w @ (Z[0] - x) >= need - 1e-9
        cost = np.sum(np.abs(Z[0] - x) / scale)
        # HiGHS meets the bound to its feasibility tolerance (1e-7)
        assert cost == pytest.approx(lp.fun, rel=1e-6, abs=1e-6)


def test_knapsack_move_exact_small_case():
    # gains per unit: |w| * scale = 2, 3 -> feature 1 first, to its bound 1,
    # then feature 0 for the rest: 4 - 3 = 1 more, at w = 2: 0.5
    Z, ok = knapsack_move(
        np.zeros((1, 2)),
        np.array([2.0, 3.0]),
        np.array([4.0]),
        np.ones(2),
        np.full((1, 2), -5.0),
        np.array([[5.0, 1.0]]),
        np.ones(2, bool),
        np.zeros(2, bool),
    )
    assert ok[0]
    np.testing.assert_allclose(Z[0], [0.5, 1.0])


def test_tree_matches_exact_on_a_single_tree(cancer):
    X, y, Q = cancer
    model = DecisionTreeClassifier(max_depth=5, random_state=0).fit(X, y)
    target = _flip(model, Q)
    fast = TreeSearch(sparsity_weight=0).fit(X, y)
    res = fast.generate(model, Q, target, confidence=0.75)
    ref = ExactSearch(sparsity_weight=0).fit(X, y)
    best = ref.generate(model, Q, target, confidence=0.75)
    assert res.success.all() and best.success.all()
    ratio = res.distance / best.distance
    # the cheapest leaf is the optimum: never worse than the MILP's answer,
    # which is optimal only within the solver's gap (scipy 1.10's HiGHS
    # returned answers up to 0.06% above the fast one)
    assert np.all(ratio <= 1 + 1e-4)
    assert np.all(ratio >= 1 - 1e-2)
    assert (res.n_evaluations == 2).all()  # the source row's output and a check


def test_tree_regressor_matches_exact():
    X, y = make_regression(n_samples=300, n_features=5, noise=1.0, random_state=1)
    model = make_pipeline(
        StandardScaler(), DecisionTreeRegressor(max_depth=6, random_state=0)
    ).fit(X, y)
    Q, true = X[:10], y[:10] + 80.0
    res = TreeSearch(sparsity_weight=0).fit(X, y).generate(model, Q, true)
    ref = ExactSearch(sparsity_weight=0).fit(X, y).generate(model, Q, true)
    both = res.success & ref.success
    assert both.sum() >= 5
    np.testing.assert_array_equal(res.success, ref.success)
    np.testing.assert_allclose(res.distance[both], ref.distance[both], rtol=1e-4)


@pytest.mark.parametrize(
    "model",
    [
        RandomForestClassifier(n_estimators=20, max_depth=5, random_state=0),
        GradientBoostingClassifier(n_estimators=30, max_depth=2, random_state=0),
    ],
)
def test_tree_ensembles_valid_and_near_exact(cancer, model):
    X, y, Q = cancer
    Q = Q[:6]
    model.fit(X, y)
    target = _flip(model, Q)
    res = TreeSearch().fit(X, y).generate(model, Q, target, confidence=0.75)
    assert res.success.all()
    assert (res.achieved >= 0.75).all()
    ref = ExactSearch(sparsity_weight=0, time_limit=5).fit(X, y)
    best = ref.generate(model, Q, target, confidence=0.75)
    ratio = res.distance[best.success] / best.distance[best.success]
    assert np.all(ratio >= 1 - 1e-4)  # the exact search is a lower bound
    assert np.median(ratio) < 2.0


def test_tree_search_honours_immutable(cancer):
    X, y, Q = cancer
    model = RandomForestClassifier(n_estimators=10, max_depth=4, random_state=0)
    model.fit(X, y)
    fixed = np.argsort(-model.feature_importances_)[:2]
    target = _flip(model, Q)
    res = TreeSearch(immutable=fixed).fit(X, y).generate(model, Q, target)
    np.testing.assert_array_equal(res.X[:, fixed], Q[:, fixed])
    assert res.success.mean() > 0.5


def test_tree_search_other_models_are_blackbox(cancer):
    X, y, Q = cancer
    model = LogisticRegression(max_iter=3000).fit(X, y)
    target = _flip(model, Q)
    a = TreeSearch().fit(X, y).generate(model, Q, target)
    b = BlackBoxSearch().fit(X, y).generate(model, Q, target)
    np.testing.assert_array_equal(a.X, b.X)


def test_make_search_auto_picks_by_family():
    assert type(make_search("auto", LogisticRegression())) is LinearModelSearch
    pipe = make_pipeline(StandardScaler(), LinearRegression())
    assert type(make_search("auto", pipe)) is LinearModelSearch
    forest = RandomForestClassifier()
    assert type(make_search("auto", forest)) is BlackBoxSearch
    assert type(make_search("blackbox", LogisticRegression())) is BlackBoxSearch
    assert type(make_search("trees", forest, alpha=0.2)) is TreeSearch
    tree = make_pipeline(StandardScaler(), DecisionTreeClassifier())
    assert type(make_search("auto", tree)) is TreeSearch
