"""CooperativeDistillationEnsemble: exact small cases, bad input, round trips."""

import pickle
import re

import numpy as np
import pandas as pd
import pytest
from _doubles import (
    FailingClassifier,
    NoProbaClassifier,
    NoWeightClassifier,
    ThresholdClassifier,
)
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    LeaveOneGroupOut,
    cross_validate,
    train_test_split,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop import CooperativeDistillationEnsemble, EmptySiteWarning

# Two rule members: "a" splits on x0 > 0, "b" on x1 > 0.
#            x0  x1  y  site   a right?  b right?
TOY = np.array(
    [
        [3, 1, 1, 0],  #  yes  yes
        [1, -1, 1, 0],  # yes  no    -> R(a->b)
        [-1, 1, 0, 0],  # yes  no    -> R(a->b)
        [-1, 1, 1, 0],  # no   yes   (b right, but on a's rows: not b's expertise)
        [-3, -1, 0, 0],  # yes yes
        [-1, 1, 1, 1],  # no   yes   -> R(b->a)
        [1, -1, 0, 1],  # no   yes   -> R(b->a)
        [1, 3, 1, 1],  # yes  yes
        [-1, -3, 0, 1],  # yes yes
    ],
    dtype=float,
)
X_TOY, Y_TOY, SITE_TOY = TOY[:, :2], TOY[:, 2].astype(int), TOY[:, 3].astype(int)


# the paper's settings, unguarded as in the paper (the release guard is on
# by default; these tests check the counterfactual mechanics exactly)
PAPER = {"scope": "deficiency", "expertise": "in_sample", "guard": None}


def _toy_ensemble(**params):
    """The two rule members with the paper's settings (unless overridden)."""
    return CooperativeDistillationEnsemble(
        [("a", ThresholdClassifier(feature=0)), ("b", ThresholdClassifier(feature=1))],
        counterfactual="bisection",
        **{**PAPER, **params},
    )


def test_toy_expertise_scope_teaches_every_row_the_teacher_is_right_on():
    # scope="expertise": a teaches b every row of its own it is right on
    # (rows 0, 1, 2, 4), b teaches a rows 5, 6, 7, 8; a rule member is right
    # out of fold where it is right in-sample (its rule does not depend on
    # the rows)
    ens = _toy_ensemble(scope="expertise").fit(X_TOY, Y_TOY, site=SITE_TOY)
    rep = _report(ens)
    assert rep[("a", "b", 0)][0] + rep[("a", "b", 1)][0] == 4
    assert rep[("b", "a", 0)][0] + rep[("b", "a", 1)][0] == 4
    found = {
        name: sorted(ens.virtual_instances_[name].source_index.tolist())
        for name in "ab"
    }
    assert set(found["b"]) <= {0, 1, 2, 4} and {1, 2} <= set(found["b"])
    assert set(found["a"]) <= {5, 6, 7, 8} and {5, 6} <= set(found["a"])


def _report(ens):
    rep = pd.DataFrame(ens.transfer_report_)
    return {
        (r.teacher, r.student, r["class"]): (r.qualifying, r.found, r.kept)
        for _, r in rep.iterrows()
    }


def test_toy_site_local_virtual_instances_exact():
    ens = _toy_ensemble().fit(X_TOY, Y_TOY, site=SITE_TOY)
    vb, va = ens.virtual_instances_["b"], ens.virtual_instances_["a"]
    assert vb.source_index.tolist() == [1, 2]
    assert vb.y.tolist() == [1, 0]
    assert vb.teacher.tolist() == ["a", "a"]
    assert va.source_index.tolist() == [5, 6]
    assert va.y.tolist() == [1, 0]
    assert _report(ens) == {
        ("a", "b", 0): (1, 1, 1),
        ("a", "b", 1): (1, 1, 1),
        ("b", "a", 0): (1, 1, 1),
        ("b", "a", 1): (1, 1, 1),
    }
    # each virtual row is a more typical member of its class for its teacher:
    # the probability moved at least halfway (alpha=0.5) to certainty
    teacher = ens.named_initial_estimators_["a"]
    p_src = teacher.predict_proba(X_TOY[[1, 2]])[[0, 1], [1, 0]]
    p_cf = teacher.predict_proba(vb.X)[[0, 1], [1, 0]]
    assert np.all(p_cf >= p_src + 0.5 * (1 - p_src))
    # no virtual row repeats a raw row of its teacher's site
    assert not any((X_TOY == row).all(axis=1).any() for row in vb.X)
    # the students were refitted from clones on own rows + virtual rows
    assert ens.named_estimators_["b"].fit_rows_ == 4 + 2
    assert ens.named_initial_estimators_["b"].fit_rows_ == 4
    assert ens.named_estimators_["b"] is not ens.named_initial_estimators_["b"]


