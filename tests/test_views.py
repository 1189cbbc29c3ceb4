"""Tests for skcoop.views: column resolution and the teacher -> student mapping."""

# SPDX-License-Identifier: BSD-3-Clause

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import make_column_selector
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression
from sklearn.utils._param_validation import InvalidParameterError

from skcoop.views import (
    ColumnMapper,
    NoSharedColumnsWarning,
    column_keys,
    resolve_columns,
)


@pytest.fixture
def frame():
    return pd.DataFrame(
        {"age": [1, 2], "chol": [0.5, 0.1], "thal": ["a", "b"], "sex": [0, 1]}
    )


# --------------------------------------------------------------------------
# resolve_columns / column_keys


@pytest.mark.parametrize(
    "spec, expected",
    [
        (["thal", "age"], [2, 0]),
        ("chol", [1]),
        ([3, 0], [3, 0]),
        (-1, [3]),
        ((0, 1), [0, 1]),
        (np.array([2, 1]), [2, 1]),
        ([True, False, False, True], [0, 3]),
        (np.array([False, True, True, False]), [1, 2]),
        (pd.Index(["sex", "chol"]), [3, 1]),
        (pd.Series([True, True, False, False]), [0, 1]),
        (slice("chol", "thal"), [1, 2]),
        (slice(1, 3), [1, 2]),
        (slice(None), [0, 1, 2, 3]),
        ([], []),
        (make_column_selector(dtype_include="number"), [0, 1, 3]),
        (lambda X: ["sex"], [3]),
    ],
)
def test_resolve_columns_dataframe(frame, spec, expected):
    assert resolve_columns(spec, frame) == expected


@pytest.mark.parametrize(
    "spec, expected",
    [
        ([2, -4], [2, 0]),
        (1, [1]),
        (slice(-2, None), [2, 3]),
        ([False, False, True, False], [2]),
    ],
)
def test_resolve_columns_array(spec, expected):
    X = np.zeros((2, 4))
    assert resolve_columns(spec, X) == expected
    assert resolve_columns(spec, X.tolist()) == expected


@pytest.mark.parametrize(
    "spec, match",
    [
        (["age", "choll", "bmi"], r"Columns \['choll', 'bmi'\] are not columns of X"),
        (["choll"], r"did you mean 'chol' for 'choll'\?"),
        ([4], r"positions \[4\] are out of range for X with 4 columns"),
        ([0, -5], r"positions \[-5\] are out of range"),
        ([True, False], "needs one entry per column of X: got"),
        (["age", "age"], r"Columns \['age'\] are selected more than once"),
        ([0, -4], r"Columns \['age'\] are selected more than once"),
        ([0, "age"], "No valid specification of the columns"),
    ],
)
def test_resolve_columns_errors(frame, spec, match):
    with pytest.raises(ValueError, match=match):
        resolve_columns(spec, frame)


def test_resolve_columns_names_need_a_dataframe():
    with pytest.raises(ValueError, match=r"by name \(\['age'\]\) need a DataFrame"):
        resolve_columns(["age"], np.zeros((2, 3)))


def test_column_keys(frame):
    assert column_keys(frame, [2, 0]) == ["thal", "age"]
    assert column_keys(np.zeros((1, 4)), [np.int64(2)]) == [2]
    numbered = pd.DataFrame(np.zeros((1, 3)), columns=[10, 11, 12])
    assert column_keys(numbered, [1]) == [1]  # int names would read as positions


# --------------------------------------------------------------------------
# ColumnMapper: exact cases on arrays

# Student's columns (3, 0, 2) of the full set; teacher's (0, 1, 2). Column 3
# is the student's alone: 1, 3, 11 (mean 5, median 3), and equals
# column0 / 5 - 1 exactly, whatever column 2 is.
STUDENT_COLS = [3, 0, 2]
TEACHER_COLS = [0, 1, 2]
STUDENT_ROWS = np.array([[1.0, 10.0, 7.0], [3.0, 20.0, 1.0], [11.0, 60.0, 4.0]])
VIRTUAL = np.array([[25.0, -9.0, 3.0]])  # in the teacher's columns


@pytest.mark.parametrize(
    "fill, estimator, filled",
    [
        ("mean", None, 5.0),
        ("median", None, 3.0),
        ("zero", None, 0.0),
        ("impute", LinearRegression(), 25.0 / 5 - 1),
    ],
)
def test_virtual_row_mapped_between_column_sets(fill, estimator, filled):
    mapper = ColumnMapper(TEACHER_COLS, STUDENT_COLS, fill=fill, estimator=estimator)
    mapper.fit(STUDENT_ROWS)
    assert mapper.shared_ == [0, 2]
    assert mapper.missing_ == [3]
    assert mapper.dropped_ == [1]
    assert mapper.n_shared_ == 2
    out = mapper.transform(VIRTUAL)
    # column 3 filled, column 0 and 2 copied from the teacher, column 1 dropped
    np.testing.assert_allclose(out, [[filled, 25.0, 3.0]], atol=1e-9)


