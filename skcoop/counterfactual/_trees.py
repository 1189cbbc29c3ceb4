"""Tree ensembles searched through their fitted structure: leaf cells, not probes.

A tree ensemble's output is constant on each *cell*: the intersection, over
its trees, of the leaf boxes a point falls in. A reference row whose stored
output meets a row's target therefore makes every point of its cell valid,
and the point of that cell nearest the row (in the search's scaled L1) is a
clip of the row into the cell's box: closed form, no model evaluation. The
search takes, per row, the cheapest such projection over the nearest
qualifying reference rows, then moves each changed feature back toward the
row while the target holds (the black-box search's reversion and
shrinking, model-evaluated and counted), and finally snaps each changed
feature to the edge of its threshold interval nearest the row (the output
is constant between two consecutive thresholds of a feature, so this costs
one checking evaluation). Rows the cells do not serve go to
:class:`BlackBoxSearch`'s search.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from ..utils import Substitution, count
from ._base import _SEARCH_PARAMS_DOC
from ._blackbox import BlackBoxSearch, search_rows
from ._exact_models import _BOOSTING, _TREES, _split, leaf_of, linked, model_pieces
from ._steps import polish

__all__ = ["TreeSearch", "is_single_tree", "is_tree_model"]

_REL_MARGIN = 1e-6  # distance kept from a split threshold, times its size


def is_tree_model(model):
    """Whether ``model`` (or a Pipeline's last step) is a tree ensemble this reads."""
    return isinstance(_split(model)[1], _TREES + _BOOSTING)


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
        # one tree: its leaves are the cells, their outputs known
        self.single = len(pieces.trees) == 1
        if self.single:
            self.leaf_raw = linked(pieces, pieces.const + pieces.values[0])

    def boxes(self, A):
        """``(lo, hi)`` of the cell of each row of ``A``: ``lo < z <= hi``."""
        lo = np.full(A.shape, -np.inf)
        hi = np.full(A.shape, np.inf)
        for tree, t_lo, t_hi in zip(self.pieces.trees, self.lo, self.hi):
            pos = np.searchsorted(tree["leaves"], leaf_of(tree, A))
            np.maximum(lo, t_lo[pos], out=lo)
            np.minimum(hi, t_hi[pos], out=hi)
        return lo, hi

    def snap(self, Z, X, integer):
        """Each changed feature at the edge of its threshold interval nearest ``X``."""
        Z = Z.copy()
        for j, cuts in enumerate(self.cuts):
            if integer[j]:
                continue
            if cuts.size == 0:  # the model does not read this feature
                Z[:, j] = X[:, j]
                continue
            z, x = Z[:, j], X[:, j]
            up = z > x  # the cell is (cuts[i - 1], cuts[i]]
            i = np.searchsorted(cuts, z, side="left")
            below = np.where(i > 0, cuts[np.maximum(i - 1, 0)], -np.inf)
            above = np.where(i < cuts.size, cuts[np.minimum(i, cuts.size - 1)], np.inf)
            edge = np.where(up, below, above)
            inside = np.where(up, edge < x, edge >= x)  # x in the same interval
            moved = np.where(up, edge + _margin(edge, self.scale[j]), edge)
            moved = np.where(up, np.minimum(moved, z), np.maximum(moved, z))
            new = np.where(inside, x, moved)
            Z[:, j] = np.where(z != x, new, z)
        return Z


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

    For scikit-learn's decision trees, random forests, extra trees and
    gradient boosting (classifiers and regressors, alone or after scalers
    in a Pipeline; see :class:`ExactSearch` for the list), the search reads
    the fitted trees instead of probing the model:

    A single tree's cells are its leaves, whose outputs the tree holds: the
    cheapest projection into a leaf that meets the row's target is the
    optimum (scaled L1 plus ``sparsity_weight`` per changed feature, up to
    a margin of ``1e-6`` times each threshold), found without a model
    evaluation and checked by one. An ensemble's cells are not listed;
    the search goes through reference rows:

    1. The model's outputs on the reference rows are known (passed to
       ``generate`` or one call), so the ``n_cells`` nearest reference rows
       that meet a row's target are valid points; so is every point of
       their *cell*, the box where each tree takes the same leaf as at the
       reference row (the intersection of the leaves' boxes). The point of
       a cell nearest the row is the row clipped into the box: closed form,
       no model evaluation. The cheapest per row is kept (scaled L1 plus
       ``sparsity_weight`` per changed feature).
    2. Each changed feature goes back toward the row while the target
       holds: the reversion and shrinking of :class:`BlackBoxSearch`
       (``n_polish`` rounds), evaluated by the model, from each of the
       ``n_starts`` cheapest cells; the cheapest result is kept.
    3. Each changed feature moves to the edge of its threshold interval
       nearest the row (between two consecutive split thresholds of a
       feature the model's output does not change), checked by one
       evaluation.

    Rows no cell serves (no reference row meets the target, the
    constraints rule every cell out), rows already at their target, other
    models and mixed-type tables get :class:`BlackBoxSearch`'s search, of
    which this is a subclass (all its parameters apply there).

    Parameters
    ----------
    n_cells : int, default=64
        Nearest qualifying reference rows whose cells are tried per row.
    n_starts : int, default=3
        Cheapest cells per row polished by steps 2 and 3 (the best result
        is kept).
    n_polish : int, default=2
        Reversion and shrinking rounds of step 2.
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
        (forests and boosting stay on :class:`BlackBoxSearch`).

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
        "n_polish": [count(0)],
    }

    def __init__(
        self,
        n_cells=64,
        n_starts=3,
        n_polish=2,
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
        self.n_polish = n_polish

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
        k = self.n_starts
        V, found = self._best_cells(ctx, cells, rows, k)
        flat = np.repeat(rows, k)
        V, found = V.reshape(-1, ctx.d), found.reshape(-1)
        out, ok = ctx.evaluate(V[found], flat[found])
        good = np.flatnonzero(found)[ok]
        P, P_ok = V.copy(), np.zeros(flat.size, dtype=bool)
        if good.size:
            r = flat[good]
            P[good] = polish(ctx, r, V[good], out[ok], ok[ok], self.n_polish)
            S = cells.snap(P[good], ctx.X[r], np.isin(np.arange(ctx.d), ctx.integer))
            ctx.project(S, r, clip=False)
            _, s_ok = ctx.evaluate(S, r)
            P[good] = np.where(s_ok[:, None], S, P[good])
            P_ok[good] = True
        cost = ctx.cost(P, flat, self.sparsity_weight).reshape(-1, k)
        cost[~P_ok.reshape(-1, k)] = np.inf
        best = np.argmin(cost, axis=1)
        pick = np.arange(rows.size) * k + best
        served = np.isfinite(cost[np.arange(rows.size), best])
        Z[rows[served]] = P[pick[served]]
        good = np.flatnonzero(served)
        rest = np.setdiff1d(np.arange(ctx.n), rows[good])
        if rest.size:
            Z[rest] = search_rows(self, ctx, rest)
        return Z

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
