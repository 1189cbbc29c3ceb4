"""Data-partitioning KD: learn each row only from the teachers that know it.

A member is a *qualified* teacher of a row when it predicts that row's class
correctly (the expertise set ``S_i`` of cooperative distillation). The soft
target of a row is the mean tempered output of its qualified teachers; a row
that no teacher gets right keeps its hard label.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils.validation import column_or_1d

from ..utils import stable_argmax
from ._losses import soften

__all__ = ["qualified_soft_targets", "qualified_teacher_mask"]


def _stack(proba_list, n_classes):
    P = np.stack([np.asarray(p, dtype=np.float64) for p in proba_list])
    if P.ndim != 3 or P.shape[2] != n_classes:
        raise ValueError(
            "proba_list must hold arrays of shape (n_samples, n_classes) with one "
            f"column per class ({n_classes}); align each model's columns with "
            f"skcoop.utils.align_proba first. Got shape {P.shape[1:]} instead."
        )
    return P


def qualified_teacher_mask(proba_list, y, classes):
    """Which members predict each row correctly.

    Parameters
    ----------
    proba_list : list of array-like of shape (n_samples, n_classes)
        Each member's probabilities on the same rows, columns following
        ``classes``.
    y : array-like of shape (n_samples,)
        True labels.
    classes : array-like of shape (n_classes,)
        Labels of the columns.

    Returns
    -------
    mask : ndarray of shape (n_members, n_samples), dtype=bool
        ``mask[i, r]`` is True when member ``i``'s most probable class for row
        ``r`` is ``y[r]`` (ties within ``1e-9`` go to the first class in
        ``classes``, whatever the last bits).

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.distill import qualified_teacher_mask
    >>> p1 = np.array([[0.9, 0.1], [0.8, 0.2]])
    >>> p2 = np.array([[0.4, 0.6], [0.3, 0.7]])
    >>> qualified_teacher_mask([p1, p2], y=[0, 1], classes=[0, 1])
    array([[ True, False],
           [False,  True]])
    """
    classes = np.asarray(classes)
    y = column_or_1d(y)
    P = _stack(proba_list, len(classes))
    if P.shape[1] != len(y):
        raise ValueError(
            f"proba_list must have one row per label of y ({len(y)}). Got "
            f"{P.shape[1]} rows instead."
        )
    return classes[stable_argmax(P, axis=2, scale=1.0)] == y[None, :]


def qualified_soft_targets(proba_list, y, classes, temperature=1.0, mask=None):
    """Soft targets from the qualified teachers only.

    Parameters
    ----------
    proba_list : list of array-like of shape (n_samples, n_classes)
        Teacher probabilities on the student's rows, columns following
        ``classes``.
    y : array-like of shape (n_samples,)
        True labels.
    classes : array-like of shape (n_classes,)
        Labels of the columns.
    temperature : float, default=1.0
        Each teacher's output is tempered (:func:`soften`) before averaging.
    mask : ndarray of shape (n_members, n_samples), dtype=bool, default=None
        Qualified teachers; :func:`qualified_teacher_mask` when None.

    Returns
    -------
    soft_targets : ndarray of shape (n_samples, n_classes)
        Mean tempered output of the qualified teachers of each row; the
        one-hot label where none is qualified.
    has_teacher : ndarray of shape (n_samples,), dtype=bool
        Rows with at least one qualified teacher.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.distill import qualified_soft_targets
    >>> p1 = np.array([[0.9, 0.1], [0.8, 0.2], [0.6, 0.4]])
    >>> p2 = np.array([[0.4, 0.6], [0.3, 0.7], [0.7, 0.3]])
    >>> targets, has_teacher = qualified_soft_targets(
    ...     [p1, p2], y=[0, 1, 1], classes=[0, 1])
    >>> targets  # row 0 from p1, row 1 from p2, row 2: nobody right
    array([[0.9, 0.1],
           [0.3, 0.7],
           [0. , 1. ]])
    >>> has_teacher
    array([ True,  True, False])
    """
    classes = np.asarray(classes)
    y = column_or_1d(y)
    P = _stack(proba_list, len(classes))
    if mask is None:
        mask = qualified_teacher_mask(P, y, classes)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != P.shape[:2]:
        raise ValueError(
            f"mask must have shape {P.shape[:2]}. Got {mask.shape} instead."
        )
    soft = np.stack([soften(p, temperature) for p in P])
    counts = mask.sum(axis=0)
    has_teacher = counts > 0
    total = np.einsum("ir,irc->rc", mask.astype(np.float64), soft)
    targets = np.zeros_like(total)
    targets[has_teacher] = total[has_teacher] / counts[has_teacher, None]
    y_index = np.searchsorted(classes, y[~has_teacher])
    targets[np.flatnonzero(~has_teacher), y_index] = 1.0
    return targets, has_teacher
