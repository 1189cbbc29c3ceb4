"""Reference rows weighted as repetitions: distinct rows, weighted scales.

A search treats a row of weight ``w`` as the row given ``w`` times, and a
row given ``n`` times as the row given once with weight ``n``: rows of
weight 0 are left out, each distinct row (with its label) is kept once with
its total weight, and the feature scales are weighted (the MAD by weighted
medians that average their two middle values, as ``np.median`` does, and a
weighted std). So the anchors (the nearest reference rows) and the local
slopes read from the reference rows never count one row twice.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.sparse import issparse
from sklearn.utils.validation import _check_sample_weight, _num_samples

from ..utils import RTOL, feature_scale
from ._goal import row_hash

__all__ = []


def reference_rows(X_ref, y_ref, sample_weight):
    """Each distinct reference row once, with its total weight.

    Rows of weight 0 are left out; a row that comes ``n`` times with the same
    label is kept once, at its first place, with the sum of its weights (``n``
    without weights).

    Returns
    -------
    X_ref, y_ref : the rows kept (a DataFrame keeps its index) and labels.
    weight : ndarray of shape (n_kept,) or None
        The total weight of each kept row; None when every row came once
        and no weights were given.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [2.0, 3.0], [0.0, 1.0], [4.0, 5.0]])
    >>> X_kept, y_kept, weight = reference_rows(X, [0, 1, 0, 1], [1.0, 2.0, 3.0, 0.0])
    >>> X_kept.tolist(), y_kept.tolist(), weight.tolist()
    ([[0.0, 1.0], [2.0, 3.0]], [0, 1], [4.0, 2.0])
    """
    rows = _as_rows(X_ref)
    if rows is None or not _one_label_per_row(y_ref, rows.shape[0]):
        return X_ref, y_ref, sample_weight  # the search's checks say what is wrong
    n = rows.shape[0]
    weight = None
    keep = np.arange(n)
    if sample_weight is not None:
        weight = _check_sample_weight(
            sample_weight, np.empty((n, 0)), ensure_non_negative=True
        )
        keep = np.flatnonzero(weight > 0)
    y_kept = None if y_ref is None else np.asarray(y_ref)[keep]
    every = keep.size == n  # no copy of the rows when all are kept
    first, group = _first_of_each_row(rows if every else _take(rows, keep), y_kept)
    if first.size == keep.size:  # every row once
        if weight is None:
            return X_ref, y_ref, None
        if keep.size == n:
            return X_ref, y_ref, weight
        return _take(rows, keep), y_kept, weight[keep]
    w = np.ones(keep.size) if weight is None else weight[keep]
    total = np.bincount(group, weights=w)[group[first]]
    kept = keep[first]
    y_kept = None if y_ref is None else np.asarray(y_ref)[kept]
    return _take(rows, kept), y_kept, total


def _one_label_per_row(y, n):
    if y is None:
        return True
    try:
        return _num_samples(y) == n and np.ndim(np.asarray(y)) == 1
    except TypeError:
        return False


def _as_rows(X):
    """A DataFrame as it is, other rows as a 2-D float array (None: neither)."""
    if hasattr(X, "iloc"):
        return X
    if issparse(X):
        return None
    try:
        X = np.asarray(X)
        if X.dtype.kind not in "biuf":  # complex, strings: check_array decides
            X = X.astype(float) if X.dtype.kind == "O" else None
    except (TypeError, ValueError):
        return None
    if X is None or X.ndim != 2:
        return None
    return X.astype(float, copy=False)


def _take(X, rows):
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def _first_of_each_row(X, y):
    """The first place of each distinct (row, label), in order, and each row's group."""
    labels = None if y is None else _codes(y)
    if X.shape[0] == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    if hasattr(X, "iloc"):
        frame = X.reset_index(drop=True)
        frame.columns = range(frame.shape[1])
        if labels is not None:
            frame[frame.shape[1]] = labels
        group = frame.groupby(
            list(frame.columns), sort=False, dropna=False, observed=True
        ).ngroup()
        group = group.to_numpy()
    else:
        if labels is not None:
            X = np.column_stack([X, labels])
        group = _row_groups(np.ascontiguousarray(X, dtype=np.float64))
    return np.sort(np.unique(group, return_index=True)[1]), group


