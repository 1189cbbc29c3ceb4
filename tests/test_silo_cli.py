"""``python -m skcoop silo``: a round on files, its errors, and the deploying page."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("skops")
pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

from sklearn.datasets import load_wine  # noqa: E402

from skcoop.__main__ import main  # noqa: E402
from skcoop.silo import VirtualRows, import_model, read_metadata  # noqa: E402

PAGE = Path(__file__).resolve().parents[1] / "doc" / "silo_files.rst"


def _has_protocol():
    try:
        from skcoop.silo import learn, teach  # noqa: F401
    except ImportError:
        return False
    return True


needs_protocol = pytest.mark.skipif(
    not _has_protocol(), reason="skcoop.silo.teach/learn are not there yet"
)


@pytest.fixture
def sites(tmp_path):
    """Three label-skewed sites of wine, as CSV files, plus a held-out file."""
    data = load_wine(as_frame=True).frame
    rng = np.random.RandomState(0)
    test = rng.rand(len(data)) < 0.3
    data[test].to_csv(tmp_path / "holdout.csv", index=False)
    train = data[~test].reset_index(drop=True)
    # site a: mostly class 0, b: mostly 1, c: mostly 2; each holds two classes
    major = train["target"].to_numpy()
    site = np.where(rng.rand(len(train)) < 0.8, major, (major + 1) % 3)
    for i, name in enumerate("abc"):
        train[site == i].to_csv(tmp_path / f"{name}.csv", index=False)
    return tmp_path


def _silo(*argv):
    return main(["silo", *map(str, argv)])


def _export(folder, name, estimator):
    return _silo(
        "export",
        "--data",
        folder / f"{name}.csv",
        "--target",
        "target",
        "--model",
        folder / f"{name}.skops",
        "--name",
        name,
        "--estimator",
        estimator,
    )


def test_export_writes_model_and_metadata(sites, capsys):
    assert _export(sites, "a", "logreg") == 0
    out = capsys.readouterr().out
    assert out.startswith("site a: fitted logreg on ") and "a.skops.json" in out
    meta = read_metadata(sites / "a.skops")
    assert meta["name"] == "a" and meta["columns"]["n_features"] == 13
    assert "target" not in meta["columns"]["names"]
    model = import_model(sites / "a.skops")
    assert model[-1].__class__.__name__ == "LogisticRegression"


def test_export_module_factory_and_fitted_skops(sites, capsys, monkeypatch):
    import skops.io as sio
    from sklearn.tree import DecisionTreeClassifier

    factory = sites / "my_learners.py"
    factory.write_text(
        "from sklearn.tree import DecisionTreeClassifier\n"
        "def shallow():\n    return DecisionTreeClassifier(max_depth=2)\n"
    )
    monkeypatch.syspath_prepend(str(sites))
    argv = ["--data", sites / "b.csv", "--target", "target", "--name", "b"]
    assert (
        _silo(
            "export",
            *argv,
            "--model",
            sites / "b.skops",
            "--estimator",
            "my_learners:shallow",
        )
        == 0
    )
    assert import_model(sites / "b.skops").get_depth() <= 2
    frame = pd.read_csv(sites / "b.csv")
    fitted = DecisionTreeClassifier(random_state=0).fit(
        frame.drop(columns="target"), frame["target"]
    )
    sio.dump(fitted, sites / "plain.skops")
    assert (
        _silo(
            "export",
            *argv,
            "--model",
            sites / "b2.skops",
            "--fitted",
            sites / "plain.skops",
        )
        == 0
    )
    assert "took the fitted DecisionTreeClassifier" in capsys.readouterr().out
    assert read_metadata(sites / "b2.skops")["estimator"].endswith(
        "DecisionTreeClassifier"
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--data", "nope.csv"], "No data file at 'nope.csv'"),
        (["--data", "{d}/a.txt"], r"must be CSV \(\.csv\) or parquet"),
        (["--target", "targt"], "'targt' is not a column of .* Did you mean 'target'"),
        (["--estimator", "forst"], "Got 'forst' instead. Did you mean 'forest'"),
        (["--estimator", "nowhere:make"], "Cannot import the factory 'nowhere:make'"),
    ],
)
def test_export_errors_are_one_clear_line(sites, capsys, argv, message):
    (sites / "a.txt").write_text("x\n1\n")
    base = {"--data": sites / "a.csv", "--target": "target", "--estimator": "logreg"}
    for key, value in zip(argv[::2], argv[1::2]):
        base[key] = value.format(d=sites)
    flat = [str(x) for kv in base.items() for x in kv]
    status = _silo("export", *flat, "--model", sites / "m.skops", "--name", "a")
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("error: ") and err.count("\n") == 1
    assert re.search(message, err), err


CUSTOM = """
import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

