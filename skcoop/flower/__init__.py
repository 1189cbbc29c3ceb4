"""Flower apps for skcoop (the ``flower`` extra: ``pip install -e ".[flower]"``).

- :mod:`skcoop.flower.fedavg`: federated averaging through Flower's ``FedAvg``
  strategy and Message API, from a random, pre-trained or consolidated
  starting model (:func:`~skcoop.flower.fedavg.run_fedavg`).
- :mod:`skcoop.flower.cooperative`: cooperative distillation across sites
  (:func:`~skcoop.flower.cooperative.run_cooperative`): models travel as
  skops files, virtual rows as parquet files, raw rows never leave a site
  (also needs the ``silo`` extra).
- :mod:`skcoop.flower.public`: public-set distillation (FedMD, FedDF)
  across sites (:func:`~skcoop.flower.public.run_public`): only scores on
  the public rows travel.

``flwr`` is imported only by this package; ``import skcoop`` and
``import skcoop.federated`` work without it.
"""

# SPDX-License-Identifier: BSD-3-Clause

from .cooperative import CooperativeHistory, Site, run_cooperative
from .fedavg import FedAvgHistory, FedAvgJob, run_fedavg
from .public import run_public

__all__ = [
    "CooperativeHistory",
    "FedAvgHistory",
    "FedAvgJob",
    "Site",
    "run_cooperative",
    "run_fedavg",
    "run_public",
]
