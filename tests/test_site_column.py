"""The site as a column of the user's table (``site_column``), and warnings
that name the user's line (through scikit-learn and joblib too)."""

import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    cross_val_score,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skcoop import (
    CooperativeDistillationEnsemble,
    CooperativeDistillationRegressor,
    EmptySiteWarning,
    PooledFitWarning,
)

pd = pytest.importorskip("pandas")


def _members():
    return [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]


@pytest.fixture(scope="module")
def table():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    df = X.iloc[:, :8].copy()
    # two sites that differ: large tumours at one, small at the other
    df["hospital"] = np.where(df["mean radius"] > 14, "tree", "logreg")
    return df, y.to_numpy()


def test_site_column_equals_fit_site(table):
    df, y = table
    by_column = CooperativeDistillationEnsemble(
        _members(), site_column="hospital", random_state=0
    ).fit(df, y)
    by_site = CooperativeDistillationEnsemble(_members(), random_state=0).fit(
        df.drop(columns="hospital"), y, site=df["hospital"].to_numpy()
    )
    plain = df.drop(columns="hospital")
    np.testing.assert_allclose(
        by_column.predict_proba(plain), by_site.predict_proba(plain)
    )
    assert "hospital" not in by_column.feature_names_in_
    assert by_column.n_features_in_ == 8
    assert dict(by_column.n_rows_) == dict(by_site.n_rows_)
    assert "hospital" in df.columns  # the input is not modified


def test_predict_with_or_without_the_column(table):
    df, y = table
    ens = CooperativeDistillationEnsemble(
        _members(), site_column="hospital", random_state=0
    ).fit(df, y)
    with_column = ens.predict_proba(df)
    np.testing.assert_array_equal(
        with_column, ens.predict_proba(df.drop(columns="hospital"))
    )
    assert ens.score(df, y) == ens.score(df.drop(columns="hospital"), y)


def test_site_column_of_an_array(table):
    df, y = table
    A = df.drop(columns="hospital").to_numpy()
    site = (df["hospital"] == "tree").to_numpy().astype(int)
    with_site = np.column_stack([site, A])  # the site first, as floats
    ens = CooperativeDistillationEnsemble(
        _members(), site_column=0, random_state=0
    ).fit(with_site, y)
    ref = CooperativeDistillationEnsemble(_members(), random_state=0).fit(
        A, y, site=site
    )
    assert ens.n_features_in_ == A.shape[1]
    np.testing.assert_allclose(ens.predict_proba(with_site), ref.predict_proba(A))
    np.testing.assert_allclose(ens.predict_proba(A), ref.predict_proba(A))
    last = CooperativeDistillationEnsemble(
        _members(), site_column=-1, random_state=0
    ).fit(np.column_stack([A, site]), y)
    np.testing.assert_allclose(last.predict_proba(A), ref.predict_proba(A))


def test_cross_val_score_needs_no_routing_and_differs_from_pooled(table):
    df, y = table
    ens = CooperativeDistillationEnsemble(
        _members(), site_column="hospital", random_state=0
    )
    per_site = cross_val_score(ens, df, y, cv=3)
    with pytest.warns(PooledFitWarning):
        pooled = cross_val_score(
            CooperativeDistillationEnsemble(_members(), random_state=0),
            df.drop(columns="hospital"),
            y,
            cv=3,
        )
    assert per_site.shape == pooled.shape == (3,)
    assert not np.allclose(per_site, pooled)
    assert np.all(per_site > 0.8)


def test_cross_validate_grid_search_and_pipeline(table):
    df, y = table
    ens = CooperativeDistillationEnsemble(
        _members(), site_column="hospital", random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", PooledFitWarning)
        res = cross_validate(ens, df, y, cv=3, return_estimator=True)
        search = GridSearchCV(
            ens, {"alpha": [0.3, 0.7], "tree__max_depth": [2, 3]}, cv=3
        ).fit(df, y)
    assert all(e.n_features_in_ == 8 for e in res["estimator"])
    assert set(search.best_params_) == {"alpha", "tree__max_depth"}
    assert search.best_estimator_.site_column == "hospital"
    # a Pipeline step before the ensemble must keep the column (here: none)
    pipe = make_pipeline(clone(ens)).fit(df, y)
    assert pipe.score(df, y) > 0.8


def test_regressor_site_column():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    df = X.copy()
    df["branch"] = np.where(df["age"] > 0, "ridge", "tree")
    members = [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3))]
    reg = CooperativeDistillationRegressor(
        members, site_column="branch", random_state=0
    ).fit(df, y)
    ref = CooperativeDistillationRegressor(members, random_state=0).fit(
        X, y, site=df["branch"].to_numpy()
    )
    np.testing.assert_allclose(reg.predict(df), ref.predict(X))
    assert cross_val_score(reg, df, y, cv=3).shape == (3,)


@pytest.mark.parametrize(
    "site_column, make_X, match",
    [
        ("clinic", lambda df: df, "is not a column of X"),
        ("hospital", lambda df: df.drop(columns="hospital").to_numpy(), "by name"),
        (12, lambda df: df.drop(columns="hospital").to_numpy(), "out of range"),
    ],
)
def test_site_column_errors(table, site_column, make_X, match):
    df, y = table
    ens = CooperativeDistillationEnsemble(_members(), site_column=site_column)
    with pytest.raises(ValueError, match=match):
        ens.fit(make_X(df), y)


def test_site_column_and_site_both_given(table):
    df, y = table
    ens = CooperativeDistillationEnsemble(_members(), site_column="hospital")
    with pytest.raises(ValueError, match="both given"):
        ens.fit(df, y, site=df["hospital"].to_numpy())


def test_site_column_is_validated():
    ens = CooperativeDistillationEnsemble(_members(), site_column=1.5)
    with pytest.raises(ValueError, match="site_column"):
        ens.fit(np.zeros((4, 2)), [0, 1, 0, 1])


# ----------------------------------------------------- warnings at the caller
def test_pooled_fit_warns_at_the_callers_line(table):
    df, y = table
    X = df.drop(columns="hospital")
    ens = CooperativeDistillationEnsemble(_members(), random_state=0)
    with pytest.warns(PooledFitWarning, match="every member") as record:
        ens.fit(X, y)
    assert record[0].filename == __file__
    with pytest.warns(PooledFitWarning) as record:
        cross_val_score(ens, X, y, cv=2)
    assert {w.filename for w in record} == {__file__}


def test_no_pooled_warning_with_a_site(table):
    df, y = table
    ens = CooperativeDistillationEnsemble(_members(), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PooledFitWarning)
        ens.fit(df.drop(columns="hospital"), y, site=df["hospital"].to_numpy())


def test_empty_site_warning_through_cross_validation_names_the_caller(table):
    df, y = table
    ens = CooperativeDistillationEnsemble(
        _members()
        + [("nb", make_pipeline(StandardScaler(), LogisticRegression(C=0.1)))],
        site_column="hospital",
        random_state=0,
    )
    df = df.assign(
        hospital=np.where(np.arange(len(df)) % 5 == 0, "nb", df["hospital"])
    )
    with pytest.warns(EmptySiteWarning) as record:
        cross_val_score(ens, df, y, groups=df["hospital"], cv=GroupKFold(3))
    empty = [w for w in record if issubclass(w.category, EmptySiteWarning)]
    assert empty and {w.filename for w in empty} == {__file__}
