"""Small helpers shared by the distillation strategies."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

__all__ = ["as_float32", "onehot", "weighted_rows"]


def as_float32(X):
    """Float arrays as float32 for torch (dicts and other dtypes unchanged)."""
    if isinstance(X, dict):
        return X
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    X = np.asarray(X)
    return X.astype(np.float32) if X.dtype.kind == "f" else X


def weighted_rows(sample_weight, rng):
    """Row indices that read sample weights as repetitions.

    Integer weights: each row as many times as its weight, in order (a row
    of weight 0 is left out), so that a weighted fit sees the rows a fit on
    the repeated rows sees. Other weights: ``len(sample_weight)`` rows drawn
    with replacement in proportion to them.
    """
    p = np.asarray(sample_weight, dtype=np.float64)
    if np.all(p == np.round(p)):
        return np.repeat(np.arange(len(p)), p.astype(np.int64))
    return rng.choice(len(p), size=len(p), replace=True, p=p / p.sum())


def onehot(y, classes):
    """One-hot rows of ``y`` over ``classes``, shape (n_samples, n_classes)."""
    return (np.asarray(y)[:, None] == np.asarray(classes)[None, :]).astype(np.float64)
