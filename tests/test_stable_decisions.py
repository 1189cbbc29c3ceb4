"""Decisions do not hinge on the last bit (issue 22).

Another CPU's BLAS kernel changes a member's outputs by a few ulps. These
properties perturb inputs by a few ulps (``np.nextafter``) or sum the same
weights in another order, on data without exact ties, and check that every
decision (right or wrong, a class, a bound, a weight a tree sums, a row kept
or dropped) and every prediction stays the same within a tolerance.
"""

import numpy as np
import pytest
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skcoop import CooperativeDistillationEnsemble, CooperativeDistillationRegressor
from skcoop._folds import row_hashes
from skcoop._judge import ClassJudge, ToleranceJudge, weighted_quantile
from skcoop._steps import first_occurrence
from skcoop.distill import PartitionedDistiller, replicate_soft_targets
from skcoop.utils._stable import RTOL, at_most, snap, snap_columns, stable_argmax


def _ulps(values, n_ulps, seed):
    """``values`` moved by up to ``n_ulps`` ulps each, in random directions."""
    rng = np.random.default_rng(seed)
    out = np.array(values, dtype=float, copy=True)
    steps = rng.integers(-n_ulps, n_ulps + 1, size=out.shape)
    for _ in range(n_ulps):
        up, down = steps > 0, steps < 0
        out[up] = np.nextafter(out[up], np.inf)
        out[down] = np.nextafter(out[down], -np.inf)
        steps = steps - np.sign(steps)
    return out


probabilities = arrays(
    np.float64,
    st.tuples(st.integers(1, 20), st.integers(2, 5)),
    elements=st.floats(0.0, 1.0, allow_nan=False, allow_subnormal=False),
).map(lambda a: a / np.maximum(a.sum(axis=1, keepdims=True), 1e-12))


