"""Every teaching setting on the command line, ``silo audit``, release limits,
and :func:`skcoop.privacy.audit_ensemble`."""

import inspect
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("skops")
pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.utils import Bunch  # noqa: E402

from skcoop import (  # noqa: E402
    CooperativeDistillationEnsemble,
    CooperativeDistillationRegressor,
)
from skcoop.__main__ import main  # noqa: E402
from skcoop.privacy import audit_ensemble  # noqa: E402
from skcoop.silo.options import TEACH_SETTINGS  # noqa: E402


@pytest.fixture(scope="module")
def two_sites(tmp_path_factory):
    """Breast cancer: two sites' files, a holdout, and each site's model file."""
    folder = tmp_path_factory.mktemp("sites")
    data = load_breast_cancer(as_frame=True).frame
    order = np.random.RandomState(0).permutation(len(data))
    data.iloc[order[:150]].to_csv(folder / "holdout.csv", index=False)
    train = data.iloc[order[150:]]
    for i, (name, estimator) in enumerate([("a", "logreg"), ("b", "naive_bayes")]):
        train.iloc[i::2].to_csv(folder / f"{name}.csv", index=False)
        assert _silo(folder, "export", name, "--estimator", estimator) == 0
    return folder


def _silo(folder, step, name, *argv):
    common = ["--data", str(folder / f"{name}.csv"), "--target", "target"]
    if step == "export":
        common += ["--model", str(folder / f"{name}.skops"), "--name", name]
    elif step == "teach":
        common += [
            "--model",
            str(folder / f"{name}.skops"),
            "--peers",
            str(folder / "b.skops"),
            "--shared-seed",
            "0",
        ]
    return main(["silo", step, *common, *map(str, argv)])


