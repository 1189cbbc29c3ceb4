"""What each row must reach, and the per-batch state every backend shares.

``Goal`` turns a model output into the one number per row the search works
on (the probability of the target class, or the prediction) and says when it
is good enough. ``SearchContext`` holds the source rows, their allowed box and
the feature types for one ``generate`` call, and evaluates candidate rows in
one model call however many instances they belong to.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

_EPS = 1e-300  # probabilities are clipped to [_EPS, _ONE] before the logit
_ONE = np.nextafter(1.0, 0.0)


class Goal:
    """Per-row target: an interval ``[lower, upper]`` on one model output.

    Classification: the output is the probability of ``classes[class_index]``
    and ``upper`` is infinite. Regression: the output is the prediction.
    """

    def __init__(
        self, initial, target, lower, upper, class_index=None, classes=None, labels=None
    ):
        self.initial = np.asarray(initial, dtype=float)
        self.target = np.asarray(target, dtype=float)
        self.lower = np.asarray(lower, dtype=float)
        self.upper = np.asarray(upper, dtype=float)
        self.class_index = class_index
        self.classes = classes
        self.labels = labels
        self.already = self.valid(self.initial)
        # direction of progress: +1 up, -1 down, 0 already inside
        self.direction = np.where(
            self.initial < self.lower,
            1.0,
            np.where(self.initial > self.upper, -1.0, 0.0),
        )

    @property
    def regression(self):
        return self.class_index is None

    def output(self, oracle, Z, rows=None):
        """The model output the goal is about, one value per row of ``Z``."""
        if Z.shape[0] == 0:
            return np.zeros(0)
        if self.regression:
            return oracle.predict(Z)
        proba = oracle.predict_proba(Z)
        index = self.class_index if rows is None else self.class_index[rows]
        return proba[np.arange(Z.shape[0]), index]

    def _take(self, values, rows):
        return values if rows is None else values[rows]

    def valid(self, out, rows=None):
        """Whether each output meets its row's target."""
        return (out >= self._take(self.lower, rows)) & (
            out <= self._take(self.upper, rows)
        )

    def margin(self, out, rows=None):
        """How far inside the target interval each output is (negative: outside)."""
        lower = self._take(self.lower, rows)
        if not self.regression:
            return out - lower
        return np.minimum(out - lower, self._take(self.upper, rows) - out)

    def reached(self, out, rows=None):
        """Whether each output has reached its interval from the source side.

        Bisection on a segment keeps this invariant; it equals ``valid`` for
        classification (the interval has no upper end).
        """
        if not self.regression:
            return self.valid(out, rows)
        direction = self._take(self.direction, rows)
        return np.where(
            direction > 0,
            out >= self._take(self.lower, rows),
            np.where(
                direction < 0,
                out <= self._take(self.upper, rows),
                self.valid(out, rows),
            ),
        )

    def score(self, out):
        """Output on the scale where the model is closest to linear (logit)."""
        if self.regression:
            return out
        p = np.clip(out, _EPS, _ONE)
        return np.log(p) - np.log1p(-p)

    def score_target(self, rows=None):
        """Score to aim for when linearising: a little inside the interval."""
        lower = self._take(self.lower, rows)
        if not self.regression:
            p = np.clip(lower + 0.01 * (1 - lower), _EPS, _ONE)
            return np.log(p) - np.log1p(-p)
        return self._take(self.target, rows)


