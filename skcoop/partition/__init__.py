"""Site assignment for simulations: which member of an ensemble owns each row.

Every partitioner here is a small object whose ``split(X, y=None)`` returns a
``site`` vector: one integer in ``0 .. n_sites - 1`` per row of ``X``, the
form that :class:`~skcoop.CooperativeDistillationEnsemble` takes as its
``site`` fit parameter. An ensemble given a partitioner as its ``partition``
parameter calls ``split`` in ``fit`` when ``fit`` gets no ``site``.

- :class:`IIDPartitioner`: shuffled, near-equal sizes.
- :class:`DirichletPartitioner`: label skew, per-class Dirichlet proportions
  (after flwr-datasets' ``DirichletPartitioner``).
- :class:`ClassExclusionPartitioner`: each site lacks the classes you name.
- :class:`QuantitySkewPartitioner`: site sizes skewed, labels IID.
- :class:`FeatureViewPartitioner`: vertical views, each site sees the shared
  columns plus its own share of the others.

A partitioner never modifies its input, and a fixed integer ``random_state``
gives the same split on every call. The objects are scikit-learn estimators as
far as parameters go (``get_params``, ``set_params``, ``clone``), so an
ensemble's ``partition__alpha`` can be grid-searched.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._columns import FeatureViewPartitioner
from ._labels import ClassExclusionPartitioner, DirichletPartitioner
from ._rows import IIDPartitioner, QuantitySkewPartitioner

__all__ = [
    "ClassExclusionPartitioner",
    "DirichletPartitioner",
    "FeatureViewPartitioner",
    "IIDPartitioner",
    "QuantitySkewPartitioner",
]
