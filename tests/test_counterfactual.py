"""Counterfactual search: exact answers on linear models, constraints, bad input."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skcoop.counterfactual import (
    BisectionSearch,
    BlackBoxSearch,
    CounterfactualResult,
    GradientSearch,
    feature_scale,
    make_search,
    quintessential_target,
)

SEARCHES = [BisectionSearch(), BlackBoxSearch()]
IDS = ["bisection", "blackbox"]


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


@pytest.fixture(scope="module")
def binary():
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, random_state=0
    )
    return X, y


def _logit(p):
    return np.log(p) - np.log1p(-p)


# ------------------------------------------------------------------ contract
@pytest.mark.parametrize("search", SEARCHES, ids=IDS)
def test_contract_the_ensemble_relies_on(search, iris):
    """clone, fit on teacher rows, generate: X, success, already_at_target."""
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    s = clone(search)
    s.fit(X[::2], y[::2])
    result = s.generate(model, X[1::2], y[1::2])
    assert isinstance(result, CounterfactualResult)
    assert result.X.shape == X[1::2].shape
    assert result.success.dtype == bool and result.already_at_target.dtype == bool
    assert len(result) == X[1::2].shape[0]
    assert s.scale_.shape == (4,)
    # success is checked by calling the model
    proba = model.predict_proba(result.X)[np.arange(len(result)), y[1::2]]
    np.testing.assert_array_equal(proba >= result.target - 1e-12, result.success)
    np.testing.assert_allclose(proba, result.achieved)
    assert result.success.mean() >= 0.9
    # never a copy of a source row
    assert result.n_changed[result.success].min() >= 1
    assert result.n_model_calls >= 2 and result.n_rows_evaluated >= len(result)
    assert 0 < result.model_time <= result.search_time


def test_calls_do_not_grow_with_the_batch(binary):
    X, y = binary
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    search = BlackBoxSearch().fit(X, y)
    small = search.generate(model, X[:10], 1 - y[:10], confidence=0.7)
    large = search.generate(model, X[:200], 1 - y[:200], confidence=0.7)
    # a fixed number of steps, each one call for all rows: 20x the rows, not
    # 20x the calls (the counts differ only by data-dependent early stops)
    assert small.n_model_calls <= 100 and large.n_model_calls <= 100
    assert large.n_rows_evaluated > 10 * small.n_rows_evaluated


def test_quintessential_target_and_alpha(iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    result = BlackBoxSearch(alpha=0.3).fit(X, y).generate(model, X[:20], y[:20])
    np.testing.assert_allclose(
        result.target, quintessential_target(result.initial, 0.3)
    )
    assert np.all(result.achieved[result.success] >= result.target[result.success])


def test_summary_counts(binary):
    X, y = binary
    model = LogisticRegression().fit(X, y)
    result = (
        BlackBoxSearch().fit(X, y).generate(model, X[:30], 1 - y[:30], confidence=0.8)
    )
    summary = result.summary()
    assert summary["n"] == 30
    assert summary["n_success"] == result.n_success
    assert summary["validity"] == pytest.approx(result.success.mean())
    assert summary["n_unchanged"] == 0


# ------------------------------------------------------------- exact answers
def test_linear_model_l1_optimum_in_closed_form():
    """The L1-nearest point (scaled units) with probability t moves one feature.

    For a logistic model, logit p(x') = w.x' + b; minimising sum |d_j| / s_j
    subject to w.d = logit(t) - logit(p(x)) moves only the feature with the
    largest |w_j| s_j, by that amount divided by w_j.
    """
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 4)) * [1.0, 2.0, 0.5, 1.5]
    y = (X @ [1.0, -0.5, 2.0, 0.3] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    model = LogisticRegression(C=1e4).fit(X, y)
    search = BlackBoxSearch(feature_range=None).fit(X, y)
    w, b = model.coef_[0], model.intercept_[0]
    rows = np.flatnonzero(model.predict_proba(X)[:, 1] < 0.3)[:40]
    t = 0.8
    result = search.generate(model, X[rows], np.ones(rows.size, int), confidence=t)
    assert result.success.all()
    need = _logit(t) - (X[rows] @ w + b)
    j = np.argmax(np.abs(w) * search.scale_)
    optimum = need / np.abs(w[j]) / search.scale_[j]
    # at most 1% more than the optimum (the engine lands just inside the target)
    assert np.all(result.distance <= optimum * 1.01 + 1e-9)
    assert np.all(result.distance >= optimum * (1 - 1e-6))
    assert np.all(result.n_changed == 1)
    changed = np.flatnonzero(result.X[0] != X[rows[0]])
    assert changed.tolist() == [j]


def test_linear_model_with_bounds_fills_the_best_feature_then_the_next():
    """With a bound on the best feature, the optimum is a fractional knapsack."""
    rng = np.random.RandomState(1)
    X = rng.normal(size=(400, 3))
    y = (X @ [3.0, 1.0, 0.2] > 0).astype(int)
    model = LogisticRegression(C=1e4).fit(X, y)
    w, b = model.coef_[0], model.intercept_[0]
    source = np.array([[-1.0, -1.0, 0.0]])
    cap = -0.5  # feature 0 may not go above -0.5
    search = BlackBoxSearch(
        feature_range=([-10, -10, -10], [cap, 10, 10]), scale=[1.0, 1.0, 1.0]
    ).fit(X, y)
    result = search.generate(model, source, [1], confidence=0.9)
    assert result.success.all()
    need = _logit(0.9) - (source @ w + b)[0]
    first = (cap - source[0, 0]) * w[0]
    second = (need - first) / w[1]
    optimum = (cap - source[0, 0]) + second
    assert result.distance[0] == pytest.approx(optimum, rel=0.02)
    assert result.X[0, 0] == pytest.approx(cap)
    assert result.X[0, 2] == source[0, 2]


def test_bisection_lands_on_the_probability_level_set():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    result = (
        BisectionSearch(n_iter=20)
        .fit(X, y)
        .generate(model, X[y == 0][:20], np.ones(20, int), confidence=0.7)
    )
    assert result.success.all()
    np.testing.assert_allclose(result.achieved, 0.7, atol=1e-3)


# ---------------------------------------------------------- any learner
@pytest.mark.parametrize(
    "model",
    [
        DecisionTreeClassifier(random_state=0),
        RandomForestClassifier(n_estimators=20, random_state=0),
        GradientBoostingClassifier(n_estimators=20, random_state=0),
        CalibratedClassifierCV(SVC(), ensemble=False),
        GaussianNB(),
        KNeighborsClassifier(),
        make_pipeline(StandardScaler(), LogisticRegression()),
    ],
    ids=lambda m: type(m).__name__,
)
def test_blackbox_flips_any_learner(model, binary):
    X, y = binary
    model = clone(model).fit(X, y)
    search = BlackBoxSearch().fit(X, y)
    result = search.generate(model, X[:40], 1 - y[:40], confidence=0.7)
    assert result.success.mean() >= 0.95
    assert np.all(result.X >= search.min_ - 1e-12) and np.all(
        result.X <= search.max_ + 1e-12
    )
    # closer than the nearest reference row of the other class that the model
    # is as sure of (the anchor the search starts from)
    assert (
        np.median(result.distance)
        < np.median(
            BisectionSearch()
            .fit(X, y)
            .generate(model, X[:40], 1 - y[:40], confidence=0.7)
            .distance
        )
        + 1e-9
    )


def test_blackbox_is_sparser_and_closer_than_bisection(binary):
    X, y = binary
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    kw = dict(confidence=0.75)
    bb = BlackBoxSearch().fit(X, y).generate(model, X[:50], 1 - y[:50], **kw)
    bi = BisectionSearch().fit(X, y).generate(model, X[:50], 1 - y[:50], **kw)
    assert bb.success.mean() >= bi.success.mean() - 0.02
    assert np.median(bb.distance) <= 0.8 * np.median(bi.distance)
    assert np.median(bb.n_changed) < np.median(bi.n_changed)


# ----------------------------------------------------- already at target
def test_rows_already_at_target_still_move_and_stay_valid(iris):
    X, y = iris
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    search = BlackBoxSearch(min_step=0.2).fit(X, y)
    result = search.generate(model, X, y)  # a forest gives many probabilities of 1
    already = result.already_at_target
    assert already.sum() > 50
    assert result.success[already].all()
    assert np.all(result.n_changed[already] >= 1)
    # min_step of the way toward a reference row: not a copy of any reference row
    dist_to_ref = (
        np.abs(result.X[already][:, None, :] - X[None]).sum(axis=2).min(axis=1)
    )
    assert np.all(dist_to_ref > 0)


# ------------------------------------------------------------- constraints
def test_immutable_features_by_index_and_name(binary):
    X, y = binary
    model = LogisticRegression().fit(X, y)
    result = (
        BlackBoxSearch(immutable=[0, 2])
        .fit(X, y)
        .generate(model, X[:30], 1 - y[:30], confidence=0.7)
    )
    np.testing.assert_array_equal(result.X[:, [0, 2]], X[:30, [0, 2]])
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    model_df = LogisticRegression().fit(frame, y)
    result = (
        BlackBoxSearch(immutable=["f1"])
        .fit(frame, y)
        .generate(model_df, frame.iloc[:30], 1 - y[:30], confidence=0.7)
    )
    assert isinstance(result.X, pd.DataFrame)
    np.testing.assert_array_equal(result.X["f1"], frame["f1"].iloc[:30])
    assert result.success.mean() > 0.9


def test_unknown_immutable_name_suggests_a_fix(binary):
    X, y = binary
    frame = pd.DataFrame(X, columns=["age", "income", "c", "d", "e", "f"])
    with pytest.raises(ValueError, match="Did you mean 'income'"):
        BlackBoxSearch(immutable=["incme"]).fit(frame, y)
    with pytest.raises(ValueError, match="in \\[0, 6\\)"):
        BlackBoxSearch(immutable=[9]).fit(X, y)


def test_integer_binary_and_one_hot_features_keep_their_type():
    rng = np.random.RandomState(0)
    n = 300
    cont = rng.normal(size=(n, 2))
    count = rng.randint(0, 10, size=(n, 1)).astype(float)
    flag = rng.randint(0, 2, size=(n, 1)).astype(float)
    cat = np.eye(3)[rng.randint(0, 3, size=n)]
    X = np.hstack([cont, count, flag, cat])
    y = ((cont[:, 0] + 0.3 * count[:, 0] - 1.5 + cat[:, 1] + flag[:, 0]) > 0).astype(
        int
    )
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(X, y)
    search = BlackBoxSearch().fit(X, y)
    assert [g.tolist() for g in search.one_hot_groups_] == [[4, 5, 6]]
    assert search.is_integer_[2:].all() and search.is_binary_[3:].all()
    result = search.generate(model, X[:60], 1 - y[:60], confidence=0.7)
    Xc = result.X
    assert result.success.mean() > 0.9
    np.testing.assert_array_equal(Xc[:, 2], np.round(Xc[:, 2]))
    assert set(np.unique(Xc[:, 3])) <= {0.0, 1.0}
    np.testing.assert_array_equal(Xc[:, 4:].sum(axis=1), 1.0)
    assert set(np.unique(Xc[:, 4:])) <= {0.0, 1.0}
    # given groups are used as they are
    assert (
        BlackBoxSearch(one_hot_groups=[[4, 5, 6]]).fit(X, y).one_hot_groups_[0].size
        == 3
    )
    assert BlackBoxSearch(one_hot_groups=None).fit(X, y).one_hot_groups_ == []


def test_source_values_outside_the_range_are_allowed(binary):
    X, y = binary
    model = LogisticRegression().fit(X, y)
    search = BlackBoxSearch().fit(X[:200], y[:200])
    far = X[200:230].copy()
    far[:, 0] = search.max_[0] + 5  # outside the observed range
    result = search.generate(model, far, 1 - model.predict(far), confidence=0.7)
    lower = np.minimum(search.min_, far)
    upper = np.maximum(search.max_, far)
    assert np.all(result.X >= lower - 1e-12) and np.all(result.X <= upper + 1e-12)


def test_scale_options(binary):
    X, y = binary
    np.testing.assert_allclose(BlackBoxSearch(scale="std").fit(X, y).scale_, X.std(0))
    np.testing.assert_allclose(BlackBoxSearch().fit(X, y).scale_, feature_scale(X))
    with pytest.raises(ValueError, match="one positive finite value per feature"):
        BlackBoxSearch(scale=[1.0, 2.0]).fit(X, y)


# -------------------------------------------------------------- regression
def test_regression_moves_the_prediction_halfway_to_the_truth():
    X, y = make_regression(n_samples=300, n_features=5, noise=10.0, random_state=0)
    model = DecisionTreeRegressor(max_depth=6, random_state=0).fit(X[:200], y[:200])
    search = BlackBoxSearch().fit(X[:200], y[:200])
    result = search.generate(model, X[200:260], y[200:260])
    f = model.predict(X[200:260])
    np.testing.assert_allclose(result.initial, f)
    np.testing.assert_allclose(result.target, f + 0.5 * (y[200:260] - f))
    assert result.target_class is None
    lo, hi = result.target_interval.T
    ok = (result.achieved >= lo) & (result.achieved <= hi)
    np.testing.assert_array_equal(ok, result.success)
    # a tree predicts a few values: every row whose interval holds the
    # prediction of some reference row reaches it
    pred_ref = model.predict(X[:200])
    reachable = ((pred_ref[None] >= lo[:, None]) & (pred_ref[None] <= hi[:, None])).any(
        1
    )
    assert reachable.mean() > 0.5
    assert result.success[reachable].all()
    assert result.n_changed[result.success].min() >= 1


def test_regression_target_value_and_interval():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(200, 3))
    y = X @ [2.0, -1.0, 0.5] + 1.0
    model = LinearRegression().fit(X, y)
    search = BlackBoxSearch().fit(X, y)
    result = search.generate(
        model, X[:20], y[:20], target=np.full(20, 1.5), tolerance=0.05
    )
    assert result.success.all()
    np.testing.assert_allclose(model.predict(result.X), 1.5, atol=0.05)
    interval = np.column_stack([np.full(20, 2.0), np.full(20, 3.0)])
    result = search.generate(model, X[:20], y[:20], target=interval)
    pred = model.predict(result.X)
    assert np.all((pred >= 2.0 - 1e-9) & (pred <= 3.0 + 1e-9))
    # linear regressor: the L1 optimum moves the best feature (then the next
    # where the first reaches the end of its range)
    assert np.median(result.n_changed) == 1


# ---------------------------------------------------------------- bad input
def test_generate_before_fit(iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    with pytest.raises(NotFittedError):
        BlackBoxSearch().generate(model, X[:3], y[:3])


def test_model_without_predict_proba(iris):
    X, y = iris
    search = BlackBoxSearch().fit(X, y)
    svc = SVC().fit(X, y)  # no probability=True
    with pytest.raises(TypeError, match="predict_proba"):
        search.generate(svc, X[:3], y[:3])
    with pytest.raises(TypeError, match="predict"):
        search.generate(object(), X[:3], y[:3])


def test_unknown_class_labels(iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    with pytest.raises(ValueError, match="not classes of the model"):
        BlackBoxSearch().fit(X, y).generate(model, X[:3], [0, 1, 7])


def test_wrong_width_and_lengths(iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    search = BlackBoxSearch().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features"):
        search.generate(model, X[:3, :3], y[:3])
    with pytest.raises(ValueError, match="same number of rows"):
        search.generate(model, X[:3], y[:4])
    with pytest.raises(ValueError, match="same number of rows"):
        BlackBoxSearch().fit(X, y[:10])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_and_inf_are_refused(iris, bad):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    search = BlackBoxSearch().fit(X, y)
    Xb = X[:3].copy()
    Xb[1, 2] = bad
    with pytest.raises(ValueError, match="NaN|infinity"):
        search.generate(model, Xb, y[:3])
    with pytest.raises(ValueError, match="NaN|infinity"):
        BlackBoxSearch().fit(np.vstack([X, Xb]), np.r_[y, y[:3]])
    with pytest.raises(ValueError, match="confidence"):
        search.generate(model, X[:3], y[:3], confidence=np.nan)


def test_bad_confidence_and_mixed_target_arguments(iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    search = BlackBoxSearch().fit(X, y)
    with pytest.raises(ValueError, match="probability in \\[0, 1\\]"):
        search.generate(model, X[:3], y[:3], confidence=1.5)
    with pytest.raises(ValueError, match="one value per row"):
        search.generate(model, X[:3], y[:3], confidence=[0.5, 0.6])
    with pytest.raises(ValueError, match="for regressors"):
        search.generate(model, X[:3], y[:3], target=[1, 2, 3])
    reg = LinearRegression().fit(X, y)
    with pytest.raises(ValueError, match="for classifiers"):
        search.generate(reg, X[:3], y[:3], confidence=0.5)
    with pytest.raises(ValueError, match="finite"):
        search.generate(reg, X[:3], [1.0, np.nan, 2.0])


@pytest.mark.parametrize("search", SEARCHES, ids=IDS)
def test_empty_batch_returns_an_empty_result(search, iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    result = clone(search).fit(X, y).generate(model, X[:0], y[:0])
    assert len(result) == 0 and result.X.shape == (0, 4)
    assert result.n_model_calls == 0 and result.n_success == 0
    frame = pd.DataFrame(X, columns=list("abcd"))
    model_df = LogisticRegression(max_iter=1000).fit(frame, y)
    result = clone(search).fit(frame, y).generate(model_df, frame.iloc[:0], y[:0])
    assert isinstance(result.X, pd.DataFrame) and result.X.shape == (0, 4)


def test_invalid_parameters_are_reported(iris):
    X, y = iris
    with pytest.raises(ValueError, match="alpha"):
        BlackBoxSearch(alpha=2.0).fit(X, y)
    with pytest.raises(ValueError, match="n_anchors"):
        BlackBoxSearch(n_anchors=0).fit(X, y)
    with pytest.raises(ValueError, match="lower bounds must not exceed"):
        BlackBoxSearch(feature_range=(1.0, 0.0)).fit(X, y)


# -------------------------------------------------------------- make_search
def test_make_search_picks_a_backend(iris):
    X, y = iris
    assert isinstance(make_search("auto", RandomForestClassifier()), BlackBoxSearch)
    assert isinstance(make_search("bisection"), BisectionSearch)
    assert isinstance(make_search("gradient"), GradientSearch)
    base = BlackBoxSearch(n_anchors=5)
    made = make_search(base, alpha=0.2)
    assert made is not base and made.n_anchors == 5 and made.alpha == 0.2
    with pytest.raises(ValueError, match="search must be"):
        make_search("annealing")


def test_skcoop_imports_without_torch():
    import subprocess
    import sys

    code = (
        "import sys; import skcoop.counterfactual, skcoop.metrics; "
        "from skcoop.counterfactual import make_search; "
        "make_search('auto', object()); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