class SearchContext:
    """Source rows, their allowed box and feature types for one ``generate`` call.

    Candidate rows come with ``rows``, the index of the source row each one
    belongs to, so that one model call evaluates candidates of many instances.
    """

    def __init__(self, search, oracle, X, goal):
        # gradient(Z, rows) -> (score, d score / d Z), where the model has one
        self.gradient = None
        self.search = search
        self.oracle = oracle
        self.goal = goal
        self.X = X
        self.n, self.d = X.shape
        self.scale = search.scale_
        self.lower = np.minimum(search.lower_, X)
        self.upper = np.maximum(search.upper_, X)
        self.immutable = np.flatnonzero(search.immutable_)
        groups = search.one_hot_groups_
        in_group = np.zeros(self.d, dtype=bool)
        for g in groups:
            in_group[g] = True
        self.groups = groups
        self.integer = np.flatnonzero(search.is_integer_ & ~in_group)
        self.X_integer = X[:, self.integer]
        self.X_immutable = X[:, self.immutable]
        # units: a feature on its own, or a one-hot group; reverted as one
        singles = [np.array([j]) for j in range(self.d) if not in_group[j]]
        units = singles + list(groups)
        self.units = np.zeros((len(units), self.d), dtype=bool)
        for u, cols in enumerate(units):
            self.units[u, cols] = True
        mutable = ~search.immutable_
        self.units &= mutable
        self.units = self.units[self.units.any(axis=1)]
        # units that can move part of the way (not binary, not a group)
        unit_size = self.units.sum(axis=1)
        first = self.units.argmax(axis=1)
        self.shrinkable = (unit_size == 1) & ~search.is_binary_[first]
        self.unit_col = np.where(unit_size == 1, first, -1)
        self.group_units = np.flatnonzero(unit_size > 1)
        self.units_f = self.units.astype(float)
        # unit of each column; immutable columns point past the last unit
        self.col_unit = np.where(
            self.units.any(axis=0), self.units.argmax(axis=0), self.units.shape[0]
        )
        # one box for every row when every source row lies inside the box
        inside = np.all((X >= search.lower_) & (X <= search.upper_))
        self.box = (search.lower_, search.upper_) if inside else None

    def swap_units(self, base, values, pi, pu):
        """Rows ``base[pi]`` with unit ``pu`` taken from ``values[pi]``, per pair."""
        cand = base[pi]
        col = self.unit_col[pu]
        single = np.flatnonzero(col >= 0)
        cand[single, col[single]] = values[pi[single], col[single]]
        for g in self.group_units:
            sel = np.flatnonzero(pu == g)
            if sel.size:
                cols = np.flatnonzero(self.units[g])
                cand[np.ix_(sel, cols)] = values[np.ix_(pi[sel], cols)]
        return cand

    # ----------------------------------------------------------- transforms
    def project(self, Z, rows, clip=True):
        """Put candidate rows back inside the constraints (in place, returned).

        ``clip=False`` skips the box, for rows known to lie inside it (convex
        combinations of points of the box).
        """
        if self.integer.size:
            zi = Z[:, self.integer]
            si = self.X_integer[rows]
            Z[:, self.integer] = np.where(zi == si, si, np.round(zi))
        if not clip:  # rounding may still leave a fractional source's range
            if self.integer.size and self.box is None:
                Z[:, self.integer] = np.clip(
                    Z[:, self.integer],
                    self.lower[rows][:, self.integer],
                    self.upper[rows][:, self.integer],
                )
        elif self.box is not None:
            np.minimum(Z, self.box[1], out=Z)
            np.maximum(Z, self.box[0], out=Z)
        else:
            np.minimum(Z, self.upper[rows], out=Z)
            np.maximum(Z, self.lower[rows], out=Z)
        for g in self.groups:
            block = Z[:, g]
            hot = block.argmax(axis=1)
            block[:] = 0.0
            block[np.arange(Z.shape[0]), hot] = 1.0
            Z[:, g] = block
        if self.immutable.size:
            Z[:, self.immutable] = self.X_immutable[rows]
        return Z

    def evaluate(self, Z, rows):
        """One model call on candidate rows: their outputs and validity."""
        out = self.goal.output(self.oracle, Z, rows)
        return out, self.goal.valid(out, rows)

    def distance(self, Z, rows):
        """Scaled L1 distance of each candidate to its source row."""
        return (np.abs(Z - self.X[rows]) / self.scale).sum(axis=1)

    def cost(self, Z, rows, sparsity_weight):
        """What the searches minimise: distance plus a price per changed feature."""
        return self.distance(Z, rows) + sparsity_weight * (Z != self.X[rows]).sum(
            axis=1
        )
