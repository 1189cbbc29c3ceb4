"""skcoop.privacy: audits, attacks and the release guard (exact small cases)."""

import numpy as np
import pandas as pd
import pytest

from skcoop.privacy import (
    audit_release,
    distance_to_closest_record,
    guard_release,
    membership_inference,
    reconstruction_risk,
    site_scale,
    tpr_at_fpr,
)
from skcoop.utils import feature_scale, mixed_kneighbors, mixed_nearest


def _frame(n, seed=0):
    rng = np.random.RandomState(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "k": rng.randint(0, 9, size=n),
            "c": pd.Categorical(rng.choice(["a", "b", "c"], size=n)),
            "flag": rng.rand(n) > 0.5,
        }
    )


# ------------------------------------------------------------------ scale
def test_site_scale_matches_the_search():
    X = np.random.RandomState(0).normal(size=(40, 3))
    np.testing.assert_allclose(site_scale(X), feature_scale(X))
    df = _frame(40)
    scale = site_scale(df)
    assert scale[2] == scale[3] == 1.0
    assert scale[0] == pytest.approx(feature_scale(df[["x"]].to_numpy())[0])


def test_mixed_kneighbors_agrees_with_mixed_nearest():
    df = _frame(30)
    q = _frame(7, seed=1)
    d, i = mixed_kneighbors(q, df, n_neighbors=3, scale=site_scale(df))
    np.testing.assert_allclose(d[:, 0], mixed_nearest(q, df, scale=site_scale(df)))
    assert np.all(np.diff(d, axis=1) >= 0)
    with pytest.raises(ValueError, match="n_neighbors must be between 1 and the 30"):
        mixed_kneighbors(q, df, n_neighbors=31)


# ------------------------------------------------------------ tpr at fpr
def test_tpr_at_fpr_exact_and_ties():
    y = [1, 1, 1, 0, 0, 0, 0]
    s = [5.0, 4.0, 1.0, 4.5, 0.0, 0.0, 0.0]
    assert tpr_at_fpr(y, s, 0.0) == pytest.approx(1 / 3)
    assert tpr_at_fpr(y, s, 0.2) == pytest.approx(1 / 3)
    assert tpr_at_fpr(y, s, 0.25) == 1.0  # threshold 1.0 admits 4.5 only
    assert tpr_at_fpr(y, s, 1.0) == 1.0
    # every score tied: no threshold separates anything below fpr=1
    assert tpr_at_fpr([1, 0, 1, 0], [1.0] * 4, 0.5) == 0.0
    with pytest.raises(ValueError, match=r"fpr must be in \[0, 1\]. Got 2"):
        tpr_at_fpr(y, s, 2)


# --------------------------------------------------------------- audits
def test_dcr_exact():
    site = np.array([[0.0], [1.0], [2.0], [3.0]])
    holdout = np.array([[0.5], [10.0], [11.0], [12.0]])
    scale = [1.0]
    rep = distance_to_closest_record(site + 0.1, site, holdout, scale=scale)
    np.testing.assert_allclose(rep.released_dcr, [0.1] * 4)
    np.testing.assert_allclose(rep.holdout_dcr, [0.5, 7.0, 8.0, 9.0])
    assert rep.median_released == pytest.approx(0.1)
    assert rep.median_holdout == pytest.approx(7.5)
    assert rep.nn_distance == 1.0
    assert rep.share_below_holdout_5pct == 1.0  # all below the 5th pct (1.475)
    assert rep.share_closer_to_site == 1.0


def test_reconstruction_exact_with_sources():
    site = np.array([[0.0], [1.0], [2.0], [3.0]])
    rep = reconstruction_risk([[0.2], [3.9]], site, sources=site[[0, 3]], scale=1.0)
    # nn distance 1; source 0 at 0.2 (hit), source 3 at 0.9 (hit)
    assert rep.share == 1.0 and rep.n_records == 2
    rep = reconstruction_risk([[0.2], [3.9]], site, scale=1.0)
    np.testing.assert_allclose(rep.distance, [0.2, 0.8, 1.8, 0.9])
    assert rep.share == 0.75


