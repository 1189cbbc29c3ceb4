"""Membership inference against released rows: distance-based attacks.

An attacker sees the released rows and a candidate record, and scores how
likely the candidate was one of the site's records (a *member*). Higher
score: more likely a member. Reported as ROC AUC and as the true-positive
rate at a low false-positive rate (Carlini et al., "Membership Inference
Attacks From First Principles", IEEE S&P 2022).
"""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.utils import Bunch, check_consistent_length, column_or_1d

from ..utils import check_count
from ._prototype import neighbourhood_mean
from ._space import _Space

__all__ = ["membership_inference", "tpr_at_fpr"]

FPRS = (0.001, 0.01)


def tpr_at_fpr(y_true, score, fpr, *, sample_weight=None):
    """True-positive rate of the best threshold whose false-positive rate <= ``fpr``.

    Thresholds are the distinct scores (``sklearn.metrics.roc_curve`` with
    ``drop_intermediate=False``: a dropped collinear point can be the best
    one below ``fpr``), so
    tied scores are never split: a threshold admits all rows of a score or
    none, and no interpolation between ROC points is made. With ``n``
    negatives, a rate below ``1 / n`` admits no false positive at all.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        1 for members, 0 for non-members.
    score : array-like of shape (n_samples,)
        Higher means more likely a member.
    fpr : float
        Largest false-positive rate allowed, in [0, 1].
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows in both rates.

    Returns
    -------
    tpr : float

    Examples
    --------
    >>> from skcoop.privacy import tpr_at_fpr
    >>> tpr_at_fpr([1, 1, 0, 0], [3.0, 1.0, 2.0, 0.0], 0.0)
    0.5
    >>> tpr_at_fpr([1, 1, 0, 0], [2.0, 2.0, 2.0, 0.0], 0.4)  # a tie is not split
    0.0
    """
    if isinstance(fpr, bool) or not isinstance(fpr, Real) or not 0 <= fpr <= 1:
        raise ValueError(f"fpr must be in [0, 1]. Got {fpr!r} instead.")
    y_true = column_or_1d(y_true)
    check_consistent_length(y_true, score, sample_weight)
    found = set(np.unique(y_true).tolist())
    if not found <= {0, 1} or len(found) < 2:
        raise ValueError(
            "y_true must hold both members (1) and non-members (0) to give rates. "
            f"Got the labels {sorted(found)} instead."
        )
    f, t, _ = roc_curve(
        y_true,
        np.asarray(score, dtype=float),
        sample_weight=sample_weight,
        drop_intermediate=False,
    )
    return float(t[f <= fpr + 1e-12].max())


def _report(y_true, score, weight=None):
    out = Bunch(auc=float(roc_auc_score(y_true, score, sample_weight=weight)))
    for f in FPRS:
        out[_tpr_key(f)] = tpr_at_fpr(y_true, score, f, sample_weight=weight)
    if weight is not None:
        out.auc_unmatched = float(roc_auc_score(y_true, score))
    out.score = score
    return out


def _class_weights(y_members, y_nonmembers, n_m, n_n):
    """Non-member weights that give them the members' class mix."""
    if y_members is None and y_nonmembers is None:
        return None
    if y_members is None or y_nonmembers is None:
        raise ValueError(
            "y_members and y_nonmembers go together (class-matched attacks). "
            f"Got only {'y_members' if y_nonmembers is None else 'y_nonmembers'}."
        )
    y_members, y_nonmembers = np.asarray(y_members), np.asarray(y_nonmembers)
    if y_members.shape != (n_m,) or y_nonmembers.shape != (n_n,):
        raise ValueError(
            f"y_members and y_nonmembers need one label per candidate ({n_m} and "
            f"{n_n}). Got shapes {y_members.shape} and {y_nonmembers.shape} "
            "instead."
        )
    labels, counts = np.unique(y_members, return_counts=True)
    missing = np.setdiff1d(labels, y_nonmembers)
    if missing.size:
        raise ValueError(
            "Every class of the members needs non-members to match; classes "
            f"{missing.tolist()[:10]} have none. Got non-member classes "
            f"{np.unique(y_nonmembers).tolist()[:10]} instead."
        )
    share = dict(zip(labels.tolist(), (counts / n_m).tolist()))
    n_labels, n_counts = np.unique(y_nonmembers, return_counts=True)
    per = {
        lab: share.get(lab, 0.0) / (c / n_n)
        for lab, c in zip(n_labels.tolist(), n_counts.tolist())
    }
    weight = np.array([per[lab] for lab in y_nonmembers.tolist()])
    return np.r_[np.ones(n_m), weight]


