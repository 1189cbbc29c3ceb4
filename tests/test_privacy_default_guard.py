"""The release guard on by default (issue 26): sampled prototypes, one setting.

``ReleaseGuard()`` (``guard="auto"``) releases, instead of each
counterfactual, a draw like the ``k`` rows of its class nearest to it; the
ensembles, :class:`CounterfactualDistiller` and :func:`skcoop.silo.teach`
take it through the one ``guard`` setting, and the deprecated
``prototype_k`` / ``min_distance`` still build the old guard.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop import CooperativeDistillationEnsemble, CounterfactualDistiller
from skcoop.privacy import ReleaseGuard, guard_release, membership_inference
from skcoop.silo.options import settings_from_config
from skcoop.utils import snap


def _site(n=300, d=4, seed=0):
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    X = rng.normal(size=(n, d)) + 2.0 * y[:, None]
    return X, y


def test_sampled_prototype_keeps_the_spread_a_mean_loses():
    X, y = _site(600, 3)
    q = X[:200] + 0.01
    mean = guard_release(q, y[:200], X, y, prototype_k=20)
    draw = guard_release(
        q, y[:200], X, y, prototype_k=20, prototype="sample", random_state=0
    )
    assert draw.n_prototype == 200
    spread_site = X[y == 0].std(axis=0).mean()
    spread_mean = mean.X[y[:200] == 0].std(axis=0).mean()
    spread_draw = draw.X[y[:200] == 0].std(axis=0).mean()
    # a mean of 20 rows shrinks the spread; a draw keeps most of it
    assert spread_mean < 0.85 * spread_site
    assert spread_draw > 0.9 * spread_site
    # each draw lies about a neighbourhood's spread from the mean prototype
    assert np.abs(draw.X - mean.X).mean() > 0.3
    # no released row is (near) a copy of its counterfactual's source
    assert np.abs(draw.X - X[:200]).sum(axis=1).min() > 0.05


def test_sampled_prototype_stays_in_range_and_rounds_whole_numbers():
    rng = np.random.RandomState(1)
    X = rng.randint(0, 17, size=(200, 5)).astype(float)
    y = np.arange(200) % 2
    out = guard_release(
        X[:50], y[:50], X, y, prototype_k=10, prototype="sample", random_state=0
    )
    assert np.all(out.X == np.round(out.X))
    assert out.X.min() >= 0 and out.X.max() <= 16
    again = guard_release(
        X[:50], y[:50], X, y, prototype_k=10, prototype="sample", random_state=0
    )
    np.testing.assert_array_equal(out.X, again.X)  # random_state fixes the draws


def test_sampled_prototype_on_a_mixed_frame():
    rng = np.random.RandomState(0)
    X = pd.DataFrame(
        {
            "age": rng.normal(40, 10, 120),
            "kind": pd.Categorical(rng.choice(["a", "b", "c"], 120)),
            "n": rng.randint(0, 5, 120),
            "flag": rng.rand(120) > 0.5,
        }
    )
    X.loc[3, "age"] = np.nan
    y = np.arange(120) % 2
    out = guard_release(
        X.iloc[:10], y[:10], X, y, prototype_k=8, prototype="sample", random_state=0
    )
    assert out.n_prototype == 10
    assert list(out.X.dtypes) == list(X.dtypes)
    assert set(out.X["kind"]) <= {"a", "b", "c"}
    assert out.X["age"].notna().all()


def test_default_guard_bounds_a_copy_attack():
    X, y = _site(600, 4, seed=2)
    members, others = X[:300], X[300:]
    y_m = y[:300]
    copies = members + 0.001
    raw = membership_inference(copies, members, others)
    out = ReleaseGuard().release(copies, y_m, members, y_m, random_state=0)
    guarded = membership_inference(out.X, members, others)
    assert raw.distance.auc > 0.99
    assert guarded.distance.auc < 0.65
    assert guarded.calibrated.auc < 0.65


def _members():
    return [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("nb", GaussianNB()),
    ]


def _data():
    X, y = load_breast_cancer(return_X_y=True)
    return X[:240], y[:240], np.arange(240) % 3


def _fit(**params):
    X, y, site = _data()
    return CooperativeDistillationEnsemble(_members(), random_state=0, **params).fit(
        X, y, site=site
    )


def _rows(ens):
    return np.vstack([ens.virtual_instances_[n]["X"] for n in ("logreg", "tree", "nb")])


def test_guard_is_on_by_default_and_none_turns_it_off():
    X, _, _ = _data()
    default = _fit()
    assert default.guard == "auto"
    off = _fit(guard=None)
    explicit = _fit(guard=ReleaseGuard())
    np.testing.assert_array_equal(_rows(default), _rows(explicit))
    assert int(default.transfer_report_["guarded"].sum()) > 0
    assert int(off.transfer_report_["guarded"].sum()) == 0
    # unguarded rows sit on the site's records; guarded ones do not
    from scipy.spatial.distance import cdist

    def nearest(rows):
        return cdist(rows, X, "cityblock").min(axis=1)

    assert np.median(nearest(_rows(off))) < 0.5 * np.median(nearest(_rows(default)))


def test_distiller_takes_the_same_guard():
    X, y, site = _data()
    a = _fit(guard=ReleaseGuard(prototype_k=10))
    b = CooperativeDistillationEnsemble(
        _members(),
        distiller=CounterfactualDistiller(guard=ReleaseGuard(prototype_k=10)),
        random_state=0,
    ).fit(X, y, site=site)
    np.testing.assert_array_equal(_rows(a), _rows(b))


def test_deprecated_prototype_k_builds_the_old_guard():
    with pytest.warns(FutureWarning, match="prototype_k and min_distance"):
        old = _fit(prototype_k=10)
    new = _fit(guard=ReleaseGuard(prototype_k=10, prototype="mean"))
    np.testing.assert_array_equal(_rows(old), _rows(new))
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        _fit()  # the default does not warn


def test_guard_values_are_checked():
    from sklearn.utils._param_validation import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="'guard' parameter"):
        _fit(guard="on")
    with pytest.raises(InvalidParameterError, match="'prototype' parameter"):
        X, y = _site()
        ReleaseGuard(prototype="median").release(X, y, X, y)


def test_guard_object_is_cloned_like_a_parameter():
    ens = CooperativeDistillationEnsemble(_members(), guard=ReleaseGuard(prototype_k=7))
    copy = clone(ens)
    assert copy.guard is not ens.guard
    assert copy.guard.get_params() == ens.guard.get_params()
    assert ens.get_params()["guard__prototype_k"] == 7


def test_flower_config_turns_the_guard_off_with_an_empty_string():
    assert settings_from_config({"guard": ""})["guard"] is None
    assert settings_from_config({"guard": "none"})["guard"] is None
    assert settings_from_config({"guard": "auto"})["guard"] == "auto"


def test_regression_draws_carry_the_teacher_plus_the_residual():
    # a draw is labelled with the teacher's prediction at the draw plus the
    # counterfactual's residual toward its label: y - f(x_cf)
    from sklearn.linear_model import LinearRegression

    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3))
    y = 2.0 * X[:, 0] - X[:, 2] + 0.1 * rng.normal(size=200)
    teacher = LinearRegression().fit(X, y)
    q = X[:30] + 0.05
    y_q = teacher.predict(q) + 0.5  # each counterfactual 0.5 short of its label
    out = guard_release(
        q,
        y_q,
        X,
        y,
        prototype_k=20,
        prototype="sample",
        model=teacher,
        tolerance=0.1,
        random_state=0,
    )
    assert out.n_kept == 30 and out.dropped["misclassified"] == 0
    # on the grid of utils.snap: 2**-30 of the power of two above max abs(y)
    np.testing.assert_allclose(
        out.y, teacher.predict(out.X) + 0.5, rtol=0, atol=2.0**-27
    )
    np.testing.assert_array_equal(out.y, snap(out.y, scale=np.abs(y).max()))
    # the draws moved: labels are not the counterfactuals' own
    assert np.abs(out.y - y_q).mean() > 0.1


def test_regression_draws_come_from_rows_with_labels_like_the_row():
    # two groups of the same features, labels 0 and 10: a row labelled 10 is
    # drawn like the rows labelled 10 near it (the regression analogue of
    # "the rows of its class"); the mean prototype takes any label
    rng = np.random.RandomState(1)
    X = rng.normal(size=(160, 30))
    y = np.r_[np.zeros(80), np.full(80, 10.0)]
    q = X[80:90] + 0.01
    draw = guard_release(
        q,
        y[80:90],
        X,
        y,
        prototype_k=20,
        prototype="sample",
        tolerance=1.0,
        random_state=0,
    )
    mean = guard_release(q, y[80:90], X, y, prototype_k=20, tolerance=1.0)
    np.testing.assert_allclose(draw.y, 10.0)  # no model: the neighbours' mean
    assert 2.0 < mean.y.mean() < 8.0


def _regressor(guard, X, y, site):
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeRegressor

    from skcoop import CooperativeDistillationRegressor

    return CooperativeDistillationRegressor(
        [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3))],
        guard=guard,
        random_state=0,
    ).fit(X, y, site=site)


def test_regressor_auto_guards_and_none_turns_it_off():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    site = np.arange(len(y)) % 2
    auto = _regressor("auto", X, y, site)
    explicit = _regressor(ReleaseGuard(), X, y, site)
    off = _regressor(None, X, y, site)
    # whole-number targets are regression here, not 200 classes of one row
    assert int(auto.transfer_report_["guarded"].sum()) > 0
    assert int(auto.transfer_report_["kept"].sum()) > 0
    assert int(off.transfer_report_["guarded"].sum()) == 0
    for name in ("ridge", "tree"):
        a, e = auto.virtual_instances_[name], explicit.virtual_instances_[name]
        np.testing.assert_array_equal(a.X, e.X)
        np.testing.assert_array_equal(a.y, e.y)
        # unguarded rows carry their source's label; guarded draws the
        # teacher's label at the draw (plus the residual), not the source's
        o = off.virtual_instances_[name]
        np.testing.assert_array_equal(o.y, y[o.source_index])
        assert not np.allclose(a.y, y[a.source_index])


class _Float32Only(ClassifierMixin, BaseEstimator):
    """A teacher that, like a torch net fitted on float32 rows, refuses float64."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.model_ = GaussianNB().fit(X, y)
        return self

    def predict(self, X):
        if np.asarray(X).dtype != np.float32:
            raise RuntimeError(f"expected float32 rows, got {np.asarray(X).dtype}")
        return self.model_.predict(X)


