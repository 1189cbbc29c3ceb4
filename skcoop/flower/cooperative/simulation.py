"""Run the cooperative app under Flower's simulation runtime, through ``flwr run``.

Flower's supported simulation path: a simulation SuperLink on 127.0.0.1
and ``flwr run <app> <connection> --federation-config num-supernodes=N``
on an app project written for the run (its ClientApp imports the site
function by name). Every process is started and stopped here.
"""

# SPDX-License-Identifier: BSD-3-Clause

import json
import shutil
import sys
import tempfile
from pathlib import Path

from ...utils import check_count
from .._checks import check_positive

__all__ = ["run_cooperative", "simulate"]

_APP = '''\
"""The app of one simulated run."""

from importlib import import_module

from {package} import make_client_app, make_server_app

server = make_server_app()
client = make_client_app({args})
'''

_PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "skcoop-run-cooperative"
version = "1.0.0"
dependencies = []

[tool.hatch.build.targets.wheel]
packages = ["."]

[tool.flwr.app]
publisher = "skcoop"

[tool.flwr.app.components]
serverapp = "skcoop_run_cooperative:server"
clientapp = "skcoop_run_cooperative:client"

[tool.flwr.app.config]
{config}
"""


def _site_fn_path(site_fn, what="site_fn"):
    module, name = (
        getattr(site_fn, "__module__", None),
        getattr(site_fn, "__qualname__", ""),
    )
    if module is None or "<" in name or "." in name:
        raise ValueError(
            f"{what} must be a module-level function (the simulation's sites "
            f"import it by name). Got {site_fn!r} instead."
        )
    if module == "__main__":
        module = Path(sys.modules["__main__"].__file__).stem
    return module, name


def _federation_config(n_sites, backend_config):
    config = {"num-supernodes": int(n_sites)}
    backend = backend_config or {}
    for group, prefix in (
        ("client_resources", "client-resources"),
        ("init_args", "init-args"),
    ):
        for key in ("num_cpus", "num_gpus"):
            value = backend.get(group, {}).get(key)
            if value is not None:
                config[f"{prefix}-{key.replace('_', '-')}"] = value
    return " ".join(f"{k}={v}" for k, v in config.items())


def run_cooperative(
    site_fn,
    n_sites,
    *,
    n_rounds=1,
    random_state=0,
    teach_params=None,
    learn_params=None,
    timeout=600.0,
    backend_config=None,
    quiet=True,
):
    """Run cooperative distillation rounds across ``n_sites`` simulated sites.

    A :class:`~flwr.serverapp.ServerApp`
    (:func:`~skcoop.flower.cooperative.make_server_app`) drives the rounds
    through Flower's Message API; each of ``n_sites`` virtual SuperNodes runs
    the ``ClientApp`` of :func:`~skcoop.flower.cooperative.make_client_app`
    around ``site_fn({"partition-id": i, "num-partitions": n_sites})``. The
    run goes through ``flwr run`` on a simulation SuperLink that this
    function starts on 127.0.0.1 (a free port) and stops before returning.

    Parameters
    ----------
    site_fn : callable
        ``site_fn(node_config) -> Site``, run at each site: a module-level
        function, imported by name in the simulation's processes.
    n_sites : int
        SuperNodes in the simulation.
    n_rounds : int, default=1
        Rounds.
    random_state : int, default=0
        The in-process ensemble's ``random_state`` to reproduce.
    teach_params, learn_params : dict, default=None
        Settings of :func:`skcoop.silo.teach` and :func:`skcoop.silo.learn`
        shared by all sites (JSON values).
    timeout : float, default=600.0
        Seconds for the whole run, and for each step's replies.
    backend_config : dict, default=None
        ``client_resources`` and ``init_args`` (``num_cpus``, ``num_gpus``)
        of Flower's simulation backend; None: Flower's defaults.
    quiet : bool, default=True
        False prints the SuperLink's log (with the simulation's) at the end.

    Returns
    -------
    history : CooperativeHistory
        The per-round report and the sites' final models.
    """
    if not callable(site_fn):
        raise TypeError(
            "site_fn must be a function node_config -> Site. Got "
            f"{type(site_fn).__name__} instead."
        )
    check_count(n_sites, "n_sites", 2)
    check_positive(timeout, "timeout")
    return simulate(
        "skcoop.flower.cooperative",
        [site_fn],
        n_sites,
        {
            "num-rounds": int(n_rounds),
            "random-state": int(random_state),
            "teach-params": json.dumps(teach_params or {}),
            "learn-params": json.dumps(learn_params or {}),
        },
        timeout=timeout,
        backend_config=backend_config,
        quiet=quiet,
    )


def simulate(package, functions, n_sites, config, *, timeout, backend_config, quiet):
    """Run ``package``'s apps on a simulation SuperLink on 127.0.0.1.

    The shared runner of :func:`run_cooperative` and
    :func:`skcoop.flower.public.run_public`: ``package`` exports
    ``make_server_app()`` and ``make_client_app(*functions)`` (module-level
    functions, imported by name in the simulation's processes); ``config``
    is the run config (``min-sites``, ``timeout`` and ``results-dir`` are
    set here). Returns the :class:`CooperativeHistory` the ServerApp writes.
    """
    from .._local import Loopback, free_port
    from .history import CooperativeHistory

    args = ", ".join(
        f"getattr(import_module({m!r}), {n!r})"
        for m, n in (_site_fn_path(f, "each site function") for f in functions)
    )
    tmp = Path(tempfile.mkdtemp(prefix="skcoop-simulate-"))
    results = tmp / "results"
    config = {
        **config,
        "min-sites": int(n_sites),
        "timeout": float(timeout),
        "results-dir": str(results),
    }
    app = tmp / "app"
    app.mkdir()
    (app / "skcoop_run_cooperative.py").write_text(
        _APP.format(package=package, args=args)
    )
    (app / "pyproject.toml").write_text(
        _PYPROJECT.format(
            config="\n".join(f"{k} = {json.dumps(v)}" for k, v in config.items())
        )
    )
    try:
        with Loopback(tmp, timeout) as net:
            port = free_port()
            try:
                net.start(
                    "superlink",
                    "flower-superlink",
                    "--simulation",
                    "--insecure",  # a simulation on 127.0.0.1 only
                    "--host",
                    "127.0.0.1",
                    "--port",
                    port,
                    "--disable-runtime-dependency-installation",
                )
                net.wait_healthy("superlink", port)
                net.connect("simulation", port)
                net.flwr(
                    "run",
                    app,
                    "simulation",
                    "--federation-config",
                    _federation_config(n_sites, backend_config),
                )
                net.wait_file(results / "history.json", watch=["superlink"])
            except (RuntimeError, TimeoutError) as exc:
                raise RuntimeError(
                    f"The simulation ended without a history ({exc}). The "
                    f"SuperLink's log:\n{net.log('superlink')[-4000:]}"
                ) from None
            finally:
                if not quiet:
                    print(net.log("superlink"), file=sys.stderr)
        return CooperativeHistory.load(results)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
