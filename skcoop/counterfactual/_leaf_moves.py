"""Coordinate moves over the leaf intervals of a tree ensemble.

Hold every feature of a point ``z`` but one, ``j``: each tree then takes,
as ``z_j`` varies, its current leaf or one of the leaves whose box ``z``
misses in feature ``j`` alone (one *violation*). The model's output along
that line is therefore known from the leaf boxes and values, without a
model call: a step function whose steps are those leaves' edges in ``j``.
Every candidate move of one feature (to each edge of each such leaf, just
inside it, or back to the source row's value) is scored at once, for many
points and all features, by a sweep over the sorted edges (one sort per
round; the sum of the leaf values that change is a cumulative sum).

A point then takes one move per round (:func:`descend`):

- while it misses its target: the move that reaches it at the least cost,
  or else the one with the most progress (margin gained) per unit of cost
  (``mode="ratio"`` always takes the latter);
- once it meets its target: the move that lowers its cost most while the
  target still holds (a feature pulled back toward the source row, to the
  nearest leaf edge or all the way), until no single move does.

The cost is the search's: scaled L1 to the source row plus a price per
changed feature. The result is a point no single-feature move improves;
the caller checks it with the model.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ._exact_models import linked

__all__ = ["LeafTable", "descend"]

_REL_MARGIN = 1e-6  # distance kept from a split threshold, times its size
_BLOCK = 2**22  # numbers per block of points (leaf tables, sweep grid)


def _margin(theta, scale):
    return _REL_MARGIN * np.abs(theta) + 1e-9 * scale


class LeafTable:
    """Every leaf of every tree: its box, its tree and what it adds.

    ``lo``/``hi`` of shape (n_leaves, d): a leaf holds ``lo < z <= hi``;
    ``tree`` the tree of each leaf (leaves ordered by tree); ``values``
    (n_leaves, n_outputs) what the leaf adds to the outputs; ``const`` and
    ``pieces`` (for the link).
    """

    def __init__(self, pieces, lo, hi, cuts):
        self.pieces = pieces
        self.lo = np.concatenate(lo)
        self.hi = np.concatenate(hi)
        # every box edge is a split threshold: its bin among the feature's
        # sorted thresholds (bin 0: no edge, -inf; +inf edges get none)
        self.cuts = cuts
        self.n_bins = 1 + max((c.size for c in cuts), default=0)
        self.lo_bin = np.zeros(self.lo.shape, dtype=np.int64)
        self.hi_bin = np.zeros(self.hi.shape, dtype=np.int64)
        for j, c in enumerate(cuts):
            self.lo_bin[:, j] = np.searchsorted(c, self.lo[:, j]) + 1
            self.hi_bin[:, j] = np.searchsorted(c, self.hi[:, j]) + 1
        self.lo_bin[~np.isfinite(self.lo)] = 0
        self.n_trees = len(lo)
        self.tree = np.repeat(np.arange(self.n_trees), [b.shape[0] for b in lo])
        self.values = np.concatenate(pieces.values)
        self.const = pieces.const

    def violations(self, Z):
        """Per point and leaf: in how many features ``Z`` lies outside the
        leaf's box, and the sum of those features' indices (the feature,
        where there is one)."""
        count = np.zeros((Z.shape[0], self.lo.shape[0]), dtype=np.int32)
        which = np.zeros_like(count)
        for j in range(Z.shape[1]):
            z = Z[:, j : j + 1]
            out = (z <= self.lo[None, :, j]) | (z > self.hi[None, :, j])
            count += out
            which += j * out
        return count, which

    def current(self, viol_count):
        """The leaf of each tree each point falls in: (n_points, n_trees)."""
        i, leaf = np.nonzero(viol_count == 0)
        if i.size != viol_count.shape[0] * self.n_trees:
            raise ValueError("leaf boxes do not partition the space")
        return leaf.reshape(viol_count.shape[0], self.n_trees)

    def raw(self, cur):
        """The model's output (probabilities or predictions) at those leaves."""
        return linked(self.pieces, self.const + self.values[cur].sum(axis=1))


