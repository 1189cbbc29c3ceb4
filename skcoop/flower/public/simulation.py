"""Run the public-set app under Flower's simulation runtime, through ``flwr run``.

The runner of :func:`~skcoop.flower.cooperative.run_cooperative`
(a simulation SuperLink on 127.0.0.1, started and stopped here) on the
public-set apps.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ...utils import check_count
from .._checks import check_positive
from ..cooperative.simulation import simulate
from .task import STRATEGY_KEYS, check_settings, make_distiller, node_public

__all__ = ["run_public"]


def run_public(
    site_fn,
    n_sites,
    *,
    public_fn=node_public,
    n_rounds=1,
    random_state=0,
    method="fedmd",
    temperature=1.0,
    strategy_params=None,
    timeout=600.0,
    backend_config=None,
    quiet=True,
):
    """Run FedMD or FedDF rounds across ``n_sites`` simulated sites.

    A :class:`~flwr.serverapp.ServerApp`
    (:func:`~skcoop.flower.public.make_server_app`) drives the rounds
    through Flower's Message API; each of ``n_sites`` virtual SuperNodes
    runs the ``ClientApp`` of :func:`~skcoop.flower.public.make_client_app`
    around ``site_fn({"partition-id": i, "num-partitions": n_sites})`` and
    the public rows of ``public_fn``. Only scores on the public rows and
    their consensus travel in the rounds; the final models are then sent to
    the server for the report. The run goes through ``flwr run`` on a
    simulation SuperLink this function starts on 127.0.0.1 and stops.

    Parameters
    ----------
    site_fn : callable
        ``site_fn(node_config) -> Site``: a module-level function.
    n_sites : int
        SuperNodes in the simulation.
    public_fn : callable, default=node_public
        ``public_fn(node_config, run_config) -> X_public``: a module-level
        function; the default reads the node config's ``public`` file, else
        gives the demo's public rows.
    n_rounds : int, default=1
        Communication rounds.
    random_state : int, default=0
        The in-process ensemble's ``random_state`` to reproduce.
    method : {"fedmd", "feddf"}, default="fedmd"
        The strategy.
    temperature : float, default=1.0
        Its temperature.
    strategy_params : dict, default=None
        Further run-config keys of the strategy (``public-weight``,
        ``soft-method``, ``warm-start``).
    timeout : float, default=600.0
        Seconds for the whole run, and for each step's replies.
    backend_config : dict, default=None
        ``client_resources`` and ``init_args`` of Flower's simulation
        backend; None: Flower's defaults.
    quiet : bool, default=True
        False prints the SuperLink's log at the end.

    Returns
    -------
    history : CooperativeHistory
        The per-round report and the sites' final models.

    Examples
    --------
    >>> from skcoop.flower.public import demo_site, run_public
    >>> history = run_public(demo_site, 3, method="feddf")  # doctest: +SKIP
    >>> sorted(history.final_models())  # doctest: +SKIP
    ['logreg', 'nb', 'tree']
    """
    for fn, name in ((site_fn, "site_fn"), (public_fn, "public_fn")):
        if not callable(fn):
            raise TypeError(
                f"{name} must be a function of the node config. Got "
                f"{type(fn).__name__} instead."
            )
    check_count(n_sites, "n_sites", 2)
    check_positive(timeout, "timeout")
    strategy = dict(strategy_params or {})
    unknown = sorted(set(strategy) - set(STRATEGY_KEYS))
    if unknown:
        raise ValueError(
            f"Unknown strategy_params {unknown}; they are {sorted(STRATEGY_KEYS)}."
        )
    strategy.update(method=method, temperature=float(temperature))
    config = {
        "num-rounds": int(n_rounds),
        "random-state": int(random_state),
        "return-models": True,
        **strategy,
    }
    check_settings(config)
    make_distiller(config)
    return simulate(
        "skcoop.flower.public",
        [site_fn, public_fn],
        n_sites,
        config,
        timeout=timeout,
        backend_config=backend_config,
        quiet=quiet,
    )
