"""The cooperative ``ClientApp``: one site fits, teaches and learns on its own rows.

Three handlers, one per step of a round:

- ``query.model``: fit a clone of the site's estimator on its own rows and
  reply with the model's bytes, its metadata and the held-out score;
- ``train.teach``: load the peers' models (skops bytes, checked by
  :func:`skcoop.silo.import_model` and :func:`skcoop.silo.check_peer`), run
  :func:`skcoop.silo.teach` with the seed the server sends (and the rows
  the site received in earlier rounds, for the out-of-fold judge) and reply with
  each student's virtual rows (parquet bytes), every row checked against
  the site's raw rows first;
- ``train.learn``: add the rows received this round to those of earlier
  rounds, refit with :func:`skcoop.silo.learn` and reply with the new model
  and its held-out score.

The site keeps its current model and what it received in ``context.state``;
its rows never leave it.
"""

# SPDX-License-Identifier: BSD-3-Clause

import json
import tempfile
import time

import numpy as np
from flwr.app import ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp
from sklearn.base import clone

from ...silo import labels_from_json, learn, teach
from .task import (
    check_no_raw_row,
    model_from_bytes,
    model_to_bytes,
    rows_from_bytes,
    rows_to_bytes,
    write_model,
)

__all__ = ["current_model", "make_client_app", "model_record", "reply_with"]

#: ``context.state`` keys: the site's current model and the rows it received.
MODEL_STATE = "skcoop-model"
RECEIVED_STATE = "skcoop-received"


def model_record(model_bytes, metadata, name, index):
    return ConfigRecord(
        {"name": name, "index": int(index), "model": model_bytes, "metadata": metadata}
    )


def reply_with(msg, record, metrics):
    return Message(RecordDict({"model": record, "metrics": metrics}), reply_to=msg)


def current_model(context, site):
    state = context.state[MODEL_STATE]
    model = model_from_bytes(state["model"], state["metadata"], trusted=site.trusted)
    return model, state


def make_client_app(site_fn):
    """A ``ClientApp`` around one site's data and estimator.

    Parameters
    ----------
    site_fn : callable
        ``site_fn(node_config) -> Site``: the site's
        :class:`~skcoop.flower.cooperative.Site` from the SuperNode's node
        config (``partition-id`` under the simulation runtime, whatever
        ``--node-config`` sets under the deployment runtime). Called at the
        site, once per message.

    Returns
    -------
    app : flwr.clientapp.ClientApp
        With the handlers ``query.model``, ``train.teach`` and
        ``train.learn`` (see the module's docstring).

    Examples
    --------
    >>> from skcoop.flower.cooperative import demo_site, make_client_app
    >>> app = make_client_app(demo_site)
    >>> sorted(app._registered_funcs)
    ['query.model', 'train.learn', 'train.teach']
    """
    app = ClientApp()

    @app.query("model")
    def _model(msg: Message, context: Context) -> Message:
        start = time.perf_counter()
        site = site_fn(context.node_config)
        model = clone(site.estimator).fit(site.own(site.X), np.asarray(site.y))
        model_bytes, metadata = model_to_bytes(model, name=site.name)
        context.state[MODEL_STATE] = ConfigRecord(
            {"model": model_bytes, "metadata": metadata}
        )
        context.state[RECEIVED_STATE] = ConfigRecord({})
        index = int(context.node_config.get("partition-id", 0))
        metrics = MetricRecord(
            {
                "score": site.score(model),
                "bytes-sent": len(model_bytes) + len(metadata.encode()),
                "seconds": time.perf_counter() - start,
            }
        )
        record = model_record(model_bytes, metadata, site.name, index)
        return reply_with(msg, record, metrics)

    @app.train("teach")
    def _teach(msg: Message, context: Context) -> Message:
        start = time.perf_counter()
        site = site_fn(context.node_config)
        config = msg.content["config"]
        params = dict(json.loads(config["teach-params"]), **site.teach_params)
        classes = config.get("classes")
        if classes:
            params["classes"] = labels_from_json(json.loads(classes))
        model, _ = current_model(context, site)
        # the rows received in earlier rounds: the out-of-fold judge refits
        # the member on them too, as the member itself was fitted
        store = context.state[RECEIVED_STATE]
        earlier = [rows_from_bytes(store[k]) for k in sorted(store)]
        learn_params = json.loads(config["learn-params"])
        for key in ("fill", "dedupe"):
            if key in learn_params:
                params.setdefault(key, learn_params[key])
        received = 0
        with tempfile.TemporaryDirectory(prefix="skcoop-peers-") as tmp:
            peers = {}
            for key, record in msg.content.config_records.items():
                if not key.startswith("peer-"):
                    continue
                peers[record["name"]] = write_model(
                    tmp, record["model"], record["metadata"]
                )
                received += len(record["model"]) + len(record["metadata"].encode())
            sent = teach(
                model,
                site.X,
                np.asarray(site.y),
                peers,
                name=site.name,
                round=int(config["round"]),
                random_state=int(config["seed"]),
                trusted=site.trusted,
                received=earlier or None,
                **params,
            )
        content = RecordDict()
        n_rows = n_bytes = 0
        for student, rows in sent.items():
            check_no_raw_row(rows, site.X)
            data = rows_to_bytes(rows)
            content[f"rows-{student}"] = ConfigRecord(
                {"student": student, "rows": data, "n-rows": len(rows)}
            )
            n_rows += len(rows)
            n_bytes += len(data)
        content["metrics"] = MetricRecord(
            {
                "rows-sent": n_rows,
                "bytes-sent": n_bytes,
                "bytes-received": received,
                "seconds": time.perf_counter() - start,
            }
        )
        return Message(content, reply_to=msg)

    @app.train("learn")
    def _learn(msg: Message, context: Context) -> Message:
        start = time.perf_counter()
        site = site_fn(context.node_config)
        config = msg.content["config"]
        store = context.state[RECEIVED_STATE]
        new = sorted(
            (r for k, r in msg.content.config_records.items() if k.startswith("rows-")),
            key=lambda r: int(r["order"]),
        )
        n_round = int(config["round"])
        received = 0
        n_rows = 0
        for record in new:
            key = f"r{n_round:05d}-t{int(record['order']):05d}"
            store[key] = record["rows"]
            received += len(record["rows"])
            n_rows += int(record["n-rows"])
        if new:
            rows = [rows_from_bytes(store[k]) for k in sorted(store)]
            classes = config.get("classes")
            # the site's current model: a warm refit starts from it, as the
            # in-process student starts from the previous round's
            current, _ = current_model(context, site)
            model = learn(
                current,
                site.own(site.X),
                np.asarray(site.y),
                rows,
                classes=labels_from_json(json.loads(classes)) if classes else None,
                **json.loads(config["learn-params"]),
            )
            model_bytes, metadata = model_to_bytes(model, name=site.name)
            context.state[MODEL_STATE] = ConfigRecord(
                {"model": model_bytes, "metadata": metadata}
            )
        else:
            model, state = current_model(context, site)
            model_bytes, metadata = state["model"], state["metadata"]
        context.state[RECEIVED_STATE] = store
        index = int(context.node_config.get("partition-id", 0))
        metrics = MetricRecord(
            {
                "score": site.score(model),
                "rows-received": n_rows,
                "bytes-received": received,
                "bytes-sent": len(model_bytes) + len(metadata.encode()),
                "seconds": time.perf_counter() - start,
            }
        )
        return reply_with(
            msg, model_record(model_bytes, metadata, site.name, index), metrics
        )

    return app