def _tpr_key(f):
    return "tpr_at_" + f"{100 * f:g}".replace(".", "_") + "pct_fpr"


def _reference_distance(space, Q, R, exclude_self, what):
    """Nearest-row distance from ``Q`` to ``R``; rows flagged skip themselves."""
    if exclude_self is None:
        return space.nearest(Q, R, what)
    dist, ind = space.kneighbors(Q, R, 2, what)
    own = exclude_self >= 0
    first_is_self = own & (ind[:, 0] == exclude_self)
    return np.where(first_is_self, dist[:, 1], dist[:, 0])


def membership_inference(
    released,
    X_members,
    X_nonmembers,
    *,
    X_reference=None,
    scale=None,
    prototype_k=None,
    radius=None,
    y_members=None,
    y_nonmembers=None,
):
    """Distance attacks that tell members from non-members given released rows.

    Attacks (higher score = "member"):

    - ``"distance"`` (A1): minus the distance to the nearest released row.
    - ``"calibrated"`` (A2): minus that distance divided by the candidate's
      distance to the nearest row of a reference pool of the same
      distribution (``X_reference``; when None, the non-members themselves,
      each leaving its own row out). It discounts candidates in dense
      regions, which are close to everything.
    - ``"prototype"`` (guard-aware, only when ``prototype_k`` is given): the
      attacker knows released rows are means of ``k`` neighbouring records.
      A candidate's stand-in prototype is the mean of the candidate and its
      ``k - 1`` nearest reference rows; the score is minus its distance to
      the nearest released row, divided by the candidate's reference
      distance.
    - ``"shell"`` (guard-aware, only when ``radius`` is given): the attacker
      knows rows were pushed to at least ``radius`` from every record, and
      that a pushed row usually stops near that radius from its source: the
      score is minus ``|d - radius|``, ``d`` the distance to the nearest
      released row.

    Parameters
    ----------
    released : array-like or DataFrame of shape (n_released, n_features)
        The rows that left the site.
    X_members : array-like or DataFrame of shape (n_members, n_features)
        Records that were used (the site's rows, or the sources of the
        released rows).
    X_nonmembers : array-like or DataFrame of shape (n_nonmembers, n_features)
        Records of the same distribution that were never used.
    X_reference : array-like or DataFrame, default=None
        Reference pool for the calibrated attacks; never used, disjoint from
        the candidates.
    scale : array-like of shape (n_features,), default=None
        Distance unit per column; None: :func:`site_scale` of ``X_members``.
    prototype_k : int, default=None
        Run the prototype-aware attack with this ``k``.
    radius : float, default=None
        Run the shell attack with this radius (in the distance unit).
    y_members, y_nonmembers : array-like, default=None
        Class labels of the candidates. Given, the non-members are weighted
        so that their class mix equals the members' (ROC curves with
        ``sample_weight``). Released rows come from the rows a student got
        wrong, so their sources are not a random sample of the classes;
        without matching, an attack also scores that class mix, which says
        nothing about any record (``auc_unmatched`` keeps the raw AUC).

    Returns
    -------
    report : :class:`~sklearn.utils.Bunch`
        One Bunch per attack name with ``auc`` (ROC AUC),
        ``tpr_at_0_1pct_fpr`` and ``tpr_at_1pct_fpr`` (see
        :func:`tpr_at_fpr`), ``score`` (members first, then non-members)
        and, class-matched, ``auc_unmatched``; and ``y_true`` and
        ``sample_weight`` (None unless class-matched).

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.privacy import membership_inference
    >>> rng = np.random.RandomState(0)
    >>> members, others = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    >>> copies = members + 0.01  # released rows that nearly copy the records
    >>> mia = membership_inference(copies, members, others)
    >>> mia.distance.auc, mia.distance.tpr_at_1pct_fpr
    (1.0, 1.0)
    """
    _check_attack_settings(prototype_k, radius)
    space = _Space(X_members, scale, what="X_members")
    X_members = space.X_site
    X_nonmembers = space.rows(X_nonmembers, "X_nonmembers")
    released = space.rows(released, "released")
    if space.n_rows(released) == 0:
        raise ValueError("released has 0 rows; there is nothing to attack.")
    n_m, n_n = space.n_rows(X_members), space.n_rows(X_nonmembers)
    if n_n < 2:
        raise ValueError(f"X_nonmembers needs at least 2 rows. Got {n_n} instead.")
    candidates = _concat(space, X_members, X_nonmembers)
    y_true = np.r_[np.ones(n_m, dtype=int), np.zeros(n_n, dtype=int)]

    d_rel = space.nearest(candidates, released, "released")
    if X_reference is None:
        reference = X_nonmembers
        exclude = np.r_[np.full(n_m, -1), np.arange(n_n)]
    else:
        reference = space.rows(X_reference, "X_reference")
        exclude = None
    d_ref = _reference_distance(space, candidates, reference, exclude, "X_reference")
    floor = 1e-9 * max(float(np.median(d_ref)), 1e-12)
    d_ref = np.maximum(d_ref, floor)

    w = _class_weights(y_members, y_nonmembers, n_m, n_n)
    out = Bunch(y_true=y_true, sample_weight=w)
    out.distance = _report(y_true, -d_rel, w)
    out.calibrated = _report(y_true, -d_rel / d_ref, w)
    if prototype_k is not None:
        k = int(prototype_k)
        n_ref = space.n_rows(reference)
        if not 1 <= k <= n_ref:
            raise ValueError(
                f"prototype_k must be between 1 and the {n_ref} reference rows. "
                f"Got {prototype_k!r} instead."
            )
        if k == 1:
            proto = candidates
        else:
            kk = min(k, n_ref)
            _, ind = space.kneighbors(candidates, reference, kk, "X_reference")
            if exclude is not None:
                ind = _drop_self(ind, exclude, k - 1)
            else:
                ind = ind[:, : k - 1]
            proto = neighbourhood_mean(space, reference, ind, first=candidates)
        d_proto = space.nearest(proto, released, "released")
        out.prototype = _report(y_true, -d_proto / d_ref, w)
    if radius is not None:
        out.shell = _report(y_true, -np.abs(d_rel - float(radius)), w)
    return out


def _check_attack_settings(prototype_k, radius):
    """``prototype_k`` a count >= 1 and ``radius`` a positive finite distance."""
    if prototype_k is not None:
        check_count(prototype_k, "prototype_k", 1)
    if radius is not None and (
        isinstance(radius, bool)
        or not isinstance(radius, Real)
        or not np.isfinite(radius)
        or radius <= 0
    ):
        raise ValueError(
            "radius must be a positive, finite distance (the guard's "
            f"min_distance). Got {radius!r} instead."
        )


def _drop_self(ind, exclude, k):
    """The first ``k`` neighbour indices of each row that are not the row itself."""
    out = np.empty((ind.shape[0], k), dtype=ind.dtype)
    for r in range(ind.shape[0]):
        row = ind[r][ind[r] != exclude[r]]
        out[r] = row[:k]
    return out


def _concat(space, A, B):
    if space.frame:
        import pandas as pd

        return pd.concat([A, B], ignore_index=True)
    return np.vstack([A, B])