def test_impute_default_regressor_recovers_a_linear_relation():
    rng = np.random.default_rng(0)
    shared = rng.normal(size=(60, 2))
    own = shared @ [2.0, -1.0] + 3.0
    student = np.column_stack([shared, own])  # columns "a", "b", "own"
    mapper = ColumnMapper(["a", "b"], ["a", "b", "own"], fill="impute").fit(student)
    virtual = np.array([[0.5, 1.0], [-1.0, 2.0]])
    out = mapper.transform(virtual)
    np.testing.assert_allclose(out[:, :2], virtual)
    np.testing.assert_allclose(out[:, 2], virtual @ [2.0, -1.0] + 3.0, atol=1e-2)
    assert mapper.predictors_ == ["a", "b"]
    assert set(mapper.estimators_) == {"own"}


def test_statistics_ignore_missing_values():
    student = np.array([[1.0, np.nan], [2.0, 4.0], [3.0, 8.0]])
    mapper = ColumnMapper([0], [0, 1]).fit(student)
    assert mapper.fill_values_ == {1: 6.0}
    mapper = ColumnMapper([0], [0, 1], fill="impute", estimator=LinearRegression())
    out = mapper.fit(student).transform(np.array([[4.0]]))
    np.testing.assert_allclose(out, [[4.0, 12.0]])  # fitted on the 2 known rows


def test_array_with_non_numeric_columns_gives_object_rows():
    student = np.array([[1.0, "x", True], [3.0, "y", True], [5.0, "x", False]],
                       dtype=object)
    mapper = ColumnMapper([0], [0, 1, 2], fill="impute").fit(student)
    out = mapper.transform(np.array([[9.5]]))
    assert out.dtype == object
    assert out.tolist() == [[9.5, "x", True]]


def test_output_keeps_row_count_including_zero_rows():
    mapper = ColumnMapper(TEACHER_COLS, STUDENT_COLS, fill="impute",
                          estimator=LinearRegression()).fit(STUDENT_ROWS)
    assert mapper.transform(np.repeat(VIRTUAL, 4, axis=0)).shape == (4, 3)
    assert mapper.transform(np.empty((0, 3))).shape == (0, 3)


# --------------------------------------------------------------------------
# ColumnMapper: DataFrames


@pytest.fixture
def student_frame():
    return pd.DataFrame(
        {
            "age": np.array([40, 50, 60, 70], dtype=np.int64),
            "chol": [1.0, 2.0, np.nan, 5.0],
            "thal": pd.Categorical(["fixed", "normal", "normal", "rev"]),
            "smoker": [True, False, True, True],
            "name": ["b", "a", "b", "a"],
            "cp": np.array([1, 2, 3, 4], dtype=np.int32),
        }
    )


@pytest.fixture
def teacher_frame():
    # teacher's columns: bp (teacher only), age, cp; index kept through mapping
    return pd.DataFrame(
        {"bp": [120.0, 130.0], "age": [44.6, 51.2], "cp": [2.2, 3.7]},
        index=[7, 9],
    )


@pytest.mark.parametrize("fill", ["mean", "median", "zero", "impute"])
def test_dataframe_columns_order_dtypes_and_index(fill, student_frame, teacher_frame):
    target = ["chol", "age", "thal", "smoker", "name", "cp"]
    mapper = ColumnMapper(["bp", "age", "cp"], target, fill=fill).fit(student_frame)
    out = mapper.transform(teacher_frame)
    assert list(out.columns) == target
    assert out.index.tolist() == [7, 9]
    for col in target:
        assert out[col].dtype == student_frame[col].dtype, col
    # integers rounded to the student's dtype
    assert out["age"].tolist() == [45, 51]
    assert out["cp"].tolist() == [2, 4]
    # non-numeric columns: most frequent, ties to the smallest
    assert out["thal"].tolist() == ["normal", "normal"]
    assert out["smoker"].tolist() == [True, True]
    assert out["name"].tolist() == ["a", "a"]
    chol = out["chol"].to_numpy()
    if fill == "mean":
        np.testing.assert_allclose(chol, [8.0 / 3] * 2)
    elif fill == "median":
        np.testing.assert_allclose(chol, [2.0, 2.0])
    elif fill == "zero":
        np.testing.assert_allclose(chol, [0.0, 0.0])
    else:  # predicted from age and cp: differs per row
        assert chol[0] != chol[1]


