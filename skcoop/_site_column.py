"""The site as a column of the user's table (``site_column``).

A user's table often holds each row's site (a ``hospital`` or ``branch``
column). Named by the ensembles' ``site_column``, that column travels with the
rows through any split (``cross_val_score``, ``GridSearchCV``, a Pipeline) and
is taken out here, before validation, so no member ever sees it.
"""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np

from .utils import is_frame

__all__ = []


def _position(site_column, n_columns):
    """The column index ``site_column`` names in an array of ``n_columns``."""
    if isinstance(site_column, str) or not isinstance(site_column, Integral):
        raise ValueError(
            "site_column names a column by name only in a DataFrame; X is an "
            "array without column names. Give the column's integer index "
            f"instead. Got site_column={site_column!r}."
        )
    position = int(site_column) + (n_columns if site_column < 0 else 0)
    if not 0 <= position < n_columns:
        raise ValueError(
            f"site_column={site_column!r} is out of range for X with "
            f"{n_columns} columns. Give an index in [-{n_columns}, "
            f"{n_columns - 1}]."
        )
    return position


def _as_sites(values):
    """Sites as given, integral floats (an array's column) as integers."""
    values = np.asarray(values)
    if values.dtype.kind == "f" and np.all(np.isfinite(values)):
        if np.all(values == np.round(values)):
            return values.astype(int)
    if values.dtype.kind == "O":
        try:  # an object array of numbers (a mixed-type array's column)
            as_float = values.astype(float)
        except (TypeError, ValueError):
            return values
        return _as_sites(as_float)
    return values


def split_site_column(X, site_column, site):
    """``X`` without the site column, and the site of each row.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
        The rows as given to ``fit``.
    site_column : str, int or None
        The ensemble's ``site_column``.
    site : array-like or None
        ``fit``'s ``site``.

    Returns
    -------
    X : array-like or DataFrame
        ``X`` without the site column (``X`` itself when ``site_column`` is
        None; never modified in place).
    site : ndarray or None
        The site of each row.
    """
    if site_column is None:
        return X, site
    if site is not None:
        raise ValueError(
            f"site_column={site_column!r} and fit's site were both given; the "
            "site of each row must come from one place. Pass site=None, or set "
            "site_column=None."
        )
    if is_frame(X):
        if site_column not in X.columns:
            raise ValueError(
                f"site_column={site_column!r} is not a column of X. Columns: "
                f"{list(X.columns)[:20]}. Name the column that holds each "
                "row's site."
            )
        return X.drop(columns=[site_column]), _as_sites(X[site_column].to_numpy())
    if not hasattr(X, "shape"):  # a list of rows
        X = np.asarray(X)
    if getattr(X, "ndim", 0) != 2:
        return X, None  # validation explains what a 2d X is
    if hasattr(X, "tocsr"):
        raise ValueError(
            "site_column takes the site from a dense array or a DataFrame; X "
            "is a sparse matrix. Pass fit's site instead."
        )
    position = _position(site_column, X.shape[1])
    return np.delete(np.asarray(X), position, axis=1), _as_sites(X[:, position])


def drop_site_column(X, site_column, n_features_in):
    """``X`` to predict from, without the site column if it holds one.

    A DataFrame holds the column when it has its name; an array when it has
    one column more than the fit saw. Otherwise ``X`` is returned as given.
    """
    if site_column is None:
        return X
    if is_frame(X):
        if site_column in X.columns:
            return X.drop(columns=[site_column])
        return X
    shape = getattr(X, "shape", None)
    if shape is None or hasattr(X, "tocsr"):
        return X
    if len(shape) == 2 and n_features_in is not None and shape[1] == n_features_in + 1:
        return np.delete(np.asarray(X), _position(site_column, shape[1]), axis=1)
    return X
