"""Sites with one class, and site labels that cannot be read (issue 14)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from skcoop import CooperativeDistillationEnsemble
from skcoop._members import OneClassMember
from skcoop.distill import SoftTargetDistiller

X, Y = make_classification(90, 4, n_informative=3, n_redundant=0, random_state=0)
# site 2 (a clinic that only saw healthy patients) holds class 0 only
SITE = np.where(Y == 0, np.arange(90) % 3, np.arange(90) % 2)


def _members():
    return [
        ("a", LogisticRegression()),
        ("b", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("c", LogisticRegression()),
    ]


def test_fixture_has_a_one_class_site():
    assert np.unique(Y[SITE == 2]).tolist() == [0]
    assert np.unique(Y[SITE == 0]).tolist() == [0, 1]


def test_one_class_site_learns_the_other_class():
    ens = CooperativeDistillationEnsemble(_members(), random_state=0)
    ens.fit(X, Y, site=SITE)
    before = ens.named_initial_estimators_["c"]
    after = ens.named_estimators_["c"]
    # before distillation it predicts its only class, with probability 1
    assert isinstance(before, OneClassMember) and before.estimator_ is None
    np.testing.assert_array_equal(before.predict(X), np.zeros(len(Y)))
    np.testing.assert_array_equal(before.predict_proba(X[:2]), [[1.0], [1.0]])
    # after, it is a plain fitted LogisticRegression that knows both classes
    assert type(after) is LogisticRegression
    assert after.classes_.tolist() == [0, 1]
    received = ens.virtual_instances_["c"]
    assert 1 in set(received.y.tolist())  # the class its site never saw
    assert len(received.y) > 0
    # it taught nothing (a placeholder has no expertise to give)
    assert "c" not in set(ens.transfer_report_["teacher"].tolist())
    assert after.score(X, Y) > before.score(X, Y)


def test_one_class_site_that_learns_nothing_is_an_error():
    ens = CooperativeDistillationEnsemble(_members(), n_rounds=0, random_state=0)
    with pytest.raises(ValueError, match="Member 'c' owns rows of only one class"):
        ens.fit(X, Y, site=SITE)


def test_one_class_site_with_kd_distiller_is_an_error():
    ens = CooperativeDistillationEnsemble(
        _members(), distiller=SoftTargetDistiller(), random_state=0
    )
    with pytest.raises(ValueError, match="Member 'c' owns rows of only one class"):
        ens.fit(X, Y, site=SITE)


def test_one_class_member_forwards_weights():
    member = OneClassMember(LogisticRegression())
    member.fit(X, Y, sample_weight=np.ones(len(Y)))
    ref = LogisticRegression().fit(X, Y, sample_weight=np.ones(len(Y)))
    np.testing.assert_allclose(member.predict_proba(X), ref.predict_proba(X))
    assert member.can_teach_


@pytest.mark.parametrize(
    "site, match",
    [
        (np.where(SITE == 0, 0.5, SITE), r"non-integer numbers \[0.5\]"),
        (np.where(SITE == 0, np.nan, SITE), "NaN or infinity"),
        (SITE == 0, "not booleans"),
        (np.array(["a", 1] * 45, dtype=object), "mixes member names and numbers"),
        (np.full(90, 3), r"site labels \[3\] match no member"),
        (np.full(90, "z"), r"site labels \['z'\] match no member"),
        (SITE[:10], "one entry per row"),
    ],
    ids=["half", "nan", "bool", "mixed", "out-of-range", "unknown-name", "short"],
)
def test_unreadable_site_labels(site, match):
    ens = CooperativeDistillationEnsemble(_members(), random_state=0)
    with pytest.raises(ValueError, match=match):
        ens.fit(X, Y, site=site)


def test_integer_like_names_with_integer_site_are_ambiguous():
    members = [(str(i), est) for i, (_, est) in enumerate(_members())]
    members = [members[1], members[2], members[0]]  # names "1", "2", "0"
    ens = CooperativeDistillationEnsemble(members, random_state=0)
    with pytest.raises(ValueError, match="names or positions unambiguously"):
        ens.fit(X, Y, site=SITE)
    # the names, as strings, are unambiguous: rows go to the member so named
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ens.fit(X, Y, site=np.where(SITE == 2, 1, SITE).astype(str))
    assert ens.n_rows_["1"] == int(np.sum((SITE == 1) | (SITE == 2)))
    assert ens.n_rows_["0"] == int(np.sum(SITE == 0))
