"""The cooperative Flower app under Flower's deployment runtime, on loopback.

Starts a SuperLink and three SuperNodes as separate processes on 127.0.0.1
(insecure mode: loopback only), submits the app with ``flwr run``, waits for
the ServerApp's report, stops every process it started, and checks that the
sites' final members equal the in-process ensemble for the same seed::

    python benchmarks/silo/flower_deployment.py [--rounds 2] [--csv table.csv]

Each SuperNode runs the ClientApp around ``skcoop.flower.cooperative.demo_site``
with ``--node-config 'partition-id=<i>'``; nothing is downloaded (runtime
dependency installation off; the app is a folder written here).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BIN = Path(sys.executable).parent

APP = '''\
"""The cooperative app as Flower loads it: a ServerApp and a ClientApp."""

from skcoop.flower.cooperative import demo_site, make_client_app, make_server_app

server = make_server_app()
client = make_client_app(demo_site)
'''

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "skcoop-cooperative"
version = "1.0.0"
description = "Cooperative distillation across sites (skcoop)"
license = "BSD-3-Clause"
dependencies = []

[tool.hatch.build.targets.wheel]
packages = ["."]

[tool.flwr.app]
publisher = "skcoop"

[tool.flwr.app.components]
serverapp = "coop_app:server"
clientapp = "coop_app:client"

[tool.flwr.app.config]
num-rounds = {rounds}
random-state = {seed}
min-sites = 3
timeout = {step_timeout}
wait-for-sites = 60.0
teach-params = "{{}}"
learn-params = "{{}}"
results-dir = "{results}"
"""

CONFIG = """\
[superlink]
default = "loopback"

[superlink.loopback]
address = "127.0.0.1:{port}"
insecure = true
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(port):
    import httpx

    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).is_success
    except httpx.HTTPError:
        return False


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def write_app(folder, rounds, seed, results, step_timeout):
    folder.mkdir(parents=True)
    (folder / "coop_app.py").write_text(APP)
    (folder / "pyproject.toml").write_text(
        PYPROJECT.format(
            rounds=rounds, seed=seed, results=results, step_timeout=step_timeout
        )
    )


def run_deployment(rounds=2, seed=0, timeout=300.0, keep_logs=None):
    """Run the app on a local SuperLink and 3 SuperNodes; returns the history.

    Every process is started here and stopped before returning (or raising);
    ``timeout`` bounds the whole run.
    """
    from skcoop.flower.cooperative import CooperativeHistory

    deadline = time.monotonic() + timeout
    tmp = Path(tempfile.mkdtemp(prefix="skcoop-flower-deploy-"))
    home, results, logs = tmp / "flwr-home", tmp / "results", tmp / "logs"
    home.mkdir()
    logs.mkdir()
    env = dict(os.environ, FLWR_HOME=str(home), FLWR_DISABLE_UPDATE_CHECK="1")
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parents[2]), env.get("PYTHONPATH", "")]
    )
    port = free_port()
    (home / "config.toml").write_text(CONFIG.format(port=port))
    write_app(tmp / "app", rounds, seed, results, step_timeout=timeout / 2)
    procs = []

    def start(name, *args):
        log = open(logs / f"{name}.log", "w")  # noqa: SIM115
        procs.append(
            (
                name,
                subprocess.Popen(
                    [str(BIN / args[0]), *args[1:]],
                    env=env,
                    cwd=tmp,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                ),
                log,
            )
        )

    try:
        start(
            "superlink",
            "flower-superlink",
            "--insecure",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--disable-runtime-dependency-installation",
        )
        while not _health(port):
            if procs[0][1].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("The SuperLink did not start; see its log.")
            time.sleep(0.5)
        for i in range(3):
            start(
                f"supernode-{i}",
                "flower-supernode",
                "--insecure",
                "--superlink",
                f"127.0.0.1:{port}",
                "--host",
                "127.0.0.1",
                "--port",
                str(free_port()),
                "--node-config",
                f"partition-id={i} num-partitions=3",
            )
        run = subprocess.run(
            [str(BIN / "flwr"), "run", str(tmp / "app"), "loopback"],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=max(deadline - time.monotonic(), 1),
        )
        (logs / "flwr-run.log").write_text(run.stdout + run.stderr)
        if run.returncode != 0:
            raise RuntimeError(f"flwr run failed:\n{run.stdout}\n{run.stderr}")
        while not (results / "history.json").is_file():
            dead = [n for n, p, _ in procs if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                raise RuntimeError(
                    f"No report after {timeout:.0f} s (stopped: {dead}); logs in "
                    f"{logs}."
                )
            time.sleep(0.5)
        time.sleep(0.5)
        return CooperativeHistory.load(results)
    finally:
        # each process leads its own group: stop it with the apps it spawned
        for _, proc, _ in reversed(procs):
            _signal_group(proc, signal.SIGTERM)
        for _, proc, log in reversed(procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
            _signal_group(proc, signal.SIGKILL)  # leftover children, if any
            log.close()
        if keep_logs is not None:
            shutil.copytree(logs, keep_logs, dirs_exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--logs", default=None, help="copy the processes' logs here")
    parser.add_argument(
        "--csv", default=None, help="write the per-round, per-site table here"
    )
    args = parser.parse_args(argv)
    from skcoop.flower.cooperative import demo_ensemble

    start = time.perf_counter()
    history = run_deployment(args.rounds, args.seed, args.timeout, args.logs)
    print(f"deployment runtime: {time.perf_counter() - start:.1f} s in all")
    print(history.format_table())
    if args.csv:
        import csv

        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, [*history.table[0], "round_seconds"])
            writer.writeheader()
            for entry in history.table:
                seconds = history.rounds[entry["round"]]["seconds"]
                writer.writerow({**entry, "round_seconds": round(seconds, 3)})
    ens, (X_test, _) = demo_ensemble(args.seed, args.rounds)
    models = history.final_models()
    for name, member in ens.named_estimators_.items():
        gap = np.abs(models[name].predict_proba(X_test) - member.predict_proba(X_test))
        print(f"{name}: max |predict_proba - in-process| = {gap.max():.3g}")
        assert gap.max() <= 1e-12
    print("equal to the in-process ensemble (atol 1e-12)")


if __name__ == "__main__":
    main()
