"""Experiment I's comparison: where each method wins, and by how much.

    python benchmarks/public_set_report.py benchmarks/results/public_set [MORE...]

Reads ``runs_I.csv`` of the folder (with the rows of the MORE folders
appended into it: seeds run by separate commands) and writes
``comparison.md`` (the median member and the soft votes per table and
method, bytes per round, the winner per table and its margin over
cooperative distillation's default) and ``comparison_I.png``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

METHODS = ["alone", "ckd", "ckd_public", "fedmd", "feddf", "kd_tuned", "pooled"]
VOTE = "(vote)"
NATURAL = ("attrition", "stackoverflow", "mlc_churn", "wa_churn", "ames")


def _per_seed(runs):
    """Per setting, method and seed: the median member and the vote."""
    ok = runs[runs.member != "(failed)"]
    members = ok[ok.member != VOTE]
    med = members.groupby(["setting", "method", "seed"]).score.median()
    vote = ok[ok.member == VOTE].groupby(["setting", "method", "seed"]).score.mean()
    sent = ok.groupby(["setting", "method", "seed"])["bytes_round"].first()
    return pd.DataFrame({"median": med, "vote": vote, "bytes": sent}).reset_index()


def _order(methods):
    return [m for m in METHODS if m in set(methods)]


def tables(runs):
    per = _per_seed(runs)
    agg = per.groupby(["setting", "method"])[["median", "vote", "bytes"]].mean()
    med = agg["median"].unstack()[_order(agg.index.levels[1])]
    vote = (
        agg["vote"]
        .unstack()[_order(agg.index.levels[1])]
        .drop(columns=["pooled"], errors="ignore")
    )
    sent = (
        agg["bytes"]
        .unstack()[_order(agg.index.levels[1])]
        .drop(columns=["pooled"], errors="ignore")
    )
    return med, vote, sent


def winners(med, vote):
    """Per table: best method (median member, pooled excluded), margins."""
    rows = []
    for setting in med.index:
        r = med.loc[setting].drop("pooled", errors="ignore").dropna()
        best = r.idxmax()
        rows.append(
            dict(
                setting=setting,
                best=best,
                best_median=r[best],
                ckd=r.get("ckd", np.nan),
                ckd_gap=r[best] - r.get("ckd", np.nan),
                alone_vote=vote.loc[setting].get("alone", np.nan),
                ckd_vs_alone_vote=r.get("ckd", np.nan)
                - vote.loc[setting].get("alone", np.nan),
                best_member_vs_alone_vote=r[best]
                - vote.loc[setting].get("alone", np.nan),
                pooled=med.loc[setting].get("pooled", np.nan),
            )
        )
    return pd.DataFrame(rows).set_index("setting")


def _md(df, digits=3):
    return df.round(digits).to_markdown()


def _kib(df):
    return (df / 1024).round(1).to_markdown()


def _commands(folders):
    out = []
    for f in folders:
        meta_path = Path(f) / "meta_I.json"
        if meta_path.exists():
            meta = json.loads(meta_path.read_text())
            out.append(f"`{meta.get('command', '?')}` ({meta.get('status', '')})")
    return out


def write(folder, more=()):
    folder = Path(folder)
    runs = pd.read_csv(folder / "runs_I.csv")
    if more:
        runs = pd.concat(
            [runs] + [pd.read_csv(Path(m) / "runs_I.csv") for m in more],
            ignore_index=True,
        )
        runs = runs.drop_duplicates(["setting", "seed", "method", "member"])
        runs.to_csv(folder / "runs_I.csv", index=False)
    commands = _commands([folder, *more])
    med, vote, sent = tables(runs)
    win = winners(med, vote)
    seeds = sorted(runs.seed.unique().tolist())
    metric = ", ".join(sorted(runs.metric.dropna().unique()))
    lines = [
        "# Experiment I: public-set methods beside cooperative distillation",
        "",
        f"Seeds {seeds}; score: {metric} (R2 for ames) on the test split; "
        "the mean over seeds of each seed's median member. Commands: "
        f"{'; '.join(commands) or '?'}. Without `--quick` (every row of "
        "every table), in one command: "
        "`nice python benchmarks/run.py --only I --out "
        "benchmarks/results/public_set --seeds 0 1 2 3 4`.",
        "",
        "## Median member",
        "",
        _md(med),
        "",
        "## Soft vote of the members (alone: the vote of the alone members)",
        "",
        _md(vote),
        "",
        "## Where each method wins (median member; pooled left out)",
        "",
        _md(win),
        "",
        "## KiB sent per round",
        "",
        "(`benchmarks/traffic.py`; alone: what the soft vote of the alone "
        "members costs, every model to every site once; kd_tuned has no "
        "regression analogue.)",
        "",
        _kib(sent),
        "",
    ]
    failed = runs[runs.member == "(failed)"]
    if len(failed):
        lines += [
            "## Failures",
            "",
            failed[["setting", "seed", "method", "params"]].to_markdown(),
            "",
        ]
    (folder / "comparison.md").write_text("\n".join(lines))
    _plot(med, vote, folder / "comparison_I.png")
    return med, vote, win, sent


def _plot(med, vote, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    gain = med.sub(med["alone"], axis=0)
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(gain) + 1.5))
    methods = [m for m in gain.columns if m != "alone"]
    y = np.arange(len(gain))
    h = 0.8 / (len(methods) + 1)
    for i, m in enumerate(methods):
        ax.barh(y + i * h, gain[m], height=h, label=m)
    av = vote["alone"] - med["alone"]
    ax.barh(y + len(methods) * h, av, height=h, label="alone vote", color="k")
    ax.set_yticks(y + 0.4, gain.index)
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_xlabel("median member minus median alone member")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    med, vote, win, sent = write(sys.argv[1], sys.argv[2:])
    print(win.round(3).to_string())