def test_toy_union_pool_uses_every_row():
    # rows 3 and 5 are the same point with the same label: b's counterfactuals
    # from them coincide, and dedupe keeps the first
    ens = _toy_ensemble(pool="union").fit(X_TOY, Y_TOY, site=SITE_TOY)
    assert ens.virtual_instances_["b"].source_index.tolist() == [1, 2]
    assert ens.virtual_instances_["a"].source_index.tolist() == [3, 6]
    assert _report(ens)[("b", "a", 1)] == (2, 2, 1)
    ens = _toy_ensemble(pool="union", dedupe=False).fit(X_TOY, Y_TOY, site=SITE_TOY)
    assert ens.virtual_instances_["a"].source_index.tolist() == [3, 5, 6]
    assert ens.virtual_instances_["a"].y.tolist() == [1, 1, 0]


@pytest.mark.parametrize("dedupe, kept", [(True, 1), (False, 2)])
def test_toy_dedupe_identical_sources(dedupe, kept):
    X = np.vstack([X_TOY, X_TOY[1]])  # row 9 repeats row 1 on site 0
    y, site = np.append(Y_TOY, 1), np.append(SITE_TOY, 0)
    ens = _toy_ensemble(dedupe=dedupe).fit(X, y, site=site)
    assert _report(ens)[("a", "b", 1)] == (2, 2, kept)
    assert len(ens.virtual_instances_["b"].y) == 1 + kept


def test_toy_site_names_equal_integer_sites():
    by_int = _toy_ensemble().fit(X_TOY, Y_TOY, site=SITE_TOY)
    by_name = _toy_ensemble().fit(X_TOY, Y_TOY, site=np.array(["a", "b"])[SITE_TOY])
    for name in ("a", "b"):
        np.testing.assert_array_equal(
            by_int.virtual_instances_[name].X, by_name.virtual_instances_[name].X
        )


def test_zero_rounds_is_a_vote_of_local_members():
    ens = _toy_ensemble(n_rounds=0).fit(X_TOY, Y_TOY, site=SITE_TOY)
    assert len(ens.transfer_report_["round"]) == 0
    assert ens.estimators_[0] is ens.initial_estimators_[0]
    assert ens.virtual_instances_["a"].X.shape == (0, 2)


def test_virtual_weight_reaches_members_that_take_weights():
    ens = _toy_ensemble(virtual_weight=0.25).fit(X_TOY, Y_TOY, site=SITE_TOY)
    w = ens.named_estimators_["b"].fit_sample_weight_
    np.testing.assert_array_equal(w, [1, 1, 1, 1, 0.25, 0.25])


def test_virtual_weight_on_member_without_weights_raises():
    ens = CooperativeDistillationEnsemble(
        [("a", ThresholdClassifier()), ("nw", NoWeightClassifier())],
        virtual_weight=2.0,
        guard=None,
    )
    with pytest.raises(
        TypeError, match="Member 'nw' .* does not support sample_weight"
    ):
        ens.fit(X_TOY, Y_TOY, site=SITE_TOY)


def test_sample_weight_routed_to_pipeline_last_step():
    pipe = make_pipeline(StandardScaler(), ThresholdClassifier())
    ens = CooperativeDistillationEnsemble(
        [("p", pipe), ("b", ThresholdClassifier(feature=1))], n_rounds=0
    )
    sw = np.arange(1, 10, dtype=float)
    ens.fit(X_TOY, Y_TOY, site=SITE_TOY, sample_weight=sw)
    got = ens.named_estimators_["p"][-1].fit_sample_weight_
    np.testing.assert_array_equal(got, sw[SITE_TOY == 0])


