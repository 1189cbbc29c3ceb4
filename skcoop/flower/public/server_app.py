"""The public-set ``ServerApp``: FedMD or FedDF rounds, only scores travelling.

``main(grid, context)`` asks every SuperNode to fit its member alone
(``query.public``: name, ``partition-id``, classes, the digest of its
public rows), orders the sites by ``partition-id``, keeps those whose
public rows are the run's (the first site's digest, or the run config's
``public-digest``) and, each round,

1. asks each site for its scores on the public rows (``train.scores``:
   one array of floats);
2. combines them with :func:`skcoop.silo.public_consensus`
   (:func:`aggregate`), the strategy the run config names;
3. sends the consensus and each site's seed of
   :func:`skcoop.silo.public_seeds` (``train.learn``); each student learns
   it on the public rows (with its own rows, for FedMD).

With the same seed, the students equal those of the in-process
``CooperativeDistillationEnsemble(distiller=FedMDDistiller(X_public))``
(or ``FedDFDistiller``). A site that fails or does not answer within
``timeout`` does not block the others: the consensus is of those that
answered, and the report names who was missing at which step.
"""

# SPDX-License-Identifier: BSD-3-Clause

import json
import time

import numpy as np
from flwr.app import Array, ArrayRecord, ConfigRecord, Message, RecordDict

from ...silo import (
    PublicScores,
    labels_from_json,
    labels_to_json,
    public_consensus,
    public_seeds,
)
from ..cooperative.history import CooperativeHistory
from ..cooperative.server_app import (
    drive,
    merge_settings,
    send,
    serve,
    wait_for_nodes,
)
from .task import STRATEGY_KEYS, check_settings, make_distiller

__all__ = ["DEFAULTS", "aggregate", "make_server_app", "run_rounds"]

#: Settings of a run, overridden by the run config, then by make_server_app.
DEFAULTS = {
    "num-rounds": 1,
    "random-state": 0,
    "min-sites": 1,
    "timeout": 600.0,
    "wait-for-sites": 60.0,
    "public-digest": "",
    "return-models": False,
    "results-dir": "",
    **STRATEGY_KEYS,
}


def aggregate(scores, classes, distiller):
    """The consensus of the sites' scores: the server's step of a round.

    Parameters
    ----------
    scores : dict of str -> (ndarray, str)
        Each site's scores on the public rows and their digest, in the
        sites' order.
    classes : ndarray or None
        Every class of the run (None for a regressor).
    distiller : FedMDDistiller or FedDFDistiller
        The run's strategy (:func:`~skcoop.flower.public.task.make_distiller`).

    Returns
    -------
    consensus : ndarray
        What :func:`skcoop.silo.public_consensus` returns for the same
        scores files.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.flower.public.server_app import aggregate
    >>> from skcoop.flower.public.task import make_distiller
    >>> scores = {"a": (np.array([[0.8, 0.2]]), "d"), "b": (np.array([[0.4, 0.6]]), "d")}
    >>> aggregate(scores, np.array([0, 1]), make_distiller({"method": "fedmd"}))
    array([[0.6, 0.4]])
    """  # noqa: E501
    return public_consensus(
        [
            PublicScores(name, np.asarray(s, dtype=np.float64), classes, digest)
            for name, (s, digest) in scores.items()
        ],
        distiller=distiller,
    )


