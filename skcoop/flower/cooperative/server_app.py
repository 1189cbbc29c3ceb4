"""The cooperative ``ServerApp``: rounds of cooperative distillation, routed.

``main(grid, context)`` asks every SuperNode for its fitted model
(``query.model``), orders the sites by ``partition-id`` and, each round,

1. sends each site its peers' models and the seed
   :func:`skcoop.silo.site_seeds` gives it (``train.teach``); each site
   replies with one parquet file of virtual rows per student;
2. routes those files to their students (``train.learn``, teachers in the
   sites' order); each student refits and replies with its new model and
   held-out score.

The server handles model files and virtual rows only: it never receives a
raw row. A site that fails or does not answer within ``timeout`` does not
block the others: the round goes on with those that answered, and the
report names who was missing at which step.
"""

# SPDX-License-Identifier: BSD-3-Clause

import json
import time

import numpy as np
from flwr.app import ConfigRecord, Context, Message, RecordDict
from flwr.serverapp import Grid, ServerApp

from ...silo import labels_from_json, labels_to_json, site_seeds
from ...silo.options import LEARN_SETTINGS, TEACH_SETTINGS, settings_from_config
from .._checks import check_server_settings
from .history import CooperativeHistory

__all__ = [
    "DEFAULTS",
    "drive",
    "make_server_app",
    "merge_settings",
    "run_rounds",
    "send",
    "serve",
    "wait_for_nodes",
]

#: Settings of a run, overridden by the run config, then by make_server_app.
DEFAULTS = {
    "num-rounds": 1,
    "random-state": 0,
    "min-sites": 1,
    "timeout": 600.0,
    "wait-for-sites": 60.0,
    "teach-params": "{}",
    "learn-params": "{}",
    "results-dir": "",
}

#: Seconds between the in-memory grid's polls for replies (Flower: 0.1).
PULL_INTERVAL = 0.01


def _payload(record):
    return len(record["model"]) + len(record["metadata"].encode())


def send(grid, messages, timeout):
    """Replies by destination node: (ok replies, {node: error reason})."""
    by_id = {}
    replies = grid.send_and_receive(messages=messages, timeout=timeout)
    errors = {}
    for reply in replies:
        node = reply.metadata.src_node_id
        if reply.has_error():
            errors[node] = reply.error.reason
        else:
            by_id[node] = reply
    return by_id, errors


def wait_for_nodes(grid, min_sites, wait):
    deadline = time.monotonic() + wait
    while True:
        nodes = sorted(grid.get_node_ids())
        if len(nodes) >= min_sites or time.monotonic() > deadline:
            return nodes
        time.sleep(0.2)


