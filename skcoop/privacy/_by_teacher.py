"""The audit of released rows grouped by teacher, as a table."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ..utils import import_optional, is_frame
from ._audit import audit_release

__all__ = ["audit_ensemble", "audit_summary"]

_ATTACKS = ("distance", "calibrated", "prototype", "shell")


def audit_summary(report):
    """One flat row of an :func:`audit_release` report: the numbers to act on.

    Parameters
    ----------
    report : Bunch
        What :func:`audit_release` returns.

    Returns
    -------
    row : dict
        ``dcr_ratio`` (median distance of released rows to the site over a
        holdout's; near 0: copies), ``share_below_holdout_5pct``,
        ``mia_auc`` and ``mia_tpr_at_1pct_fpr`` (the strongest attack run,
        named in ``mia_attack``), ``reconstruction_share``.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.privacy import audit_release, audit_summary
    >>> rng = np.random.RandomState(0)
    >>> site, holdout = rng.normal(size=(80, 3)), rng.normal(size=(80, 3))
    >>> row = audit_summary(audit_release(site[:20] + 1e-3, site, holdout))
    >>> row["mia_auc"] > 0.6, row["reconstruction_share"] >= 20 / 80
    (True, True)
    """
    mia = report.membership
    attacks = [a for a in _ATTACKS if a in mia]
    worst = max(attacks, key=lambda a: (mia[a].auc, mia[a].tpr_at_1pct_fpr))
    return {
        "dcr_ratio": float(report.dcr.ratio),
        "share_below_holdout_5pct": float(report.dcr.share_below_holdout_5pct),
        "mia_auc": float(mia[worst].auc),
        "mia_tpr_at_1pct_fpr": float(max(mia[a].tpr_at_1pct_fpr for a in attacks)),
        "mia_attack": worst,
        "reconstruction_share": float(report.reconstruction.share),
    }


def _take(X, rows=None, columns=None):
    if is_frame(X):
        out = X if rows is None else X.iloc[rows]
        return out if columns is None else out[list(columns)]
    out = np.asarray(X)
    out = out if rows is None else out[rows]
    return out if columns is None else out[:, list(columns)]


def _distinct(X):
    if is_frame(X):
        return X.drop_duplicates().reset_index(drop=True)
    return np.unique(np.asarray(X), axis=0)


def _columns_of(ens):
    """Each member's own columns (None: all), from the ``estimators`` items."""
    return {
        item[0]: (list(item[2]) if len(item) == 3 and item[2] is not None else None)
        for item in ens.estimators
    }


def _site_names(site, names):
    site = np.asarray(site)
    if site.dtype.kind in "iu":
        if site.size and (site.min() < 0 or site.max() >= len(names)):
            raise ValueError(
                f"site must hold member names or indices in [0, {len(names) - 1}]. "
                f"Got values from {site.min()} to {site.max()} instead."
            )
        return np.asarray(names, dtype=object)[site]
    unknown = sorted(set(site.tolist()) - set(names))
    if unknown:
        raise ValueError(
            f"site must hold member names {names} or their indices. Got "
            f"{unknown} instead."
        )
    return site.astype(object)


def audit_ensemble(
    ens, X, y, site, *, X_holdout=None, y_holdout=None, by="teacher", random_state=0
):
    """Audit what each teacher of a fitted ensemble released, as a table.

    The released rows are the ensemble's ``virtual_instances_``, regrouped
    by teacher: each teacher's distinct rows are audited against that
    teacher's own records (:func:`audit_release`, members: the teacher's
    rows, the class mix matched with ``y``).

    Parameters
    ----------
    ens : fitted CooperativeDistillationEnsemble or Regressor
    X : array-like or DataFrame of shape (n_samples, n_features)
        The rows the ensemble was fitted on.
    y : array-like of shape (n_samples,)
        Their labels.
    site : array-like of shape (n_samples,)
        The member (name or index) each row belongs to, as given to ``fit``.
    X_holdout, y_holdout : array-like, default=None
        Records no site used (the attacks' non-members). None: for each
        teacher, the rows of the other sites (never seen by that teacher
        under ``pool="site"``; with class matching they stand in for fresh
        records, though they come from other sites' distributions).
    by : {"teacher", "pair"}, default="teacher"
        One row per teacher (all its students' rows together; they must be
        in the same columns), or per teacher and student.
    random_state : int, default=0
        Passed to :func:`audit_release`.

    Returns
    -------
    table : pandas.DataFrame
        One row per teacher (or pair): ``teacher`` (and ``student``),
        ``n_released`` (distinct rows), ``n_records`` (the teacher's rows)
        and the columns of :func:`audit_summary`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skcoop import CooperativeDistillationEnsemble
    >>> from skcoop.privacy import audit_ensemble
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> site = np.arange(len(y)) % 2
    >>> ens = CooperativeDistillationEnsemble(
    ...     [("nb", GaussianNB()),
    ...      ("lr", make_pipeline(StandardScaler(), LogisticRegression()))],
    ...     guard=None, random_state=0).fit(X, y, site=site)
    >>> table = audit_ensemble(ens, X, y, site)
    >>> table["teacher"].tolist()
    ['nb', 'lr']
    >>> bool((table["mia_auc"] > 0.9).all())  # unguarded rows give members away
    True
    """
    pd = import_optional("pandas", "audit tables")
    if by not in ("teacher", "pair"):
        raise ValueError(f'by must be "teacher" or "pair". Got {by!r} instead.')
    names = list(ens.named_estimators_)
    owner = _site_names(site, names)
    y = np.asarray(y)
    columns = _columns_of(ens)
    entries = []
    for teacher in names:
        own = np.flatnonzero(owner == teacher)
        groups = {}
        for student in names:
            v = ens.virtual_instances_[student]
            hit = np.flatnonzero(np.asarray(v.teacher, dtype=object) == teacher)
            if hit.size:
                groups[student] = (_take(v.X, hit), columns.get(student))
        if not groups:
            continue
        if by == "teacher":
            shared = {str(c) for _, c in groups.values()}
            if len(shared) > 1:
                raise ValueError(
                    f"Teacher {teacher!r} released rows in different columns to "
                    f"{sorted(groups)}; audit them with by='pair'."
                )
            rows = [r for r, _ in groups.values()]
            stacked = (
                pd.concat(rows, ignore_index=True)
                if is_frame(rows[0])
                else np.vstack(rows)
            )
            groups = {None: (stacked, next(iter(groups.values()))[1])}
        if X_holdout is None:
            other = np.flatnonzero(owner != teacher)
            hold, y_hold = _take(X, other), y[other]
        else:
            hold, y_hold = (
                X_holdout,
                None if y_holdout is None else np.asarray(y_holdout),
            )
        for student, (released, cols) in groups.items():
            released = _distinct(released)
            report = audit_release(
                released,
                _take(X, own, cols),
                _take(hold, None, cols),
                y_members=y[own] if y_hold is not None else None,
                y_holdout=y_hold,
                random_state=random_state,
            )
            entry = {"teacher": teacher}
            if by == "pair":
                entry["student"] = student
            entry.update(n_released=len(released), n_records=len(own))
            entry.update(audit_summary(report))
            entries.append(entry)
    return pd.DataFrame(entries)
