"""Shared pieces of the partitioners: random draws, rounding, validation."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import _num_samples, check_consistent_length

from ..utils import count, draw_seed


def _make_rng(random_state):
    """A numpy Generator drawn from a scikit-learn style ``random_state``.

    ``Generator.dirichlet`` stays accurate for very small concentrations,
    where the legacy ``RandomState.dirichlet`` returns NaN.
    """
    seed = draw_seed(random_state)
    return np.random.default_rng(seed)


def _round_counts(total, proportions):
    """Integer counts summing to ``total``, as close as possible to
    ``total * proportions`` (largest remainder)."""
    raw = total * np.asarray(proportions, dtype=float)
    counts = np.floor(raw).astype(np.intp)
    short = int(total - counts.sum())
    if short > 0:
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def _assign(rows, counts, sites=None):
    """Pairs (rows, site) giving consecutive chunks of ``rows`` to sites."""
    sites = np.arange(len(counts)) if sites is None else np.asarray(sites)
    return rows, np.repeat(sites, counts)


def _near_equal_counts(total, n_parts):
    """Sizes differing by at most one, the larger ones first."""
    base, extra = divmod(total, n_parts)
    return np.array([base + (k < extra) for k in range(n_parts)], dtype=np.intp)


class _BasePartitioner(BaseEstimator):
    """Validation shared by every partitioner: public ``split`` checks, the
    private ``_split`` works on ``(n_samples, y, rng)``."""

    _parameter_constraints: dict = {
        "n_sites": [count(1)],
        "random_state": ["random_state"],
    }
    _requires_y = False

    def split(self, X, y=None):
        """Assign each row of ``X`` to a site.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to assign; only their number is used (and, for
            :class:`FeatureViewPartitioner`, their columns). Not modified.
        y : array-like of shape (n_samples,), default=None
            Labels, required by the label-aware partitioners.

        Returns
        -------
        site : ndarray of shape (n_samples,), dtype=int
            Site of each row, in ``0 .. n_sites - 1``; every site gets at
            least one row.
        """
        self._validate_params()
        n_samples = _num_samples(X)
        y = self._check_y(X, y)
        self._check_enough_rows(n_samples)
        rows, sites = self._split(n_samples, y, _make_rng(self.random_state))
        site = np.full(n_samples, -1, dtype=np.intp)
        site[rows] = sites
        return site

    def _check_y(self, X, y):
        if y is None:
            if self._requires_y:
                raise ValueError(
                    f"{type(self).__name__} splits by label and needs y; "
                    "call split(X, y)."
                )
            return None
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(
                f"y must be one-dimensional, got an array of shape {y.shape}."
            )
        check_consistent_length(X, y)
        return y

    def _min_rows_per_site(self):
        return 1

    def _check_enough_rows(self, n_samples):
        needed = self.n_sites * self._min_rows_per_site()
        if n_samples < needed:
            per_site = self._min_rows_per_site()
            raise ValueError(
                f"Cannot give each of n_sites={self.n_sites} sites at least "
                f"{per_site} row{'s' if per_site > 1 else ''}: X has only "
                f"{n_samples} rows (at least {needed} needed). Use fewer sites"
                + (" or a smaller min_partition_size." if per_site > 1 else ".")
            )

    def _split(self, n_samples, y, rng):  # pragma: no cover - abstract
        raise NotImplementedError


def _is_site(value, n_sites):
    return (
        isinstance(value, Integral)
        and not isinstance(value, bool)
        and 0 <= value < n_sites
    )
