"""Members' outputs where they enter: called, checked, aligned, named.

Every probability or prediction skcoop takes from a member (judging who is
right, voting, soft targets, a teacher's output for its search) comes
through :func:`member_output`: the call's error, and an output that is not a
probability (NaN, outside [0, 1], rows that do not sum to 1, the wrong
shape), is reported with the member's name and the method, as fitting
errors are (``Member 'nb' (GaussianNB).predict_proba returned NaN for 12
rows: ...``). A member's name is remembered for the fitted object by
:func:`name_member` (a weak reference: nothing is stored on the object).
"""

# SPDX-License-Identifier: BSD-3-Clause

import weakref

import numpy as np

#: absolute slack of a probability outside [0, 1], and of a row's sum
PROBA_ATOL = 1e-6
SUM_ATOL = 1e-3

_NAMES = weakref.WeakKeyDictionary()


def name_member(estimator, name):
    """Remember that the fitted object ``estimator`` is the member ``name``.

    Only a weak reference is kept (the object is not modified); objects that
    cannot be weakly referenced are skipped. Returns ``estimator``.
    """
    try:
        _NAMES[estimator] = name
    except TypeError:
        pass
    return estimator


def member_name(estimator):
    """The name :func:`name_member` gave ``estimator`` (or what it wraps), or None."""
    for obj in (
        estimator,
        vars(estimator).get("_model") if hasattr(estimator, "__dict__") else None,
    ):
        if obj is None:
            continue
        try:
            name = _NAMES.get(obj)
        except TypeError:
            name = None
        if name is not None:
            return name
    return None


def _who(estimator, name):
    name = member_name(estimator) if name is None else name
    kind = type(getattr(estimator, "_model", estimator)).__name__
    return f"Member {name!r} ({kind})" if name is not None else f"A member ({kind})"


def _renamed(exc, msg):
    try:
        new = type(exc)(msg)
    except Exception:
        return RuntimeError(msg)
    return new if str(new) == msg else RuntimeError(msg)


def _rows(positions, limit=5):
    shown = ", ".join(str(int(i)) for i in positions[:limit])
    return f"[{shown}{', ...' if len(positions) > limit else ''}]"


def _n_rows(X):
    """Rows of ``X``, or None when it has no length (the member decides)."""
    if hasattr(X, "shape"):
        return X.shape[0]
    return len(X) if hasattr(X, "__len__") else None


def member_output(estimator, X, method, *, name=None, n_columns=None):
    """``estimator.<method>(X)``, checked, as a float array; errors name the member.

    Parameters
    ----------
    estimator : fitted estimator
    X : array-like or DataFrame
        Rows the member reads.
    method : {"predict_proba", "predict"}
        ``"predict_proba"``: an ``(n_rows, n_columns)`` array of finite
        probabilities in [0, 1] whose rows sum to 1. ``"predict"``: one
        finite value per row (a regressor's prediction).
    name : str, default=None
        The member's name (by default, the one :func:`name_member` gave it).
    n_columns : int, default=None
        The number of probability columns expected (default: any).

    Returns
    -------
    output : ndarray of float64
        ``(n_rows, n_columns)`` probabilities or ``(n_rows,)`` predictions.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skcoop.utils import member_output, name_member
    >>> nb = name_member(GaussianNB().fit([[0.0], [1.0]], [0, 1]), "nb")
    >>> member_output(nb, [[0.5]], "predict_proba")
    array([[0.5, 0.5]])
    >>> nb.var_ = np.zeros_like(nb.var_)  # a broken model gives NaN
    >>> member_output(nb, [[0.0], [2.0]], "predict_proba")
    Traceback (most recent call last):
    ...
    ValueError: Member 'nb' (GaussianNB).predict_proba returned NaN for 2 rows: ...
    """
    n = _n_rows(X)
    try:
        out = getattr(estimator, method)(X)
    except Exception as exc:
        if str(exc).startswith("Member "):
            raise
        raise _renamed(
            exc,
            f"{_who(estimator, name)}.{method} failed to predict: {exc}",
        ) from exc
    who = f"{_who(estimator, name)}.{method}"
    try:
        out = np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{who} returned values that are not numbers ({exc}). Got "
            f"{type(out).__name__} instead; give a member whose {method} "
            "returns numbers."
        ) from exc
    if method == "predict_proba":
        try:
            return check_proba(out, who, n, n_columns)
        except ValueError as exc:
            raise ValueError(f"{exc}{_precision_hint(X)}") from None
    return check_prediction(out, who, n)


