"""The search's metric space: validated rows, the site's scale, neighbours.

Distances are those of the counterfactual search (see
:class:`~skcoop.counterfactual.BaseCounterfactualSearch`): on a numeric array,
L1 with every feature divided by its MAD on the site's rows
(:func:`~skcoop.utils.feature_scale`); on a DataFrame with categorical,
boolean or missing values, the Gower-style distance of
:func:`~skcoop.utils.mixed_nearest` (numeric columns by their MAD, a changed
category or boolean costs 1).
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.utils.validation import check_array

from ..utils import (
    check_frame_columns,
    check_scale,
    column_kind,
    feature_scale,
    is_frame,
    mixed_kneighbors,
    needs_tabular,
)

__all__ = ["site_scale"]


def _numeric_matrix(X):
    return np.asarray(X.to_numpy(dtype=float) if is_frame(X) else X, dtype=float)


def _lower_median(values):
    values = np.sort(values[~np.isnan(values)])
    return values[(values.size - 1) // 2] if values.size else 0.0


def site_scale(X_site):
    """The search's per-column scale, learned from the site's rows.

    The same unit as the counterfactual search fitted on ``X_site`` with its
    default ``scale="mad"``: the MAD of each numeric column (falling back to
    the standard deviation, then 1; see :func:`~skcoop.utils.feature_scale`),
    and 1 for a categorical or boolean column of a mixed-type DataFrame (a
    changed category costs 1). Missing numbers are filled with the column's
    lower median first, as the search does.

    Parameters
    ----------
    X_site : array-like or DataFrame of shape (n_samples, n_features)
        The site's own rows.

    Returns
    -------
    scale : ndarray of shape (n_features,)
        Strictly positive.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.privacy import site_scale
    >>> site_scale(np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0]]))
    array([1.4826, 1.    ])
    """
    if not needs_tabular(X_site):
        X = check_array(X_site, dtype=np.float64, input_name="X_site")
        return feature_scale(X)
    scale = np.ones(X_site.shape[1])
    for j, dtype in enumerate(X_site.dtypes):
        if column_kind(dtype) == "num":
            col = X_site.iloc[:, j].to_numpy(dtype=float, na_value=np.nan)
            col = np.where(np.isnan(col), _lower_median(col), col)
            scale[j] = feature_scale(col[:, None])[0]
    return scale


def _smallest(d, k):
    """Column indices of the ``k`` smallest entries per row, nearest first."""
    if k == 1:
        return d.argmin(axis=1)[:, None]
    if k < d.shape[1]:
        part = np.argpartition(d, k - 1, axis=1)[:, :k]
    else:
        part = np.tile(np.arange(d.shape[1]), (d.shape[0], 1))
    # stable order: by distance, then by row index
    vals = np.take_along_axis(d, part, axis=1)
    order = np.lexsort((part, vals), axis=1)
    return np.take_along_axis(part, order, axis=1)


def _l1_kneighbors(Q, R, k, chunk=2_000_000):
    """``k`` nearest rows of ``R`` in L1 per row of ``Q`` (ties: first row)."""
    if not 1 <= k <= R.shape[0]:
        raise ValueError(
            f"n_neighbors must be between 1 and the {R.shape[0]} rows. Got {k} instead."
        )
    dist = np.empty((Q.shape[0], k))
    ind = np.empty((Q.shape[0], k), dtype=np.intp)
    step = max(1, chunk // max(1, R.shape[0]))
    for start in range(0, Q.shape[0], step):
        d = cdist(Q[start : start + step], R, metric="cityblock")
        order = _smallest(d, k)
        ind[start : start + step] = order
        dist[start : start + step] = np.take_along_axis(d, order, axis=1)
    return dist, ind


def _check_finite(X, what):
    for j, dtype in enumerate(X.dtypes):
        if column_kind(dtype) == "num":
            col = X.iloc[:, j].to_numpy(dtype=float, na_value=np.nan)
            if np.isinf(col).any():
                raise ValueError(
                    f"Column {X.columns[j]!r} of {what} holds infinite values, "
                    "so its distances would be NaN. Pass finite numbers "
                    "(missing values may be NaN)."
                )


class _Space:
    """Validated rows of one site and nearest-neighbour queries in its unit."""

    def __init__(self, X_site, scale=None, what="X_site", min_rows=2):
        self.frame = needs_tabular(X_site)
        if is_frame(X_site):
            self.columns = X_site.columns
            self.kinds = [column_kind(t) for t in X_site.dtypes]
        else:
            self.columns, self.kinds = None, None
        n = X_site.shape[0] if hasattr(X_site, "shape") else len(X_site)
        if n < min_rows:
            raise ValueError(
                f"{what} needs at least {min_rows} rows for a nearest-neighbour "
                f"estimate. Got {n} instead."
            )
        self.X_site = self.rows(X_site, what)
        d = X_site.shape[1] if hasattr(X_site, "shape") else self.X_site.shape[1]
        self.scale = site_scale(X_site) if scale is None else scale
        try:
            self.scale = check_scale(self.scale, d)
        except ValueError as exc:
            raise ValueError(f"{exc} (parameter scale)") from None
        if self.scale.shape != (d,):
            raise ValueError(
                f"scale must have one entry per feature ({d}). Got shape "
                f"{self.scale.shape} instead."
            )

    # -------------------------------------------------------------- rows
    def rows(self, X, what):
        """``X`` checked against the site's columns, in the space's form."""
        if self.columns is not None:
            check_frame_columns(X, self.columns, what, "X_site")
            kinds = [column_kind(t) for t in X.dtypes]
            if kinds != self.kinds:
                bad = [
                    f"{c!r} ({a} in X_site, {b} here)"
                    for c, a, b in zip(self.columns, self.kinds, kinds)
                    if a != b
                ]
                raise ValueError(
                    f"Columns of {what} differ in kind from X_site: "
                    f"{', '.join(bad)}. Cast them to the dtypes of X_site."
                )
            if self.frame:
                _check_finite(X, what)
                return X
        try:
            X = check_array(X, dtype=np.float64, input_name=what, ensure_min_samples=0)
        except ValueError as exc:
            if "NaN" not in str(exc) and "infinity" not in str(exc):
                raise
            raise ValueError(
                f"{exc} Distances to {what} would be NaN: numeric arrays may "
                "hold no missing or infinite value (pass a DataFrame to use "
                "the mixed-type distance, where missing equals missing)."
            ) from None
        if hasattr(self, "X_site") and X.shape[1] != self.X_site.shape[1]:
            raise ValueError(
                f"{what} must have the {self.X_site.shape[1]} columns of X_site. "
                f"Got {X.shape[1]} instead."
            )
        return X

    def take(self, X, idx):
        return X.iloc[idx] if self.frame else X[idx]

    def n_rows(self, X):
        return X.shape[0]

    # ---------------------------------------------------------- distances
    def kneighbors(self, Q, R, k=1, what="X"):
        """``(dist, ind)`` of the ``k`` nearest rows of ``R`` per row of ``Q``."""
        if Q.shape[0] == 0:
            return np.zeros((0, k)), np.zeros((0, k), dtype=np.intp)
        if self.frame:
            dist, ind = mixed_kneighbors(Q, R, n_neighbors=k, scale=self.scale)
        else:
            dist, ind = _l1_kneighbors(
                np.asarray(Q) / self.scale, np.asarray(R) / self.scale, k
            )
        if np.isnan(dist).any():
            raise ValueError(
                f"Distances from {what} are NaN for "
                f"{int(np.isnan(dist).any(axis=1).sum())} rows; check {what} "
                "for infinite values."
            )
        return dist, ind

    def nearest(self, Q, R, what="X"):
        """Distance from each row of ``Q`` to its nearest row of ``R``."""
        return self.kneighbors(Q, R, 1, what)[0][:, 0]

    def loo_nearest(self, R, what="X_site"):
        """Distance from each row of ``R`` to its nearest *other* row of ``R``."""
        dist, ind = self.kneighbors(R, R, 2, what)
        self_first = ind[:, 0] == np.arange(ind.shape[0])
        return np.where(self_first, dist[:, 1], dist[:, 0])

    def unit(self):
        """Median nearest-neighbour distance among the site's rows."""
        u = float(np.median(self.loo_nearest(self.X_site)))
        if not u > 0:
            raise ValueError(
                "The median nearest-neighbour distance among the rows of X_site "
                f"is {u}: more than half of them are duplicated. Pass distinct "
                "rows (X_site.drop_duplicates())."
            )
        return u
