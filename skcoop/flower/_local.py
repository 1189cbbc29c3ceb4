"""Flower processes on 127.0.0.1, started and stopped by the caller.

:class:`Loopback` runs a SuperLink (and SuperNodes) as processes of their own
on loopback, each leading its own process group, with a Flower home folder
of its own, everything bounded by one deadline and stopped on exit. It
drives :func:`~skcoop.flower.cooperative.run_cooperative` (Flower's
simulation runtime through ``flwr run``) and the loopback deployments of
the tests and benchmarks.
"""

# SPDX-License-Identifier: BSD-3-Clause

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["Loopback", "free_port"]

BIN = Path(sys.executable).parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Loopback:
    """Flower processes on 127.0.0.1, started here and stopped on exit.

    Each process leads its own process group (it spawns SuperExec and app
    processes); :meth:`stop` ends the groups. ``FLWR_HOME`` is a folder of
    its own, so the user's Flower configuration is never read or written.
    """

    def __init__(self, folder, timeout):
        self.folder = Path(folder)
        self.deadline = time.monotonic() + timeout
        self.timeout = timeout
        self.home = self.folder / "flwr-home"
        self.logs = self.folder / "logs"
        self.home.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(exist_ok=True)
        self.env = dict(
            os.environ, FLWR_HOME=str(self.home), FLWR_DISABLE_UPDATE_CHECK="1"
        )
        self.env["PATH"] = os.pathsep.join([str(BIN), self.env.get("PATH", "")])
        # the children import what this process imports
        paths = [
            os.path.abspath(p or os.curdir)
            for p in sys.path
            if Path(p or os.curdir).is_dir()
        ]
        self.env["PYTHONPATH"] = os.pathsep.join(
            [*paths, self.env.get("PYTHONPATH", "")]
        )
        self.procs = {}
        self.connections = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def left(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(
                f"The loopback run took over {self.timeout:.0f} s; logs in {self.logs}."
            )
        return left

    def start(self, name, *argv):
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            [str(BIN / argv[0]), *map(str, argv[1:])],
            env=self.env,
            cwd=self.folder,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = (proc, log)
        return proc

    def log(self, name):
        self.procs[name][1].flush()
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def wait_healthy(self, name, port, ca=None):
        """Wait until the SuperLink ``name`` answers on ``port``."""
        import httpx

        scheme = "http" if ca is None else "https"
        verify = True if ca is None else ssl.create_default_context(cafile=str(ca))
        while True:
            try:
                if httpx.get(
                    f"{scheme}://127.0.0.1:{port}/health", timeout=1.0, verify=verify
                ).is_success:
                    return
            except httpx.HTTPError:
                pass
            if self.procs[name][0].poll() is not None:
                raise RuntimeError(f"{name} stopped:\n{self.log(name)}")
            self.left()
            time.sleep(0.3)

    def wait_exit(self, name):
        """Wait for process ``name`` to end; its exit code."""
        try:
            return self.procs[name][0].wait(timeout=self.left())
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"{name} did not stop; see {self.logs}.") from None

    def connect(self, name, port, ca=None):
        """Add a SuperLink connection ``name`` to this FLWR_HOME's config.toml."""
        if ca is None:
            entry = f'address = "127.0.0.1:{port}"\ninsecure = true\n'
        elif ca is False:  # TLS, trusting the system's CAs only
            entry = f'address = "127.0.0.1:{port}"\n'
        else:
            entry = f'address = "127.0.0.1:{port}"\nroot-certificates = "{ca}"\n'
        self.connections[name] = entry
        text = f'[superlink]\ndefault = "{next(iter(self.connections))}"\n'
        for key, value in self.connections.items():
            text += f"\n[superlink.{key}]\n{value}"
        (self.home / "config.toml").write_text(text)

    def flwr(self, *args, check=True):
        done = subprocess.run(
            [str(BIN / "flwr"), *map(str, args)],
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=self.left(),
        )
        if check and done.returncode != 0:
            raise RuntimeError(
                f"flwr {' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}"
            )
        return done

    def wait_file(self, path, watch=()):
        while not Path(path).is_file():
            dead = [n for n in watch if self.procs[n][0].poll() is not None]
            if dead:
                raise RuntimeError(f"{dead} stopped early; logs in {self.logs}.")
            self.left()
            time.sleep(0.5)
        time.sleep(0.5)  # the writer closes its files

    def stop(self):
        for proc, _ in reversed(self.procs.values()):
            _signal_group(proc, signal.SIGTERM)
        for proc, log in reversed(self.procs.values()):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
            _signal_group(proc, signal.SIGKILL)  # leftover children, if any
            log.close()