def test_guard_checks_draws_in_the_dtype_the_teacher_was_fitted_on():
    # a search hands float64 counterfactuals to the guard; the teacher was
    # fitted on float32 site rows (experiment A's skorch MLP failed here)
    rng = np.random.default_rng(0)
    X_site = np.vstack([rng.normal(0, 1, (40, 3)), rng.normal(4, 1, (40, 3))]).astype(
        np.float32
    )
    y_site = np.repeat([0, 1], 40)
    teacher = _Float32Only().fit(X_site, y_site)
    X_virtual = X_site[::8].astype(np.float64) + 0.1
    out = guard_release(
        X_virtual,
        y_site[::8],
        X_site,
        y_site,
        prototype_k=20,
        prototype="sample",
        model=teacher,
        random_state=0,
    )
    assert out.n_prototype > 0
    assert out.X.dtype == np.float64  # returned in the form it was given


def test_guard_without_distances_releases_the_same_rows():
    # distances=False skips only the report's two quadratic scans
    X, y = _site()
    rng = np.random.RandomState(1)
    X_virtual = X[:40] + rng.normal(scale=0.05, size=(40, X.shape[1]))
    for guard in (ReleaseGuard(), ReleaseGuard(prototype_k=None, min_distance=0.5)):
        full = guard.release(X_virtual, y[:40], X, y, random_state=0)
        quick = guard.release(X_virtual, y[:40], X, y, random_state=0, distances=False)
        np.testing.assert_array_equal(full.keep, quick.keep)
        np.testing.assert_array_equal(full.X, quick.X)
        np.testing.assert_array_equal(full.y, quick.y)
        if guard.min_distance is None:
            assert np.isnan(quick.nn_distance) and np.isnan(quick.distance).all()
            assert full.nn_distance > 0 and np.isfinite(full.distance).all()
        else:  # the push needs them: computed anyway
            assert quick.nn_distance == pytest.approx(full.nn_distance)
            np.testing.assert_allclose(quick.distance, full.distance)


