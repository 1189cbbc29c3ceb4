"""Fit any classifier on soft targets.

A KD student is asked to match ``(1 - w) onehot(y) + w q`` where ``q`` is the
(tempered) teacher distribution of a row. Three ways to get there:

``"native"``
    skorch nets: the loss ``(1 - w) CE + w T^2 KL`` itself, teacher outputs
    passed beside ``X`` (:class:`~skcoop.distill.KDNeuralNetClassifier`).
``"replicate"``
    learners whose ``fit`` accepts ``sample_weight``: each row is repeated once
    per class ``c`` with weight ``(1 - w) [c == y] + w q_c`` (times the row's
    own weight); replicas of weight zero are dropped. The weighted class
    totals equal the soft-label totals exactly.
``"resample"``
    any other learner: each row is kept once (as many times as an integer
    ``sample_weight``, a weight being a repetition; rows are drawn in
    proportion to fractional weights) with a label drawn from
    ``(1 - w) onehot(y) + w q``, so class totals match in expectation.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import column_or_1d

from ..utils import (
    final_skorch_net,
    sample_weight_key,
    snap,
    stable_argmax,
    weight_kwargs,
)
from ._losses import check_weight, soften
from ._utils import as_float32, weighted_rows

__all__ = [
    "fit_soft_targets",
    "replicate_soft_targets",
    "resample_soft_targets",
]

METHODS = ("auto", "native", "replicate", "resample")


def _check_inputs(y, soft_targets, weight, classes, sample_weight=None):
    """Validate the inputs shared by every soft-target fit.

    Returns ``(y_index, soft_targets, classes, sample_weight)`` with ``y_index``
    the position of each label in ``classes``.
    """
    classes = np.asarray(classes)
    y = column_or_1d(y)
    n_samples = len(y)
    soft_targets = np.asarray(soft_targets, dtype=np.float64)
    if soft_targets.shape != (n_samples, len(classes)):
        raise ValueError(
            "soft_targets must have shape (n_samples, n_classes) = "
            f"({n_samples}, {len(classes)}), its columns following classes. Got "
            f"{soft_targets.shape} instead."
        )
    bad = np.any(soft_targets < 0, axis=1) | ~np.isclose(soft_targets.sum(axis=1), 1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            "Each row of soft_targets must be a probability vector (non-negative, "
            f"sum 1). Got {soft_targets[row].tolist()} in row {row} instead."
        )
    check_weight(weight)
    y_index = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
    if not np.all(classes[y_index] == y):
        missing = np.setdiff1d(y, classes).tolist()
        raise ValueError(
            f"Every label of y must be one of classes {classes.tolist()}. Got "
            f"{missing} instead."
        )
    if sample_weight is not None:
        sample_weight = column_or_1d(sample_weight).astype(np.float64)
        if len(sample_weight) != n_samples or np.any(sample_weight < 0):
            raise ValueError(
                f"sample_weight must hold one non-negative weight per row "
                f"({n_samples}). Got {len(sample_weight)} weights, minimum "
                f"{sample_weight.min()!r}, instead."
            )
    return y_index, soft_targets, classes, sample_weight


def _mixed_targets(y_index, soft_targets, weight):
    """``(1 - w) onehot(y) + w q``, shape (n_samples, n_classes).

    Rounded to a grid of ``2**-30`` (:func:`skcoop.utils.snap`): the targets
    become weights a student sums, and a teacher's probabilities differ in
    the last bits between CPUs and between a fit on weighted and on repeated
    rows; on the grid they are equal, and their sums exact. Each row still
    sums to 1 exactly: the rounding's remainder goes to its largest entry.
    """
    target = weight * soft_targets
    rows = np.arange(len(y_index))
    target[rows, y_index] += 1.0 - weight
    target = snap(target, scale=1.0)
    if target.size:
        target[rows, stable_argmax(target)] += 1.0 - target.sum(axis=1)
    return target


def _replicate(X, y_index, soft_targets, weight, classes, sample_weight):
    target = _mixed_targets(y_index, soft_targets, weight)
    if sample_weight is not None:
        target *= sample_weight[:, None]
    rows, cols = np.nonzero(target > 0)  # row-major: replicas of a row stay together
    return _safe_indexing(X, rows), classes[cols], target[rows, cols]


def _resample(X, y_index, soft_targets, weight, classes, sample_weight, rng):
    target = _mixed_targets(y_index, soft_targets, weight)
    if sample_weight is None:
        rows = np.arange(len(y_index))
    else:
        rows = weighted_rows(sample_weight, rng)
    cdf = np.cumsum(target[rows], axis=1)
    u = rng.random_sample(len(rows)) * cdf[:, -1]
    labels = np.minimum((cdf <= u[:, None]).sum(axis=1), len(classes) - 1)
    return _safe_indexing(X, rows), classes[labels]


def replicate_soft_targets(X, y, soft_targets, *, weight, classes, sample_weight=None):
    """Rows repeated once per class, weighted by the mixed soft target.

    Parameters
    ----------
    X : array-like or DataFrame of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        Hard labels, each in ``classes``.
    soft_targets : array-like of shape (n_samples, n_classes)
        Teacher distribution ``q`` per row, columns following ``classes``.
    weight : float
        ``w`` in ``[0, 1]``.
    classes : array-like of shape (n_classes,)
        Sorted class labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each original row.

    Returns
    -------
    X_rep : same type as X, shape (n_kept, n_features)
    y_rep : ndarray of shape (n_kept,)
    w_rep : ndarray of shape (n_kept,)
        Replica weights ``sample_weight_i ((1 - w) [c == y_i] + w q_ic)``;
        replicas of weight zero are left out. The weights of row ``i`` sum to
        ``sample_weight_i``.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.distill import replicate_soft_targets
    >>> X = np.array([[0.0], [1.0]])
    >>> q = np.array([[0.6, 0.4, 0.0], [0.0, 0.0, 1.0]])
    >>> X_rep, y_rep, w_rep = replicate_soft_targets(
    ...     X, np.array([0, 2]), q, weight=0.5, classes=np.array([0, 1, 2]))
    >>> X_rep.ravel(), y_rep, w_rep
    (array([0., 0., 1.]), array([0, 1, 2]), array([0.8, 0.2, 1. ]))
    """
    y_index, soft_targets, classes, sample_weight = _check_inputs(
        y, soft_targets, weight, classes, sample_weight
    )
    return _replicate(X, y_index, soft_targets, weight, classes, sample_weight)


def resample_soft_targets(
    X, y, soft_targets, *, weight, classes, sample_weight=None, random_state=None
):
    """Rows with labels drawn from the mixed soft target.

    Without ``sample_weight`` every row is kept once; with integer weights
    each row is kept as many times as its weight (a weight is a repetition);
    with other weights ``n_samples`` rows are drawn with replacement in
    proportion to them. Each kept row gets a
    label drawn from ``(1 - w) onehot(y) + w q``, so the expected class totals
    equal the (weighted) soft-label totals.

    Returns
    -------
    X_new : same type as X
    y_new : ndarray of shape (n_kept,)
    """
    y_index, soft_targets, classes, sample_weight = _check_inputs(
        y, soft_targets, weight, classes, sample_weight
    )
    rng = check_random_state(random_state)
    return _resample(X, y_index, soft_targets, weight, classes, sample_weight, rng)


def _fit_native(
    estimator,
    X,
    y_index,
    soft_targets,
    weight,
    temperature,
    classes,
    sample_weight,
    rng,
):
    """Fit a skorch net (or a Pipeline ending in one) on soft targets."""
    from skorch import NeuralNetClassifier
    from skorch.helper import SliceDict

    from ._skorch import TEACHER_KEY, KDNeuralNetClassifier

    if isinstance(estimator, Pipeline):
        name = estimator.steps[-1][0]
        head = estimator[:-1]
        Xt = head.fit_transform(X, classes[y_index]) if len(head.steps) else X
        net = _fit_native(
            estimator.steps[-1][1],
            Xt,
            y_index,
            soft_targets,
            weight,
            temperature,
            classes,
            sample_weight,
            rng,
        )
        estimator.set_params(**{name: net})
        return estimator

    if sample_weight is not None:
        rows = weighted_rows(sample_weight, rng)
        X = _safe_indexing(X, rows)
        y_index, soft_targets = y_index[rows], soft_targets[rows]

    if isinstance(estimator, KDNeuralNetClassifier):
        net = estimator.set_params(teacher=None, temperature=temperature, alpha=weight)
    elif type(estimator) is NeuralNetClassifier:
        params = estimator.get_params(deep=False)
        net = KDNeuralNetClassifier(
            teacher=None, temperature=temperature, alpha=weight, **params
        )
        if estimator.initialized_ and estimator.warm_start:
            net.initialize()
            net.module_.load_state_dict(estimator.module_.state_dict())
    else:
        raise TypeError(
            "A skorch student learns soft targets natively when it is a "
            "NeuralNetClassifier or a KDNeuralNetClassifier; make a custom net "
            "subclass skcoop.distill.KDNeuralNetClassifier, or pass "
            f"method='resample'. Got {type(estimator).__name__} instead."
        )
    # The net's loss tempers the teacher entry with T; hand it q ** T
    # renormalised so that the tempered entry is q itself.
    teacher = soften(soft_targets, 1.0 / temperature).astype(np.float32)
    if isinstance(X, dict):
        X_kd = SliceDict(**X, **{TEACHER_KEY: teacher})
    else:
        X_kd = SliceDict(X=as_float32(X), **{TEACHER_KEY: teacher})
    return net.fit(X_kd, y_index.astype(np.int64))


def fit_soft_targets(
    estimator,
    X,
    y,
    soft_targets,
    *,
    weight,
    classes,
    sample_weight=None,
    temperature=1.0,
    random_state=None,
    method="auto",
):
    """Fit any classifier as a knowledge-distillation student.

    The student is fitted toward ``(1 - weight) onehot(y) + weight q`` with
    ``q = soft_targets`` (see the module docstring for the three methods).

    Parameters
    ----------
    estimator : classifier
        Unfitted student (a clone: it is fitted in place). A skorch
        ``NeuralNetClassifier`` (or a Pipeline ending in one) is trained on
        class indices into ``classes`` (skorch's convention: its ``predict``
        returns column positions); any other learner on the labels.
    X : array-like, DataFrame or dict of shape (n_samples, ...)
        Student rows.
    y : array-like of shape (n_samples,)
        Hard labels, each in ``classes``.
    soft_targets : array-like of shape (n_samples, n_classes)
        Teacher distribution ``q`` per row, already tempered, columns
        following ``classes``.
    weight : float
        ``w`` in ``[0, 1]``.
    classes : array-like of shape (n_classes,)
        Sorted labels of all classes.
    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each row (multiplies the replica weights, or drives the
        resampling; skorch nets are fitted on a weighted resample).
    temperature : float, default=1.0
        Used by native (skorch) students only: the student's logits are
        divided by it in the KL term, which is scaled by ``T^2``, and the
        tempered teacher distribution equals ``soft_targets``.
    random_state : int, RandomState instance or None, default=None
        Seeds the resampling.
    method : {"auto", "native", "replicate", "resample"}, default="auto"
        ``"auto"`` picks native for skorch nets, replicate when the learner
        accepts ``sample_weight``, resample otherwise.

    Returns
    -------
    estimator : classifier
        The fitted student. For a bare ``NeuralNetClassifier`` this is a new
        :class:`~skcoop.distill.KDNeuralNetClassifier` with the same
        parameters (``teacher=None``, so refitting it on plain data is plain
        training); otherwise ``estimator`` itself.

    Examples
    --------
    A decision tree learns from a logistic regression's tempered outputs:

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skcoop.distill import fit_soft_targets, soften
    >>> X, y = load_iris(return_X_y=True)
    >>> teacher = LogisticRegression(max_iter=500).fit(X, y)
    >>> q = soften(teacher.predict_proba(X), temperature=2.0)
    >>> tree = fit_soft_targets(
    ...     DecisionTreeClassifier(max_depth=3, random_state=0), X, y, q,
    ...     weight=0.5, classes=teacher.classes_)
    >>> tree.classes_
    array([0, 1, 2])
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}. Got {method!r} instead.")
    y_index, soft_targets, classes, sample_weight = _check_inputs(
        y, soft_targets, weight, classes, sample_weight
    )
    rng = check_random_state(random_state)

    sw_key = sample_weight_key(estimator)
    if method == "auto":
        if final_skorch_net(estimator) is not None:
            method = "native"
        elif sw_key is not None:
            method = "replicate"
        else:
            method = "resample"

    if method == "native":
        if final_skorch_net(estimator) is None:
            raise ValueError(
                "method='native' needs a skorch NeuralNetClassifier or a Pipeline "
                f"ending in one. Got {type(estimator).__name__} instead."
            )
        return _fit_native(
            estimator,
            X,
            y_index,
            soft_targets,
            weight,
            temperature,
            classes,
            sample_weight,
            rng,
        )
    if method == "replicate":
        if sw_key is None:
            raise ValueError(
                "method='replicate' needs a learner whose fit accepts sample_weight "
                "(use method='resample' for others). Got "
                f"{type(estimator).__name__} instead."
            )
        X_rep, y_rep, w_rep = _replicate(
            X, y_index, soft_targets, weight, classes, sample_weight
        )
        # every step of a Pipeline that takes weights gets them (a scaler too)
        return estimator.fit(X_rep, y_rep, **weight_kwargs(estimator, w_rep))
    X_new, y_new = _resample(
        X, y_index, soft_targets, weight, classes, sample_weight, rng
    )
    if final_skorch_net(estimator) is not None:  # skorch learns class positions
        return estimator.fit(as_float32(X_new), np.searchsorted(classes, y_new))
    return estimator.fit(X_new, y_new)
