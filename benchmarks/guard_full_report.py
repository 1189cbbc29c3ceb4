"""Compare the full reproduction suite before and after the guard default.

Reads two result folders of ``benchmarks/run.py`` (full mode, 5 seeds): the
earlier unguarded run (``results/full``) and the run with the release guard
on by default (``results/guard_default_full``), and writes one row per
experiment setting: the median member (median over members of a seed, mean
over seeds) for alone, pooled and the cooperative fit of each run, and each
run's worst member (the member whose mean change against alone over the
seeds is lowest). Members named ``(vote)`` (the soft vote) are left out of
the worst member.

    python benchmarks/guard_full_report.py

The earlier run is older code as well as unguarded: searches and defaults
changed between the two, so the difference is not the guard's alone (the
quick A-H run in ``guard_defaults_AH.csv`` isolates it).
"""

import argparse
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


def _load(folder):
    runs = [pd.read_csv(path) for path in sorted(folder.glob("runs_*.csv"))]
    return pd.concat(runs, ignore_index=True)


def _median_member(runs, method):
    rows = runs[(runs.method == method) & (runs.member != "(vote)")]
    per_seed = rows.groupby(["experiment", "setting", "seed"]).score.median()
    return per_seed.groupby(["experiment", "setting"]).mean()


def _worst_member(runs, method="ckd"):
    rows = runs[runs.method.isin(["alone", method]) & (runs.member != "(vote)")]
    table = rows.pivot_table(
        index=["experiment", "setting", "seed", "member"],
        columns="method",
        values="score",
    ).dropna()
    change = (table[method] - table["alone"]).groupby(
        ["experiment", "setting", "member"]
    ).mean()
    worst = change.groupby(["experiment", "setting"])
    return worst.min(), worst.idxmin().map(lambda key: key[2])


def report(before, after):
    """One row per experiment setting of ``after``; see the module docstring."""
    old, new = _load(before), _load(after)
    out = pd.DataFrame(
        {
            "alone": _median_member(new, "alone"),
            "pooled": _median_member(new, "pooled"),
            "ckd_guard": _median_member(new, "ckd"),
            "ckd_before": _median_member(old, "ckd"),
        }
    )
    out["worst_change_guard"], out["worst_member_guard"] = _worst_member(new)
    out["worst_change_before"], out["worst_member_before"] = _worst_member(old)
    out["seeds"] = new.groupby(["experiment", "setting"]).seed.nunique()
    return out.dropna(subset=["ckd_guard"]).round(4).reset_index()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, default=HERE / "results" / "full")
    parser.add_argument(
        "--after", type=Path, default=HERE / "results" / "guard_default_full"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=HERE / "results" / "privacy" / "guard_defaults_full.csv",
    )
    args = parser.parse_args(argv)
    table = report(args.before, args.after)
    table.to_csv(args.out, index=False)
    print(table.to_markdown(index=False))


if __name__ == "__main__":
    main()
