"""Flower apps for skcoop (the ``flower`` extra: ``pip install skcoop[flower]``).

- :mod:`skcoop.flower.fedavg`: federated averaging through Flower's ``FedAvg``
  strategy and Message API, from a random, pre-trained or consolidated
  starting model (:func:`~skcoop.flower.fedavg.run_fedavg`).

``flwr`` is imported only by this package; ``import skcoop`` and
``import skcoop.federated`` work without it.
"""

# SPDX-License-Identifier: BSD-3-Clause

from .fedavg import FedAvgHistory, FedAvgJob, run_fedavg

__all__ = ["FedAvgHistory", "FedAvgJob", "run_fedavg"]
