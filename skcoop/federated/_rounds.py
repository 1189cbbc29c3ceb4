"""Counting communication rounds, and the FedAvg mean (numpy only)."""

# SPDX-License-Identifier: BSD-3-Clause

from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real

import numpy as np

from ..utils import check_count

__all__ = ["RoundCount", "count_rounds", "fedavg_average", "rounds_to_target"]


def fedavg_average(client_weights, n_examples):
    """The FedAvg aggregate: client weights averaged in proportion to their rows.

    Parameters
    ----------
    client_weights : list of mapping of str to array-like
        One mapping (parameter name -> array) per client, same names and
        shapes.
    n_examples : array-like of shape (n_clients,)
        Rows each client trained on (the weights of the mean).

    Returns
    -------
    average : dict of str to ndarray
        ``sum_k n_k w_k / sum_k n_k`` per parameter.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.federated import fedavg_average
    >>> avg = fedavg_average([{"w": np.array([0.0, 2.0])}, {"w": np.array([3.0, 5.0])}],
    ...                      n_examples=[1, 2])
    >>> avg["w"]
    array([2., 4.])
    """
    if isinstance(client_weights, Mapping) or not hasattr(client_weights, "__len__"):
        raise TypeError(
            "client_weights must be a list with one mapping (parameter name -> "
            f"array) per client. Got {type(client_weights).__name__} instead."
        )
    try:
        n = np.asarray(n_examples, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"n_examples must be numbers, one row count per client. Got "
            f"{n_examples!r} instead."
        ) from exc
    if len(client_weights) == 0 or n.shape != (len(client_weights),):
        raise ValueError(
            "n_examples must hold one row count per client (at least one client). "
            f"Got {n.shape[0] if n.ndim else n} counts for {len(client_weights)} "
            "clients instead."
        )
    if not np.isfinite(n).all() or np.any(n < 0) or n.sum() <= 0:
        raise ValueError(
            "n_examples must be non-negative with a positive total. Got "
            f"{n.tolist()} instead."
        )
    share = n / n.sum()
    arrays = _client_arrays(client_weights)
    return {
        name: sum(s * client[name] for s, client in zip(share, arrays))
        for name in arrays[0]
    }


def _client_arrays(client_weights):
    """Each client's parameters as float arrays, alike in names and shapes."""
    arrays = []
    for k, client in enumerate(client_weights):
        if not isinstance(client, Mapping):
            raise TypeError(
                f"client_weights[{k}] must be a mapping of parameter name to array. "
                f"Got {type(client).__name__} instead."
            )
        out = {}
        for name, value in client.items():
            try:
                out[name] = np.asarray(value, dtype=np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"Parameter {name!r} of client {k} must be an array of numbers "
                    f"({exc}). Got {type(value).__name__} instead."
                ) from exc
            if not np.isfinite(out[name]).all():
                raise ValueError(
                    f"Parameter {name!r} of client {k} holds NaN or infinity; "
                    "averaging would spread it to every client. Fix that "
                    "client's training."
                )
        arrays.append(out)
    first = arrays[0]
    for k, client in enumerate(arrays[1:], start=1):
        if set(client) != set(first):
            missing = sorted(set(first) - set(client))
            extra = sorted(set(client) - set(first))
            raise ValueError(
                f"Every client must send the same parameters. Client {k} lacks "
                f"{missing} and has {extra} that client 0 does not; give every "
                "client the same model."
            )
        for name, value in client.items():
            if value.shape != first[name].shape:
                raise ValueError(
                    f"Parameter {name!r} has shape {value.shape} at client {k} but "
                    f"{first[name].shape} at client 0. Every client must send "
                    "arrays of the same shapes; give every client the same model."
                )
    return arrays


def rounds_to_target(accuracy, target):
    """First round whose held-out accuracy reaches ``target``, or None.

    Parameters
    ----------
    accuracy : array-like of shape (n_rounds + 1,)
        Accuracy of the global model; entry 0 is the starting model (before
        any FedAvg round), entry ``r`` the model after round ``r``.
    target : float
        Accuracy to reach (``>=``).

    Returns
    -------
    rounds : int or None
        ``0`` when the starting model already reaches it; None when no round
        does (the run was too short).

    Examples
    --------
    >>> from skcoop.federated import rounds_to_target
    >>> rounds_to_target([0.1, 0.5, 0.8, 0.7, 0.9], target=0.8)
    2
    >>> rounds_to_target([0.85, 0.9], target=0.8), rounds_to_target([0.1, 0.2], 0.8)
    (0, None)
    """
    try:
        acc = np.asarray(accuracy, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"accuracy must be numbers (one per round). Got {accuracy!r} instead."
        ) from exc
    if acc.ndim != 1 or len(acc) == 0:
        raise ValueError(
            "accuracy must be a non-empty 1-D curve (entry 0 = the starting model). "
            f"Got shape {acc.shape} instead."
        )
    if np.isnan(acc).any():
        raise ValueError(
            f"accuracy must not hold NaN (round {int(np.flatnonzero(np.isnan(acc))[0])}"
            "). Give the accuracy measured after every round."
        )
    if isinstance(target, bool) or not isinstance(target, Real) or np.isnan(target):
        raise ValueError(f"target must be a number. Got {target!r} instead.")
    hit = np.flatnonzero(acc >= target)
    return int(hit[0]) if len(hit) else None


@dataclass(frozen=True)
class RoundCount:
    """Rounds of communication a method needed to reach the target.

    Attributes
    ----------
    fedavg : int or None
        FedAvg rounds to target (None: not reached within the run).
    consolidation : int
        Rounds of communication spent before FedAvg (uploading pre-trained
        models, cooperative exchanges, federated evaluation for tuning).
    total : int or None
        ``consolidation + fedavg``; None when the target was not reached.
    censored_at : int or None
        When the target was not reached: the total rounds run, a lower bound.
    """

    fedavg: int | None
    consolidation: int
    total: int | None
    censored_at: int | None = None


def count_rounds(accuracy, target, consolidation_rounds=0):
    """Total rounds to target: the consolidation's rounds plus FedAvg's.

    Parameters
    ----------
    accuracy : array-like of shape (n_rounds + 1,)
        Held-out accuracy per FedAvg round, entry 0 the starting model.
    target : float
        Accuracy to reach.
    consolidation_rounds : int, default=0
        Communication rounds the starting model cost (0 for a random start).

    Returns
    -------
    count : RoundCount

    Examples
    --------
    >>> from skcoop.federated import count_rounds
    >>> count_rounds([0.6, 0.75, 0.82], target=0.8, consolidation_rounds=1)
    RoundCount(fedavg=2, consolidation=1, total=3, censored_at=None)
    >>> count_rounds([0.1, 0.2], target=0.8)
    RoundCount(fedavg=None, consolidation=0, total=None, censored_at=1)
    """
    consolidation_rounds = check_count(consolidation_rounds, "consolidation_rounds")
    fedavg = rounds_to_target(accuracy, target)
    if fedavg is None:
        n_run = len(np.asarray(accuracy)) - 1
        return RoundCount(
            None, consolidation_rounds, None, consolidation_rounds + n_run
        )
    return RoundCount(fedavg, consolidation_rounds, consolidation_rounds + fedavg)
