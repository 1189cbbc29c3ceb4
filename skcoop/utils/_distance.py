"""Scales and distances on numeric arrays and mixed-type DataFrames.

One home for the unit every part of skcoop measures in: the counterfactual
search (its cost), :mod:`skcoop.metrics` (proximity, sparsity, plausibility)
and :mod:`skcoop.privacy` (distances to a site's records).

The mixed-type distance is Gower-style: ``|x - x'| / scale`` on a numeric
column, ``1 / scale`` (1 by default) on a categorical or boolean column whose
value changes; a missing value equals a missing value and differs from any
value.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils._param_validation import validate_params

_CHUNK = 2_000_000  # cells of the broadcast difference per block


def _pandas():
    import pandas as pd

    return pd


def is_frame(X):
    """Whether ``X`` looks like a pandas DataFrame."""
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def check_frame_columns(X, columns, what, reference, fix=""):
    """Raise unless ``X`` is a DataFrame with ``columns``, in that order.

    ``what`` names ``X`` and ``reference`` the rows the columns come from
    in the messages; ``fix`` ends the message of a column mismatch.

    Examples
    --------
    >>> import pandas as pd
    >>> from skcoop.utils import check_frame_columns
    >>> X = pd.DataFrame({"a": [1], "b": [2]})
    >>> check_frame_columns(X, X.columns, "X", "X_site")
    >>> check_frame_columns(X[["b", "a"]], X.columns, "X", "X_site")
    Traceback (most recent call last):
    ...
    ValueError: X must have the columns of X_site, in the same order (same names in another order). Got ['b', 'a'] instead.
    """  # noqa: E501
    if not is_frame(X):
        raise TypeError(
            f"{what} must be a DataFrame with the columns of {reference} "
            f"({list(columns)}). Got {type(X).__name__} instead."
        )
    if X.columns.equals(columns):
        return
    missing = [c for c in columns if c not in X.columns]
    extra = [c for c in X.columns if c not in columns]
    detail = (
        f"missing {missing}, unexpected {extra}"
        if missing or extra
        else "same names in another order"
    )
    raise ValueError(
        f"{what} must have the columns of {reference}, in the same order "
        f"({detail}). Got {list(X.columns)} instead.{' ' + fix if fix else ''}"
    )


def column_kind(dtype):
    """``'num'``, ``'bool'`` or ``'cat'`` for a column dtype."""
    pd = _pandas()
    if pd.api.types.is_bool_dtype(dtype) and isinstance(dtype, np.dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return "num"
    return "cat"


def needs_tabular(X):
    """Whether ``X`` is a DataFrame the float-matrix path cannot take as it is.

    True for a DataFrame with a non-numeric column (object, string, category,
    bool) or a missing value.
    """
    if not is_frame(X):
        return False
    kinds = [column_kind(t) for t in X.dtypes]
    if any(k != "num" for k in kinds):
        return True
    return bool(X.isna().to_numpy().any())


def check_scale(scale, n_features):
    """One positive, finite scale per feature (ones when ``scale`` is None)."""
    if scale is None:
        return np.ones(n_features)
    try:
        scale = np.broadcast_to(np.asarray(scale, dtype=float), (n_features,))
    except ValueError as exc:
        raise ValueError(
            f"scale must hold one unit per feature ({n_features}). Got "
            f"{np.shape(scale)} entries instead."
        ) from exc
    if not np.all(np.isfinite(scale) & (scale > 0)):
        raise ValueError(
            "scale must be positive and finite for every feature. Got "
            f"{np.asarray(scale).tolist()[:10]} instead."
        )
    return scale


@validate_params({"X": ["array-like"]}, prefer_skip_nested_validation=True)
def feature_scale(X):
    """Robust per-feature scale: MAD, falling back to std, then to 1.

    The median absolute deviation is multiplied by 1.4826 so that it matches
    the standard deviation on normal data.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)

    Returns
    -------
    scale : ndarray of shape (n_features,)
        Strictly positive scales.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.utils import feature_scale
    >>> feature_scale(np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0]]))
    array([1.4826, 1.    ])
    """
    X = np.asarray(X, dtype=float)
    if X.shape[0] == 0:
        return np.ones(X.shape[1])
    # a column at a time: no temporary the size of X (a million rows)
    mad = np.empty(X.shape[1])
    for j in range(X.shape[1]):
        column = X[:, j]
        deviation = np.abs(column - np.median(column))
        mad[j] = 1.4826 * np.median(deviation)
    if np.all(mad > 0):
        return mad
    # the std only where some MAD is 0 (binary, mostly constant columns)
    std = X.std(axis=0)
    return np.where(mad > 0, mad, np.where(std > 0, std, 1.0))


# ------------------------------------------------------------ mixed types
def _split_columns(X):
    kinds = [column_kind(t) for t in X.dtypes]
    numeric = [j for j, k in enumerate(kinds) if k == "num"]
    other = [j for j, k in enumerate(kinds) if k != "num"]
    return numeric, other


def _numeric_block(X, cols):
    if not cols:
        return np.zeros((X.shape[0], 0))
    return X.iloc[:, cols].to_numpy(dtype=float, na_value=np.nan)


def _category_codes(X, Y, cols):
    """Integer codes shared by ``X`` and ``Y`` for each categorical column.

    Missing values get code -1 in both, so two missing values match.
    """
    pd = _pandas()
    cx = np.empty((X.shape[0], len(cols)), dtype=np.int64)
    cy = np.empty((Y.shape[0], len(cols)), dtype=np.int64)
    for k, j in enumerate(cols):
        a = X.iloc[:, j].to_numpy(dtype=object)
        b = Y.iloc[:, j].to_numpy(dtype=object)
        both = np.concatenate([a, b])
        missing = pd.isna(both)
        codes = np.full(both.size, -1, dtype=np.int64)
        if (~missing).any():
            codes[~missing] = pd.factorize(both[~missing])[0]
        cx[:, k] = codes[: a.size]
        cy[:, k] = codes[a.size :]
    return cx, cy


def _numeric_diff(A, B, scale):
    """``|a - b| / scale``; 0 for two missing values, 1 for one."""
    a_nan, b_nan = np.isnan(A), np.isnan(B)
    diff = np.abs(np.where(a_nan, 0.0, A) - np.where(b_nan, 0.0, B)) / scale
    return np.where(a_nan & b_nan, 0.0, np.where(a_nan | b_nan, 1.0, diff))


def mixed_rowwise(X, Y, scale=None):
    """Gower-style distance between row ``i`` of ``X`` and row ``i`` of ``Y``.

    ``scale`` has one entry per column: the unit of a numeric column, and for a
    categorical or boolean column the size of a change (a change adds
    ``1 / scale``).
    """
    num, cat = _split_columns(X)
    scale = check_scale(scale, X.shape[1])
    dist = _numeric_diff(_numeric_block(X, num), _numeric_block(Y, num), scale[num])
    total = dist.sum(axis=1)
    if cat:
        cx, cy = _category_codes(X, Y, cat)
        total = total + ((cx != cy) / scale[cat]).sum(axis=1)
    return total


def mixed_changed(X, Y, atol=1e-8):
    """Per row, the number of columns whose value differs (missing = missing)."""
    num, cat = _split_columns(X)
    A, B = _numeric_block(X, num), _numeric_block(Y, num)
    a_nan, b_nan = np.isnan(A), np.isnan(B)
    close = np.abs(np.nan_to_num(A) - np.nan_to_num(B)) <= atol * (
        1.0 + np.abs(np.nan_to_num(A))
    )
    changed = np.where(a_nan | b_nan, a_nan != b_nan, ~close).sum(axis=1)
    if cat:
        cx, cy = _category_codes(X, Y, cat)
        changed = changed + (cx != cy).sum(axis=1)
    return changed


def mixed_nearest(X, R, scale=None):
    """Per row of ``X``, the Gower-style distance to the nearest row of ``R``."""
    num, cat = _split_columns(X)
    scale = check_scale(scale, X.shape[1])
    A, B = _numeric_block(X, num), _numeric_block(R, num)
    cx, cr = _category_codes(X, R, cat)
    inv_cat = 1.0 / scale[cat]
    out = np.full(X.shape[0], np.inf)
    if R.shape[0] == 0:
        return out
    step = max(1, _CHUNK // max(1, R.shape[0] * X.shape[1]))
    for start in range(0, X.shape[0], step):
        sl = slice(start, start + step)
        d = _numeric_diff(A[sl, None, :], B[None, :, :], scale[num]).sum(axis=2)
        if cat:
            d = d + ((cx[sl, None, :] != cr[None, :, :]) * inv_cat).sum(axis=2)
        out[sl] = d.min(axis=1)
    return out


def mixed_kneighbors(X, R, n_neighbors=1, scale=None):
    """The ``n_neighbors`` nearest rows of ``R`` for each row of ``X``.

    Gower-style distance of :func:`mixed_nearest`, on DataFrames with the
    same columns. Returns ``(distances, indices)``, each of shape
    ``(n_samples_X, n_neighbors)``, nearest first (ties by row order of
    ``R``).

    Examples
    --------
    >>> import pandas as pd
    >>> from skcoop.utils import mixed_kneighbors
    >>> R = pd.DataFrame({"a": [0.0, 1.0, 3.0], "c": ["x", "y", "x"]})
    >>> d, i = mixed_kneighbors(R.iloc[[0]], R, n_neighbors=2)
    >>> d.tolist(), i.tolist()
    ([[0.0, 2.0]], [[0, 1]])
    """
    n_r = R.shape[0]
    if not 1 <= n_neighbors <= n_r:
        raise ValueError(
            f"n_neighbors must be between 1 and the {n_r} rows of R. Got "
            f"{n_neighbors} instead."
        )
    num, cat = _split_columns(X)
    scale = check_scale(scale, X.shape[1])
    A, B = _numeric_block(X, num), _numeric_block(R, num)
    cx, cr = _category_codes(X, R, cat)
    inv_cat = 1.0 / scale[cat]
    dist = np.empty((X.shape[0], n_neighbors))
    ind = np.empty((X.shape[0], n_neighbors), dtype=np.intp)
    step = max(1, _CHUNK // max(1, n_r * X.shape[1]))
    for start in range(0, X.shape[0], step):
        sl = slice(start, start + step)
        d = _numeric_diff(A[sl, None, :], B[None, :, :], scale[num]).sum(axis=2)
        if cat:
            d = d + ((cx[sl, None, :] != cr[None, :, :]) * inv_cat).sum(axis=2)
        if n_neighbors == 1:
            order = d.argmin(axis=1)[:, None]
        else:
            order = np.argsort(d, axis=1, kind="stable")[:, :n_neighbors]
        ind[sl] = order
        dist[sl] = np.take_along_axis(d, order, axis=1)
    return dist, ind
