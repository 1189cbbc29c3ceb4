"""Small helpers shared by the distillation strategies."""

# SPDX-License-Identifier: BSD-3-Clause

import sys

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._losses import align_proba

__all__ = [
    "as_float32",
    "final_skorch_net",
    "is_fitted",
    "is_skorch_net",
    "onehot",
    "predict_proba_aligned",
    "weighted_rows",
]


def is_skorch_net(estimator):
    """Whether ``estimator`` is a skorch ``NeuralNetClassifier`` (no import)."""
    # skorch cannot hold a net unless it has been imported
    if "skorch" not in sys.modules:
        return False
    from skorch import NeuralNetClassifier

    return isinstance(estimator, NeuralNetClassifier)


def final_skorch_net(estimator):
    """The skorch net ending ``estimator`` (itself or a Pipeline's last step)."""
    if isinstance(estimator, Pipeline):
        return final_skorch_net(estimator.steps[-1][1])
    return estimator if is_skorch_net(estimator) else None


def is_fitted(estimator):
    """Whether ``estimator`` has been fitted (skorch: initialized)."""
    net = final_skorch_net(estimator)
    if net is not None and not isinstance(estimator, Pipeline):
        return bool(net.initialized_)
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def predict_proba_aligned(estimator, X, classes):
    """``predict_proba`` with one column per entry of ``classes``.

    A scikit-learn model's columns follow its ``classes_`` and are moved to
    their place in ``classes`` (zeros for classes it never saw). A skorch net
    (or a Pipeline ending in one) outputs class positions, so its columns are
    taken in the order of ``classes`` and must be as many.
    """
    classes = np.asarray(classes)
    proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    if final_skorch_net(estimator) is not None:
        if proba.shape[1] != len(classes):
            raise ValueError(
                f"A skorch net's module must output one column per class "
                f"({len(classes)}). Got {proba.shape[1]} columns instead."
            )
        return proba
    return align_proba(proba, estimator.classes_, classes)


def as_float32(X):
    """Float arrays as float32 for torch (dicts and other dtypes unchanged)."""
    if isinstance(X, dict):
        return X
    if hasattr(X, "to_numpy"):
        X = X.to_numpy()
    X = np.asarray(X)
    return X.astype(np.float32) if X.dtype.kind == "f" else X


def weighted_rows(sample_weight, rng):
    """``len(sample_weight)`` row indices drawn with replacement, in proportion."""
    p = np.asarray(sample_weight, dtype=np.float64)
    return rng.choice(len(p), size=len(p), replace=True, p=p / p.sum())


def onehot(y, classes):
    """One-hot rows of ``y`` over ``classes``, shape (n_samples, n_classes)."""
    return (np.asarray(y)[:, None] == np.asarray(classes)[None, :]).astype(np.float64)
