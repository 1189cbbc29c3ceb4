"""Doctest collection: skip the Displays' modules where matplotlib is missing."""

# SPDX-License-Identifier: BSD-3-Clause

from skcoop.utils import is_installed

collect_ignore = []
if not is_installed("matplotlib"):
    collect_ignore.extend(
        ["_counterfactual.py", "_privacy.py", "_scores.py", "_transfer.py"]
    )
