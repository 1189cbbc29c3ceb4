"""skcoop: cooperative knowledge distillation between heterogeneous learners.

Members trained on their own data (sites, silos, subsets, possibly with their
own columns) improve one another without pooling raw rows: where one member is
right and another wrong, the first searches a quintessential counterfactual,
a nearby point it sees as a more typical member of the true class, and hands it
to the second as a labelled virtual instance.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._cooperative import CooperativeDistillationEnsemble
from ._members import EmptySiteWarning, PooledFitWarning
from ._regressor import CooperativeDistillationRegressor
from ._strategy import CounterfactualDistiller

__version__ = "0.1.0.dev0"

__all__ = [
    "CooperativeDistillationEnsemble",
    "CooperativeDistillationRegressor",
    "CounterfactualDistiller",
    "EmptySiteWarning",
    "PooledFitWarning",
    "__version__",
]
