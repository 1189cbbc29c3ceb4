"""Batched bisection toward the nearest confident reference row."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.utils._param_validation import Interval

from ._base import BaseCounterfactualSearch

__all__ = ["BisectionSearch"]


class BisectionSearch(BaseCounterfactualSearch):
    """Counterfactuals on the segment from each row to a confident class anchor.

    For each source row, the anchor is the nearest reference row (scaled
    Euclidean distance) whose probability of the target class already meets
    the row's target; a bisection on the segment source -> anchor then finds
    the point closest to the source that still meets the target. Every
    iteration evaluates all rows in one ``predict_proba`` call, so a batch of
    any size costs ``n_iter + 3`` model calls. It needs nothing but
    ``predict_proba`` and works for any learner.

    Parameters
    ----------
    n_iter : int, default=12
        Bisection steps; the step along the segment is located to within
        ``2 ** -n_iter``.
    alpha : float, default=0.5
        Quintessential step used when ``generate`` gets no ``confidence``.
    min_step : float, default=0.1
        A row already at its target moves at least this fraction of the way
        toward its anchor.

    Attributes
    ----------
    X_ref_ : ndarray of shape (n_ref, n_features)
        Reference rows (as floats).
    y_ref_ : ndarray of shape (n_ref,) or None
        Their labels.
    scale_ : ndarray of shape (n_features,)
        Robust feature scales (MAD, falling back to std).
    min_, max_ : ndarray of shape (n_features,)
        Observed ranges; counterfactuals stay inside them.
    is_integer_, is_binary_ : ndarray of shape (n_features,), dtype=bool
        Features that hold integers (kept integer) and two values.
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
        "n_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_iter=12, *, alpha=0.5, min_step=0.1):
        super().__init__(alpha=alpha, min_step=min_step)
        self.n_iter = n_iter

    def _search(self, oracle, Z, target_index, target, already):
        anchors = self._anchors(oracle, Z, target_index, target)
        direction = anchors - Z
        lo = np.where(already, self.min_step, 0.0)
        hi = np.ones(Z.shape[0])
        rows = np.arange(Z.shape[0])
        for _ in range(self.n_iter):
            mid = 0.5 * (lo + hi)
            proba = oracle.predict_proba(self._project(Z + mid[:, None] * direction))
            ok = proba[rows, target_index] >= target
            hi = np.where(ok, mid, hi)
            lo = np.where(ok, lo, mid)
        return self._project(Z + hi[:, None] * direction)

    def _anchors(self, oracle, Z, target_index, target):
        """Nearest reference row of each row's target class that meets its target.

        Rows with no such reference row get the most confident one (their
        search then fails and is reported as such).
        """
        proba_ref = oracle.predict_proba(self.X_ref_)
        scaled_ref = self.X_ref_ / self.scale_
        scaled = Z / self.scale_
        anchors = np.empty_like(Z)
        for k in np.unique(target_index):
            queries = np.flatnonzero(target_index == k)
            candidates = np.arange(self.X_ref_.shape[0])
            if self.y_ref_ is not None:
                label = oracle.model.classes_[k]
                same = np.flatnonzero(self.y_ref_ == label)
                candidates = same if same.size else candidates
            conf = proba_ref[candidates, k]
            for chunk in np.array_split(queries, max(1, queries.size // 1024)):
                dist = euclidean_distances(scaled[chunk], scaled_ref[candidates])
                dist[dist <= 1e-12] = np.inf  # never anchor a row to itself
                dist[conf[None, :] < target[chunk, None]] = np.inf
                best = np.argmin(dist, axis=1)
                none = ~np.isfinite(dist[np.arange(chunk.size), best])
                best[none] = np.argmax(conf)
                anchors[chunk] = self.X_ref_[candidates[best]]
        return anchors
