"""Partitioners of rows by count: IID sites and skewed site sizes."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ..utils import count, number
from ._base import _assign, _BasePartitioner, _near_equal_counts, _round_counts


class IIDPartitioner(_BasePartitioner):
    """Shuffle the rows and cut them into sites of near-equal size.

    Site sizes differ by at most one row; the first ``n_samples % n_sites``
    sites get the extra rows.

    Parameters
    ----------
    n_sites : int
        Number of sites (ensemble members).
    random_state : int, RandomState instance or None, default=None
        Controls the shuffle. Pass an int for the same split on every call.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.partition import IIDPartitioner
    >>> site = IIDPartitioner(n_sites=3, random_state=0).split(np.zeros((10, 2)))
    >>> np.bincount(site)
    array([4, 3, 3])
    """

    def __init__(self, n_sites, random_state=None):
        self.n_sites = n_sites
        self.random_state = random_state

    def _split(self, n_samples, y, rng):
        return _assign(
            rng.permutation(n_samples), _near_equal_counts(n_samples, self.n_sites)
        )


class QuantitySkewPartitioner(_BasePartitioner):
    """Skewed site sizes, rows (and so labels) assigned IID.

    Each site first gets ``min_partition_size`` rows; the remaining rows are
    divided by proportions drawn from ``Dirichlet(alpha)`` (rounded by
    largest remainder). With ``sizes`` given, the sizes are
    ``n_samples * sizes / sum(sizes)`` (rounded the same way) and a site
    below ``min_partition_size`` is an error.

    Parameters
    ----------
    n_sites : int
        Number of sites.
    alpha : float, default=1.0
        Dirichlet concentration of the sizes, strictly positive: small values
        give a few large sites and many small ones. Ignored when ``sizes`` is
        given.
    sizes : array-like of shape (n_sites,), default=None
        Relative site sizes, strictly positive; normalised to sum to one.
    min_partition_size : int, default=10
        Fewest rows a site may get (at least 1).
    random_state : int, RandomState instance or None, default=None
        Controls the proportions and which rows go where.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.partition import QuantitySkewPartitioner
    >>> part = QuantitySkewPartitioner(3, sizes=[0.5, 0.3, 0.2], random_state=0)
    >>> np.bincount(part.split(np.zeros((100, 1))))
    array([50, 30, 20])
    """

    _parameter_constraints: dict = {
        **_BasePartitioner._parameter_constraints,
        "alpha": [number(0, None, closed="neither")],
        "sizes": ["array-like", None],
        "min_partition_size": [count(1)],
    }

    def __init__(
        self, n_sites, alpha=1.0, sizes=None, min_partition_size=10, random_state=None
    ):
        self.n_sites = n_sites
        self.alpha = alpha
        self.sizes = sizes
        self.min_partition_size = min_partition_size
        self.random_state = random_state

    def _min_rows_per_site(self):
        return self.min_partition_size

    def _split(self, n_samples, y, rng):
        if self.sizes is None:
            share = rng.dirichlet(np.full(self.n_sites, float(self.alpha)))
            spare = n_samples - self.n_sites * self.min_partition_size
            counts = self.min_partition_size + _round_counts(spare, share)
        else:
            sizes = np.asarray(self.sizes, dtype=float).ravel()
            if sizes.shape[0] != self.n_sites or not np.all(
                np.isfinite(sizes) & (sizes > 0)
            ):
                raise ValueError(
                    f"sizes must hold {self.n_sites} finite values > 0 (one per "
                    f"site); got {np.asarray(self.sizes).tolist()}."
                )
            counts = _round_counts(n_samples, sizes / sizes.sum())
            if counts.min() < self.min_partition_size:
                raise ValueError(
                    f"sizes={sizes.tolist()} give site sizes {counts.tolist()} "
                    f"for {n_samples} rows, below min_partition_size="
                    f"{self.min_partition_size}. Raise the small sizes or lower "
                    "min_partition_size."
                )
        return _assign(rng.permutation(n_samples), counts)
