"""Checks of the Flower apps' entry points, before anything is started.

A simulation or a federation that starts with a bad setting fails minutes
later inside a Ray worker or a SuperNode, far from the mistake; these checks
run where the setting is given (:class:`~skcoop.flower.cooperative.Site`,
:func:`~skcoop.flower.cooperative.make_server_app`,
:func:`~skcoop.flower.cooperative.run_cooperative`,
:class:`~skcoop.flower.fedavg.FedAvgJob`).
"""

# SPDX-License-Identifier: BSD-3-Clause

import inspect
import json
from numbers import Real

import numpy as np

from ..utils import check_count, is_frame

#: settings the server or the site sets itself, never through teach_params
_SET_BY_THE_RUN = {"name", "round", "random_state", "received", "trusted", "classes"}


def check_positive(value, name, *, allow_zero=False):
    """``value`` as a float if it is a positive (or >= 0) finite number."""
    bad = isinstance(value, bool) or not isinstance(value, Real)
    if bad or not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        rule = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {rule} finite number. Got {value!r} instead.")
    return float(value)


def check_params(params, name, function):
    """``params`` as a dict of ``function``'s keyword arguments, JSON-safe."""
    if params is None:
        return {}
    if isinstance(params, str):
        try:
            params = json.loads(params)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name} must be a JSON object: {exc}") from exc
    if not isinstance(params, dict):
        raise ValueError(
            f"{name} must be a dict of keyword arguments of {function.__name__}. "
            f"Got {type(params).__name__} instead."
        )
    accepted = {
        p.name
        for p in inspect.signature(function).parameters.values()
        if p.kind is p.KEYWORD_ONLY
    }
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise ValueError(
            f"{name} holds {unknown}, which are not settings of "
            f"{function.__name__}; its settings are {sorted(accepted)}."
        )
    fixed = sorted(set(params) & _SET_BY_THE_RUN)
    if fixed:
        raise ValueError(
            f"{name} must not set {fixed}: the run sets them for each site and round."
        )
    return params


def check_json_params(params, name, function):
    """:func:`check_params`, and the values must travel as JSON."""
    params = check_params(params, name, function)
    try:
        json.dumps(params)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} travels to the sites as JSON, so its values must be JSON "
            f"values ({exc}). Set an object (a counterfactual engine, say) in "
            "each Site's own teach_params instead."
        ) from exc
    return params


def check_site(site):
    """A :class:`Site`'s fields: a name, an estimator, rows and labels that agree."""
    from ..silo import teach

    if not isinstance(site.name, str) or not site.name:
        raise ValueError(
            f"Site name must be a non-empty str. Got {site.name!r} instead."
        )
    if site.estimator is not None and not hasattr(site.estimator, "fit"):
        raise TypeError(
            f"Site {site.name!r}: estimator must be an estimator with fit. Got "
            f"{type(site.estimator).__name__} instead."
        )
    if site.X is not None or site.y is not None:
        _check_rows(site.X, site.y, f"Site {site.name!r}", "X", "y")
    if (site.X_test is None) != (site.y_test is None):
        raise ValueError(
            f"Site {site.name!r}: give both X_test and y_test, or neither."
        )
    if site.X_test is not None:
        _check_rows(site.X_test, site.y_test, f"Site {site.name!r}", "X_test", "y_test")
    if site.columns is not None:
        if not is_frame(site.X):
            raise ValueError(
                f"Site {site.name!r}: columns select DataFrame columns by name; "
                "X is not a DataFrame. Pass X as a DataFrame or leave columns None."
            )
        missing = [c for c in site.columns if c not in site.X.columns]
        if missing:
            raise ValueError(
                f"Site {site.name!r}: columns {missing} are not columns of X "
                f"({list(site.X.columns)})."
            )
    check_params(site.teach_params, f"Site {site.name!r}: teach_params", teach)


def _check_rows(X, y, who, x_name, y_name):
    shape = np.shape(X) if not is_frame(X) else X.shape
    if len(shape) != 2 or shape[0] == 0:
        raise ValueError(
            f"{who}: {x_name} must be 2-D with at least one row. Got shape {shape} "
            "instead."
        )
    y_shape = np.shape(y)
    if len(y_shape) != 1 or y_shape[0] != shape[0]:
        raise ValueError(
            f"{who}: {y_name} must hold one label per row of {x_name} "
            f"({shape[0]}). Got shape {y_shape} instead."
        )


def check_run_settings(overrides):
    """The settings every ServerApp of skcoop shares (None: not set here)."""
    if overrides.get("num-rounds") is not None:
        check_count(overrides["num-rounds"], "n_rounds", 1)
    if overrides.get("min-sites") is not None:
        check_count(overrides["min-sites"], "min_sites", 1)
    if overrides.get("timeout") is not None:
        check_positive(overrides["timeout"], "timeout")
    rs = overrides.get("random-state")
    if rs is not None:
        check_count(rs, "random_state", 0)


def check_server_settings(overrides):
    """The settings given to :func:`make_server_app` (None: from the run config)."""
    from ..silo import learn, teach

    check_run_settings(overrides)
    if overrides.get("teach-params") is not None:
        check_json_params(overrides["teach-params"], "teach_params", teach)
    if overrides.get("learn-params") is not None:
        check_json_params(overrides["learn-params"], "learn_params", learn)


def check_job(job):
    """A :class:`FedAvgJob`'s fields: clients' rows, weights and settings."""
    if not isinstance(job.name, str) or not job.name:
        raise ValueError(f"FedAvgJob name must be a non-empty str. Got {job.name!r}.")
    who = f"FedAvgJob {job.name!r}"
    data = job.client_data
    if not isinstance(data, (list, tuple)) or not data:
        raise ValueError(
            f"{who}: client_data must be a non-empty list of (X, y), one per "
            f"client. Got {type(data).__name__} instead."
        )
    for k, pair in enumerate(data):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(
                f"{who}: client_data[{k}] must be a pair (X, y). Got "
                f"{type(pair).__name__} instead."
            )
        _check_rows(pair[0], pair[1], who, f"client {k}'s X", f"client {k}'s y")
    weights = job.initial_weights
    missing = [k for k in ("hidden.weight", "out.weight") if k not in (weights or {})]
    if missing:
        raise ValueError(
            f"{who}: initial_weights must be the weights of an MLPModule "
            f"(skcoop.federated.get_weights); they lack {missing}."
        )
    _check_rows(job.X_test, job.y_test, who, "X_test", "y_test")
    check_count(job.n_rounds, "n_rounds", 1)
    check_count(job.local_epochs, "local_epochs", 1)
    check_count(job.batch_size, "batch_size", 1)
    check_count(job.seed, "seed", 0)
    check_positive(job.lr, "lr")
    if job.stop_at is not None and (
        isinstance(job.stop_at, bool)
        or not isinstance(job.stop_at, Real)
        or not 0 <= job.stop_at <= 1
    ):
        raise ValueError(
            f"{who}: stop_at must be an accuracy in [0, 1] or None. Got "
            f"{job.stop_at!r} instead."
        )
