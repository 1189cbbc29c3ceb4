"""Privacy of released rows: audits, attacks and the release guard.

Virtual instances are searched near a teacher's own records, so they can
reveal them. This module measures how much (distance to closest record,
membership inference, reconstruction; :func:`audit_release`) and bounds it
before rows leave a site (:func:`guard_release`); :func:`audit_ensemble`
audits a fitted ensemble's released rows per teacher. Distances are those of the
counterfactual search on the site's rows (:func:`site_scale`). None of this
is a formal guarantee such as differential privacy.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._attacks import membership_inference, tpr_at_fpr
from ._audit import audit_release, distance_to_closest_record, reconstruction_risk
from ._by_teacher import audit_ensemble, audit_summary
from ._guard import guard_release
from ._release_guard import ReleaseGuard
from ._space import site_scale

__all__ = [
    "ReleaseGuard",
    "audit_ensemble",
    "audit_release",
    "audit_summary",
    "distance_to_closest_record",
    "guard_release",
    "membership_inference",
    "reconstruction_risk",
    "site_scale",
    "tpr_at_fpr",
]
