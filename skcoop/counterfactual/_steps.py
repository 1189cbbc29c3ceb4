"""Batched search steps shared by the backends (linear jumps: ``_linear``).

Each step works on many instances at once: it builds every candidate row of
every instance, evaluates them in one model call (``SearchContext.evaluate``)
and keeps, per instance, the best candidate that stays valid. ``rows`` maps a
candidate (or the current point of an active instance) to its source row.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

__all__ = [
    "anchor_search",
    "bisect_segments",
    "keep_better",
    "nearest_anchors",
    "pick_nearest",
    "polish",
    "revert_units",
    "shrink_units",
    "step_toward_anchor",
]


# ----------------------------------------------------------------- anchors
def nearest_anchors(ctx, k, rows=None):
    """The ``k`` nearest reference rows of each instance's target that meet it.

    Distance is scaled L1 over the mutable features. Reference rows are those
    labelled with the target class when ``y_ref`` was given (classification).
    Rows with fewer than ``k`` reference rows meeting the target get, after
    those, rows that reach the target's side (regression) or the most
    confident ones; ``ok`` says which anchors meet the target.

    The model's outputs on the reference rows come from
    ``ctx.reference_output()``: given by the caller (the teacher's outputs
    from judging) or computed once per ``generate``, so choosing anchors
    makes no model call per row. The nearest qualifying rows come from a
    k-d tree per class (``ctx.reference_index()``), filtered by each row's
    own target; rows with too few qualifying rows nearby fall back to a scan
    of every candidate, a block of rows at a time within scikit-learn's
    ``working_memory``.

    ``rows`` (default: all) limits the search to those instances; the
    results then have one entry per row of ``rows``.

    Returns
    -------
    anchors : ndarray of shape (n, k, d)
        Anchors, with immutable features set to the source values and
        projected into the constraints.
    ok : ndarray of shape (n, k), dtype=bool
        Whether the model's output at the (unprojected) reference row meets
        the instance's target.
    """
    search, goal = ctx.search, ctx.goal
    X_ref = search.X_ref_
    n_ref = X_ref.shape[0]
    k = max(1, min(k, n_ref))
    raw = ctx.reference_output()
    index = ctx.reference_index()
    rows = np.arange(ctx.n) if rows is None else np.asarray(rows)
    n = rows.size
    anchors = np.empty((n, k, ctx.d))
    ok = np.zeros((n, k), dtype=bool)
    if goal.regression:
        batches = [(np.arange(n), np.arange(n_ref), None)]
    else:
        batches = []
        for c in np.unique(goal.class_index[rows]):
            queries = np.flatnonzero(goal.class_index[rows] == c)
            candidates = np.arange(n_ref)
            if search.y_ref_ is not None:
                same = np.flatnonzero(search.y_ref_ == goal.classes[c])
                candidates = same if same.size >= k else candidates
            batches.append((queries, candidates, c))
    for queries, candidates, c in batches:
        if goal.regression:
            out_c, key = np.asarray(raw, dtype=float).reshape(-1), "all"
        else:
            out_c = raw[candidates, c]
            key = ("class", c) if candidates.size < n_ref else "all"
        best, found = index.anchors(
            goal.subset(rows[queries]), ctx.X[rows[queries]], k, out_c, candidates, key
        )
        kk = best.shape[1]
        if kk < k:  # too few reference rows: repeat the last
            best = np.concatenate([best, np.repeat(best[:, -1:], k - kk, 1)], 1)
            found = np.concatenate([found, np.repeat(found[:, -1:], k - kk, 1)], 1)
        anchors[queries] = X_ref[candidates[best]]
        ok[queries] = found
        # the chosen rows' outputs are known: their evaluation costs nothing
        chosen = np.unique(candidates[best])
        ctx.cache.add_known(X_ref[chosen], raw[chosen])
    flat_rows = np.repeat(rows, k)
    flat = anchors.reshape(-1, ctx.d)
    ctx.project(flat, flat_rows)
    return flat.reshape(n, k, ctx.d), ok


# ---------------------------------------------------------------- segments
def bisect_segments(ctx, rows, ends, n_iter, start=None):
    """Point nearest each source row on the segment to ``ends`` that meets the goal.

    The segment from ``X[rows]`` to ``ends`` is bisected for the smallest
    fraction (at least ``start``) whose output has reached the target; one
    model call per step for all segments.

    Returns
    -------
    Z : ndarray of shape (m, d)
        The points (the end itself where the bisection made no progress).
    out : ndarray of shape (m,)
        Model outputs at ``Z``.
    ok : ndarray of shape (m,), dtype=bool
        Whether ``Z`` meets the goal.
    """
    goal = ctx.goal
    m = rows.size
    src = ctx.X[rows]
    step = ends - src
    lo = np.zeros(m) if start is None else np.broadcast_to(start, (m,)).astype(float)
    hi = np.ones(m)

    def point(frac, idx):  # between two points of the box: no clipping
        Z = src[idx] + frac[:, None] * step[idx]
        end = frac == 1.0  # the end itself, bit for bit (its output may be known)
        Z[end] = ends[idx[end]]
        return ctx.project(Z, rows[idx], clip=False)

    # the ends and, where a start is given, the start point, in one call
    first = np.flatnonzero(lo > 0)
    Z = np.concatenate([point(hi, np.arange(m)), point(lo[first], first)])
    out_all, _ = ctx.evaluate(Z, np.concatenate([rows, rows[first]]))
    out_hi = out_all[:m].copy()
    reached = goal.reached(out_hi, rows)
    at_start = goal.reached(out_all[m:], rows[first])
    hi[first[at_start]] = lo[first[at_start]]
    out_hi[first[at_start]] = out_all[m:][at_start]
    # nearest valid fraction seen: a regressor's output can jump past the
    # target interval, so the crossing point need not be valid
    best = np.where(goal.valid(out_hi, rows), hi, np.nan)
    best_out = out_hi.copy()
    active = np.flatnonzero(reached & (hi > lo))
    for _ in range(n_iter):
        if active.size == 0:
            break
        mid = 0.5 * (lo[active] + hi[active])
        out, _ = ctx.evaluate(point(mid, active), rows[active])
        good = goal.reached(out, rows[active])
        hi[active[good]] = mid[good]
        out_hi[active[good]] = out[good]
        lo[active[~good]] = mid[~good]
        closer = goal.valid(out, rows[active]) & ~(best[active] <= mid)
        best[active[closer]] = mid[closer]
        best_out[active[closer]] = out[closer]
    fallback = ~goal.valid(out_hi, rows) & np.isfinite(best)
    hi[fallback] = best[fallback]
    out_hi[fallback] = best_out[fallback]
    Z = point(hi, np.arange(m))
    return Z, out_hi, goal.valid(out_hi, rows)


# ------------------------------------------------------------------ sparsity
def revert_units(ctx, Z, out, rows, max_rounds=3):
    """Put features the goal does not need back to their source values.

    Per round: every changed unit (feature or one-hot group) of every
    instance is reverted on its own in one call; the units whose reversion
    keeps the goal are ordered by L1 saved per unit of margin lost, and a
    bisection over the length of that ordered list finds how many of them can
    go back together (about ``log2(d)`` more calls). ``Z`` must be valid.
    """
    goal = ctx.goal
    units = ctx.units
    Z = Z.copy()
    out = out.copy()
    live = np.arange(rows.size)
    for _ in range(max_rounds):
        if live.size == 0:
            break
        src = ctx.X[rows[live]]
        cur = Z[live]
        delta = np.abs(cur - src) / ctx.scale
        unit_delta = delta @ ctx.units_f.T  # (m, n_units)
        pi, pu = np.nonzero(unit_delta > 0)
        if pi.size == 0:
            break
        cand = ctx.swap_units(cur, src, pi, pu)
        cand_out, cand_ok = ctx.evaluate(cand, rows[live[pi]])
        saving = unit_delta[pi, pu]
        loss = goal.margin(out[live[pi]], rows[live[pi]]) - goal.margin(
            cand_out, rows[live[pi]]
        )
        priority = np.where(cand_ok, saving / np.maximum(loss, 1e-12), -np.inf)
        # per instance: valid single reversions, best first
        n_units = units.shape[0]
        table = np.full((live.size, n_units), -np.inf)
        table[pi, pu] = priority
        order = np.argsort(-table, axis=1)
        n_ok = np.isfinite(table).sum(axis=1)
        has = n_ok > 0
        if not has.any():
            break
        # rank of each column's unit in the order: a prefix of length L
        # reverts the columns whose rank is below L
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(n_units)[None, :], axis=1)
        rank = np.where(np.isfinite(table), rank, n_units)
        rank = np.column_stack([rank, np.full(live.size, n_units)])[:, ctx.col_unit]
        lo = np.ones(live.size, dtype=int)  # prefix length known valid
        hi = n_ok + 1  # first length not known valid
        m_idx = np.arange(live.size)
        pos = np.flatnonzero(has)
        # output of the best single reversion (prefix of length 1)
        pair = np.zeros((live.size, n_units), dtype=int)
        pair[pi, pu] = np.arange(pi.size)
        best_out = cand_out[pair[m_idx, order[:, 0]]]
        while True:
            act = np.flatnonzero(has & (hi - lo > 1))
            if act.size == 0:
                break
            mid = (lo[act] + hi[act]) // 2
            trial = np.where(rank[act] < mid[:, None], src[act], cur[act])
            t_out, t_ok = ctx.evaluate(trial, rows[live[act]])
            lo[act[t_ok]] = mid[t_ok]
            best_out[act[t_ok]] = t_out[t_ok]
            hi[act[~t_ok]] = mid[~t_ok]
        Z[live[pos]] = np.where(rank[pos] < lo[pos, None], src[pos], cur[pos])
        out[live[pos]] = best_out[pos]
        live = live[pos]
    return Z, out


def shrink_units(ctx, Z, out, rows, n_iter=6):
    """Move changed features part of the way back while the goal holds.

    Each changed continuous feature of each instance is bisected on its own
    (others fixed) for the smallest fraction of its change that keeps the
    goal, all in one call per step; then the instance takes either all those
    shrinks together, scaled back by a bisection until valid, or the single
    shrink that saves the most, whichever is closer. ``Z`` must be valid.
    """
    units = ctx.units[ctx.shrinkable]
    if units.shape[0] == 0 or rows.size == 0:
        return Z, out
    col = units.argmax(axis=1)  # shrinkable units are single columns
    src = ctx.X[rows]
    changed = Z[:, col] != src[:, col]
    pi, pu = np.nonzero(changed)
    if pi.size == 0:
        return Z, out
    pc = col[pu]
    lo = np.zeros(pi.size)
    hi = np.ones(pi.size)
    x0 = src[pi, pc]
    x1 = Z[pi, pc]
    out_hi = out[pi]
    for _ in range(n_iter):
        mid = 0.5 * (lo + hi)
        cand = Z[pi].copy()
        cand[np.arange(pi.size), pc] = x0 + mid * (x1 - x0)
        ctx.project(cand, rows[pi], clip=False)
        c_out, ok = ctx.evaluate(cand, rows[pi])
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
        out_hi = np.where(ok, c_out, out_hi)
    # every shrink at once, then scaled back toward Z until valid
    target = Z.copy()
    target[pi, pc] = x0 + hi * (x1 - x0)
    ctx.project(target, rows, clip=False)
    saving_single = np.abs(x1 - (x0 + hi * (x1 - x0))) / ctx.scale[pc]
    n = rows.size
    gamma_lo = np.zeros(n)
    gamma_hi = np.ones(n)
    all_out, all_ok = ctx.evaluate(target, rows)
    joint = target.copy()
    joint_out = all_out.copy()
    joint_ok = all_ok.copy()
    act = np.flatnonzero(~all_ok)
    for _ in range(max(3, n_iter // 2)):
        if act.size == 0:
            break
        mid = 0.5 * (gamma_lo[act] + gamma_hi[act])
        cand = Z[act] + mid[:, None] * (target[act] - Z[act])
        cand = ctx.project(cand, rows[act], clip=False)
        c_out, c_ok = ctx.evaluate(cand, rows[act])
        good = act[c_ok]
        joint[good] = cand[c_ok]
        joint_out[good] = c_out[c_ok]
        joint_ok[good] = True
        gamma_lo[good] = mid[c_ok]
        gamma_hi[act[~c_ok]] = mid[~c_ok]
    joint_saving = np.where(
        joint_ok, ctx.distance(Z, rows) - ctx.distance(joint, rows), 0
    )
    # best single shrink per instance
    table = np.full((n, units.shape[0]), -1.0)
    table[pi, pu] = saving_single
    pair = np.zeros((n, units.shape[0]), dtype=int)
    pair[pi, pu] = np.arange(pi.size)
    best_unit = table.argmax(axis=1)
    best_saving = table[np.arange(n), best_unit]
    best_single = pair[np.arange(n), best_unit]
    use_single = (best_saving > joint_saving) & (best_saving > 0)
    new = np.where(joint_ok[:, None], joint, Z)
    new_out = np.where(joint_ok, joint_out, out)
    s = np.flatnonzero(use_single)
    if s.size:  # evaluated (and valid) during the bisection
        p = best_single[s]
        cand = Z[s].copy()
        cand[np.arange(s.size), pc[p]] = x0[p] + hi[p] * (x1[p] - x0[p])
        new[s] = ctx.project(cand, rows[s], clip=False)
        new_out[s] = out_hi[p]
    keep = ctx.distance(new, rows) <= ctx.distance(Z, rows)
    return np.where(keep[:, None], new, Z), np.where(keep, new_out, out)


# ---------------------------------------------------------- combinations
def keep_better(ctx, rows, current, candidate, sparsity_weight, where=None):
    """Replace, in place, current points by valid candidates of lower cost.

    Where neither is valid, the one closer to the target is kept, so that a
    failed row returns the best attempt rather than its source.
    """
    V, V_out, V_ok = current
    C, C_out, C_ok = candidate
    idx = np.arange(rows.size) if where is None else where
    cheaper = ctx.cost(C, rows[idx], sparsity_weight) < ctx.cost(
        V[idx], rows[idx], sparsity_weight
    )
    better = C_ok & (~V_ok[idx] | cheaper)
    margin = ctx.goal.margin
    closer = (
        ~C_ok & ~V_ok[idx] & (margin(C_out, rows[idx]) > margin(V_out[idx], rows[idx]))
    )
    take = better | closer
    b = idx[take]
    V[b], V_out[b], V_ok[b] = C[take], C_out[take], C_ok[take]


def anchor_search(ctx, rows, anchors, n_iter):
    """Nearest valid point on the segments toward sparsified anchors.

    Each valid anchor first drops the differences to its source row that the
    target does not need (:func:`revert_units`), then the segment source ->
    anchor is bisected; per row, the nearest valid point over its anchors.
    """
    k = anchors.shape[1]
    flat_rows = np.repeat(rows, k)
    ends = anchors.reshape(-1, ctx.d).copy()
    out, ok = ctx.evaluate(ends, flat_rows)
    valid = np.flatnonzero(ok)
    ends[valid], _ = revert_units(ctx, ends[valid], out[valid], flat_rows[valid])
    P, out, ok = bisect_segments(ctx, flat_rows, ends, n_iter)
    return pick_nearest(ctx, rows, P, out, ok, k)


def pick_nearest(ctx, rows, P, out, ok, k):
    """Per instance, the valid candidate nearest the source among ``k`` in a row."""
    m = rows.size
    dist = ctx.distance(P, np.repeat(rows, k)).reshape(m, k)
    dist[~ok.reshape(m, k)] = np.inf
    best = np.argmin(dist, axis=1)
    pick = np.arange(m) * k + best
    return P[pick].copy(), out[pick].copy(), ok[pick].copy()


def polish(ctx, rows, Z, out, ok, n_rounds):
    """Reversion and shrinking rounds on the valid rows of ``Z``."""
    valid = np.flatnonzero(ok)
    if valid.size == 0 or n_rounds == 0:
        return Z
    V, V_out = Z[valid], out[valid]
    for _ in range(n_rounds):
        V, V_out = revert_units(ctx, V, V_out, rows[valid])
        V, V_out = shrink_units(ctx, V, V_out, rows[valid])
    Z = Z.copy()
    Z[valid] = V
    return Z


def step_toward_anchor(ctx, anchors, min_step, n_iter):
    """Counterfactuals for rows already at their target.

    Each moves ``min_step`` of the way toward its nearest anchor (a reference
    row of the target class that meets the target), or, if that point misses
    the target, to the nearest point past it on the segment that meets it.
    """
    rows = np.flatnonzero(ctx.goal.already)
    if rows.size == 0:
        return np.zeros((0, ctx.d))
    Z, _, _ = bisect_segments(
        ctx, rows, anchors[rows], n_iter, start=max(min_step, 1e-6)
    )
    return Z
