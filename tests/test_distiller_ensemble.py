"""Classic KD strategies inside the ensemble: distiller=, grid search over them."""

import numpy as np
import pytest
from sklearn.datasets import load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop import CooperativeDistillationEnsemble
from skcoop.distill import PartitionedDistiller, SoftTargetDistiller


def _members():
    return [
        ("lr", make_pipeline(StandardScaler(), LogisticRegression())),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("nb", GaussianNB()),
    ]


def test_soft_target_distiller_refits_every_student_without_virtual_rows():
    X, y = load_iris(return_X_y=True)
    site = np.arange(len(y)) % 3
    ens = CooperativeDistillationEnsemble(
        _members(),
        distiller=SoftTargetDistiller(temperature=3.0, weight=0.7),
        random_state=0,
    ).fit(X, y, site=site)
    assert all(len(v.y) == 0 for v in ens.virtual_instances_.values())
    assert len(ens.transfer_report_["round"]) == 0
    for name in ("lr", "tree", "nb"):
        assert ens.named_estimators_[name] is not ens.named_initial_estimators_[name]
    # the tree student learned from soft targets: its leaves hold soft counts
    tree = ens.named_estimators_["tree"]
    assert not np.allclose(tree.predict_proba(X).max(axis=1), 1.0)
    assert ens.score(X, y) > 0.9


def test_distiller_students_follow_teachers_with_columns():
    X, y = load_wine(return_X_y=True, as_frame=True)
    cols = list(X.columns)
    ens = CooperativeDistillationEnsemble(
        [("a", GaussianNB(), cols[:7]), ("b", GaussianNB(), cols[4:])],
        distiller=PartitionedDistiller(),
        random_state=0,
    ).fit(X, y, site=np.arange(len(y)) % 2)
    assert list(ens.named_estimators_["a"].feature_names_in_) == cols[:7]
    assert ens.score(X, y) > 0.9


def test_grid_search_over_strategy_and_temperature_weight():
    X, y = load_iris(return_X_y=True)
    site = np.arange(len(y)) % 3
    ens = CooperativeDistillationEnsemble(_members(), random_state=0)
    grid = GridSearchCV(
        ens,
        [
            {"distiller": ["counterfactual"], "alpha": [0.5]},
            {
                "distiller": [SoftTargetDistiller()],
                "distiller__temperature": [1.0, 4.0],
                "distiller__weight": [0.3, 0.9],
            },
        ],
        cv=3,
    )
    grid.fit(X, y, site=site)
    assert len(grid.cv_results_["params"]) == 1 + 4
    temps = [p.get("distiller__temperature") for p in grid.cv_results_["params"]]
    assert sorted(t for t in temps if t is not None) == [1.0, 1.0, 4.0, 4.0]
    assert grid.best_score_ > 0.85


def test_invalid_distiller():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="distiller"):
        CooperativeDistillationEnsemble(_members(), distiller="kd").fit(X, y)


@pytest.mark.parametrize("distiller", [SoftTargetDistiller(), PartitionedDistiller()])
def test_kd_pipeline_student_weights_mean_repetition(distiller):
    """A Pipeline student's scaler is weighted too: weights equal repeated rows.

    With the weights on the last step only, the two fits differed by about
    0.008 in probability.
    """
    X, y = load_iris(return_X_y=True)
    w = np.random.RandomState(0).randint(0, 3, len(y))
    site = np.arange(len(y)) % 2

    def make():
        return CooperativeDistillationEnsemble(
            [
                ("pipe", make_pipeline(StandardScaler(), LogisticRegression())),
                ("nb", GaussianNB()),
            ],
            distiller=distiller,
            random_state=0,
        )

    weighted = make().fit(X, y, site=site, sample_weight=w)
    rows = np.repeat(np.arange(len(y)), w)
    repeated = make().fit(X[rows], y[rows], site=site[rows])
    np.testing.assert_allclose(
        weighted.named_estimators_["pipe"].predict_proba(X),
        repeated.named_estimators_["pipe"].predict_proba(X),
        atol=1e-7,
    )