def _row_groups(X):
    """A group per row, equal for equal rows: a 64-bit hash of the row's bits,
    checked for equality (rows sorted as a whole only on a collision)."""
    h = row_hash(X + 0.0)  # -0.0 and 0.0 are one value
    _, first, group = np.unique(h, return_index=True, return_inverse=True)
    group = group.reshape(-1)
    # equal hashes, equal rows? checked in blocks (no second copy of X)
    rep = first[group]
    step = max(1, (16 * 2**20) // (8 * max(X.shape[1], 1)))
    if all(
        np.array_equal(X[rep[i : i + step]], X[i : i + step], equal_nan=True)
        for i in range(0, X.shape[0], step)
    ):
        return group
    return np.unique(X, axis=0, return_inverse=True)[1].reshape(-1)


def _codes(y):
    """An integer code per label (labels that do not sort: by first sight)."""
    try:
        return np.unique(y, return_inverse=True)[1].reshape(-1)
    except TypeError:
        seen = {}
        return np.array([seen.setdefault(v, len(seen)) for v in y.tolist()])


def weighted_scale(X, weight, kind):
    """Per-column MAD or std of rows weighted as repetitions (0 -> std -> 1).

    With integer weights it equals the unweighted scale of the rows repeated
    by their weights (the median averages its two middle values, as
    ``np.median`` does).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [5.0]])
    >>> weighted_scale(X, np.array([1, 2, 1]), "mad")
    array([0.7413])
    >>> from skcoop.utils import feature_scale
    >>> feature_scale(np.array([[0.0], [1.0], [1.0], [5.0]]))  # the same, repeated
    array([0.7413])
    """
    X = np.asarray(X, dtype=float)
    if X.shape[0] == 0:
        return np.ones(X.shape[1])
    mean = np.average(X, axis=0, weights=weight)
    std = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=weight))
    if kind == "std":
        return np.where(std > 0, std, 1.0)
    median = weighted_median(X, weight)
    dev = np.abs(X - median)
    mad = 1.4826 * weighted_median(dev, weight)
    return np.where(mad > 0, mad, np.where(std > 0, std, 1.0))


def weighted_median(X, weight):
    """Each column's median with weights as repetitions.

    Where the weight below a value is exactly half the total, the median is
    the mean of that value and the next one of positive weight, as
    ``np.median`` gives on the repeated rows (the "averaged inverted CDF";
    scikit-learn's private ``_weighted_percentile(average=True)`` from 1.7).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [1.0, 3.0], [5.0, 2.0]])
    >>> weighted_median(X, np.array([1, 2, 1]))  # [0, 1, 1, 5], [1, 3, 3, 2]
    array([1. , 2.5])
    >>> weighted_median(X, np.array([1, 0, 1]))  # np.median([0, 5]), [1, 2]
    array([2.5, 1.5])
    """
    X = np.asarray(X, dtype=float)
    w = np.asarray(weight, dtype=float)
    order = np.argsort(X, axis=0, kind="stable")
    values = np.take_along_axis(X, order, axis=0)
    cum = np.cumsum(w[order], axis=0)
    half = 0.5 * cum[-1]
    # first position whose cumulative weight reaches half (margin: the order
    # of the sums), and the first that passes it
    lower = np.argmax(cum >= half - RTOL * cum[-1], axis=0)
    upper = np.argmax(cum > half + RTOL * cum[-1], axis=0)
    columns = np.arange(X.shape[1])
    at_half = np.abs(cum[lower, columns] - half) <= RTOL * cum[-1]
    low, high = values[lower, columns], values[upper, columns]
    return np.where(at_half, 0.5 * (low + high), low)


def tolerance_floor(y_ref, weight, y):
    """The least tolerance of a regression target: 1% of the scale of ``y_ref``.

    The scale is the MAD of ``y_ref`` weighted as repetitions (``weight``,
    None: unweighted); without numeric ``y_ref``, 1% of ``|y|``.
    """
    if y_ref is not None and y_ref.dtype.kind in "fiu" and y_ref.size:
        ref = np.asarray(y_ref, float)[:, None]
        if weight is not None:
            return 0.01 * float(weighted_scale(ref, weight, "mad")[0])
        return 0.01 * float(feature_scale(ref)[0])
    return 0.01 * np.maximum(np.abs(y), 1e-8)


_EDGE_SLACK = 1e-9  # regression intervals widened by this much, relative


def widen_edges(lower, upper):
    """A regression target interval widened by ``1e-9`` of its size, relative.

    An output on an edge then counts whatever its last bits. On a linear
    model half of the jump to the target's center lands exactly on the
    lower edge, and the model's output there moves by an ulp with the other
    rows of its batch (a row repeated in the batch, or given once with a
    weight): without the slack, that ulp sent the search down another path.
    """
    slack = _EDGE_SLACK * np.maximum(np.abs(lower), np.abs(upper))
    return lower - slack, upper + slack
