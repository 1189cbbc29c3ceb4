"""Utilities shared by skcoop's packages: scales, distances, optional imports.

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
from ._optional import import_optional, is_installed

__all__ = [
    "check_scale",
    "column_kind",
    "feature_scale",
    "import_optional",
    "is_frame",
    "is_installed",
    "mixed_changed",
    "mixed_kneighbors",
    "mixed_nearest",
    "mixed_rowwise",
    "needs_tabular",
]