def _precision_hint(X):
    """A hint when ``X`` holds floats below double precision, else ``""``.

    scikit-learn learners such as GaussianNB compute their log-probabilities
    in the input's precision: on float32 rows with near-constant columns the
    probabilities need not sum to 1.
    """
    dtype = getattr(X, "dtype", None)
    if dtype is None or dtype.kind != "f" or dtype.itemsize >= 8:
        return ""
    return (
        f" The rows are {dtype.name}: learners such as GaussianNB compute "
        "probabilities in the input's precision; pass float64 rows "
        "(X.astype(np.float64)) to such members."
    )


def check_proba(proba, who, n_rows, n_columns=None):
    """``proba`` if it holds probabilities for ``n_rows`` rows, else raise.

    ``who`` names the source in messages (``"Member 'nb' (GaussianNB).
    predict_proba"``).
    """
    proba = np.asarray(proba, dtype=np.float64)
    n_rows = proba.shape[0] if n_rows is None and proba.ndim else n_rows
    if proba.ndim != 2 or proba.shape[0] != n_rows:
        raise ValueError(
            f"{who} returned an array of shape {proba.shape} for {n_rows} rows. "
            "Probabilities must have one row per input row and one column per "
            "class; give a member whose predict_proba follows scikit-learn's."
        )
    if n_columns is not None and proba.shape[1] != n_columns:
        raise ValueError(
            f"{who} returned {proba.shape[1]} columns, but the member knows "
            f"{n_columns} classes. Got an estimator whose predict_proba does not "
            "follow its classes_ instead."
        )
    finite = np.isfinite(proba).all(axis=1)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        what = "NaN" if np.isnan(proba[bad]).any() else "infinity"
        raise ValueError(
            f"{who} returned {what} for {bad.size} rows: rows {_rows(bad)}. "
            "Probabilities must be finite; fix the member (for example "
            "GaussianNB's var_smoothing on a constant column) or the input it "
            "reads (extreme or constant values)."
        )
    outside = ((proba < -PROBA_ATOL) | (proba > 1 + PROBA_ATOL)).any(axis=1)
    if outside.any():
        bad = np.flatnonzero(outside)
        raise ValueError(
            f"{who} returned values outside [0, 1] for {bad.size} rows (from "
            f"{proba.min():.3g} to {proba.max():.3g}; rows {_rows(bad)}). "
            "Probabilities must lie in [0, 1]; give a member whose "
            "predict_proba returns probabilities."
        )
    if proba.shape[1]:
        sums = proba.sum(axis=1)
        off = np.abs(sums - 1.0) > SUM_ATOL
        if off.any():
            bad = np.flatnonzero(off)
            raise ValueError(
                f"{who} returned rows that do not sum to 1 for {bad.size} rows "
                f"(sums from {sums[bad].min():.3g} to {sums[bad].max():.3g}; rows "
                f"{_rows(bad)}). Each row of probabilities must sum to 1; give a "
                "member whose predict_proba is normalised."
            )
    return proba


def check_prediction(pred, who, n_rows):
    """``pred`` as one finite float per row, else raise naming ``who``."""
    pred = np.asarray(pred, dtype=np.float64)
    if pred.ndim == 2 and pred.shape[1] == 1:
        pred = pred[:, 0]
    n_rows = pred.shape[0] if n_rows is None and pred.ndim else n_rows
    if pred.ndim != 1 or pred.shape[0] != n_rows:
        raise ValueError(
            f"{who} returned an array of shape {pred.shape} for {n_rows} rows. "
            "Give a member that predicts one value per row."
        )
    finite = np.isfinite(pred)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        what = "NaN" if np.isnan(pred[bad]).any() else "infinity"
        raise ValueError(
            f"{who} returned {what} for {bad.size} rows: rows {_rows(bad)}. "
            "Predictions must be finite; fix the member or the input it reads "
            "(extreme values)."
        )
    return pred


