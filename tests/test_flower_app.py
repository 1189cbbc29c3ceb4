"""The Flower app project, its settings, the sites' node configs and credentials.

The slow tests run the app for real on 127.0.0.1 (every process started and
stopped by ``benchmarks/silo/flower_deployment.py``, bounded in time): with
``flwr run`` on a simulation SuperLink, and on a SuperLink with TLS and
SuperNode authentication where an unregistered SuperNode and one without the
CA certificate are refused. Both equal the in-process ensemble exactly.
"""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("flwr")
pytest.importorskip("skops")
pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

from skcoop.__main__ import main  # noqa: E402
from skcoop._settings import BY_NAME  # noqa: E402
from skcoop.flower._project import PROJECT  # noqa: E402
from skcoop.flower.cooperative import Site, node_site  # noqa: E402
from skcoop.flower.cooperative.server_app import _settings  # noqa: E402
from skcoop.silo.options import (  # noqa: E402
    LEARN_SETTINGS,
    TEACH_SETTINGS,
    setting_defaults,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "apps" / "skcoop-flower"


def _harness():
    script = ROOT / "benchmarks" / "silo" / "flower_deployment.py"
    spec = importlib.util.spec_from_file_location("flower_deployment", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pyproject():
    return tomllib.loads((APP / "pyproject.toml").read_text())


def test_the_repository_app_is_what_flower_new_writes(tmp_path, capsys):
    on_disk = {
        str(p.relative_to(APP)): p.read_text()
        for p in APP.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert on_disk == PROJECT
    assert main(["flower", "new", str(tmp_path / "app")]) == 0
    for name, text in PROJECT.items():
        assert (tmp_path / "app" / name).read_text() == text
    assert "flwr run . local" in capsys.readouterr().out
    # never over a team's edits
    assert main(["flower", "new", str(tmp_path / "app")]) == 1
    assert "not an empty folder" in capsys.readouterr().err


def test_app_names_its_components_and_they_load():
    flwr = _pyproject()["tool"]["flwr"]
    components = flwr["app"]["components"]
    sys.path.insert(0, str(APP))
    try:
        for key, kind in (("serverapp", "ServerApp"), ("clientapp", "ClientApp")):
            module, _, attr = components[key].partition(":")
            spec = importlib.util.find_spec(module)
            assert Path(spec.origin).is_relative_to(APP)
            loaded = getattr(importlib.import_module(module), attr)
            assert type(loaded).__name__ == kind
    finally:
        sys.path.remove(str(APP))
        for name in [m for m in sys.modules if m.startswith("skcoop_app")]:
            del sys.modules[name]


def test_run_config_has_every_setting_at_the_estimators_default():
    from skcoop import (
        CooperativeDistillationEnsemble,
        CooperativeDistillationRegressor,
    )

    config = _pyproject()["tool"]["flwr"]["app"]["config"]
    names = dict.fromkeys(TEACH_SETTINGS + LEARN_SETTINGS)
    ensemble = {
        **CooperativeDistillationRegressor([]).get_params(),
        **CooperativeDistillationEnsemble([]).get_params(),
    }
    # the deprecated settings (prototype_k, min_distance) are left out of
    # the app's config; the guard setting replaces them
    names = {n: None for n in names if not BY_NAME[n].doc.startswith("Deprecated")}
    for name, default in setting_defaults(list(names)).items():
        value = config[name.replace("_", "-")]
        assert default == ensemble[name]
        # TOML has no null: 0 turns a setting that may be None off
        assert value == default or (default is None and value == 0), name
    settings = _settings(config, {})
    teach = json.loads(settings["teach-params"])
    assert teach == setting_defaults([n for n in TEACH_SETTINGS if n in names])
    assert json.loads(settings["learn-params"]) == setting_defaults(LEARN_SETTINGS)


@pytest.mark.parametrize(
    "config, message",
    [
        ({"alpha": 1.5}, "The 'alpha' setting of the run config must be a float"),
        ({"scope": "all"}, "'scope' setting .* Got 'all' instead"),
        ({"oof-folds": 1}, "'oof-folds' setting .* Got 1 instead"),
        ({"min-distance": -1.0}, "'min-distance' setting"),
    ],
)
def test_run_config_settings_are_checked_like_the_estimators(config, message):
    with pytest.raises(ValueError, match=message):
        _settings(config, {})


def test_run_config_keys_reach_the_sites_and_json_wins():
    settings = _settings(
        {"alpha": 0.3, "guard": "", "min-distance": 1, "oof-folds": 4.0},
        {"teach-params": None},
    )
    teach = json.loads(settings["teach-params"])
    assert teach == {
        "alpha": 0.3,
        "guard": None,
        "min_distance": 1.0,
        "oof_folds": 4,
    }
    settings = _settings({"alpha": 0.3, "teach-params": '{"alpha": 0.7}'}, {})
    assert json.loads(settings["teach-params"])["alpha"] == 0.7


def test_a_site_is_its_own_node_config(tmp_path):
    from sklearn.datasets import load_wine

    data = load_wine(as_frame=True).frame
    data.iloc[::2].to_csv(tmp_path / "a.csv", index=False)
    data.iloc[1::2].to_parquet(tmp_path / "holdout.parquet")
    site = node_site(
        {
            "name": "a",
            "data": str(tmp_path / "a.csv"),
            "estimator": "naive_bayes",
            "holdout": str(tmp_path / "holdout.parquet"),
        }
    )
    assert isinstance(site, Site)
    assert site.name == "a"
    assert site.X.shape == (89, 13) and "target" not in site.X.columns
    assert type(site.estimator).__name__ == "GaussianNB"
    assert len(site.y_test) == 89
    model = site.estimator.fit(site.X, site.y)
    assert 0.5 < site.score(model) <= 1
    # without data: the demo's partition (what the simulation gives)
    assert node_site({"partition-id": 1}).name == "tree"
    with pytest.raises(ValueError, match="must name its site"):
        node_site({"data": str(tmp_path / "a.csv")})


def test_credentials_command_writes_a_ca_a_server_certificate_and_node_keys(
    tmp_path, capsys
):
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_ssh_private_key

    folder = tmp_path / "creds"
    argv = ["flower", "credentials", str(folder), "--hosts", "127.0.0.1"]
    assert main([*argv, "--nodes", "a", "b"]) == 0
    ca = x509.load_pem_x509_certificate((folder / "ca.crt").read_bytes())
    server = x509.load_pem_x509_certificate((folder / "server.pem").read_bytes())
    server.verify_directly_issued_by(ca)
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert san.value.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1")
    ]
    for name in "ab":
        key = load_ssh_private_key((folder / name).read_bytes(), None)
        assert key.curve.name == "secp384r1"
        assert (folder / name).stat().st_mode & 0o077 == 0
        assert (folder / f"{name}.pub").read_text().startswith("ecdsa-sha2-nistp384")
    assert main([*argv, "--nodes", "a", "a"]) == 1
    assert "each node once" in capsys.readouterr().err


@pytest.mark.slow
def test_flwr_run_simulation_equals_the_in_process_ensemble():
    harness = _harness()
    history = harness.run_simulation(rounds=1, seed=0, timeout=300.0)
    assert history.names == ["nb", "tree", "logreg"]
    assert history.missing(1) == []
    assert harness.max_gap(history) == {"nb": 0.0, "tree": 0.0, "logreg": 0.0}


@pytest.mark.slow
def test_tls_deployment_admits_only_registered_sites():
    harness = _harness()
    history, report = harness.run_deployment(rounds=1, seed=0, timeout=420.0)
    # the three registered sites ran, and equal the in-process fit exactly
    assert history.names == ["nb", "tree", "logreg"]
    assert history.missing(1) == []
    assert harness.max_gap(history) == {"nb": 0.0, "tree": 0.0, "logreg": 0.0}
    # an unregistered key is refused: it never gets a node id, so no message
    intruder = report["intruder"]
    assert intruder["returncode"] != 0
    assert "Failed to activate SuperNode" in intruder["log"]
    assert "SuperNode ID" not in intruder["log"]
    assert "No SuperNode found with the given public key" in report["superlink-log"]
    # without the CA certificate, the TLS handshake fails (SuperNode and CLI)
    no_ca = report["no-ca"]
    assert no_ca["returncode"] != 0
    assert "CERTIFICATE_VERIFY_FAILED" in no_ca["log"]
    assert "SuperNode ID" not in no_ca["log"]
    assert report["flwr-no-ca"].returncode != 0
    # the SuperLink knows the registered keys only; 3 nodes ever came online
    nodes = json.loads(report["nodes"])["nodes"]
    assert len(nodes) == 4
    assert sum(n["status"] != "registered" for n in nodes) == 3


def _bash_blocks(text):
    """The ``code-block:: bash`` blocks of an rst page, dedented, in order."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].strip() == ".. code-block:: bash":
            i += 2
            body = []
            while i < len(lines) and (lines[i].startswith("   ") or not lines[i]):
                body.append(lines[i][3:])
                i += 1
            blocks.append("\n".join(body).strip() + "\n")
        else:
            i += 1
    return blocks


def test_deploying_page_covers_the_deployment():
    text = "".join(_bash_blocks((ROOT / "doc" / "deploying.rst").read_text()))
    for step in (
        "flower credentials",
        "flower node-key",
        "flower-superlink",
        "--enable-supernode-auth",
        "flwr supernode register",
        "--auth-supernode-private-key",
        "--node-config",
        "flwr run",
        "CooperativeHistory.load",
    ):
        assert step in text, step
    assert "--insecure" not in text


@pytest.mark.slow
def test_deploying_page_runs_on_loopback(tmp_path):
    """Every bash block of doc/deploying.rst, in order, each machine a folder.

    Blocks that run until stopped (the SuperLink, the SuperNodes) start in
    the background and are stopped at the end; the SuperLink's port is a
    free one, and each SuperNode gets a free port of its own.
    """
    harness = _harness()
    port = harness.free_port()
    blocks = _bash_blocks((ROOT / "doc" / "deploying.rst").read_text())
    with harness.Loopback(tmp_path, timeout=480.0) as net:
        for k, block in enumerate(blocks):
            block = block.replace("9092", str(port))
            if "(runs until stopped)" in block:
                if "flower-supernode" in block:
                    block = block.replace(
                        "flower-supernode",
                        f"flower-supernode --port {harness.free_port()}",
                    )
                net.start(f"block{k}", "/bin/bash", "-euo", "pipefail", "-c", block)
                if "flower-superlink" in block:
                    ca = tmp_path / "superlink" / "certificates" / "ca.crt"
                    net.wait_healthy(f"block{k}", port, ca)
                continue
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", block],
                cwd=tmp_path,
                env=net.env,
                capture_output=True,
                text=True,
                timeout=net.left(),
            )
            assert done.returncode == 0, f"{block}\n{done.stdout}\n{done.stderr}"
            if "format_table" in block:
                print(done.stdout)
        assert (tmp_path / "superlink" / "results" / "history.json").is_file()
