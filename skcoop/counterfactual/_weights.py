"""Reference rows weighted as repetitions: the search's weighted scales.

A search fitted with ``sample_weight`` treats a row of weight ``w`` as the
row given ``w`` times: rows of weight 0 are left out, and the feature scales
are weighted (the MAD by weighted medians that average their two middle
values, as ``np.median`` does, and a weighted std).
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import _check_sample_weight, _num_samples

__all__ = []


def drop_zero_weight(X_ref, y_ref, sample_weight):
    """Reference rows of positive weight, and their weights (None: unweighted)."""
    if sample_weight is None:
        return X_ref, y_ref, None
    weight = _check_sample_weight(
        sample_weight, np.empty((_num_samples(X_ref), 0)), ensure_non_negative=True
    )
    keep = np.flatnonzero(weight > 0)
    if keep.size == weight.size:
        return X_ref, y_ref, weight
    X_ref = X_ref.iloc[keep] if hasattr(X_ref, "iloc") else np.asarray(X_ref)[keep]
    y_ref = None if y_ref is None else np.asarray(y_ref)[keep]
    return X_ref, y_ref, weight[keep]


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
    from sklearn.utils.stats import _weighted_percentile

    X = np.asarray(X, dtype=float)
    if X.shape[0] == 0:
        return np.ones(X.shape[1])
    mean = np.average(X, axis=0, weights=weight)
    std = np.sqrt(np.average((X - mean) ** 2, axis=0, weights=weight))
    if kind == "std":
        return np.where(std > 0, std, 1.0)
    median = np.atleast_1d(_weighted_percentile(X, weight, 50, average=True))
    dev = np.abs(X - median)
    mad = 1.4826 * np.atleast_1d(_weighted_percentile(dev, weight, 50, average=True))
    return np.where(mad > 0, mad, np.where(std > 0, std, 1.0))
