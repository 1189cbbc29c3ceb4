"""Warm refits: a student refitted from its fitted state lands where a cold refit does.

Convex learners within their solver's tolerance, iterative ones (MLP) within
their seed spread; tree ensembles and naive Bayes are always refitted cold;
the user's estimators and the members fitted alone are never modified.
"""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils._param_validation import InvalidParameterError

from skcoop import (
    CooperativeDistillationEnsemble,
    CooperativeDistillationRegressor,
    CounterfactualDistiller,
)
from skcoop._learn import learn
from skcoop._settings import Settings
from skcoop.silo import VirtualRows
from skcoop.silo import learn as silo_learn
from skcoop.utils import warm_student


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        1200, 8, n_informative=5, n_redundant=1, random_state=0, flip_y=0.05
    )
    site = np.where(X[:, 0] > 0, 0, 1)
    site[::4] = 2
    return X, y, site


def _ensemble(student, warm, **kw):
    return CooperativeDistillationEnsemble(
        [
            ("student", student),
            ("tree", DecisionTreeClassifier(max_depth=4, random_state=0)),
            ("nb", GaussianNB()),
        ],
        warm_refit=warm,
        random_state=0,
        **kw,
    )


def _final(est):
    return est[-1] if hasattr(est, "steps") else est


def _learnt(data, student, warm, **kw):
    X, y, site = data
    ens = _ensemble(student, warm, **kw).fit(X, y, site=site)
    assert ens.virtual_instances_["student"] is not None  # it was refitted
    return ens