class _OldGuard(ReleaseGuard):
    """A user's guard whose ``release`` does not take ``distances``."""

    def release(
        self,
        X_virtual,
        y_virtual,
        X_site,
        y_site,
        *,
        model=None,
        classes=None,
        tolerance=None,
        random_state=None,
    ):
        return super().release(
            X_virtual,
            y_virtual,
            X_site,
            y_site,
            model=model,
            classes=classes,
            tolerance=tolerance,
            random_state=random_state,
        )


def test_fit_skips_the_guard_distances_and_takes_a_guard_without_them(monkeypatch):
    import skcoop.privacy._guard as guard_module

    seen = []
    original = guard_module.guard_release

    def spy(*args, **kwargs):
        seen.append(kwargs.get("distances"))
        return original(*args, **kwargs)

    monkeypatch.setattr("skcoop.privacy._release_guard.guard_release", spy)
    default = _fit()
    assert seen and not any(seen)  # the fit reads no distance
    seen.clear()
    old = _fit(guard=_OldGuard())
    assert seen and all(seen)
    np.testing.assert_array_equal(_rows(default), _rows(old))


def test_prototypes_in_blocks_equal_all_at_once(monkeypatch):
    # the neighbourhoods are gathered a block of rows at a time (memory)
    import skcoop.privacy._prototype as prototype
    from skcoop.privacy._space import _Space

    rng = np.random.RandomState(0)
    R = rng.normal(size=(200, 5))
    R[:, 2] = np.round(3 * R[:, 2])  # a whole-number column is rounded
    ind = rng.randint(0, 200, size=(97, 8))
    first = rng.normal(size=(97, 5))
    space = _Space(R)
    whole = (
        prototype.neighbourhood_sample(space, R, ind, np.random.RandomState(3)),
        prototype.neighbourhood_mean(space, R, ind),
        prototype.neighbourhood_mean(space, R, ind, first),
    )
    monkeypatch.setattr(prototype, "_BLOCK", 50)  # a few rows per block
    blocks = (
        prototype.neighbourhood_sample(space, R, ind, np.random.RandomState(3)),
        prototype.neighbourhood_mean(space, R, ind),
        prototype.neighbourhood_mean(space, R, ind, first),
    )
    for a, b in zip(whole, blocks):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(whole[1], R[ind].mean(axis=1), rtol=1e-12)
    assert prototype.neighbourhood_mean(space, R, ind[:0]).shape == (0, 5)


