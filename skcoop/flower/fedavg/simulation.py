"""Run FedAvg jobs under Flower's simulation runtime (Ray backend)."""

# SPDX-License-Identifier: BSD-3-Clause

import logging
import os
import tempfile
import time
from dataclasses import dataclass, field, replace

import numpy as np

from .._checks import check_job

__all__ = ["FedAvgHistory", "FedAvgJob", "run_fedavg"]

#: Resources of the simulation: the Ray backend on 2 CPUs, one per client actor,
#: its node address the loopback one; client actors at the driver's priority
#: (Ray's default niceness of 15 starves them on a busy machine).
DEFAULT_BACKEND_CONFIG = {
    "init_args": {
        "num_cpus": 2,
        "include_dashboard": False,
        "_node_ip_address": "127.0.0.1",
        "_system_config": {"worker_niceness": 0},
    },
    "client_resources": {"num_cpus": 1, "num_gpus": 0.0},
}


@dataclass
class FedAvgJob:
    """One FedAvg run: the clients' rows, a starting model and the settings.

    Parameters
    ----------
    name : str
        Key of the run in the results.
    client_data : list of (X, y)
        Each client's own rows (float features, integer classes ``0..C-1``).
        They are written to one file per client; the server never reads them.
    initial_weights : mapping of str to ndarray
        Starting weights of an :class:`~skcoop.federated.MLPModule` (for
        example :func:`skcoop.federated.get_weights` of a net); the module's
        sizes are read from them.
    X_test, y_test : array-like
        The server's held-out rows, scored before the first round and after
        each round.
    n_rounds : int, default=10
        FedAvg rounds.
    local_epochs : int, default=1
        SGD epochs each client runs per round.
    lr : float, default=0.05
        Clients' SGD learning rate.
    batch_size : int, default=32
        Clients' mini-batch size.
    seed : int, default=0
        Seeds the clients' batch order.
    stop_at : float or None, default=None
        Stop the job at the first round whose held-out accuracy reaches it
        (rounds-to-target counting needs no more); None runs every round.
    """

    name: str
    client_data: list
    initial_weights: dict
    X_test: object
    y_test: object
    n_rounds: int = 10
    local_epochs: int = 1
    lr: float = 0.05
    batch_size: int = 32
    seed: int = 0
    stop_at: float | None = None
    data_dir: str = field(default="", repr=False)

    def __post_init__(self):
        check_job(self)

    @property
    def module_spec(self):
        w = self.initial_weights
        hidden, n_features = np.shape(w["hidden.weight"])
        n_classes = np.shape(w["out.weight"])[0]
        return (int(n_features), int(n_classes), int(hidden))


@dataclass
class FedAvgHistory:
    """What one job's FedAvg run left.

    Attributes
    ----------
    accuracy : ndarray of shape (n_rounds + 1,)
        Held-out accuracy of the global model; entry 0 is the initial model,
        entry ``r`` the model after round ``r``.
    loss : ndarray of shape (n_rounds + 1,)
        Held-out mean cross-entropy, same indexing.
    final_weights : dict of str to ndarray
        The global model after the last round.
    seconds : float
        The job's share of the rounds' wall time (a round's time is split
        evenly among the jobs it served).
    client_metrics : list of list of dict
        Per round, each client's reply metrics (``num-examples``,
        ``train-loss``, ``train-seconds``).
    """

    accuracy: np.ndarray
    loss: np.ndarray
    final_weights: dict
    seconds: float
    client_metrics: list


def _write_clients(job, folder):
    os.makedirs(folder, exist_ok=True)
    from .client_app import client_file

    for k, (X, y) in enumerate(job.client_data):
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y, dtype=np.int64)
        if len(X) != len(y) or len(y) == 0:
            raise ValueError(
                f"Each client needs at least one row and one label per row. Got "
                f"client {k} with {len(X)} rows and {len(y)} labels instead."
            )
        np.savez(client_file(folder, k), X=X, y=y)
    return replace(job, data_dir=folder)


