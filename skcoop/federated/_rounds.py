"""Counting communication rounds, and the FedAvg mean (numpy only)."""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass

import numpy as np

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
    n = np.asarray(n_examples, dtype=np.float64)
    if len(client_weights) == 0 or n.shape != (len(client_weights),):
        raise ValueError(
            "n_examples must hold one row count per client (at least one client). "
            f"Got {n.shape[0] if n.ndim else n} counts for {len(client_weights)} "
            "clients instead."
        )
    if np.any(n < 0) or n.sum() <= 0:
        raise ValueError(
            "n_examples must be non-negative with a positive total. Got "
            f"{n.tolist()} instead."
        )
    share = n / n.sum()
    names = list(client_weights[0])
    return {
        name: sum(
            s * np.asarray(w[name], dtype=np.float64)
            for s, w in zip(share, client_weights)
        )
        for name in names
    }


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
    acc = np.asarray(accuracy, dtype=np.float64)
    if acc.ndim != 1 or len(acc) == 0:
        raise ValueError(
            "accuracy must be a non-empty 1-D curve (entry 0 = the starting model). "
            f"Got shape {acc.shape} instead."
        )
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
    consolidation_rounds = int(consolidation_rounds)
    if consolidation_rounds < 0:
        raise ValueError(
            "consolidation_rounds must be a non-negative integer. Got "
            f"{consolidation_rounds} instead."
        )
    fedavg = rounds_to_target(accuracy, target)
    if fedavg is None:
        n_run = len(np.asarray(accuracy)) - 1
        return RoundCount(
            None, consolidation_rounds, None, consolidation_rounds + n_run
        )
    return RoundCount(fedavg, consolidation_rounds, consolidation_rounds + fedavg)
