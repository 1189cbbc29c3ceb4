"""Each private step of cooperative distillation on hand-built cases."""

import numpy as np
import pandas as pd
import pytest

from skcoop import _members as mb
from skcoop._steps import deficiency, expertise, first_occurrence, teaching_sets
from skcoop.utils import aligned_proba, concat_rows

# Member 0 is right on rows 0, 1, 3; member 1 on rows 1, 2, 3; member 2 on 0 only.
CORRECT = np.array(
    [
        [1, 1, 0, 1, 0, 0],
        [0, 1, 1, 1, 1, 0],
        [1, 0, 0, 0, 0, 1],
    ],
    dtype=bool,
)
ROWS = [np.array([0, 1]), np.array([2, 3]), np.array([4, 5])]


def _site_sets(i, rows, scope="deficiency"):
    """Teacher ``i``'s teaching sets on ``rows``, as rows of CORRECT."""
    right = CORRECT[:, rows]
    order = [i] + [m for m in range(3) if m != i]
    pairs, query = teaching_sets(expertise(right[i]), right[order], 0, scope=scope)
    return {order[p]: rows[r].tolist() for p, r in pairs.items()}, rows[query]


def test_expertise_keeps_only_rows_that_may_teach():
    right = CORRECT[0]
    np.testing.assert_array_equal(expertise(right), right)
    assert expertise(right) is not right
    teaching = np.array([1, 0, 1, 1, 1, 1], dtype=bool)
    assert np.flatnonzero(expertise(right, teaching)).tolist() == [0, 3]


def test_deficiency_site_local_sets():
    got = {}
    for i in range(3):
        pairs, _ = _site_sets(i, ROWS[i])
        got.update({(i, j): r for j, r in pairs.items()})
    assert got == {
        (0, 1): [0],
        (0, 2): [1],
        (1, 0): [2],
        (1, 2): [2, 3],
        (2, 0): [5],
        (2, 1): [5],
    }


def test_deficiency_union_sets():
    every = np.arange(6)
    assert _site_sets(0, every)[0][1] == [0]
    assert _site_sets(1, every)[0][0] == [2, 4]
    assert _site_sets(1, every)[0][2] == [1, 2, 3, 4]


def test_query_is_union_of_pairs_and_expertise_scope_teaches_all():
    pairs, query = _site_sets(1, np.arange(6))
    assert query.tolist() == sorted(set(pairs[0]) | set(pairs[2]))
    pairs, query = _site_sets(1, np.arange(6), scope="expertise")
    assert pairs[0] == pairs[2] == query.tolist() == [1, 2, 3, 4]


def test_deficiency_is_expert_and_student_wrong():
    expert = np.array([1, 1, 0, 1], dtype=bool)
    assert deficiency(expert, np.array([0, 1, 1, 0], dtype=bool)).tolist() == [0, 3]


def test_first_occurrence_arrays_rows_and_labels():
    X = np.array([[0.0, 1.0], [2.0, 3.0], [0.0, 1.0], [0.0, 1.0], [2.0, 3.0]])
    y = np.array(["a", "a", "a", "b", "a"])
    np.testing.assert_array_equal(
        first_occurrence(X, y), [True, True, False, True, False]
    )


def test_first_occurrence_dataframe_and_object_rows():
    frame = pd.DataFrame({"c": ["x", "x", "y"], "n": [1, 1, 1]})
    np.testing.assert_array_equal(
        first_occurrence(frame, np.array([0, 0, 0])), [True, False, True]
    )
    obj = np.array([["x", 1], ["x", 1], ["y", 1]], dtype=object)
    np.testing.assert_array_equal(
        first_occurrence(obj, np.array([0, 0, 0])), [True, False, True]
    )
    assert first_occurrence(np.zeros((0, 2)), np.zeros(0)).shape == (0,)


def test_resolve_sites_names_and_integers():
    names = ["a", "b", "c"]
    np.testing.assert_array_equal(
        mb.resolve_sites(["c", "a", "a", "b"], names, 4), [2, 0, 0, 1]
    )
    np.testing.assert_array_equal(mb.resolve_sites([2, 0, 1], names, 3), [2, 0, 1])
    np.testing.assert_array_equal(
        mb.resolve_sites(np.array([2.0, 0.0]), names, 2), [2, 0]
    )


@pytest.mark.parametrize(
    "site, match",
    [
        ([0, 3], r"site labels \[3\] match no member"),
        (["a", "z"], r"site labels \['z'\] match no member"),
        ([0, 1, 2], r"one entry per row of X \(2 rows\). Got shape \(3,\)"),
        ([-1, 0], r"site labels \[-1\] match no member"),
    ],
)
def test_resolve_sites_errors(site, match):
    with pytest.raises(ValueError, match=match):
        mb.resolve_sites(site, ["a", "b", "c"], 2)


def test_member_rows_and_empty_members_warn():
    rows = mb.member_rows(np.array([0, 0, 2]), 3, 3)
    assert [r.tolist() for r in rows] == [[0, 1], [], [2]]
    with pytest.warns(mb.EmptySiteWarning, match="Member 'b' owns no row"):
        assert mb.warn_empty(["a", "b", "c"], rows) == [0, 2]
    with pytest.raises(ValueError, match="at least two members with rows. Got 1"):
        mb.warn_empty(["a", "b"], [np.array([0]), np.array([], dtype=int)])
    assert [r.tolist() for r in mb.member_rows(None, 2, 2)] == [[0, 1], [0, 1]]


def test_aligned_proba_fills_missing_classes():
    class Fixed:
        classes_ = np.array(["b", "d"])

        def predict_proba(self, X):
            return np.array([[0.25, 0.75]] * len(X))

    out = aligned_proba(Fixed(), np.zeros((2, 1)), np.array(["a", "b", "c", "d"]))
    np.testing.assert_array_equal(out, [[0, 0.25, 0, 0.75]] * 2)


def test_concat_rows_keeps_first_form():
    own = np.ones((2, 2), dtype=np.float32)
    out = concat_rows([own, np.zeros((1, 2))])
    assert out.dtype == np.float32 and out.shape == (3, 2)
    frame = pd.DataFrame({"a": pd.Categorical(["x", "y"]), "b": [1, 2]})
    out = concat_rows([frame, frame.iloc[:1]])
    assert out["a"].dtype == "category" and out["b"].tolist() == [1, 2, 1]