def simulation_config(backend_config, quiet):
    """The backend config of a simulation; ``quiet`` silences Flower and Ray.

    Shared by both simulations: Flower's and Ray's loggers set to warnings,
    Ray's workers not logging to the driver.
    """
    config = dict(DEFAULT_BACKEND_CONFIG if backend_config is None else backend_config)
    if quiet:
        for name in ("flwr", "ray"):
            logging.getLogger(name).setLevel(logging.WARNING)
        os.environ.setdefault("RAY_DEDUP_LOGS", "0")
        config.setdefault("init_args", {})
        config["init_args"] = dict(config["init_args"], log_to_driver=False)
    return config


def run_fedavg(jobs, *, backend_config=None, quiet=True, timings=None):
    """Run FedAvg for each job in one Flower simulation.

    A :class:`~flwr.serverapp.ServerApp` drives Flower's
    :class:`~flwr.serverapp.strategy.FedAvg` through the Message API, job
    after job; each virtual SuperNode runs the ``ClientApp`` of
    :mod:`skcoop.flower.fedavg.client_app` on its own rows. Every job must
    have the same number of clients.

    Parameters
    ----------
    jobs : list of FedAvgJob
        The runs (distinct names).
    backend_config : dict, default=None
        Flower's simulation backend config; None uses 2 CPUs, one per client
        actor (``DEFAULT_BACKEND_CONFIG``).
    quiet : bool, default=True
        Silence Flower's and Ray's INFO logs.
    timings : dict, default=None
        When given, filled with ``total_s`` (the whole simulation),
        ``round_s`` (wall time of each round, all jobs packed together) and
        ``fixed_s``, the simulation runtime's fixed cost: ``total_s`` minus
        the rounds, plus the first round's excess over the median of the others
        (Ray starts its client actors, which import torch, on the first
        messages).

    Returns
    -------
    histories : dict of str to FedAvgHistory
        By job name.
    """
    # Ray maps 127.0.0.1 to the machine's address unless it runs "local only"
    # (its default on macOS and Windows); read when ray is first imported.
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    from flwr.simulation import run_simulation

    from .client_app import make_client_app
    from .server_app import make_server_app

    jobs = list(jobs)
    if not jobs:
        raise ValueError("jobs must hold at least one FedAvgJob. Got [] instead.")
    names = [job.name for job in jobs]
    if len(set(names)) != len(names):
        raise ValueError(f"Job names must be distinct. Got {names} instead.")
    sizes = {len(job.client_data) for job in jobs}
    if len(sizes) != 1:
        raise ValueError(
            "Every job must have the same number of clients (one simulation, one "
            f"set of SuperNodes). Got {sorted(sizes)} instead."
        )
    (n_clients,) = sizes
    config = simulation_config(backend_config, quiet)
    results = {}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="skcoop-fedavg-") as tmp:
        prepared = [
            _write_clients(job, os.path.join(tmp, f"job_{i}"))
            for i, job in enumerate(jobs)
        ]
        run_simulation(
            server_app=make_server_app(prepared, n_clients, results),
            client_app=make_client_app(),
            num_supernodes=n_clients,
            backend_config=config,
            verbose_logging=False,
        )
    total = time.perf_counter() - start
    round_s = results.pop("_round_seconds", [])
    missing = [name for name in names if name not in results]
    if missing:
        raise RuntimeError(
            f"The simulation ended without the results of jobs {missing}; rerun "
            "with quiet=False to see Flower's log."
        )
    histories = {}
    for name in names:
        curve, final, seconds, client_metrics = results[name]
        curve = np.asarray(sorted(curve), dtype=float)
        histories[name] = FedAvgHistory(
            accuracy=curve[:, 1],
            loss=curve[:, 2],
            final_weights=final,
            seconds=seconds,
            client_metrics=client_metrics,
        )
    if timings is not None:
        timings["total_s"] = total
        timings["round_s"] = list(round_s)
        typical = float(np.median(round_s[1:])) if len(round_s) > 1 else 0.0
        excess = round_s[0] - typical if round_s else 0.0
        timings["fixed_s"] = total - sum(round_s) + excess
    return histories
