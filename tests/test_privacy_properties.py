"""skcoop.privacy: properties of the release guard and the attacks (hypothesis)."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from skcoop.privacy import guard_release, site_scale, tpr_at_fpr


def _site(seed, n, d):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3, size=d)
    y = (X[:, 0] + rng.normal(scale=0.5, size=n) > 0).astype(int)
    return rng, X, y


def _nearest(X, R, scale):
    return (np.abs(X[:, None, :] - R[None]) / scale).sum(axis=2).min(axis=1)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(12, 60),
    d=st.integers(1, 5),
    m=st.floats(0.1, 1.5),
    k=st.one_of(st.none(), st.integers(1, 8)),
)
def test_every_kept_row_is_m_neighbour_distances_away(seed, n, d, m, k):
    rng, X, y = _site(seed, n, d)
    Xv = X[rng.randint(0, n, size=15)] + rng.normal(scale=0.05, size=(15, d))
    yv = rng.randint(0, 2, size=15)
    out = guard_release(Xv, yv, X, y, prototype_k=k, min_distance=m, random_state=seed)
    assert out.keep.sum() == out.n_kept == len(out.y) == out.X.shape[0]
    assert out.n_kept + out.n_dropped == 15
    assert sum(out.dropped.values()) == out.n_dropped
    if out.n_kept:
        d_min = _nearest(out.X, X, site_scale(X))
        assert np.all(d_min >= m * out.nn_distance * (1 - 1e-9))
        np.testing.assert_allclose(d_min, out.distance)
        np.testing.assert_array_equal(out.y, yv[out.keep])


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 6))
def test_prototype_is_a_mean_of_k_same_class_rows(seed, k):
    rng, X, y = _site(seed, 30, 3)
    Xv = X[:8] + 0.01
    out = guard_release(Xv, y[:8], X, y, prototype_k=k)
    for row, label, src in zip(out.X, out.y, Xv[out.keep]):
        same = X[y == label]
        d = (np.abs(same - src) / site_scale(X)).sum(axis=1)
        nearest = same[np.argsort(d, kind="stable")[:k]]
        np.testing.assert_allclose(row, nearest.mean(axis=0))
    small = [c for c in (0, 1) if (y == c).sum() < k]
    assert out.dropped["class_too_small"] == int(np.isin(y[:8], small).sum())


@settings(max_examples=40, deadline=None)
@given(
    labels=st.lists(st.integers(0, 1), min_size=4, max_size=40),
    data=st.data(),
    fpr=st.floats(0, 1),
)
def test_tpr_at_fpr_is_achieved_by_a_threshold(labels, data, fpr):
    y = np.array(labels)
    if y.min() == y.max():
        y[0] = 1 - y[0]
    score = np.array(
        data.draw(st.lists(st.integers(0, 5), min_size=y.size, max_size=y.size))
    )
    tpr = tpr_at_fpr(y, score, fpr)
    # brute force over thresholds "score >= t" (ties never split)
    best = 0.0
    for t in np.r_[np.unique(score), np.inf]:
        pred = score >= t
        if pred[y == 0].mean() <= fpr + 1e-12:
            best = max(best, pred[y == 1].mean())
    assert tpr == best
