"""Vertical partitions: each site sees the shared columns plus its own share."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils._param_validation import HasMethods

from ..views import column_keys, resolve_columns
from ._base import _BasePartitioner, _make_rng


class FeatureViewPartitioner(_BasePartitioner):
    """Vertical views: each site sees the shared columns plus its own columns.

    By default the columns not in ``shared_columns`` are shuffled and cut
    into ``n_sites`` disjoint, near-equal groups, one per site;
    ``site_columns`` names each site's own columns instead. A site's columns
    keep their order in ``X``.

    ``split`` returns the rows of each site from ``row_partitioner``, or
    ``None`` when it is ``None``: every site sees every row (pure vertical
    partitioning), which is what an ensemble does when ``fit`` has no
    ``site``. ``split`` also sets ``columns_``, the same list that
    ``split_columns(X)`` returns.

    Parameters
    ----------
    n_sites : int
        Number of sites.
    shared_columns : str, int, list, slice, bool mask or callable, default=None
        Columns every site sees, in any form a ColumnTransformer accepts
        (see :func:`skcoop.views.resolve_columns`). ``None``: no shared
        column, so members share no feature and cannot transfer (the
        mapping warns).
    site_columns : list of length n_sites, default=None
        Each site's own columns (same forms as ``shared_columns``), added to
        the shared ones; they may overlap. ``None``: a disjoint random share
        of the non-shared columns.
    row_partitioner : partitioner, default=None
        Object with ``split(X, y)`` and ``n_sites`` assigning the rows, such
        as :class:`IIDPartitioner`. ``None``: every site has every row.
    random_state : int, RandomState instance or None, default=None
        Controls which non-shared columns go to which site.

    Attributes
    ----------
    columns_ : list of list
        Set by ``split``: the columns of each site, as names when ``X`` is a
        DataFrame with string column names, else as integer positions.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.partition import FeatureViewPartitioner
    >>> part = FeatureViewPartitioner(2, shared_columns=[0], random_state=0)
    >>> part.split_columns(np.zeros((5, 5)))
    [[0, 1, 3], [0, 2, 4]]
    """

    _parameter_constraints: dict = {
        **_BasePartitioner._parameter_constraints,
        "shared_columns": "no_validation",
        "site_columns": [list, None],
        "row_partitioner": [HasMethods(["split"]), None],
    }

    def __init__(
        self,
        n_sites,
        shared_columns=None,
        site_columns=None,
        row_partitioner=None,
        random_state=None,
    ):
        self.n_sites = n_sites
        self.shared_columns = shared_columns
        self.site_columns = site_columns
        self.row_partitioner = row_partitioner
        self.random_state = random_state

    def split(self, X, y=None):
        """Columns of each site (set as ``columns_``) and the rows of each.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data whose columns are divided. Not modified.
        y : array-like of shape (n_samples,), default=None
            Passed to ``row_partitioner``.

        Returns
        -------
        site : ndarray of shape (n_samples,) or None
            Site of each row from ``row_partitioner``, or ``None`` (every
            site has every row) when there is none.
        """
        self.columns_ = self.split_columns(X)
        if self.row_partitioner is None:
            return None
        inner = getattr(self.row_partitioner, "n_sites", self.n_sites)
        if inner != self.n_sites:
            raise ValueError(
                f"row_partitioner has n_sites={inner} but this "
                f"FeatureViewPartitioner has n_sites={self.n_sites}; make them "
                "equal."
            )
        return self.row_partitioner.split(X, y)

    def split_columns(self, X):
        """The columns of each site, without assigning rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data whose columns are divided.

        Returns
        -------
        columns : list of n_sites lists
            Column names (DataFrame with string names) or integer positions,
            each list in the order of ``X``'s columns; usable as the third
            element of an ensemble member ``(name, estimator, columns)``.
        """
        self._validate_params()
        if not hasattr(X, "shape") and not hasattr(X, "columns"):
            X = np.asarray(X)
        n_features = X.shape[1]
        shared = (
            []
            if self.shared_columns is None
            else resolve_columns(self.shared_columns, X)
        )
        if self.site_columns is not None:
            if len(self.site_columns) != self.n_sites:
                raise ValueError(
                    f"site_columns needs one entry per site: got "
                    f"{len(self.site_columns)} for n_sites={self.n_sites}."
                )
            own = [resolve_columns(spec, X) for spec in self.site_columns]
        else:
            rest = np.setdiff1d(np.arange(n_features), shared)
            rest = _make_rng(self.random_state).permutation(rest)
            own = [part.tolist() for part in np.array_split(rest, self.n_sites)]
        views = [sorted(set(shared) | set(cols)) for cols in own]
        empty = [k for k, cols in enumerate(views) if not cols]
        if empty:
            raise ValueError(
                f"Sites {empty} get no column: X has {n_features} columns, "
                f"{len(shared)} shared, for n_sites={self.n_sites}. Share some "
                "columns, use fewer sites or give site_columns."
            )
        return [column_keys(X, cols) for cols in views]
