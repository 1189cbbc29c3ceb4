"""Run the cooperative app under Flower's simulation runtime (Ray backend)."""

# SPDX-License-Identifier: BSD-3-Clause

from ..fedavg.simulation import simulation_config

__all__ = ["run_cooperative"]


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
    around ``site_fn({"partition-id": i, "num-partitions": n_sites})``.

    Parameters
    ----------
    site_fn : callable
        ``site_fn(node_config) -> Site``, run at each site (a module-level
        function: the simulation ships it to Ray workers).
    n_sites : int
        SuperNodes in the simulation.
    n_rounds : int, default=1
        Rounds.
    random_state : int, default=0
        The in-process ensemble's ``random_state`` to reproduce.
    teach_params, learn_params : dict, default=None
        Settings of :func:`skcoop.silo.teach` and :func:`skcoop.silo.learn`
        shared by all sites.
    timeout : float, default=600.0
        Seconds the server waits for the sites at each step.
    backend_config : dict, default=None
        Flower's simulation backend config; None uses 2 CPUs, one per client
        actor.
    quiet : bool, default=True
        Silence Flower's and Ray's INFO logs.

    Returns
    -------
    history : CooperativeHistory
        The per-round report and the sites' final models.
    """
    from flwr.simulation import run_simulation

    from .client_app import make_client_app
    from .server_app import make_server_app

    config = simulation_config(backend_config, quiet)
    results = {}
    run_simulation(
        server_app=make_server_app(
            n_rounds=n_rounds,
            random_state=random_state,
            teach_params=teach_params,
            learn_params=learn_params,
            min_sites=n_sites,
            timeout=timeout,
            results=results,
        ),
        client_app=make_client_app(site_fn),
        num_supernodes=n_sites,
        backend_config=config,
        verbose_logging=False,
    )
    if "history" not in results:
        raise RuntimeError(
            "The simulation ended without a history; rerun with quiet=False to "
            "see Flower's log."
        )
    return results["history"]
