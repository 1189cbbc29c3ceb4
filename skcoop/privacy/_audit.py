"""Audits of released rows against the site's records and a holdout."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import Bunch, check_random_state

from ._attacks import _check_attack_settings, membership_inference
from ._space import _Space

__all__ = ["audit_release", "distance_to_closest_record", "reconstruction_risk"]


def _setup(released, X_site, X_holdout, scale):
    space = _Space(X_site, scale, what="X_site")
    released = space.rows(released, "released")
    if space.n_rows(released) == 0:
        raise ValueError("released has 0 rows; there is nothing to audit.")
    X_holdout = space.rows(X_holdout, "X_holdout")
    n_h = space.n_rows(X_holdout)
    if n_h < 2:
        raise ValueError(
            f"X_holdout needs at least 2 rows for a nearest-neighbour estimate. "
            f"Got {n_h} instead."
        )
    holdout_dcr = space.nearest(X_holdout, space.X_site, "X_holdout")
    overlap = np.flatnonzero(holdout_dcr == 0)
    if overlap.size:
        raise ValueError(
            f"X_holdout must be records the site never used, but {overlap.size} "
            f"of its rows equal rows of X_site (holdout rows "
            f"{overlap[:5].tolist()}{' ...' if overlap.size > 5 else ''}). "
            "Remove them from X_holdout."
        )
    return space, released, X_holdout, holdout_dcr


def distance_to_closest_record(
    released, X_site, X_holdout, *, scale=None, random_state=0
):
    """Distance to closest record (DCR) of released rows, against a holdout's.

    The synthetic-data convention (sdmetrics' ``DCRBaselineProtection`` and
    ``DCROverfittingProtection``, synthcity's DCR): a released row that sits
    much closer to the site's records than fresh records of the same
    distribution do is close to a copy.

    Parameters
    ----------
    released : array-like or DataFrame of shape (n_released, n_features)
        Rows that left the site.
    X_site : array-like or DataFrame of shape (n_site, n_features)
        The site's own records.
    X_holdout : array-like or DataFrame of shape (n_holdout, n_features)
        Records of the same distribution the site never used (none may equal
        a row of ``X_site``).
    scale : array-like of shape (n_features,), default=None
        Distance unit per column; None: :func:`site_scale` of ``X_site``.
    random_state : int, RandomState instance or None, default=0
        Draws the equal-size subsample of ``share_closer_to_site``.

    Returns
    -------
    report : :class:`~sklearn.utils.Bunch`
        - ``released_dcr``, ``holdout_dcr``: per row, the distance to the
          nearest row of ``X_site``;
        - ``median_released``, ``median_holdout`` and ``ratio`` (released
          over holdout; 1 for rows as far as fresh records, near 0 for
          copies);
        - ``nn_distance``: the median nearest-neighbour distance among the
          rows of ``X_site`` (each to its nearest other row), the unit of
          ``min_distance`` in :func:`guard_release`, and ``median_released``
          in that unit (``median_released_nn``);
        - ``share_below_holdout_5pct``: share of released rows closer to the
          site than the 5th percentile of ``holdout_dcr`` (0.05 for rows
          like fresh records);
        - ``share_closer_to_site``: share of released rows nearer to a site
          row than to a holdout row, with site and holdout subsampled to the
          same size (0.5 for rows like fresh records, 1 for copies).

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.privacy import distance_to_closest_record
    >>> rng = np.random.RandomState(0)
    >>> site, holdout = rng.normal(size=(100, 4)), rng.normal(size=(100, 4))
    >>> rep = distance_to_closest_record(site[:30] + 0.01, site, holdout)
    >>> rep.share_below_holdout_5pct, rep.share_closer_to_site
    (1.0, 1.0)
    """
    space, released, X_holdout, holdout_dcr = _setup(released, X_site, X_holdout, scale)
    return _dcr(space, released, X_holdout, holdout_dcr, random_state)


def _dcr(space, released, X_holdout, holdout_dcr, random_state):
    released_dcr = space.nearest(released, space.X_site, "released")
    unit = space.unit()
    n_s, n_h = space.n_rows(space.X_site), space.n_rows(X_holdout)
    n = min(n_s, n_h)
    rng = check_random_state(random_state)
    site_sub = space.take(space.X_site, np.sort(rng.permutation(n_s)[:n]))
    hold_sub = space.take(X_holdout, np.sort(rng.permutation(n_h)[:n]))
    to_site = space.nearest(released, site_sub, "released")
    to_hold = space.nearest(released, hold_sub, "released")
    med_r = float(np.median(released_dcr))
    med_h = float(np.median(holdout_dcr))
    return Bunch(
        released_dcr=released_dcr,
        holdout_dcr=holdout_dcr,
        median_released=med_r,
        median_holdout=med_h,
        ratio=med_r / med_h if med_h > 0 else float("nan"),
        nn_distance=unit,
        median_released_nn=med_r / unit,
        share_below_holdout_5pct=float(
            np.mean(released_dcr < np.percentile(holdout_dcr, 5))
        ),
        share_closer_to_site=float(np.mean(to_site < to_hold)),
    )


def reconstruction_risk(released, X_site, *, sources=None, scale=None):
    """Share of records that have a released row closer than a typical neighbour.

    A record counts as reconstructed when some released row lies closer to
    it than the median nearest-neighbour distance among the site's own rows
    (``nn_distance``): nearer than the record's own neighbours typically are.

    Parameters
    ----------
    released : array-like or DataFrame of shape (n_released, n_features)
        Rows that left the site.
    X_site : array-like or DataFrame of shape (n_site, n_features)
        The site's own records.
    sources : array-like or DataFrame of shape (n_sources, n_features), default=None
        The records the released rows were made from; None: every row of
        ``X_site``.
    scale : array-like of shape (n_features,), default=None
        Distance unit per column; None: :func:`site_scale` of ``X_site``.

    Returns
    -------
    report : :class:`~sklearn.utils.Bunch`
        ``share`` (of the records), ``n_reconstructed``, ``n_records``,
        ``nn_distance`` and per record ``distance`` (to the nearest released
        row).

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.privacy import reconstruction_risk
    >>> site = np.arange(10.0).reshape(5, 2)
    >>> reconstruction_risk(site[:2] + 0.1, site).share  # rows 0, 1 and 2
    0.6
    """
    space = _Space(X_site, scale, what="X_site")
    released = space.rows(released, "released")
    records = space.X_site if sources is None else space.rows(sources, "sources")
    return _reconstruction(space, released, records)


def _reconstruction(space, released, records):
    unit = space.unit()
    if space.n_rows(released) == 0:
        d = np.full(space.n_rows(records), np.inf)
    else:
        d = space.nearest(records, released, "released")
    hit = d < unit
    return Bunch(
        share=float(hit.mean()) if hit.size else 0.0,
        n_reconstructed=int(hit.sum()),
        n_records=int(hit.size),
        nn_distance=unit,
        distance=d,
    )


def audit_release(
    released,
    X_site,
    X_holdout,
    *,
    sources=None,
    X_reference=None,
    scale=None,
    prototype_k=None,
    radius=None,
    y_members=None,
    y_holdout=None,
    random_state=0,
):
    """Audit rows a site released: DCR, membership inference, reconstruction.

    Parameters
    ----------
    released : array-like or DataFrame of shape (n_released, n_features)
        Rows that left the site (its virtual instances, all students
        together).
    X_site : array-like or DataFrame of shape (n_site, n_features)
        The site's own records: the reference of every distance and the
        source of the scale.
    X_holdout : array-like or DataFrame of shape (n_holdout, n_features)
        Records of the same distribution the site never used: the
        non-members of the attacks and the baseline of the DCR.
    sources : array-like or DataFrame, default=None
        The records the released rows were searched from; when given they
        are the attacks' members and the records of the reconstruction,
        otherwise every row of ``X_site`` is.
    X_reference : array-like or DataFrame, default=None
        Reference pool of the calibrated attacks (see
        :func:`membership_inference`); None: the holdout, leave-one-out.
    scale : array-like of shape (n_features,), default=None
        Distance unit per column; None: :func:`site_scale` of ``X_site``.
    prototype_k, radius : int and float, default=None
        Also run the guard-aware attacks of :func:`membership_inference`
        (``radius`` in units of ``nn_distance`` here).
    y_members, y_holdout : array-like, default=None
        Labels of the members (``sources`` if given, else ``X_site``) and of
        the holdout: given, the attacks weight the holdout to the members'
        class mix (see :func:`membership_inference`).
    random_state : int, RandomState instance or None, default=0
        Draws the subsample of ``share_closer_to_site``.

    Returns
    -------
    report : :class:`~sklearn.utils.Bunch`
        ``dcr`` (:func:`distance_to_closest_record`), ``membership``
        (:func:`membership_inference`), ``reconstruction``
        (:func:`reconstruction_risk`), ``scale`` and ``nn_distance``.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.privacy import audit_release
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 5))
    >>> site, holdout = X[:150], X[150:]
    >>> near_copies = site[:60] + rng.normal(scale=0.05, size=(60, 5))
    >>> audit = audit_release(near_copies, site, holdout, sources=site[:60])
    >>> audit.membership.distance.auc > 0.95, audit.reconstruction.share
    (True, 1.0)
    >>> fresh = audit_release(holdout[:60], site, holdout[60:], sources=site[:60])
    >>> round(fresh.membership.distance.auc, 2)
    0.55
    """
    _check_attack_settings(prototype_k, radius)
    space, released, X_holdout, holdout_dcr = _setup(released, X_site, X_holdout, scale)
    unit = space.unit()
    members = space.X_site if sources is None else space.rows(sources, "sources")
    mia = membership_inference(
        released,
        members,
        X_holdout,
        X_reference=X_reference,
        scale=space.scale,
        prototype_k=prototype_k,
        radius=None if radius is None else float(radius) * unit,
        y_members=y_members,
        y_nonmembers=y_holdout,
    )
    return Bunch(
        dcr=_dcr(space, released, X_holdout, holdout_dcr, random_state),
        membership=mia,
        reconstruction=_reconstruction(space, released, members),
        scale=space.scale,
        nn_distance=unit,
    )
