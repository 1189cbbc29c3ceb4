"""The FedAvg ``ServerApp``: Flower's ``FedAvg`` strategy driven round by round.

``main(grid, context)`` runs one :class:`flwr.serverapp.strategy.FedAvg` per
job (a starting model, the clients' data folder, settings). In each round it
asks every strategy for its training messages (``configure_train``), packs
the records that all running jobs address to one client into a single
message (``arrays-<job>``, ``config-<job>``), sends them in one
``grid.send_and_receive`` call, unpacks each client's reply into one reply
per job and hands each strategy its own (``aggregate_train``: the mean of the
clients' weights weighted by ``num-examples``); then it evaluates every
global model on the server's held-out rows. A job stops after ``n_rounds``
or, when it has a ``stop_at`` accuracy, at the first round that reaches it.
Packing matters: the simulation runtime costs tens of milliseconds per
message, far more than a client's epoch on a few hundred rows.
"""

# SPDX-License-Identifier: BSD-3-Clause

import time

import numpy as np
from flwr.app import (
    ArrayRecord,
    ConfigRecord,
    Context,
    Message,
    MessageType,
    RecordDict,
)
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp.strategy import FedAvg

from .task import build_module, evaluate

__all__ = ["make_server_app", "pack_key"]

#: Seconds between the in-memory grid's polls for replies (Flower: 0.1).
PULL_INTERVAL = 0.01


def pack_key(kind, index):
    """Key of job ``index``'s record of ``kind`` in a packed message."""
    return f"{kind}-{int(index)}"


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

    def aggregate(self, server_round, replies):
        arrays, _ = self.strategy.aggregate_train(server_round, replies)
        self.arrays = arrays
        self.client_metrics.append([dict(m.content["metrics"]) for m in replies])
        self.evaluate(server_round)


def _pack(running, server_round, grid):
    """One training message per client holding every running job's records."""
    packed = {}
    for s in running:
        for msg in s.strategy.configure_train(server_round, s.arrays, s.config(), grid):
            items = packed.setdefault(msg.metadata.dst_node_id, {})
            items[pack_key("arrays", s.index)] = msg.content["arrays"]
            items[pack_key("config", s.index)] = msg.content["config"]
    return [
        Message(RecordDict(items), dst_node_id=node, message_type=MessageType.TRAIN)
        for node, items in packed.items()
    ]


def _unpack(replies, s, n_clients, server_round):
    """Job ``s``'s replies, one per client, as FedAvg expects them."""
    errors = [m.error.reason for m in replies if m.has_error()]
    if errors or len(replies) != n_clients:
        raise RuntimeError(
            f"Round {server_round}: {len(replies) - len(errors)} of {n_clients} "
            f"clients replied without error. First error: {errors[:1]}"
        )
    return [
        Message(
            RecordDict(
                {
                    "arrays": m.content[pack_key("arrays", s.index)],
                    "metrics": m.content[pack_key("metrics", s.index)],
                }
            ),
            dst_node_id=m.metadata.src_node_id,
            message_type=MessageType.TRAIN,
        )
        for m in replies
    ]


def _run_jobs(grid, jobs, n_clients, timeout, round_seconds):
    states = [_JobState(i, job, n_clients) for i, job in enumerate(jobs)]
    server_round = 0
    while not all(s.done for s in states):
        server_round += 1
        running = [s for s in states if not s.done]
        start = time.perf_counter()
        messages = _pack(running, server_round, grid)
        replies = list(grid.send_and_receive(messages=messages, timeout=timeout))
        elapsed = time.perf_counter() - start
        round_seconds.append(elapsed)
        for s in running:
            s.seconds += elapsed / len(running)
            s.aggregate(server_round, _unpack(replies, s, n_clients, server_round))
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
        Filled in place: ``"_round_seconds"``, the wall time of each round
        (all jobs), and by job name ``(curve, final_weights, seconds,
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
        round_seconds = results.setdefault("_round_seconds", [])
        for s in _run_jobs(grid, jobs, n_clients, timeout, round_seconds):
            results[s.job.name] = (
                s.curve,
                numpy_weights(s.arrays),
                s.seconds,
                s.client_metrics,
            )

    return app
