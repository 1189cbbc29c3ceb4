"""Quintessential-counterfactual search.

A search is fitted on a teacher's own rows, then ``generate(model, X, y)``
returns, for every row at once, a nearby point that the model sees as a more
typical member of the row's class (or, for a regressor, a point whose
prediction is closer to the row's true value).

- :class:`BlackBoxSearch`: any model with ``predict_proba``/``predict``.
- :class:`GradientSearch`: torch modules and skorch nets, on their device.
- :class:`BisectionSearch`: the simplest batched baseline.
- :class:`LinearModelSearch`: binary logistic and linear regressors in
  closed form (one evaluation per row).
- :class:`TreeSearch`: tree ensembles from their leaf cells.
- :class:`NaiveBayesSearch`: Gaussian naive Bayes from its fitted
  parameters (one evaluation per row).
- :class:`NeighborsSearch`: kNN models from their nearest qualifying
  reference rows (one model call).
- :class:`ExactSearch`: minimal-cost counterfactuals of linear models and
  tree ensembles, as linear or mixed-integer programs (scipy's HiGHS).
- :func:`make_search`: ``"auto"`` picks a backend for a model.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ..utils import feature_scale
from ._auto import make_search
from ._base import BaseCounterfactualSearch
from ._bisection import BisectionSearch
from ._blackbox import BlackBoxSearch
from ._exact import ExactSearch
from ._knn import NeighborsSearch
from ._linear_model import LinearModelSearch
from ._naive_bayes import NaiveBayesSearch
from ._result import CounterfactualResult, quintessential_target
from ._torch import GradientSearch
from ._trees import TreeSearch

__all__ = [
    "BaseCounterfactualSearch",
    "BisectionSearch",
    "BlackBoxSearch",
    "CounterfactualResult",
    "ExactSearch",
    "GradientSearch",
    "LinearModelSearch",
    "NaiveBayesSearch",
    "NeighborsSearch",
    "feature_scale",
    "make_search",
    "TreeSearch",
    "quintessential_target",
]