class _Run:
    """The server's view of a run: models, order, seeds, the history."""

    def __init__(self, grid, settings):
        self.grid = grid
        self.s = settings
        self.timeout = float(settings["timeout"])
        self.history = CooperativeHistory()

    def gather(self):
        start = time.perf_counter()
        nodes = wait_for_nodes(
            self.grid, int(self.s["min-sites"]), float(self.s["wait-for-sites"])
        )
        messages = [
            Message(
                RecordDict({"config": ConfigRecord({})}),
                dst_node_id=n,
                message_type="query.model",
            )
            for n in nodes
        ]
        replies, errors = send(self.grid, messages, self.timeout)
        sites = {}
        for node, reply in replies.items():
            record = reply.content["model"]
            sites[record["name"]] = (int(record["index"]), node)
        if len(sites) != len(replies):
            raise RuntimeError(
                "Site names must be unique in a federation. Got "
                f"{sorted(r.content['model']['name'] for r in replies.values())} "
                "instead."
            )
        self.names = sorted(sites, key=lambda n: (sites[n][0], n))
        self.node = {n: sites[n][1] for n in self.names}
        self.models = {n: replies[self.node[n]].content["model"] for n in self.names}
        known = [
            labels_from_json(json.loads(r["metadata"]).get("classes"))
            for r in self.models.values()
        ]
        known = [k for k in known if k is not None]
        self.classes = (
            json.dumps(labels_to_json(np.unique(np.concatenate(known))))
            if known
            else ""
        )
        self.seeds = site_seeds(
            int(self.s["random-state"]), self.names, int(self.s["num-rounds"])
        )
        missing = [f"node {n}" for n in nodes if n not in self.node.values()]
        for name in self.names:
            m = replies[self.node[name]].content["metrics"]
            self.history.add_site(
                0,
                name,
                score=m["score"],
                bytes_sent=_payload(self.models[name]),
                site_seconds=m["seconds"],
            )
        self.history.add_round(
            0,
            time.perf_counter() - start,
            {"model": missing},
            {f"node {n}": e for n, e in errors.items()},
        )

    def _config(self, n_round, name):
        return ConfigRecord(
            {
                "round": n_round,
                "seed": int(self.seeds[n_round][name]),
                "teach-params": str(self.s["teach-params"]),
                "learn-params": str(self.s["learn-params"]),
                "classes": self.classes,
            }
        )

    def round(self, n_round):
        start = time.perf_counter()
        names = self.names
        received = dict.fromkeys(names, 0)
        sent = dict.fromkeys(names, 0)
        peer_bytes = {
            name: sum(_payload(self.models[p]) for p in names if p != name)
            for name in names
        }
        messages = []
        for name in names:
            content = RecordDict({"config": self._config(n_round, name)})
            for k, peer in enumerate(p for p in names if p != name):
                content[f"peer-{k}"] = ConfigRecord(dict(self.models[peer]))
            messages.append(
                Message(
                    content, dst_node_id=self.node[name], message_type="train.teach"
                )
            )
        replies, errors = send(self.grid, messages, self.timeout)
        by_node = {node: name for name, node in self.node.items()}
        taught = {by_node[node]: reply for node, reply in replies.items()}
        rows_sent = dict.fromkeys(names, 0)
        inbox = {name: [] for name in names}
        for order, teacher in enumerate(names):
            if teacher not in taught:
                continue
            content = taught[teacher].content
            for key, record in content.config_records.items():
                if not key.startswith("rows-"):
                    continue
                student = record["student"]
                if student not in inbox:
                    raise RuntimeError(
                        f"Site {teacher!r} sent virtual rows to {student!r}, "
                        f"which is not a site of this run ({names})."
                    )
                inbox[student].append((order, teacher, record))
                rows_sent[teacher] += int(record["n-rows"])
                sent[teacher] += len(record["rows"])
                self.history.keep_rows(n_round + 1, record["rows"])
        missing = {"teach": [n for n in names if n not in taught]}
        teach_errors = {by_node[n]: e for n, e in errors.items()}
        messages = []
        rows_received = dict.fromkeys(names, 0)
        for name in names:
            content = RecordDict({"config": self._config(n_round, name)})
            for order, teacher, record in inbox[name]:
                content[f"rows-{order}"] = ConfigRecord(
                    {
                        "teacher": teacher,
                        "order": order,
                        "rows": record["rows"],
                        "n-rows": int(record["n-rows"]),
                    }
                )
            messages.append(
                Message(
                    content, dst_node_id=self.node[name], message_type="train.learn"
                )
            )
        replies, errors = send(self.grid, messages, self.timeout)
        learned = {by_node[node]: reply for node, reply in replies.items()}
        missing["learn"] = [n for n in names if n not in learned]
        learn_errors = {by_node[n]: e for n, e in errors.items()}
        for name in names:
            score = float("nan")
            seconds = 0.0
            if name in taught:  # what a site confirmed it received
                received[name] += peer_bytes[name]
            if name in learned:
                rows_received[name] = sum(int(r["n-rows"]) for *_, r in inbox[name])
                received[name] += sum(len(r["rows"]) for *_, r in inbox[name])
                record = learned[name].content["model"]
                self.models[name] = record
                sent[name] += _payload(record)
                score = learned[name].content["metrics"]["score"]
                seconds += learned[name].content["metrics"]["seconds"]
            if name in taught:
                seconds += taught[name].content["metrics"]["seconds"]
            self.history.add_site(
                n_round + 1,
                name,
                score=score,
                rows_sent=rows_sent[name],
                rows_received=rows_received[name],
                bytes_sent=sent[name],
                bytes_received=received[name],
                site_seconds=seconds,
            )
        errors = {f"teach {n}": e for n, e in teach_errors.items()}
        errors.update({f"learn {n}": e for n, e in learn_errors.items()})
        self.history.add_round(
            n_round + 1, time.perf_counter() - start, missing, errors
        )

    def finish(self):
        self.history.models = {
            n: (bytes(r["model"]), str(r["metadata"])) for n, r in self.models.items()
        }
        self.history.names = list(self.names)
        return self.history


def merge_settings(defaults, run_config, overrides):
    """``defaults``, overridden by the run config, then by the non-None overrides."""
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise ValueError(
            f"Unknown settings {unknown}; the settings are {sorted(defaults)}."
        )
    settings = dict(defaults)
    settings.update({k: v for k, v in dict(run_config).items() if k in defaults})
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return settings


