"""What each row must reach, and the per-batch state every backend shares.

``Goal`` turns a model output into the one number per row the search works
on (the probability of the target class, or the prediction) and says when it
is good enough. ``SearchContext`` holds the source rows, their allowed box and
the feature types for one ``generate`` call, and evaluates candidate rows in
one model call however many instances they belong to.
"""

# SPDX-License-Identifier: BSD-3-Clause

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=64)
def _multipliers(n_columns):
    """Odd 64-bit multipliers, one per column, the same in every process."""
    odd = np.random.default_rng(0).integers(0, 2**62, size=n_columns, dtype=np.uint64)
    mult = odd * np.uint64(2) + np.uint64(1)
    mult.setflags(write=False)
    return mult


def row_hash(Z):
    """A 64-bit hash of each row's bits (float64, C-contiguous rows).

    Equal rows get equal hashes; rows that differ in any bit (0.0 and -0.0
    included) almost surely do not. Callers check equality on a match.
    """
    bits = Z.view(np.uint64)
    return (bits * _multipliers(bits.shape[1])).sum(axis=1, dtype=np.uint64)


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

    def subset(self, idx):
        """The goal of the rows ``idx`` only (a chunk of a batch)."""
        return Goal(
            initial=self.initial[idx],
            target=self.target[idx],
            lower=self.lower[idx],
            upper=self.upper[idx],
            class_index=None if self.regression else self.class_index[idx],
            classes=self.classes,
            labels=None if self.labels is None else self.labels[idx],
        )

    @property
    def regression(self):
        return self.class_index is None

    def output(self, oracle, Z, rows=None):
        """The model output the goal is about, one value per row of ``Z``."""
        if Z.shape[0] == 0:
            return np.zeros(0)
        return self.pick(raw_output(oracle, Z, self.regression), rows)

    def pick(self, raw, rows=None):
        """The goal's output from the model's raw output (probabilities or values)."""
        if self.regression:
            return np.asarray(raw, dtype=float).reshape(-1)
        index = self.class_index if rows is None else self.class_index[rows]
        return raw[np.arange(raw.shape[0]), index]

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


def raw_output(oracle, Z, regression):
    """The model's raw output: probabilities (n, n_classes) or predictions (n,)."""
    return oracle.predict(Z) if regression else oracle.predict_proba(Z)


