"""Members of a cooperative ensemble: specs, sites and the rows they own."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from .utils import (
    checked_weight_kwargs,
    is_pretrained,
    warn_at_caller,
    with_classes,
)

__all__ = ["EmptySiteWarning", "OneClassMember", "PooledFitWarning"]


class EmptySiteWarning(UserWarning):
    """A member owns no row in this fit and sits it out.

    This happens by design in leave-one-site-out cross-validation, where the
    held-out site's member has no training row.
    """


class PooledFitWarning(UserWarning):
    """A fit got no site of its rows, so every member saw every row.

    Set the ensemble's ``site_column``, pass ``fit(X, y, site=...)`` or give
    a ``partition`` to fit one member per site.
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
    site = _check_site_values(site, names)
    values = [str(v) for v in np.unique(site.astype(str))] if site.size else []
    if site.dtype.kind in "iuf":
        _check_ambiguous_names(names)
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


def _check_site_values(site, names):
    """Reject missing and non-integer numbers in ``site``; object -> typed."""
    k = len(names)
    if site.dtype == object:
        numbers = [v for v in site if not isinstance(v, str)]
        if numbers and len(numbers) < site.size:
            raise ValueError(
                "site mixes member names and numbers (for example "
                f"{numbers[0]!r}). Got a mix instead. Use member names "
                f"{list(names)} or positions 0..{k - 1}, not both."
            )
        site = np.asarray(numbers) if numbers else site.astype(str)
    if site.dtype.kind not in "iufUSb" and site.size:
        raise ValueError(
            "site must hold member names (strings) or positions (integers "
            f"0..{k - 1}). Got values of dtype {site.dtype} instead."
        )
    if site.dtype.kind == "b":
        raise ValueError(
            "site must hold member names or positions 0..k-1, not booleans. Got "
            "a boolean array instead. Convert it, for example site.astype(int)."
        )
    if site.dtype.kind == "f":
        missing = ~np.isfinite(site)
        if missing.any():
            raise ValueError(
                f"site contains NaN or infinity ({int(missing.sum())} rows), "
                "which is not a member name nor a position. Every row needs a "
                f"member name {list(names)} or a position 0..{k - 1}."
            )
        fractional = site != np.round(site)
        if fractional.any():
            odd = np.unique(site[fractional])[:5].tolist()
            raise ValueError(
                f"site contains non-integer numbers {odd}, "
                f"which are not member names nor positions. Got them instead of "
                f"member names {list(names)} or positions 0..{k - 1}."
            )
    return site


def _check_ambiguous_names(names):
    """Integer sites are positions; names that read as integers make it ambiguous."""
    looks_int = [
        n for n in names if isinstance(n, str) and n.strip().lstrip("+-").isdigit()
    ]
    if looks_int:
        raise ValueError(
            f"site holds integers, but members {looks_int} have names that read "
            "as integers, so it is ambiguous whether a site label is a name or a "
            "position. Pass names or positions unambiguously: site as strings "
            "of the member names (for example site.astype(str)), or rename the "
            "members so that no name reads as an integer."
        )


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
            warn_at_caller(
                f"Member {names[m]!r} owns no row in this fit and sits it out "
                "(as in leave-one-site-out cross-validation). Its estimator is "
                "not fitted and it does not vote.",
                EmptySiteWarning,
            )
    if len(active) < 2:
        raise ValueError(
            "Cooperative distillation needs at least two members with rows. Got "
            f"{len(active)} member(s) with rows ({[names[m] for m in active]}) "
            "instead. Check site, or give more members."
        )
    return active


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


# ------------------------------------------------------------ one-class sites
class OneClassMember(ClassifierMixin, BaseEstimator):
    """A member whose rows hold one class: it learns as a student only.

    Fitted on rows of one class, it predicts that class (probability 1) and
    teaches nothing. Fitted on rows of two classes or more (its own rows plus
    the virtual rows of other classes it received in distillation), it fits a
    clone of ``estimator`` and behaves as it. The ensemble wraps the members
    of one-class sites in it and unwraps them after distillation; a member
    that still holds one class then is an error.

    Parameters
    ----------
    estimator : classifier
        The member's estimator.
    classes : array-like, default=None
        The ensemble's classes (told to a skorch net when it is fitted).

    Attributes
    ----------
    estimator_ : classifier or None
        The fitted clone of ``estimator``; None while the rows hold one class.
    classes_ : ndarray
        The classes it knows.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> member = OneClassMember(LogisticRegression()).fit([[0.0], [1.0]], [1, 1])
    >>> member.predict([[5.0]]), member.estimator_ is None
    (array([1]), True)
    >>> member.fit([[0.0], [1.0]], [0, 1]).predict([[5.0]])
    array([1])
    """

    def __init__(self, estimator, classes=None):
        self.estimator = estimator
        self.classes = classes

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the estimator if ``y`` holds two classes or more.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Passed on to the estimator (an estimator whose fit takes no
            weights accepts only equal ones).
        **fit_params : dict
            Passed on to the estimator.

        Returns
        -------
        self : object
        """
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if self.classes_.size < 2:
            self.estimator_ = None
            return self
        est = clone(self.estimator)
        if self.classes is not None:
            est = with_classes(est, self.classes)
        if sample_weight is not None:
            kw = checked_weight_kwargs(
                est,
                sample_weight,
                type(est).__name__,
                "Use a learner whose fit takes sample_weight, or pass equal weights.",
            )
            fit_params.update(kw or {})
        self.estimator_ = est.fit(X, y, **fit_params)
        self.classes_ = np.asarray(self.estimator_.classes_)
        return self

    @property
    def can_teach_(self):
        """Whether it holds more than one class (a placeholder teaches nothing)."""
        return getattr(self, "estimator_", None) is not None

    def predict_proba(self, X):
        """Probability 1 for the only class, or the estimator's probabilities."""
        check_is_fitted(self, "classes_")
        if self.estimator_ is not None:
            return self.estimator_.predict_proba(X)
        n = X.shape[0] if hasattr(X, "shape") else len(X)
        return np.ones((n, 1))

    def predict(self, X):
        """The only class, or the estimator's prediction."""
        check_is_fitted(self, "classes_")
        if self.estimator_ is not None:
            return self.estimator_.predict(X)
        n = X.shape[0] if hasattr(X, "shape") else len(X)
        return np.full(n, self.classes_[0])


def wrap_one_class(templates, rows, y, classes):
    """Templates with the members of one-class sites wrapped (see above).

    Pre-trained members (``FrozenEstimator``) are left as they are.
    """
    out = list(templates)
    for m, template in enumerate(templates):
        if is_pretrained(template):
            continue
        if rows[m].size and np.unique(y[rows[m]]).size < 2:
            out[m] = OneClassMember(template, classes=classes)
    return out


def unwrap_one_class(names, students):
    """The distilled members, unwrapped; a member still of one class raises."""
    out = []
    for name, est in zip(names, students):
        if isinstance(est, OneClassMember):
            if est.estimator_ is None:
                raise ValueError(
                    f"Member {name!r} owns rows of only one class "
                    f"({est.classes_.tolist()}) and still held one class after "
                    "distillation: it received no virtual row of another class. "
                    "Got a member that cannot be fitted as a classifier instead. "
                    "Give it rows of another class with site, run distillation "
                    "(n_rounds >= 1) with members that can teach it, or leave it "
                    "out (the release guard, on by default, releases nothing "
                    "of a class with fewer than 20 rows on a teacher's site; "
                    "guard=None turns it off)."
                )
            est = est.estimator_
        out.append(est)
    return out
