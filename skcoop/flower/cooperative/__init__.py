"""Cooperative distillation as a Flower app: ``task``, ``client_app``, ``server_app``.

Each site runs :func:`skcoop.silo.teach` and :func:`skcoop.silo.learn` on its
own rows inside a ``ClientApp``; a ``ServerApp`` gathers the fitted models
(skops bytes), sends each site its peers' models, routes the virtual rows
(parquet bytes) to their students and reports held-out scores, rows, bytes
and wall time per round. :func:`run_cooperative` runs it under Flower's
simulation runtime. Needs the ``flower`` and ``silo`` extras; ``flwr`` is
imported only when an app is built or run, so ``import skcoop.flower`` works
without it.
"""

# SPDX-License-Identifier: BSD-3-Clause

from .demo import demo_ensemble, demo_site
from .history import CooperativeHistory
from .node import node_site
from .simulation import run_cooperative
from .task import Site

_APPS = {"make_client_app": ".client_app", "make_server_app": ".server_app"}


def __getattr__(name):
    # the apps import flwr: load them on first use only
    if name in _APPS:
        from importlib import import_module

        return getattr(import_module(_APPS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CooperativeHistory",
    "Site",
    "demo_ensemble",
    "demo_site",
    "make_client_app",
    "make_server_app",
    "node_site",
    "run_cooperative",
]
