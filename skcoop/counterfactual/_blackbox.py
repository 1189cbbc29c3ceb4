"""Batched black-box search: only ``predict_proba`` / ``predict`` calls."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils._param_validation import StrOptions

from ..utils import Substitution, count, number
from ._base import _SEARCH_PARAMS_DOC, BaseCounterfactualSearch
from ._goal import SearchContext
from ._linear import linear_search
from ._reference import (
    reference_search,
    revert_smallest,
    shrink_segment,
)
from ._steps import (
    anchor_search,
    bisect_segments,
    keep_better,
    nearest_anchors,
    polish,
    step_toward_anchor,
)

__all__ = ["BlackBoxSearch", "search_rows"]


@Substitution(search_params=_SEARCH_PARAMS_DOC)
class BlackBoxSearch(BaseCounterfactualSearch):
    """Quintessential counterfactuals for any fitted model, batched.

    Works with anything that has ``predict_proba`` (classifiers: trees,
    forests, boosting, SVM with probabilities, naive Bayes, kNN, pipelines)
    or ``predict`` (regressors). Every step evaluates the candidates of all
    instances in one model call, so the number of calls does not grow with
    the batch (a few dozen calls for a batch of any size).

    The search, per instance, with ``slopes="reference"`` (the default,
    a few model evaluations per row where the model is smooth):

    1. Linear jumps (``linearize=True``): the slope of the logit of the
       target class (regression: of the prediction) in each feature comes
       from a linear model of the model's outputs on the nearest reference
       rows (outputs known once per batch: no model call), and the
       ``n_screen`` most promising slopes are measured by forward
       differences. The L1-cheapest move from the source that reaches the
       target on that linear model is a fractional knapsack over features
       (sparse: features in order of slope times scale, each to its bound
       until enough); a secant line search on the model (a bisection where
       the score jumps) finds its length. Rows stop at their first valid
       point; the others re-linearise where they landed, at most
       ``n_linear`` jumps. Where a jump changed several features, the least
       useful go back together (a bisection over how many) and the rest
       shrinks along the segment.
    2. For rows the jumps left without a valid point (forests: the
       reference rows do not linearise them), steps 2 and 3 below, and the
       forward-difference jumps of step 1 below where those fail too.

    With ``slopes="differences"`` (the search of earlier releases, about
    100-200 evaluations per row on 20 features):

    1. Linear jumps (``linearize=True``): forward differences give the slope
       of the logit (regression: of the prediction) in each feature (``d``
       evaluations per row and step); the knapsack move above, then a grid
       and bisection line search on the model. ``n_linear`` such steps,
       each re-linearised where the last one landed (an L1 DeepFool). On
       trees the slopes are mostly zero and the anchors do the work.
    2. Anchors, for rows step 1 left without a valid point: the
       ``n_anchors`` nearest reference rows (scaled L1) of the target class
       that meet the target. Each anchor first loses, by batched greedy
       reversion, the differences to the source it does not need; a
       bisection on the segment source -> reduced anchor then finds the
       nearest valid point. The nearest of the anchors' points is kept.
    3. ``n_rounds`` of polishing: features the target does not need go back
       to their source values (batched greedy reversion, ordered by L1 saved
       per margin lost, with a bisection over how many go back together),
       then each remaining change shrinks toward the source while the target
       holds.

    Anchors come from a k-d tree of the reference rows per class, filtered
    by each row's own target, without model calls. Every candidate is
    evaluated at most once per batch (an output cache), and every
    evaluation counts in ``n_evaluations``. Candidates are compared by
    scaled L1 plus ``sparsity_weight`` per changed feature. Rows already at
    their target move ``min_step`` of the way toward their nearest anchor
    instead (see ``min_step``).

    Parameters
    ----------
    n_anchors : int, default=3
        Reference rows tried as endpoints per instance.
    n_iter : int, default=8
        Bisection steps on each segment.
    n_rounds : int, default=1
        Polishing rounds (reversion then shrinking).
    linearize : bool, default=True
        Try the linear jumps of step 1 (``d + 10`` rows per instance and
        step). They find near L1-optimal, sparse points on smooth models.
    n_linear : int, default=3
        Linear jumps per instance.
    sparsity_weight : float, default=2.0
        Cost of one more changed feature, in units of scaled L1, when
        choosing between candidates.
    slopes : {{"reference", "differences"}}, default="reference"
        Where the slopes of the linear jumps come from: the reference rows'
        known outputs (plus ``n_screen`` forward differences), or forward
        differences in every feature (``d`` evaluations per row and jump).
    n_screen : int, default=4
        With ``slopes="reference"``: slopes measured by forward differences
        per jump, the most promising by the reference rows' estimate; the
        others are taken as zero (0: the estimate alone, fewer evaluations,
        a little farther).
    {search_params}

    Attributes
    ----------
    X_ref_ : ndarray of shape (n_ref, n_features)
        Reference rows (as floats). For a DataFrame with categorical, boolean
        or missing values, the rows as the search encodes them (one-hot
        groups and hold columns; see :ref:`tabular`); ``scale_`` to
        ``one_hot_groups_`` are then in that encoding too.
    y_ref_ : ndarray of shape (n_ref,) or None
        Their labels or values.
    scale_ : ndarray of shape (n_features,)
        Feature scales (see ``scale``); distances are L1 in these units.
    min_, max_ : ndarray of shape (n_features,)
        Observed ranges.
    lower_, upper_ : ndarray of shape (n_features,)
        The box counterfactuals stay in (see ``feature_range``).
    is_integer_, is_binary_ : ndarray of shape (n_features,), dtype=bool
        Features that hold integers (kept integer) and two values.
    immutable_ : ndarray of shape (n_features,), dtype=bool
        Features never changed.
    one_hot_groups_ : list of ndarray
        Column indices of each one-hot group.
    column_scale_ : ndarray of shape (n_features_in_,)
        Scale of each input column: ``scale_`` for numeric rows; for a mixed
        DataFrame the unit of each numeric column and 1 for a categorical or
        boolean one (a category change costs 1). ``result.distance`` equals
        ``skcoop.metrics.proximity(X, result.X, scale=column_scale_)``.
    n_features_in_ : int
    feature_names_in_ : ndarray of str or None

    See Also
    --------
    GradientSearch : gradient search for torch modules and skorch nets.
    make_search : pick a backend for a model.

    Notes
    -----
    ``scipy.optimize`` is not used: its solvers take one problem at a time,
    which would make one model call per instance per iteration; the batched
    knapsack and line searches above solve the same local problems for all
    instances with one call per step. :class:`ExactSearch` solves the whole
    problem with scipy's HiGHS, for linear models and tree ensembles.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skcoop.counterfactual import BlackBoxSearch
    >>> X, y = load_iris(return_X_y=True)
    >>> model = RandomForestClassifier(random_state=0).fit(X, y)
    >>> search = BlackBoxSearch().fit(X, y)
    >>> result = search.generate(model, X[:5], [1, 1, 1, 1, 1], confidence=0.75)
    >>> result.success.tolist()
    [True, True, True, True, True]
    >>> bool((result.achieved >= 0.75).all())
    True
    """

    _parameter_constraints: dict = {
        **BaseCounterfactualSearch._parameter_constraints,
        "n_anchors": [count(1)],
        "n_iter": [count(1)],
        "n_rounds": [count(0)],
        "linearize": ["boolean"],
        "n_linear": [count(1)],
        "sparsity_weight": [number(0, None, closed="left")],
        "slopes": [StrOptions({"reference", "differences"})],
        "n_screen": [count(0)],
    }

    def __init__(
        self,
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
            alpha=alpha,
            min_step=min_step,
            immutable=immutable,
            one_hot_groups=one_hot_groups,
            feature_range=feature_range,
            scale=scale,
        )
        self.n_anchors = n_anchors
        self.n_iter = n_iter
        self.n_rounds = n_rounds
        self.linearize = linearize
        self.n_linear = n_linear
        self.sparsity_weight = sparsity_weight
        self.slopes = slopes
        self.n_screen = n_screen

    def _search(self, ctx):
        if self.slopes == "reference":
            return self._search_reference(ctx)
        Z = ctx.X.copy()
        anchors, _ = nearest_anchors(ctx, self.n_anchors)
        Z[ctx.goal.already] = step_toward_anchor(
            ctx, anchors[:, 0], self.min_step, self.n_iter
        )
        rows = np.flatnonzero(~ctx.goal.already)
        if rows.size == 0:
            return Z
        if self.linearize:
            V, V_out, V_ok = linear_search(
                ctx, rows, self.n_linear, sparsity_weight=self.sparsity_weight
            )
        else:
            V, V_out = ctx.X[rows].copy(), ctx.goal.initial[rows].copy()
            V_ok = np.zeros(rows.size, dtype=bool)
        miss = np.flatnonzero(~V_ok)
        # the plain segment to the nearest anchor (BisectionSearch's answer)
        # for every row, the sparsified anchors where the jumps failed
        P = bisect_segments(ctx, rows, anchors[rows, 0], self.n_iter)
        keep_better(ctx, rows, (V, V_out, V_ok), P, self.sparsity_weight)
        if miss.size:
            A = anchor_search(ctx, rows[miss], anchors[rows[miss]], self.n_iter)
            keep_better(ctx, rows, (V, V_out, V_ok), A, self.sparsity_weight, miss)
        Z[rows] = polish(ctx, rows, V, V_out, V_ok, self.n_rounds)
        return Z

    def _search_reference(self, ctx):
        """Few evaluations: slopes and anchors read from the reference rows."""
        Z = ctx.X.copy()
        # anchors only for the rows that use them (a k-d tree query each)
        already = np.flatnonzero(ctx.goal.already)
        if already.size:
            ends = np.zeros((ctx.n, ctx.d))
            ends[already] = nearest_anchors(ctx, 1, already)[0][:, 0]
            Z[already] = step_toward_anchor(ctx, ends, self.min_step, self.n_iter)
        rows = np.flatnonzero(~ctx.goal.already)
        if rows.size == 0:
            return Z
        src = ctx.X[rows]
        if self.linearize:
            V, V_out, V_ok = reference_search(ctx, rows, self.n_linear, self.n_screen)
        else:
            V, V_out = src.copy(), ctx.goal.initial[rows].copy()
            V_ok = np.zeros(rows.size, dtype=bool)
        # the jumps' points: the least useful changes go back together, and
        # where some did, the rest shrinks along the segment
        jumped = np.flatnonzero(V_ok)
        for _ in range(self.n_rounds):
            if jumped.size == 0:
                break
            r = rows[jumped]
            R, R_out = revert_smallest(ctx, V[jumped], V_out[jumped], r)
            moved = np.flatnonzero(np.any(R != V[jumped], axis=1))
            R[moved], R_out[moved] = shrink_segment(
                ctx, R[moved], R_out[moved], r[moved]
            )
            V[jumped], V_out[jumped] = R, R_out
            jumped = jumped[moved]
        # rows the jumps left invalid (models the reference rows do not
        # linearise, such as forests): sparsified anchors, then polished one
        # feature at a time
        miss = np.flatnonzero(~V_ok)
        if miss.size:
            r = rows[miss]
            anchors, _ = nearest_anchors(ctx, self.n_anchors, r)
            A = anchor_search(ctx, r, anchors, self.n_iter)
            keep_better(ctx, rows, (V, V_out, V_ok), A, self.sparsity_weight, miss)
            # still invalid: forward differences in every feature, as with
            # slopes="differences"
            lost = miss[~V_ok[miss]]
            if lost.size and self.linearize:
                L = linear_search(ctx, rows[lost], self.n_linear)
                keep_better(ctx, rows, (V, V_out, V_ok), L, self.sparsity_weight, lost)
            V[miss] = polish(ctx, r, V[miss], V_out[miss], V_ok[miss], self.n_rounds)
        Z[rows] = V
        return Z


def search_rows(search, ctx, rows):
    """:class:`BlackBoxSearch`'s search of the rows ``rows`` of ``ctx`` only.

    For the model-aware searches' rows their own path does not serve: a
    context of those rows shares ``ctx``'s output cache and reference
    index, and its evaluations are added to ``ctx``'s counts.
    """
    sub = SearchContext(
        search,
        ctx.oracle,
        ctx.X[rows],
        ctx.goal.subset(rows),
        cache=ctx.cache,
        ref_output=ctx.ref_output,
        index=ctx.index,
    )
    Z = BlackBoxSearch._search(search, sub)
    ctx.n_evaluations[rows] += sub.n_evaluations
    ctx.ref_output = sub.ref_output
    return Z
