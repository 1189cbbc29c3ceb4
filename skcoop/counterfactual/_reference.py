"""Few-evaluation search steps: slopes and anchors read from the reference rows.

:class:`BlackBoxSearch` with ``slopes="reference"`` (the default) spends its
model evaluations only on the line searches: the slopes of each linear jump
come from a local linear model of the reference rows' stored outputs
(:meth:`~skcoop.counterfactual._neighbors.ReferenceIndex.slopes`), not from
``d`` forward differences; each row stops as soon as it meets its target; the
line search is a safeguarded secant on the score (a few evaluations for a
smooth model, a bisection where the score jumps); and the reversion of
changed features is one bisection over how many of the smallest changes go
back (``log2`` of the changed features), not one evaluation per feature.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ._linear import knapsack_direction
from ._neighbors import clipped_score

__all__ = [
    "line_search",
    "reference_search",
    "reference_slopes",
    "revert_smallest",
    "screened_slopes",
    "shrink_segment",
]


def _threshold_score(goal, rows):
    """Score of each row's target boundary, on the source's side."""
    if not goal.regression:
        return clipped_score(goal, goal.lower[rows])
    return np.where(goal.direction[rows] < 0, goal.upper[rows], goal.lower[rows])


def line_search(
    ctx, rows, origin, step, *, hi=None, out_hi=None, n_expand=3, n_refine=4, tol=0.05
):
    """Smallest ``t`` with ``origin + t * step`` reaching the target, by secant steps.

    ``t = 1`` first (unless ``hi`` gives a known reaching ``t`` with its
    output ``out_hi``); rows that do not reach it extrapolate (at most
    ``n_expand`` times, by 1.5x to 4x); then at most ``n_refine`` secant
    steps on the score, aimed just past the boundary and kept inside the
    bracket, fall back to bisection when the same side is hit twice, and
    stop once the bracket is within ``tol`` of ``t``. The score at
    ``t = 0`` is the origin's (a source row: its output is known).

    Returns
    -------
    Z, out, ok : as in :func:`~skcoop.counterfactual._steps.bisect_segments`;
        rows that reached nothing get the farthest point tried (``ok``
        False).
    t : ndarray of shape (m,)
        The step lengths taken (``inf`` where nothing was reached).
    """
    goal = ctx.goal
    m = rows.size
    s_thr = _threshold_score(goal, rows)
    sign = np.ones(m)  # scores times sign grow toward the target
    if goal.regression:
        sign = np.where(goal.direction[rows] < 0, -1.0, 1.0)
    lo = np.zeros(m)
    s_lo = clipped_score(goal, goal.initial[rows]) * sign
    s_thr = s_thr * sign
    out_lo = goal.initial[rows].copy()
    known = hi is not None
    hi = np.full(m, np.inf) if hi is None else np.asarray(hi, float).copy()
    out_hi = np.full(m, np.nan) if out_hi is None else np.asarray(out_hi, float).copy()
    s_hi = np.where(np.isfinite(hi), clipped_score(goal, out_hi) * sign, np.nan)
    has = np.any(step != 0, axis=1)

    def point(t, idx):
        return ctx.project(origin[idx] + t[:, None] * step[idx], rows[idx])

    t = np.ones(m)
    act = np.flatnonzero(has & ~np.isfinite(hi)) if known else np.flatnonzero(has)
    for _ in range(1 + n_expand):
        if act.size == 0:
            break
        out, _ = ctx.evaluate(point(t[act], act), rows[act])
        s = clipped_score(goal, out) * sign[act]
        r = goal.reached(out, rows[act])
        got = act[r]
        hi[got], out_hi[got], s_hi[got] = t[got], out[r], s[r]
        miss = act[~r]
        s_m = s[~r]
        # secant extrapolation through the last two points, 1.5x-4x further
        slope = (s_m - s_lo[miss]) / np.maximum(t[miss] - lo[miss], 1e-12)
        with np.errstate(divide="ignore", invalid="ignore"):
            guess = t[miss] + (s_thr[miss] - s_m) / slope
        guess = np.where(np.isfinite(guess) & (slope > 0), guess, 4 * t[miss])
        lo[miss], s_lo[miss], out_lo[miss] = t[miss], s_m, out[~r]
        t[miss] = np.clip(1.05 * guess, 1.5 * t[miss], 4 * t[miss])
        act = miss
    last = np.zeros(m, dtype=int)  # side of the last point: +1 reached, -1 not
    streak = np.zeros(m, dtype=int)  # points in a row on that side
    for _ in range(n_refine):
        act = np.flatnonzero(np.isfinite(hi) & (hi - lo > tol * hi))
        if act.size == 0:
            break
        a_lo, a_hi = lo[act], hi[act]
        with np.errstate(divide="ignore", invalid="ignore"):
            tb = a_lo + (s_thr[act] - s_lo[act]) * (a_hi - a_lo) / (
                s_hi[act] - s_lo[act]
            )
        mid = 0.5 * (a_lo + a_hi)
        tb = np.where(np.isfinite(tb), tb * (1 + tol / 2), mid)
        gap = 0.5 * tol * a_hi
        bisect = streak[act] >= 2
        tt = np.where(bisect, mid, np.clip(tb, a_lo + gap, a_hi - gap))
        out, _ = ctx.evaluate(point(tt, act), rows[act])
        s = clipped_score(goal, out) * sign[act]
        r = goal.reached(out, rows[act])
        new = np.where(r, 1, -1)
        streak[act] = np.where(
            bisect, 0, np.where(last[act] == new, streak[act] + 1, 1)
        )
        last[act] = new
        g, b = act[r], act[~r]
        hi[g], out_hi[g], s_hi[g] = tt[r], out[r], s[r]
        lo[b], out_lo[b], s_lo[b] = tt[~r], out[~r], s[~r]
    found = np.isfinite(hi)
    t_end = np.where(found, hi, lo)
    Z = point(t_end, np.arange(m))
    out = np.where(found, out_hi, out_lo)
    return Z, out, found & goal.valid(out, rows), np.where(found, hi, np.inf)


def reference_slopes(ctx, Z, rows):
    """Slopes of each row's score at ``Z`` from the reference rows' stored outputs."""
    goal = ctx.goal

    def scores():  # needed once per batch, when the local models are fitted
        raw = np.asarray(ctx.reference_output(), dtype=float)
        return clipped_score(goal, raw.reshape(raw.shape[0], -1))

    columns = np.zeros(rows.size, int) if goal.regression else goal.class_index[rows]
    return ctx.reference_index().slopes(scores, Z, columns)


def reference_search(ctx, rows, n_steps=3, n_screen=4):
    """Linear jumps with slopes from the reference rows, each row until it is valid.

    Step ``i`` linearises the score where step ``i - 1`` ended (the source
    first): slopes from the nearest reference rows (:func:`reference_slopes`),
    of which the ``n_screen`` most promising are measured by forward
    differences (:func:`screened_slopes`; 0: none). It then jumps from the
    source along the L1-cheapest direction of that linear model
    (:func:`~skcoop.counterfactual._linear.knapsack_direction`) and
    line-searches its length (:func:`line_search`). A row stops at its first
    valid point; the others go on from the farthest point tried.

    Returns
    -------
    Z, out, ok : as in :func:`~skcoop.counterfactual._steps.bisect_segments`.
    """
    goal = ctx.goal
    m = rows.size
    src = ctx.X[rows]
    Z, out = src.copy(), goal.initial[rows].copy()
    ok = np.zeros(m, dtype=bool)
    cols = np.flatnonzero(ctx.units[ctx.shrinkable].any(axis=0))
    act = np.arange(m)
    for _ in range(n_steps if cols.size else 0):
        if act.size == 0:
            break
        r = rows[act]
        grad = reference_slopes(ctx, Z[act], r)[:, cols]
        if n_screen:
            grad = screened_slopes(ctx, r, Z[act], out[act], cols, grad, n_screen)
        s0 = clipped_score(goal, out[act])
        step, has = knapsack_direction(ctx, r, Z[act], s0, grad, cols, src[act])
        L, L_out, L_ok, _ = line_search(ctx, r, src[act], step)
        moved = has & np.any(L != Z[act], axis=1)
        Z[act[moved]], out[act[moved]] = L[moved], L_out[moved]
        ok[act] = L_ok
        act = act[~L_ok & moved]
    return Z, out, ok


def revert_smallest(ctx, Z, out, rows, slopes=None):
    """Put the least useful changes back to the source values while the goal holds.

    Per row, the changed units (features or one-hot groups) are ordered, the
    least useful first: by the score each gains per unit of scaled L1 on the
    linear model ``slopes`` (shape (m, d), per original unit) when given, by
    the size of their scaled change otherwise. A bisection over how many of
    them go back together finds the most that can (``log2`` of the changed
    units in evaluations). ``Z`` must be valid.
    """
    Z, out = Z.copy(), out.copy()
    src = ctx.X[rows]
    delta = (np.abs(Z - src) / ctx.scale) @ ctx.units_f.T  # (m, n_units)
    n_changed = (delta > 0).sum(axis=1)
    live = np.flatnonzero(n_changed > 1)
    if live.size == 0:
        return Z, out
    n_units = delta.shape[1]
    key = delta[live]
    if slopes is not None:  # score gained per unit of L1, per unit
        gain = (slopes[live] * (Z[live] - src[live])) @ ctx.units_f.T
        key = gain / np.maximum(key, 1e-300)
    d_live = np.where(delta[live] > 0, key, np.inf)
    order = np.argsort(d_live, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(n_units)[None, :], axis=1)
    # rank of each column's unit; immutable columns never go back
    rank = np.column_stack([rank, np.full(live.size, n_units)])[:, ctx.col_unit]
    lo = np.zeros(live.size, dtype=int)  # reverting this many keeps the goal
    hi = n_changed[live]  # reverting all is the source: not valid
    best_out = out[live].copy()
    cur, base = Z[live], src[live]
    while True:
        act = np.flatnonzero(hi - lo > 1)
        if act.size == 0:
            break
        mid = (lo[act] + hi[act]) // 2
        trial = np.where(rank[act] < mid[:, None], base[act], cur[act])
        t_out, t_ok = ctx.evaluate(trial, rows[live[act]])
        lo[act[t_ok]] = mid[t_ok]
        best_out[act[t_ok]] = t_out[t_ok]
        hi[act[~t_ok]] = mid[~t_ok]
    Z[live] = np.where(rank < lo[:, None], base, cur)
    out[live] = best_out
    return Z, out


def shrink_segment(ctx, Z, out, rows, tol=0.05):
    """Scale every change back toward the source while the goal holds.

    A :func:`line_search` on the segment source -> ``Z`` (``t = 1`` known
    valid). ``Z`` must be valid.
    """
    src = ctx.X[rows]
    P, P_out, P_ok, _ = line_search(
        ctx, rows, src, Z - src, hi=np.ones(rows.size), out_hi=out, tol=tol
    )
    keep = P_ok & (ctx.distance(P, rows) <= ctx.distance(Z, rows))
    return np.where(keep[:, None], P, Z), np.where(keep, P_out, out)


def screened_slopes(ctx, rows, Z0, out0, cols, grad, n_screen, rel_step=0.1):
    """Measure the slopes of the ``n_screen`` most promising features, zero the rest.

    The features are ranked by the estimated score gained per unit of
    scaled L1 (``|grad| * scale``); a forward difference per ranked feature
    (one call, ``n_screen`` rows per instance, step ``rel_step`` times the
    feature's scale) replaces the estimate.
    """
    goal = ctx.goal
    m, d = rows.size, ctx.d
    q = min(n_screen, cols.size)
    if q == 0 or m == 0:
        return grad
    top = np.argsort(-np.abs(grad) * ctx.scale[cols], axis=1)[:, :q]  # (m, q)
    c = cols[top]
    h = rel_step * ctx.scale[c]
    is_int = np.isin(c, ctx.integer)
    h = np.where(is_int, np.maximum(np.round(h), 1.0), h)
    idx = np.arange(m)[:, None]
    z0 = Z0[idx, c]
    upper, lower = ctx.upper[rows[:, None], c], ctx.lower[rows[:, None], c]
    h = np.where(z0 + h > upper, -h, h)
    value = np.clip(z0 + h, lower, upper)
    cand = np.repeat(Z0[:, None, :], q, axis=1)
    np.put_along_axis(cand, c[:, :, None], value[:, :, None], axis=2)
    flat_rows = np.repeat(rows, q)
    out, _ = ctx.evaluate(cand.reshape(-1, d), flat_rows)
    s = clipped_score(goal, out.reshape(m, q))
    s0 = clipped_score(goal, out0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = (s - s0[:, None]) / (value - z0)
    new = np.zeros_like(grad)
    np.put_along_axis(new, top, np.where(np.isfinite(g), g, 0.0), axis=1)
    return new
