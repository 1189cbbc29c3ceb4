"""What both sides of the public-set Flower app share: the strategy and the rows.

The strategy (FedMD or FedDF) and its settings are the run config's; each
side builds the same :class:`~skcoop.distill.FedMDDistiller` or
:class:`~skcoop.distill.FedDFDistiller` from them (:func:`make_distiller`).
The public rows are known to every site (:func:`node_public`) and never
travel; a site proves it holds the same ones by their digest
(:func:`skcoop.silo._public.public_digest`, as in the silo's scores files).
"""

# SPDX-License-Identifier: BSD-3-Clause

from pathlib import Path

import numpy as np

from ...distill import FedDFDistiller, FedMDDistiller
from .._checks import check_run_settings

__all__ = ["DISTILLERS", "check_settings", "make_distiller", "node_public"]

#: The strategies a run config names with ``method``.
DISTILLERS = {"fedmd": FedMDDistiller, "feddf": FedDFDistiller}

#: The run-config keys of the strategy, with their defaults.
STRATEGY_KEYS = {
    "method": "fedmd",
    "temperature": 1.0,
    "public-weight": 1.0,
    "soft-method": "auto",
    "warm-start": False,
}


def check_settings(settings):
    """The server's settings checked (None: read from the run config later)."""
    check_run_settings(settings)
    if settings.get("method") is not None and settings["method"] not in DISTILLERS:
        raise ValueError(
            f"method must be one of {sorted(DISTILLERS)}. Got "
            f"{settings['method']!r} instead."
        )


def make_distiller(config, X_public=None):
    """The strategy the run config names, on ``X_public``.

    Parameters
    ----------
    config : mapping
        ``method`` (``"fedmd"`` or ``"feddf"``), ``temperature``,
        ``public-weight``, ``soft-method`` (the strategy's ``method``:
        ``"auto"``, ``"native"``, ``"replicate"``, ``"resample"``) and
        ``warm-start``; missing keys take :data:`STRATEGY_KEYS`.
    X_public : array-like or None, default=None
        The public rows (a site's). The server holds none: its strategy
        only combines scores and never reads them (a one-row placeholder).

    Returns
    -------
    distiller : FedMDDistiller or FedDFDistiller
        Checked.

    Examples
    --------
    >>> from skcoop.flower.public.task import make_distiller
    >>> make_distiller({"method": "feddf", "temperature": 2.0}).temperature
    2.0
    """
    settings = {**STRATEGY_KEYS, **{k: config[k] for k in STRATEGY_KEYS if k in config}}
    check_settings({"method": settings["method"]})
    distiller = DISTILLERS[settings["method"]](
        np.zeros((1, 1)) if X_public is None else X_public,
        temperature=float(settings["temperature"]),
        public_weight=float(settings["public-weight"]),
        method=str(settings["soft-method"]),
        warm_start=bool(settings["warm-start"]),
    )
    distiller._validate_params()
    return distiller


def node_public(node_config, run_config=None):
    """The public rows a site reads: its node config's ``public``, else the run's.

    ``public`` is a CSV or parquet file (as for ``python -m skcoop silo``)
    in the columns of the sites' rows; a ``target`` column (the node
    config's, default ``"target"``) is dropped, as the public rows are
    unlabelled. Without ``public`` anywhere: the demo's public rows
    (:func:`~skcoop.flower.public.demo_public`).

    Examples
    --------
    >>> from skcoop.flower.public import node_public
    >>> node_public({"partition-id": 0}).shape
    (114, 30)
    """
    path = dict(node_config).get("public") or dict(run_config or {}).get("public")
    if not path:
        from .demo import demo_public

        return demo_public(node_config)
    from ...silo.cli import read_table

    table = read_table(Path(str(path)).expanduser())
    target = dict(node_config).get("target", "target")
    return table.drop(columns=[target]) if target in table.columns else table
