"""The benchmark's tables: versions, the targets table, results.md."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np


def versions():
    import importlib.metadata as md

    out = {}
    for pkg in ["numpy", "scikit-learn", "torch", "skorch", "dice-ml", "pandas"]:
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def targets(frame):
    """The issue's targets, per dataset and model, at the largest query set."""
    lines = []
    flips = frame[frame["confidence"].astype(str) != "quintessential (alpha=0.5)"]
    n = flips["n_queries"].max()
    big = flips[flips["n_queries"] == n]
    header = (
        "| dataset | model | speed-up vs DiCE's fastest | validity | median L1 "
        "(DiCE random) | L1 on DiCE random's valid rows (DiCE random) | "
        "features changed (DiCE random) | L1 / nearest-row L1 | search / model time |"
    )
    lines += [header, "|" + "---|" * 9]
    for (dname, mname), g in big.groupby(["dataset", "model"], sort=False):
        ours = g[g["engine"].str.startswith("skcoop")].iloc[0]
        base = g[g["engine"] == "nearest target row"].iloc[0]
        dice = g[g["engine"].str.startswith("DiCE")]
        rnd = dice[dice["engine"] == "DiCE random"]

        def fmt(v, spec=".3g"):
            return (
                ""
                if v is None or (isinstance(v, float) and np.isnan(v))
                else format(v, spec)
            )

        if len(dice):
            fastest = dice.loc[dice["sec_per_cf"].idxmin()]
            speed = (
                f"{fastest['sec_per_cf'] / ours['sec_per_cf']:.0f}x "
                f"({fastest['engine']}, {fastest['sec_per_cf']:.3g} s vs "
                f"{ours['sec_per_cf']:.2g} s)"
            )
        else:
            speed = "(no DiCE)"
        r = rnd.iloc[0] if len(rnd) else None
        lines.append(
            f"| {dname} | {mname} | {speed} | {ours['validity']:.3f} | "
            f"{fmt(ours['median_l1'])} "
            f"({fmt(None if r is None else r['median_l1'])}) | "
            f"{fmt(None if r is None else r.get('skcoop_l1_same_rows'))} "
            f"({fmt(None if r is None else r['median_l1'])}, n valid = "
            f"{'' if r is None else int(round(r['validity'] * r['n_timed']))}) | "
            f"{fmt(ours['median_changed'])} "
            f"({fmt(None if r is None else r['median_changed'])}) | "
            f"{ours['median_l1'] / base['median_l1']:.2f} | "
            f"{ours['search_over_model']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def markdown(frame, meta):
    cols = [
        "dataset",
        "model",
        "n_queries",
        "engine",
        "n_timed",
        "sec_per_cf",
        "validity",
        "median_l1",
        "median_changed",
        "calls_per_cf",
        "rows_per_cf",
        "search_over_model",
        "median_proba",
    ]
    lines = [
        "# Counterfactual search benchmark",
        "",
        f"Versions: {meta['versions']}; {meta['cpus']} CPUs ({meta['machine']}).",
        "",
        "Class flips at the target confidence (the other class for breast_cancer,",
        "the next class for wine); validity is checked by calling the model; L1 in",
        "standard-scaled units and features changed are medians over valid rows;",
        "sec_per_cf is wall time per query; search_over_model is wall time over time",
        "inside the model's own calls. DiCE runs one query at a time: `n_timed` <",
        "`n_queries` means it was timed on the first `n_timed` queries of the set",
        "(the same rows as the 50-query set; `time_halves_ratio` in the CSV compares",
        "the mean time of the second half of those queries with the first).",
        "",
    ]
    flips = frame[frame["confidence"].astype(str) != "quintessential (alpha=0.5)"]
    lines += [
        "## Targets (class flips at the target confidence, "
        f"{flips['n_queries'].max()} queries)",
        "",
        targets(frame),
    ]
    paper = frame[frame["confidence"].astype(str) == "quintessential (alpha=0.5)"]
    if len(paper):
        lines += [
            "## The paper's gradient settings (quintessential targets, test rows the "
            "net predicts correctly)",
            "",
            "`already` rows met their target before any search (the net's probability "
            "is 1 in float32); the paper's loop skipped them and every row whose "
            "search "
            "did not reach the target, so its virtual instances are `paper rule`; "
            "skcoop moves `already` rows `min_step` toward a confident reference row.",
            "",
            "| dataset | engine | rows | already | validity on the others "
            "| moved (others) "
            "| virtual rate, paper rule | virtual rate | Adam steps | s per row |",
            "|" + "---|" * 10,
        ]
        for _, r in paper.iterrows():
            lines.append(
                f"| {r['dataset']} | {r['engine']} | {r['n_queries']} | "
                f"{int(r['already_at_target'])} | {r['validity_not_already']:.3f} | "
                f"{r['moved_not_already']:.3f} | {r['virtual_rate_paper_rule']:.3f} | "
                f"{r['virtual_rate']:.3f} | {int(r['adam_steps'])} | "
                f"{r['sec_per_cf']:.2g} |"
            )
        lines.append("")
    lines += ["## All runs", ""]
    frame = frame.copy()
    present = [c for c in cols if c in frame.columns]
    header = "| " + " | ".join(present) + " |"
    lines += [header, "|" + "---|" * len(present)]
    for _, r in frame.iterrows():
        cells = []
        for c in present:
            v = r[c]
            if isinstance(v, float):
                cells.append("" if np.isnan(v) else f"{v:.3g}")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