@pytest.mark.parametrize(
    "student",
    [
        LogisticRegression(tol=1e-10, max_iter=5000),
        make_pipeline(StandardScaler(), LogisticRegression(tol=1e-10, max_iter=5000)),
    ],
    ids=["logistic", "scaler+logistic"],
)
def test_convex_warm_refit_lands_on_the_cold_optimum(data, student):
    cold = _learnt(data, student, False)
    warm = _learnt(data, student, True)
    c, w = (
        _final(cold.named_estimators_["student"]),
        _final(warm.named_estimators_["student"]),
    )
    # the same lesson (one round: the same virtual rows), the same optimum
    np.testing.assert_allclose(w.coef_, c.coef_, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(w.intercept_, c.intercept_, rtol=1e-4, atol=1e-5)
    if hasattr(student, "steps"):
        # the pipeline's scaler is refitted on the augmented rows, as cold
        np.testing.assert_allclose(
            warm.named_estimators_["student"][0].mean_,
            cold.named_estimators_["student"][0].mean_,
        )
    # the refitted student keeps its user's parameters
    # (the repr lists every parameter off its default: warm_start=True would show)
    assert repr(warm.named_estimators_["student"]) == repr(student)


def test_default_tolerance_gives_the_cold_predictions(data):
    X, y, _ = data
    student = make_pipeline(StandardScaler(), LogisticRegression())
    cold = _learnt(data, student, False, n_rounds=2)
    warm = _learnt(data, student, True, n_rounds=2)
    pc = cold.named_estimators_["student"].predict_proba(X)
    pw = warm.named_estimators_["student"].predict_proba(X)
    assert np.max(np.abs(pc - pw)) < 0.02
    assert np.mean(pc.argmax(1) == pw.argmax(1)) > 0.99


def _one_step(X, y):
    """A one-iteration student set at a converged fit's coefficients."""
    good = LogisticRegression().fit(X, y)
    fitted = clone(good).set_params(max_iter=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitted.fit(X, y)
    fitted.coef_, fitted.intercept_ = good.coef_.copy(), good.intercept_.copy()
    return fitted


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_refit_starts_from_the_fitted_state():
    """One solver iteration from the fitted state stays by it; from zero, not."""
    X, y = make_classification(300, 4, random_state=1)
    fitted = _one_step(X[:200], y[:200])
    before = fitted.coef_.copy()
    template = LogisticRegression(max_iter=1)
    store = _store(X[200:], y[200:])
    kw = dict(params={}, classes=None, weights_routed=False, fitted=fitted)
    warm = learn("m", template, X[:200], y[:200], store, settings=Settings(), **kw)
    cold = learn(
        "m",
        template,
        X[:200],
        y[:200],
        store,
        settings=Settings(warm_refit=False),
        **kw,
    )
    optimum = LogisticRegression().fit(X, y).coef_
    assert np.abs(warm.coef_ - optimum).max() < 0.3 * np.abs(cold.coef_ - optimum).max()
    # never modified: the fitted member and the template
    np.testing.assert_array_equal(fitted.coef_, before)
    assert fitted.warm_start is False and template.warm_start is False
    assert warm.warm_start is False  # its user's parameter again
    # a fitted model with other parameters than the template's starts cold
    other = learn(
        "m",
        LogisticRegression(max_iter=1, C=0.5),
        X[:200],
        y[:200],
        store,
        settings=Settings(),
        **kw,
    )
    assert (
        np.abs(other.coef_ - optimum).max() > 0.3 * np.abs(cold.coef_ - optimum).max()
    )


def _store(X, y):
    from skcoop._records import VirtualBatch

    n = len(y)
    return VirtualBatch(
        student="m",
        X=X,
        y=y,
        teacher=np.full(n, "t", dtype=object),
        source_index=np.full(n, -1),
        round=np.zeros(n, dtype=int),
    )


def test_mlp_warm_refit_within_the_seed_spread(data):
    X, y, _ = data
    scores = {False: [], True: []}
    for seed in range(3):
        mlp = MLPClassifier((16,), max_iter=300, random_state=seed)
        for warm in (False, True):
            ens = _learnt(data, mlp, warm)
            scores[warm].append(ens.named_estimators_["student"].score(X, y))
    cold, warm = np.array(scores[False]), np.array(scores[True])
    spread = max(np.ptp(cold), 0.01)
    assert abs(warm.mean() - cold.mean()) <= 2 * spread, (cold, warm)


@pytest.mark.parametrize(
    "student",
    [
        RandomForestClassifier(10, random_state=0),
        GaussianNB(),
        make_pipeline(
            StandardScaler(), MLPClassifier((8,), max_iter=50, random_state=0)
        ),
        LogisticRegression(solver="liblinear"),
    ],
    ids=["forest", "naive-bayes", "scaler+mlp", "liblinear"],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_other_learners_are_refitted_cold(data, student):
    X, _, _ = data
    cold = _learnt(data, student, False)
    warm = _learnt(data, student, True)
    np.testing.assert_array_equal(
        cold.named_estimators_["student"].predict_proba(X),
        warm.named_estimators_["student"].predict_proba(X),
    )
    if isinstance(student, RandomForestClassifier):
        assert len(warm.named_estimators_["student"].estimators_) == 10


def test_warm_student_needs_the_same_classes_and_columns():
    X, y = make_classification(200, 4, random_state=2)
    lr = LogisticRegression().fit(X, y)
    assert warm_student(LogisticRegression(), lr, np.array([0, 1]), 4) is not None
    # a class the fitted student never saw: LogisticRegression cannot grow it
    assert warm_student(LogisticRegression(), lr, np.array([0, 1, 2]), 4) is None
    assert warm_student(LogisticRegression(), lr, np.array([0, 1]), 5) is None
    assert warm_student(LogisticRegression(), None, np.array([0, 1]), 4) is None
    # a fitted model of another type than the template's
    sgd = SGDClassifier(random_state=0).fit(X, y)
    assert warm_student(LogisticRegression(), sgd, np.array([0, 1]), 4) is None


def test_a_pipeline_warm_starts_only_after_scalers():
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    y = np.array([0, 0, 1, 1])
    scaled = make_pipeline(StandardScaler(), LogisticRegression())
    assert warm_student(scaled, clone(scaled).fit(X, y), np.array([0, 1]), 2)
    # an encoder's width follows the categories it meets: refit cold
    encoded = make_pipeline(
        make_column_transformer((OneHotEncoder(), [1]), remainder="passthrough"),
        LogisticRegression(),
    )
    fitted = clone(encoded).fit(X, y)
    assert warm_student(encoded, fitted, np.array([0, 1]), 2) is None


def test_the_members_fitted_alone_are_not_modified(data):
    student = LogisticRegression()
    warm = _learnt(data, student, True, n_rounds=2)
    cold = _learnt(data, student, False, n_rounds=2)
    alone = warm.named_initial_estimators_["student"]
    np.testing.assert_array_equal(
        alone.coef_, cold.named_initial_estimators_["student"].coef_
    )
    assert alone.warm_start is False and student.warm_start is False
    assert not hasattr(student, "coef_")


def test_warm_refit_is_a_parameter_of_the_estimator_contract(data):
    X, y, site = data
    ens = _ensemble(LogisticRegression(), True)
    assert ens.get_params()["warm_refit"] is True
    grid = GridSearchCV(ens, {"warm_refit": [True, False]}, cv=2)
    grid.fit(X, y, site=site)
    assert sorted(grid.cv_results_["param_warm_refit"]) == [False, True]
    with pytest.raises(InvalidParameterError, match="'warm_refit' parameter.*Got 'no'"):
        _ensemble(LogisticRegression(), "no").fit(X, y, site=site)
    dist = CounterfactualDistiller(warm_refit=False)
    assert dist.settings("impute").warm_refit is False
    assert CooperativeDistillationRegressor([]).get_params()["warm_refit"] is True


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_silo_learn_starts_from_the_site_model_it_is_given():
    X, y = make_classification(300, 4, random_state=3)
    fitted = _one_step(X[:200], y[:200])
    before = fitted.coef_.copy()
    sent = VirtualRows(X[200:], y[200:], teacher="a", student="b")
    warm = silo_learn(fitted, X[:200], y[:200], [sent])
    cold = silo_learn(fitted, X[:200], y[:200], [sent], warm_refit=False)
    optimum = LogisticRegression().fit(X, y).coef_
    assert np.abs(warm.coef_ - optimum).max() < 0.3 * np.abs(cold.coef_ - optimum).max()
    np.testing.assert_array_equal(fitted.coef_, before)
    assert fitted.warm_start is False and warm.warm_start is False
