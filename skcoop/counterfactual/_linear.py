"""Linear jumps: an L1 DeepFool on a local linear model of the score.

Slopes come from forward differences (one model call, ``d`` rows per
instance) or, where the context has one, the model's exact gradient; the
L1-cheapest move that meets the target on the linear model is a fractional
knapsack over features, followed by a line search on the model itself.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

__all__ = ["knapsack_direction", "linear_search", "linear_step"]

_FAR = 1e3  # how far an unbounded feature may move, in its scale units


def linear_search(ctx, rows, n_steps=3, rel_steps=(0.1,), sparsity_weight=0.0):
    """Iterated :func:`linear_step` from the source rows (an L1 DeepFool).

    Each step linearises the model at the current point and jumps from the
    source row to the L1-nearest point where that linear model meets the
    target, so later steps correct the first one's curvature error instead
    of adding to its distance. The best valid point per row is kept (cost:
    scaled L1 plus ``sparsity_weight`` per changed feature). Rows whose
    forward differences were all flat (trees, at the small step) retry with
    the next, coarser step in ``rel_steps``.

    Returns
    -------
    Z, out, ok : as in :func:`bisect_segments`.
    """
    goal = ctx.goal
    src = ctx.X[rows]
    Z = src.copy()
    out = goal.initial[rows].copy()
    best, best_out = Z.copy(), out.copy()
    best_ok = goal.valid(out, rows)
    best_cost = np.where(best_ok, 0.0, np.inf)
    level = np.zeros(rows.size, dtype=int)
    rel = np.asarray(rel_steps, dtype=float)
    for _ in range(n_steps):
        act = np.flatnonzero(level < rel.size)
        if act.size == 0:
            break
        L, L_out, L_ok, flat = linear_step(
            ctx, rows[act], Z[act], out[act], rel[level[act]], origin=src[act]
        )
        cost = ctx.cost(L, rows[act], sparsity_weight)
        better = L_ok & (cost < best_cost[act] - 1e-9)
        b = act[better]
        best[b], best_out[b], best_ok[b], best_cost[b] = (
            L[better],
            L_out[better],
            True,
            cost[better],
        )
        moved = np.any(L != Z[act], axis=1)
        Z[act], out[act] = L, L_out
        level[act[flat]] += 1
        level[act[~flat & ~moved]] = rel.size  # stuck: stop
    return best, best_out, best_ok


def _forward_differences(ctx, rows, Z0, out0, cols, rel_step):
    """Score at ``Z0`` and its forward-difference slopes in ``cols`` (one call)."""
    goal = ctx.goal
    m, d = rows.size, ctx.d
    h = np.broadcast_to(rel_step, (m,))[:, None] * ctx.scale[cols]
    is_int = np.isin(cols, ctx.integer)
    h[:, is_int] = np.maximum(np.round(h[:, is_int]), 1.0)
    z0 = Z0[:, cols]
    lower, upper = ctx.lower[rows][:, cols], ctx.upper[rows][:, cols]
    h[z0 + h > upper] *= -1
    # only the stepped feature moves: keep it in its range and integer, so
    # the candidates need no projection
    value = np.clip(z0 + h, lower, upper)
    src = ctx.X[rows][:, cols[is_int]]
    value[:, is_int] = np.where(
        value[:, is_int] == src, src, np.round(value[:, is_int])
    )
    cand = np.repeat(Z0[:, None, :], cols.size, axis=1)
    cand[:, np.arange(cols.size), cols] = value
    flat_rows = np.repeat(rows, cols.size)
    moved = value - z0
    out, _ = ctx.evaluate(cand.reshape(-1, d), flat_rows)
    s0 = goal.score(out0)
    with np.errstate(divide="ignore", invalid="ignore"):
        grad = (goal.score(out.reshape(m, cols.size)) - s0[:, None]) / moved
    return s0, np.where(np.isfinite(grad), grad, 0.0)


def linear_step(
    ctx, rows, Z0, out0, rel_step=0.1, grid=(0.5, 1.0, 1.5, 2.0, 3.0, 5.0), origin=None
):
    """Jump toward the target along the L1-cheapest direction of a local linear model.

    A forward difference per feature at ``Z0`` (one call, ``d`` rows per
    instance, step ``rel_step`` times the feature's scale) gives the slope of
    the score (logit of the target probability, or the prediction) in each
    feature; the cheapest L1 move from ``origin`` (default ``Z0``) that makes
    the linear model meet the target is a fractional knapsack: features in
    order of slope times scale, each moved to its bound until enough. A grid
    over the step length (one call) and a bisection below the first valid
    step find the shortest valid jump. For a linear model this is the exact
    L1-nearest point with the target output.

    Returns
    -------
    Z, out, ok : as in :func:`bisect_segments`; rows that reached nothing
        get the grid point with the best margin if it beats ``Z0`` (``ok``
        False), else ``Z0``.
    flat : ndarray of shape (m,), dtype=bool
        Rows whose forward differences were all zero (no direction).
    """
    goal = ctx.goal
    m, d = rows.size, ctx.d
    origin = Z0 if origin is None else origin
    cols = np.flatnonzero(ctx.units[ctx.shrinkable].any(axis=0))
    if cols.size == 0 or m == 0:
        return Z0.copy(), out0.copy(), goal.valid(out0, rows), np.ones(m, dtype=bool)
    if ctx.gradient is not None:  # exact slopes (torch): one forward-backward
        s0, grad = ctx.gradient(Z0, rows)
        grad = grad[:, cols]
    else:
        s0, grad = _forward_differences(ctx, rows, Z0, out0, cols, rel_step)
    direction, has_dir = knapsack_direction(ctx, rows, Z0, s0, grad, cols, origin)
    grid = np.asarray(grid, dtype=float)
    trial = origin[:, None, :] + grid[None, :, None] * direction[:, None, :]
    t_rows = np.repeat(rows, grid.size)
    trial = ctx.project(trial.reshape(-1, d), t_rows)
    t_out, _ = ctx.evaluate(trial, t_rows)
    t_out = t_out.reshape(m, grid.size)
    rows2 = np.repeat(rows[:, None], grid.size, axis=1)
    t_reached = goal.reached(t_out, rows2) & has_dir[:, None]
    found = t_reached.any(axis=1)
    first = np.where(
        found, np.argmax(t_reached, axis=1), np.argmax(goal.margin(t_out, rows2), 1)
    )
    hi = grid[first]
    lo = np.where(first > 0, grid[np.maximum(first - 1, 0)], 0.0)
    out_hi = t_out[np.arange(m), first]
    act = np.flatnonzero(found)
    for _ in range(4):
        if act.size == 0:
            break
        mid = 0.5 * (lo[act] + hi[act])
        cand = ctx.project(origin[act] + mid[:, None] * direction[act], rows[act])
        c_out, _ = ctx.evaluate(cand, rows[act])
        good = goal.reached(c_out, rows[act])
        hi[act[good]] = mid[good]
        out_hi[act[good]] = c_out[good]
        lo[act[~good]] = mid[~good]
    Z = ctx.project(origin + hi[:, None] * direction, rows)
    progress = has_dir & (found | (goal.margin(out_hi, rows) > goal.margin(out0, rows)))
    Z = np.where(progress[:, None], Z, Z0)
    out_hi = np.where(progress, out_hi, out0)
    return Z, out_hi, progress & found & goal.valid(out_hi, rows), ~has_dir


def knapsack_direction(ctx, rows, Z0, s0, grad, cols, origin):
    """The L1-cheapest move from ``origin`` that meets the target on a linear model.

    The linear model is the score ``s0`` at ``Z0`` with slopes ``grad`` in the
    columns ``cols``; the move is a fractional knapsack over those features
    (in order of slope times scale, each to its bound until enough).

    Returns
    -------
    direction : ndarray of shape (m, d)
        The move (zero outside ``cols``).
    has_dir : ndarray of shape (m,), dtype=bool
        Rows with a nonzero move.
    """
    goal = ctx.goal
    m, d = rows.size, ctx.d
    lower, upper = ctx.lower[rows], ctx.upper[rows]
    # score change wanted from the origin, on the linear model at Z0
    s_origin = s0 + (grad * (origin[:, cols] - Z0[:, cols])).sum(axis=1)
    need = goal.score_target(rows) - s_origin
    # knapsack: move along sign(grad * need); capacity to the bound
    sign = np.sign(grad * need[:, None])
    room = np.where(
        sign > 0, upper[:, cols] - origin[:, cols], origin[:, cols] - lower[:, cols]
    )
    room = np.minimum(room, _FAR * ctx.scale[cols])  # unbounded features
    gain_per_l1 = np.abs(grad) * ctx.scale[cols]
    capacity = np.abs(grad) * room  # score change available per feature
    order = np.argsort(-gain_per_l1, axis=1)
    cap_sorted = np.take_along_axis(capacity, order, axis=1)
    before = np.cumsum(cap_sorted, axis=1) - cap_sorted
    use = np.clip(np.abs(need)[:, None] - before, 0.0, cap_sorted)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac_sorted = np.where(cap_sorted > 0, use / cap_sorted, 0.0)
    frac = np.empty_like(frac_sorted)
    np.put_along_axis(frac, order, frac_sorted, axis=1)
    direction = np.zeros((m, d))
    direction[:, cols] = sign * room * frac
    has_dir = np.abs(direction).sum(axis=1) > 0
    return direction, has_dir
