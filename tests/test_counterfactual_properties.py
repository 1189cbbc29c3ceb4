"""Properties of the searches on random data and random models (hypothesis)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skcoop.counterfactual import BisectionSearch, BlackBoxSearch

MODELS = {
    "logistic": lambda seed: LogisticRegression(),
    "tree": lambda seed: DecisionTreeClassifier(max_depth=4, random_state=seed),
    "knn": lambda seed: KNeighborsClassifier(n_neighbors=5),
}


@st.composite
def problems(draw):
    seed = draw(st.integers(0, 2**16))
    rng = np.random.RandomState(seed)
    n = draw(st.integers(30, 80))
    d = draw(st.integers(2, 6))
    n_classes = draw(st.integers(2, 3))
    X = rng.normal(size=(n, d)) * rng.uniform(0.1, 10, size=d)
    n_int = draw(st.integers(0, d - 1))
    X[:, :n_int] = np.round(X[:, :n_int])  # some integer features
    w = rng.normal(size=(d, n_classes))
    y = np.argmax(X / X.std(0).clip(1e-9) @ w + rng.normal(size=(n, n_classes)), axis=1)
    if np.unique(y).size < 2:
        y[: n // 2] = 0
        y[n // 2 :] = 1
    model_name = draw(st.sampled_from(sorted(MODELS)))
    confidence = draw(st.floats(0.5, 0.9))
    immutable = draw(st.lists(st.integers(0, d - 1), max_size=1, unique=True))
    return X, y, model_name, seed, confidence, immutable


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.sampled_from(["blackbox", "differences", "bisection"]))
def test_validity_ranges_and_types_hold(problem, kind):
    X, y, model_name, seed, confidence, immutable = problem
    model = MODELS[model_name](seed).fit(X, y)
    if kind == "bisection":
        search = BisectionSearch(immutable=immutable or None)
    else:
        slopes = "differences" if kind == "differences" else "reference"
        search = BlackBoxSearch(slopes=slopes, immutable=immutable or None)
    search = search.fit(X, y)
    rng = np.random.RandomState(seed)
    classes = np.unique(y)
    target = rng.choice(classes, size=X.shape[0])
    result = search.generate(model, X, target, confidence=confidence)
    Xc = result.X
    assert Xc.shape == X.shape and np.all(np.isfinite(Xc))
    # ranges: inside the observed box (the source's own value is allowed)
    assert np.all(Xc >= np.minimum(search.min_, X) - 1e-12)
    assert np.all(Xc <= np.maximum(search.max_, X) + 1e-12)
    # integers stay integers, immutable features stay put
    ints = search.is_integer_
    np.testing.assert_array_equal(Xc[:, ints], np.round(Xc[:, ints]))
    np.testing.assert_array_equal(Xc[:, immutable], X[:, immutable])
    # success is what the model says at the returned rows
    proba = model.predict_proba(Xc)[
        np.arange(len(Xc)), np.searchsorted(classes, target)
    ]
    np.testing.assert_allclose(proba, result.achieved)
    np.testing.assert_array_equal(result.success, proba >= confidence - 1e-12)
    # reachable rows succeed: a reference row of the target class meets the
    # target with the immutable features of the source (so the segment to it
    # ends valid), and the row is not yet at its target
    ref_proba = model.predict_proba(X)
    for i in np.flatnonzero(~result.already_at_target):
        c = np.searchsorted(classes, target[i])
        ends = X[(y == target[i]) & (ref_proba[:, c] >= confidence)].copy()
        ends = ends[np.abs(ends - X[i]).sum(1) > 0]
        if ends.size == 0:
            continue
        ends[:, immutable] = X[i, immutable]
        if immutable and (model.predict_proba(ends)[:, c] < confidence).any():
            continue
        assert result.success[i], f"row {i} had a valid anchor but failed"
    # the blackbox search never does worse than plain bisection (in its cost:
    # scaled L1 plus sparsity_weight per changed feature): row by row with
    # forward differences (it tries the plain segment of every row), in the
    # median with the default reference slopes (a jump's length is found
    # within 5%, the segment's within 2**-n_iter)
    if kind != "bisection":
        base = BisectionSearch(n_iter=search.n_iter, immutable=immutable or None)
        plain = base.fit(X, y).generate(model, X, target, confidence=confidence)
        both = plain.success & ~result.already_at_target
        assert result.success[both].all()
        w = search.sparsity_weight
        cost = result.distance + w * result.n_changed
        plain_cost = plain.distance + w * plain.n_changed
        if kind == "differences":
            assert np.all(cost[both] <= plain_cost[both] + 1e-9)
        elif both.any():
            assert np.median(cost[both]) <= 1.05 * np.median(plain_cost[both]) + 1e-9


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**16), st.floats(0.1, 0.9))
def test_regression_interval_holds_where_reported(seed, alpha):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-3, 3, size=(80, 3))
    y = np.sin(X[:, 0]) * 5 + X[:, 1] ** 2 + rng.normal(scale=0.3, size=80)
    model = DecisionTreeRegressor(max_depth=5, random_state=seed).fit(X, y)
    result = BlackBoxSearch(alpha=alpha).fit(X, y).generate(model, X[:30], y[:30])
    lo, hi = result.target_interval.T
    pred = model.predict(result.X)
    np.testing.assert_array_equal(result.success, (pred >= lo) & (pred <= hi))
    assert np.all(result.X >= X.min(0) - 1e-12) and np.all(result.X <= X.max(0) + 1e-12)
    assert np.all(result.n_changed[result.success] >= 1)


@pytest.mark.parametrize("n_rows", [1, 7])
def test_tiny_batches(n_rows):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    result = (
        BlackBoxSearch()
        .fit(X, y)
        .generate(model, X[:n_rows], 1 - y[:n_rows], confidence=0.6)
    )
    assert len(result) == n_rows and result.success.all()