def test_rows_of_weight_zero_teach_nothing():
    sw = np.ones(9)
    sw[1] = 0
    ens = _toy_ensemble().fit(X_TOY, Y_TOY, site=SITE_TOY, sample_weight=sw)
    assert ens.virtual_instances_["b"].source_index.tolist() == [2]


def test_verbose_reports_each_stage(capsys):
    _toy_ensemble(verbose=1).fit(X_TOY, Y_TOY, site=SITE_TOY)
    out = capsys.readouterr().out
    assert "(1 of 2) Fitting member 'a' on 5 rows" in out
    assert "|R(a -> b)| = 2" in out
    assert "search a -> b: 2 of 2 counterfactuals found" in out
    assert "Refitting member 'b' on 6 rows" in out


def test_inputs_are_not_modified():
    X, y, site = X_TOY.copy(), Y_TOY.copy(), SITE_TOY.copy()
    _toy_ensemble().fit(X, y, site=site)
    np.testing.assert_array_equal(X, X_TOY)
    np.testing.assert_array_equal(y, Y_TOY)
    np.testing.assert_array_equal(site, SITE_TOY)


# ---------------------------------------------------------------- bad input
def test_member_without_predict_proba_is_named():
    ens = CooperativeDistillationEnsemble(
        [("a", ThresholdClassifier()), ("plain", NoProbaClassifier())]
    )
    with pytest.raises(
        TypeError, match="Member 'plain' .* does not implement predict_proba"
    ):
        ens.fit(X_TOY, Y_TOY)


def test_member_that_fails_to_fit_is_named():
    ens = CooperativeDistillationEnsemble(
        [("a", ThresholdClassifier()), ("bad", FailingClassifier())]
    )
    with pytest.raises(
        ValueError, match="Member 'bad' .* failed to fit on its 4 rows: boom"
    ):
        ens.fit(X_TOY, Y_TOY, site=SITE_TOY)


@pytest.mark.parametrize(
    "site, error, match",
    [
        (SITE_TOY[:5], ValueError, r"one entry per row of X \(9 rows\)"),
        (SITE_TOY + 5, ValueError, r"site labels \[5, 6\] match no member"),
        (
            np.where(SITE_TOY, "b", "x"),
            ValueError,
            r"site labels \['x'\] match no member",
        ),
    ],
)
def test_bad_site(site, error, match):
    with pytest.raises(error, match=match):
        _toy_ensemble().fit(X_TOY, Y_TOY, site=site)


def test_member_with_single_class():
    # a one-class site learns as a student (issue 14); it is an error only
    # if it still holds one class after distillation (here: no round)
    y = Y_TOY.copy()
    y[SITE_TOY == 1] = 1
    with pytest.raises(
        ValueError, match=r"Member 'b' owns rows of only one class \(\[1\]\)"
    ):
        _toy_ensemble(n_rounds=0).fit(X_TOY, y, site=SITE_TOY)


def test_fewer_than_two_members_with_rows():
    with pytest.raises(ValueError, match="at least two members with rows. Got 1"):
        with pytest.warns(EmptySiteWarning):
            _toy_ensemble().fit(X_TOY, Y_TOY, site=np.zeros(9, dtype=int))


def test_member_with_empty_site_sits_out():
    ens = CooperativeDistillationEnsemble(
        [
            ("a", ThresholdClassifier(feature=0)),
            ("b", ThresholdClassifier(feature=1)),
            ("c", ThresholdClassifier(feature=1)),
        ]
    )
    with pytest.warns(EmptySiteWarning, match="Member 'c' owns no row"):
        ens.fit(X_TOY, Y_TOY, site=SITE_TOY)
    assert ens.sat_out_ == ["c"]
    assert list(ens.named_estimators_) == ["a", "b"]
    assert ens.predict(X_TOY).shape == (9,)