def descend(ctx, table, Z, rows, mode="finish", max_steps=None):
    """Single-feature leaf moves from ``Z`` until none helps (module docstring).

    ``Z`` (m, d) are start points, ``rows`` their source rows in ``ctx``.
    Returns the final points, whether each meets its target (by the leaf
    values) and its cost.
    """
    m, d = Z.shape
    per_block = max(
        1,
        _BLOCK // max(table.lo.shape[0] + d * table.n_bins * table.values.shape[1], 1),
    )
    out_Z, out_ok = np.empty_like(Z), np.zeros(m, dtype=bool)
    for start in range(0, m, per_block):
        s = slice(start, start + per_block)
        out_Z[s], out_ok[s] = _descend_block(
            ctx, table, Z[s].copy(), rows[s], mode, max_steps or 4 * d + 8
        )
    cost = ctx.cost(out_Z, rows, ctx.search.sparsity_weight)
    return out_Z, out_ok, cost


def _descend_block(ctx, table, Z, rows, mode, max_steps):
    goal, sw = ctx.goal, ctx.search.sparsity_weight
    m, d = Z.shape
    X = ctx.X[rows]
    scale = ctx.scale
    mutable = np.ones(d, dtype=bool)
    mutable[ctx.immutable] = False
    is_int = np.zeros(d, dtype=bool)
    is_int[ctx.integer] = True
    lower, upper = ctx.lower[rows], ctx.upper[rows]
    count, which = table.violations(Z)
    cur = table.current(count)
    out = goal.pick(table.raw(cur), rows)
    margin = goal.margin(out, rows)
    ok = goal.valid(out, rows)
    cost = ctx.cost(Z, rows, sw)
    active = np.arange(m)
    for _ in range(max_steps):
        if active.size == 0:
            break
        i, j, w = _best_moves(
            ctx,
            table,
            Z,
            X,
            rows,
            active,
            (count, which, cur),
            (margin, ok, cost),
            (mutable, is_int, lower, upper, scale),
            mode,
            sw,
        )
        if i.size == 0:
            break
        lo, hi = table.lo[:, j].T, table.hi[:, j].T
        old = Z[i, j][:, None]
        change = ((w[:, None] <= lo) | (w[:, None] > hi)).astype(np.int32) - (
            (old <= lo) | (old > hi)
        )
        count[i] += change
        which[i] += change * j[:, None]
        Z[i, j] = w
        cur[i] = table.current(count[i])
        out_i = goal.pick(table.raw(cur[i]), rows[i])
        margin[i] = goal.margin(out_i, rows[i])
        ok[i] = goal.valid(out_i, rows[i])
        cost[i] = ctx.cost(Z[i], rows[i], sw)
        active = i
    return Z, ok


