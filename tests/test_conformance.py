"""The estimator contract on skcoop's other public objects (issue 14, item 5).

scikit-learn's full suite on the counterfactual searches (they are
estimators with ``fit``), and skcoop's parameter-contract checks
(:mod:`skcoop.utils.estimator_checks`) where the full suite does not apply:
:class:`~skcoop.views.ColumnMapper` (fitted on a student's rows, transforms
rows of another column set), the partitioners (``split``, no ``fit``) and the
searches' ``generate``.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skcoop import CooperativeDistillationEnsemble
from skcoop.counterfactual import (
    BisectionSearch,
    BlackBoxSearch,
    ExactSearch,
    LinearModelSearch,
    NaiveBayesSearch,
    NeighborsSearch,
    TreeSearch,
)
from skcoop.distill import (
    MutualLearningDistiller,
    PartitionedDistiller,
    SoftTargetDistiller,
)
from skcoop.partition import (
    ClassExclusionPartitioner,
    DirichletPartitioner,
    FeatureViewPartitioner,
    IIDPartitioner,
    QuantitySkewPartitioner,
)
from skcoop.utils import feature_scale
from skcoop.utils.estimator_checks import contract_checks
from skcoop.views import ColumnMapper

RNG = np.random.RandomState(0)
X = RNG.normal(size=(60, 4))
Y = (X[:, 0] + X[:, 1] > 0).astype(int)
FRAME = pd.DataFrame(X, columns=["a", "b", "c", "d"]).assign(
    town=np.array(["x", "y", "z"], dtype=object)[np.arange(60) % 3]
)
MODEL = LogisticRegression().fit(X, Y)


def _searches():
    yield BlackBoxSearch()
    yield BisectionSearch()
    yield ExactSearch()
    yield LinearModelSearch()
    yield TreeSearch()
    yield NaiveBayesSearch()
    yield NeighborsSearch()
    try:
        from skcoop.counterfactual import GradientSearch

        pytest.importorskip("torch")
        yield GradientSearch()
    except ImportError:  # pragma: no cover
        return


_XREF = (
    "A search is fitted on reference rows, fit(X_ref, y_ref): the names "
    "say what the rows are (a teacher's own rows), not training data"
)
SEARCH_EXPECTED_FAILURES = {
    "check_fit_score_takes_y": _XREF + ".",
    "check_sample_weight_equivalence_on_dense_data": _XREF
    + ", and the check passes y by keyword; weights as repetition are "
    "tested directly in test_search_weights_mean_repetition.",
}


@parametrize_with_checks(
    list(_searches()), expected_failed_checks=lambda est: SEARCH_EXPECTED_FAILURES
)
def test_searches_sklearn_checks(estimator, check):
    check(estimator)


# ------------------------------------------------------- contract checks
def _map(mapper, X_student, X_teacher):
    return mapper.fit(X_student).transform(X_teacher)


def _split(part, X, y):
    return part.split(X, y)


def _split_columns(part, X, y):
    return part.split(X, y), part.split_columns(X)


def _search(search, X, y):
    return search.fit(X, y).generate(MODEL, X[:5], y[:5]).X


def _distill(distiller, X, y):
    """A KD strategy's work: the ensemble's fit with it (its parameters checked)."""
    first = ("lr", LogisticRegression())
    if isinstance(distiller, MutualLearningDistiller):  # peers step by step
        first = ("sgd", SGDClassifier(loss="log_loss", random_state=0))
    ens = CooperativeDistillationEnsemble(
        [first, ("nb", GaussianNB())],
        distiller=distiller,
        random_state=0,
    )
    return ens.fit(X, y, site=np.arange(len(y)) % 2).predict_proba(X)


CASES = [
    (ColumnMapper([0, 1], [0, 2]), _map, (X[:, [0, 2]], X[:, [0, 1]])),
    (
        ColumnMapper(["a", "town"], ["a", "b", "town"], fill="impute"),
        _map,
        (FRAME[["a", "b", "town"]], FRAME[["a", "town"]]),
    ),
    (IIDPartitioner(n_sites=3, random_state=0), _split, (X, Y)),
    (DirichletPartitioner(n_sites=2, alpha=1.0, random_state=0), _split, (X, Y)),
    (ClassExclusionPartitioner(n_sites=2, random_state=0), _split, (X, Y)),
    (QuantitySkewPartitioner(n_sites=2, random_state=0), _split, (X, Y)),
    (FeatureViewPartitioner(n_sites=2, random_state=0), _split_columns, (FRAME, Y)),
    (BlackBoxSearch(), _search, (X, Y)),
    (BisectionSearch(), _search, (X, Y)),
    (ExactSearch(), _search, (X, Y)),
    (SoftTargetDistiller(), _distill, (X, Y)),
    (PartitionedDistiller(), _distill, (X, Y)),
    (MutualLearningDistiller(max_epochs=2), _distill, (X, Y)),
]


def _consolidate(consolidator, X, y):
    """A federated consolidation: fit on the clients' rows (and a transfer set)."""
    if hasattr(consolidator, "estimators"):  # cooperative, then KD
        consolidator.fit(X[:40], y[:40], site=np.arange(40) % 2, X_transfer=X[40:])
    else:
        consolidator.fit(X[40:])
    return consolidator.predict_proba(X)


