"""Folds of a site's rows for the out-of-fold judge, where weights mean repetition.

A row given twice and a row of weight 2 must be judged alike: identical
(row, label) pairs always share a fold, folds are drawn over the distinct
pairs in an order fixed by their content (not by their position), and rows of
weight 0 are in no test fold (they are no rows at all). So a fit on repeated
rows and a fit on weighted rows see the same folds.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold

from .utils import snap_columns

__all__ = []


def row_hashes(X, y):
    """A content hash per (row, label) pair: equal pairs get equal hashes.

    Floats are hashed rounded to 30 significant bits
    (:func:`skcoop.utils.snap_columns`), so that rows a few ulps apart share
    a fold. A DataFrame is hashed by pandas
    (``hash_pandas_object``: mixed columns). A numeric array needs no pandas:
    its columns and a numeric label are hashed as pandas hashes them (the
    same hashes, so the same folds, with or without pandas installed);
    another label by a hash of its text.

    Examples
    --------
    >>> import numpy as np
    >>> h = row_hashes(np.array([[0.0, 1.0], [0.0, 1.0], [2.0, 3.0]]), [0, 0, 0])
    >>> bool(h[0] == h[1]), bool(h[0] == h[2])
    (True, False)
    """
    labels = np.asarray(y)
    # numbers hash by value: the same folds for int and float targets
    label = labels.astype(np.float64) if labels.dtype.kind in "iubf" else labels
    numeric = not hasattr(X, "iloc") and np.asarray(X).dtype.kind in "iubf"
    if not numeric:  # a DataFrame, or an array of objects: mixed columns
        import pandas as pd

        if hasattr(X, "iloc"):
            frame = snap_columns(X.reset_index(drop=True))
        else:
            frame = pd.DataFrame(np.asarray(X))
        frame.columns = [str(c) for c in frame.columns]
        frame["__skcoop_label__"] = label
        return pd.util.hash_pandas_object(frame, index=False).to_numpy()
    columns = snap_columns(X)
    label_hash = (
        _hash_numbers(label) if label.dtype.kind == "f" else _hash_labels(label)
    )
    hashes = [_hash_numbers(columns[:, j]) for j in range(columns.shape[1])]
    return _combine(hashes + [label_hash], len(y))


def _mix(u):
    """pandas' 64-bit finaliser of a hash (splitmix64's)."""
    u ^= u >> np.uint64(30)
    u *= np.uint64(0xBF58476D1CE4E5B9)
    u ^= u >> np.uint64(27)
    u *= np.uint64(0x94D049BB133111EB)
    u ^= u >> np.uint64(31)
    return u


def _hash_numbers(values):
    """pandas' hash of a float64 column: its bits, -0.0 as 0.0, one NaN."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    bits = values.view(np.uint64).copy()
    bits[np.isnan(values)] = np.array(np.nan).view(np.uint64)
    bits[values == 0.0] = 0
    return _mix(bits)


def _hash_labels(labels):
    """A 64-bit hash of each label's text, the same in every process."""
    import hashlib

    uniques, inverse = np.unique(labels.astype(str), return_inverse=True)
    digests = [hashlib.blake2b(u.encode(), digest_size=8).digest() for u in uniques]
    codes = np.array([int.from_bytes(d, "little") for d in digests], dtype=np.uint64)
    return _mix(codes[inverse.reshape(-1)])


def _combine(hashes, n):
    """pandas' ``combine_hash_arrays``: the columns' hashes into a row's."""
    mult = np.uint64(1000003)
    out = np.full(n, 0x345678, dtype=np.uint64)
    for i, h in enumerate(hashes):
        inverse_i = len(hashes) - i
        out ^= h
        out *= mult
        mult += np.uint64(82520 + inverse_i + inverse_i)
    return out + np.uint64(97531)


def fold_splits(X, y, weights, n_folds, *, classification, seed):
    """``(train, test)`` positions of ``n_folds`` folds over distinct rows.

    Stratified by label when every label has ``n_folds`` distinct rows.
    Returns an empty list when there are fewer distinct rows of positive
    weight than ``n_folds``.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [0.0], [1.0], [2.0], [3.0]])
    >>> splits = fold_splits(X, np.zeros(5), None, 2, classification=False, seed=0)
    >>> [bool(np.isin([0, 1], test).all() or not np.isin([0, 1], test).any())
    ...  for _, test in splits]
    [True, True]
    """
    n = len(y)
    active = (
        np.arange(n) if weights is None else np.flatnonzero(np.asarray(weights) > 0)
    )
    hashes = row_hashes(X, y)[active]
    groups, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    if groups.size < n_folds:
        return []
    labels = np.asarray(y)[active][first]
    stratify = (
        classification and np.unique(labels, return_counts=True)[1].min() >= n_folds
    )
    splitter = (StratifiedKFold if stratify else KFold)(
        n_splits=n_folds, shuffle=True, random_state=seed
    )
    splits = []
    for _, test_groups in splitter.split(
        np.zeros((groups.size, 1)), labels if stratify else None
    ):
        test = active[np.isin(inverse, test_groups)]
        splits.append((np.setdiff1d(np.arange(n), test), test))
    return splits
