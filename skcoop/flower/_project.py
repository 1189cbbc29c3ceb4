"""``python -m skcoop flower new DIR``: the Flower app project, to edit.

:data:`PROJECT` holds the files of ``apps/skcoop-flower`` in skcoop's
repository (``tests/test_flower_app.py`` keeps the two equal);
:func:`write_project` writes them into a new folder.
"""

# SPDX-License-Identifier: BSD-3-Clause

from pathlib import Path

__all__ = ["PROJECT", "write_project"]

#: The app project's files: relative path -> text.
PROJECT = {}

PROJECT['pyproject.toml'] = '''\
# A Flower app for skcoop's cooperative distillation across sites.
# Run it with `flwr run . <superlink connection>` (see README.md).
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "skcoop-app"
version = "1.0.0"
description = "Cooperative knowledge distillation across sites, with skcoop and Flower"
license = "BSD-3-Clause"
# every site and the SuperLink have skcoop[silo,flower] installed already
dependencies = []

[tool.hatch.build.targets.wheel]
packages = ["skcoop_app"]

[tool.flwr.app]
publisher = "skcoop"

[tool.flwr.app.components]
serverapp = "skcoop_app.server_app:app"
clientapp = "skcoop_app.client_app:app"

# The run: what the server decides for every site. Each site's rows, learner
# and name are its own, in its SuperNode's --node-config (README.md), never here.
[tool.flwr.app.config]
num-rounds = 1
random-state = 0
# wait up to wait-for-sites seconds for min-sites SuperNodes, then start
min-sites = 3
wait-for-sites = 120.0
# seconds to wait for the sites' replies at each step
timeout = 600.0
# where the server writes history.json and the final model files ("": nowhere)
results-dir = ""
# how sites teach and learn: the settings of CooperativeDistillationEnsemble
alpha = 0.5
scope = "expertise"
expertise = "oof"
oof-folds = 3
counterfactual = "auto"
# the release guard: "auto" releases a draw like each counterfactual's 20
# nearest site rows of its class instead of it ("": off, rows near-copy records)
guard = "auto"
fill = "impute"
dedupe = true
virtual-weight = 1.0
warm-refit = true
# regression only: the error under which a member is right ("auto": learnt)
tolerance = "auto"
tolerance-quantile = 0.5
'''

PROJECT['README.md'] = '''\
# skcoop-app: cooperative distillation across sites, as a Flower app

Each site keeps its rows and its own learner. The ServerApp asks every site
for its fitted model, sends each site its peers' models, routes the virtual
rows each site writes for each peer, and each site refits on its own rows plus
the rows it received. Only model files (skops) and virtual rows (parquet) travel;
no raw row leaves a site. The result equals `skcoop.CooperativeDistillationEnsemble`
fitted on the sites' rows with the same `random_state`.

Every site and the SuperLink need skcoop with its `silo` and `flower` extras:

    pip install -e "./skcoop[silo,flower]"   # from a checkout of skcoop

## Files

- `pyproject.toml`: the app (`[tool.flwr.app.components]`) and its run config
  (`[tool.flwr.app.config]`): rounds, seed, how many sites to wait for, and the
  teaching settings (`alpha`, `scope`, `expertise`, `oof-folds`,
  `counterfactual`, the release guard `guard`, `fill`, `dedupe`,
  `virtual-weight`, `warm-refit`), with the defaults and rules of
  `CooperativeDistillationEnsemble` (`guard = ""` turns the guard off).
- `skcoop_app/server_app.py`, `skcoop_app/client_app.py`: the two components,
  thin modules over `skcoop.flower.cooperative`.

## Each site's own settings: `--node-config`

A site says which rows and which learner are its own when it starts its
SuperNode; the server never sees them:

    flower-supernode ... --node-config 'name="a" data="/data/a.csv"
        target="target" estimator="logreg" holdout="/data/holdout.csv"'

(one line). The keys:

- `name`: the site's name, unique in the federation;
- `data`: its rows, a CSV or parquet file (an absolute path);
- `target`: the label column (default `target`);
- `estimator`: `logreg`, `forest`, `knn`, `naive_bayes`, `tree`, `ridge`, ...
  or `module:function`, a function returning an unfitted estimator (default
  `logreg`);
- `holdout`: rows to score after each round (optional);
- `seed`: seeds a built-in learner (default 0);
- `trust`: further types to load from peers' model files, space-separated.

Without `data` a site is a part of the breast cancer demo, chosen by
`partition-id` (what Flower's simulation gives each virtual SuperNode).

## Try it on one machine: Flower's simulation

    flwr run . local --federation-config "num-supernodes=3"

(`local` is the connection Flower writes into `~/.flwr/config.toml` by
default; it starts a local simulation SuperLink and leaves it running for
later runs.) Change a setting for one
run with `--run-config 'alpha=0.3 num-rounds=2'`. With `results-dir` set,
the server writes `history.json` and the final model files there.

## Run it between sites

Over TLS, with only registered SuperNodes admitted: see "Deploying across
sites" in skcoop's documentation (`doc/deploying.rst`). `--insecure` (no
TLS, no authentication: anyone who reaches the SuperLink can join and
receive the sites' models and rows) is for trials on one machine only.
'''

PROJECT['skcoop_app/__init__.py'] = '''\
"""skcoop's cooperative distillation as a Flower app (``flwr run``)."""
'''

PROJECT['skcoop_app/server_app.py'] = '''\
"""The ServerApp: rounds of cooperative distillation, routed between sites.

Its settings are the run config of ``pyproject.toml`` (``[tool.flwr.app.config]``),
overridden at submission with ``flwr run . <superlink> --run-config 'alpha=0.3'``.
It sees model files and virtual rows only, never a raw row.
"""

from skcoop.flower.cooperative import make_server_app

app = make_server_app()
'''

PROJECT['skcoop_app/client_app.py'] = '''\
"""The ClientApp: one site fits, teaches and learns on its own rows.

Each SuperNode says which rows and which learner are its own with its
``--node-config`` (``data``, ``target``, ``name``, ``estimator``,
``holdout``; see README.md); without ``data`` (Flower's simulation), the
site is ``partition-id``'s part of the breast cancer demo.
"""

from skcoop.flower.cooperative import make_client_app, node_site

app = make_client_app(node_site)
'''


def write_project(folder):
    """Write the app project into ``folder`` (new, or empty); its files.

    Examples
    --------
    >>> import tempfile
    >>> from skcoop.flower._project import write_project
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = write_project(Path(tmp) / "my-app")
    ...     sorted(p.name for p in paths)[:2]
    ['README.md', '__init__.py']
    """
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(
            f"{str(folder)!r} exists and is not an empty folder; give a new "
            "folder for the app project."
        )
    paths = []
    for name, text in PROJECT.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        paths.append(path)
    return paths
