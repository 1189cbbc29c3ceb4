"""Mixed-type DataFrames: what the ensemble checks at fit and predict."""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skcoop import CooperativeDistillationEnsemble


def _frame(n=60, seed=0):
    rng = np.random.RandomState(seed)
    frame = pd.DataFrame(
        {
            "age": rng.randint(20, 70, n),
            "income": rng.normal(50, 10, n),
            "city": rng.choice(["paris", "lyon", "nice"], n),
            "owner": rng.rand(n) > 0.5,
        }
    )
    y = ((frame["income"] > 50) ^ (frame["city"] == "nice")).astype(int).to_numpy()
    return frame, y


def _member(handle_unknown="ignore"):
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown=handle_unknown), ["city"]),
        (StandardScaler(), ["age", "income"]),
        ("passthrough", ["owner"]),
    )
    return make_pipeline(encode, LogisticRegression())


def _ensemble(**kw):
    return CooperativeDistillationEnsemble(
        [("a", _member(**kw)), ("b", _member(**kw))],
        n_rounds=0,
        guard=None,
    )


def test_mixed_frame_fits_and_predicts_with_pipelines():
    X, y = _frame()
    ens = _ensemble().fit(X, y, site=np.arange(60) % 2)
    assert list(ens.feature_names_in_) == ["age", "income", "city", "owner"]
    assert ens.predict(X).shape == (60,)


def test_all_missing_column_is_rejected():
    X, y = _frame()
    X["empty"] = np.nan
    with pytest.raises(ValueError, match="Column 'empty' is missing in every row"):
        _ensemble().fit(X, y)


def test_object_column_mixing_types_is_rejected():
    X, y = _frame()
    X["city"] = X["city"].astype(object)
    X.loc[3, "city"] = 7
    with pytest.raises(
        ValueError, match=r"Column 'city' mixes value types .*\['int', 'str'\]"
    ):
        _ensemble().fit(X, y)


def test_dtype_change_between_fit_and_predict_is_named():
    X, y = _frame()
    ens = _ensemble().fit(X, y, site=np.arange(60) % 2)
    X2 = X.assign(age=X["age"].astype(str))
    with pytest.raises(ValueError, match=r"'age' \(numeric at fit, string now\)"):
        ens.predict(X2)
    # int at fit, float at predict is the same kind of values
    assert ens.predict(X.assign(age=X["age"].astype(float))).shape == (60,)


def test_unseen_category_at_predict():
    X, y = _frame()
    ens = _ensemble().fit(X, y, site=np.arange(60) % 2)
    X_new = X.head(3).assign(city=["rome", "rome", "paris"])
    assert ens.predict(X_new).shape == (3,)  # encoders ignore it
    strict = _ensemble(handle_unknown="error").fit(X, y, site=np.arange(60) % 2)
    with pytest.raises(ValueError, match="Member 'a' .* failed to predict: .*rome"):
        strict.predict(X_new)


def test_union_pool_skips_incomplete_rows_a_numeric_teacher_cannot_hold():
    """A member on complete numeric columns is not asked about rows with gaps."""
    from sklearn.impute import SimpleImputer
    from sklearn.naive_bayes import GaussianNB

    X, y = _frame(90, seed=1)
    X["income"] = X["income"].astype(float)
    site = np.arange(90) % 2
    X.loc[(site == 1) & (np.arange(90) % 3 == 0), "income"] = np.nan  # site 1 gaps
    cols = ["age", "income"]
    ens = CooperativeDistillationEnsemble(
        [
            ("a", make_pipeline(SimpleImputer(), GaussianNB()), cols),
            ("b", make_pipeline(SimpleImputer(), GaussianNB()), cols),
        ],
        pool="union",
        random_state=0,
        guard=None,
    ).fit(X, y, site=site)
    # a's own rows are complete: it never searches from a row with a gap
    src = ens.virtual_instances_["b"].source_index
    assert len(src) and not X.loc[src, "income"].isna().any()
    # b's own rows have gaps: its search holds them fixed in its virtual rows
    va = ens.virtual_instances_["a"]
    gaps = X.loc[va.source_index, "income"].isna().to_numpy()
    np.testing.assert_array_equal(va.X["income"].isna().to_numpy(), gaps)
