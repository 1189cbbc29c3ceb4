"""Linear models searched in closed form: the L1-cheapest move to the target score.

A binary logistic model's target probability is a bound on its logit
``w @ z + b`` (a linear regressor's target interval, a bound on its
prediction), with scalers before it folded into ``w`` and ``b``. The
L1-cheapest point that meets the bound is a fractional knapsack: the
features in order of ``|w_j| * scale_j`` (score bought per scaled unit
moved), each to the end of its box until the bound is met. One model
evaluation checks the result.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ..utils import Substitution
from ._base import _SEARCH_PARAMS_DOC
from ._blackbox import BlackBoxSearch, search_rows
from ._exact_models import _LINEAR_CLASSIFIERS, _LINEAR_REGRESSORS, _split, model_pieces

__all__ = ["LinearModelSearch", "is_linear_model", "knapsack_move"]

_EPS = 1e-12
_INSIDE = 1e-6  # how far inside the bound the move aims (relative)


def is_linear_model(model):
    """Whether ``model`` (or a Pipeline's last step) is a linear model this reads."""
    return isinstance(_split(model)[1], _LINEAR_CLASSIFIERS + _LINEAR_REGRESSORS)


def knapsack_move(X, w, need, scale, lower, upper, mutable, integer):
    """Rows moved at least ``need`` up along ``w @ z`` at the least scaled L1.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Source rows.
    w : ndarray of shape (d,)
        Slope of the score in each feature.
    need : ndarray of shape (n,)
        Score each row must gain (``<= 0``: none).
    scale : ndarray of shape (d,)
        Unit of each feature in the L1 distance.
    lower, upper : ndarray of shape (n, d)
        Box per row.
    mutable, integer : ndarray of shape (d,), dtype=bool
        Features that may move; features that take integer values (a
        partial move on one is rounded up, away from the source).

    Returns
    -------
    Z : ndarray of shape (n, d)
    reached : ndarray of shape (n,), dtype=bool
        Whether the box left room to gain ``need``.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.counterfactual._linear_model import knapsack_move
    >>> X = np.zeros((1, 2))
    >>> box = np.full((1, 2), 10.0)
    >>> Z, ok = knapsack_move(X, np.array([1.0, 3.0]), np.array([6.0]),
    ...                       np.ones(2), -box, box, np.ones(2, bool),
    ...                       np.zeros(2, bool))
    >>> Z.tolist(), ok.tolist()
    ([[0.0, 2.0]], [True])
    """
    n, d = X.shape
    Z = X.copy()
    gain = np.abs(w) * scale  # score per scaled unit
    order = np.argsort(-gain, kind="stable")
    order = order[mutable[order] & (gain[order] > 0)]
    left = np.maximum(need, 0.0).astype(float)
    for j in order:
        live = left > 0
        if not live.any():
            break
        up = w[j] > 0
        room = np.where(up, upper[:, j] - X[:, j], X[:, j] - lower[:, j])
        room = np.maximum(room, 0.0)
        step = np.minimum(left / abs(w[j]), room)
        if integer[j]:
            step = np.minimum(np.ceil(step - 1e-9), np.floor(room + 1e-9))
        step = np.where(live, step, 0.0)
        Z[:, j] = X[:, j] + np.where(up, step, -step)
        left = left - step * abs(w[j])
    return Z, left <= _EPS * (1 + np.abs(need))


@Substitution(search_params=_SEARCH_PARAMS_DOC)
class LinearModelSearch(BlackBoxSearch):
    """Closed-form counterfactuals of binary logistic and linear regressors.

    For scikit-learn's ``LogisticRegression``, ``LogisticRegressionCV``,
    ``SGDClassifier(loss="log_loss")`` (two classes) and linear regressors
    (``LinearRegression``, ``Ridge``, ``Lasso``, ...), alone or after
    ``StandardScaler``/``MinMaxScaler``/``RobustScaler``/``MaxAbsScaler``
    in a Pipeline, the L1-cheapest counterfactual has a closed form: the
    target probability (regression: the near end of the target interval)
    is a bound on the linear score, and the cheapest move that meets it
    takes the features in order of score per scaled unit, each to the end
    of its box, until the bound is met (a fractional knapsack). The search
    makes one model evaluation per row past the source row's own, to check
    the result; on a model
    without integer features its answer is :class:`ExactSearch`'s with
    ``sparsity_weight=0``.

    Everything else goes to :class:`BlackBoxSearch`'s search, of which this
    is a subclass (all its parameters apply there): multi-class models
    (the target probability of a softmax is not a linear bound), rows
    already at their target (``min_step``), rows the box cannot serve,
    models with one-hot groups in their features, and mixed-type tables.
    Immutable features and the box are honoured; an integer feature's
    partial move is rounded up.

    Parameters
    ----------
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
    ExactSearch : minimal-cost counterfactuals (linear programs).
    make_search : ``"auto"`` picks this search for linear models.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skcoop.counterfactual import LinearModelSearch
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    >>> search = LinearModelSearch().fit(X, y)
    >>> result = search.generate(model, X[:5], [1] * 5, confidence=0.9)
    >>> result.success.tolist()
    [True, True, True, True, True]
    >>> result.n_evaluations.tolist()  # the source row's output and the check
    [2, 2, 2, 2, 2]
    """

    def _search(self, ctx):
        score = self._score(ctx)
        rows = np.flatnonzero(~ctx.goal.already)
        if score is None or rows.size == 0:
            return super()._search(ctx)
        w, b = score
        goal = ctx.goal
        X = ctx.X[rows]
        s0 = X @ w + b
        if goal.regression:
            up = s0 < goal.lower[rows]
            edge = np.where(up, goal.lower[rows], goal.upper[rows])
        else:
            p = np.clip(goal.lower[rows], _EPS, 1 - _EPS)
            edge = np.log(p) - np.log1p(-p)
            up = goal.class_index[rows] == 1
            edge = np.where(up, edge, -edge)
        edge = edge + np.where(up, 1, -1) * _INSIDE * (1 + np.abs(edge))
        sign = np.where(up, 1.0, -1.0)
        need = sign * (edge - s0)
        # moving "down" along w is moving up along -w: flip those rows
        Xs = X * sign[:, None]
        lo = np.where(up[:, None], ctx.lower[rows], -ctx.upper[rows])
        hi = np.where(up[:, None], ctx.upper[rows], -ctx.lower[rows])
        mutable = ~np.isin(np.arange(ctx.d), ctx.immutable)
        integer = np.isin(np.arange(ctx.d), ctx.integer)
        Zs, reached = knapsack_move(Xs, w, need, ctx.scale, lo, hi, mutable, integer)
        Z_rows = Zs * sign[:, None]
        Z = ctx.X.copy()
        served = np.flatnonzero(reached)
        if served.size:
            _, ok = ctx.evaluate(Z_rows[served], rows[served])
            served = served[ok]
            Z[rows[served]] = Z_rows[served]
        rest = np.setdiff1d(np.arange(ctx.n), rows[served])
        if rest.size:
            Z[rest] = search_rows(self, ctx, rest)
        return Z

    def _score(self, ctx):
        """``(w, b)`` of the model's one linear score, or None (black-box search)."""
        model = ctx.oracle.model
        if self._tabular is not None or ctx.groups or not is_linear_model(model):
            return None
        check = ctx.X[: min(ctx.n, 8)]
        raw, _ = ctx.cache.lookup(ctx.oracle, check)  # seeded: no model call
        try:
            pieces = model_pieces(model, ctx.d, check, raw)
        except TypeError:
            return None
        if pieces.link not in ("logit", "identity"):
            return None  # multi-class: a softmax target is not a linear bound
        return pieces.A[0], float(pieces.b[0])
