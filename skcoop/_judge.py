"""Who is right on a row: the task-specific part of expertise.

A judge is a small object the per-site steps ask two things: a teacher's
*bound* (computed at the teacher's site, from its own rows only) and, under
that bound, which members are right on a block of rows. Classification needs
no bound (right means the predicted class is the label); regression calls a
member right when its error is within the teacher's tolerance.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from .utils import RTOL, aligned_proba, at_most, member_output, stable_argmax

__all__ = []


def weighted_quantile(values, q, weights=None):
    """Smallest value whose weighted share of values at or below it reaches ``q``.

    The inverted-CDF quantile: with integer weights it equals the plain
    quantile of the values repeated by their weights. A cumulative weight
    that reaches ``q`` in exact arithmetic reaches it whatever order the
    weights were summed in (a margin of ``RTOL`` of the total).

    Examples
    --------
    >>> import numpy as np
    >>> weighted_quantile(np.array([3.0, 1.0, 2.0]), 0.5)
    2.0
    >>> weighted_quantile(np.array([3.0, 1.0, 2.0]), 0.5, np.array([0, 1, 3]))
    2.0
    >>> weighted_quantile(np.array([3.0, 1.0, 2.0]), 0.5, np.array([5, 1, 1]))
    3.0
    """
    values = np.asarray(values, dtype=float)
    weights = np.ones_like(values) if weights is None else np.asarray(weights, float)
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    idx = np.searchsorted(cum, q * cum[-1] - RTOL * cum[-1], side="left")
    return float(values[order][min(idx, len(values) - 1)])


class ClassJudge:
    """Right means the most probable class is the label.

    Parameters
    ----------
    classes : ndarray of shape (n_classes,)
        Sorted labels of the ensemble.
    """

    task = "classification"

    def __init__(self, classes):
        self.classes = np.asarray(classes)

    def predict(self, model, X):
        """Class positions the model predicts on ``X`` (aligned to ``classes``).

        Classes whose probabilities tie within ``RTOL`` go to the first one,
        so that the last bits of a probability never decide right or wrong.
        """
        return stable_argmax(aligned_proba(model, X, self.classes), scale=1.0)

    def errors(self, model, X, y):
        """0 where the model is right, 1 where it is wrong."""
        return (self.predict(model, X) != self._index(y)).astype(float)

    def bound(self, errors, sample_weight=None):
        """Classification needs no bound; right means error 0."""
        return 0.5

    def right(self, errors, bound):
        """Whether each error is within ``bound``."""
        return np.asarray(errors) <= bound

    def _index(self, y):
        return np.searchsorted(self.classes, np.asarray(y))

    def groups(self, y):
        """Report groups of rows: one per class present in ``y``."""
        for label in np.unique(y):
            yield label, np.asarray(y) == label


class ToleranceJudge:
    """Right means the absolute error is within the teacher's tolerance.

    Parameters
    ----------
    tolerance : float or "auto"
        An absolute bound, or ``"auto"``: the teacher's weighted
        ``quantile`` of its own absolute errors on its own rows.
    quantile : float in (0, 1)
        Quantile of ``"auto"``.
    """

    task = "regression"

    def __init__(self, tolerance, quantile):
        self.tolerance = tolerance
        self.quantile = quantile

    def predict(self, model, X):
        """The model's predictions as a flat float array."""
        return member_output(model, X, "predict")

    def errors(self, model, X, y):
        """Absolute errors of the model on ``X``."""
        return np.abs(self.predict(model, X) - np.asarray(y, dtype=float))

    def bound(self, errors, sample_weight=None):
        """The teacher's tolerance, from its own errors on its own rows."""
        if self.tolerance != "auto":
            return float(self.tolerance)
        return weighted_quantile(errors, self.quantile, sample_weight)

    def right(self, errors, bound):
        """Whether each error is within ``bound``, with a margin of ``RTOL``.

        The quantile is one of the errors, so rows meet it exactly: an error
        equal to the bound in exact arithmetic is within it whatever its
        last bits (:func:`skcoop.utils.at_most`, relative to the larger of
        the bound and the errors).
        """
        return at_most(errors, bound)

    def groups(self, y):
        """Report groups of rows: all rows in one group."""
        yield "all", np.ones(len(y), dtype=bool)
