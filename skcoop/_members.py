"""Members of a cooperative ensemble: specs, sites, rows, fitting and outputs."""

# SPDX-License-Identifier: BSD-3-Clause

import time
import warnings
from numbers import Integral

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import has_fit_parameter

from .distill._losses import align_proba
from .distill._utils import final_skorch_net

__all__ = ["EmptySiteWarning"]


class EmptySiteWarning(UserWarning):
    """A member owns no row in this fit and sits it out.

    This happens by design in leave-one-site-out cross-validation, where the
    held-out site's member has no training row.
    """


# --------------------------------------------------------------------- specs
def split_specs(estimators):
    """Split ``(name, est)`` / ``(name, est, columns)`` items into three lists."""
    names, ests, columns = [], [], []
    for item in estimators:
        if not isinstance(item, tuple | list) or len(item) not in (2, 3):
            raise ValueError(
                "Each member must be a (name, estimator) or (name, estimator, "
                f"columns) tuple. Got {item!r} instead."
            )
        names.append(item[0])
        ests.append(item[1])
        columns.append(item[2] if len(item) == 3 else None)
    return names, ests, columns


def check_member_method(name, estimator, method):
    """Raise a TypeError naming a member that lacks ``method``."""
    if not hasattr(estimator, method):
        raise TypeError(
            f"Member {name!r} ({type(estimator).__name__}) does not implement "
            f"{method}, which cooperative distillation needs to compare members "
            f"and search counterfactuals. Use a learner with {method}, or wrap "
            "it, for example CalibratedClassifierCV(SVC(), ensemble=False)."
        )


# --------------------------------------------------------------------- sites
def resolve_sites(site, names, n_samples):
    """Turn a ``site`` vector into member indices in ``0..k-1``.

    ``site`` holds member names or integers ``0..k-1``.

    Returns
    -------
    site_index : ndarray of shape (n_samples,), dtype=int
    """
    site = np.asarray(site)
    if site.ndim != 1 or site.shape[0] != n_samples:
        raise ValueError(
            "site must be a 1d array with one entry per row of X "
            f"({n_samples} rows). Got shape {site.shape} instead."
        )
    k = len(names)
    values = [str(v) for v in np.unique(site.astype(str))] if site.size else []
    if site.dtype.kind in "iu" or (
        site.dtype.kind == "f" and site.size and np.all(site == np.round(site))
    ):
        index = site.astype(int)
        bad = np.unique(index[(index < 0) | (index >= k)])
        if bad.size:
            raise ValueError(
                f"site labels {bad.tolist()} match no member. Integer sites must "
                f"be in 0..{k - 1} (one per member), or use the member names "
                f"{list(names)}."
            )
        return index
    lookup = {str(name): i for i, name in enumerate(names)}
    bad = [v for v in values if v not in lookup]
    if bad:
        raise ValueError(
            f"site labels {bad[:10]} match no member. Use the member names "
            f"{list(names)} or integers 0..{k - 1}."
        )
    return np.array([lookup[str(v)] for v in site], dtype=int)


def member_rows(site_index, n_members, n_samples):
    """Row indices each member owns (every row when ``site_index`` is None)."""
    if site_index is None:
        return [np.arange(n_samples) for _ in range(n_members)]
    return [np.flatnonzero(site_index == m) for m in range(n_members)]


def warn_empty(names, rows):
    """Warn for members without rows; return the indices of the others."""
    active = [m for m, r in enumerate(rows) if r.size]
    for m in range(len(names)):
        if rows[m].size == 0:
            warnings.warn(
                f"Member {names[m]!r} owns no row in this fit and sits it out "
                "(as in leave-one-site-out cross-validation). Its estimator is "
                "not fitted and it does not vote.",
                EmptySiteWarning,
                stacklevel=3,
            )
    if len(active) < 2:
        raise ValueError(
            "Cooperative distillation needs at least two members with rows. Got "
            f"{len(active)} member(s) with rows ({[names[m] for m in active]}) "
            "instead. Check site, or give more members."
        )
    return active


# ---------------------------------------------------------------------- data
def take(X, rows=None, columns=None):
    """Select rows and columns of an array or DataFrame."""
    if rows is not None:
        X = _safe_indexing(X, rows, axis=0)
    if columns is not None:
        X = _safe_indexing(X, columns, axis=1)
    return X


def concat_rows(parts):
    """Stack row blocks of one feature space, keeping the first block's form.

    Arrays take the first block's dtype (a float32 net keeps float32 rows);
    DataFrames keep the first block's columns and dtypes.
    """
    parts = [p for p in parts if p is not None]
    first = parts[0]
    if hasattr(first, "iloc"):
        import pandas as pd

        frames = [
            p if hasattr(p, "iloc") else pd.DataFrame(p, columns=first.columns)
            for p in parts
        ]
        out = pd.concat(frames, ignore_index=True)
        return out.astype(first.dtypes.to_dict())
    first = np.asarray(first)
    return np.concatenate([np.asarray(p, dtype=first.dtype) for p in parts], axis=0)


# ----------------------------------------------------------------- fit/output
def _accepts_weights(estimator):
    if has_fit_parameter(estimator, "sample_weight"):
        return {}
    if isinstance(estimator, Pipeline):
        last_name, last = estimator.steps[-1]
        if last != "passthrough" and has_fit_parameter(last, "sample_weight"):
            return {"prefix": f"{last_name}__"}
    return None


def weight_kwargs(estimator, sample_weight):
    """Keyword arguments passing ``sample_weight`` to ``estimator.fit``.

    Returns None when the estimator takes no sample weight.
    """
    how = _accepts_weights(estimator)
    if how is None:
        return None
    return {how.get("prefix", "") + "sample_weight": sample_weight}


