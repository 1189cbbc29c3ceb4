"""A site from its SuperNode's own ``--node-config``: its rows and its learner.

Under the deployment runtime, each site starts its SuperNode with, say::

    flower-supernode ... --node-config 'name="a" data="/data/a.csv" \
target="target" estimator="logreg" holdout="/data/holdout.csv"'

and :func:`node_site` builds the site's :class:`Site` from it, at the site:
the server never learns where the rows are, which learner a site uses, or
what the rows hold. Without ``data`` (Flower's simulation gives only
``partition-id``), the site is that partition of the breast cancer demo
(:func:`~skcoop.flower.cooperative.demo_site`).
"""

# SPDX-License-Identifier: BSD-3-Clause

from pathlib import Path

from .demo import demo_site
from .task import Site

__all__ = ["NODE_KEYS", "node_site"]

#: The node-config keys :func:`node_site` reads, with their defaults.
NODE_KEYS = {
    "name": None,
    "data": None,
    "target": "target",
    "estimator": "logreg",
    "holdout": "",
    "seed": 0,
    "trust": "",
}


def node_site(node_config):
    """The :class:`Site` a SuperNode's node config describes.

    Parameters
    ----------
    node_config : mapping
        The SuperNode's ``--node-config``:

        - ``name``: the site's (member's) name, unique in the federation;
        - ``data``: its rows, a CSV or parquet file (as for
          ``python -m skcoop silo``); an absolute path, or relative to the
          folder the SuperNode was started in;
        - ``target``: the label column (default ``"target"``);
        - ``estimator``: a built-in learner of ``python -m skcoop silo
          export`` or ``"module:factory"`` (default ``"logreg"``);
        - ``holdout``: rows to score each round on (default: none);
        - ``seed``: seeds a built-in learner (default 0);
        - ``trust``: further types to load from peers' model files,
          separated by spaces.

        Without ``data``: ``partition-id`` of the demo.

    Returns
    -------
    site : Site

    Examples
    --------
    >>> from skcoop.flower.cooperative import node_site
    >>> node_site({"partition-id": 2}).name  # no data: the demo's site 2
    'logreg'
    """
    config = dict(node_config)
    if not config.get("data"):
        return demo_site(config)
    from ...silo.cli import make_estimator, read_table, split_target

    settings = {**NODE_KEYS, **config}
    if not settings["name"]:
        raise ValueError(
            'A SuperNode\'s node config must name its site (name="a") next to '
            f"its data. Got {sorted(config)} instead."
        )
    X, y = split_target(
        read_table(Path(settings["data"]).expanduser()),
        settings["target"],
        settings["data"],
    )
    X_test = y_test = None
    if settings["holdout"]:
        X_test, y_test = split_target(
            read_table(Path(settings["holdout"]).expanduser()),
            settings["target"],
            settings["holdout"],
        )
    estimator = make_estimator(str(settings["estimator"]), X, int(settings["seed"]))
    trusted = str(settings["trust"]).split() or None
    return Site(str(settings["name"]), estimator, X, y, X_test, y_test, trusted=trusted)
