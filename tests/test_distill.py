"""Classic knowledge distillation without torch: soft targets for any learner,
qualified teachers, mutual learning with partial_fit, the strategy objects."""

# SPDX-License-Identifier: BSD-3-Clause

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_iris, load_wine
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop.distill import (
    MutualLearningDistiller,
    PartitionedDistiller,
    SoftTargetDistiller,
    fit_soft_targets,
    mutual_learning_fit,
    qualified_soft_targets,
    qualified_teacher_mask,
    replicate_soft_targets,
    resample_soft_targets,
    soften,
)
from skcoop.utils import align_proba, aligned_proba, sample_weight_key

# --------------------------------------------------------------------------- doubles


class _Recorder(ClassifierMixin, BaseEstimator):
    """Remembers what fit received; predicts the first class."""

    def fit(self, X, y, sample_weight=None):
        self.X_, self.y_, self.sample_weight_ = (
            np.asarray(X),
            np.asarray(y),
            sample_weight,
        )
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))


class _RecorderNoWeight(_Recorder):
    def fit(self, X, y):
        return super().fit(X, y)


class _WarmRecorder(_Recorder):
    """Remembers whether it had been fitted before its last fit."""

    def __init__(self, warm_start=True):
        self.warm_start = warm_start

    def fit(self, X, y, sample_weight=None):
        self.fitted_before_ = hasattr(self, "classes_")
        return super().fit(X, y, sample_weight)


class _Holder(BaseEstimator):
    """Stands in for the ensemble: a strategy as a nested parameter."""

    def __init__(self, distiller=None):
        self.distiller = distiller


# --------------------------------------------------------------------------- soften


