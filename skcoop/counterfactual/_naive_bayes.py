"""Gaussian naive Bayes searched through its fitted parameters.

A ``GaussianNB``'s joint log-likelihood of class ``k`` is a sum of one
quadratic per feature, ``-(phi_j(z) - theta_kj)**2 / (2 var_kj)`` plus a
constant, where ``phi`` is the identity or the scalers before it in a
Pipeline (affine per feature). The target class ``c`` reaches probability
``t`` where its log-odds ``S(z) = L_c(z) - logsumexp_{k != c} L_k(z)``
reaches ``logit(t)``.

- Two classes: ``S`` is itself a sum of per-feature quadratics, and the
  L1-cheapest move that buys ``logit(t) - S(x)`` is a separable problem
  solved by :func:`~skcoop.counterfactual._separable.cheapest_move`.
- More classes: ``logsumexp`` is not separable, but for any weights ``w``
  on the other classes (a probability vector), ``logsumexp_k L_k >=
  sum_k w_k L_k + H(w)``, with equality at ``w = softmax(L_k)``. So
  ``S_w(z) = L_c(z) - sum_k w_k L_k(z) - H(w) >= S(z)`` is separable, and
  it is exact at the point ``w`` is taken at. The search solves the
  separable problem with ``w`` taken at the source, then again with ``w``
  at the point found (demanding more by the true shortfall of the last
  point), until ``S`` itself meets the target (a few rounds).

``S`` is computed from the fitted parameters (no model call) at every
step; the point found is moved back along the segment to the source while
``S`` holds (features that take integer values excepted), and checked by
one model evaluation. Rows that fail the check, rows the box cannot serve
and models this does not read go to :class:`BlackBoxSearch`'s search.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.special import logsumexp
from sklearn.naive_bayes import GaussianNB

from ..utils import Substitution, count
from ._base import _SEARCH_PARAMS_DOC
from ._blackbox import BlackBoxSearch, search_rows
from ._exact_models import _affine, _split
from ._separable import cheapest_move

__all__ = ["NaiveBayesSearch", "is_naive_bayes"]

_EPS = 1e-12
_INSIDE = 1e-6  # how far inside the bound the move aims (relative)
_MAX_GRID = 64  # integer features with more values are moved as continuous
_DAMP = 0.5  # weight of the last point's weights in the next round's bound


def is_naive_bayes(model):
    """Whether ``model`` (or a Pipeline's last step) is a ``GaussianNB``."""
    return isinstance(_split(model)[1], GaussianNB)


class _GaussianScores:
    """Joint log-likelihoods of a (scaled) GaussianNB in the search's space."""

    def __init__(self, model, d):
        steps, last = _split(model)
        self.alpha, self.gamma = _affine(steps, d, model)  # raises TypeError
        self.theta = np.asarray(last.theta_, dtype=float)
        self.var = np.asarray(last.var_, dtype=float)
        with np.errstate(divide="ignore"):
            prior = np.log(np.asarray(last.class_prior_, dtype=float))
        self.const = prior - 0.5 * np.log(2 * np.pi * self.var).sum(axis=1)
        self.inv_var = 1.0 / self.var

    def joint(self, Z):
        """``L_k(z)`` of shape (n, K)."""
        phi = Z * self.alpha + self.gamma
        out = np.empty((Z.shape[0], self.theta.shape[0]))
        for k in range(self.theta.shape[0]):
            out[:, k] = self.const[k] - 0.5 * (
                (phi - self.theta[k]) ** 2 * self.inv_var[k]
            ).sum(axis=1)
        return out

    def proba(self, Z):
        L = self.joint(Z)
        return np.exp(L - logsumexp(L, axis=1, keepdims=True))

    def log_odds(self, Z, c):
        """``S(z)`` of class ``c[i]`` at each row, and the other classes' weights."""
        L = self.joint(Z)
        at = np.arange(Z.shape[0])
        other = L.copy()
        other[at, c] = -np.inf
        top = other.max(axis=1, keepdims=True)
        w = np.exp(other - top)
        total = w.sum(axis=1, keepdims=True)
        w /= total
        lse = (top + np.log(total))[:, 0]
        return L[at, c] - lse, w, L

    def surrogate(self, X, scale, c, w, L_x):
        """``(a, b, S_w(x))``: the separable bound ``S_w`` in scale units at ``X``.

        ``S_w(x + scale * u) - S_w(x) = sum_j a_j u_j^2 + b_j u_j``.
        """
        r = self.alpha * scale  # d phi / d u
        e_over_v = (X * self.alpha + self.gamma)[:, None, :] - self.theta[None]
        e_over_v = e_over_v * self.inv_var[None]  # (m, K, d)
        at = np.arange(X.shape[0])
        iv_c = self.inv_var[c]
        ev_c = e_over_v[at, c]
        iv_w = w @ self.inv_var
        ev_w = np.einsum("mk,mkd->md", w, e_over_v)
        a = -0.5 * r * r * (iv_c - iv_w)
        b = -r * (ev_c - ev_w)
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = -np.where(w > 0, w * np.log(w), 0.0).sum(axis=1)
        s_x = L_x[at, c] - np.where(w > 0, w * L_x, 0.0).sum(axis=1) - entropy
        return a, b, s_x


@Substitution(search_params=_SEARCH_PARAMS_DOC)
class NaiveBayesSearch(BlackBoxSearch):
    """Counterfactuals of Gaussian naive Bayes from its fitted parameters.

    For scikit-learn's ``GaussianNB`` (and subclasses that keep its
    probabilities), alone or after ``StandardScaler``/``MinMaxScaler``/
    ``RobustScaler``/``MaxAbsScaler`` in a Pipeline, the target class's
    log-odds is read from ``theta_``, ``var_`` and ``class_prior_``: with
    two classes a sum of one quadratic per feature, with more a
    log-sum-exp of such sums. The search finds the L1-cheapest move that
    reaches the target probability without model evaluations (a Lagrangian
    bisection over features, exact up to the switching of one non-convex
    feature; with more than two classes a few rounds of a separable bound
    that is exact where it is taken), moves it back toward the source while
    the target holds, and checks it by one model evaluation per row.

    Everything else goes to :class:`BlackBoxSearch`'s search, of which this
    is a subclass (all its parameters apply there): rows already at their
    target (``min_step``), rows the box cannot serve or whose check fails,
    models whose outputs differ from the parameters' (for example a
    ``GaussianNB`` fitted on float32 rows, which computes in float32), one-hot
    groups and mixed-type tables. Immutable features and the box are
    honoured; features that take integer values move over their integers
    (over at most 64 values; past that a move is rounded away from the
    source and checked).

    Parameters
    ----------
    n_rounds_bound : int, default=8
        Rounds of the separable bound for more than two classes.
    n_anchors, n_iter, n_rounds, linearize, n_linear, sparsity_weight, \
slopes, n_screen
        As in :class:`BlackBoxSearch` (for the rows it searches; this
        search minimises the scaled L1 alone, as :class:`LinearModelSearch`
        does).
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
    LinearModelSearch : the closed form for linear models.
    make_search : ``"auto"`` picks this search for Gaussian naive Bayes.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skcoop.counterfactual import NaiveBayesSearch
    >>> X, y = load_iris(return_X_y=True)
    >>> model = GaussianNB().fit(X, y)
    >>> search = NaiveBayesSearch().fit(X, y)
    >>> result = search.generate(model, X[:5], [1] * 5, confidence=0.9)
    >>> result.success.tolist()
    [True, True, True, True, True]
    >>> result.n_evaluations.tolist()  # the source row's output and the check
    [2, 2, 2, 2, 2]
    """

    _parameter_constraints: dict = {
        **BlackBoxSearch._parameter_constraints,
        "n_rounds_bound": [count(1)],
    }

    def __init__(
        self,
        n_rounds_bound=8,
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
        self.n_rounds_bound = n_rounds_bound

    def _search(self, ctx):
        scores = self._scores(ctx)
        rows = np.flatnonzero(~ctx.goal.already)
        if scores is None or rows.size == 0:
            return super()._search(ctx)
        Z_rows, found = self._move(ctx, scores, rows)
        Z = ctx.X.copy()
        served = np.flatnonzero(found)
        if served.size:
            _, ok = ctx.evaluate(Z_rows[served], rows[served])
            served = served[ok]
            Z[rows[served]] = Z_rows[served]
        rest = np.setdiff1d(np.arange(ctx.n), rows[served])
        if rest.size:
            Z[rest] = search_rows(self, ctx, rest)
        return Z

    # ------------------------------------------------------------- helpers
    def _scores(self, ctx):
        """The model's log-likelihoods, or None where the black-box search must do."""
        model = ctx.oracle.model
        if self._tabular is not None or ctx.groups or not is_naive_bayes(model):
            return None
        try:
            scores = _GaussianScores(model, ctx.d)
        except TypeError:
            return None
        # the source rows' outputs are known (seeded: no model call); they
        # must be the parameters', probabilities near 0 included (log scale)
        raw, _ = ctx.cache.lookup(ctx.oracle, ctx.X)
        mine = scores.proba(ctx.X)
        if mine.shape != raw.shape or not np.allclose(mine, raw, atol=1e-6):
            return None
        seen = (raw > 1e-200) | (mine > 1e-200)
        with np.errstate(divide="ignore"):
            log_mine, log_raw = np.log(mine[seen]), np.log(raw[seen])
        if not np.allclose(log_mine, log_raw, rtol=1e-6, atol=1e-6):
            return None
        return scores

    def _move(self, ctx, scores, rows):
        """Each row's cheapest move to its target log-odds, and which were found."""
        goal = ctx.goal
        X = ctx.X[rows]
        m, d = X.shape
        c = goal.class_index[rows]
        p = np.clip(goal.lower[rows], _EPS, 1 - _EPS)
        target = np.log(p) - np.log1p(-p)
        _, w, L_x = scores.log_odds(X, c)
        # aim a little inside: the model's own arithmetic differs in the last bits
        target = target + _INSIDE * (1 + np.abs(target)) + 1e-12 * np.abs(L_x).max(1)
        scale = ctx.scale
        mutable = ~np.isin(np.arange(d), ctx.immutable)
        box = (
            np.where(mutable, (ctx.upper[rows] - X) / scale, 0.0),
            np.where(mutable, (X - ctx.lower[rows]) / scale, 0.0),
        )
        grid = self._integer_grid(ctx, rows, mutable)
        K = scores.theta.shape[0]
        # starts: the bound taken at the source, and (more than two classes)
        # where the cheapest move of one feature alone landed
        starts = [w]
        Z, cost = X.copy(), np.full(m, np.inf)
        if K > 2:  # one feature alone, on the exact log-odds
            Z, found = self._one_feature(scores, X, c, target, box, ctx)
            cost = np.where(found, (np.abs(Z - X) / scale).sum(axis=1), np.inf)
            starts.append(scores.log_odds(Z, c)[1])  # the bound taken there
        for w0 in starts:
            P, found = self._rounds(scores, X, c, target, w0, L_x, box, grid, ctx)
            P_cost = np.where(found, (np.abs(P - X) / scale).sum(axis=1), np.inf)
            better = P_cost < cost
            Z[better], cost[better] = P[better], P_cost[better]
        return ctx.project(Z, rows, clip=False), np.isfinite(cost)

    def _rounds(self, scores, X, c, target, w, L_x, box, grid, ctx):
        """Rounds of the separable bound from the weights ``w``; the points found.

        Each round takes the bound at the last point. A row whose point
        missed the target demands the shortfall more in the next round; one
        whose point met it demands half of its extra less, and the cheapest
        valid point of the rounds is kept.
        """
        m, d = X.shape
        scale = ctx.scale
        grid_cols, grid = grid
        is_int = np.isin(np.arange(d), ctx.integer)
        wide = is_int & ~np.isin(np.arange(d), [] if grid_cols is None else grid_cols)
        Z, cost = X.copy(), np.full(m, np.inf)
        far = X.copy()  # the last point of rows that found none
        extra = np.zeros(m)
        act = np.arange(m)
        w_at = w.copy()
        binary = scores.theta.shape[0] == 2
        n_rounds, n_ex = (1, 3) if binary else (self.n_rounds_bound, 1)
        for _ in range(n_rounds):
            if act.size == 0:
                break
            a, b, s_w = scores.surrogate(X[act], scale, c[act], w_at[act], L_x[act])
            need = target[act] + extra[act] - s_w
            need = need + 1e-9 * (1 + np.abs(need))  # rounding in the solve
            g = None if grid is None else grid[act]
            u, ok = cheapest_move(
                a, b, need, box[0][act], box[1][act], grid_cols, g, n_exclude=n_ex
            )
            P = X[act] + u * scale
            if wide.any():  # integer features moved as continuous: away from x
                away = np.where(P > X[act], np.ceil(P - 1e-9), np.floor(P + 1e-9))
                P[:, wide] = away[:, wide]
            s_p, w_p, _ = scores.log_odds(P, c[act])
            good = ok & (s_p >= target[act])
            P_cost = np.abs(u).sum(axis=1)
            better = good & (P_cost < cost[act])
            Z[act[better]], cost[act[better]] = P[better], P_cost[better]
            far[act[ok]] = P[ok]
            # the bound taken nearer where the rows landed; a row demands its
            # shortfall more only once the weights have settled, half its
            # extra less once valid, and a quarter of its extra where that
            # extra left the box no room
            settled = np.abs(w_p - w_at[act]).max(axis=1) < 0.05
            short = np.maximum(target[act] - s_p, 0)
            extra[act] = np.where(
                good | ~ok,
                (np.where(good, 0.5, 0.25)) * extra[act],
                extra[act] + np.where(settled, short, 0.0),
            )
            mixed = (1 - _DAMP) * w_at[act] + _DAMP * w_p
            w_at[act] = np.where(ok[:, None], mixed, w_at[act])
            act = act[(ok | (extra[act] > 1e-6)) & ((extra[act] > 1e-6) | ~good)]
        # rows that found none: along the ray to their last point, farther
        lost = np.flatnonzero(~np.isfinite(cost) & np.any(far != X, axis=1))
        if lost.size:
            R, ok = self._ray(scores, X[lost], far[lost], c[lost], target[lost], ctx)
            Z[lost[ok]], cost[lost[ok]] = R[ok], 0.0
        found = np.isfinite(cost)
        moved = np.flatnonzero(found & ~np.any((Z != X) & is_int, axis=1))
        if moved.size:
            Z[moved] = self._shrink(scores, X[moved], Z[moved], c[moved], target[moved])
            Z[moved] = self._revert(scores, X[moved], Z[moved], c[moved], target[moved])
        return Z, found

    @staticmethod
    def _one_feature(scores, X, c, target, box, ctx, n_grid=32, n_steps=20):
        """The cheapest move of one feature alone that meets the target.

        Along feature ``j`` every ``L_k`` changes by a quadratic of that
        feature alone, so the exact log-odds on a grid of moves costs one
        pass over the classes. Integer features are left to the rounds.
        """
        m, d = X.shape
        scale, mutable = ctx.scale, np.ones(d, dtype=bool)
        mutable[ctx.immutable] = False
        mutable[ctx.integer] = False
        Z, found = X.copy(), np.zeros(m, dtype=bool)
        cols = np.flatnonzero(mutable)
        if cols.size == 0:
            return Z, found
        r = (scores.alpha * scale)[cols]
        e = (X * scores.alpha + scores.gamma)[:, None, cols] - scores.theta[None][
            :, :, cols
        ]  # (m, K, p)
        iv = scores.inv_var[:, cols]
        L_x = scores.joint(X)
        steps = np.linspace(0.0, 1.0, n_grid + 1)[1:]
        room = np.stack([box[0][:, cols], -box[1][:, cols]], axis=2)  # (m, p, 2)
        U = room[..., None] * steps  # (m, p, 2, G)

        def log_odds(u, rows):  # u: (len(rows), p, ...) moves of each feature
            col = (None, slice(None)) + (None,) * (u.ndim - 2)
            row = (slice(None),) + (None,) * (u.ndim - 1)
            ru = r[col] * u
            Lc, top, total = None, np.full(u.shape, -np.inf), np.zeros(u.shape)
            for k in range(scores.theta.shape[0]):
                ek = e[rows, k][(slice(None), slice(None)) + (None,) * (u.ndim - 2)]
                L = L_x[rows, k][row] - 0.5 * (2 * ek * ru + ru * ru) * iv[k][col]
                is_c = (c[rows] == k)[row]
                Lc = np.where(is_c, L, -np.inf if Lc is None else Lc)
                L = np.where(is_c, -np.inf, L)
                new_top = np.maximum(top, L)
                with np.errstate(invalid="ignore"):
                    total = total * np.exp(top - new_top) + np.exp(L - new_top)
                total = np.nan_to_num(total)
                top = new_top
            return Lc - (top + np.log(total))

        all_rows = np.arange(m)
        ok = log_odds(U, all_rows) >= target[:, None, None, None]  # (m, p, 2, G)
        first = np.argmax(ok, axis=3)
        has = ok.any(axis=3)
        at = np.take_along_axis(U, first[..., None], 3)[..., 0]
        cost = np.where(has, np.abs(at), np.inf).reshape(m, -1)
        best = np.argmin(cost, axis=1)
        found = np.isfinite(cost[all_rows, best])
        j, side = np.divmod(best, 2)
        hi = at.reshape(m, -1)[all_rows, best]
        f = first.reshape(m, -1)[all_rows, best]
        lo = np.where(f > 0, hi * steps[np.maximum(f - 1, 0)] / steps[f], 0.0)
        for _ in range(n_steps):
            mid = 0.5 * (lo + hi)
            u = np.zeros((m, cols.size))
            u[all_rows, j] = mid
            good = log_odds(u, all_rows)[all_rows, j] >= target
            lo, hi = np.where(good, lo, mid), np.where(good, mid, hi)
        Z[all_rows, cols[j]] += np.where(found, hi, 0.0) * scale[cols[j]]
        return Z, found

    @staticmethod
    def _ray(scores, X, P, c, target, ctx, factors=(1.25, 1.5, 2.0, 3.0, 5.0, 8.0)):
        """The first point ``x + f (p - x)`` (in the box) that meets the target."""
        lower, upper = ctx.search.lower_, ctx.search.upper_
        R, ok = P.copy(), np.zeros(X.shape[0], dtype=bool)
        for f in factors:
            T = np.clip(X + f * (P - X), np.minimum(lower, X), np.maximum(upper, X))
            T[:, ctx.immutable] = X[:, ctx.immutable]
            s, _, _ = scores.log_odds(T, c)
            new = ~ok & (s >= target)
            R[new], ok[new] = T[new], True
        return R, ok

    @staticmethod
    def _revert(scores, X, Z, c, target, n_steps=14):
        """Each changed feature back toward the source (bisection) while ``S`` holds."""
        Z = Z.copy()
        for j in np.argsort(-np.abs(Z - X).sum(axis=0)):
            live = np.flatnonzero(Z[:, j] != X[:, j])
            if live.size == 0:
                continue
            lo, hi = np.zeros(live.size), np.ones(live.size)
            T = Z[live].copy()
            for _ in range(n_steps):
                mid = 0.5 * (lo + hi)
                T[:, j] = X[live, j] + mid * (Z[live, j] - X[live, j])
                s, _, _ = scores.log_odds(T, c[live])
                ok = s >= target[live]
                hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
            Z[live, j] = X[live, j] + hi * (Z[live, j] - X[live, j])
        return Z

    def _integer_grid(self, ctx, rows, mutable):
        """Allowed moves (scale units) of the integer features with few values."""
        cols = ctx.integer[mutable[ctx.integer]]
        if cols.size == 0:
            return None, None
        lo = np.ceil(ctx.lower[rows][:, cols])
        hi = np.floor(ctx.upper[rows][:, cols])
        span = hi - lo
        few = np.all(np.isfinite(span), axis=0)
        few[few] = span[:, few].max(axis=0) < _MAX_GRID
        cols, lo, span = cols[few], lo[:, few], span[:, few]
        if cols.size == 0:
            return None, None
        steps = np.arange(int(span.max()) + 1 if span.size else 1)
        values = lo[..., None] + steps  # (m, k, V)
        values = np.where(steps <= span[..., None], values, np.nan)
        X = ctx.X[rows][:, cols, None]
        moves = (values - X) / ctx.scale[cols][:, None]
        # staying put is always allowed (a source off the integer grid too)
        return cols, np.concatenate([np.zeros(X.shape), moves], axis=2)

    @staticmethod
    def _shrink(scores, X, Z, c, target, n_steps=24):
        """The point nearest the source on the segment to ``Z`` that keeps ``S``."""
        lo, hi = np.zeros(X.shape[0]), np.ones(X.shape[0])
        for _ in range(n_steps):
            mid = 0.5 * (lo + hi)
            s, _, _ = scores.log_odds(X + mid[:, None] * (Z - X), c)
            ok = s >= target
            hi = np.where(ok, mid, hi)
            lo = np.where(ok, lo, mid)
        return X + hi[:, None] * (Z - X)
