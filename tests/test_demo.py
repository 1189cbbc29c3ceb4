"""The main job: ``python -m skcoop demo``."""

import io

import numpy as np

from skcoop.__main__ import main
from skcoop._demo import run_demo


def test_demo_members_gain_and_report_prints():
    out = io.StringIO()
    res = run_demo("wine", dirichlet_alpha=0.5, random_state=0, file=out)
    text = out.getvalue()
    for word in ("alone", "distilled", "pooled", "virtual instances", "wall time"):
        assert word in text
    before = [m["before"] for m in res["members"]]
    after = [m["after"] for m in res["members"]]
    assert np.median(after) > np.median(before)
    assert res["found"] >= 0.9 * res["qualifying"] > 0
    assert res["kept"] <= res["found"] - res["dropped"]
    # the release guard is on by default: every found row is replaced or dropped
    assert res["guarded"] + res["dropped"] == res["found"]
    assert f"dropped {res['dropped']}; {res['kept']} kept" in text


def test_cli_runs(capsys):
    assert main(["demo", "--dataset", "iris", "--seed", "1"]) == 0
    assert "Cooperative distillation on iris" in capsys.readouterr().out