class Majority(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_, counts = np.unique(y, return_counts=True)
        self.majority_ = self.classes_[counts.argmax()]
        self.n_features_in_ = X.shape[1]
        return self

    def predict(self, X):
        return np.full(len(X), self.majority_)
"""


def test_untrusted_and_changed_models_are_refused_clearly(sites, capsys, monkeypatch):
    import skops.io as sio

    (sites / "my_custom.py").write_text(CUSTOM)
    monkeypatch.syspath_prepend(str(sites))
    from my_custom import Majority

    frame = pd.read_csv(sites / "a.csv")
    sio.dump(
        Majority().fit(frame.drop(columns="target"), frame["target"]),
        sites / "plain.skops",
    )
    argv = ["export", "--data", sites / "a.csv", "--target", "target", "--name", "a"]
    argv += ["--model", sites / "a.skops", "--fitted", sites / "plain.skops"]
    assert _silo(*argv) == 1
    err = capsys.readouterr().err
    assert "'my_custom.Majority'" in err and "--trust my_custom.Majority" in err
    assert _silo(*argv, "--trust", "my_custom.Majority") == 0
    assert _export(sites, "b", "logreg") == 0
    teach = ["teach", "--data", sites / "b.csv", "--target", "target"]
    teach += ["--model", sites / "b.skops", "--out", sites / "outbox"]
    assert _silo(*teach, "--peers", sites / "a.skops") == 1
    assert "--trust my_custom.Majority" in capsys.readouterr().err
    # a changed byte is refused before anything is loaded
    model = sites / "a.skops"
    data = bytearray(model.read_bytes())
    data[100] ^= 1
    model.write_bytes(bytes(data))
    assert _silo(*teach, "--peers", model, "--trust", "my_custom.Majority") == 1
    assert "SHA-256" in capsys.readouterr().err
    assert _silo(*teach, "--peers", sites / "c.skops") == 1
    assert "No peer model file at" in capsys.readouterr().err


@needs_protocol
def test_a_round_on_files(sites, capsys):
    """Three sites export, teach, exchange files, learn; models improve or hold."""
    for name, estimator in zip("abc", ["logreg", "tree", "naive_bayes"]):
        assert _export(sites, name, estimator) == 0
    for name in "abc":
        peers = [sites / f"{p}.skops" for p in "abc" if p != name]
        status = _silo(
            "teach",
            "--data",
            sites / f"{name}.csv",
            "--target",
            "target",
            "--model",
            sites / f"{name}.skops",
            "--peers",
            *peers,
            "--out",
            sites / "outbox",
            "--seed",
            0,
        )
        assert status == 0, capsys.readouterr().err
    files = sorted(p.name for p in (sites / "outbox").glob("*.parquet"))
    assert files == [
        f"{t}-to-{s}-round0.parquet" for t in "abc" for s in "abc" if s != t
    ]
    for path in (sites / "outbox").glob("*.parquet"):
        rows = VirtualRows.load(path)
        assert path.name.startswith(f"{rows.teacher}-to-{rows.student}")
        assert "target" not in list(rows.X.columns)
    capsys.readouterr()
    for name in "abc":
        received = sorted((sites / "outbox").glob(f"*-to-{name}-round0.parquet"))
        status = _silo(
            "learn",
            "--data",
            sites / f"{name}.csv",
            "--target",
            "target",
            "--model",
            sites / f"{name}.skops",
            "--received",
            *received,
            "--out",
            sites / f"{name}1.skops",
            "--holdout",
            sites / "holdout.csv",
        )
        assert status == 0, capsys.readouterr().err
        out = capsys.readouterr().out
        assert re.search(r"held-out score \(\d+ rows\): before [\d.]+, after", out)
        assert read_metadata(sites / f"{name}1.skops")["name"] == name
    # the wrong site's files are refused, naming both sites
    status = _silo(
        "learn",
        "--data",
        sites / "a.csv",
        "--target",
        "target",
        "--model",
        sites / "a.skops",
        "--received",
        sites / "outbox/b-to-c-round0.parquet",
        "--out",
        sites / "x.skops",
    )
    assert status == 1
    assert "for site 'c', but this site is 'a'" in capsys.readouterr().err


@pytest.mark.slow
@needs_protocol
def test_two_rounds_on_files_equal_the_ensemble(sites, capsys):
    """Files and commands only, two rounds: the in-process ensemble's members."""
    from skcoop import CooperativeDistillationEnsemble
    from skcoop.silo.cli import builtin_estimator

    learners = dict(zip("abc", ["logreg", "tree", "naive_bayes"]))
    for name, estimator in learners.items():
        assert _export(sites, name, estimator) == 0
    model = {n: sites / f"{n}.skops" for n in "abc"}
    for r in range(2):
        for n in "abc":
            inbox = sites / f"inbox_{n}"
            status = _silo(
                "teach",
                "--data",
                sites / f"{n}.csv",
                "--target",
                "target",
                "--model",
                model[n],
                "--peers",
                *[model[p] for p in "abc" if p != n],
                "--out",
                sites / f"outbox_{n}",
                "--shared-seed",
                0,
                "--round",
                r,
                "--received",
                *([inbox] if r else []),
            )
            assert status == 0, capsys.readouterr().err
        for n in "abc":
            inbox = sites / f"inbox_{n}"
            inbox.mkdir(exist_ok=True)
            for t in "abc":
                sent = sites / f"outbox_{t}" / f"{t}-to-{n}-round{r}.parquet"
                if t != n and sent.exists():
                    (inbox / sent.name).write_bytes(sent.read_bytes())
        for n in "abc":
            out = sites / f"{n}_round{r + 1}.skops"
            status = _silo(
                "learn",
                "--data",
                sites / f"{n}.csv",
                "--target",
                "target",
                "--model",
                model[n],
                "--received",
                sites / f"inbox_{n}",
                "--out",
                out,
            )
            assert status == 0, capsys.readouterr().err
            model[n] = out
    frames = [pd.read_csv(sites / f"{n}.csv") for n in "abc"]
    rows = pd.concat(frames, ignore_index=True)
    X, y = rows.drop(columns="target"), rows["target"].to_numpy()
    site = np.repeat(list("abc"), [len(f) for f in frames])
    ens = CooperativeDistillationEnsemble(
        [(n, builtin_estimator(e, X, 0)) for n, e in learners.items()],
        n_rounds=2,
        random_state=0,
    ).fit(X, y, site=site)
    test = pd.read_csv(sites / "holdout.csv").drop(columns="target")
    for n in "abc":
        np.testing.assert_array_equal(
            import_model(model[n]).predict_proba(test),
            ens.named_estimators_[n].predict_proba(test),
        )
    assert len(ens.virtual_instances_["a"].y) > 0


def _shell_blocks(text):
    """The ``.. code-block:: bash`` blocks of an rst page, dedented."""
    blocks, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == ".. code-block:: bash":
            i += 1
            body = []
            while i < len(lines) and (
                not lines[i].strip() or lines[i].startswith("   ")
            ):
                body.append(lines[i][3:])
                i += 1
            blocks.append("\n".join(body).strip() + "\n")
        else:
            i += 1
    return blocks


def test_page_has_the_three_steps():
    blocks = _shell_blocks(PAGE.read_text())
    text = "".join(blocks)
    for step in ("silo export", "silo teach", "silo learn"):
        assert f"python -m skcoop {step}" in text


@pytest.mark.slow
@needs_protocol
def test_deploying_page_runs(tmp_path):
    """Every shell block of doc/silo_files.rst, in order, in an empty folder."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    for block in _shell_blocks(PAGE.read_text()):
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, f"{block}\n{done.stdout}\n{done.stderr}"
