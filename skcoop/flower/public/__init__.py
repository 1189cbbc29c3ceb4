"""Public-set distillation (FedMD, FedDF) as a Flower app: only scores travel.

Each site fits its member on its own rows inside a ``ClientApp``; each
round a ``ServerApp`` asks every site for its scores on the public rows
(which every site holds, checked by their digest), combines them with
:func:`skcoop.silo.public_consensus` and sends the consensus back, which
each site's student learns with :func:`skcoop.silo.public_learn`. With the
seeds of :func:`skcoop.silo.public_seeds`, the students equal the in-process
``CooperativeDistillationEnsemble(distiller=FedMDDistiller(X_public))``
(or ``FedDFDistiller``). :func:`run_public` runs it under Flower's
simulation runtime. ``flwr`` is imported only when an app is built or run.
"""

# SPDX-License-Identifier: BSD-3-Clause

from .demo import demo_ensemble, demo_public, demo_site
from .simulation import run_public
from .task import make_distiller, node_public

_APPS = {
    "aggregate": ".server_app",
    "make_client_app": ".client_app",
    "make_server_app": ".server_app",
}


def __getattr__(name):
    # the apps import flwr: load them on first use only
    if name in _APPS:
        from importlib import import_module

        return getattr(import_module(_APPS[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "aggregate",
    "demo_ensemble",
    "demo_public",
    "demo_site",
    "make_client_app",
    "make_distiller",
    "make_server_app",
    "node_public",
    "run_public",
]