def test_attacks_separate_copies_and_not_fresh_rows():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 4))
    site, holdout = X[:200], X[200:]
    copies = site[:100] + rng.normal(scale=0.01, size=(100, 4))
    mia = membership_inference(copies, site[:100], holdout)
    for attack in ("distance", "calibrated"):
        assert mia[attack].auc == 1.0
        assert mia[attack].tpr_at_1pct_fpr == 1.0
    fresh = membership_inference(holdout[:100], site[:100], holdout[100:])
    assert 0.35 < fresh.distance.auc < 0.65
    assert fresh.distance.tpr_at_1pct_fpr < 0.1


def test_class_matching_removes_a_class_mix_signal():
    rng = np.random.RandomState(0)
    # class 1 lies far from class 0; members are mostly class 1
    X0, X1 = rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + 6
    members = np.r_[X0[:10], X1[:90]]
    y_m = np.r_[np.zeros(10), np.ones(90)]
    others = np.r_[X0[100:], X1[100:]]
    y_o = np.r_[np.zeros(100), np.ones(100)]
    # released rows: fresh rows of class 1 only (no record leaks)
    released = X1[190:] + 0.0
    raw = membership_inference(released, members, others)
    matched = membership_inference(
        released, members, others, y_members=y_m, y_nonmembers=y_o
    )
    assert raw.distance.auc > 0.65
    assert abs(matched.distance.auc - 0.5) < 0.1
    assert matched.distance.auc_unmatched == raw.distance.auc
    with pytest.raises(ValueError, match="y_members and y_nonmembers go together"):
        membership_inference(released, members, others, y_members=y_m)
    with pytest.raises(ValueError, match=r"classes \[2.0\] have none"):
        membership_inference(
            released, members, others, y_members=np.r_[y_m[:-1], 2], y_nonmembers=y_o
        )


def test_guard_aware_attacks_run():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(300, 3))
    site, holdout = X[:150], X[150:]
    mia = membership_inference(site[:50], site[:50], holdout, prototype_k=5, radius=0.5)
    assert set(mia) >= {"distance", "calibrated", "prototype", "shell"}
    assert mia.prototype.auc > 0.8  # candidates that are released rows


def test_audit_release_on_frames():
    df = _frame(200)
    site, holdout = df.iloc[:100], df.iloc[100:]
    released = site.iloc[:40].copy()
    released["x"] += 0.01
    audit = audit_release(released, site, holdout, sources=site.iloc[:40])
    assert audit.membership.distance.auc > 0.9
    assert audit.reconstruction.share == 1.0
    assert audit.dcr.median_released < audit.dcr.median_holdout
    np.testing.assert_allclose(audit.scale, site_scale(site))


def test_inputs_not_modified():
    df = _frame(80)
    y = np.arange(80) % 2
    before = df.copy()
    Xv = df.iloc[:10].copy()
    Xv_before = Xv.copy()
    guard_release(Xv, y[:10], df, y, prototype_k=3, min_distance=0.5, random_state=0)
    audit_release(Xv, df.iloc[:40], df.iloc[40:])
    pd.testing.assert_frame_equal(df, before)
    pd.testing.assert_frame_equal(Xv, Xv_before)


# ------------------------------------------------------------ bad input
def test_holdout_overlapping_site_is_refused():
    X = np.random.RandomState(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match=r"2 of its rows equal rows of X_site"):
        audit_release(X[:3], X[:10], X[8:])


