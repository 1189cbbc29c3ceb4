"""Utilities shared by skcoop's packages: scales, distances, imports, docstrings.

The floor of the package: it imports nothing else of skcoop.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._distance import (
    check_scale,
    column_kind,
    feature_scale,
    is_frame,
    mixed_changed,
    mixed_kneighbors,
    mixed_nearest,
    mixed_rowwise,
    needs_tabular,
)
from ._docstring import Substitution
from ._estimators import (
    RowsLesson,
    align_proba,
    aligned_proba,
    concat_rows,
    continuation,
    continue_fit,
    final_skorch_net,
    fit_member,
    is_fitted,
    is_pretrained,
    is_skorch_net,
    is_torch_model,
    learn_lesson,
    sample_weight_key,
    start_student,
    starting_point,
    take,
    weight_kwargs,
    with_classes,
)
from ._optional import import_optional, is_installed
from ._progress import SearchProgress
from ._stable import RTOL, at_most, snap, snap_columns, stable_argmax
from ._warnings import warn_at_caller

__all__ = [
    "RowsLesson",
    "SearchProgress",
    "Substitution",
    "align_proba",
    "at_most",
    "aligned_proba",
    "check_scale",
    "column_kind",
    "concat_rows",
    "continuation",
    "continue_fit",
    "feature_scale",
    "final_skorch_net",
    "fit_member",
    "import_optional",
    "is_fitted",
    "is_frame",
    "is_installed",
    "is_pretrained",
    "is_skorch_net",
    "is_torch_model",
    "learn_lesson",
    "mixed_changed",
    "mixed_kneighbors",
    "mixed_nearest",
    "mixed_rowwise",
    "needs_tabular",
    "sample_weight_key",
    "snap",
    "snap_columns",
    "stable_argmax",
    "start_student",
    "starting_point",
    "take",
    "warn_at_caller",
    "weight_kwargs",
    "with_classes",
]
