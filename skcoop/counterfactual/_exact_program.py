"""One row's minimal-cost counterfactual as a linear or mixed-integer program.

Variables, in this order: ``z`` (the counterfactual, ``d``), ``p`` and ``n``
(its moves up and down from the source row ``x``: ``z = x + p - n``), ``c``
(whether each feature changed; only with a price per changed feature), and
for tree ensembles ``mu`` (one per split threshold of each feature:
``mu = 1`` where ``z`` lies right of it) and ``lam`` (one per leaf: the leaf
each tree ends in). The objective is the engine's cost: scaled L1
``sum (p + n) / scale`` plus ``sparsity_weight * sum c``.

Tree ensembles follow Parmentier and Vidal, "Optimal Counterfactual
Explanations in Tree Ensembles" (ICML 2021): the thresholds of each feature
cut its range into intervals (ordered ``mu``); each tree picks one leaf
(``sum lam = 1``), and a leaf below the left (right) branch of a node can be
picked only if ``z`` lies left (right) of the node's threshold. The model's
output is then linear in ``lam``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import time

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

__all__ = ["RowProgram", "Solution"]

_FAR = 1e3  # how far an unbounded feature may move, in its scale units
_REL = 1e-6  # distance kept from a split threshold, relative to its size


class Solution:
    """What one solve returned: a point, its cost, a bound and a status."""

    def __init__(self, z=None, cost=np.nan, bound=np.nan, status="", optimal=False):
        self.z, self.cost, self.bound = z, cost, bound
        self.status, self.optimal = status, optimal
        self.v, self.seconds = None, 0.0

    @property
    def gap(self):
        if self.z is None:
            return np.nan
        if self.optimal:
            return 0.0
        if not np.isfinite(self.bound):
            return np.inf
        return max(self.cost - self.bound, 0.0) / max(abs(self.cost), 1e-12)


class RowProgram:
    """The program of one source row, for a model's pieces.

    Parameters
    ----------
    pieces : LinearPieces or TreePieces
    x : ndarray of shape (d,)
        Source row.
    lower, upper : ndarray of shape (d,)
        Box of the counterfactual (the source's own values included).
    scale : ndarray of shape (d,)
    integer : ndarray of int
        Integer columns (outside one-hot groups).
    groups : list of ndarray
        One-hot groups (exactly one column at 1).
    immutable : ndarray of int
    sparsity_weight : float
    cutoff : float, default=inf
        Cost of a known valid row: thresholds whose crossing alone costs
        more stay on the source's side, and the cost is bounded by it.
    """

    def __init__(
        self,
        pieces,
        x,
        lower,
        upper,
        scale,
        integer,
        groups,
        immutable,
        sw,
        cutoff=np.inf,
    ):
        d = x.size
        self.pieces, self.x, self.d, self.scale = pieces, x, d, scale
        self.cutoff = float(cutoff)
        lower = np.where(np.isfinite(lower), lower, x - _FAR * scale)
        upper = np.where(np.isfinite(upper), upper, x + _FAR * scale)
        lower[immutable], upper[immutable] = x[immutable], x[immutable]
        self.lower, self.upper = lower, upper
        self.sw = float(sw)
        self.n_vars = 3 * d + (d if self.sw > 0 else 0)
        self.int_cols = np.unique(np.concatenate([integer, *groups])).astype(int)
        self._A = []  # constraint blocks: lo <= block @ v <= hi
        self._lo, self._hi = [], []
        # z - p + n = x
        eye = sparse.identity(d, format="csr")
        block = sparse.hstack([eye, -eye, eye], format="csr")
        self._add(block, x, x)
        if self.sw > 0:  # p + n - M c <= 0
            big = np.maximum(upper - x, x - lower)
            big = np.where(big > 0, big, 1.0)
            blk = sparse.hstack(
                [sparse.csr_matrix((d, d)), eye, eye, -sparse.diags(big)],
                format="csr",
            )
            self._add(blk, np.full(d, -np.inf), np.zeros(d))
        for g in groups:
            row = sparse.csr_matrix(
                (np.ones(g.size), (np.zeros(g.size, int), g)), shape=(1, d)
            )
            self._add(row, [1.0], [1.0])
        if pieces.kind == "linear":
            self.out_A = sparse.csr_matrix(pieces.A)
            self.out_b = pieces.b.astype(float)
            self.out_offset = 0
        else:
            self._trees()

    # ---------------------------------------------------------------- build
    def _add(self, block, lo, hi):
        m = block.shape[0]
        self._A.append(block)
        self._lo.append(np.broadcast_to(np.asarray(lo, dtype=float), (m,)))
        self._hi.append(np.broadcast_to(np.asarray(hi, dtype=float), (m,)))

    def _trees(self):
        """Split-threshold intervals, leaf choice and branch constraints."""
        pieces, x = self.pieces, self.x
        lower, upper = self.lower, self.upper
        thresholds = {}
        for tree in pieces.trees:
            internal = tree["left"] >= 0
            for j, t in zip(tree["feature"][internal], tree["threshold"][internal]):
                thresholds.setdefault(int(j), set()).add(float(t))
        mu_base = self.n_vars
        mu_index, mu_lb, mu_ub = {}, [], []
        link_rows, link_cols, link_vals, link_lo, link_hi = [], [], [], [], []
        order_pairs = []
        x32 = x.astype(np.float32).astype(float)
        d, sw = self.d, self.sw > 0
        for j in sorted(thresholds):
            ts = np.array(sorted(thresholds[j]))
            first = len(mu_lb)
            lefts, rights = [], []
            for k, t in enumerate(ts):
                mu_index[(j, t)] = mu_base + len(mu_lb)
                delta = _REL * max(1.0, abs(t))
                left_ub, right_lb = t - delta, t + delta
                if x32[j] <= t:
                    left_ub = max(left_ub, x[j])
                else:
                    right_lb = min(right_lb, x[j])
                lefts.append(left_ub)
                rights.append(right_lb)
                lb, ub = 0.0, 1.0
                if upper[j] < right_lb:
                    ub = 0.0
                if lower[j] > left_ub:
                    lb = 1.0
                mu_lb.append(lb)
                mu_ub.append(max(ub, lb))
                col = mu_base + first + k
                r = len(link_lo)
                # z - (U - left_ub) mu <= left_ub ; z - (right_lb - L) mu >= L
                link_rows += [r, r, r + 1, r + 1]
                link_cols += [j, col, j, col]
                link_vals += [1.0, -(upper[j] - left_ub), 1.0, -(right_lb - lower[j])]
                link_lo += [-np.inf, lower[j]]
                link_hi += [left_ub, np.inf]
                if k:
                    order_pairs.append((col, col - 1))  # mu_k <= mu_{k-1}
            # the cost of crossing thresholds, in mu (the incremental form:
            # the convex hull of each feature's piecewise cost)
            s_x = int(np.sum(x32[j] > ts))  # thresholds left of the source
            cols = mu_base + first + np.arange(ts.size)
            if np.isfinite(self.cutoff):  # out of reach at the known cost
                price = self.sw if sw else 0.0
                up = (np.asarray(rights[s_x:]) - x[j]) / self.scale[j] + price
                down = (x[j] - np.asarray(lefts[:s_x])) / self.scale[j] + price
                far = self.cutoff * (1 + 1e-9) + 1e-12
                for k in np.flatnonzero(up > far) + s_x:
                    mu_ub[first + k] = mu_lb[first + k] = 0.0
                for k in np.flatnonzero(down > far):
                    mu_ub[first + k] = mu_lb[first + k] = 1.0
            if s_x < ts.size:  # moving up: p_j >= sum step_k mu_k
                steps = np.diff(np.concatenate([[x[j]], rights[s_x:]]))
                steps = np.maximum(steps, 0.0)
                r = len(link_lo)
                link_rows += [r] * (1 + steps.size)
                link_cols += [d + j] + list(cols[s_x:])
                link_vals += [1.0] + list(-steps)
                link_lo.append(0.0)
                link_hi.append(np.inf)
                if sw:  # crossing up changes the feature: c_j >= mu_s
                    r = len(link_lo)
                    link_rows += [r, r]
                    link_cols += [3 * d + j, cols[s_x]]
                    link_vals += [1.0, -1.0]
                    link_lo.append(0.0)
                    link_hi.append(np.inf)
            if s_x > 0:  # moving down: n_j >= sum step_k (1 - mu_k)
                steps = np.diff(np.concatenate([lefts[:s_x], [x[j]]]))
                steps = np.maximum(steps, 0.0)
                r = len(link_lo)
                link_rows += [r] * (1 + steps.size)
                link_cols += [2 * d + j] + list(cols[:s_x])
                link_vals += [1.0] + list(steps)
                link_lo.append(steps.sum())
                link_hi.append(np.inf)
                if sw:  # c_j >= 1 - mu_{s-1}
                    r = len(link_lo)
                    link_rows += [r, r]
                    link_cols += [3 * d + j, cols[s_x - 1]]
                    link_vals += [1.0, 1.0]
                    link_lo.append(1.0)
                    link_hi.append(np.inf)
        n_mu = len(mu_lb)
        lam_base = mu_base + n_mu
        n_lam = sum(t["leaves"].size for t in pieces.trees)
        self.n_vars = lam_base + n_lam
        n = self.n_vars
        if link_lo:
            self._add(
                sparse.csr_matrix(
                    (link_vals, (link_rows, link_cols)), shape=(len(link_lo), n)
                ),
                link_lo,
                link_hi,
            )
        if order_pairs:
            m = len(order_pairs)
            r = np.repeat(np.arange(m), 2)
            c = np.array(order_pairs).ravel()
            v = np.tile([1.0, -1.0], m)
            self._add(sparse.csr_matrix((v, (r, c)), shape=(m, n)), -np.inf, 0.0)
        rr, cc, vv, lo, hi = [], [], [], [], []
        start = lam_base
        out_vals = []
        for tree, values in zip(pieces.trees, pieces.values):
            leaves = tree["leaves"]
            nl = leaves.size
            r = len(lo)
            rr += [r] * nl
            cc += list(range(start, start + nl))
            vv += [1.0] * nl
            lo.append(1.0)
            hi.append(1.0)
            end = _subtree_end(tree)
            for node in np.flatnonzero(tree["left"] >= 0):
                mu = mu_index[
                    (int(tree["feature"][node]), float(tree["threshold"][node]))
                ]
                for child, sign in (
                    (tree["left"][node], -1.0),
                    (tree["right"][node], 1.0),
                ):
                    a = np.searchsorted(leaves, child)
                    b = np.searchsorted(leaves, end[child])
                    r = len(lo)
                    rr += [r] * (b - a) + [r]
                    cc += list(range(start + a, start + b)) + [mu]
                    # left: sum lam + mu <= 1 ; right: sum lam - mu <= 0
                    vv += [1.0] * (b - a) + [-sign]
                    lo.append(-np.inf)
                    hi.append(1.0 if sign < 0 else 0.0)
            out_vals.append(values)
            start += nl
        self._add(sparse.csr_matrix((vv, (rr, cc)), shape=(len(lo), n)), lo, hi)
        vals = np.concatenate(out_vals)  # (n_lam, n_out), columns from lam_base
        self.out_A = sparse.csr_matrix(vals.T)
        self.out_b = pieces.const.astype(float)
        self.out_offset = lam_base
        self.mu_bounds = (mu_base, np.array(mu_lb), np.array(mu_ub))
        self.n_lam = n_lam

    def output_rows(self, weights):
        """Rows ``weights @ outputs`` over all variables, and their constants."""
        weights = np.atleast_2d(weights)
        block = sparse.csr_matrix(weights) @ self.out_A
        width = self.out_A.shape[1]
        left = sparse.csr_matrix((weights.shape[0], self.out_offset))
        right = sparse.csr_matrix(
            (weights.shape[0], self.n_vars - self.out_offset - width)
        )
        return sparse.hstack([left, block, right], format="csr"), weights @ self.out_b

    def outputs_at(self, v):
        """Outputs (before the link) of a solution vector."""
        width = self.out_A.shape[1]
        return self.out_A @ v[self.out_offset : self.out_offset + width] + self.out_b

    # ---------------------------------------------------------------- solve
    def solve(self, extra, time_limit, mip_rel_gap):
        """Minimise the cost under the constraints plus ``extra`` on outputs.

        ``extra`` is a list of ``(weights, lo, hi)``: ``lo <= weights @ outputs
        <= hi`` for a matrix of weights.
        """
        d, n = self.d, self.n_vars
        cost = np.zeros(n)
        cost[d : 3 * d] = np.tile(1.0 / self.scale, 2)
        if self.sw > 0:
            cost[3 * d : 4 * d] = self.sw
        blocks, lo, hi = list(self._A), list(self._lo), list(self._hi)
        for weights, w_lo, w_hi in extra:
            row, const = self.output_rows(weights)
            blocks.append(row)
            m = row.shape[0]
            lo.append(np.broadcast_to(np.asarray(w_lo, float), (m,)) - const)
            hi.append(np.broadcast_to(np.asarray(w_hi, float), (m,)) - const)
        if np.isfinite(self.cutoff):
            blocks.append(sparse.csr_matrix(cost[None, :]))
            lo.append(np.array([-np.inf]))
            hi.append(np.array([self.cutoff * (1 + 1e-9) + 1e-12]))
        A = sparse.vstack(
            [b if b.shape[1] == n else _widen(b, n) for b in blocks], format="csr"
        )
        lo, hi = np.concatenate(lo), np.concatenate(hi)
        lb, ub = np.zeros(n), np.full(n, np.inf)
        lb[:d], ub[:d] = self.lower, self.upper
        integrality = np.zeros(n, dtype=np.uint8)
        integrality[self.int_cols] = 1
        if self.sw > 0:
            ub[3 * d : 4 * d] = 1.0
            integrality[3 * d : 4 * d] = 1
        if self.pieces.kind == "trees":
            base, mlb, mub = self.mu_bounds
            lb[base : base + mlb.size], ub[base : base + mlb.size] = mlb, mub
            integrality[base : base + mlb.size] = 1
            ub[n - self.n_lam :] = 1.0
        tic = time.perf_counter()
        if not integrality.any():
            res = _linprog(cost, A, lo, hi, lb, ub, time_limit)
        else:
            res = milp(
                cost,
                integrality=integrality,
                bounds=Bounds(lb, ub),
                constraints=LinearConstraint(A, lo, hi),
                options={
                    "time_limit": max(time_limit, 1e-3),
                    "mip_rel_gap": mip_rel_gap,
                    "disp": False,
                },
            )
        self.seconds = time.perf_counter() - tic
        return self._solution(res, integrality.any())

    def _solution(self, res, is_mip):
        d = self.d
        if res.x is None:
            status = {2: "infeasible", 3: "unbounded"}.get(res.status, "no solution")
            if res.status == 1:
                status = "time limit, no solution"
            bound = getattr(res, "mip_dual_bound", None)
            return Solution(status=status, bound=np.nan if bound is None else bound)
        v = np.asarray(res.x, dtype=float)
        z = v[:d].copy()
        z[self.int_cols] = np.round(z[self.int_cols])
        z = np.clip(z, self.lower, self.upper)
        near = np.abs(z - self.x) <= 1e-9 * (1 + np.abs(self.x))
        z[near] = self.x[near]
        optimal = res.status == 0
        if is_mip:
            bound = getattr(res, "mip_dual_bound", np.nan)
            bound = res.fun if optimal else bound
        else:
            bound = res.fun if optimal else np.nan
        status = "optimal" if optimal else "time limit"
        sol = Solution(z, float(res.fun), float(bound), status, optimal)
        sol.v = v
        return sol


def _widen(block, n):
    """Pad a constraint block with zero columns up to ``n`` variables."""
    pad = sparse.csr_matrix((block.shape[0], n - block.shape[1]))
    return sparse.hstack([block, pad], format="csr")


def _linprog(cost, A, lo, hi, lb, ub, time_limit):
    """``lo <= A v <= hi`` as linprog's equalities and inequalities."""
    eq = lo == hi
    up = ~eq & np.isfinite(hi)
    down = ~eq & np.isfinite(lo)
    A_ub = sparse.vstack([A[up], -A[down]], format="csr")
    b_ub = np.concatenate([hi[up], -lo[down]])
    return linprog(
        cost,
        A_ub=A_ub if A_ub.shape[0] else None,
        b_ub=b_ub if A_ub.shape[0] else None,
        A_eq=A[eq] if eq.any() else None,
        b_eq=lo[eq] if eq.any() else None,
        bounds=np.column_stack([lb, ub]),
        method="highs",
        options={"time_limit": max(time_limit, 1e-3)},
    )


def _subtree_end(tree):
    """One past the last node id of each node's subtree (ids are preorder)."""
    left, right = tree["left"], tree["right"]
    end = np.arange(1, left.size + 1)
    for node in range(left.size - 1, -1, -1):
        if left[node] >= 0:
            end[node] = end[right[node]]
    return end