# ------------------------------------------------------------- the helpers
@given(P=probabilities, n_ulps=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_stable_argmax_ignores_ulps(P, n_ulps, seed):
    top2 = np.sort(P, axis=1)[:, -2:]
    # tie-free rows: the best class leads by more than the margin
    clear = (top2[:, 1] - top2[:, 0]) > 1e-6
    noisy = _ulps(P, n_ulps, seed)
    got, got_noisy = stable_argmax(P, scale=1.0), stable_argmax(noisy, scale=1.0)
    np.testing.assert_array_equal(got[clear], np.argmax(P, axis=1)[clear])
    np.testing.assert_array_equal(got, got_noisy)


def test_stable_argmax_breaks_exact_ties_by_class_order():
    # equal in exact arithmetic, apart in the last bit: the first class wins
    p = np.array([[0.5, np.nextafter(0.5, 1)], [np.nextafter(0.25, 1), 0.25]])
    np.testing.assert_array_equal(stable_argmax(p, scale=1.0), [0, 0])
    assert stable_argmax(np.zeros((0, 3))).shape == (0,)


@given(
    errors=arrays(
        np.float64, st.integers(2, 40), elements=st.floats(1e-3, 1e3), unique=True
    ),
    q=st.floats(0.05, 0.95),
    n_ulps=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_tolerance_judge_ignores_ulps(errors, q, n_ulps, seed):
    # tie-free errors: distinct, none of them exactly 0
    judge = ToleranceJudge("auto", q)
    bound = judge.bound(errors)
    noisy = _ulps(errors, n_ulps, seed)
    noisy_bound = judge.bound(noisy)
    # the row the quantile lands on is right, with or without the noise
    right, right_noisy = judge.right(errors, bound), judge.right(noisy, noisy_bound)
    assert right.any()
    # rows that are not within the margin of the bound keep their decision
    scale = max(np.abs(errors).max(), 1e-300)
    clear = np.abs(errors - weighted_quantile(errors, q)) > 1e-6 * scale
    np.testing.assert_array_equal(right[clear], right_noisy[clear])
    # tie-free: the row at the quantile is right in both
    at = np.abs(errors - weighted_quantile(errors, q)) == 0
    assert right[at].all() and right_noisy[at].all()


@given(
    weights=arrays(np.float64, st.integers(2, 30), elements=st.floats(0.01, 10)),
    q=st.floats(0.05, 0.95),
    seed=st.integers(0, 2**16),
)
def test_weighted_quantile_does_not_depend_on_the_order_of_sums(weights, q, seed):
    values = np.arange(len(weights), dtype=float)  # tie-free values
    order = np.random.default_rng(seed).permutation(len(weights))
    assert weighted_quantile(values, q, weights) == weighted_quantile(
        values[order], q, weights[order]
    )


def test_weighted_quantile_meets_a_share_reached_exactly():
    # 0.1 + 0.2 > 0.3 in floating point: the share 1/2 of 0.6 is still reached
    values = np.array([1.0, 2.0, 3.0])
    assert weighted_quantile(values, 0.5, np.array([0.1, 0.2, 0.3])) == 2.0
    assert weighted_quantile(values, 0.5, np.array([1, 2, 3])) == 2.0


@given(
    w=arrays(np.float64, st.integers(1, 30), elements=st.floats(0, 1)),
    n_ulps=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_snap_ignores_ulps(w, n_ulps, seed):
    step = 2.0**-30
    # tie-free: no value sits on a rounding edge of the grid
    assume(np.all(np.abs((w / step) % 1 - 0.5) > 1e-4))
    np.testing.assert_array_equal(snap(w, scale=1.0), snap(_ulps(w, n_ulps, seed), 1.0))
    assert np.abs(snap(w, scale=1.0) - w).max() <= step / 2


def test_snapped_sums_are_exact_in_any_order():
    w = snap(np.random.default_rng(0).uniform(size=1000), scale=1.0)
    assert w.sum() == w[::-1].sum() == np.sort(w).sum()
    assert 3 * w[0] == w[0] + w[0] + w[0]


def test_at_most_margin():
    assert at_most(np.array([0.3 + 5e-17]), 0.3).all()
    assert not at_most(np.array([0.3 * (1 + 10 * RTOL)]), 0.3).any()


def test_class_judge_is_right_on_a_tie_whatever_the_last_bit():
    class Fixed:
        classes_ = np.array([0, 1])

        def __init__(self, p):
            self.p = p

        def predict_proba(self, X):
            return self.p

    judge = ClassJudge(np.array([0, 1]))
    a = Fixed(np.array([[0.5, 0.5]]))
    b = Fixed(np.array([[np.nextafter(0.5, 0), np.nextafter(0.5, 1)]]))
    assert judge.errors(a, None, [0]) == judge.errors(b, None, [0]) == 0.0


def test_dedupe_merges_rows_a_few_ulps_apart():
    X = np.array([[1.0, 2.0], [np.nextafter(1.0, 2), 2.0], [1.5, 2.0]])
    np.testing.assert_array_equal(first_occurrence(X, np.zeros(3)), [1, 0, 1])


def test_kd_weights_are_snapped():
    X = np.zeros((2, 1))
    q = np.array([[0.3, 0.7], [0.6, 0.4]])
    _, _, w = replicate_soft_targets(X, [0, 1], q, weight=0.5, classes=[0, 1])
    _, _, w_noisy = replicate_soft_targets(
        X, [0, 1], _ulps(q, 2, 0), weight=0.5, classes=[0, 1]
    )
    np.testing.assert_array_equal(w, w_noisy)


def test_row_hashes_equal_pandas_for_numeric_arrays():
    # on the snapped columns: the same folds with or without pandas
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 4))
    X[1, 1], X[2] = np.nan, X[3]
    if int(pd.__version__.split(".")[0]) >= 3:  # pandas 3 hashes -0.0 as 0.0
        X[0, 0] = -0.0
    for y in (rng.integers(0, 3, 30), rng.normal(size=30)):
        frame = pd.DataFrame(snap_columns(X), columns=[str(c) for c in range(4)])
        frame["__skcoop_label__"] = y.astype(np.float64)
        expected = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        np.testing.assert_array_equal(row_hashes(X, y), expected)
    # string labels: a hash of their text, the same in every process
    h = row_hashes(X[:2], np.array(["a", "b"]))
    # rows a few ulps apart share a hash (and so a fold)
    assert row_hashes(_ulps(X[:2], 3, 0), np.array(["a", "b"]))[1] == h[1]
    assert h.dtype == np.uint64 and h[0] != h[1]
    # a row's hash does not depend on the other rows of its batch
    assert row_hashes(X[:1], np.array(["a"]))[0] == h[0]


# ------------------------------------------------------------- whole fits
def _classification(seed):
    X, y = make_classification(
        n_samples=180, n_features=6, n_informative=4, random_state=seed
    )
    return X, y, np.arange(len(y)) % 3


def _decisions(ens, X):
    report = ens.transfer_report_
    counts = {k: np.asarray(report[k]) for k in ("qualifying", "found", "kept")}
    out = ens.predict_proba(X) if hasattr(ens, "predict_proba") else ens.predict(X)
    return counts, out


# a whole fit per example: few examples, no shrinking (minutes a step)
@settings(max_examples=4, deadline=None, phases=[Phase.explicit, Phase.generate])
@given(seed=st.integers(0, 3), n_ulps=st.integers(1, 4), noise=st.integers(0, 2**16))
def test_cooperative_fit_ignores_ulps_of_input(seed, n_ulps, noise):
    X, y, site = _classification(seed)
    members = [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]
    fit = CooperativeDistillationEnsemble(members, random_state=0).fit
    counts, proba = _decisions(fit(X, y, site=site), X)
    counts_n, proba_n = _decisions(fit(_ulps(X, n_ulps, noise), y, site=site), X)
    for key in counts:
        np.testing.assert_array_equal(counts[key], counts_n[key], err_msg=key)
    np.testing.assert_allclose(proba, proba_n, atol=1e-6)


# a whole fit per example: few examples, no shrinking (minutes a step)
@settings(max_examples=4, deadline=None, phases=[Phase.explicit, Phase.generate])
@given(seed=st.integers(0, 3), n_ulps=st.integers(1, 4), noise=st.integers(0, 2**16))
def test_regressor_fit_ignores_ulps_of_input(seed, n_ulps, noise):
    X, y = make_regression(n_samples=150, n_features=5, noise=5.0, random_state=seed)
    site = np.arange(len(y)) % 2
    members = [
        ("ridge", Ridge()),
        ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
    ]
    fit = CooperativeDistillationRegressor(members, random_state=0).fit
    counts, pred = _decisions(fit(X, y, site=site), X)
    counts_n, pred_n = _decisions(fit(_ulps(X, n_ulps, noise), y, site=site), X)
    for key in counts:
        np.testing.assert_array_equal(counts[key], counts_n[key], err_msg=key)
    np.testing.assert_allclose(pred, pred_n, rtol=1e-6, atol=1e-6 * np.abs(y).max())


# a whole fit per example: few examples, no shrinking (minutes a step)
@settings(max_examples=4, deadline=None, phases=[Phase.explicit, Phase.generate])
@given(seed=st.integers(0, 3), n_ulps=st.integers(1, 4), noise=st.integers(0, 2**16))
def test_kd_tree_student_ignores_ulps_of_input(seed, n_ulps, noise):
    # the tree learns snapped weights: the noise never reaches its split choice
    X, y, site = _classification(seed)
    members = [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
        ("tree", DecisionTreeClassifier(max_depth=4, random_state=0)),
    ]
    ens = CooperativeDistillationEnsemble(
        members, distiller=PartitionedDistiller(), random_state=0
    )
    site = site % 2
    a = ens.fit(X, y, site=site).named_estimators_["tree"].predict_proba(X)
    b = ens.fit(_ulps(X, n_ulps, noise), y, site=site)
    np.testing.assert_allclose(
        a, b.named_estimators_["tree"].predict_proba(X), atol=1e-6
    )


def test_row_order_does_not_change_decisions():
    # the same rows in another order: folds by content, sums snapped, so the
    # same rows are judged right and taught (the virtual rows themselves
    # differ: the search's random draws follow the rows' positions)
    X, y, site = _classification(0)
    site = site % 2
    order = np.random.default_rng(1).permutation(len(y))
    members = [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
        ("nb", GaussianNB()),
    ]
    fit = CooperativeDistillationEnsemble(members, random_state=0).fit
    counts, _ = _decisions(fit(X, y, site=site), X)
    counts_p, _ = _decisions(fit(X[order], y[order], site=site[order]), X)
    for key in ("qualifying", "found"):
        np.testing.assert_array_equal(counts[key], counts_p[key], err_msg=key)
