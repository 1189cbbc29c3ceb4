"""Quintessential-counterfactual search.

A search is fitted on a teacher's own rows, then ``generate(model, X, y)``
returns, for every row at once, a nearby point that the model sees as a more
typical member of the row's class.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._base import (
    BaseCounterfactualSearch,
    CounterfactualResult,
    feature_scale,
    quintessential_target,
)
from ._bisection import BisectionSearch

__all__ = [
    "BaseCounterfactualSearch",
    "BisectionSearch",
    "CounterfactualResult",
    "feature_scale",
    "quintessential_target",
]