class _IntOnly(ClassifierMixin, BaseEstimator):
    """A teacher that refuses anything but float64 rows (never cast to ints)."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.model_ = GaussianNB().fit(X, y)
        return self

    def predict(self, X):
        if np.asarray(X).dtype != np.float64:
            raise RuntimeError(f"expected float64 rows, got {np.asarray(X).dtype}")
        return self.model_.predict(X)


def test_guard_casts_floats_only():
    # integer site rows: the draws are checked as float64, not cast to ints
    rng = np.random.default_rng(1)
    X_site = np.vstack([rng.integers(0, 5, (40, 3)), rng.integers(6, 11, (40, 3))])
    y_site = np.repeat([0, 1], 40)
    teacher = _IntOnly().fit(X_site.astype(float), y_site)
    out = guard_release(
        X_site[::8].astype(float) + 0.3,
        y_site[::8],
        X_site,
        y_site,
        prototype_k=20,
        prototype="sample",
        model=teacher,
        random_state=0,
    )
    assert out.n_prototype > 0


def test_in_dtype_of_serves_the_guard_and_the_student():
    from skcoop.utils import in_dtype_of

    rows = np.array([[0.5, 1.5]])
    f32 = np.zeros((2, 2), dtype=np.float32)
    ints = np.zeros((2, 2), dtype=np.int64)
    assert in_dtype_of(rows, f32).dtype == np.float32
    assert in_dtype_of(rows, f32, floats_only=True).dtype == np.float32
    # a student's integer rows take integers; the guard's check keeps floats
    assert in_dtype_of(rows, ints).dtype == np.int64
    assert in_dtype_of(rows, ints, floats_only=True) is rows
    assert in_dtype_of(rows.astype(np.float32), rows).dtype == np.float64
    same = np.zeros((1, 2))
    assert in_dtype_of(same, np.ones((3, 2))) is same  # no copy when equal
    frame = pd.DataFrame(rows, columns=["a", "b"])
    assert in_dtype_of(frame, f32) is frame  # DataFrames pass unchanged
    assert in_dtype_of(rows, pd.DataFrame(f32)) is rows
    assert rows.dtype == np.float64  # the input is not modified


def test_regression_draws_equal_without_distances():
    # the draws' neighbours weigh features and label by the site's unit,
    # which distances=False (the fit's setting) must still compute
    rng = np.random.RandomState(3)
    X = rng.normal(size=(150, 6))
    y = X[:, 0] + 0.1 * rng.normal(size=150)
    full = ReleaseGuard().release(X[:30] + 0.01, y[:30], X, y, random_state=0)
    quick = ReleaseGuard().release(
        X[:30] + 0.01, y[:30], X, y, random_state=0, distances=False
    )
    np.testing.assert_array_equal(full.X, quick.X)
    np.testing.assert_array_equal(full.y, quick.y)
    assert np.isnan(quick.nn_distance)