def test_soften_is_renormalised_power_and_tempered_log_softmax():
    p = np.array([[0.7, 0.2, 0.1], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    T = 2.5
    power = p ** (1 / T)
    expected = power / power.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(soften(p, T), expected, rtol=1e-12)
    np.testing.assert_allclose(soften(p, 1.0), p, atol=1e-15)
    # zeros stay zero, a one-hot row stays one-hot
    assert soften(p, T)[1, 2] == 0.0
    np.testing.assert_array_equal(soften(p, T)[2], [1.0, 0.0, 0.0])
    # the logits form: softmax(z / T)
    z = np.array([[1.0, 2.0, 0.5]])
    e = np.exp(z / T)
    np.testing.assert_allclose(soften(z, T, logits=True), e / e.sum(), rtol=1e-12)


def test_soften_inverse_temperature_undoes_tempering():
    # what the native path hands a skorch student: q ** T renormalised,
    # which the net's loss tempers back to q
    rng = np.random.RandomState(0)
    q = rng.dirichlet(np.ones(4), size=5)
    np.testing.assert_allclose(soften(soften(q, 1 / 3.0), 3.0), q, rtol=1e-10)


@pytest.mark.parametrize("T", [0.0, -1.0, np.inf, np.nan])
def test_soften_rejects_bad_temperature(T):
    with pytest.raises(ValueError, match="temperature"):
        soften(np.array([[0.5, 0.5]]), T)


def test_align_proba_places_columns_and_zero_fills():
    P = np.array([[0.25, 0.75], [1.0, 0.0]])
    out = align_proba(P, ["b", "d"], ["a", "b", "c", "d"])
    np.testing.assert_array_equal(out, [[0, 0.25, 0, 0.75], [0, 1.0, 0, 0]])
    with pytest.raises(ValueError, match=r"\['e'\]"):
        align_proba(P, ["b", "e"], ["a", "b"])


def test_predict_proba_aligned_for_member_missing_a_class():
    X, y = load_iris(return_X_y=True)
    keep = y != 1
    model = GaussianNB().fit(X[keep], y[keep])
    P = aligned_proba(model, X[:5], np.array([0, 1, 2]))
    assert P.shape == (5, 3)
    np.testing.assert_array_equal(P[:, 1], 0.0)
    np.testing.assert_allclose(P[:, [0, 2]], model.predict_proba(X[:5]))


# ------------------------------------------------------------------------- soft targets


def _soft_example():
    X = np.arange(12, dtype=float).reshape(4, 3)
    y = np.array(["a", "b", "c", "a"])
    q = np.array([[0.6, 0.4, 0.0], [0.1, 0.2, 0.7], [0.0, 0.0, 1.0], [0.2, 0.3, 0.5]])
    return X, y, q, np.array(["a", "b", "c"])


@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("sample_weight", [None, np.array([1.0, 2.0, 0.5, 3.0])])
def test_replication_gives_the_weighted_soft_label_class_totals(weight, sample_weight):
    X, y, q, classes = _soft_example()
    X_rep, y_rep, w_rep = replicate_soft_targets(
        X, y, q, weight=weight, classes=classes, sample_weight=sample_weight
    )
    sw = np.ones(len(y)) if sample_weight is None else sample_weight
    onehot = (y[:, None] == classes).astype(float)
    soft_totals = sw @ ((1 - weight) * onehot + weight * q)
    rep_totals = np.array([w_rep[y_rep == c].sum() for c in classes])
    # the targets are snapped to 2**-30 (equal on every CPU): totals within
    # that grid, and each row's total exact
    np.testing.assert_allclose(rep_totals, soft_totals, rtol=0, atol=len(y) * 2**-30)
    assert np.all(w_rep > 0)  # zero-weight replicas dropped
    # each source row keeps its own total weight, and replicas are its copies
    for i in range(len(y)):
        mine = np.all(X_rep == X[i], axis=1)
        np.testing.assert_allclose(w_rep[mine].sum(), sw[i], atol=1e-12)


@st.composite
def _soft_problems(draw):
    n = draw(st.integers(1, 12))
    k = draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.RandomState(seed)
    q = rng.dirichlet(np.full(k, 0.3), size=n)
    q[rng.rand(n, k) < 0.3] = 0.0  # exact zeros, as from a member missing a class
    q[q.sum(axis=1) == 0, 0] = 1.0
    q /= q.sum(axis=1, keepdims=True)
    y = rng.randint(k, size=n)
    sw = rng.choice([0.0, 0.5, 1.0, 3.0], size=n) if draw(st.booleans()) else None
    weight = draw(st.sampled_from([0.0, 0.25, 0.5, 1.0]))
    return q, y, sw, weight


@settings(max_examples=60, deadline=None)
@given(_soft_problems())
def test_replication_totals_property(problem):
    q, y, sw, weight = problem
    n, k = q.shape
    classes = np.arange(k) * 10  # labels that are not positions
    X = np.arange(n, dtype=float)[:, None]
    X_rep, y_rep, w_rep = replicate_soft_targets(
        X, classes[y], q, weight=weight, classes=classes, sample_weight=sw
    )
    sw_ = np.ones(n) if sw is None else sw
    mixed = (1 - weight) * np.eye(k)[y] + weight * q
    totals = np.bincount(y_rep // 10, weights=w_rep, minlength=k)
    # targets snapped to 2**-30: class totals within the grid, rows exact
    np.testing.assert_allclose(totals, sw_ @ mixed, atol=n * sw_.max() * 2**-30)
    row_totals = np.bincount(X_rep[:, 0].astype(int), weights=w_rep, minlength=n)
    np.testing.assert_allclose(row_totals, sw_, atol=1e-12)
    assert np.all(w_rep > 0)
    # a replica is kept where its snapped target is not 0
    assert len(w_rep) <= np.count_nonzero(sw_[:, None] * mixed)
    assert len(w_rep) >= np.count_nonzero(sw_[:, None] * (mixed > 2**-30))


@settings(max_examples=40, deadline=None)
@given(_soft_problems(), st.floats(0.2, 5.0), st.floats(0.2, 5.0))
def test_soften_composes_temperatures(problem, a, b):
    q = problem[0]
    np.testing.assert_allclose(soften(soften(q, a), b), soften(q, a * b), atol=1e-9)
    assert np.all(soften(q, a)[q == 0] == 0)  # an impossible class stays so


def test_replication_row_by_row_values():
    X, y, q, classes = _soft_example()
    X_rep, y_rep, w_rep = replicate_soft_targets(X, y, q, weight=0.5, classes=classes)
    # row 0 ("a", q=[.6,.4,0]): a 0.5+0.3, b 0.2; row 2 ("c", q=[0,0,1]): c 1.0
    np.testing.assert_array_equal(y_rep[:2], ["a", "b"])
    np.testing.assert_allclose(w_rep[:2], [0.8, 0.2])
    row2 = np.all(X_rep == X[2], axis=1)
    np.testing.assert_array_equal(y_rep[row2], ["c"])
    np.testing.assert_allclose(w_rep[row2], [1.0])


def test_resampling_keeps_rows_and_matches_class_totals_in_expectation():
    X, y, q, classes = _soft_example()
    X_new, y_new = resample_soft_targets(
        X, y, q, weight=0.0, classes=classes, random_state=0
    )
    np.testing.assert_array_equal(X_new, X)
    np.testing.assert_array_equal(y_new, y)
    counts = np.zeros(3)
    n_draws = 4000
    rng = np.random.RandomState(0)
    for _ in range(n_draws):
        _, y_new = resample_soft_targets(
            X, y, q, weight=0.5, classes=classes, random_state=rng
        )
        counts += (y_new[:, None] == classes).sum(axis=0)
    onehot = (y[:, None] == classes).astype(float)
    expected = (0.5 * onehot + 0.5 * q).sum(axis=0)
    # standard error of a mean count is below 0.02 here
    np.testing.assert_allclose(counts / n_draws, expected, atol=0.06)


def test_resampling_draws_rows_by_sample_weight():
    X, y, q, classes = _soft_example()
    sw = np.array([0.0, 0.0, 1.0, 0.0])
    X_new, y_new = resample_soft_targets(
        X, y, q, weight=0.5, classes=classes, sample_weight=sw, random_state=0
    )
    assert np.all(X_new == X[2])
    np.testing.assert_array_equal(y_new, "c")  # q and the label agree on row 2


def test_resampling_reads_integer_weights_as_repetitions():
    # issue 14: a weight is a repetition; weight=0 makes the labels the own ones
    X, y, q, classes = _soft_example()
    sw = np.array([2, 0, 1, 3])
    X_new, y_new = resample_soft_targets(
        X, y, q, weight=0.0, classes=classes, sample_weight=sw, random_state=0
    )
    np.testing.assert_array_equal(X_new, np.repeat(X, sw, axis=0))
    np.testing.assert_array_equal(y_new, np.repeat(y, sw))
    # fractional weights: as many rows as given, drawn in proportion
    X_frac, _ = resample_soft_targets(
        X, y, q, weight=0.0, classes=classes, sample_weight=sw / 2, random_state=0
    )
    assert len(X_frac) == len(y) and not np.any(np.all(X_frac == X[1], axis=1))


def test_sample_weight_key():
    assert sample_weight_key(DecisionTreeClassifier()) == "sample_weight"
    assert sample_weight_key(KNeighborsClassifier()) is None
    pipe = make_pipeline(StandardScaler(), GaussianNB())
    assert sample_weight_key(pipe) == "gaussiannb__sample_weight"
    nested = Pipeline([("outer", Pipeline([("inner", GaussianNB())]))])
    assert sample_weight_key(nested) == "outer__inner__sample_weight"
    assert (
        sample_weight_key(make_pipeline(StandardScaler(), KNeighborsClassifier()))
        is None
    )


def test_fit_soft_targets_routes_weights_and_picks_the_method():
    X, y, q, classes = _soft_example()
    rec = fit_soft_targets(_Recorder(), X, y, q, weight=0.5, classes=classes)
    assert len(rec.y_) == 9  # 12 replicas less the three of weight 0
    np.testing.assert_allclose(rec.sample_weight_.sum(), 4.0)
    pipe = fit_soft_targets(
        Pipeline([("rec", _Recorder())]), X, y, q, weight=0.5, classes=classes
    )
    np.testing.assert_allclose(pipe.named_steps["rec"].sample_weight_.sum(), 4.0)
    rec = fit_soft_targets(
        _RecorderNoWeight(), X, y, q, weight=0.5, classes=classes, random_state=0
    )
    assert rec.sample_weight_ is None and len(rec.y_) == 4
    rec = fit_soft_targets(
        _Recorder(),
        X,
        y,
        q,
        weight=0.5,
        classes=classes,
        method="resample",
        random_state=0,
    )
    assert rec.sample_weight_ is None and len(rec.y_) == 4
    with pytest.raises(ValueError, match="sample_weight"):
        fit_soft_targets(
            _RecorderNoWeight(),
            X,
            y,
            q,
            weight=0.5,
            classes=classes,
            method="replicate",
        )
    with pytest.raises(ValueError, match="skorch"):
        fit_soft_targets(
            _Recorder(), X, y, q, weight=0.5, classes=classes, method="native"
        )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"weight": 1.5}, "weight"),
        ({"soft_targets": np.ones((4, 3))}, "probability"),
        ({"soft_targets": np.ones((4, 2)) / 2}, "shape"),
        ({"y": np.array(["a", "b", "z", "a"])}, "z"),
        ({"method": "smote"}, "method"),
    ],
)
def test_fit_soft_targets_errors(kwargs, match):
    X, y, q, classes = _soft_example()
    params = dict(y=y, soft_targets=q, weight=0.5, classes=classes)
    params.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fit_soft_targets(_Recorder(), X, **params)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(
    "student", [DecisionTreeClassifier(random_state=0), GaussianNB()]
)
def test_tree_and_naive_bayes_students_move_toward_the_teacher(student, seed):
    X, y = load_wine(return_X_y=True)
    classes = np.unique(y)
    X_tr, X_te, y_tr, _ = train_test_split(
        X, y, test_size=0.5, random_state=seed, stratify=y
    )
    # a teacher that sees three columns only, so it disagrees with the labels
    teacher = make_pipeline(StandardScaler(), LogisticRegression(C=0.05))
    teacher.fit(X_tr[:, :3], y_tr)
    q = soften(teacher.predict_proba(X_tr[:, :3]), 2.0)
    teacher_test = teacher.predict(X_te[:, :3])

    def agreement(weight):
        s = fit_soft_targets(
            clone(student), X_tr, y_tr, q, weight=weight, classes=classes
        )
        return np.mean(s.predict(X_te) == teacher_test)

    assert agreement(1.0) > agreement(0.0)