@pytest.mark.parametrize(
    "estimators, match",
    [
        ([], r"non-empty list .* Got \[\] instead"),
        (
            [("a", ThresholdClassifier()), ("a", ThresholdClassifier())],
            "Names provided are not unique",
        ),
        (
            [("a__x", ThresholdClassifier()), ("b", ThresholdClassifier())],
            "must not contain __",
        ),
        (
            [("alpha", ThresholdClassifier()), ("b", ThresholdClassifier())],
            "conflict with constructor arguments",
        ),
        (
            [(3, ThresholdClassifier()), ("b", ThresholdClassifier())],
            "non-empty strings",
        ),
        ([("a",), ("b", ThresholdClassifier())], r"\(name, estimator\) or"),
        ([("a", "drop"), ("b", ThresholdClassifier())], "Member 'a' is 'drop'"),
    ],
)
def test_invalid_members(estimators, match):
    with pytest.raises(ValueError, match=match):
        CooperativeDistillationEnsemble(estimators).fit(X_TOY, Y_TOY)


def test_member_class_instead_of_instance():
    ens = CooperativeDistillationEnsemble(
        [("a", ThresholdClassifier), ("b", ThresholdClassifier())]
    )
    with pytest.raises(TypeError, match=re.escape("Expected an estimator instance")):
        ens.fit(X_TOY, Y_TOY)


def test_x_y_length_mismatch():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        _toy_ensemble().fit(X_TOY, Y_TOY[:-1])


def test_continuous_target_is_rejected():
    with pytest.raises(ValueError, match="Unknown label type"):
        _toy_ensemble().fit(X_TOY, X_TOY[:, 0] + 0.5)


def test_unfitted_predict():
    with pytest.raises(NotFittedError):
        _toy_ensemble().predict(X_TOY)


def test_hard_voting_has_no_predict_proba():
    ens = _toy_ensemble(voting="hard").fit(X_TOY, Y_TOY, site=SITE_TOY)
    assert not hasattr(ens, "predict_proba")
    assert set(ens.predict(X_TOY)) <= {0, 1}


def test_weights_change_the_vote():
    ens = _toy_ensemble(weights=[1.0, 0.0]).fit(X_TOY, Y_TOY, site=SITE_TOY)
    a = ens.named_estimators_["a"]
    np.testing.assert_array_equal(ens.predict(X_TOY), a.predict(X_TOY))
    with pytest.raises(ValueError, match="one entry per member. Got 1 weights"):
        _toy_ensemble(weights=[1.0]).fit(X_TOY, Y_TOY, site=SITE_TOY)


# ------------------------------------------------------------ round trips
def _iris_members():
    return [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("nb", GaussianNB()),
    ]


def test_dataframe_gives_feature_names_and_members_see_frames():
    X, y = load_iris(return_X_y=True, as_frame=True)
    site = np.arange(len(y)) % 3
    ens = CooperativeDistillationEnsemble(_iris_members(), random_state=0)
    ens.fit(X, y, site=site)
    assert list(ens.feature_names_in_) == list(X.columns)
    assert ens.n_features_in_ == 4
    assert list(ens.named_estimators_["nb"].feature_names_in_) == list(X.columns)
    for v in ens.virtual_instances_.values():
        assert isinstance(v.X, pd.DataFrame) and list(v.X.columns) == list(X.columns)
    with pytest.raises(ValueError, match="feature names"):
        ens.predict(X.rename(columns={X.columns[0]: "other"}))


def test_clone_pickle_pipeline_roundtrip():
    X, y = load_iris(return_X_y=True)
    site = np.arange(len(y)) % 3
    ens = CooperativeDistillationEnsemble(_iris_members(), random_state=0)
    fitted = clone(ens).fit(X, y, site=site)
    again = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    pipe = make_pipeline(StandardScaler(), clone(ens)).fit(
        X, y, cooperativedistillationensemble__site=site
    )
    assert pipe.score(X, y) > 0.9
    twice = clone(ens).fit(X, y, site=site)
    np.testing.assert_array_equal(twice.predict_proba(X), fitted.predict_proba(X))


