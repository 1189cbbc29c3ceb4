"""Reference rows searched through k-d trees: anchors and slopes without model calls.

The model's outputs on the reference rows are known once per ``generate``
(passed in by the caller, or one call), so two things a search needs can be
read from them instead of asked of the model:

- anchors: the nearest reference rows of a row's target class whose stored
  output already meets that row's own target (:meth:`ReferenceIndex.anchors`);
- slopes: a local linear model of the score (logit of the target class, or
  the prediction) fitted on the nearest reference rows of a point
  (:meth:`ReferenceIndex.slopes`), where forward differences would cost
  ``d`` evaluations per row.

Both use :class:`sklearn.neighbors.KDTree` on the scaled mutable features
(L1, the search's distance), built once per ``generate`` and shared by its
chunks. A tree holds at most ``_MAX_TREE_ROWS`` rows and the slope models
are fitted on at most ``_MAX_SLOPE_ROWS`` (fixed-seed samples past that), so
the cost per searched row does not grow with the reference rows: on 100,000
x 20 (four sites) the anchors' tree queries took 53 s of CPU uncapped and 8 s
capped, with the same validity and median distances within 2.5%.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.spatial.distance import cdist
from sklearn import get_config
from sklearn.neighbors import KDTree

__all__ = ["ReferenceIndex"]

_BIG = 1e12
_PER_CENTRE = 8  # reference rows per centre of a local linear model
_MAX_CENTRES = 1024
# At most this many reference rows in a k-d tree of anchors, and in the
# sample the local linear models are fitted on: in 20 dimensions a tree
# query costs about as much as a scan of its rows, so a cap keeps the cost
# per searched row constant however many reference rows there are (a
# sample of the qualifying rows: anchors a little farther, which the
# reversion and bisection after them absorb).
_MAX_TREE_ROWS = 4096
_MAX_SLOPE_ROWS = 16384
_SCORE_CLIP = 1e-12  # probabilities clipped to [1e-12, 1 - 1e-12] (scores)


class ReferenceIndex:
    """k-d trees on the scaled reference rows, built on first use.

    Parameters
    ----------
    search : fitted BaseCounterfactualSearch
        Gives ``X_ref_``, ``y_ref_``, ``scale_`` and ``immutable_``.
    """

    def __init__(self, search):
        self.search = search
        self.mutable = np.flatnonzero(~search.immutable_)
        self.unit = search.scale_[self.mutable]
        self.ref = search.X_ref_[:, self.mutable] / self.unit
        self._trees = {}
        self._models = None  # centres and their slopes (built on first use)

    def scaled(self, Z):
        """Rows in the trees' space: mutable features in scale units."""
        return Z[:, self.mutable] / self.unit

    def tree(self, key, members):
        """The k-d tree on the reference rows ``members`` (cached under ``key``)."""
        if key not in self._trees:
            self._trees[key] = KDTree(self.ref[members], metric="manhattan")
        return self._trees[key]

    # -------------------------------------------------------------- anchors
    def anchors(self, goal, X, k, out_c, candidates, key):
        """The ``k`` nearest candidates of each row whose output meets its goal.

        Parameters
        ----------
        goal : Goal
            Goals of the rows ``X`` (their ``lower``/``upper``).
        X : ndarray of shape (m, d)
            Source rows.
        k : int
            Anchors per row.
        out_c : ndarray of shape (n_candidates,)
            The goal's output on each candidate reference row.
        candidates : ndarray of int
            Reference rows to choose from.
        key : hashable
            Names the tree of these candidates (built once).

        Returns
        -------
        best : ndarray of shape (m, k)
            Positions in ``candidates``, nearest first.
        ok : ndarray of shape (m, k), dtype=bool
            Whether each anchor's output meets the row's goal.

        Notes
        -----
        Rows go in four bands of their threshold; a band's tree holds the
        candidates that meet its lowest threshold (a fixed-seed sample of
        ``_MAX_TREE_ROWS`` of them past that). A tree query of a few
        neighbours, filtered by each row's own threshold, is widened (times
        8) for the rows with fewer than ``k`` qualifying among them; a row
        that has fewer than ``k`` qualifying candidates at all, or too many
        non-qualifying ones nearer than them, is answered by a scan (of
        every candidate, or past ``4 * _MAX_TREE_ROWS`` of the highest and
        lowest outputs and a sample of the rest), with the fallback order
        of :func:`~skcoop.counterfactual._steps.nearest_anchors`.
        """
        m, size = X.shape[0], candidates.size
        k = min(k, size)
        best = np.zeros((m, k), dtype=np.intp)
        ok = np.zeros((m, k), dtype=bool)
        if m == 0:
            return best, ok
        lower, upper = goal.lower[:, None], goal.upper[:, None]
        regression = goal.regression
        # candidates meeting each row's goal, counted on the sorted outputs
        sorted_out = np.sort(out_c)
        n_qualify = np.searchsorted(
            sorted_out, goal.upper, side="right"
        ) - np.searchsorted(sorted_out, goal.lower, side="left")
        ready = np.flatnonzero(n_qualify >= k)
        scan = [np.flatnonzero(n_qualify < k)]
        Q = self.scaled(X)
        # rows in bands of their threshold: a band's tree holds only the
        # candidates that meet its lowest threshold (exact for its rows), so
        # rows with a high threshold search few rows, not every candidate
        order = ready[np.argsort(goal.lower[ready], kind="stable")]
        for band in np.array_split(order, min(4, max(order.size, 1))):
            if band.size == 0:
                continue
            keep = (out_c >= goal.lower[band].min()) & (out_c <= goal.upper[band].max())
            if keep.sum() > 0.5 * size and size <= _MAX_TREE_ROWS:
                tree, members = self.tree(key, candidates), np.arange(size)
            else:  # the qualifying rows, a sample of them past the cap
                members = _sample(np.flatnonzero(keep), _MAX_TREE_ROWS)
                tree = KDTree(self.ref[candidates[members]], metric="manhattan")
            scan.append(
                self._query(tree, members, Q, band, k, out_c, lower, upper, best, ok)
            )
        scan = np.concatenate(scan)
        if scan.size:
            pool = _scan_pool(out_c, _MAX_TREE_ROWS)
            b, o = self._scan(
                goal, X, scan, k, out_c[pool], candidates[pool], regression
            )
            best[scan], ok[scan] = pool[b], o
        return best, ok

    def _query(self, tree, members, Q, todo, k, out_c, lower, upper, best, ok):
        """Nearest qualifying candidates from a tree (in place); rows left over."""
        size = members.size
        scan = []
        want = min(size, 4 * k + 1)
        while todo.size:
            dist, ind = tree.query(Q[todo], k=want, sort_results=True)
            ind = members[ind]
            out = out_c[ind]
            good = (out >= lower[todo]) & (out <= upper[todo]) & (dist > 1e-12)
            have = good.sum(axis=1)
            done = have >= k
            if want >= size:
                done[:] = True  # every candidate seen
            rank = np.cumsum(good, axis=1)
            pick = good & (rank <= k)
            for row, sel in zip(np.flatnonzero(done), pick[done]):
                got = ind[row, sel]
                best[todo[row], : got.size] = got
                ok[todo[row], : got.size] = True
            short = done & (have < k)
            scan.append(todo[short])
            todo = todo[~done]
            if want >= size or want >= 4096:
                scan.append(todo)
                break
            want = min(size, 8 * want)
        return np.concatenate(scan) if scan else np.zeros(0, dtype=np.intp)

    def _scan(self, goal, X, rows, k, out_c, candidates, regression):
        """Anchors by a scan of every candidate, a block of rows at a time."""
        ref = self.ref[candidates]
        Q = self.scaled(X[rows])
        best = np.zeros((rows.size, k), dtype=np.intp)
        ok = np.zeros((rows.size, k), dtype=bool)
        budget = get_config()["working_memory"] * 2**20
        block = int(max(1, min(512, budget // (32 * max(candidates.size, 1)))))
        for part in np.array_split(np.arange(rows.size), -(-rows.size // block)):
            r = rows[part]
            dist = cdist(Q[part], ref, "cityblock")
            lower, upper = goal.lower[r, None], goal.upper[r, None]
            valid = (out_c[None, :] >= lower) & (out_c[None, :] <= upper)
            key = dist + _BIG * ~valid
            if regression:
                direction = goal.direction[r, None]
                reached = np.where(
                    direction > 0, out_c[None, :] >= lower, out_c[None, :] <= upper
                )
                key += _BIG * ~reached
            else:
                # without a valid row, prefer the most confident ones
                key += _BIG * (1.0 - out_c[None, :]) * ~valid
            key[dist <= 1e-12] = np.inf  # never a copy of the source row
            pick = np.argpartition(key, k - 1, axis=1)[:, :k]
            order = np.argsort(np.take_along_axis(key, pick, axis=1), axis=1)
            pick = np.take_along_axis(pick, order, axis=1)
            best[part] = pick
            ok[part] = np.take_along_axis(valid, pick, axis=1) & np.isfinite(
                np.take_along_axis(key, pick, axis=1)
            )
        return best, ok

    # --------------------------------------------------------------- slopes
    def slopes(self, ref_scores, Z, columns, n_neighbors=None, ridge=1e-3):
        """Slopes of the scores at each point of ``Z``, from local linear models.

        The reference rows (a fixed-seed sample of ``_MAX_SLOPE_ROWS`` past
        that) get local linear models once per batch: at ``M`` centres
        (every ``_PER_CENTRE``-th of them, at most ``_MAX_CENTRES``), a
        linear model with intercept of each score on
        the ``n_neighbors`` nearest reference rows (scaled L1), by
        ridge-regularised least squares in scale units. A point takes the
        model of its nearest centre (Euclidean in scale units, by matrix
        products); slopes are per original unit, zero for
        immutable features.

        Parameters
        ----------
        ref_scores : ndarray of shape (n_ref, n_scores) or callable
            The scores on the reference rows (a column per class, or one),
            or a function returning them (called once, on first use).
        Z : ndarray of shape (m, d)
            Points to linearise at.
        columns : ndarray of shape (m,)
            The score (column of ``ref_scores``) of each point.
        n_neighbors : int, default=None
            Reference rows per model; by default ``2 * d_mutable + 10``.
        ridge : float, default=1e-3
            Ridge penalty relative to the mean squared spread of the
            neighbours' features.

        Returns
        -------
        grad : ndarray of shape (m, d)
        """
        m, d = Z.shape
        grad = np.zeros((m, d))
        n_ref, p = self.ref.shape
        if m == 0 or p == 0 or n_ref < 2:
            return grad
        if self._models is None:
            if callable(ref_scores):
                ref_scores = ref_scores()
            self._models = self._fit_models(ref_scores, n_neighbors, ridge)
        centres, models = self._models
        near = _nearest_centre(self.scaled(Z), centres)
        grad[:, self.mutable] = models[near, np.asarray(columns)]
        return grad

    def _fit_models(self, ref_scores, n_neighbors, ridge):
        """Centres (M, p), in scale units, and their slopes (M, n_scores, p)."""
        n_all, p = self.ref.shape
        ref_scores = np.asarray(ref_scores, dtype=float).reshape(n_all, -1)
        sample = _sample(np.arange(n_all), _MAX_SLOPE_ROWS)
        ref, ref_scores = self.ref[sample], ref_scores[sample]
        n_ref = sample.size
        k = min(n_ref, n_neighbors or 2 * p + 10)
        step = max(1, n_ref // _MAX_CENTRES, _PER_CENTRE if n_ref > k else 1)
        at = np.arange(0, n_ref, step)
        _, ind = self.tree("slopes", sample).query(ref[at], k=k)
        A = ref[ind] - ref[at][:, None, :]  # (M, k, p)
        A -= A.mean(axis=1, keepdims=True)
        S = ref_scores[ind]  # (M, k, n_scores)
        S = S - S.mean(axis=1, keepdims=True)
        G = np.matmul(A.transpose(0, 2, 1), A)
        lam = ridge * np.maximum(np.trace(G, axis1=1, axis2=2) / p, 1e-12)
        G[:, np.arange(p), np.arange(p)] += lam[:, None]
        rhs = np.matmul(A.transpose(0, 2, 1), S)  # (M, p, n_scores)
        g = np.linalg.solve(G, rhs).transpose(0, 2, 1) / self.unit
        return ref[at], g


def _nearest_centre(Q, centres):
    """Index of the nearest centre (Euclidean) of each row of ``Q``.

    By matrix products, a block of rows at a time within an eighth of
    scikit-learn's ``working_memory``: in 20 dimensions and more a k-d tree
    query costs about a scan of the centres, and a scan in Euclidean
    distance runs on BLAS (on 1,000,000 x 20, 34 s of CPU for the L1 tree
    queries of one search).
    """
    # float32: the scan of (rows x centres) is bound by memory traffic
    C = np.ascontiguousarray(-2.0 * centres.T, dtype=np.float32)
    sq = np.einsum("ij,ij->i", centres, centres).astype(np.float32)
    budget = get_config()["working_memory"] * 2**20 // 8
    block = int(max(1, budget // (4 * max(centres.shape[0], 1))))
    near = np.empty(Q.shape[0], dtype=np.intp)
    for start in range(0, Q.shape[0], block):
        part = np.asarray(Q[start : start + block], dtype=np.float32)
        dist = part @ C
        dist += sq
        near[start : start + block] = np.argmin(dist, axis=1)
    return near


def _sample(members, size, seed=0):
    """At most ``size`` of ``members``, sorted: a fixed-seed sample.

    A function of the members alone, so every chunk of a batch gets the
    same sample.
    """
    if members.size <= size:
        return members
    rng = np.random.default_rng([seed, members.size])
    return np.sort(rng.choice(members, size, replace=False))


def _scan_pool(out_c, size):
    """Candidates a scan looks at: all, or past ``4 * size`` a sample of them.

    The sample keeps the ``size`` rows of highest and of lowest output (the
    ones that meet high thresholds, and the far side of a regression) and
    ``size`` others.
    """
    n = out_c.size
    if n <= 4 * size:
        return np.arange(n)
    order = np.argsort(out_c, kind="stable")
    pool = np.zeros(n, dtype=bool)
    pool[order[:size]] = pool[order[-size:]] = True
    pool[_sample(np.flatnonzero(~pool), size, seed=1)] = True
    return np.flatnonzero(pool)


def clipped_score(goal, out):
    """The goal's score with probabilities clipped away from 0 and 1 (slopes)."""
    if goal.regression:
        return np.asarray(out, dtype=float)
    p = np.clip(out, _SCORE_CLIP, 1.0 - _SCORE_CLIP)
    return np.log(p) - np.log1p(-p)
