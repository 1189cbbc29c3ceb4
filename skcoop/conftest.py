"""Doctest collection: skip the modules whose examples need a missing extra.

The default test run collects the examples of every module; in an install
without an extra (the core alone, or the minimum versions CI tests), the
modules that need it are left out here, in one place.
"""

# SPDX-License-Identifier: BSD-3-Clause

from skcoop.utils import is_installed

# module patterns (relative to this folder) -> the packages their examples need
_NEEDS = {
    "distill/_skorch.py": ("torch", "skorch"),
    "counterfactual/_torch.py": ("torch",),
    "federated/_nets.py": ("torch", "skorch"),
    "federated/_consolidate.py": ("torch", "skorch"),
    "privacy/_by_teacher.py": ("pandas",),
    "silo/*.py": ("skops", "pyarrow", "pandas"),
    "flower/*.py": ("flwr", "torch", "skorch", "skops", "pyarrow"),
    "flower/*/*.py": ("flwr", "torch", "skorch", "skops", "pyarrow"),
    "inspection/_*.py": ("matplotlib",),
}

collect_ignore_glob = [
    pattern
    for pattern, packages in _NEEDS.items()
    if not all(is_installed(name) for name in packages)
]
