"""The FedAvg ``ClientApp``: one site trains the global model on its own rows.

Each virtual SuperNode is a client whose ``partition-id`` picks its data file;
the server sends only global weights and small configs (a job's data folder,
local epochs, learning rate, batch size, seed) and gets back the updated
weights and the number of rows they were trained on. A message may carry
several jobs (``arrays-<job>``, ``config-<job>``); the reply holds
``arrays-<job>`` and ``metrics-<job>`` for each.
"""

# SPDX-License-Identifier: BSD-3-Clause

import os
import time

from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from .server_app import pack_key
from .task import build_module, load_client_data, train_local

__all__ = ["client_file", "make_client_app"]


def client_file(data_dir, partition_id):
    """Path of client ``partition_id``'s rows in a job's data folder."""
    return os.path.join(str(data_dir), f"client_{int(partition_id)}.npz")


def _train_job(arrays, config, pid):
    X, y = load_client_data(client_file(config["data-dir"], pid))
    module = build_module(config["module-spec"])
    module.load_state_dict(arrays.to_torch_state_dict())
    seed = int(config["seed"]) * 100_003 + int(config["server-round"]) * 101 + pid
    start = time.perf_counter()
    loss = train_local(
        module,
        X,
        y,
        epochs=int(config["local-epochs"]),
        lr=float(config["lr"]),
        batch_size=int(config["batch-size"]),
        seed=seed,
    )
    metrics = MetricRecord(
        {
            "train-loss": loss,
            "train-seconds": time.perf_counter() - start,
            "num-examples": len(y),
        }
    )
    return ArrayRecord(module.state_dict()), metrics


def _train(msg: Message, context: Context) -> Message:
    pid = int(context.node_config["partition-id"])
    content = RecordDict()
    for key in msg.content.config_records:
        kind, index = key.rsplit("-", 1)
        if kind != "config":
            continue
        arrays, metrics = _train_job(
            msg.content[pack_key("arrays", index)], msg.content[key], pid
        )
        content[pack_key("arrays", index)] = arrays
        content[pack_key("metrics", index)] = metrics
    return Message(content=content, reply_to=msg)


def make_client_app():
    """A ``ClientApp`` that runs local SGD epochs on the client's own rows.

    Returns
    -------
    app : flwr.clientapp.ClientApp
        Its ``train`` handler, for each job in the message, reads the
        client's file ``<data-dir>/client_<partition-id>.npz`` (``X``, ``y``),
        loads the job's weights into a fresh
        :class:`~skcoop.federated.MLPModule`, trains it and replies with the
        trained weights and ``num-examples``.
    """
    app = ClientApp()
    app.train()(_train)
    return app