def _consolidator_cases():
    """The federated consolidators (torch and skorch), with small students."""
    try:
        import skorch  # noqa: F401
        import torch  # noqa: F401

        from skcoop.federated import (
            CooperativeConsolidator,
            KDConsolidator,
            make_mlp_net,
        )
    except ImportError:  # pragma: no cover
        return []
    Xf = X.astype(np.float32)
    teachers = [LogisticRegression().fit(X[:30], Y[:30]), GaussianNB().fit(X, Y)]
    student = make_mlp_net(4, 2, hidden=4, max_epochs=2, random_state=0)
    kd = KDConsolidator(teachers, n_classes=2, student=student, random_state=0)
    members = [("lr", LogisticRegression()), ("nb", GaussianNB())]
    coop = CooperativeConsolidator(
        members, kd=KDConsolidator([], n_classes=2, student=student), random_state=0
    )
    return [(kd, _consolidate, (Xf, Y)), (coop, _consolidate, (Xf, Y))]


def _contract_params():
    for i, (est, call, data) in enumerate(CASES + _consolidator_cases()):
        for check in contract_checks(est, call, data):
            yield pytest.param(
                est, check, id=f"{type(est).__name__}-{i}-{check.__name__}"
            )


@pytest.mark.parametrize("estimator, check", list(_contract_params()))
def test_parameter_contract(estimator, check):
    check(estimator)


# ------------------------------------------------- sample_weight in searches
@pytest.mark.parametrize("search", [BlackBoxSearch(), BisectionSearch()], ids=str)
@pytest.mark.parametrize("scale", ["mad", "std"])
def test_search_weights_mean_repetition(search, scale):
    rng = np.random.RandomState(1)
    weight = rng.randint(0, 4, size=len(Y))
    X_rep, y_rep = np.repeat(X, weight, axis=0), np.repeat(Y, weight)
    weighted = search.set_params(scale=scale).fit(X, Y, sample_weight=weight)
    repeated = type(search)(scale=scale).fit(X_rep, y_rep)
    np.testing.assert_allclose(weighted.scale_, repeated.scale_, rtol=1e-12)
    np.testing.assert_array_equal(weighted.min_, repeated.min_)
    # rows of weight 0 are no reference rows
    assert weighted.X_ref_.shape[0] == int(np.sum(weight > 0))
    with pytest.raises(ValueError, match="[Nn]egative"):
        type(search)().fit(X, Y, sample_weight=-np.ones(len(Y)))


class _BatchNoiseRegressor(RegressorMixin, BaseEstimator):
    """A linear model whose output moves by a few ulps with its batch's size.

    As a BLAS product does with the other rows of its batch: a row repeated
    in a batch, or given once with a weight, is evaluated among other rows.
    """

    def __init__(self, coef=None):
        self.coef = coef

    def fit(self, X, y):
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X):
        out = np.asarray(X, dtype=float) @ self.coef
        sign = 1.0 if len(out) % 2 else -1.0
        return out * (1.0 + sign * 4 * np.finfo(float).eps)


