"""Doctest collection: skip the Flower apps where flwr or torch is missing."""

# SPDX-License-Identifier: BSD-3-Clause

from skcoop.utils import is_installed

collect_ignore_glob = []
if not (is_installed("flwr") and is_installed("torch")):
    collect_ignore_glob.append("*.py")
    collect_ignore_glob.append("*/*.py")
