"""Utilities shared by skcoop's packages: scales, distances, imports, docstrings.

The floor of the package: it imports nothing else of skcoop. The names in
``__all__`` are for users (writing a strategy, measuring distances the way
the searches do); the rest below is the package's own plumbing, importable
here because other packages may not import a private module, but not public
API (each imported as ``name as name``).
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._constraints import check_count, count, number
from ._distance import check_frame_columns as check_frame_columns
from ._distance import (
    check_scale,
    feature_scale,
    mixed_changed,
    mixed_kneighbors,
    mixed_nearest,
    mixed_rowwise,
    needs_tabular,
)
from ._distance import column_kind as column_kind
from ._distance import is_frame as is_frame
from ._docstring import Substitution
from ._estimators import (
    RowsLesson,
    continuation,
    learn_lesson,
    sample_weight_key,
    starting_point,
    weight_kwargs,
)
from ._estimators import checked_weight_kwargs as checked_weight_kwargs
from ._estimators import concat_rows as concat_rows
from ._estimators import final_skorch_net as final_skorch_net
from ._estimators import fit_member as fit_member
from ._estimators import in_dtype_of as in_dtype_of
from ._estimators import is_fitted as is_fitted
from ._estimators import is_per_row as is_per_row
from ._estimators import is_pretrained as is_pretrained
from ._estimators import is_skorch_net as is_skorch_net
from ._estimators import is_torch_model as is_torch_model
from ._estimators import renamed_error as renamed_error
from ._estimators import take as take
from ._estimators import take_rows as take_rows
from ._estimators import with_classes as with_classes
from ._optional import import_optional, is_installed
from ._outputs import align_proba, aligned_proba, check_proba, member_output
from ._outputs import check_prediction as check_prediction
from ._outputs import member_labels as member_labels
from ._outputs import member_name as member_name
from ._outputs import name_member as name_member
from ._progress import SearchProgress as SearchProgress
from ._seeds import SEED_MAX as SEED_MAX
from ._seeds import draw_seed as draw_seed
from ._seeds import offset_seed as offset_seed
from ._stable import RTOL as RTOL
from ._stable import at_most as at_most
from ._stable import snap as snap
from ._stable import snap_columns as snap_columns
from ._stable import stable_argmax as stable_argmax
from ._warm import cooled as cooled
from ._warm import warm_student as warm_student
from ._warnings import warn_at_caller as warn_at_caller

__all__ = [
    "RowsLesson",
    "Substitution",
    "align_proba",
    "aligned_proba",
    "check_count",
    "check_proba",
    "check_scale",
    "continuation",
    "count",
    "feature_scale",
    "import_optional",
    "is_installed",
    "learn_lesson",
    "member_output",
    "mixed_changed",
    "mixed_kneighbors",
    "mixed_nearest",
    "mixed_rowwise",
    "needs_tabular",
    "number",
    "sample_weight_key",
    "starting_point",
    "weight_kwargs",
]
