"""The per-site steps and the fit driver: settings, scopes, out-of-fold judge."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop import CooperativeDistillationEnsemble
from skcoop._expertise import out_of_fold_errors
from skcoop._judge import ClassJudge, ToleranceJudge
from skcoop.distill import SoftTargetDistiller


def _data():
    X, y = load_breast_cancer(return_X_y=True)
    return X[:240], y[:240], np.arange(240) % 3


def _members():
    return [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
        ("tree", DecisionTreeClassifier(max_depth=4, random_state=0)),
        ("nb", GaussianNB()),
    ]


@pytest.mark.parametrize(
    "param, value",
    [
        ("alpha", 0.3),
        ("scope", "deficiency"),
        ("expertise", "in_sample"),
        ("dedupe", False),
        ("acceptance", 0.2),
    ],
)
def test_kd_distiller_refuses_cooperative_settings(param, value):
    X, y, site = _data()
    ens = CooperativeDistillationEnsemble(
        _members(), distiller=SoftTargetDistiller(), **{param: value}
    )
    with pytest.raises(ValueError, match=f"{param}=.*only apply to cooperative"):
        ens.fit(X, y, site=site)


def test_kd_distiller_with_default_settings_fits():
    X, y, site = _data()
    ens = CooperativeDistillationEnsemble(
        _members(), distiller=SoftTargetDistiller(), random_state=0
    ).fit(X, y, site=site)
    assert len(ens.transfer_report_["found"]) == 0


def test_expertise_scope_teaches_every_expert_row():
    X, y, site = _data()
    deficiency = CooperativeDistillationEnsemble(
        _members(), scope="deficiency", random_state=0
    ).fit(X, y, site=site)
    expertise = CooperativeDistillationEnsemble(
        _members(), scope="expertise", random_state=0
    ).fit(X, y, site=site)
    rep_d, rep_e = deficiency.transfer_report_, expertise.transfer_report_
    for teacher in ("logreg", "tree", "nb"):
        d = rep_d["qualifying"][rep_d["teacher"] == teacher]
        e = rep_e["qualifying"][rep_e["teacher"] == teacher]
        # every student is offered the same rows: the teacher's expertise set
        per_student = {
            s: rep_e["qualifying"][
                (rep_e["teacher"] == teacher) & (rep_e["student"] == s)
            ].sum()
            for s in set(rep_e["student"][rep_e["teacher"] == teacher])
        }
        assert len(set(per_student.values())) == 1
        assert e.sum() >= d.sum()
    assert sum(len(v["y"]) for v in expertise.virtual_instances_.values()) > sum(
        len(v["y"]) for v in deficiency.virtual_instances_.values()
    )


def test_out_of_fold_errors_are_errors_of_fits_without_the_row():
    # a 1-nearest-neighbour-like tree is right on every training row in-sample,
    # but out of fold it errs on the row whose label contradicts its neighbours
    X = np.array([[0.0], [0.1], [0.2], [0.3], [1.0], [1.1], [1.2], [1.3], [0.15]])
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 1])
    tree = DecisionTreeClassifier(random_state=0)
    judge = ClassJudge(np.array([0, 1]))
    in_sample = judge.errors(tree.fit(X, y), X, y)
    assert in_sample.sum() == 0
    oof = out_of_fold_errors(tree, X, y, judge, in_sample=in_sample, n_folds=3, seed=0)
    assert oof[-1] == 1.0  # the contradicting row
    assert set(np.unique(oof)) <= {0.0, 1.0}


def test_tolerance_judge_bound_is_weighted_quantile():
    judge = ToleranceJudge("auto", 0.5)
    assert judge.bound(np.array([3.0, 1.0, 2.0])) == 2.0
    assert judge.bound(np.array([3.0, 1.0, 2.0]), np.array([5, 1, 1])) == 3.0
    assert ToleranceJudge(0.7, 0.5).bound(np.array([3.0])) == 0.7


def test_fit_leaves_no_scratch_attributes():
    X, y, site = _data()
    ens = CooperativeDistillationEnsemble(_members(), random_state=0).fit(
        X, y, site=site
    )
    private = {k for k in vars(ens) if k.startswith("_") and not k.startswith("__")}
    assert private <= {"_le", "_column_kinds", "_sklearn_output_config"}, private


def test_empty_site_warning_points_at_the_callers_line():
    X, y, _ = _data()
    ens = CooperativeDistillationEnsemble(_members(), random_state=0)
    with pytest.warns(Warning) as record:
        ens.fit(X, y, site=np.arange(len(y)) % 2)
    (empty,) = [w for w in record if w.category.__name__ == "EmptySiteWarning"]
    assert empty.filename == __file__


def test_release_guard_keeps_rows_away_from_the_teachers_records():
    from scipy.spatial.distance import cdist

    from skcoop.privacy import site_scale

    X, y, site = _data()
    names = ["logreg", "tree", "nb"]
    ens = CooperativeDistillationEnsemble(
        _members(), prototype_k=5, min_distance=0.75, random_state=0
    ).fit(X, y, site=site)
    report = ens.transfer_report_
    assert report["found"].sum() > 0
    assert (report["guarded"] + report["dropped"]).sum() > 0
    n_checked = 0
    for v in ens.virtual_instances_.values():
        for teacher in set(v["teacher"]):
            rows = X[site == names.index(teacher)]
            scale = site_scale(rows)
            d_site = cdist(rows / scale, rows / scale, "cityblock")
            np.fill_diagonal(d_site, np.inf)
            nn = np.median(d_site.min(axis=1))
            mine = v["X"][v["teacher"] == teacher]
            d = cdist(mine / scale, rows / scale, "cityblock").min(axis=1)
            assert np.all(d >= 0.75 * nn - 1e-9)
            n_checked += len(mine)
    assert n_checked > 0


def test_release_guard_prototypes_are_means_of_site_rows():
    X, y, site = _data()
    ens = CooperativeDistillationEnsemble(
        _members(), prototype_k=3, random_state=0
    ).fit(X, y, site=site)
    v = ens.virtual_instances_["nb"]
    assert len(v["y"]) > 0
    for row, label, teacher in zip(v["X"], v["y"], v["teacher"]):
        rows = X[(site == ["logreg", "tree", "nb"].index(teacher)) & (y == label)]
        # a prototype lies inside the hull of its class's rows: between the
        # column-wise extremes of the teacher's class
        assert np.all(row >= rows.min(axis=0) - 1e-9)
        assert np.all(row <= rows.max(axis=0) + 1e-9)


def test_acceptance_keeps_alone_where_distillation_hurts_every_holdout():
    # member "flip" learns only from a teacher whose labels are inverted on
    # its site: distilled, it is worse on every holdout, so it stays alone
    X, y, site = _data()
    y_bad = y.copy()
    y_bad[site == 0] = 1 - y_bad[site == 0]
    ens = CooperativeDistillationEnsemble(
        [("liar", GaussianNB()), ("flip", GaussianNB()), ("honest", GaussianNB())],
        acceptance=0.25,
        random_state=0,
    ).fit(X, y_bad, site=site)
    report = ens.acceptance_
    assert set(report) == {
        "member",
        "alone",
        "distilled",
        "kept",
        "reason",
        "n_holdout",
    }
    assert list(report["member"]) == ["liar", "flip", "honest"]
    for kept, alone, distilled in zip(
        report["kept"], report["alone"], report["distilled"]
    ):
        assert kept == ("distilled" if distilled >= alone else "alone")
    # a member that stays alone is the member fitted on all its own rows
    for name, kept in zip(report["member"], report["kept"]):
        if kept == "alone":
            assert ens.named_estimators_[name] is ens.named_initial_estimators_[name]
            assert len(ens.virtual_instances_[name]["y"]) == 0


def test_acceptance_split_is_stratified_and_disjoint():
    from skcoop._acceptance import holdout_split
    from skcoop._context import Member

    y = np.array([0] * 10 + [1] * 10)
    member = Member("m", None, None, [0], np.arange(20), np.zeros((20, 1)), y)
    train, out = holdout_split(member, 0.2, 0, stratify=True)
    assert len(out) == 4 and set(train).isdisjoint(out)
    assert np.bincount(y[out]).tolist() == [2, 2]
    tiny = Member("m", None, None, [0], np.arange(2), np.zeros((2, 1)), y[:2])
    assert holdout_split(tiny, 0.2, 0, stratify=True)[1].size == 0


def test_site_names_as_object_array_and_series():
    import pandas as pd

    X, y, site = _data()
    names = np.array(["logreg", "tree", "nb"], dtype=object)[site]
    for given in (names, pd.Series(names), list(names)):
        ens = CooperativeDistillationEnsemble(_members(), n_rounds=0).fit(
            X, y, site=given
        )
        assert dict(ens.n_rows_) == {"logreg": 80, "tree": 80, "nb": 80}
