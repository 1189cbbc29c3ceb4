"""Batched bisection toward the nearest confident reference row."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ..utils import Substitution, count
from ._base import _SEARCH_PARAMS_DOC, BaseCounterfactualSearch
from ._steps import bisect_segments, nearest_anchors

__all__ = ["BisectionSearch"]


@Substitution(search_params=_SEARCH_PARAMS_DOC)
class BisectionSearch(BaseCounterfactualSearch):
    """Counterfactuals on the segment from each row to a confident class anchor.

    For each source row, the anchor is the nearest reference row (scaled L1
    distance) of the target class whose output already meets the row's
    target; a bisection on the segment source -> anchor then finds the point
    closest to the source that still meets the target. Every iteration
    evaluates all rows in one model call, so a batch of any size costs
    ``n_iter + 3`` model calls. It needs nothing but ``predict_proba`` (or
    ``predict``) and works for any learner; :class:`BlackBoxSearch` builds on
    it and returns much closer, sparser counterfactuals.

    Parameters
    ----------
    n_iter : int, default=12
        Bisection steps; the step along the segment is located to within
        ``2 ** -n_iter``.
    {search_params}

    Attributes
    ----------
    X_ref_ : ndarray of shape (n_ref, n_features)
        Reference rows (as floats).
    y_ref_ : ndarray of shape (n_ref,) or None
        Their labels.
    scale_ : ndarray of shape (n_features,)
        Robust feature scales (MAD, falling back to std).
    column_scale_ : ndarray of shape (n_features_in_,)
        Scale of each input column (see :class:`BlackBoxSearch`).
    min_, max_ : ndarray of shape (n_features,)
        Observed ranges.
    lower_, upper_ : ndarray of shape (n_features,)
        The box counterfactuals stay in.
    is_integer_, is_binary_ : ndarray of shape (n_features,), dtype=bool
        Features that hold integers (kept integer) and two values.
    immutable_ : ndarray of shape (n_features,), dtype=bool
    one_hot_groups_ : list of ndarray
    n_features_in_ : int
    feature_names_in_ : ndarray of str or None

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skcoop.counterfactual import BisectionSearch
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=1000).fit(X, y)
    >>> search = BisectionSearch().fit(X, y)
    >>> result = search.generate(model, X[:5], y[:5])
    >>> bool(result.success.all())
    True
    >>> bool((result.achieved >= result.target).all())
    True
    """

    _parameter_constraints: dict = {
        **BaseCounterfactualSearch._parameter_constraints,
        "n_iter": [count(1)],
    }

    def __init__(
        self,
        n_iter=12,
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
        self.n_iter = n_iter

    def _search(self, ctx):
        anchors, _ = nearest_anchors(ctx, 1)
        start = np.where(ctx.goal.already, max(self.min_step, 1e-6), 0.0)
        rows = np.arange(ctx.n)
        Z, _, _ = bisect_segments(ctx, rows, anchors[:, 0], self.n_iter, start=start)
        return Z
