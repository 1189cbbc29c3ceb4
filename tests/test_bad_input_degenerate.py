"""Degenerate but valid data works, or says why not.

Constant columns, a site with one row or one class, huge and tiny
magnitudes, a member that reads one feature, duplicated rows: each fit
either succeeds with finite, normalised probabilities, or fails with a
message that names the member and the reason.
"""

import warnings

import numpy as np
import pytest
from _bad import expect
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skcoop import CooperativeDistillationEnsemble, CooperativeDistillationRegressor

rng = np.random.RandomState(0)
X = rng.normal(size=(40, 3))
Y = (X[:, 0] + 0.3 * rng.normal(size=40) > 0).astype(int)
YR = X[:, 0] + 0.1 * rng.normal(size=40)
SITE = np.arange(40) % 2


def _members():
    return [
        ("lr", LogisticRegression()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]


def _fit_ok(X_in, y_in, site, members=None, **params):
    est = CooperativeDistillationEnsemble(
        members or _members(),
        random_state=0,
        **params,
        guard=None,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = expect(lambda: est.fit(X_in, y_in, site=site), None, None, X_in, y_in)
    proba = est.predict_proba(X_in)
    assert np.isfinite(proba).all() and proba.min() >= 0 and proba.max() <= 1
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-9)
    return est


def _constant_column():
    Xc = X.copy()
    Xc[:, 1] = 3.0
    return Xc


def _one_row_site():
    site = np.zeros(40, dtype=int)
    site[7] = 1
    return site


CASES = {
    "constant-column": lambda: (_constant_column(), Y, SITE),
    "all-constant-rows": lambda: (np.ones((40, 3)), Y, SITE),
    "one-row-site": lambda: (X, Y, _one_row_site()),
    "one-class-site": lambda: (X, np.where(SITE == 1, 1, Y), SITE),
    "huge-magnitudes": lambda: (X * 1e30, Y, SITE),
    "tiny-magnitudes": lambda: (X * 1e-150, Y, SITE),
    "mixed-magnitudes": lambda: (X * np.array([1e-8, 1.0, 1e8]), Y, SITE),
    "duplicated-rows": lambda: (
        np.repeat(X[:10], 4, axis=0),
        np.repeat(Y[:10], 4),
        SITE,
    ),
    "integer-features": lambda: (np.round(X * 3).astype(int), Y, SITE),
    "three-classes": lambda: (X, (np.arange(40) // 3) % 3, SITE),
    "string-labels": lambda: (X, np.array(["no", "yes"])[Y], SITE),
    "two-rows-per-site": lambda: (
        X[:4],
        np.array([0, 1, 1, 0]),
        np.array([0, 0, 1, 1]),
    ),
}


@pytest.mark.parametrize("key", sorted(CASES))
def test_degenerate_data_fits(key):
    X_in, y_in, site = CASES[key]()
    _fit_ok(X_in, y_in, site, counterfactual="blackbox")


@pytest.mark.parametrize("key", ["constant-column", "one-row-site", "tiny-magnitudes"])
def test_degenerate_data_fits_with_the_bisection_search(key):
    X_in, y_in, site = CASES[key]()
    _fit_ok(X_in, y_in, site, counterfactual="bisection")


def test_magnitudes_beyond_a_tree_say_which_member_and_why():
    est = CooperativeDistillationEnsemble(_members(), random_state=0)
    Xh = X * 1e150
    expect(
        lambda: est.fit(Xh, Y, site=SITE),
        ValueError,
        r"Member 'tree' \(DecisionTreeClassifier\) failed to fit on its 20 rows: "
        r"Input X contains infinity or a value too large for dtype\('float32'\)",
        Xh,
    )


def test_member_with_one_feature():
    members = [("lr", LogisticRegression(), [0]), ("tree", DecisionTreeClassifier())]
    est = _fit_ok(X, Y, SITE, members=members)
    assert est.named_estimators_["lr"].n_features_in_ == 1


def test_members_with_disjoint_single_features():
    members = [("a", LogisticRegression(), [0]), ("b", GaussianNB(), [1])]
    with pytest.warns(UserWarning, match="share no column"):
        CooperativeDistillationEnsemble(members, random_state=0).fit(X, Y, site=SITE)


def test_naive_bayes_on_constant_site_says_why():
    Xc = X.copy()
    Xc[SITE == 0] = 1.0  # GaussianNB without smoothing: NaN probabilities
    est = CooperativeDistillationEnsemble(
        [("nb", GaussianNB(var_smoothing=0.0)), ("lr", LogisticRegression())],
        random_state=0,
    )
    expect(
        lambda: est.fit(Xc, Y, site=SITE),
        ValueError,
        r"Member 'nb' \(GaussianNB\)\.predict_proba returned NaN for 20 rows",
        Xc,
    )


def test_oof_folds_above_the_site_size_warns():
    est = CooperativeDistillationEnsemble(_members(), oof_folds=1000, random_state=0)
    expect(
        lambda: est.fit(X, Y, site=SITE),
        None,
        r"oof_folds=1000 is more than the rows of member\(s\) \{'lr': 20, 'tree': 20\}",
        X,
        warning=UserWarning,
    )


def test_oof_folds_within_the_sites_does_not_warn():
    est = CooperativeDistillationEnsemble(_members(), oof_folds=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        est.fit(X, Y, site=SITE)


REG_CASES = {
    "constant-target-site": lambda: (X, np.where(SITE == 0, 1.0, YR), SITE),
    "constant-column": lambda: (_constant_column(), YR, SITE),
    "huge-target": lambda: (X, YR * 1e100, SITE),
    "tiny-target": lambda: (X, YR * 1e-100, SITE),
    "one-row-site": lambda: (X, YR, _one_row_site()),
}


@pytest.mark.parametrize("key", sorted(REG_CASES))
def test_regressor_degenerate_data_fits(key):
    X_in, y_in, site = REG_CASES[key]()
    est = CooperativeDistillationRegressor(
        [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3))],
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = expect(lambda: est.fit(X_in, y_in, site=site), None, None, X_in, y_in)
    assert np.isfinite(est.predict(X_in)).all()


def test_equal_seeds_give_equal_fits_on_degenerate_data():
    X_in, y_in, site = CASES["constant-column"]()
    a = _fit_ok(X_in, y_in, site).predict_proba(X_in)
    b = _fit_ok(X_in, y_in, site).predict_proba(X_in)
    np.testing.assert_array_equal(a, b)