def test_mismatched_columns_are_refused():
    X = np.random.RandomState(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="X_holdout must have the 3 columns"):
        audit_release(X[:3], X[:10], X[10:, :2])
    df = _frame(20)
    with pytest.raises(ValueError, match=r"released must have the columns of X_site"):
        audit_release(df[["k", "x", "c", "flag"]], df.iloc[:10], df.iloc[10:])
    with pytest.raises(TypeError, match="released must be a DataFrame"):
        audit_release(df.to_numpy(), df.iloc[:10], df.iloc[10:])
    bad = df.assign(c=np.arange(20.0))
    with pytest.raises(ValueError, match=r"'c' \(cat in X_site, num here\)"):
        guard_release(bad.iloc[:2], [0, 1], df, np.arange(20) % 2)


def test_too_few_rows_are_refused():
    X = np.random.RandomState(0).normal(size=(20, 2))
    with pytest.raises(ValueError, match="X_site needs at least 2 rows.*Got 1"):
        audit_release(X[:3], X[:1], X[10:])
    with pytest.raises(ValueError, match="X_holdout needs at least 2 rows.*Got 1"):
        audit_release(X[:3], X[:10], X[10:11])
    with pytest.raises(ValueError, match="released has 0 rows"):
        audit_release(X[:0], X[:10], X[10:])


def test_nan_distances_are_refused():
    X = np.random.RandomState(0).normal(size=(20, 2))
    bad = X[:3].copy()
    bad[0, 1] = np.nan
    with pytest.raises(ValueError, match="Distances to released would be NaN"):
        audit_release(bad, X[:10], X[10:])
    df = _frame(20).assign(x=lambda d: d.x.astype(float))
    inf = df.iloc[:2].copy()
    inf.loc[inf.index[0], "x"] = np.inf
    with pytest.raises(ValueError, match="Column 'x' of released holds infinite"):
        audit_release(inf, df.iloc[2:12], df.iloc[12:])


def test_duplicated_site_rows_are_refused():
    X = np.zeros((6, 2))
    with pytest.raises(ValueError, match="median nearest-neighbour distance"):
        guard_release(X[:1], [0], X, [0, 0, 0, 1, 1, 1], min_distance=1.0)
    # prototypes alone need no neighbour distance
    out = guard_release(X[:1], [0], X, [0, 0, 0, 1, 1, 1], prototype_k=2)
    assert out.n_prototype == 1


# ---------------------------------------------------------------- guard
def test_prototype_is_the_mean_of_the_k_nearest_same_class_rows():
    X_site = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0], [0.2, 0.0], [9.0, 9.0]])
    y_site = np.array([0, 0, 0, 1, 0])
    out = guard_release([[0.1, 0.0]], [0], X_site, y_site, prototype_k=2)
    np.testing.assert_allclose(out.X, [[0.5, 0.0]])  # rows 0 and 1, not class 1
    assert out.n_prototype == 1 and out.n_dropped == 0


def test_prototype_refused_for_a_small_class():
    X_site = np.array([[0.0], [1.0], [2.0], [5.0]])
    y_site = np.array([0, 0, 0, 1])
    out = guard_release([[0.1], [5.1]], [0, 1], X_site, y_site, prototype_k=2)
    np.testing.assert_array_equal(out.keep, [True, False])
    assert out.dropped["class_too_small"] == 1 and out.n_dropped == 1
    np.testing.assert_allclose(out.X, [[0.5]])
    np.testing.assert_array_equal(out.y, [0])


def test_every_row_dropped_gives_empty_output():
    X_site = np.array([[0.0], [1.0], [2.0], [5.0]])
    out = guard_release(
        [[5.1]], [1], X_site, [0, 0, 0, 1], prototype_k=2, min_distance=1.0
    )
    assert out.X.shape == (0, 1) and out.n_dropped == 1 and not out.keep.any()


def test_min_distance_respected_and_counted():
    rng = np.random.RandomState(0)
    X_site = rng.normal(size=(60, 3))
    y_site = (X_site[:, 0] > 0).astype(int)
    Xv = X_site[:20] + 0.01
    out = guard_release(
        Xv, y_site[:20], X_site, y_site, min_distance=0.75, random_state=0
    )
    scale = site_scale(X_site)
    d = np.abs(out.X[:, None, :] - X_site[None]) / scale
    assert np.all(d.sum(axis=2).min(axis=1) >= 0.75 * out.nn_distance - 1e-9)
    assert out.n_kept + out.n_dropped == 20
    assert out.n_pushed == out.n_kept  # every row started too close
    assert out.dropped["too_close"] == out.n_dropped


