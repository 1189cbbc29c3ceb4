"""FedAvg as a Flower app: ``task.py``, ``client_app.py``, ``server_app.py``.

:func:`run_fedavg` runs one or more :class:`FedAvgJob` (clients' rows, a
starting model, settings) under Flower's simulation runtime and returns the
held-out accuracy of the global model per round. Needs the ``flower`` extra.
"""

# SPDX-License-Identifier: BSD-3-Clause

from .simulation import DEFAULT_BACKEND_CONFIG, FedAvgHistory, FedAvgJob, run_fedavg

__all__ = ["DEFAULT_BACKEND_CONFIG", "FedAvgHistory", "FedAvgJob", "run_fedavg"]
