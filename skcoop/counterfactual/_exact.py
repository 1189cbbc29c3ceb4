"""Exact counterfactuals: linear and mixed-integer programs solved by HiGHS."""

# SPDX-License-Identifier: BSD-3-Clause

import time

import numpy as np
from scipy.special import logsumexp

from ..utils import Substitution, count, number
from ._base import _SEARCH_PARAMS_DOC, BaseCounterfactualSearch
from ._exact_models import check_supported, model_pieces, outputs
from ._exact_program import RowProgram, Solution
from ._steps import (
    anchor_search,
    bisect_segments,
    keep_better,
    nearest_anchors,
    polish,
    step_toward_anchor,
)

__all__ = ["ExactSearch"]

_EMPTY = {
    "optimal": bool,
    "gap": float,
    "status": object,
    "objective": float,
    "bound": float,
    "solve_time": float,
}
_MARGIN = {"proba": 1e-9, "logit": 1e-7, "softmax": 1e-7, "identity": 1e-9}


@Substitution(search_params=_SEARCH_PARAMS_DOC)
class ExactSearch(BaseCounterfactualSearch):
    """Minimal-cost counterfactuals of linear models and tree ensembles.

    Each row's counterfactual is the solution of a linear program
    (:func:`scipy.optimize.linprog`) or a mixed-integer one
    (:func:`scipy.optimize.milp`), both solved by HiGHS, minimising the
    engine's cost: scaled L1 distance plus ``sparsity_weight`` per changed
    feature (the cost the other searches compare candidates by), within the
    search's box, with its integer, one-hot and immutable constraints.

    - Linear models (logistic regression, linear regressors), alone or after
      scalers in a Pipeline: a target probability of a binary model is a
      linear constraint on its logit, a regression target interval is linear.
      A multinomial model's ``p_c >= t`` (convex, not linear) is solved as a
      short sequence of programs: first with the necessary pairwise
      constraints ``s_c - s_k >= logit(t)``, then with a tangent cut of
      ``log sum_k exp(s_k - s_c) <= -log t`` at each infeasible solution
      (Kelley's cutting planes), until the solution meets the target (it is
      then optimal). If ``max_cuts`` cuts do not get there, the sufficient
      constraints ``s_c - s_k >= logit(t) + log(K - 1)`` give a valid row,
      reported with its gap to the cuts' bound.
    - Decision trees, random forests, extra trees and gradient boosting
      (scikit-learn's): the leaf-indicator program of Parmentier and Vidal
      (ICML 2021); the forest's averaged probability (boosting's summed raw
      score) is linear in the leaf indicators. Multi-class boosting uses the
      cutting planes above on its raw scores.

    A changed-feature price makes even a linear model's program
    mixed-integer (one binary per feature); ``sparsity_weight=0`` minimises
    the scaled L1 alone (a plain LP for a linear model without integer
    features). Rows already at their target move ``min_step`` toward their
    nearest anchor, as in the other searches. Every returned row is checked
    by calling the model.

    Parameters
    ----------
    time_limit : float, default=30.0
        Seconds of solver time per row (all the programs of the row
        together). A row not proven optimal by then returns the best
        solution found, with ``result.optimal`` False and its relative gap
        in ``result.gap``.
    sparsity_weight : float, default=2.0
        Cost of one more changed feature, in units of scaled L1.
    mip_rel_gap : float, default=1e-4
        Relative gap at which HiGHS stops a mixed-integer program as solved.
    max_cuts : int, default=50
        Tangent cuts per row for multinomial (softmax) targets.
    n_iter : int, default=8
        Bisection steps of the already-at-target step.
    {search_params}

    Attributes
    ----------
    X_ref_, y_ref_, scale_, min_, max_, lower_, upper_, is_integer_, \
is_binary_, immutable_, one_hot_groups_, column_scale_, n_features_in_, \
feature_names_in_
        As in :class:`BlackBoxSearch`.

    See Also
    --------
    BlackBoxSearch : fast search for any model.
    make_search : ``make_search("exact")`` gives this search.

    Notes
    -----
    ``generate`` returns a :class:`CounterfactualResult` with, besides the
    usual fields, per row: ``optimal`` (proven optimal and valid), ``gap``
    (relative gap between the row's cost and the solver's lower bound: 0
    when optimal, NaN when nothing was found), ``status`` (``"optimal"``,
    ``"time limit"``, ``"infeasible: ..."``, ``"already at target"``, ...),
    ``objective`` (the row's cost), ``bound`` (the lower bound) and
    ``solve_time`` (seconds). A target that cannot be reached within the
    box is reported per row as not found (``success`` False, the source row
    returned) with the reason in ``status``.

    Split thresholds are kept at a distance of ``1e-6`` times their size
    (trees compare in float32), so a tree's optimum is exact up to that.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skcoop.counterfactual import ExactSearch
    >>> X = np.random.RandomState(0).uniform(-2, 2, size=(40, 2))
    >>> y = (2 * X[:, 0] + X[:, 1] > 1).astype(int)
    >>> model = LogisticRegression().fit(X, y)
    >>> model.coef_, model.intercept_ = np.array([[2.0, 1.0]]), np.array([-1.0])
    >>> search = ExactSearch(sparsity_weight=0, scale=[1.0, 1.0]).fit(X, y)
    >>> result = search.generate(model, [[0.0, 0.0]], [1], confidence=0.5)
    >>> result.success.tolist(), result.optimal.tolist(), result.status.tolist()
    ([True], [True], ['optimal'])
    >>> np.round(result.X, 3)  # logit 2 z0 + z1 - 1 >= 0: z0 is the cheaper
    array([[0.5, 0. ]])
    """

    _parameter_constraints: dict = {
        **BaseCounterfactualSearch._parameter_constraints,
        "time_limit": [number(0, None, closed="neither")],
        "sparsity_weight": [number(0, None, closed="left")],
        "mip_rel_gap": [number(0, 1)],
        "max_cuts": [count(0)],
        "n_iter": [count(1)],
    }

    def __init__(
        self,
        time_limit=30.0,
        sparsity_weight=2.0,
        mip_rel_gap=1e-4,
        max_cuts=50,
        n_iter=8,
        *,
        alpha=0.5,
        min_step=0.1,
        immutable=None,
        one_hot_groups="auto",
        feature_range="observed",
        scale="mad",
    ):
        super().__init__(
            alpha=alpha,
            min_step=min_step,
            immutable=immutable,
            one_hot_groups=one_hot_groups,
            feature_range=feature_range,
            scale=scale,
        )
        self.time_limit = time_limit
        self.sparsity_weight = sparsity_weight
        self.mip_rel_gap = mip_rel_gap
        self.max_cuts = max_cuts
        self.n_iter = n_iter

    def generate(self, model, X, y, **kwargs):
        """Find the minimal-cost counterfactual of every row of ``X``.

        Parameters and the target are those of
        :meth:`BaseCounterfactualSearch.generate` (passed on as keywords).

        Returns
        -------
        result : CounterfactualResult
            With ``optimal``, ``gap``, ``status``, ``objective``, ``bound``
            and ``solve_time`` per row (see Notes).
        """
        self._parts = []  # one dict of fields per chunk of rows, in order
        try:
            result = super().generate(model, X, y, **kwargs)
            parts = self._parts
        finally:
            del self._parts
        fields = {
            key: np.concatenate([part[key] for part in parts])
            if parts
            else np.zeros(0, dtype=_EMPTY[key])
            for key in _EMPTY
        }
        fields["optimal"] = fields["optimal"] & result.success
        result.update(fields)
        return result

    def _check_model(self, model):
        if self._tabular is not None:
            raise TypeError(
                "ExactSearch needs numeric rows, but it was fitted on a DataFrame "
                "with categorical, boolean or missing values. Encode the columns "
                "first (one-hot columns are kept one-hot), or use BlackBoxSearch."
            )
        check_supported(model)
        return model

    # --------------------------------------------------------------- search
    def _search(self, ctx):
        goal, n = ctx.goal, ctx.n
        Z = ctx.X.copy()
        fields = {
            "optimal": np.zeros(n, dtype=bool),
            "gap": np.full(n, np.nan),
            "status": np.full(n, "", dtype=object),
            "objective": np.full(n, np.nan),
            "bound": np.full(n, np.nan),
            "solve_time": np.zeros(n),
        }
        self._parts.append(fields)
        anchors = nearest_anchors(ctx, 3)[0] if goal.already.any() else None
        if goal.already.any():
            Z[goal.already] = step_toward_anchor(
                ctx, anchors[:, 0], self.min_step, self.n_iter
            )
            fields["status"][goal.already] = "already at target"
        rows = np.flatnonzero(~goal.already)
        if rows.size == 0:
            return Z
        ref = self.X_ref_[:20]
        reference = (
            ctx.oracle.predict(ref)
            if goal.regression
            else ctx.oracle.predict_proba(ref)
        )
        pieces = model_pieces(ctx.oracle.model, ctx.d, ref, reference)
        cutoff = {}
        if pieces.kind == "trees":
            if anchors is None:
                anchors = nearest_anchors(ctx, 3)[0]
            H, h_cost = self._incumbent(ctx, rows, anchors)
            cutoff = {i: (H[k], h_cost[k]) for k, i in enumerate(rows)}
        solved = {}
        for i in rows:
            solved[i] = self._solve_row(ctx, pieces, i, 1.0, cutoff.get(i))
        found = np.array([solved[i].z is not None for i in rows])
        for attempt in (1e2, 1e4):  # numerical misses: wider margins
            idx = rows[found]
            for i in idx:
                Z[i] = solved[i].z
            if idx.size == 0:
                break
            _, ok = ctx.evaluate(Z[idx], idx)
            bad = idx[~ok]
            if bad.size == 0:
                break
            for i in bad:
                retry = self._solve_row(ctx, pieces, i, attempt, cutoff.get(i))
                retry.seconds += solved[i].seconds
                if retry.z is not None:
                    solved[i] = retry
        for i in rows:
            sol = solved[i]
            if sol.z is not None:
                Z[i] = sol.z
            fields["optimal"][i] = sol.optimal
            fields["gap"][i] = sol.gap
            fields["status"][i] = sol.status
            fields["objective"][i] = sol.cost
            fields["bound"][i] = sol.bound
            fields["solve_time"][i] = sol.seconds
        return Z

    def _incumbent(self, ctx, rows, anchors):
        """Valid rows from the fast steps (anchors, bisection, polishing).

        Their cost bounds the program (thresholds beyond it stay fixed),
        and they are the answer where the solver finds nothing cheaper.
        """
        sw = self.sparsity_weight
        V, V_out, V_ok = bisect_segments(ctx, rows, anchors[rows, 0], self.n_iter)
        A = anchor_search(ctx, rows, anchors[rows], self.n_iter)
        keep_better(ctx, rows, (V, V_out, V_ok), A, sw)
        V = polish(ctx, rows, V, V_out, V_ok, 1)
        _, ok = ctx.evaluate(V, rows)
        return V, np.where(ok, ctx.cost(V, rows, sw), np.inf)

    def _solve_row(self, ctx, pieces, i, margin_scale, incumbent=None):
        """Best solution of row ``i`` within the time limit."""
        tic = time.perf_counter()
        sol = self._solve_program(ctx, pieces, i, margin_scale, incumbent)
        sol.seconds = time.perf_counter() - tic
        if sol.status == "infeasible":
            sol.status = "infeasible: the target is out of reach within the bounds"
        return sol

    def _solve_program(self, ctx, pieces, i, margin_scale, incumbent):
        tic = time.perf_counter()
        H, h_cost = incumbent if incumbent is not None else (None, np.inf)
        prog = RowProgram(
            pieces,
            ctx.X[i],
            ctx.lower[i].copy(),
            ctx.upper[i].copy(),
            ctx.scale,
            ctx.integer,
            ctx.groups,
            ctx.immutable,
            self.sparsity_weight,
            cutoff=h_cost,
        )
        deadline = tic + self.time_limit
        goal, link = ctx.goal, pieces.link
        m = _MARGIN[link] * margin_scale

        def solve(extra):
            left = deadline - time.perf_counter()
            if left <= 0:
                return Solution(status="time limit, no solution")
            return prog.solve(extra, left, self.mip_rel_gap)

        if goal.regression:
            lo, hi = goal.lower[i], goal.upper[i]
            width = m * (1 + max(abs(lo), abs(hi)))
            width = min(width, 0.25 * (hi - lo))
            sol = solve([(np.ones(1), lo + width, hi - width)])
        else:
            c, t = int(goal.class_index[i]), float(goal.lower[i])
            if link == "proba":
                w = np.zeros(pieces.values[0].shape[1])
                w[c] = 1.0
                sol = solve([(w, min(t + m, 1.0 - 1e-12), np.inf)])
            elif t >= 1.0:
                sol = Solution(
                    status="infeasible: probability 1 is out of reach of a "
                    "logistic or softmax output"
                )
            elif link == "logit":
                tau = np.log(t) - np.log1p(-t) + m if t > 0 else -np.inf
                sign = 1.0 if c == 1 else -1.0
                sol = solve([(np.array([sign]), tau, np.inf)])
            else:
                sol = self._softmax(prog, solve, c, t, m)
        if sol.z is None and np.isfinite(h_cost):
            # nothing cheaper than the fast steps' valid row: it is optimal
            # (infeasible under the cutoff), or the best known (time limit)
            proven = sol.status == "infeasible"
            bound = h_cost if proven else sol.bound
            sol = Solution(
                H.copy(),
                h_cost,
                bound,
                "optimal" if proven else "time limit",
                proven,
            )
        return sol

    def _softmax(self, prog, solve, c, t, m):
        """``p_c >= t`` for softmax outputs: a sequence of programs.

        The pairwise constraints ``s_c - s_k >= logit(t)`` are necessary
        (outer), ``s_c - s_k >= logit(t) + log(K - 1)`` sufficient (inner).
        The inner solution is valid; each outer solution gives a lower bound
        and, where it misses the target, a supporting cut of the convex
        ``g(s) = log sum_k exp(s_k - s_c) <= -log t`` at the point where the
        segment from it to the best valid row crosses the target (that point
        is valid too, and may be cheaper). Stops when the valid row is
        within ``mip_rel_gap`` of the bound.
        """
        k = prog.out_b.size
        others = [j for j in range(k) if j != c]
        W = np.zeros((k - 1, k))
        W[np.arange(k - 1), c] = 1.0
        W[np.arange(k - 1), others] = -1.0
        logit = np.log(t) - np.log1p(-t) if t > 0 else -np.inf
        need = -np.log(t) - m if t > 0 else np.inf  # bound on g
        x, scale, sw = prog.x, prog.scale, self.sparsity_weight

        def g_at(z):
            F = outputs(prog.pieces, z[None, :])[0]
            return logsumexp(F - F[c]), F

        def cost(z):
            return (np.abs(z - x) / scale).sum() + sw * np.count_nonzero(z != x)

        # sufficient with room: g <= need holds at the inner solution
        room = -np.log(max(np.exp(-m) - t, 1e-300) / (1 - t)) + 1e-12
        best = solve([(W, logit + np.log(k - 1) + room, np.full(k - 1, np.inf))])
        if best.z is not None:
            best.cost = cost(best.z)
        # an interior point (a higher target): the segments from the outer
        # solutions to it cross the boundary where the cuts are supporting
        t_in = t + 0.5 * (1 - t)
        inside = solve(
            [
                (
                    W,
                    np.log(t_in) - np.log1p(-t_in) + np.log(k - 1),
                    np.full(k - 1, np.inf),
                )
            ]
        )
        interior = inside.z if inside.z is not None else best.z
        extra = [(W, logit + m, np.full(k - 1, np.inf))]
        bound = -np.inf
        for _ in range(self.max_cuts + 1):
            sol = solve(extra)
            if sol.z is None:
                if sol.status == "infeasible" or best.z is None:
                    return sol if best.z is None else best
                break
            bound = max(bound, sol.cost if sol.optimal else sol.bound)
            g, F = g_at(sol.z)
            if g <= need:  # the relaxation's optimum meets the target
                sol.bound = bound
                sol.optimal = sol.optimal and bound >= sol.cost - 1e-9
                return sol
            soft = np.exp(F - logsumexp(F))  # Kelley's cut at the outer point
            grad = soft.copy()
            grad[c] -= 1.0
            extra.append((grad, -np.inf, need - g + grad @ F))
            if interior is not None:  # where the segment meets the target
                lo, hi = 0.0, 1.0
                for _ in range(40):
                    mid = 0.5 * (lo + hi)
                    if g_at(sol.z + mid * (interior - sol.z))[0] <= need:
                        hi = mid
                    else:
                        lo = mid
                z_b = sol.z + hi * (interior - sol.z)
                c_b = cost(z_b)
                if best.z is None or c_b < best.cost:
                    best = Solution(z_b, c_b, bound, "", False)
                g, F = g_at(z_b)
                if best.cost - bound <= self.mip_rel_gap * max(abs(best.cost), 1e-12):
                    best.bound, best.optimal, best.status = bound, True, "optimal"
                    return best
            soft = np.exp(F - logsumexp(F))
            grad = soft.copy()
            grad[c] -= 1.0
            extra.append((grad, -np.inf, need - g + grad @ F))
        if best.z is not None:
            best.bound = bound
            best.optimal = False
            best.status = "cut limit"
        return best