def test_teach_options_are_the_estimators_settings(capsys):
    with pytest.raises(SystemExit):
        main(["silo", "teach", "--help"])
    text = capsys.readouterr().out
    defaults = {
        **inspect.signature(CooperativeDistillationRegressor).parameters,
        **inspect.signature(CooperativeDistillationEnsemble).parameters,
    }
    for name in TEACH_SETTINGS:
        option = "--" + name.replace("_", "-")
        assert option in text, option
    from skcoop.silo import teach

    for name in TEACH_SETTINGS:
        assert inspect.signature(teach).parameters[name].default == (
            defaults[name].default
        )
    assert "--round" in text and "--max-auc" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--oof-folds", "1"],
            "--oof-folds must be an int in the range [2, inf) (not a bool). Got 1 "
            "instead.",
        ),
        (
            ["--alpha", "1.5"],
            "--alpha must be a float in the range [0.0, 1.0] (not a bool). Got 1.5 "
            "instead.",
        ),
        (
            ["--min-distance", "0"],
            "--min-distance must be a float in the range "
            "(0.0, inf) (not a bool) or None. Got 0.0 instead.",
        ),
        (
            ["--prototype-k", "0"],
            "--prototype-k must be an int in the range "
            "[1, inf) (not a bool) or None. Got 0 instead.",
        ),
        (["--max-auc", "0.6"], "give them with --holdout FILE"),
        (["--max-tpr", "2", "--holdout", "x.csv"], "--max-tpr must be in [0, 1]"),
    ],
)
def test_bad_settings_are_one_line_errors(two_sites, capsys, argv, message):
    out = two_sites / "never"
    assert _silo(two_sites, "teach", "a", "--out", out, *argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_argparse_refuses_a_choice_outside_the_options(two_sites, capsys):
    with pytest.raises(SystemExit) as exc:
        _silo(two_sites, "teach", "a", "--out", "o", "--scope", "all")
    assert exc.value.code == 2
    assert "invalid choice: 'all'" in capsys.readouterr().err


def test_teach_refuses_a_release_above_the_limits_then_the_guard_passes(
    two_sites, capsys
):
    limits = ["--max-auc", "0.6", "--max-tpr", "0.05"]
    limits += ["--holdout", two_sites / "holdout.csv"]
    out = two_sites / "outbox"
    off = ["--guard", "none"]
    assert _silo(two_sites, "teach", "a", "--out", out, *limits, *off) == 1
    captured = capsys.readouterr()
    assert "nothing was written" in captured.err
    assert "mia_auc" in captured.err and "> --max-auc 0.6" in captured.err
    assert not out.exists()
    # the default guard (--guard auto) passes
    assert _silo(two_sites, "teach", "a", "--out", out, *limits) == 0
    text = capsys.readouterr().out
    assert "membership AUC" in text and "-> b:" in text
    assert sorted(p.name for p in out.iterdir()) == ["a-to-b-round0.parquet"]
    # silo audit reads what teach wrote: the same numbers, per peer
    argv = ["--rows", out, "--holdout", two_sites / "holdout.csv"]
    assert _silo(two_sites, "audit", "a", *argv) == 0
    audit = capsys.readouterr().out
    line = [ln for ln in audit.splitlines() if "-> b:" in ln][0]
    assert line in text
    auc = float(line.split("membership AUC ")[1].split(",")[0])
    assert auc <= 0.6
    assert _silo(two_sites, "audit", "a", *argv, "--max-auc", "0.1") == 1
    assert "above the site's limits" in capsys.readouterr().err


def _fake_ensemble(virtual, estimators):
    """What audit_ensemble reads of a fitted ensemble."""
    return SimpleNamespace(
        estimators=estimators,
        named_estimators_=Bunch(**{item[0]: None for item in estimators}),
        virtual_instances_=Bunch(**virtual),
    )


def _grid():
    # 40 records per site on a square grid; site 0 left, site 1 right
    xx, yy = np.meshgrid(np.arange(10.0), np.arange(8.0))
    X = np.c_[xx.ravel(), yy.ravel()]
    site = (X[:, 0] >= 5).astype(int)
    y = (X[:, 1] >= 4).astype(int)
    return X, y, site


def test_audit_ensemble_copies_are_caught_exactly():
    X, y, site = _grid()
    own0 = np.flatnonzero(site == 0)
    copies = X[own0]  # teacher t0 released every record of its own, twice
    virtual = {
        "t0": Bunch(X=np.zeros((0, 2)), teacher=np.zeros(0, dtype=object)),
        "t1": Bunch(
            X=np.vstack([copies, copies]),
            teacher=np.array(["t0"] * (2 * len(own0)), dtype=object),
        ),
    }
    ens = _fake_ensemble(virtual, [("t0", None), ("t1", None)])
    table = audit_ensemble(ens, X, y, np.array(["t0", "t1"], dtype=object)[site])
    assert table["teacher"].tolist() == ["t0"]
    row = table.iloc[0]
    assert row["n_released"] == 40 and row["n_records"] == 40
    assert row["dcr_ratio"] == 0.0
    assert row["share_below_holdout_5pct"] == 1.0
    assert row["reconstruction_share"] == 1.0
    assert row["mia_auc"] == 1.0 and row["mia_tpr_at_1pct_fpr"] == 1.0


def test_audit_ensemble_rows_far_away_reveal_nothing_and_pairs():
    X, y, site = _grid()
    far = np.array([[2.0, 100.0], [3.0, -100.0], [7.0, 100.0]])
    virtual = {
        "t0": Bunch(X=far[2:], teacher=np.array(["t1"], dtype=object)),
        "t1": Bunch(X=far[:2], teacher=np.array(["t0", "t0"], dtype=object)),
    }
    ens = _fake_ensemble(virtual, [("t0", None), ("t1", None)])
    table = audit_ensemble(ens, X, y, site, by="pair")
    assert table[["teacher", "student"]].values.tolist() == [
        ["t0", "t1"],
        ["t1", "t0"],
    ]
    assert table["n_released"].tolist() == [2, 1]
    assert (table["reconstruction_share"] == 0.0).all()
    assert (table["share_below_holdout_5pct"] == 0.0).all()
    with pytest.raises(ValueError, match="member names"):
        audit_ensemble(ens, X, y, np.where(site == 0, "t0", "x"))
    with pytest.raises(ValueError, match='by must be "teacher" or "pair"'):
        audit_ensemble(ens, X, y, site, by="student")


def test_audit_ensemble_needs_pairs_when_students_have_their_own_columns():
    X, y, site = _grid()
    X = X + np.random.RandomState(0).uniform(0, 0.5, X.shape)  # distinct in 1-D
    virtual = {
        "t0": Bunch(X=np.zeros((0, 1)), teacher=np.zeros(0, dtype=object)),
        "t1": Bunch(X=X[:2, :1] + 0.5, teacher=np.array(["t0"] * 2, dtype=object)),
        "t2": Bunch(X=X[:2] + 0.5, teacher=np.array(["t0"] * 2, dtype=object)),
    }
    ens = _fake_ensemble(virtual, [("t0", None), ("t1", None, [0]), ("t2", None)])
    site3 = site.astype(int)
    with pytest.raises(ValueError, match="by='pair'"):
        audit_ensemble(ens, X, y, site3)
    table = audit_ensemble(ens, X, y, site3, by="pair")
    assert table["student"].tolist() == ["t1", "t2"]
