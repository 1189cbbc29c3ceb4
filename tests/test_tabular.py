"""The counterfactual search on raw mixed-type DataFrames (missing values too)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.compose import make_column_transformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skcoop.counterfactual import BisectionSearch, BlackBoxSearch, make_search
from skcoop.counterfactual._tabular import _TabularEncoder
from skcoop.metrics import plausibility, proximity, sparsity
from skcoop.utils import needs_tabular


class FrameModel:
    """A known classifier on raw rows: P(1) = sigmoid(x - 5 + city bonus + owner).

    Records the frames it is called with; refuses anything but a DataFrame.
    """

    classes_ = np.array([0, 1])
    bonus = {"a": 0.0, "b": 2.0, "c": 4.0}

    def __init__(self):
        self.calls = []

    def predict_proba(self, X):
        assert isinstance(X, pd.DataFrame)
        self.calls.append(X)
        city = X["city"].map(self.bonus).astype(float).fillna(0.0).to_numpy()
        x = X["x"].to_numpy(dtype=float, na_value=0.0)
        owner = X["owner"].to_numpy(dtype=float)
        p = 1.0 / (1.0 + np.exp(-(x - 5.0 + city + owner)))
        return np.column_stack([1 - p, p])


def small_frame():
    return pd.DataFrame(
        {
            "x": [1, 2, 3, 4, 6, 7, 8, 9],
            "city": pd.Series(["a", "a", "b", "a", "b", "a", "b", "a"], dtype="str"),
            "grade": pd.Categorical(
                list("uvuvuvuv"), categories=["u", "v", "w"], ordered=False
            ),
            "owner": [False, True, False, True, False, True, False, True],
        }
    )


def every_dtype_frame():
    return pd.DataFrame(
        {
            "i": np.array([25, 40, 33, 51], dtype=np.int64),
            "f": [1.5, np.nan, 3.0, 2.2],
            "s": pd.Series(["a", "b", None, "a"], dtype="str"),
            "o": pd.Series(["k", None, "m", "k"], dtype=object),
            "c": pd.Categorical(["x", "y", None, "x"], categories=["x", "y", "z"]),
            "b": [True, False, True, True],
            "I": pd.array([1, None, 3, 4], dtype="Int64"),
            "B": pd.array([True, None, False, True], dtype="boolean"),
        }
    )


# --------------------------------------------------------------- encoder
def test_encoder_round_trips_every_dtype():
    X = every_dtype_frame()
    enc = _TabularEncoder().fit(X)
    Z, held = enc.transform(X)
    assert Z.shape == (4, enc.n_encoded) and np.all(np.isfinite(Z))
    pd.testing.assert_frame_equal(enc.inverse_transform(Z, held, index=X.index), X)
    # one group per categorical column with >= 2 seen categories ("z" unseen)
    assert [enc.names[g].tolist() for g in enc.groups] == [
        ["s=a", "s=b"],
        ["o=k", "o=m"],
        ["c=x", "c=y"],
        ["B=False", "B=True"],
    ]
    # the hold column codes the missing cells, the numeric fill is a value seen
    held_f = Z[:, enc.hold_cols[1]]
    np.testing.assert_array_equal(held_f, [0, 1, 0, 0])
    assert Z[1, enc.value_cols[1][0]] == 2.2  # lower median of 1.5, 2.2, 3.0


def test_encoder_holds_unseen_categories():
    X = every_dtype_frame()
    enc = _TabularEncoder().fit(X)
    new = X.assign(s=pd.Series(["zz", "a", "yy", "zz"], dtype="str"))
    Z, held = enc.transform(new)
    np.testing.assert_array_equal(Z[:, enc.hold_cols[2]], [3, 0, 2, 3])
    assert held[2][1:] == ["yy", "zz"]
    pd.testing.assert_frame_equal(enc.inverse_transform(Z, held, index=X.index), new)


def test_needs_tabular():
    assert not needs_tabular(np.zeros((2, 2)))
    assert not needs_tabular(pd.DataFrame({"a": [1, 2], "b": [0.5, 1.0]}))
    assert needs_tabular(pd.DataFrame({"a": [1.0, np.nan]}))
    assert needs_tabular(pd.DataFrame({"a": [True, False]}))
    assert needs_tabular(pd.DataFrame({"a": ["u", "v"]}))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(-5, 5)),
            st.one_of(st.none(), st.sampled_from(["p", "q", "r"])),
            st.booleans(),
        ),
        min_size=2,
        max_size=12,
    )
)
def test_encoder_round_trip_property(rows):
    num, cat, flag = zip(*rows)
    X = pd.DataFrame(
        {
            "n": pd.array(num, dtype="Float64").astype(float),
            "c": pd.Series(cat, dtype="str"),
            "b": np.array(flag),
        }
    )
    if X["n"].isna().all() or X["c"].isna().all():
        return  # an all-missing column is rejected (tested below)
    enc = _TabularEncoder().fit(X)
    Z, held = enc.transform(X)
    pd.testing.assert_frame_equal(enc.inverse_transform(Z, held, index=X.index), X)


# ---------------------------------------------------------------- search
@pytest.mark.parametrize("Search", [BlackBoxSearch, BisectionSearch])
def test_counterfactuals_come_back_as_raw_rows(Search):
    X = small_frame()
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    model = FrameModel()
    search = Search().fit(X, y)
    result = search.generate(model, X, 1 - y, confidence=0.7)
    out = result.X
    assert isinstance(out, pd.DataFrame)
    pd.testing.assert_series_equal(out.dtypes, X.dtypes)
    assert out.index.equals(X.index)
    assert list(out["grade"].cat.categories) == ["u", "v", "w"]
    # categories move only among those seen ("c" would raise P(1) most)
    assert set(out["city"]) <= {"a", "b"} and set(out["grade"]) <= {"u", "v"}
    assert out["x"].between(1, 9).all()
    # validity is the model's verdict on the returned rows
    p = model.predict_proba(out)[np.arange(8), 1 - y]
    np.testing.assert_array_equal(result.success, p >= 0.7 - 1e-12)
    assert result.success.mean() >= 0.75
    # every call saw raw rows with the fitted dtypes
    for frame in model.calls:
        pd.testing.assert_series_equal(frame.dtypes, X.dtypes)


def test_category_change_costs_one():
    """Row x=4, city a, grade v, owner True: P(1) = sigmoid(0) = 0.5. With x
    and owner fixed, reaching 0.8 takes city a -> b (+2 logits); grade does
    not matter and goes back to its source value: one change, distance 1."""
    X = small_frame()
    y = np.zeros(8, dtype=int)
    search = BlackBoxSearch(immutable=["x", "owner"]).fit(X, y)
    row = X.iloc[[3]]
    result = search.generate(FrameModel(), row, [1], confidence=0.8)
    assert result.success.all()
    assert result.X.iloc[0].tolist() == [4, "b", "v", True]
    np.testing.assert_allclose(result.distance, [1.0])
    np.testing.assert_array_equal(result.n_changed, [1])


def test_immutable_categorical_column_never_changes():
    X = small_frame()
    search = BlackBoxSearch(immutable=["city", "owner"]).fit(X)
    result = search.generate(FrameModel(), X, np.ones(8, int), confidence=0.9)
    pd.testing.assert_series_equal(result.X["city"], X["city"])
    pd.testing.assert_series_equal(result.X["owner"], X["owner"])


def test_missing_values_are_held_fixed_and_seen_by_the_model():
    X = small_frame()
    X["x"] = X["x"].astype(float)
    X.loc[[0, 5], "x"] = np.nan
    X.loc[[2], "city"] = None
    model = FrameModel()
    search = BlackBoxSearch().fit(X)
    result = search.generate(model, X, np.ones(8, int), confidence=0.9)
    np.testing.assert_array_equal(result.X.isna().to_numpy(), X.isna().to_numpy())
    # the first call is on the source rows, missing values and all
    pd.testing.assert_frame_equal(model.calls[0], X)
    # held cells cost nothing; the reported distance is the metric's
    np.testing.assert_allclose(
        proximity(X, result.X, scale=search.column_scale_, reduce=None),
        result.distance,
    )
    np.testing.assert_array_equal(sparsity(X, result.X, reduce=None), result.n_changed)


def test_unseen_category_in_a_source_row_is_kept():
    X = small_frame()
    search = BlackBoxSearch().fit(X)
    rows = X.head(2).assign(city=pd.Series(["c", "zz"], dtype="str"))
    rows["grade"] = pd.Categorical(["w", "u"], categories=["u", "v", "w"])
    model = FrameModel()
    result = search.generate(model, rows, [1, 1], confidence=0.95)
    assert result.X["city"].tolist() == ["c", "zz"]
    assert result.X["grade"].iloc[0] == "w"  # in the dtype, never in X_ref
    assert all(set(f["city"]) >= {"c", "zz"} for f in model.calls if len(f) == 2)


def test_pipeline_with_one_hot_and_imputer_is_a_black_box():
    rng = np.random.RandomState(0)
    n = 120
    X = pd.DataFrame(
        {
            "age": rng.randint(18, 70, n),
            "income": np.where(rng.rand(n) < 0.1, np.nan, rng.gamma(2, 20, n)),
            "city": pd.Series(rng.choice(["p", "r", "o"], n), dtype="str"),
            "owner": rng.rand(n) < 0.5,
        }
    )
    y = ((X["age"] > 40) ^ (X["city"] == "r")).astype(int).to_numpy()
    model = make_pipeline(
        make_column_transformer(
            (make_pipeline(SimpleImputer(), StandardScaler()), ["age", "income"]),
            (OneHotEncoder(handle_unknown="ignore"), ["city", "owner"]),
        ),
        LogisticRegression(),
    ).fit(X, y)
    result = BlackBoxSearch().fit(X, y).generate(model, X, y)
    p = model.predict_proba(result.X)[np.arange(n), y]
    np.testing.assert_allclose(p, result.achieved)
    assert result.success.mean() > 0.8
    assert (result.X["age"] == result.X["age"].round()).all()
    np.testing.assert_array_equal(result.X["income"].isna(), X["income"].isna())


def test_regression_on_a_mixed_frame():
    X = small_frame()
    y = X["x"].to_numpy(dtype=float) + 3.0 * (X["city"] == "b")
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["city"]), ("passthrough", ["x"])),
        LinearRegression(),
    ).fit(X, y)
    result = BlackBoxSearch().fit(X, y).generate(model, X, y + 2.0)
    np.testing.assert_allclose(model.predict(result.X), result.achieved)
    assert result.success.mean() >= 0.75  # x = 9 in city b cannot go higher
    pd.testing.assert_series_equal(result.X.dtypes, X.dtypes)


def test_empty_batch_keeps_the_frame():
    X = small_frame()
    result = BlackBoxSearch().fit(X).generate(FrameModel(), X.head(0), [])
    assert result.X.shape == (0, 4)
    pd.testing.assert_series_equal(result.X.dtypes, X.dtypes)


# ------------------------------------------------------------ bad input
def test_all_missing_column_is_an_error():
    X = small_frame().assign(empty=np.nan)
    with pytest.raises(ValueError, match="Column 'empty' of X_ref has only missing"):
        BlackBoxSearch().fit(X)


def test_mixed_types_in_an_object_column_are_an_error():
    X = small_frame()
    X["city"] = X["city"].astype(object)
    bad = X.copy()
    bad.loc[1, "city"] = 3
    with pytest.raises(ValueError, match=r"'city' of X_ref mixes value types"):
        BlackBoxSearch().fit(bad)
    search = BlackBoxSearch().fit(X)
    with pytest.raises(ValueError, match=r"'city' of X mixes value types"):
        search.generate(FrameModel(), bad, np.ones(8, int))


def test_dtype_change_is_named():
    X = small_frame()
    search = BlackBoxSearch().fit(X)
    with pytest.raises(ValueError, match=r"'x' \(int64 at fit, (str|object) now\)"):
        search.generate(FrameModel(), X.assign(x=X["x"].astype(str)), np.ones(8))
    # int at fit, float at generate is the same kind
    out = search.generate(FrameModel(), X.assign(x=X["x"] * 1.0), np.ones(8, int))
    assert out.X["x"].dtype == np.float64


def test_other_columns_are_an_error():
    search = BlackBoxSearch().fit(small_frame())
    with pytest.raises(ValueError, match=r"missing \['owner'\]"):
        search.generate(FrameModel(), small_frame().drop(columns="owner"), [1] * 8)
    with pytest.raises(TypeError, match="must be a DataFrame"):
        search.generate(FrameModel(), np.zeros((2, 4)), [1, 1])


def test_missing_values_after_a_numeric_fit_are_an_error():
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0], "b": [1.0, 2.0, 0.0]})
    model = LogisticRegression().fit(X, [0, 1, 1])
    search = BlackBoxSearch().fit(X)
    with pytest.raises(ValueError, match="fitted on numeric rows without them"):
        search.generate(model, X.assign(a=[np.nan, 1.0, 2.0]), [1, 1, 1])


def test_infinite_values_are_an_error():
    X = small_frame().assign(x=[1.0, np.inf, 3, 4, 5, 6, 7, 8])
    with pytest.raises(ValueError, match="'x' of X_ref holds infinite values"):
        BlackBoxSearch().fit(X)


def test_one_hot_groups_may_not_name_a_categorical_column():
    X = small_frame()
    with pytest.raises(ValueError, match=r"\['city'\] are categorical"):
        BlackBoxSearch(one_hot_groups=[["x", "city"]]).fit(X)


@pytest.mark.parametrize("backend", ["blackbox", "gradient"])
def test_torch_model_on_a_mixed_frame_is_an_error(backend):
    torch = pytest.importorskip("torch")
    search = make_search(backend).fit(small_frame())
    with pytest.raises(TypeError, match="Linear takes numeric tensors"):
        search.generate(torch.nn.Linear(4, 2), small_frame(), [1] * 8)


# -------------------------------------------------------------- metrics
def test_mixed_metrics_exact_values():
    a = pd.DataFrame({"x": [0.0, 1.0, np.nan, np.nan], "c": ["u", None, "v", None]})
    b = pd.DataFrame({"x": [2.0, 1.0, np.nan, 3.0], "c": ["w", "u", "v", None]})
    # |2-0|/2 + 1 ; 0 + 1 (missing vs present) ; 0 ; 1 (missing vs present)
    np.testing.assert_allclose(
        proximity(a, b, scale=[2.0, 1.0], reduce=None), [2.0, 1.0, 0.0, 1.0]
    )
    np.testing.assert_array_equal(sparsity(a, b, reduce=None), [2, 1, 0, 1])
    ref = pd.DataFrame({"x": [0.0, 4.0], "c": ["u", "v"]})
    np.testing.assert_allclose(
        plausibility(b, [0, 0, 1, 9], ref, [0, 1], scale=[2.0, 1.0], reduce=None),
        [2.0, 0.5, 1.0, np.inf],
    )


def test_mixed_metrics_reject_an_array_partner():
    a = pd.DataFrame({"x": [0.0], "c": ["u"]})
    with pytest.raises(TypeError, match="must both be DataFrames"):
        proximity(a, np.zeros((1, 2)))
    with pytest.raises(ValueError, match="same columns"):
        sparsity(a, a.rename(columns={"c": "d"}))