def member_labels(estimator, X, classes, *, name=None):
    """``estimator.predict(X)`` as class labels, each one of ``classes``."""
    n = _n_rows(X)
    try:
        labels = np.asarray(estimator.predict(X))
    except Exception as exc:
        if str(exc).startswith("Member "):
            raise
        raise _renamed(
            exc, f"{_who(estimator, name)}.predict failed to predict: {exc}"
        ) from exc
    who = f"{_who(estimator, name)}.predict"
    n = labels.shape[0] if n is None and labels.ndim else n
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(
            f"{who} returned an array of shape {labels.shape} for {n} rows. "
            "Give a member that predicts one label per row."
        )
    known = np.isin(labels, np.asarray(classes))
    if not known.all():
        unknown = np.unique(labels[~known]).tolist()[:5]
        raise ValueError(
            f"{who} returned labels {unknown} that are not classes of the "
            f"ensemble ({np.asarray(classes).tolist()}). Give a member that "
            "predicts the labels it was fitted on."
        )
    return labels


# ----------------------------------------------------------------- alignment
def align_proba(proba, from_classes, to_classes):
    """Reorder probability columns to another class list, zeros for the missing.

    Parameters
    ----------
    proba : array-like of shape (n_samples, len(from_classes))
        Probabilities whose columns follow ``from_classes`` (a fitted model's
        ``classes_``).
    from_classes : array-like of shape (n_from,)
        Class of each column of ``proba``.
    to_classes : array-like of shape (n_to,)
        Classes of the output columns; each of ``from_classes`` must be one.

    Returns
    -------
    aligned : ndarray of shape (n_samples, n_to)
        Column ``k`` holds the probability of ``to_classes[k]``, zero where the
        model does not know that class.

    Examples
    --------
    >>> from skcoop.utils import align_proba
    >>> align_proba([[0.3, 0.7]], from_classes=["b", "d"], to_classes=["a", "b", "d"])
    array([[0. , 0.3, 0.7]])
    """
    proba = np.asarray(proba, dtype=np.float64)
    from_classes = np.asarray(from_classes)
    to_classes = np.asarray(to_classes)
    if proba.shape[1] != len(from_classes):
        raise ValueError(
            f"proba must have one column per class of from_classes "
            f"({len(from_classes)}). Got {proba.shape[1]} columns instead."
        )
    index = {c: k for k, c in enumerate(to_classes.tolist())}
    unknown = [c for c in from_classes.tolist() if c not in index]
    if unknown:
        raise ValueError(
            f"Every class of the model must be one of {to_classes.tolist()}; fit "
            f"every member on labels from the same set. Got {unknown} instead."
        )
    out = np.zeros((proba.shape[0], len(to_classes)), dtype=np.float64)
    out[:, [index[c] for c in from_classes.tolist()]] = proba
    return out


def aligned_proba(estimator, X, classes, *, name=None):
    """``predict_proba`` with one column per class of ``classes``, checked.

    A scikit-learn model's columns follow its ``classes_`` and are moved to
    their place in ``classes`` (zeros for classes it never saw). A skorch net
    (or a Pipeline ending in one) outputs class positions: its module has one
    output per class of the whole problem, so its columns are taken in the
    order of ``classes`` and must be as many. The output is checked by
    :func:`member_output` (finite probabilities in [0, 1], rows summing to 1).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skcoop.utils import aligned_proba
    >>> nb = GaussianNB().fit([[0.0], [1.0]], [1, 2])
    >>> aligned_proba(nb, [[0.0]], np.array([0, 1, 2])).round(3)
    array([[0., 1., 0.]])
    """
    from ._estimators import final_skorch_net

    classes = np.asarray(classes)
    if final_skorch_net(getattr(estimator, "_model", estimator)) is not None:
        proba = member_output(estimator, X, "predict_proba", name=name)
        if proba.shape[1] != len(classes):
            raise ValueError(
                f"A skorch net's module must output one column per class of the "
                f"ensemble ({len(classes)}). Got {proba.shape[1]} columns instead."
            )
        return proba
    member_classes = np.asarray(estimator.classes_)
    proba = member_output(
        estimator, X, "predict_proba", name=name, n_columns=member_classes.shape[0]
    )
    return align_proba(proba, member_classes, classes)
