"""Quality of counterfactuals: validity, proximity, sparsity, plausibility.

Every function takes the source rows and their counterfactuals (or the
model, for validity) as arrays or DataFrames and returns the mean by default,
or one value per row with ``reduce=None``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.utils._param_validation import StrOptions, validate_params
from sklearn.utils.validation import check_array, column_or_1d

from .utils import (
    check_scale,
    mixed_changed,
    mixed_nearest,
    mixed_rowwise,
    needs_tabular,
    number,
)

__all__ = ["plausibility", "proximity", "sparsity", "validity"]

_REDUCE = [StrOptions({"mean", "median"}), None]


def _reduce(values, reduce):
    if reduce is None:
        return values
    if values.size == 0:
        return float("nan")
    return float(np.mean(values) if reduce == "mean" else np.median(values))


def _pair(X, X_cf):
    X = check_array(X, dtype=np.float64, ensure_min_samples=0, input_name="X")
    X_cf = check_array(X_cf, dtype=np.float64, ensure_min_samples=0, input_name="X_cf")
    if X.shape != X_cf.shape:
        raise ValueError(
            f"X and X_cf must have the same shape; got {X.shape} and {X_cf.shape}."
        )
    return X, X_cf


def _mixed_pair(X, X_cf, names=("X", "X_cf")):
    """Both DataFrames with the same columns, when either has mixed types."""
    if not (needs_tabular(X) or needs_tabular(X_cf)):
        return None
    for Z, name in zip((X, X_cf), names):
        if not hasattr(Z, "columns"):
            raise TypeError(
                f"{names[0]} and {names[1]} must both be DataFrames when one has "
                f"categorical, boolean or missing values; {name} is "
                f"{type(Z).__name__}."
            )
    if not X.columns.equals(X_cf.columns):
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same columns in the same "
            f"order; got {list(X.columns)} and {list(X_cf.columns)}."
        )
    return X, X_cf


@validate_params(
    {
        "model": "no_validation",
        "X_cf": ["array-like"],
        "y_target": ["array-like"],
        "confidence": [number(0, 1), None],
        "tolerance": [number(0, None, closed="left"), None],
        "reduce": _REDUCE,
    },
    prefer_skip_nested_validation=True,
)
def validity(model, X_cf, y_target, *, confidence=None, tolerance=None, reduce="mean"):
    """Share of counterfactuals on which the model gives the target output.

    Classifiers: the probability of ``y_target`` is at least ``confidence``
    (or, without ``confidence``, ``y_target`` is the predicted class).
    Regressors (``tolerance`` given): the prediction is within ``tolerance``
    of ``y_target``. The model is called once on ``X_cf``.

    Parameters
    ----------
    model : fitted estimator
        Classifier with ``predict_proba`` and ``classes_`` (or ``predict``
        only, without ``confidence``), or regressor with ``predict``.
    X_cf : array-like of shape (n_samples, n_features)
        Counterfactual rows, in the form the model takes.
    y_target : array-like of shape (n_samples,)
        Target class (classification) or value (regression) of each row.
    confidence : float, default=None
        Probability of the target class to reach.
    tolerance : float, default=None
        Regression: largest allowed ``|prediction - y_target|``.
    reduce : {"mean", "median"} or None, default="mean"
        None returns the boolean per row.

    Returns
    -------
    validity : float or ndarray of shape (n_samples,), dtype=bool

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skcoop.metrics import validity
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> model = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> validity(model, [[3.0], [0.0]], [1, 1])
    0.5
    >>> validity(model, [[3.0], [0.0]], [1, 1], confidence=0.99, reduce=None)
    array([False, False])
    """
    y_target = column_or_1d(y_target)
    n = len(y_target)
    n_cf = X_cf.shape[0] if hasattr(X_cf, "shape") else len(X_cf)
    if n_cf != n:
        raise ValueError(
            f"y_target must hold one target per row of X_cf ({n_cf}). Got {n} instead."
        )
    if n == 0:
        return _reduce(np.zeros(0, dtype=bool), reduce)
    if tolerance is not None:
        pred = np.asarray(model.predict(X_cf), dtype=float).reshape(n, -1)[:, 0]
        ok = np.abs(pred - y_target.astype(float)) <= tolerance
    elif confidence is None:
        ok = np.asarray(model.predict(X_cf)) == y_target
    else:
        classes = np.asarray(model.classes_)
        unknown = np.setdiff1d(np.unique(y_target), classes)
        if unknown.size:
            raise ValueError(
                f"y_target holds {unknown.tolist()}, not classes of the model "
                f"({classes.tolist()})."
            )
        proba = np.asarray(model.predict_proba(X_cf))
        ok = proba[np.arange(n), np.searchsorted(classes, y_target)] >= confidence
    return _reduce(ok, reduce)


@validate_params(
    {
        "X": ["array-like"],
        "X_cf": ["array-like"],
        "scale": ["array-like", None],
        "reduce": _REDUCE,
    },
    prefer_skip_nested_validation=True,
)
def proximity(X, X_cf, *, scale=None, reduce="mean"):
    """L1 distance between each row and its counterfactual, in scaled units.

    ``sum_j |x_j - x'_j| / scale_j``. Pass the search's ``scale_`` (MAD) or
    standard deviations to compare searches in the same units.

    DataFrames with categorical, boolean or missing values get the mixed-type
    (Gower-style) distance: ``|x_j - x'_j| / scale_j`` on a numeric column,
    ``1 / scale_j`` on a categorical or boolean column whose value changes;
    two missing values are equal, a missing and a present value differ by 1.
    Pass the search's ``column_scale_`` to get its ``result.distance``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Source rows.
    X_cf : array-like of shape (n_samples, n_features)
        Their counterfactuals.
    scale : array-like of shape (n_features,), default=None
        Unit of each feature; None is 1 for every feature.
    reduce : {"mean", "median"} or None, default="mean"
        None returns one distance per row.

    Returns
    -------
    proximity : float or ndarray of shape (n_samples,)

    Examples
    --------
    >>> from skcoop.metrics import proximity
    >>> proximity([[0.0, 0.0], [1.0, 1.0]], [[1.0, 2.0], [1.0, 1.0]], scale=[1.0, 2.0])
    1.0
    >>> proximity([[0.0, 0.0]], [[1.0, 2.0]], reduce=None)
    array([3.])
    """
    if _mixed_pair(X, X_cf) is not None:
        if X.shape != X_cf.shape:
            raise ValueError(
                f"X and X_cf must have the same shape; got {X.shape} and {X_cf.shape}."
            )
        return _reduce(mixed_rowwise(X, X_cf, check_scale(scale, X.shape[1])), reduce)
    X, X_cf = _pair(X, X_cf)
    dist = (np.abs(X_cf - X) / check_scale(scale, X.shape[1])).sum(axis=1)
    return _reduce(dist, reduce)


@validate_params(
    {
        "X": ["array-like"],
        "X_cf": ["array-like"],
        "atol": [number(0, None, closed="left")],
        "reduce": _REDUCE,
    },
    prefer_skip_nested_validation=True,
)
def sparsity(X, X_cf, *, atol=1e-8, reduce="mean"):
    """Number of features each counterfactual changes.

    A feature counts as changed when ``|x_j - x'_j| > atol * (1 + |x_j|)``;
    in DataFrames with categorical, boolean or missing values, a categorical
    value changes when it differs, and a missing value changes when it is
    no longer missing (or the other way round).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Source rows.
    X_cf : array-like of shape (n_samples, n_features)
        Their counterfactuals.
    atol : float, default=1e-8
        Tolerance for "unchanged", scaled by ``1 + |x_j|`` as above.
    reduce : {"mean", "median"} or None, default="mean"
        None returns one count per row.

    Returns
    -------
    sparsity : float or ndarray of shape (n_samples,)

    Examples
    --------
    >>> from skcoop.metrics import sparsity
    >>> sparsity([[0.0, 0.0, 5.0], [1.0, 1.0, 1.0]], [[1.0, 0.0, 5.0], [2.0, 2.0, 1.0]])
    1.5
    """
    if _mixed_pair(X, X_cf) is not None:
        if X.shape != X_cf.shape:
            raise ValueError(
                f"X and X_cf must have the same shape; got {X.shape} and {X_cf.shape}."
            )
        return _reduce(mixed_changed(X, X_cf, atol), reduce)
    X, X_cf = _pair(X, X_cf)
    changed = (np.abs(X_cf - X) > atol * (1.0 + np.abs(X))).sum(axis=1)
    return _reduce(changed, reduce)


@validate_params(
    {
        "X_cf": ["array-like"],
        "y_target": ["array-like"],
        "X_ref": ["array-like"],
        "y_ref": ["array-like"],
        "scale": ["array-like", None],
        "reduce": _REDUCE,
    },
    prefer_skip_nested_validation=True,
)
def plausibility(X_cf, y_target, X_ref, y_ref, *, scale=None, reduce="mean"):
    """Scaled L1 distance to the nearest reference row of the target class.

    DataFrames with categorical, boolean or missing values use the
    mixed-type distance of :func:`proximity`.

    Small values mean the counterfactual lies where rows of its target class
    are (for cooperative distillation: among the teacher's rows of the
    label the virtual instance will carry).

    Parameters
    ----------
    X_cf : array-like of shape (n_samples, n_features)
        Counterfactual rows.
    y_target : array-like of shape (n_samples,)
        Their target classes.
    X_ref : array-like of shape (n_ref, n_features)
        Reference rows (for example the teacher's own rows).
    y_ref : array-like of shape (n_ref,)
        Their labels.
    scale : array-like of shape (n_features,), default=None
        Unit of each feature; None is 1 for every feature.
    reduce : {"mean", "median"} or None, default="mean"
        None returns one distance per row (inf where the class has no
        reference row).

    Returns
    -------
    plausibility : float or ndarray of shape (n_samples,)

    Examples
    --------
    >>> from skcoop.metrics import plausibility
    >>> X_ref = [[0.0, 0.0], [5.0, 5.0]]
    >>> plausibility([[1.0, 0.0], [4.0, 4.0]], [0, 0], X_ref, [0, 1], reduce=None)
    array([1., 8.])
    """
    mixed = _mixed_pair(X_cf, X_ref, names=("X_cf", "X_ref")) is not None
    if not mixed:
        X_cf = check_array(
            X_cf, dtype=np.float64, ensure_min_samples=0, input_name="X_cf"
        )
        X_ref = check_array(X_ref, dtype=np.float64, input_name="X_ref")
    y_target = column_or_1d(y_target)
    y_ref = column_or_1d(y_ref)
    if X_ref.shape[1] != X_cf.shape[1]:
        raise ValueError(
            f"X_cf has {X_cf.shape[1]} features but X_ref has {X_ref.shape[1]}."
        )
    if len(y_target) != X_cf.shape[0] or len(y_ref) != X_ref.shape[0]:
        raise ValueError("y_target and y_ref need one label per row of X_cf and X_ref.")
    scale = check_scale(scale, X_cf.shape[1])
    missing = np.setdiff1d(np.unique(y_target), np.unique(y_ref))
    if missing.size and reduce is not None:
        raise ValueError(
            f"y_target holds the classes {missing.tolist()}, of which X_ref has no "
            "row, so their distance is infinite and the mean would be inf. Give "
            "reference rows of every target class, or reduce=None to see each "
            "row's distance (inf where the class has no reference row)."
        )
    dist = np.full(X_cf.shape[0], np.inf)
    for label in np.unique(y_target):
        rows = np.flatnonzero(y_target == label)
        ref = None if mixed else X_ref[y_ref == label]
        if mixed:
            dist[rows] = mixed_nearest(
                X_cf.iloc[rows], X_ref.iloc[np.flatnonzero(y_ref == label)], scale
            )
        elif len(ref):
            dist[rows] = cdist(X_cf[rows] / scale, ref / scale, "cityblock").min(axis=1)
    return _reduce(dist, reduce)