def test_model_drops_misclassified_rows():
    from sklearn.dummy import DummyClassifier

    rng = np.random.RandomState(0)
    X_site = rng.normal(size=(60, 2))
    y_site = np.r_[np.zeros(30, int), np.ones(30, int)]
    model = DummyClassifier(strategy="constant", constant=0).fit(X_site, y_site)
    out = guard_release(
        X_site[[0, 1, 40, 41]],
        [0, 0, 1, 1],
        X_site,
        y_site,
        prototype_k=3,
        model=model,
    )
    np.testing.assert_array_equal(out.keep, [True, True, False, False])
    assert out.dropped["misclassified"] == 2


def test_guard_off_returns_the_rows():
    X_site = np.random.RandomState(0).normal(size=(10, 2))
    out = guard_release(X_site[:3], [0, 1, 0], X_site, np.arange(10) % 2)
    np.testing.assert_array_equal(out.X, X_site[:3])
    assert out.keep.all() and out.n_prototype == out.n_pushed == 0


def test_regression_prototype_takes_the_mean_label():
    X_site = np.array([[0.0], [1.0], [2.0], [10.0]])
    y_site = np.array([0.5, 1.5, 2.5, 9.5])
    out = guard_release([[0.4]], [7.0], X_site, y_site, prototype_k=2)
    np.testing.assert_allclose(out.X, [[0.5]])
    np.testing.assert_allclose(out.y, [1.0])


def test_regressor_model_needs_a_tolerance():
    from sklearn.linear_model import LinearRegression

    X_site = np.array([[0.0], [1.0], [2.0], [10.0]])
    y_site = np.array([0.5, 1.5, 2.5, 9.5])
    model = LinearRegression().fit(X_site, y_site)
    with pytest.raises(ValueError, match="tolerance is required"):
        guard_release([[0.4]], [1.0], X_site, y_site, prototype_k=2, model=model)
    out = guard_release(
        [[0.4]], [1.0], X_site, y_site, prototype_k=2, model=model, tolerance=0.01
    )
    assert out.n_dropped == 1 and out.dropped["misclassified"] == 1


def test_frames_round_trip_dtypes_and_categories():
    df = _frame(120)
    y = (df["x"] > 0).astype(int).to_numpy()
    Xv = df.iloc[:15].copy()
    Xv["x"] += 0.001
    out = guard_release(
        Xv, y[:15], df, y, prototype_k=5, min_distance=0.5, random_state=0
    )
    assert list(out.X.columns) == list(df.columns)
    assert (out.X.dtypes == df.dtypes).all()
    assert list(out.X["c"].cat.categories) == ["a", "b", "c"]
    np.testing.assert_array_equal(out.X.index, Xv.index[out.keep])
    d = mixed_nearest(out.X, df, scale=site_scale(df))
    assert np.all(d >= 0.5 * out.nn_distance - 1e-9)
    assert out.n_kept > 0


def test_numeric_frames_come_back_as_frames():
    rng = np.random.RandomState(0)
    df = pd.DataFrame({"a": rng.normal(size=40), "n": rng.randint(0, 50, size=40)})
    y = np.arange(40) % 2
    Xv = df.iloc[[3, 5, 8]]
    out = guard_release(Xv, y[[3, 5, 8]], df, y, prototype_k=4)
    assert list(out.X.columns) == ["a", "n"] and (out.X.dtypes == df.dtypes).all()
    np.testing.assert_array_equal(out.X.index, [3, 5, 8])
    ints = guard_release(
        df.to_numpy(dtype=int)[:3], y[:3], df.to_numpy(), y, prototype_k=4
    )
    assert ints.X.dtype.kind == "i"