def test_nested_params_reach_members():
    ens = CooperativeDistillationEnsemble(_iris_members())
    params = ens.get_params()
    assert params["tree__max_depth"] == 3
    ens.set_params(tree__max_depth=5, nb=LogisticRegression())
    assert ens.estimators[1][1].max_depth == 5
    assert isinstance(ens.estimators[2][1], LogisticRegression)
    three = CooperativeDistillationEnsemble(
        [("a", ThresholdClassifier(), [0]), ("b", ThresholdClassifier(), [1])]
    )
    three.set_params(a__slope=2.0, b=ThresholdClassifier(feature=3))
    assert three.estimators[0] == ("a", three.estimators[0][1], [0])
    assert three.estimators[0][1].slope == 2.0
    assert three.estimators[1][2] == [1] and three.estimators[1][1].feature == 3


def test_grid_search_slices_site_per_fold_and_searches_members():
    X, y = load_iris(return_X_y=True)
    site = np.arange(len(y)) % 3
    grid = GridSearchCV(
        CooperativeDistillationEnsemble(_iris_members(), random_state=0),
        {"tree__max_depth": [1, 3], "alpha": [0.5, 0.9]},
        cv=3,
    )
    grid.fit(X, y, site=site)
    assert set(grid.best_params_) == {"tree__max_depth", "alpha"}
    assert grid.best_score_ > 0.85


def test_leave_one_site_out_member_sits_out():
    X, y = load_iris(return_X_y=True)
    site = np.arange(len(y)) % 3
    ens = CooperativeDistillationEnsemble(_iris_members(), random_state=0)
    with pytest.warns(EmptySiteWarning):
        res = cross_validate(
            ens, X, y, groups=site, cv=LeaveOneGroupOut(), params={"site": site}
        )
    assert res["test_score"].shape == (3,) and res["test_score"].min() > 0.85


# ---------------------------------------------------------------- accuracy
def _label_skew_sites(y, n_sites, seed):
    """Each site mostly holds a few classes (a fixed, simple label skew)."""
    rng = np.random.RandomState(seed)
    classes = np.unique(y)
    home = rng.permutation(len(classes)) % n_sites
    site = home[np.searchsorted(classes, y)]
    stray = rng.rand(len(y)) < 0.1
    site[stray] = rng.randint(n_sites, size=stray.sum())
    return site


@pytest.mark.parametrize("seed", range(3))
def test_members_gain_on_label_skewed_digits(seed):
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed)
    site = _label_skew_sites(ytr, 3, seed)
    ens = CooperativeDistillationEnsemble(
        [
            (
                "logreg",
                make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)),
            ),
            ("tree", DecisionTreeClassifier(random_state=0)),
            ("nb", GaussianNB()),
        ],
        random_state=seed,
    ).fit(Xtr, ytr, site=site)
    before = [e.score(Xte, yte) for e in ens.initial_estimators_]
    after = [e.score(Xte, yte) for e in ens.estimators_]
    # every member gains, and by a wide margin on average
    assert min(np.subtract(after, before)) > 0.1
    assert np.mean(after) - np.mean(before) > 0.2


def test_n_jobs_gives_the_same_fit():
    X, y = load_iris(return_X_y=True)
    site = np.arange(len(y)) % 3
    one = CooperativeDistillationEnsemble(_iris_members(), random_state=0)
    two = clone(one).set_params(n_jobs=2)
    p1 = one.fit(X, y, site=site).predict_proba(X)
    p2 = two.fit(X, y, site=site).predict_proba(X)
    np.testing.assert_allclose(p1, p2)
    # the same decisions; the rows equal up to the last bits that a worker's
    # BLAS threading may round otherwise
    for key in ("qualifying", "found", "kept"):
        np.testing.assert_array_equal(
            one.transfer_report_[key], two.transfer_report_[key], err_msg=key
        )
    for name in one.virtual_instances_:
        np.testing.assert_allclose(
            one.virtual_instances_[name].X, two.virtual_instances_[name].X, rtol=1e-12
        )
