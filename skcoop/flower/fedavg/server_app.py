"""The FedAvg ``ServerApp``: Flower's ``FedAvg`` strategy driven round by round.

``main(grid, context)`` runs one :class:`flwr.serverapp.strategy.FedAvg` per
job (a starting model, the clients' data folder, settings). In each round it
asks every strategy for its training messages (``configure_train``), sends the
messages of all jobs still running in one ``grid.send_and_receive`` call (so
the simulation's per-round latency is paid once for all jobs), hands each
strategy its own replies (``aggregate_train``: the mean weighted by
``num-examples``) and evaluates each global model on the server's held-out
rows. A job stops after ``n_rounds`` or, when it has a ``stop_at`` accuracy,
at the first round that reaches it.
"""

# SPDX-License-Identifier: BSD-3-Clause

import time

import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from .task import build_module, evaluate

__all__ = ["JOB_KEY", "make_server_app"]

#: Seconds between the in-memory grid's polls for replies (Flower: 0.1).
PULL_INTERVAL = 0.01

#: Metric a client echoes so that a reply finds its job.
JOB_KEY = "job-index"


def torch_record(weights):
    """An ``ArrayRecord`` of named numpy weights (a torch state dict)."""
    import torch

    return ArrayRecord({k: torch.as_tensor(np.asarray(v)) for k, v in weights.items()})


def numpy_weights(arrays):
    """Named numpy weights of an ``ArrayRecord``."""
    state = arrays.to_torch_state_dict()
    return {k: v.detach().cpu().numpy() for k, v in state.items()}


class _JobState:
    """One job's strategy, current global model and held-out curve."""

    def __init__(self, index, job, n_clients):
        self.index = index
        self.job = job
        self.strategy = FedAvg(
            fraction_train=1.0,
            fraction_evaluate=0.0,
            min_train_nodes=n_clients,
            min_evaluate_nodes=0,
            min_available_nodes=n_clients,
        )
        self.arrays = torch_record(job.initial_weights)
        self.module = build_module(job.module_spec)
        self.curve = []
        self.client_metrics = []
        self.seconds = 0.0
        self.done = False
        self.evaluate(0)

    def config(self):
        job = self.job
        return ConfigRecord(
            {
                "data-dir": str(job.data_dir),
                "module-spec": [int(v) for v in job.module_spec],
                "local-epochs": int(job.local_epochs),
                "lr": float(job.lr),
                "batch-size": int(job.batch_size),
                "seed": int(job.seed),
                JOB_KEY: int(self.index),
            }
        )

    def evaluate(self, server_round):
        self.module.load_state_dict(self.arrays.to_torch_state_dict())
        acc, loss = evaluate(self.module, self.job.X_test, self.job.y_test)
        self.curve.append((int(server_round), acc, loss))
        stop_at = self.job.stop_at
        reached = stop_at is not None and acc >= stop_at
        if server_round >= self.job.n_rounds or reached:
            self.done = True

    def aggregate(self, server_round, replies, n_clients):
        good = [m for m in replies if not m.has_error()]
        if len(good) != n_clients:
            errors = [m.error.reason for m in replies if m.has_error()][:1]
            raise RuntimeError(
                f"Job {self.job.name!r}, round {server_round}: {len(good)} of "
                f"{n_clients} clients replied without error. First error: {errors}"
            )
        arrays, _ = self.strategy.aggregate_train(server_round, good)
        self.arrays = arrays
        self.client_metrics.append(
            [dict(m.content["metrics"]) for m in good]  # per client, this round
        )
        self.evaluate(server_round)


def _run_jobs(grid, jobs, n_clients, timeout):
    states = [_JobState(i, job, n_clients) for i, job in enumerate(jobs)]
    server_round = 0
    while not all(s.done for s in states):
        server_round += 1
        running = [s for s in states if not s.done]
        messages = []
        for s in running:
            messages.extend(
                s.strategy.configure_train(server_round, s.arrays, s.config(), grid)
            )
        start = time.perf_counter()
        replies = list(grid.send_and_receive(messages=messages, timeout=timeout))
        per_job = {s.index: [] for s in running}
        for reply in replies:
            if reply.has_error():
                # an error reply has no content: charge it to every running job
                for s in running:
                    per_job[s.index].append(reply)
                continue
            per_job[int(reply.content["metrics"][JOB_KEY])].append(reply)
        elapsed = (time.perf_counter() - start) / len(running)
        for s in running:
            s.seconds += elapsed
            s.aggregate(server_round, per_job[s.index], n_clients)
    return states


def make_server_app(jobs, n_clients, results, *, timeout=600.0):
    """A ``ServerApp`` that runs FedAvg for every job and records the curves.

    Parameters
    ----------
    jobs : list of FedAvgJob
        What to run (see :func:`skcoop.flower.fedavg.run_fedavg`), each with
        its ``data_dir`` set.
    n_clients : int
        Clients taking part in every round (all of them).
    results : dict
        Filled in place, by job name, with ``(curve, final_weights, seconds,
        client_metrics)``: ``curve`` a list of ``(round, accuracy, loss)`` on
        the held-out rows, round 0 being the starting model;
        ``client_metrics`` per round, the clients' reply metrics.
    timeout : float, default=600.0
        Seconds to wait for the clients' replies in a round.

    Returns
    -------
    app : flwr.serverapp.ServerApp
    """
    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        if hasattr(grid, "pull_interval"):
            grid.pull_interval = PULL_INTERVAL
        for s in _run_jobs(grid, jobs, n_clients, timeout):
            results[s.job.name] = (
                s.curve,
                numpy_weights(s.arrays),
                s.seconds,
                s.client_metrics,
            )

    return app
