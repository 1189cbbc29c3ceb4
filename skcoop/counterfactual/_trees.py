"""Tree ensembles searched through their fitted structure: leaf cells, not probes.

A tree ensemble's output is constant on each *cell*: the intersection, over
its trees, of the leaf boxes a point falls in. A reference row whose stored
output meets a row's target therefore makes every point of its cell valid,
and the point of that cell nearest the row (in the search's scaled L1) is a
clip of the row into the cell's box: closed form, no model evaluation. One
tree's cells are its leaves, so the cheapest valid one is the optimum. For
an ensemble, the search starts from the row itself and from the cheapest
projections over the nearest qualifying reference rows, and improves each
start by single-feature moves to leaf edges scored from the leaf values
(:mod:`._leaf_moves`, no model call); the cheapest valid result is checked
by one model evaluation. Rows the cells do not serve go to
:class:`BlackBoxSearch`'s search.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from ..utils import Substitution, count
from ._base import _SEARCH_PARAMS_DOC
from ._blackbox import BlackBoxSearch, search_rows
from ._exact_models import (
    _BOOSTING,
    _HIST,
    _TREES,
    _split,
    leaf_of,
    linked,
    model_pieces,
)
from ._leaf_moves import LeafTable, descend

__all__ = ["TreeSearch", "is_single_tree", "is_tree_model"]

_REL_MARGIN = 1e-6  # distance kept from a split threshold, times its size


def is_tree_model(model):
    """Whether ``model`` (or a Pipeline's last step) is a tree ensemble this reads."""
    return isinstance(_split(model)[1], _TREES + _BOOSTING + _HIST)


def is_single_tree(model):
    """Whether ``model`` (or a Pipeline's last step) is one decision tree."""
    return isinstance(_split(model)[1], (DecisionTreeClassifier, DecisionTreeRegressor))


class _Cells:
    """Leaf boxes of every tree and the sorted thresholds of every feature."""

    def __init__(self, pieces, scale):
        self.pieces = pieces
        d = scale.size
        self.lo, self.hi = [], []
        cuts = [[] for _ in range(d)]
        for tree in pieces.trees:
            lo, hi = _leaf_boxes(tree, d)
            self.lo.append(lo)
            self.hi.append(hi)
            internal = tree["left"] >= 0
            f, t = tree["feature"][internal], tree["threshold"][internal]
            for j in np.unique(f):
                cuts[j].append(t[f == j])
        self.cuts = [np.unique(np.concatenate(c)) if c else np.zeros(0) for c in cuts]
        self.scale = scale
        self._table = None
        # one tree: its leaves are the cells, their outputs known
        self.single = len(pieces.trees) == 1
        if self.single:
            self.leaf_raw = linked(pieces, pieces.const + pieces.values[0])

    def table(self):
        """Every leaf's box and values, for the leaf moves (built once)."""
        if self._table is None:
            self._table = LeafTable(self.pieces, self.lo, self.hi, self.cuts)
        return self._table

    def boxes(self, A):
        """``(lo, hi)`` of the cell of each row of ``A``: ``lo < z <= hi``."""
        lo = np.full(A.shape, -np.inf)
        hi = np.full(A.shape, np.inf)
        for tree, t_lo, t_hi in zip(self.pieces.trees, self.lo, self.hi):
            pos = np.searchsorted(tree["leaves"], leaf_of(tree, A))
            np.maximum(lo, t_lo[pos], out=lo)
            np.minimum(hi, t_hi[pos], out=hi)
        return lo, hi


def _margin(theta, scale):
    return _REL_MARGIN * np.abs(theta) + 1e-9 * scale


def _leaf_boxes(tree, d):
    """``(lo, hi)`` of shape (n_leaves, d): a leaf holds ``lo < z <= hi``."""
    left, right = tree["left"], tree["right"]
    n = left.size
    lo = np.full((n, d), -np.inf)
    hi = np.full((n, d), np.inf)
    # sklearn numbers nodes depth first: a parent comes before its children
    for node in np.flatnonzero(left >= 0):
        f, t = tree["feature"][node], tree["threshold"][node]
        lo[left[node]], hi[left[node]] = lo[node], hi[node]
        lo[right[node]], hi[right[node]] = lo[node], hi[node]
        hi[left[node], f] = min(hi[node, f], t)
        lo[right[node], f] = max(lo[node, f], t)
    leaves = tree["leaves"]
    return lo[leaves], hi[leaves]


def qualifying_rows(ctx, k, rows):
    """The ``k`` nearest reference rows of each row that meet its target.

    As :func:`~skcoop.counterfactual._steps.nearest_anchors`, but their
    indices in ``X_ref_`` (the rows themselves, unprojected: their outputs
    are the known ones). Returns ``(index, ok)`` of shape (len(rows), k).
    """
    search, goal = ctx.search, ctx.goal
    n_ref = search.X_ref_.shape[0]
    k = max(1, min(k, n_ref))
    raw = ctx.reference_output()
    finder = ctx.reference_index()
    index = np.zeros((rows.size, k), dtype=np.intp)
    ok = np.zeros((rows.size, k), dtype=bool)
    if goal.regression:
        batches = [(np.arange(rows.size), np.arange(n_ref), None)]
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
        if c is None:
            out_c, key = np.asarray(raw, dtype=float).reshape(-1), "all"
        else:
            out_c = raw[candidates, c]
            key = ("class", c) if candidates.size < n_ref else "all"
        best, found = finder.anchors(
            goal.subset(rows[queries]), ctx.X[rows[queries]], k, out_c, candidates, key
        )
        kk = best.shape[1]
        index[queries, :kk] = candidates[best]
        ok[queries, :kk] = found
    return index, ok


def project_into_cells(ctx, rows, lo, hi):
    """The point of each cell nearest its row, within the search's constraints.

    ``lo``/``hi`` of shape (m, k, d): ``k`` cells per row. Returns the points
    (m, k, d) and whether each cell can be reached (immutable features inside
    it, the box and the integer grid leaving room).
    """
    X = ctx.X[rows][:, None, :]
    scale = ctx.scale
    with np.errstate(invalid="ignore"):  # inf - inf where a side is open
        low = np.where(np.isfinite(lo), lo + _margin(lo, scale), -np.inf)
        high = np.where(np.isfinite(hi), hi - _margin(hi, scale), np.inf)
    low = np.maximum(low, ctx.lower[rows][:, None, :])
    high = np.minimum(high, ctx.upper[rows][:, None, :])
    if ctx.integer.size:
        j = ctx.integer
        low[..., j] = np.ceil(low[..., j])
        high[..., j] = np.floor(high[..., j])
    ok = np.all(low <= high, axis=2)
    P = np.clip(X, low, high)
    if ctx.immutable.size:
        j = ctx.immutable
        ok &= np.all(P[..., j] == X[..., j], axis=2)
    return P, ok


@Substitution(search_params=_SEARCH_PARAMS_DOC)
class TreeSearch(BlackBoxSearch):
    """Counterfactuals of tree ensembles from their leaf cells.

    For scikit-learn's decision trees, random forests, extra trees,
    gradient boosting and histogram gradient boosting (classifiers and
    regressors, alone or after scalers in a Pipeline; numeric splits only),
    the search reads the fitted trees instead of probing the model:

    A single tree's cells are its leaves, whose outputs the tree holds: the
    cheapest projection into a leaf that meets the row's target is the
    optimum (scaled L1 plus ``sparsity_weight`` per changed feature, up to
    a margin of ``1e-6`` times each threshold), found without a model
    evaluation and checked by one. An ensemble's cells are not listed;
    the search goes through reference rows:

    1. Start points: the row itself, and the ``n_starts`` cheapest
       valid cells. The model's outputs on the reference rows are known
       (passed to ``generate`` or one call), so the ``n_cells`` nearest
       reference rows that meet a row's target are valid points; so is
       every point of their *cell*, the box where each tree takes the same
       leaf as at the reference row. The point of a cell nearest the row
       is the row clipped into the box: closed form, no model evaluation.
    2. Leaf moves from each start, read from the fitted trees (no model
       evaluation): with all features but one held, the model's output
       along that feature is a step function whose steps are the edges of
       the leaves the point misses in that feature alone. Each round, every
       point takes the best single-feature move to a leaf edge (or back to
       the row's value): while it misses the target, the cheapest move that
       reaches it, else the most progress per unit of cost (from the row,
       both rules are run); once valid, the move that lowers its cost most
       while the target holds, until none does.
    3. The cheapest valid result per row is checked by one model
       evaluation (the next one if it fails).

    On breast cancer (``benchmarks/counterfactual/optimality.py``) this
    takes 2 evaluations a row, against 170-260 for :class:`BlackBoxSearch`,
    and its median L1 is 1.17 (100-tree forest) and 1.25 (gradient
    boosting) times the exact optimum (black-box: 1.26, 1.30); with
    ``sparsity_weight=0`` (the exact search's objective) 1.01 and 1.04.
    Its CPU time per row is several times the black-box search's.

    Rows no cell serves (no reference row meets the target, the
    constraints rule every cell out), rows already at their target, other
    models and mixed-type tables get :class:`BlackBoxSearch`'s search, of
    which this is a subclass (all its parameters apply there).

    Parameters
    ----------
    n_cells : int, default=64
        Nearest qualifying reference rows whose cells are tried per row.
    n_starts : int, default=3
        Cheapest cells per row that step 2 starts from (besides the row).
    n_anchors, n_iter, n_rounds, linearize, n_linear, sparsity_weight, \
slopes, n_screen
        As in :class:`BlackBoxSearch` (for the rows it searches).
    {search_params}

    Attributes
    ----------
    X_ref_, y_ref_, scale_, min_, max_, lower_, upper_, is_integer_, \
is_binary_, immutable_, one_hot_groups_, column_scale_, n_features_in_, \
feature_names_in_
        As in :class:`BlackBoxSearch`.

    See Also
    --------
    BlackBoxSearch : the search for any model.
    ExactSearch : minimal-cost counterfactuals (mixed-integer programs).
    make_search : ``"auto"`` picks this search for a single decision tree
        (forests and boosting stay on :class:`BlackBoxSearch`, whose CPU
        time per row is lower; ``"trees"`` gives this search for them).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skcoop.counterfactual import TreeSearch
    >>> X, y = load_iris(return_X_y=True)
    >>> model = RandomForestClassifier(random_state=0).fit(X, y)
    >>> search = TreeSearch().fit(X, y)
    >>> result = search.generate(model, X[:5], [1, 1, 1, 1, 1], confidence=0.75)
    >>> result.success.tolist()
    [True, True, True, True, True]
    >>> bool((result.achieved >= 0.75).all())
    True
    """

    _parameter_constraints: dict = {
        **BlackBoxSearch._parameter_constraints,
        "n_cells": [count(1)],
        "n_starts": [count(1)],
    }

    def __init__(
        self,
        n_cells=64,
        n_starts=3,
        n_anchors=3,
        n_iter=8,
        n_rounds=1,
        linearize=True,
        n_linear=3,
        sparsity_weight=2.0,
        slopes="reference",
        n_screen=4,
        *,
        alpha=0.5,
        min_step=0.1,
        immutable=None,
        one_hot_groups="auto",
        feature_range="observed",
        scale="mad",
    ):
        super().__init__(
            n_anchors=n_anchors,
            n_iter=n_iter,
            n_rounds=n_rounds,
            linearize=linearize,
            n_linear=n_linear,
            sparsity_weight=sparsity_weight,
            slopes=slopes,
            n_screen=n_screen,
            alpha=alpha,
            min_step=min_step,
            immutable=immutable,
            one_hot_groups=one_hot_groups,
            feature_range=feature_range,
            scale=scale,
        )
        self.n_cells = n_cells
        self.n_starts = n_starts

    def _search(self, ctx):
        cells = self._cells(ctx)
        rows = np.flatnonzero(~ctx.goal.already)
        if cells is None or rows.size == 0:
            return super()._search(ctx)
        Z = ctx.X.copy()
        if cells.single:  # the cheapest valid leaf: the optimum, one check
            V, found = self._best_leaves(ctx, cells, rows)
            _, ok = ctx.evaluate(V[found], rows[found])
            served = np.flatnonzero(found)[ok]
            Z[rows[served]] = V[served]
            rest = np.setdiff1d(np.arange(ctx.n), rows[served])
            if rest.size:
                Z[rest] = search_rows(self, ctx, rest)
            return Z
        Z[rows], served = self._ensemble(ctx, cells, rows)
        rest = np.setdiff1d(np.arange(ctx.n), rows[served])
        if rest.size:
            Z[rest] = search_rows(self, ctx, rest)
        return Z

    def _ensemble(self, ctx, cells, rows):
        """Leaf moves from the row and from the cheapest reference cells.

        Returns the points of ``rows`` and the indices (into ``rows``) of
        those the model confirmed.
        """
        k = self.n_starts
        V, found = self._best_cells(ctx, cells, rows, k)
        table = cells.table()
        src = ctx.X[rows]
        # a cell the constraints rule out: start from the row instead
        V = np.where(found[..., None], V, src[:, None, :])
        starts = [
            (src, rows, "finish"),
            (src, rows, "ratio"),
            (V.reshape(-1, ctx.d), np.repeat(rows, k), "finish"),
        ]
        points, costs = [], []
        for S0, r, mode in starts:
            try:
                P, ok, cost = descend(ctx, table, S0, r, mode)
            except ValueError:  # boxes that do not partition: black-box search
                return src.copy(), np.zeros(0, dtype=int)
            points.append(P.reshape(rows.size, -1, ctx.d))
            costs.append(np.where(ok, cost, np.inf).reshape(rows.size, -1))
        points = np.concatenate(points, axis=1)
        costs = np.concatenate(costs, axis=1)
        order = np.argsort(costs, axis=1, kind="stable")
        at = np.arange(rows.size)
        out = src.copy()
        done = np.zeros(rows.size, dtype=bool)
        for tries in range(min(2, order.shape[1])):  # the model checks the best
            act = np.flatnonzero(~done & np.isfinite(costs[at, order[:, tries]]))
            if act.size == 0:
                break
            P = points[act, order[act, tries]]
            _, ok = ctx.evaluate(P, rows[act])
            out[act[ok]] = P[ok]
            done[act[ok]] = True
        return out, np.flatnonzero(done)

    # ------------------------------------------------------------- helpers
    def _cells(self, ctx):
        """The model's cells, or None where the black-box search must do."""
        model = ctx.oracle.model
        if self._tabular is not None or ctx.groups or not is_tree_model(model):
            return None
        # kept for the other chunks of this generate call only (the
        # reference index lives as long as the call), not on the search
        index = ctx.reference_index()
        cached = getattr(index, "tree_cells", None)
        if cached is not None and cached[0] is model:
            return cached[1]
        check = ctx.X[: min(ctx.n, 8)]
        raw, _ = ctx.cache.lookup(ctx.oracle, check)  # seeded: no model call
        try:
            pieces = model_pieces(model, ctx.d, check, raw)
        except TypeError:
            cells = None
        else:
            cells = _Cells(pieces, self.scale_)
        index.tree_cells = (model, cells)
        return cells

    def _best_leaves(self, ctx, cells, rows):
        """One tree: per row, the cheapest projection into a leaf meeting its goal."""
        goal, raw = ctx.goal, cells.leaf_raw
        lo, hi = cells.lo[0], cells.hi[0]
        n_leaves = lo.shape[0]
        V = ctx.X[rows].copy()
        found = np.zeros(rows.size, dtype=bool)
        block = max(1, 2**22 // max(n_leaves * ctx.d, 1))
        for start in range(0, rows.size, block):
            r = rows[start : start + block]
            if goal.regression:
                out = np.broadcast_to(raw, (r.size, n_leaves))
            else:
                out = raw[:, goal.class_index[r]].T
            valid = (out >= goal.lower[r][:, None]) & (out <= goal.upper[r][:, None])
            shape = (r.size, n_leaves, ctx.d)
            P, reach = project_into_cells(
                ctx, r, np.broadcast_to(lo, shape), np.broadcast_to(hi, shape)
            )
            reach &= valid
            src = ctx.X[r][:, None, :]
            cost = (np.abs(P - src) / ctx.scale).sum(axis=2)
            cost += self.sparsity_weight * (P != src).sum(axis=2)
            cost[~reach] = np.inf
            best = np.argmin(cost, axis=1)
            at = np.arange(r.size)
            V[start : start + r.size] = P[at, best]
            found[start : start + r.size] = reach[at, best]
        return V, found

    def _best_cells(self, ctx, cells, rows, n_best):
        """Per row, the cheapest projection into a qualifying reference row's cell."""
        index, ok = qualifying_rows(ctx, self.n_cells, rows)
        m, k = ok.shape
        lo, hi = cells.boxes(ctx.search.X_ref_[index.reshape(-1)])
        P, reach = project_into_cells(
            ctx, rows, lo.reshape(m, k, ctx.d), hi.reshape(m, k, ctx.d)
        )
        reach &= ok
        src = ctx.X[rows][:, None, :]
        cost = (np.abs(P - src) / ctx.scale).sum(axis=2)
        cost += self.sparsity_weight * (P != src).sum(axis=2)
        cost[~reach] = np.inf
        best = np.argsort(cost, axis=1, kind="stable")[:, :n_best]
        take = np.arange(m)[:, None]
        return P[take, best], reach[take, best]
