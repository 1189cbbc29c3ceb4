"""The public-set ``ClientApp``: a site scores the public rows and learns the consensus.

Handlers, one per step:

- ``query.public``: fit a clone of the site's estimator on its own rows
  and reply with its name, ``partition-id``, classes, held-out score and
  the digest of the public rows it holds (no model, no row);
- ``train.scores``: reply with the current model's scores on the public
  rows (:func:`skcoop.silo.public_scores`), one plain array;
- ``train.learn``: learn the consensus the server sends
  (:func:`skcoop.silo.public_learn`, with the round's seed of
  :func:`skcoop.silo.public_seeds`) and reply with the held-out score;
- ``query.model``: reply with the current model (skops bytes), only when
  the server asks for the final models (``return-models``; a simulation's
  report).

The site keeps its model in ``context.state``; its rows never leave it.
"""

# SPDX-License-Identifier: BSD-3-Clause

import json
import time

import numpy as np
from flwr.app import (
    Array,
    ArrayRecord,
    ConfigRecord,
    Context,
    Message,
    MetricRecord,
    RecordDict,
)
from flwr.clientapp import ClientApp
from sklearn.base import clone

from ...silo import (
    labels_from_json,
    labels_to_json,
    public_digest,
    public_learn,
    public_scores,
)
from ..cooperative.client_app import (
    MODEL_STATE,
    current_model,
    model_record,
    reply_with,
)
from ..cooperative.task import model_to_bytes
from .task import make_distiller, node_public

__all__ = ["make_client_app"]


def _keep(context, model, site):
    model_bytes, metadata = model_to_bytes(model, name=site.name)
    context.state[MODEL_STATE] = ConfigRecord(
        {"model": model_bytes, "metadata": metadata}
    )
    return model_bytes, metadata


def _classes(config):
    classes = config.get("classes")
    return labels_from_json(json.loads(classes)) if classes else None


def make_client_app(site_fn, public_fn=node_public):
    """A ``ClientApp`` around one site's data, estimator and public rows.

    Parameters
    ----------
    site_fn : callable
        ``site_fn(node_config) -> Site``
        (:class:`~skcoop.flower.cooperative.Site`), called at the site.
    public_fn : callable, default=node_public
        ``public_fn(node_config, run_config) -> X_public``: the public rows,
        in the columns of the site's ``X``; the same at every site.

    Returns
    -------
    app : flwr.clientapp.ClientApp

    Examples
    --------
    >>> from skcoop.flower.public import demo_site, make_client_app
    >>> app = make_client_app(demo_site)
    >>> sorted(app._registered_funcs)
    ['query.model', 'query.public', 'train.learn', 'train.scores']
    """
    app = ClientApp()

    def public(context):
        return public_fn(context.node_config, context.run_config)

    def step(msg, context):
        # a round's step at the site: its model, the public rows, the strategy
        site = site_fn(context.node_config)
        config = msg.content["config"]
        X_public = public(context)
        model, _ = current_model(context, site)
        return site, config, X_public, model, make_distiller(config, X_public)

    @app.query("public")
    def _fit(msg: Message, context: Context) -> Message:
        start = time.perf_counter()
        site = site_fn(context.node_config)
        y = np.asarray(site.y)
        model = clone(site.estimator).fit(site.own(site.X), y)
        _keep(context, model, site)
        classes = getattr(model, "classes_", None)
        record = ConfigRecord(
            {
                "name": site.name,
                "index": int(context.node_config.get("partition-id", 0)),
                "classes": ""
                if classes is None
                else json.dumps(labels_to_json(np.asarray(classes))),
                "digest": public_digest(public(context)),
            }
        )
        metrics = MetricRecord(
            {"score": site.score(model), "seconds": time.perf_counter() - start}
        )
        return Message(RecordDict({"site": record, "metrics": metrics}), reply_to=msg)

    @app.train("scores")
    def _scores(msg: Message, context: Context) -> Message:
        start = time.perf_counter()
        site, config, X_public, model, distiller = step(msg, context)
        scores = public_scores(
            model,
            X_public,
            name=site.name,
            distiller=distiller,
            classes=_classes(config),
        )
        content = RecordDict(
            {
                "scores": ArrayRecord(
                    {"scores": Array(np.asarray(scores.scores, dtype=np.float64))}
                ),
                "site": ConfigRecord({"name": site.name, "digest": scores.digest}),
                "metrics": MetricRecord({"seconds": time.perf_counter() - start}),
            }
        )
        return Message(content, reply_to=msg)

    @app.train("learn")
    def _learn(msg: Message, context: Context) -> Message:
        start = time.perf_counter()
        site, config, X_public, fitted, distiller = step(msg, context)
        consensus = msg.content["consensus"]["consensus"].numpy()
        model = public_learn(
            site.estimator,
            site.own(site.X),
            np.asarray(site.y),
            X_public,
            consensus,
            name=site.name,
            distiller=distiller,
            classes=_classes(config),
            random_state=int(config["seed"]),
            fitted=fitted,
        )
        _keep(context, model, site)
        metrics = MetricRecord(
            {"score": site.score(model), "seconds": time.perf_counter() - start}
        )
        return Message(RecordDict({"metrics": metrics}), reply_to=msg)

    @app.query("model")
    def _model(msg: Message, context: Context) -> Message:
        site = site_fn(context.node_config)
        _, state = current_model(context, site)
        index = int(context.node_config.get("partition-id", 0))
        record = model_record(state["model"], state["metadata"], site.name, index)
        return reply_with(msg, record, MetricRecord({}))

    return app