class OutputCache:
    """Raw model outputs of the candidate rows seen so far.

    One cache lives for one chunk of one ``generate`` call, so its size is
    part of the chunk's memory budget (:attr:`nbytes`). Seeded with the
    outputs the caller already has (source rows, reference rows), it makes
    a known row cost no model call and no row cost two. A row is found by a
    64-bit hash of its bits (computed for all rows at once) in a sorted
    array of hashes, then checked for equality with the stored row. Always
    on, so that results never depend on timing: a cached output and a fresh
    one can differ in the last bit.
    """

    def __init__(self, regression, capacity=1024):
        self.regression = regression
        self.capacity = int(max(capacity, 1))  # rows allocated at first
        self.keys = np.zeros(0, dtype=np.uint64)  # sorted hashes
        self.where = np.zeros(0, dtype=np.intp)  # position of each in Z, raw
        self.Z = None
        self.raw = None
        self.size = 0

    @property
    def nbytes(self):
        """Bytes held: rows, outputs and the sorted index."""
        held = self.keys.nbytes + self.where.nbytes
        if self.Z is not None:
            held += self.Z.nbytes + self.raw.nbytes
        return held

    def _store(self, Z, raw):
        m = Z.shape[0]
        if self.Z is None:
            self.Z = np.empty((max(m, self.capacity), Z.shape[1]))
            self.raw = np.empty((max(m, self.capacity),) + raw.shape[1:])
        if self.size + m > self.Z.shape[0]:
            # realloc in place: large blocks move by remapping pages, so
            # growing does not hold the old and the new copy at once
            cap = max(self.Z.shape[0] * 3 // 2, self.size + m)
            self.Z.resize((cap,) + self.Z.shape[1:], refcheck=False)
            self.raw.resize((cap,) + self.raw.shape[1:], refcheck=False)
        self.Z[self.size : self.size + m] = Z
        self.raw[self.size : self.size + m] = raw
        self.size += m
        return np.arange(self.size - m, self.size)

    def seed(self, Z, raw, h=None):
        """Record known raw outputs of the rows ``Z``."""
        Z = np.ascontiguousarray(Z, dtype=np.float64)
        if Z.shape[0] == 0:
            return
        h = row_hash(Z) if h is None else h
        pos = self._store(Z, np.asarray(raw, dtype=float))
        order = np.argsort(h, kind="stable")
        at = np.searchsorted(self.keys, h[order], side="right")
        self.keys = np.insert(self.keys, at, h[order])
        self.where = np.insert(self.where, at, pos[order])

    def add_known(self, Z, raw):
        """Record known outputs of the rows of ``Z`` not in the cache yet."""
        Z = np.ascontiguousarray(Z, dtype=np.float64)
        h = row_hash(Z)
        pos = self._find(h)
        new = pos < 0
        new[~new] = np.any(self.Z[pos[~new]] != Z[~new], axis=1)
        if new.any():
            self.seed(Z[new], np.asarray(raw)[new], h[new])

    def _find(self, h):
        """Position in ``Z`` of the last row stored under each hash (-1: none)."""
        if self.keys.size == 0:
            return np.full(h.shape, -1, dtype=np.intp)
        at = np.searchsorted(self.keys, h, side="right") - 1
        found = at >= 0
        found[found] = self.keys[at[found]] == h[found]
        return np.where(found, self.where[np.maximum(at, 0)], -1)

    def lookup(self, oracle, Z):
        """Raw outputs of ``Z``; only rows never seen call the model (once each).

        Returns the outputs and the positions of the rows that were evaluated.
        """
        Z = np.ascontiguousarray(Z, dtype=np.float64)
        h = row_hash(Z)
        pos = self._find(h)
        hit = pos >= 0
        if hit.any():
            hit[hit] = np.all(self.Z[pos[hit]] == Z[hit], axis=1)
        miss = np.flatnonzero(~hit)
        fresh, rep, out = miss, None, None
        if miss.size:
            # rows repeated within the batch are evaluated once
            _, first, inverse = np.unique(
                h[miss], return_index=True, return_inverse=True
            )
            rep = miss[first][inverse.reshape(-1)]
            rep = np.where(np.all(Z[miss] == Z[rep], axis=1), rep, miss)
            fresh = np.unique(rep)
            out = np.asarray(raw_output(oracle, Z[fresh], self.regression), float)
            self.seed(Z[fresh], out, h[fresh])
        shape = (self.raw if out is None else out).shape[1:]
        raw = np.empty((Z.shape[0],) + shape)
        raw[hit] = self.raw[pos[hit]]
        if out is not None:
            raw[fresh] = out
            raw[miss] = raw[rep]
        return raw, fresh


class SearchContext:
    """Source rows, their allowed box and feature types for one ``generate`` call.

    Candidate rows come with ``rows``, the index of the source row each one
    belongs to, so that one model call evaluates candidates of many instances.
    Every evaluation goes through an :class:`OutputCache` (a candidate seen
    before costs nothing) and is counted against its source row
    (``n_evaluations``).
    """

    def __init__(
        self, search, oracle, X, goal, *, cache=None, ref_output=None, index=None
    ):
        # gradient(Z, rows) -> (score, d score / d Z), where the model has one
        self.gradient = None
        # k-d trees on the reference rows (shared by the chunks of a batch)
        self.index = index
        self.search = search
        self.oracle = oracle
        self.goal = goal
        self.X = X
        self.n, self.d = X.shape
        self.cache = OutputCache(goal.regression) if cache is None else cache
        # raw model output on the search's reference rows (None: not known)
        self.ref_output = ref_output
        self.n_evaluations = np.zeros(self.n, dtype=np.int64)
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
        n_units = self.units.shape[0]
        first_unit = (
            self.units.argmax(axis=0) if n_units else np.zeros(self.d, dtype=int)
        )
        self.col_unit = np.where(self.units.any(axis=0), first_unit, n_units)
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
        """One model call on candidate rows: their outputs and validity.

        Rows evaluated before (or seeded into the cache) are not evaluated
        again; each fresh evaluation counts against its source row.
        """
        if Z.shape[0] == 0:
            out = np.zeros(0)
            return out, self.goal.valid(out, rows)
        raw, fresh = self.cache.lookup(self.oracle, Z)
        np.add.at(self.n_evaluations, np.asarray(rows)[fresh], 1)
        out = self.goal.pick(raw, rows)
        return out, self.goal.valid(out, rows)

    def reference_output(self):
        """Raw model output on the reference rows (computed once, cached)."""
        if self.ref_output is None:
            X_ref = self.search.X_ref_
            self.ref_output = raw_output(self.oracle, X_ref, self.goal.regression)
        return self.ref_output

    def reference_index(self):
        """k-d trees on the reference rows (:mod:`._neighbors`), built once."""
        if self.index is None:
            from ._neighbors import ReferenceIndex

            self.index = ReferenceIndex(self.search)
        return self.index

    def distance(self, Z, rows):
        """Scaled L1 distance of each candidate to its source row."""
        return (np.abs(Z - self.X[rows]) / self.scale).sum(axis=1)

    def cost(self, Z, rows, sparsity_weight):
        """What the searches minimise: distance plus a price per changed feature."""
        return self.distance(Z, rows) + sparsity_weight * (Z != self.X[rows]).sum(
            axis=1
        )
