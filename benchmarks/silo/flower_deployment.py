"""The cooperative Flower app (``apps/skcoop-flower``) run for real, on loopback.

Two runs, each with every process started and stopped here, on 127.0.0.1,
on free ports, bounded in time:

- ``simulation``: a simulation SuperLink and ``flwr run <app> <connection>
  --federation-config num-supernodes=3``, Flower's supported simulation path;
- ``deployment``: a SuperLink with TLS (a throwaway CA and a server
  certificate for 127.0.0.1, :mod:`skcoop.flower.credentials`) and SuperNode
  authentication; three registered SuperNodes (the demo's sites, by
  ``partition-id``); a fourth SuperNode whose key is not registered and a
  fifth without the CA certificate, both refused; ``flwr run``.

Both check that the sites' final members equal the in-process ensemble for
the same seed (max |delta predict_proba| = 0)::

    python benchmarks/silo/flower_deployment.py [--rounds 1] [--mode deployment]
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "apps" / "skcoop-flower"


def _loopback():
    from skcoop.flower._local import Loopback, free_port

    return Loopback, free_port


def free_port():
    return _loopback()[1]()


def Loopback(folder, timeout):  # noqa: N802 (the class, imported late)
    return _loopback()[0](folder, timeout)


def _results(run_config):
    return " ".join(f"{k}={v!r}".replace("'", '"') for k, v in run_config.items())


def run_simulation(rounds=1, seed=0, timeout=300.0, app=APP):
    """``flwr run`` on a simulation SuperLink, 3 virtual SuperNodes; the history."""
    from skcoop.flower.cooperative import CooperativeHistory

    tmp = Path(tempfile.mkdtemp(prefix="skcoop-flower-sim-"))
    try:
        with Loopback(tmp, timeout) as net:
            port = free_port()
            net.start(
                "superlink",
                "flower-superlink",
                "--simulation",
                "--insecure",  # loopback only: a simulation never leaves 127.0.0.1
                "--host",
                "127.0.0.1",
                "--port",
                port,
                "--disable-runtime-dependency-installation",
            )
            net.wait_healthy("superlink", port)
            net.connect("sim", port)
            config = {
                "num-rounds": rounds,
                "random-state": seed,
                "results-dir": str(tmp / "results"),
            }
            net.flwr(
                "run",
                app,
                "sim",
                "--federation-config",
                "num-supernodes=3",
                "--run-config",
                _results(config),
            )
            net.wait_file(tmp / "results" / "history.json", watch=["superlink"])
            return CooperativeHistory.load(tmp / "results")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_deployment(
    rounds=1, seed=0, timeout=300.0, app=APP, tls=True, intruders=True, keep=None
):
    """A SuperLink and 3 SuperNodes on loopback, TLS and authenticated by default.

    Returns ``(history, report)``: ``report`` holds, with ``intruders``, the
    exit codes and logs of the refused SuperNodes, the SuperLink's listing
    of nodes and the ``flwr`` command's answer without the CA certificate.
    ``tls=False`` runs without TLS or authentication (``--insecure``), for
    trials on one machine only, and warns.
    """
    from skcoop.flower.cooperative import CooperativeHistory
    from skcoop.flower.credentials import make_certificates, make_node_key

    if not tls:
        warnings.warn(
            "Running the SuperLink and SuperNodes with --insecure: no TLS, no "
            "SuperNode authentication. Anyone who reaches the SuperLink can join "
            "and receive the sites' models and rows: for trials on one machine only.",
            UserWarning,
            stacklevel=2,
        )
        intruders = False
    tmp = Path(tempfile.mkdtemp(prefix="skcoop-flower-deploy-"))
    report = {}
    try:
        with Loopback(tmp, timeout) as net:
            port = free_port()
            secure = []
            if tls:
                certs = make_certificates(tmp / "certificates", ["127.0.0.1"])
                keys = {
                    n: make_node_key(tmp / "keys", n)
                    for n in ("site0", "site1", "site2", "intruder", "no-ca")
                }
                server = [
                    "--ssl-ca-certfile",
                    certs["ca"],
                    "--ssl-certfile",
                    certs["server"],
                    "--ssl-keyfile",
                    certs["server_key"],
                    "--enable-supernode-auth",
                ]
            else:
                server = ["--insecure"]
            net.start(
                "superlink",
                "flower-superlink",
                *server,
                "--host",
                "127.0.0.1",
                "--port",
                port,
                "--disable-runtime-dependency-installation",
            )
            net.wait_healthy("superlink", port, certs["ca"] if tls else None)
            net.connect("loopback", port, certs["ca"] if tls else None)

            def supernode(name, partition, *auth):
                net.start(
                    name,
                    "flower-supernode",
                    *auth,
                    "--superlink",
                    f"127.0.0.1:{port}",
                    "--port",
                    free_port(),
                    "--node-config",
                    f"partition-id={partition} num-partitions=3",
                )

            registered = ["site0", "site1", "site2"] + (["no-ca"] if tls else [])
            for name in registered if tls else []:
                net.flwr("supernode", "register", keys[name][1], "loopback")
            for i in range(3):
                secure = (
                    [
                        "--root-certificates",
                        certs["ca"],
                        "--auth-supernode-private-key",
                        keys[f"site{i}"][0],
                    ]
                    if tls
                    else ["--insecure"]
                )
                supernode(f"site{i}", i, *secure)
            if intruders:
                # a key the SuperLink's operator never registered
                supernode(
                    "intruder",
                    0,
                    "--root-certificates",
                    certs["ca"],
                    "--auth-supernode-private-key",
                    keys["intruder"][0],
                )
                # a registered key, but no CA certificate to trust the SuperLink
                supernode("no-ca", 1, "--auth-supernode-private-key", keys["no-ca"][0])
                for name in ("intruder", "no-ca"):
                    report[name] = {"returncode": net.wait_exit(name)}
                    report[name]["log"] = net.log(name)
                net.connect("no-ca", port, ca=False)
                report["flwr-no-ca"] = net.flwr("supernode", "ls", "no-ca", check=False)
            results = tmp / "results"
            config = {
                "num-rounds": rounds,
                "random-state": seed,
                "results-dir": str(results),
            }
            run = net.flwr("run", app, "loopback", "--run-config", _results(config))
            report["flwr-run"] = run.stdout + run.stderr
            net.wait_file(
                results / "history.json",
                watch=["superlink", "site0", "site1", "site2"],
            )
            report["nodes"] = net.flwr(
                "supernode", "ls", "loopback", "--format", "json"
            ).stdout
            report["superlink-log"] = net.log("superlink")
            return CooperativeHistory.load(results), report
    finally:
        if keep is not None:
            shutil.copytree(tmp / "logs", keep, dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)


def max_gap(history, seed=0, rounds=1):
    """Max |predict_proba difference| per site against the in-process ensemble."""
    from skcoop.flower.cooperative import demo_ensemble

    ens, (X_test, _) = demo_ensemble(seed, rounds)
    models = history.final_models()
    return {
        name: float(
            np.abs(models[name].predict_proba(X_test) - m.predict_proba(X_test)).max()
        )
        for name, m in ens.named_estimators_.items()
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["simulation", "deployment"])
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--logs", default=None, help="copy the processes' logs here")
    args = parser.parse_args(argv)
    for mode in [args.mode] if args.mode else ["simulation", "deployment"]:
        start = time.perf_counter()
        if mode == "simulation":
            history = run_simulation(args.rounds, args.seed, args.timeout)
        else:
            history, report = run_deployment(
                args.rounds, args.seed, args.timeout, keep=args.logs
            )
            for name in ("intruder", "no-ca"):
                print(f"{name}: refused, exit code {report[name]['returncode']}")
        print(f"{mode}: {time.perf_counter() - start:.1f} s in all")
        print(history.format_table())
        gaps = max_gap(history, args.seed, args.rounds)
        print(f"max |predict_proba - in-process| per site: {gaps}")
        assert max(gaps.values()) == 0.0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # this checkout's skcoop
    main()