def test_search_weights_mean_repetition_in_regression():
    """The search for a row does not depend on the rows searched with it.

    Two causes made a repeated row and a weighted one differ: the tolerance
    floor (1% of the scale of ``y_ref``) was the unweighted MAD, and on a
    linear model half of the jump to the target lands exactly on the lower
    edge of the interval, where an ulp of the model's output (the other
    rows of its batch) decided whether the point counted.
    """
    rng = np.random.RandomState(0)
    X_reg = rng.uniform(size=(12, 4))
    y_reg = X_reg @ np.array([2.0, 1.0, -1.0, 0.5])
    weight = rng.randint(0, 4, size=12)
    keep = weight > 0
    model = _BatchNoiseRegressor(np.array([1.0, -2.0, 0.5, 3.0])).fit(X_reg, y_reg)
    X_rep, y_rep = np.repeat(X_reg, weight, axis=0), np.repeat(y_reg, weight)
    repeated = BlackBoxSearch().fit(X_rep, y_rep)
    weighted = BlackBoxSearch().fit(X_reg, y_reg, sample_weight=weight)
    # the tolerance floor (1% of the scale of y_ref) is weighted as a repetition
    floor = 0.01 * feature_scale(y_rep[:, None])[0]
    assert weighted._y_floor(y_reg) == pytest.approx(floor)
    assert repeated._y_floor(y_reg) == pytest.approx(floor)
    # every row searched alone, and all in one batch (repeated, or once each)
    alone = [
        weighted.generate(model, X_reg[[i]], y_reg[[i]]).X[0]
        for i in np.flatnonzero(keep)
    ]
    together = weighted.generate(model, X_reg[keep], y_reg[keep])
    in_repeats = repeated.generate(model, X_rep, y_rep)
    first = np.cumsum(weight)[keep] - weight[keep]
    np.testing.assert_allclose(together.X, alone, atol=1e-9)
    np.testing.assert_allclose(in_repeats.X[first], together.X, atol=1e-9)
    np.testing.assert_allclose(
        in_repeats.target_interval[first], together.target_interval, rtol=1e-12
    )


@pytest.mark.parametrize(
    "model",
    [DecisionTreeClassifier(max_depth=3, random_state=0), GaussianNB()],
    ids=lambda m: type(m).__name__,
)
def test_search_anchors_count_a_repeated_row_once(model):
    """A row given twice is one reference row with weight 2, not two anchors.

    The anchors (nearest reference rows that meet the target) and the local
    slopes read from the reference rows took a repeated row several times;
    a row given once with a weight only once.
    """
    weight = np.random.RandomState(2).randint(0, 4, size=len(Y))
    X_rep, y_rep = np.repeat(X, weight, axis=0), np.repeat(Y, weight)
    model = model.fit(X_rep, y_rep)
    order = np.random.RandomState(3).permutation(len(Y))
    repeated = BlackBoxSearch().fit(X_rep, y_rep)
    weighted = BlackBoxSearch().fit(X[order], Y[order], sample_weight=weight[order])
    assert repeated.X_ref_.shape[0] == int(np.sum(weight > 0))
    np.testing.assert_allclose(repeated.scale_, weighted.scale_, rtol=1e-12)
    rows = np.flatnonzero(weight > 0)
    a = repeated.generate(model, X[rows], 1 - Y[rows])
    b = weighted.generate(model, X[rows], 1 - Y[rows])
    np.testing.assert_allclose(a.X, b.X, atol=1e-9)
    np.testing.assert_array_equal(a.success, b.success)


def test_search_reference_rows_of_a_frame_count_repeats():
    frame = FRAME.iloc[[0, 1, 0, 2, 1, 0]]
    search = BlackBoxSearch().fit(frame, Y[[0, 1, 0, 2, 1, 0]])
    weighted = BlackBoxSearch().fit(
        FRAME.iloc[[0, 1, 2]], Y[[0, 1, 2]], sample_weight=[3, 2, 1]
    )
    assert search.X_ref_.shape[0] == 3
    np.testing.assert_array_equal(search.X_ref_, weighted.X_ref_)
    np.testing.assert_allclose(search.column_scale_, weighted.column_scale_)
    assert not np.allclose(
        search.column_scale_, BlackBoxSearch().fit(FRAME.iloc[[0, 1, 2]]).column_scale_
    )