def test_dataframe_inputs_are_not_modified(student_frame, teacher_frame):
    s_before, t_before = student_frame.copy(), teacher_frame.copy()
    mapper = ColumnMapper(["bp", "age"], ["age", "chol"], fill="impute")
    mapper.fit(student_frame).transform(teacher_frame)
    pd.testing.assert_frame_equal(student_frame, s_before)
    pd.testing.assert_frame_equal(teacher_frame, t_before)


def test_dataframe_may_hold_extra_columns(student_frame, teacher_frame):
    mapper = ColumnMapper(["age"], ["age", "chol"]).fit(student_frame)
    out = mapper.transform(teacher_frame)  # bp and cp are not source columns
    assert list(out.columns) == ["age", "chol"]


def test_ndarray_rows_with_named_columns_map_by_position(student_frame):
    mapper = ColumnMapper(["cp", "age"], ["age", "chol"]).fit(student_frame)
    out = mapper.transform(np.array([[3.0, 41.0]]))
    np.testing.assert_allclose(out, [[41.0, 8.0 / 3]])


def test_impute_falls_back_without_numeric_shared_columns(student_frame):
    source = pd.DataFrame({"name": ["a"], "smoker": [False]})
    mapper = ColumnMapper(["name", "smoker"], ["name", "chol", "smoker"],
                          fill="impute").fit(student_frame)
    assert mapper.estimators_ == {}
    out = mapper.transform(source)
    assert out["chol"].tolist() == pytest.approx([8.0 / 3])
    assert out["name"].tolist() == ["a"] and out["smoker"].tolist() == [False]


def test_mapper_clones_and_refits(student_frame, teacher_frame):
    mapper = ColumnMapper(["age"], ["age", "chol"], fill="median")
    first = clone(mapper).fit(student_frame).transform(teacher_frame)
    second = clone(mapper).fit(student_frame).transform(teacher_frame)
    pd.testing.assert_frame_equal(first, second)


# --------------------------------------------------------------------------
# no shared column and errors


def test_no_shared_columns_warns_and_marks_the_pair():
    with pytest.warns(NoSharedColumnsWarning, match="share no column"):
        mapper = ColumnMapper([5, 6], [0, 1]).fit(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert mapper.n_shared_ == 0
    assert mapper.shared_ == []
    assert issubclass(NoSharedColumnsWarning, UserWarning)
    np.testing.assert_allclose(mapper.transform(np.zeros((1, 2))), [[2.0, 3.0]])


def test_shared_columns_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ColumnMapper([0], [0, 1]).fit(np.ones((2, 2)))


def test_dataframe_lacking_columns_names_them(student_frame, teacher_frame):
    mapper = ColumnMapper(["age", "bmi"], ["age", "ldl", "chol"])
    with pytest.raises(ValueError, match=r"fit lacks the target_columns \['ldl'\]"):
        mapper.fit(student_frame)
    mapper = ColumnMapper(["age", "bmi"], ["age", "chol"]).fit(student_frame)
    with pytest.raises(
        ValueError, match=r"transform lacks the source_columns \['bmi'\]"
    ):
        mapper.transform(teacher_frame)


def test_array_width_is_checked():
    mapper = ColumnMapper([0, 1], [0, 2])
    with pytest.raises(ValueError, match=r"fit needs rows in the 2 target_columns"):
        mapper.fit(np.zeros((3, 3)))
    mapper.fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"transform needs rows in the 2 source"):
        mapper.transform(np.zeros(2))


def test_repeated_columns_are_an_error():
    with pytest.raises(ValueError, match=r"target_columns lists columns more than"):
        ColumnMapper([0], [1, 1]).fit(np.zeros((2, 2)))


def test_empty_column_lists_are_an_error():
    with pytest.raises(ValueError, match="source_columns is empty"):
        ColumnMapper([], [0]).fit(np.zeros((2, 1)))


def test_fit_needs_rows():
    with pytest.raises(ValueError, match="at least one of the target's own rows"):
        ColumnMapper([0], [0, 1]).fit(np.empty((0, 2)))


def test_invalid_fill_and_unfitted():
    with pytest.raises(InvalidParameterError, match="'fill' parameter"):
        ColumnMapper([0], [0], fill="nearest").fit(np.zeros((2, 1)))
    with pytest.raises(NotFittedError):
        ColumnMapper([0], [0]).transform(np.zeros((2, 1)))