def serve(settings_fn, run_fn, results=None):
    """A ``ServerApp`` whose main runs ``run_fn(grid, settings_fn(run_config))``.

    The run's history goes to ``results["history"]`` and, with a
    ``results-dir`` setting, is saved there.
    """
    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        settings = settings_fn(context.run_config)
        history = run_fn(grid, settings)
        if results is not None:
            results["history"] = history
        if settings["results-dir"]:
            history.save(settings["results-dir"])

    return app


def drive(run):
    """Gather, every round, finish: a run object's whole life on its grid."""
    if hasattr(run.grid, "pull_interval"):
        run.grid.pull_interval = PULL_INTERVAL
    run.gather()
    for n_round in range(int(run.s["num-rounds"])):
        run.round(n_round)
    return run.finish()


def _settings(run_config, overrides):
    run_config = dict(run_config)
    settings = merge_settings(DEFAULTS, run_config, overrides)
    # one run-config key per setting (``alpha = 0.5``, ``guard = "auto"``),
    # checked as the estimators check them; the JSON keys win where both set one
    per_key = {
        "teach-params": settings_from_config(run_config, TEACH_SETTINGS),
        "learn-params": settings_from_config(run_config, LEARN_SETTINGS),
    }
    for key in ("teach-params", "learn-params"):
        if isinstance(settings[key], str):
            settings[key] = json.loads(settings[key] or "{}")
        settings[key] = json.dumps({**per_key[key], **settings[key]})
    check_server_settings(settings)
    return settings


def make_server_app(
    *,
    n_rounds=None,
    random_state=None,
    teach_params=None,
    learn_params=None,
    min_sites=None,
    timeout=None,
    results=None,
):
    """A ``ServerApp`` that runs cooperative distillation rounds across sites.

    Each setting left None is read from the run config (``num-rounds``,
    ``random-state``, ``teach-params``, ``learn-params`` as JSON,
    ``min-sites``, ``timeout``, ``results-dir``), else from :data:`DEFAULTS`.
    The run config may also set each teaching setting by its own key
    (``alpha``, ``scope``, ``expertise``, ``oof-folds``, ``counterfactual``,
    ``guard``, ``fill``, ``virtual-weight``, ``dedupe``, ``warm-refit``;
    ``guard = ""`` turns the release guard off), checked as the estimators
    check them.

    Parameters
    ----------
    n_rounds : int, default=None
        Rounds of teaching and learning.
    random_state : int, default=None
        The in-process ensemble's ``random_state``: each teacher's seed per
        round comes from :func:`skcoop.silo.site_seeds` in the sites' order
        (by ``partition-id``).
    teach_params : dict, default=None
        Keyword arguments of :func:`skcoop.silo.teach` every site uses
        (``alpha``, ``counterfactual``, ``scope``, ...; JSON values).
    learn_params : dict, default=None
        Keyword arguments of :func:`skcoop.silo.learn` (``virtual_weight``,
        ``fill``, ``dedupe``, ``warm_refit``).
    min_sites : int, default=None
        Wait (up to ``wait-for-sites`` seconds) for this many SuperNodes.
    timeout : float, default=None
        Seconds to wait for the sites' replies at each step.
    results : dict, default=None
        Filled with ``results["history"]``, the run's
        :class:`~skcoop.flower.cooperative.CooperativeHistory`. With a
        ``results-dir`` in the run config, the history is also written there
        (``history.json`` and the final model files).

    Returns
    -------
    app : flwr.serverapp.ServerApp

    Examples
    --------
    >>> from skcoop.flower.cooperative import make_server_app
    >>> app = make_server_app(n_rounds=2, random_state=0)
    >>> type(app).__name__
    'ServerApp'
    """
    overrides = {
        "num-rounds": n_rounds,
        "random-state": random_state,
        "teach-params": teach_params,
        "learn-params": learn_params,
        "min-sites": min_sites,
        "timeout": timeout,
    }
    check_server_settings(overrides)
    return serve(lambda config: _settings(config, overrides), run_rounds, results)


def run_rounds(grid, settings=None):
    """Run a whole cooperative run on ``grid``: the body of the ServerApp.

    Parameters
    ----------
    grid : flwr.serverapp.Grid
        Flower's grid (any runtime).
    settings : dict, default=None
        Keys of :data:`DEFAULTS` to override.

    Returns
    -------
    history : CooperativeHistory
    """
    return drive(_Run(grid, _settings({}, settings or {})))
