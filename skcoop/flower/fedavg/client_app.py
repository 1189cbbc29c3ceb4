"""The FedAvg ``ClientApp``: one site trains the global model on its own rows.

Each virtual SuperNode is a client whose ``partition-id`` picks its data file;
the server sends only the global weights and a small config (the job's data
folder, local epochs, learning rate, batch size, seed) and gets back the
updated weights and the number of rows they were trained on.
"""

# SPDX-License-Identifier: BSD-3-Clause

import os
import time

from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from .server_app import JOB_KEY
from .task import build_module, load_client_data, train_local

__all__ = ["client_file", "make_client_app"]


def client_file(data_dir, partition_id):
    """Path of client ``partition_id``'s rows in a job's data folder."""
    return os.path.join(str(data_dir), f"client_{int(partition_id)}.npz")


def _train(msg: Message, context: Context) -> Message:
    start = time.perf_counter()
    config = msg.content["config"]
    pid = int(context.node_config["partition-id"])
    X, y = load_client_data(client_file(config["data-dir"], pid))
    module = build_module(config["module-spec"])
    module.load_state_dict(msg.content["arrays"].to_torch_state_dict())
    seed = int(config["seed"]) * 100_003 + int(config["server-round"]) * 101 + pid
    loss = train_local(
        module,
        X,
        y,
        epochs=int(config["local-epochs"]),
        lr=float(config["lr"]),
        batch_size=int(config["batch-size"]),
        seed=seed,
    )
    content = RecordDict(
        {
            "arrays": ArrayRecord(module.state_dict()),
            "metrics": MetricRecord(
                {
                    "train-loss": loss,
                    "train-seconds": time.perf_counter() - start,
                    "num-examples": len(y),
                    JOB_KEY: int(config[JOB_KEY]),
                }
            ),
        }
    )
    return Message(content=content, reply_to=msg)


def make_client_app():
    """A ``ClientApp`` that runs local SGD epochs on the client's own rows.

    Returns
    -------
    app : flwr.clientapp.ClientApp
        Its ``train`` handler reads the client's file
        ``<data-dir>/client_<partition-id>.npz`` (``X``, ``y``), loads the
        received weights into a fresh :class:`~skcoop.federated.MLPModule`
        and replies with the trained weights and ``num-examples``.
    """
    app = ClientApp()
    app.train()(_train)
    return app