def _best_moves(ctx, table, Z, X, rows, active, leaves, state, box, mode, sw):
    """Per active point, the move it takes this round (none: it is done)."""
    margin, ok, cost = state
    count, which, cur = leaves
    mutable, is_int, lower, upper, scale = box
    goal = ctx.goal
    d = Z.shape[1]
    # leaves one feature away, per active point
    a_i, leaf = np.nonzero(count[active] == 1)
    i = active[a_i]
    j = which[i, leaf]
    keep = mutable[j]
    i, leaf, j = i[keep], leaf[keep], j[keep]
    lo, hi = table.lo[leaf, j], table.hi[leaf, j]
    delta = table.values[leaf] - table.values[cur[i, table.tree[leaf]]]
    # candidate points: the leaf's point nearest z, its point nearest x
    # where it lies between the two, and x itself
    s = scale[j]
    z, x = Z[i, j], X[i, j]
    with np.errstate(invalid="ignore"):  # inf - inf where a side is open
        up = lo + _margin(lo, s)
        down = hi - _margin(hi, s)
    up = np.where(is_int[j], np.ceil(up), up)
    down = np.where(is_int[j], np.floor(down), down)
    above = lo >= z
    near = np.where(above, up, down)
    far = np.where(above, down, up)
    between = np.where(above, x > hi, x <= lo)
    back_i, back_j = np.nonzero(Z[active] != X[active])
    back_i = active[back_i]
    keep_back = mutable[back_j]
    back_i, back_j = back_i[keep_back], back_j[keep_back]
    q_i = np.concatenate([i, i[between], back_i])
    q_j = np.concatenate([j, j[between], back_j])
    q_w = np.concatenate([near, far[between], X[back_i, back_j]])
    with np.errstate(invalid="ignore"):
        inside = np.concatenate([near, far[between]])
        inside = (inside > np.concatenate([lo, lo[between]])) & (
            inside <= np.concatenate([hi, hi[between]])
        )
    inside = np.concatenate([inside, np.ones(back_i.size, dtype=bool)])
    inside &= (q_w >= lower[q_i, q_j]) & (q_w <= upper[q_i, q_j])
    inside &= q_w != Z[q_i, q_j]
    q_i, q_j, q_w = q_i[inside], q_j[inside], q_w[inside]
    if q_i.size == 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    # the sweep: per point and feature, the leaf values that change, by
    # threshold bin (a leaf is entered past its lo, left past its hi), then
    # summed up to each candidate's bin (the thresholds below it)
    slot = np.full(Z.shape[0], -1)
    slot[active] = np.arange(active.size)
    n_bins, n_out = table.n_bins, table.values.shape[1]
    fin = np.isfinite(hi)
    g = slot[i] * d + j
    flat = np.concatenate(
        [
            g * n_bins + table.lo_bin[leaf, j],
            g[fin] * n_bins + table.hi_bin[leaf[fin], j[fin]],
        ]
    )
    weight = np.concatenate([delta, -delta[fin]])
    size = active.size * d * n_bins
    grid = np.empty((size, n_out))
    for c in range(n_out):
        grid[:, c] = np.bincount(flat, weights=weight[:, c], minlength=size)
    grid = np.cumsum(grid.reshape(active.size * d, n_bins, n_out), axis=1)
    q_bin = np.zeros(q_i.size, dtype=np.int64)
    for f in np.unique(q_j):
        sel = q_j == f
        q_bin[sel] = np.searchsorted(table.cuts[f], q_w[sel], side="left")
    change = grid[slot[q_i] * d + q_j, q_bin]
    base = np.zeros((Z.shape[0], change.shape[1]))
    base[active] = table.const + table.values[cur[active]].sum(axis=1)
    raw = linked(table.pieces, base[q_i] + change)
    q_out = goal.pick(raw, rows[q_i])
    q_ok = goal.valid(q_out, rows[q_i])
    q_margin = goal.margin(q_out, rows[q_i])
    x = X[q_i, q_j]
    z = Z[q_i, q_j]
    q_cost = (
        cost[q_i]
        + (np.abs(q_w - x) - np.abs(z - x)) / scale[q_j]
        + sw * ((q_w != x).astype(float) - (z != x))
    )
    was_ok = ok[q_i]
    extra = q_cost - cost[q_i]
    gain = q_margin - margin[q_i]
    # lower is better; inf: not eligible
    polish = np.where(q_ok & (extra < -1e-12), q_cost, np.inf)
    ratio = np.where(gain > 0, -gain / np.maximum(extra, 1e-12), np.inf)
    finish = np.where(q_ok, q_cost, np.inf)
    if mode == "ratio":
        reach = ratio
    else:
        has_finish = np.zeros(Z.shape[0], dtype=bool)
        has_finish[q_i[np.isfinite(finish)]] = True
        reach = np.where(has_finish[q_i], finish, ratio)
    score = np.where(was_ok, polish, reach)
    pick = np.lexsort((score, q_i))
    head = np.ones(pick.size, dtype=bool)
    head[1:] = q_i[pick][1:] != q_i[pick][:-1]
    best = pick[head]
    best = best[np.isfinite(score[best])]
    return q_i[best], q_j[best], q_w[best]
