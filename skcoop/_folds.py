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

__all__ = []


def row_hashes(X, y):
    """A content hash per (row, label) pair: equal pairs get equal hashes.

    Examples
    --------
    >>> import numpy as np
    >>> h = row_hashes(np.array([[0.0, 1.0], [0.0, 1.0], [2.0, 3.0]]), [0, 0, 0])
    >>> bool(h[0] == h[1]), bool(h[0] == h[2])
    (True, False)
    """
    import pandas as pd

    if hasattr(X, "iloc"):
        frame = X.reset_index(drop=True).copy()
    else:
        X = np.asarray(X)
        frame = pd.DataFrame(X.astype(np.float64) if X.dtype.kind in "iub" else X)
    frame.columns = [str(c) for c in frame.columns]
    labels = np.asarray(y)
    # numbers hash by value: the same folds for int and float targets
    frame["__skcoop_label__"] = (
        labels.astype(np.float64) if labels.dtype.kind in "iub" else labels
    )
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


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
