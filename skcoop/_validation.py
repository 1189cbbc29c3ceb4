"""Checks of fit input: DataFrame columns (at fit and at predict), vote weights,
member kinds, neighbour counts and label types."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

__all__ = []


def value_kind(series):
    """The kind of values a column holds: numeric, bool, category or string.

    What the input checks compare between fit and predict; not
    ``utils.column_kind``, which says how distances treat a
    column (``num``, ``bool`` or ``cat``: categories and strings alike).

    Examples
    --------
    >>> import pandas as pd
    >>> [value_kind(pd.Series(v)) for v in ([1, 2], [True], ["a"], [1.5, None])]
    ['numeric', 'bool', 'string', 'numeric']
    >>> value_kind(pd.Series(["a"], dtype="category"))
    'category'
    """
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    return "string"


def check_frame_at_fit(X):
    """Column kinds of a training DataFrame; rejects columns it cannot search.

    An all-missing column and an object column that mixes value types (say
    strings and numbers) raise a ValueError naming the column.

    Returns
    -------
    kinds : dict of column -> kind
    """
    import pandas as pd

    kinds = {}
    for col in X.columns:
        series = X[col]
        if len(series) and series.isna().all():
            raise ValueError(
                f"Column {col!r} is missing in every row, so no member can "
                "learn from it and no virtual row can hold a value for it. "
                "Drop the column before fitting."
            )
        kind = value_kind(series)
        if kind == "string" and series.dtype == object:
            inferred = pd.api.types.infer_dtype(series, skipna=True)
            if inferred.startswith("mixed") or inferred not in (
                "string",
                "empty",
                "boolean",
                "categorical",
                "bytes",
            ):
                types = sorted({type(v).__name__ for v in series.dropna()})
                raise ValueError(
                    f"Column {col!r} mixes value types in one object column "
                    f"(Got {types} instead of one type). Convert it to one type, "
                    "for example X[col].astype(str) or pd.to_numeric(X[col])."
                )
        kinds[col] = kind
    return kinds


def check_frame_at_predict(X, kinds):
    """The columns of ``X`` hold the same kinds of values as at fit."""
    changed = []
    for col, kind in kinds.items():
        if col in X.columns:
            now = value_kind(X[col])
            if now != kind:
                changed.append(f"{col!r} ({kind} at fit, {now} now)")
    if changed:
        raise ValueError(
            "The dtype of some columns differs from fit: "
            + ", ".join(changed)
            + ". Pass the columns with the dtypes they had at fit (for example "
            "X.astype(dtypes_at_fit))."
        )


# ------------------------------------------------------------ parameters
def check_vote_weights(weights, names, active=None):
    """``weights`` of an ensemble: one finite, non-negative number per member.

    Parameters
    ----------
    weights : array-like or None
        The ``weights`` parameter.
    names : list of str
        Names of the members, in order.
    active : list of int, default=None
        Members that take part in this fit (the others sit it out and drop
        their weight); at least one of them must have a positive weight.

    Returns
    -------
    weights : ndarray of shape (n_members,) or None

    Examples
    --------
    >>> check_vote_weights([1, 2], ["a", "b"])
    array([1., 2.])
    >>> check_vote_weights([1, -1], ["a", "b"])
    Traceback (most recent call last):
    ...
    ValueError: weights must be non-negative. Got [1.0, -1.0] instead.
    """
    if weights is None:
        return None
    if isinstance(weights, str) or not hasattr(weights, "__len__"):
        raise ValueError(
            "weights must be an array-like of one number per member. Got "
            f"{weights!r} instead."
        )
    try:
        w = np.asarray(weights)
    except Exception as exc:  # ragged input
        raise ValueError(
            "weights must be a 1d array-like of numbers, one per member. Got "
            f"{weights!r} instead."
        ) from exc
    if w.ndim != 1 or w.shape[0] != len(names):
        raise ValueError(
            "weights must have one entry per member. Got "
            f"{len(w) if w.ndim else 0} weights of shape {w.shape} for "
            f"{len(names)} members ({list(names)}) instead."
        )
    if w.dtype.kind not in "iufb":
        try:
            w = w.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"weights must be numbers. Got {list(weights)!r} instead."
            ) from exc
        if w.dtype.kind not in "f":  # pragma: no cover
            raise ValueError(f"weights must be numbers. Got {list(weights)!r} instead.")
    w = w.astype(np.float64)
    if not np.all(np.isfinite(w)):
        raise ValueError(f"weights must be finite. Got {w.tolist()} instead.")
    if np.any(w < 0):
        raise ValueError(f"weights must be non-negative. Got {w.tolist()} instead.")
    if not np.any(w > 0):
        raise ValueError(
            "weights must not be all zero: at least one member must vote. Got "
            f"{w.tolist()} instead."
        )
    if active is not None and not np.any(w[active] > 0):
        raise ValueError(
            "weights must not be all zero on the members that take part "
            f"({[names[m] for m in active]}). Got {w[active].tolist()} instead."
        )
    return w


def check_member_kind(name, estimator, task):
    """A member must solve the ensemble's task (a classifier, or a regressor).

    ``task`` is ``"classifier"`` or ``"regressor"``; a member whose tags say
    it is the other kind raises a TypeError naming it. Members that declare
    neither kind (custom learners) are accepted.
    """
    from sklearn.base import is_classifier, is_regressor

    try:
        other = (
            is_regressor(estimator)
            if task == "classifier"
            else (is_classifier(estimator))
        )
    except Exception:  # an estimator without tags: judged by its methods
        return
    if other:
        kind = "regressor" if task == "classifier" else "classifier"
        ensemble = (
            "CooperativeDistillationEnsemble"
            if task == "classifier"
            else "CooperativeDistillationRegressor"
        )
        use = (
            "CooperativeDistillationRegressor"
            if task == "classifier"
            else "CooperativeDistillationEnsemble"
        )
        raise TypeError(
            f"Member {name!r} ({type(estimator).__name__}) is a {kind}, but "
            f"{ensemble} needs every member to be a {task}. Got a {kind} "
            f"instead. Use {use} for {kind}s, or replace the member."
        )


def _neighbor_counts(estimator):
    """``(param, n_neighbors)`` of the k-nearest-neighbour learners inside."""
    from sklearn.neighbors._base import KNeighborsMixin

    found = []
    try:
        params = estimator.get_params(deep=True)
    except Exception:
        return found
    objects = {"": estimator}
    objects.update({f"{key}__": val for key, val in params.items()})
    for prefix, obj in objects.items():
        if isinstance(obj, KNeighborsMixin):
            k = obj.get_params(deep=False).get("n_neighbors")
            if isinstance(k, int | np.integer):
                found.append((f"{prefix}n_neighbors", int(k)))
    return found


def check_member_neighbors(name, estimator, n_rows):
    """A k-nearest-neighbour member needs at least ``n_neighbors`` own rows."""
    for param, k in _neighbor_counts(estimator):
        if k > n_rows:
            raise ValueError(
                f"Member {name!r} ({type(estimator).__name__}) has {param}={k}, "
                f"but owns only {n_rows} sample(s): a k-nearest-neighbour learner "
                f"needs at least n_neighbors rows. Got {param}={k} > {n_rows} "
                f"instead. Set {name}__{param} <= {n_rows}, or give it more rows."
            )


def check_label_types(y):
    """Class labels must all be strings or all numbers, not a mix."""
    y = np.asarray(y)
    if y.dtype != object:
        return
    kinds = {"string" if isinstance(v, str) else "number" for v in y.ravel()}
    if len(kinds) > 1:
        strings = sorted({repr(v) for v in y.ravel() if isinstance(v, str)})[:3]
        numbers = sorted({repr(v) for v in y.ravel() if not isinstance(v, str)})[:3]
        raise ValueError(
            "y mixes string and number labels (for example "
            f"{', '.join(strings)} and {', '.join(numbers)}); class labels must "
            "be all strings or all numbers. Got a mix instead. Convert them, for "
            "example y.astype(str)."
        )


def warn_small_sites(names, templates, rows, expertise, oof_folds):
    """Warn about members judged in-sample because their site is too small.

    The out-of-fold judge needs at least ``oof_folds`` rows; a member with
    fewer (and a pre-trained one) keeps its in-sample errors. Saying so
    beats a silent fallback (``oof_folds=1000`` on 50-row sites).
    """
    from .utils import is_pretrained, warn_at_caller

    if expertise != "oof" or oof_folds is None:
        return
    small = {
        name: len(r)
        for name, template, r in zip(names, templates, rows)
        if len(r) < oof_folds and not is_pretrained(template)
    }
    if small:
        warn_at_caller(
            f"oof_folds={oof_folds} is more than the rows of member(s) {small}, so "
            "their expertise is judged in-sample (on their own fit) instead of "
            f"out-of-fold. Use oof_folds <= {min(small.values())} (at least 2), or "
            "expertise='in_sample' to choose the in-sample judge.",
            UserWarning,
        )