def fit_member(estimator, X, y, name, message=None, fit_params=None):
    """Fit one member; an error names the member.

    ``fit_params`` are passed as they are (sample weights already in the
    form the member takes, see :func:`weight_kwargs`).
    """
    start = time.perf_counter()
    try:
        estimator.fit(X, y, **(fit_params or {}))
    except Exception as exc:
        msg = (
            f"Member {name!r} ({type(estimator).__name__}) failed to fit on its "
            f"{len(y)} rows: {exc}"
        )
        try:
            new = type(exc)(msg)
        except Exception:
            raise RuntimeError(msg) from exc
        raise new from exc
    if message is not None:
        print(f"{message} in {time.perf_counter() - start:.2f}s", flush=True)
    return estimator


def with_classes(estimator, classes):
    """A skorch classifier told every class of the ensemble.

    A skorch net learns class positions and its module outputs one column
    per class of the whole problem, but its ``classes_`` would only list the
    labels of its own rows; setting its ``classes`` parameter keeps the two
    in step. Other estimators are returned unchanged. ``estimator`` is a
    fresh clone, so this never touches the user's object.
    """
    net = final_skorch_net(estimator)
    if net is None or net.get_params().get("classes") is not None:
        return estimator
    if net is estimator:
        return estimator.set_params(classes=list(classes))
    return estimator.set_params(**{f"{estimator.steps[-1][0]}__classes": list(classes)})


def is_pretrained(estimator):
    """Whether a member arrives fitted (wrapped in ``FrozenEstimator``)."""
    from sklearn.frozen import FrozenEstimator

    return isinstance(estimator, FrozenEstimator)


def continue_fit(fitted, X, y, name, classes, message=None, fit_params=None):
    """Update a fitted (pre-trained) member on new rows, from where it is.

    The member is deep-copied, then trained further in the way its learner
    allows: a skorch net or a learner with ``partial_fit`` continues with
    ``partial_fit``; a learner with ``warm_start`` is refitted from its
    current state (a forest or boosting model with ``n_estimators`` grows
    as many new estimators, fitted on the new rows, as it had). A learner
    that can do neither is refitted from scratch on the rows, with a
    warning.
    """
    import copy

    est = copy.deepcopy(fitted)
    params = est.get_params(deep=False)
    kwargs = dict(fit_params or {})
    start = time.perf_counter()
    known = getattr(est, "classes_", None)
    # a scikit-learn learner cannot grow new classes by continuing
    new = [] if known is None else np.setdiff1d(np.unique(y), known).tolist()
    try:
        if final_skorch_net(est) is not None and hasattr(est, "partial_fit"):
            est.partial_fit(X, y, **kwargs)
        elif not new and hasattr(est, "partial_fit"):
            extra = {} if known is None else {"classes": np.asarray(known)}
            est.partial_fit(X, y, **extra, **kwargs)
        elif not new and "warm_start" in params:
            update = {"warm_start": True}
            if isinstance(params.get("n_estimators"), Integral):
                update["n_estimators"] = 2 * params["n_estimators"]
            est.set_params(**update).fit(X, y, **kwargs)
        else:
            why = (
                f"never saw the classes {new} it is now taught"
                if new
                else "can neither partial_fit nor warm_start"
            )
            warnings.warn(
                f"Pre-trained member {name!r} ({type(est).__name__}) {why}, so "
                "distillation refits it from scratch on its site's rows plus "
                "its virtual rows.",
                UserWarning,
                stacklevel=2,
            )
            from sklearn.base import clone

            est = clone(fitted).fit(X, y, **kwargs)
    except Exception as exc:
        raise type(exc)(
            f"Pre-trained member {name!r} ({type(est).__name__}) failed to "
            f"continue training on {len(y)} rows: {exc}"
        ) from exc
    if message is not None:
        print(f"{message} in {time.perf_counter() - start:.2f}s", flush=True)
    return est


def check_member_classes(name, y):
    """A member must see at least two classes on its own rows."""
    classes = np.unique(y)
    if classes.size < 2:
        raise ValueError(
            f"Member {name!r} owns rows of only one class ({classes.tolist()}); "
            "a classifier needs at least two classes to be fitted. Got "
            f"{len(y)} row(s) all labelled {classes.tolist()[0]!r} instead. Reassign "
            "rows with site, or leave this member out."
        )


def aligned_proba(estimator, X, classes):
    """``predict_proba`` with one column per class of ``classes``.

    Columns follow the member's ``classes_``; a class the member never saw
    gets probability 0. A skorch net whose module outputs one column per
    class of the whole problem (its ``classes_`` only lists the labels of its
    own rows) is taken as it is: its columns are class positions.
    """
    proba = np.asarray(estimator.predict_proba(X), dtype=float)
    member_classes = np.asarray(estimator.classes_)
    if proba.shape[1] == classes.shape[0] and (
        proba.shape[1] != member_classes.shape[0]
        or np.array_equal(member_classes, classes)
    ):
        return proba
    if proba.shape[1] != member_classes.shape[0]:
        raise ValueError(
            f"{type(estimator).__name__}.predict_proba returned {proba.shape[1]} "
            f"columns, but the member knows {member_classes.shape[0]} classes and "
            f"the ensemble {classes.shape[0]}. A net's output layer needs one "
            "unit per class of the ensemble."
        )
    return align_proba(proba, member_classes, classes)


def is_integral(value):
    return isinstance(value, Integral) and not isinstance(value, bool)
