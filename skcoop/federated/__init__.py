"""Federated averaging helpers and pre-consolidation of pre-trained models.

- :func:`fedavg_average`: the weighted mean of client weights that FedAvg
  takes (the reference the Flower app is tested against).
- :func:`rounds_to_target`, :func:`count_rounds`: rounds to reach a target
  held-out accuracy, and total rounds including those a consolidation used.
- :class:`KDConsolidator`: multi-teacher soft-target KD of the clients'
  pre-trained models into one starting model, on a transfer set the server
  holds (public, unlabeled, disjoint from every client's rows).
- :class:`CooperativeConsolidator`: the clients first distil into one another
  with :class:`~skcoop.CooperativeDistillationEnsemble`, then are consolidated
  by the same KD.
- :func:`federated_accuracy`, :func:`teacher_proba`: federated evaluation
  (clients score a model on their own rows) and the teachers' mean output.
- :class:`MLPModule`, :func:`make_mlp_net`, :func:`get_weights`,
  :func:`set_weights`: the torch model of the runs.

The Flower app that runs FedAvg is :mod:`skcoop.flower.fedavg` (``flower``
extra). This package never imports ``flwr``; torch and skorch load on first
use of the names that need them.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._consolidate import (
    CooperativeConsolidator,
    KDConsolidator,
    federated_accuracy,
    teacher_proba,
)
from ._rounds import RoundCount, count_rounds, fedavg_average, rounds_to_target

_TORCH_NAMES = {
    "MLPModule": "._nets",
    "make_mlp_net": "._nets",
    "get_weights": "._nets",
    "set_weights": "._nets",
}

__all__ = [
    "CooperativeConsolidator",
    "KDConsolidator",
    "MLPModule",
    "RoundCount",
    "count_rounds",
    "fedavg_average",
    "federated_accuracy",
    "get_weights",
    "make_mlp_net",
    "rounds_to_target",
    "set_weights",
    "teacher_proba",
]


def __getattr__(name):
    # torch-dependent names load on first use (PEP 562)
    if name in _TORCH_NAMES:
        import importlib

        module = importlib.import_module(_TORCH_NAMES[name], __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_TORCH_NAMES))
