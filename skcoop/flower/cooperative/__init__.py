"""Cooperative distillation as a Flower app: ``task``, ``client_app``, ``server_app``.

Each site runs :func:`skcoop.silo.teach` and :func:`skcoop.silo.learn` on its
own rows inside a ``ClientApp``; a ``ServerApp`` gathers the fitted models
(skops bytes), sends each site its peers' models, routes the virtual rows
(parquet bytes) to their students and reports held-out scores, rows, bytes
and wall time per round. :func:`run_cooperative` runs it under Flower's
simulation runtime. Needs the ``flower`` and ``silo`` extras.
"""

# SPDX-License-Identifier: BSD-3-Clause

from .client_app import make_client_app
from .demo import demo_ensemble, demo_site
from .history import CooperativeHistory
from .server_app import make_server_app
from .simulation import run_cooperative
from .task import Site

__all__ = [
    "CooperativeHistory",
    "Site",
    "demo_ensemble",
    "demo_site",
    "make_client_app",
    "make_server_app",
    "run_cooperative",
]