# --------------------------------------------------------------------------- qualified


def test_qualified_mask_and_soft_targets_by_hand():
    classes = np.array([0, 1, 2])
    y = np.array([0, 1, 2])
    p1 = np.array([[0.6, 0.3, 0.1], [0.5, 0.4, 0.1], [0.2, 0.2, 0.6]])
    p2 = np.array([[0.8, 0.1, 0.1], [0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
    mask = qualified_teacher_mask([p1, p2], y, classes)
    np.testing.assert_array_equal(mask, [[True, False, True], [True, True, False]])
    T = 2.0
    targets, has = qualified_soft_targets([p1, p2], y, classes, temperature=T)
    np.testing.assert_array_equal(has, [True, True, True])
    np.testing.assert_allclose(targets[0], (soften(p1, T)[0] + soften(p2, T)[0]) / 2)
    np.testing.assert_allclose(targets[1], soften(p2, T)[1])
    np.testing.assert_allclose(targets[2], soften(p1, T)[2])
    # nobody right on a row: its hard label
    targets, has = qualified_soft_targets([p1], np.array([1, 0, 2]), classes)
    np.testing.assert_array_equal(has, [False, True, True])
    np.testing.assert_array_equal(targets[0], [0.0, 1.0, 0.0])


def test_qualified_mask_shape_errors():
    with pytest.raises(ValueError, match="align_proba"):
        qualified_teacher_mask([np.ones((3, 2)) / 2], [0, 1, 2], [0, 1, 2])
    with pytest.raises(ValueError, match="rows"):
        qualified_teacher_mask([np.ones((3, 3)) / 3], [0, 1], [0, 1, 2])


# --------------------------------------------------------------------------- mutual


def _peer_disagreement(weight, seed):
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    X_tr, X_te, y_tr, _ = train_test_split(
        X, y, test_size=0.4, random_state=seed, stratify=y
    )
    views = [slice(0, 7), slice(6, 13)]  # two peers, mostly different columns
    # a constant step: SGD's default schedule jumps too much between epochs
    peers = [
        SGDClassifier(
            loss="log_loss",
            alpha=1e-4,
            learning_rate="constant",
            eta0=0.01,
            random_state=seed + i,
        )
        for i in range(2)
    ]
    mutual_learning_fit(
        peers,
        [X_tr[:, v] for v in views],
        y_tr,
        max_epochs=10,
        weight=weight,
        temperature=1.0,
        random_state=seed,
    )
    P = [peer.predict_proba(X_te[:, v]) for peer, v in zip(peers, views, strict=True)]
    return np.abs(P[0] - P[1]).sum(axis=1).mean()


@pytest.mark.parametrize("seed", range(3))
def test_mutual_learning_partial_fit_peers_agree_more(seed):
    gaps = [_peer_disagreement(weight, seed) for weight in (0.0, 0.5, 0.8)]
    assert gaps[0] > gaps[1] > gaps[2]


def test_mutual_learning_needs_partial_fit_and_two_peers():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(TypeError, match="partial_fit"):
        mutual_learning_fit(
            [GaussianNB(), DecisionTreeClassifier()], X, y, max_epochs=1
        )
    with pytest.raises(ValueError, match="two peers"):
        mutual_learning_fit([GaussianNB()], X, y)


# --------------------------------------------------------------------------- strategies


def _sites(n_members=3, seed=0):
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    rng = np.random.RandomState(seed)
    site = rng.randint(n_members, size=len(y))
    parts = [np.flatnonzero(site == j) for j in range(n_members)]
    return X, y, [X[p] for p in parts], [y[p] for p in parts], np.unique(y)


def _fit_members(templates, X_parts, y_parts):
    return [
        clone(t).fit(Xp, yp)
        for t, Xp, yp in zip(templates, X_parts, y_parts, strict=True)
    ]


@pytest.mark.parametrize(
    "distiller",
    [SoftTargetDistiller(), PartitionedDistiller(), MutualLearningDistiller()],
)
def test_strategies_are_clonable_and_nested_params(distiller):
    params = distiller.get_params()
    assert clone(distiller).get_params() == params
    holder = _Holder(distiller=distiller)
    holder.set_params(distiller__temperature=3.0, distiller__weight=0.25)
    assert distiller.temperature == 3.0 and distiller.weight == 0.25
    assert "distiller__temperature" in holder.get_params()


@pytest.mark.parametrize(
    "distiller",
    [
        SoftTargetDistiller(weight=2.0),
        PartitionedDistiller(temperature=0),
        MutualLearningDistiller(max_epochs=0),
    ],
)
def test_strategies_validate_params_at_distill(distiller):
    _, _, X_parts, y_parts, classes = _sites()
    templates = [LogisticRegression()] * 3
    members = _fit_members(templates, X_parts, y_parts)
    with pytest.raises(ValueError):
        distiller.distill(templates, members, X_parts, y_parts, None, classes)


def test_soft_target_distiller_targets_and_students():
    _, _, X_parts, y_parts, classes = _sites()
    templates = [
        DecisionTreeClassifier(max_depth=3, random_state=0),
        GaussianNB(),
        make_pipeline(StandardScaler(), KNeighborsClassifier(3)),
    ]
    members = _fit_members(templates, X_parts, y_parts)
    d = SoftTargetDistiller(temperature=2.0, weight=0.5)
    q1 = d.soft_targets(members, X_parts[1], y_parts[1], 1, classes)
    expected = (
        soften(members[0].predict_proba(X_parts[1]), 2.0)
        + soften(members[2].predict_proba(X_parts[1]), 2.0)
    ) / 2
    np.testing.assert_allclose(q1, expected, rtol=1e-12)

    students = d.distill(
        templates, members, X_parts, y_parts, None, classes, random_state=0
    )
    assert len(students) == 3
    for template, member, student in zip(templates, members, students, strict=True):
        assert type(student) is type(template)
        assert student is not template and student is not member
        np.testing.assert_array_equal(student.classes_, classes)
    assert not hasattr(templates[1], "classes_")  # templates stay unfitted
    # seeded: the KNN student (resampled labels) is reproducible
    again = d.distill(
        templates, members, X_parts, y_parts, None, classes, random_state=0
    )
    np.testing.assert_array_equal(
        students[2].predict(X_parts[0]), again[2].predict(X_parts[0])
    )


def test_soft_target_distiller_single_member_learns_labels():
    _, _, X_parts, y_parts, classes = _sites(n_members=1)
    d = SoftTargetDistiller()
    q = d.soft_targets(
        [GaussianNB().fit(X_parts[0], y_parts[0])], X_parts[0], y_parts[0], 0, classes
    )
    np.testing.assert_array_equal(q, (y_parts[0][:, None] == classes).astype(float))


def test_distillers_use_transform_between_feature_spaces():
    X, y, _, _, classes = _sites()
    rng = np.random.RandomState(0)
    site = rng.randint(2, size=len(y))
    cols = [np.arange(0, 8), np.arange(5, 13)]
    X_parts = [X[site == j][:, cols[j]] for j in range(2)]
    y_parts = [y[site == j] for j in range(2)]
    calls = []

    def transform(i, j, X_j):
        calls.append((i, j))
        full = np.zeros((len(X_j), X.shape[1]))
        full[:, cols[j]] = X_j
        return full[:, cols[i]]

    templates = [GaussianNB(), LogisticRegression()]
    members = _fit_members(templates, X_parts, y_parts)
    for d in [SoftTargetDistiller(), PartitionedDistiller()]:
        calls.clear()
        students = d.distill(
            templates, members, X_parts, y_parts, None, classes, transform=transform
        )
        assert sorted(calls) == [(0, 1), (1, 0)]
        assert students[0].n_features_in_ == 8 and students[1].n_features_in_ == 8


def test_partitioned_distiller_targets():
    _, _, X_parts, y_parts, classes = _sites()
    templates = [
        GaussianNB(),
        DecisionTreeClassifier(max_depth=2, random_state=0),
        LogisticRegression(C=0.01),
    ]
    members = _fit_members(templates, X_parts, y_parts)
    d = PartitionedDistiller(temperature=3.0, weight=0.7)
    X0, y0 = X_parts[0], y_parts[0]
    P = [members[i].predict_proba(X0) for i in (1, 2)]
    targets, has = d.soft_targets(members, X0, y0, 0, classes)
    mask = qualified_teacher_mask(P, y0, classes)
    np.testing.assert_array_equal(has, mask.any(axis=0))
    for r in range(len(y0)):
        if has[r]:
            chosen = [soften(P[i], 3.0)[r] for i in range(2) if mask[i, r]]
            np.testing.assert_allclose(targets[r], np.mean(chosen, axis=0))
        else:
            np.testing.assert_array_equal(targets[r], classes == y0[r])
    students = d.distill(templates, members, X_parts, y_parts, None, classes)
    assert [type(s) for s in students] == [type(t) for t in templates]


@pytest.mark.parametrize("distiller_class", [SoftTargetDistiller, PartitionedDistiller])
def test_warm_start_continues_members_that_can(distiller_class):
    _, _, X_parts, y_parts, classes = _sites()
    templates = [_WarmRecorder(), _WarmRecorder(warm_start=False), _WarmRecorder()]
    members = _fit_members(templates, X_parts, y_parts)
    members[2].fit(X_parts[2][:5], np.zeros(5, dtype=int))  # knows one class only
    for warm_start in (True, False):
        students = distiller_class(warm_start=warm_start).distill(
            templates, members, X_parts, y_parts, None, classes
        )
        # the one policy for fitted members that go on learning
        # (skcoop.utils.starting_point): a learner with a warm_start parameter
        # is continued with it switched on; one that misses a class is refitted
        assert [s.fitted_before_ for s in students] == [warm_start, warm_start, False]
        assert all(s is not m for s, m in zip(students, members, strict=True))
    assert members[0].y_.shape == y_parts[0].shape  # members untouched


@pytest.mark.parametrize("warm_start", [True, False])
def test_mutual_learning_distiller_with_partial_fit_members(warm_start):
    _, _, X_parts, y_parts, classes = _sites()
    templates = [SGDClassifier(loss="log_loss", random_state=i) for i in range(3)]
    members = _fit_members(templates, X_parts, y_parts)
    coefs = [m.coef_.copy() for m in members]
    d = MutualLearningDistiller(max_epochs=3, warm_start=warm_start)
    students = d.distill(
        templates, members, X_parts, y_parts, None, classes, random_state=0
    )
    for member, coef, student in zip(members, coefs, students, strict=True):
        assert student is not member
        np.testing.assert_array_equal(member.coef_, coef)  # members untouched
        assert student.score(np.vstack(X_parts), np.concatenate(y_parts)) > 0.8


# --------------------------------------------------------------------------- no torch


def test_distill_imports_and_runs_without_torch():
    code = textwrap.dedent("""
        import sys

        class _Block:  # as if torch and skorch were not installed
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "skorch"):
                    raise ModuleNotFoundError(f"No module named {name!r}")

        sys.meta_path.insert(0, _Block())
        import numpy as np
        from sklearn.naive_bayes import GaussianNB
        import skcoop.distill as d
        X = np.random.RandomState(0).randn(20, 3); y = np.arange(20) % 2
        m = GaussianNB().fit(X, y)
        s = d.fit_soft_targets(GaussianNB(), X, y, m.predict_proba(X), weight=0.5,
                               classes=np.array([0, 1]))
        try:
            d.KDNeuralNetClassifier
        except ImportError:
            print("ok" if "torch" not in sys.modules else "torch loaded")
    """)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
