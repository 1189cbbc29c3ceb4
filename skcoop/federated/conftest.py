"""Doctest collection: skip the torch nets where torch or skorch is missing."""

# SPDX-License-Identifier: BSD-3-Clause

from skcoop.utils import is_installed

collect_ignore = []
if not (is_installed("torch") and is_installed("skorch")):
    collect_ignore.append("_nets.py")