class _Run:
    """The server's view of a run: sites, order, seeds, the history."""

    def __init__(self, grid, settings):
        self.grid = grid
        self.s = settings
        self.timeout = float(settings["timeout"])
        self.history = CooperativeHistory()
        self.distiller = make_distiller(settings)

    def _messages(self, names, message_type, content_fn):
        return [
            Message(content_fn(n), dst_node_id=self.node[n], message_type=message_type)
            for n in names
        ]

    def gather(self):
        start = time.perf_counter()
        nodes = wait_for_nodes(
            self.grid, int(self.s["min-sites"]), float(self.s["wait-for-sites"])
        )
        messages = [
            Message(
                RecordDict({"config": ConfigRecord({})}),
                dst_node_id=n,
                message_type="query.public",
            )
            for n in nodes
        ]
        replies, errors = send(self.grid, messages, self.timeout)
        sites = {r.content["site"]["name"]: (r, n) for n, r in replies.items()}
        if len(sites) != len(replies):
            raise RuntimeError(
                "Site names must be unique in a federation. Got "
                f"{sorted(r.content['site']['name'] for r in replies.values())} "
                "instead."
            )
        names = sorted(
            sites, key=lambda n: (int(sites[n][0].content["site"]["index"]), n)
        )
        errors = {f"node {n}": e for n, e in errors.items()}
        digest = str(self.s["public-digest"]) or (
            sites[names[0]][0].content["site"]["digest"] if names else ""
        )
        for name in list(names):
            theirs = sites[name][0].content["site"]["digest"]
            if theirs != digest:
                names.remove(name)
                errors[f"public {name}"] = (
                    f"other public rows (digest {theirs[:12]} != {digest[:12]}); "
                    "every site must hold the run's public rows"
                )
        self.names = names
        self.node = {n: sites[n][1] for n in names}
        known = [
            labels_from_json(json.loads(c))
            for c in (sites[n][0].content["site"]["classes"] for n in names)
            if c
        ]
        self.classes = np.unique(np.concatenate(known)) if known else None
        self.seeds = public_seeds(
            int(self.s["random-state"]), names, int(self.s["num-rounds"])
        )
        for name in names:
            m = sites[name][0].content["metrics"]
            self.history.add_site(0, name, score=m["score"], site_seconds=m["seconds"])
        missing = [f"node {n}" for n in nodes if n not in replies]
        self.history.add_round(
            0, time.perf_counter() - start, {"public": missing}, errors
        )

    def _config(self, n_round, name):
        config = {k: self.s[k] for k in STRATEGY_KEYS}
        config.update(round=n_round, seed=int(self.seeds[n_round][name]))
        if self.classes is not None:
            config["classes"] = json.dumps(labels_to_json(self.classes))
        return ConfigRecord(config)

    def round(self, n_round):
        start = time.perf_counter()
        names = self.names
        by_node = {node: name for name, node in self.node.items()}
        replies, errors = send(
            self.grid,
            self._messages(
                names,
                "train.scores",
                lambda n: RecordDict({"config": self._config(n_round, n)}),
            ),
            self.timeout,
        )
        scored = {by_node[n]: r for n, r in replies.items()}
        errors = {f"scores {by_node[n]}": e for n, e in errors.items()}
        scores = {
            n: (
                scored[n].content["scores"]["scores"].numpy(),
                scored[n].content["site"]["digest"],
            )
            for n in names
            if n in scored
        }
        missing = {"scores": [n for n in names if n not in scored], "learn": []}
        learned = {}
        consensus = None
        if scores:
            consensus = np.ascontiguousarray(
                aggregate(scores, self.classes, self.distiller), dtype=np.float64
            )
            replies, learn_errors = send(
                self.grid,
                self._messages(
                    names,
                    "train.learn",
                    lambda n: RecordDict(
                        {
                            "config": self._config(n_round, n),
                            "consensus": ArrayRecord({"consensus": Array(consensus)}),
                        }
                    ),
                ),
                self.timeout,
            )
            learned = {by_node[n]: r for n, r in replies.items()}
            errors.update({f"learn {by_node[n]}": e for n, e in learn_errors.items()})
        missing["learn"] = [n for n in names if n not in learned]
        for name in names:
            seconds = 0.0
            score = float("nan")
            if name in scored:
                seconds += scored[name].content["metrics"]["seconds"]
            if name in learned:
                score = learned[name].content["metrics"]["score"]
                seconds += learned[name].content["metrics"]["seconds"]
            self.history.add_site(
                n_round + 1,
                name,
                score=score,
                bytes_sent=scores[name][0].nbytes if name in scores else 0,
                bytes_received=consensus.nbytes if name in learned else 0,
                site_seconds=seconds,
            )
        self.history.add_round(
            n_round + 1, time.perf_counter() - start, missing, errors
        )

    def finish(self):
        self.history.names = list(self.names)
        if not self.s["return-models"]:
            return self.history
        replies, _ = send(
            self.grid,
            self._messages(
                self.names,
                "query.model",
                lambda n: RecordDict({"config": ConfigRecord({})}),
            ),
            self.timeout,
        )
        for reply in replies.values():
            record = reply.content["model"]
            self.history.models[record["name"]] = (
                bytes(record["model"]),
                str(record["metadata"]),
            )
        return self.history


def _settings(run_config, overrides):
    settings = merge_settings(DEFAULTS, run_config, overrides)
    check_settings(settings)
    make_distiller(settings)  # checks the strategy's settings
    return settings


def make_server_app(
    *,
    n_rounds=None,
    random_state=None,
    method=None,
    temperature=None,
    min_sites=None,
    timeout=None,
    results=None,
):
    """A ``ServerApp`` that runs public-set rounds (FedMD or FedDF) across sites.

    Each setting left None is read from the run config (``num-rounds``,
    ``random-state``, ``method``, ``temperature``, ``min-sites``,
    ``timeout``), else from :data:`DEFAULTS`; the run config may also set
    ``public-weight``, ``soft-method``, ``warm-start`` (the strategy's),
    ``public-digest`` (the digest the sites' public rows must have),
    ``return-models`` (ask for the final models at the end: a simulation's
    report; off, only scores travel) and ``results-dir``.

    Parameters
    ----------
    n_rounds : int, default=None
        Communication rounds.
    random_state : int, default=None
        The in-process ensemble's ``random_state``
        (:func:`skcoop.silo.public_seeds` in the sites' order).
    method : {"fedmd", "feddf"}, default=None
        The strategy.
    temperature : float, default=None
        The strategy's temperature.
    min_sites : int, default=None
        Wait (up to ``wait-for-sites`` seconds) for this many SuperNodes.
    timeout : float, default=None
        Seconds to wait for the sites' replies at each step.
    results : dict, default=None
        Filled with ``results["history"]``, the run's
        :class:`~skcoop.flower.cooperative.CooperativeHistory`.

    Returns
    -------
    app : flwr.serverapp.ServerApp

    Examples
    --------
    >>> from skcoop.flower.public import make_server_app
    >>> type(make_server_app(method="feddf")).__name__
    'ServerApp'
    """
    overrides = {
        "num-rounds": n_rounds,
        "random-state": random_state,
        "method": method,
        "temperature": temperature,
        "min-sites": min_sites,
        "timeout": timeout,
    }
    check_settings(overrides)
    return serve(lambda config: _settings(config, overrides), run_rounds, results)


def run_rounds(grid, settings=None):
    """Run a whole public-set run on ``grid``: the body of the ServerApp.

    Parameters
    ----------
    grid : flwr.serverapp.Grid
        Flower's grid (any runtime).
    settings : dict, default=None
        Keys of :data:`DEFAULTS` to override.

    Returns
    -------
    history : CooperativeHistory
        ``bytes_sent`` / ``bytes_received`` are the scores and the
        consensus (no row is sent: ``rows_*`` are 0).
    """
    return drive(_Run(grid, _settings({}, settings or {})))
