"""summary.md and plots of the federated benchmark (see run.py)."""
# ruff: noqa: E501  (markdown table rows are built as single strings)

import json
from pathlib import Path

import numpy as np
import pandas as pd

PAPER_REDUCTION = 0.606  # Alballa et al.: total rounds, KD-consolidated start
PAPER_TUNING = {"iid": 0.16, "non-iid": 1.39}
ORDER = ["random", "best_single", "kd", "kd_tuned", "coop"]
COLORS = {
    "random": "tab:gray",
    "best_single": "tab:brown",
    "kd": "tab:blue",
    "kd_tuned": "tab:green",
    "coop": "tab:red",
}


def _fmt(mean, sd, censored=False):
    s = f"{mean:.1f} ± {sd:.1f}"
    return f">= {s}" if censored else s


def rounds_table(df):
    """Mean total rounds per dataset, setting and method; reduction vs random."""
    out = []
    for (dataset, setting), g in df.groupby(["dataset", "setting"], sort=False):
        rnd = g[g.method == "random"].set_index("seed")
        row = {"dataset": dataset, "setting": setting}
        for method in ORDER:
            m = g[g.method == method].set_index("seed")
            if m.empty:
                continue
            tot = m.total_rounds.astype(float)
            row[method] = _fmt(tot.mean(), tot.std(ddof=0), bool(m.censored.any()))
            if method != "random":
                red = 1 - tot / rnd.total_rounds.astype(float).loc[tot.index]
                row[f"{method} red."] = red.mean()
                row[f"_{method}_cens"] = bool(rnd.censored.any() or m.censored.any())
        out.append(row)
    return pd.DataFrame(out)


def _pct(x):
    return "" if pd.isna(x) else f"{100 * x:.1f}%"


def tuning_table(df):
    """Vanilla against tuned KD: accuracy gain of the consolidated model."""
    rows = []
    for (dataset, setting), g in df.groupby(["dataset", "setting"], sort=False):
        v = g[g.method == "kd"].set_index("seed")
        t = g[g.method == "kd_tuned"].set_index("seed")
        gain_v = (v.init_acc - v.teacher_mean_acc).mean()
        gain_t = (t.init_acc - t.teacher_mean_acc).mean()
        rows.append(
            dict(
                dataset=dataset,
                setting=setting,
                teachers=v.teacher_mean_acc.mean(),
                vanilla=v.init_acc.mean(),
                tuned=t.init_acc.mean(),
                gain_vanilla=gain_v,
                gain_tuned=gain_t,
                improvement=(gain_t - gain_v) / abs(gain_v),
                params=t.params.iloc[0].split(" (")[0],
                rounds_vanilla=v.total_rounds.mean(),
                rounds_tuned=t.total_rounds.mean(),
            )
        )
    return pd.DataFrame(rows)


def plot_curves(df, out_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    for dataset, gd in df.groupby("dataset", sort=False):
        settings = list(dict.fromkeys(gd.setting))
        fig, axes = plt.subplots(
            1,
            len(settings),
            figsize=(4.2 * len(settings), 3.4),
            squeeze=False,
            sharey=True,
        )
        for ax, setting in zip(axes[0], settings):
            g = gd[gd.setting == setting]
            for method in ORDER:
                for i, (_, r) in enumerate(g[g.method == method].iterrows()):
                    curve = np.array([float(a) for a in r.curve.split()])
                    x = np.arange(len(curve)) + r.consolidation_rounds
                    ax.plot(
                        x,
                        curve,
                        color=COLORS[method],
                        alpha=0.7,
                        lw=1,
                        marker="o",
                        ms=2.5,
                        label=method if i == 0 else None,
                    )
            ax.axhline(
                g.target.mean(),
                color="k",
                ls="--",
                lw=0.8,
                label="target (95% central)",
            )
            ax.set_title(f"{dataset}, {setting}")
            ax.set_xlabel("communication rounds (consolidation + FedAvg)")
            ax.set_ylim(0, 1)
        axes[0][0].set_ylabel("held-out accuracy")
        axes[0][-1].legend(fontsize=7, loc="lower right")
        fig.tight_layout()
        name = f"accuracy_per_round_{dataset}.png"
        fig.savefig(out_dir / name, dpi=110)
        plt.close(fig)
        names.append(name)
    return names


def _simulations(meta):
    n = len(meta.get("parts", [])) or 1
    return (
        "one Flower simulation" if n == 1 else f"{n} Flower simulations (one a process)"
    )


def write(df, meta, out_dir):
    (out_dir / "meta.json").write_text(json.dumps(meta, indent=1, default=str))
    plots = plot_curves(df, out_dir)
    rt = rounds_table(df)
    tt = tuning_table(df)
    L = [f"# Federated training with KD pre-consolidation ({meta['mode']} mode)", ""]
    L += [
        f"Command: `python benchmarks/federated/run.py{' --quick' if meta['mode'] == 'quick' else ''}`"
        f"; seeds {meta['seeds']}; {meta['n_clients']} clients; MLP 64 hidden; "
        f"FedAvg: every client, {meta['local_epochs']} local SGD epochs (lr "
        f"{meta['lr']}, batch {meta['batch_size']}) per round, at most "
        f"{meta['max_rounds']} rounds, stopped at the target (95% of the held-out "
        "accuracy of the same MLP trained centrally on all clients' rows).",
        "",
        f"Wall time {meta['wall_s']:.0f} s: pre-training and consolidation "
        f"{meta['prep_s']:.0f} s; {_simulations(meta)} for all {meta['n_jobs']} FedAvg "
        f"runs {meta['simulation_total_s']:.0f} s: {meta['simulation_rounds']} rounds (each "
        "round packs every running job into one message per client; median round "
        f"{meta['simulation_median_round_s']:.2f} s) and {meta['simulation_fixed_s']:.0f} s "
        "the simulation runtime's fixed cost (Ray start-up and its client actors' first "
        "imports, shut-down).",
        "",
    ]
    for part in meta.get("parts", []):
        L += [
            f"- {', '.join(part['datasets'])}: a separate process, wall "
            f"{part['wall_s']:.0f} s (preparation {part['prep_s']:.0f} s; simulation "
            f"{part['simulation_total_s']:.0f} s, {part['simulation_rounds']} rounds, "
            f"median {part['simulation_median_round_s']:.2f} s, fixed cost "
            f"{part['simulation_fixed_s']:.0f} s)"
        ]
    if meta.get("parts"):
        L += [""]
    if meta.get("skipped"):
        L += ["Skipped: " + "; ".join(meta["skipped"]), ""]
    L += [
        "## Total rounds to target",
        "",
        "Total = consolidation rounds (0 random; 2 best single: upload + federated "
        "evaluation; 1 KD: upload; 2 tuned KD: upload + one federated evaluation of "
        "the grid; 3 cooperative: upload, then the 2 exchanges of its round; the "
        "first exchange also carries the tuned KD's grid candidates to the clients "
        "and their scores back, so its KD's T and w cost no round of their own) + "
        "FedAvg rounds to target. Mean ± sd over seeds; "
        "reduction = 1 - total / total of random init, per seed, then averaged. "
        "`>=`: some run did not reach the target (its count is a lower bound).",
        "",
    ]
    cols = ["random", "best_single", "kd", "kd_tuned", "coop"]
    head = (
        "| dataset | setting | "
        + " | ".join(cols)
        + " | red. best single | red. KD | red. tuned KD | red. coop | paper (KD) |"
    )
    L += [head, "|" + "---|" * (head.count("|") - 1)]
    for _, r in rt.iterrows():
        L.append(
            f"| {r.dataset} | {r.setting} | "
            + " | ".join(str(r.get(c, "")) for c in cols)
            + " | "
            + " | ".join(_pct(r.get(f"{c} red.")) for c in cols[1:])
            + f" | {_pct(PAPER_REDUCTION)} (average) |"
        )
    L += [""]
    L += ["### Averaged over settings", ""]
    L += [
        "| dataset | settings | red. best single | red. KD | red. tuned KD | red. coop | paper |",
        "|---|---|---|---|---|---|---|",
    ]
    for dataset, g in rt.groupby("dataset", sort=False):
        for label, mask in (
            ("non-IID (Dirichlet)", g.setting != "iid"),
            ("IID", g.setting == "iid"),
            ("all", g.setting == g.setting),
        ):
            sub = g[mask]
            if sub.empty:
                continue
            L.append(
                f"| {dataset} | {label} | "
                + " | ".join(_pct(sub[f"{c} red."].mean()) for c in cols[1:])
                + f" | {_pct(PAPER_REDUCTION)} |"
            )
    L += [""]
    non_iid = rt[rt.setting != "iid"]
    if not non_iid.empty:
        kd_red = non_iid["kd_tuned red."].mean()
        kdv_red = non_iid["kd red."].mean()
        L += [
            "### Targets",
            "",
            f"- KD pre-consolidation cuts total rounds by >= 50% against random init on "
            f"the non-IID settings, averaged over seeds (and settings): tuned KD "
            f"{_pct(kd_red)}, vanilla KD {_pct(kdv_red)} -> "
            f"**{'met' if kd_red >= 0.5 else 'not met'}** (tuned), "
            f"**{'met' if kdv_red >= 0.5 else 'not met'}** (vanilla).",
        ]
        both = df[df.method.isin(["kd_tuned", "coop"])].pivot_table(
            index=["dataset", "setting", "seed"],
            columns="method",
            values="total_rounds",
        )
        ok = both.coop <= both.kd_tuned
        kdv = df[df.method == "kd"].set_index(["dataset", "setting", "seed"])
        kdv = kdv.total_rounds.reindex(both.index)
        L += [
            f"- Cooperative consolidation needs no more total rounds than KD "
            f"consolidation: mean {both.coop.mean():.2f} against "
            f"{both.kd_tuned.mean():.2f} (tuned KD); per run, coop <= tuned KD in "
            f"{int(ok.sum())} of {len(ok)} -> "
            f"**{'met' if both.coop.mean() <= both.kd_tuned.mean() else 'not met'}** "
            f"on average against tuned KD; against vanilla KD ({kdv.mean():.2f}) "
            f"**{'met' if both.coop.mean() <= kdv.mean() else 'not met'}**.",
            "",
        ]
    L += [
        "## Vanilla against tuned KD",
        "",
        "Gain = held-out accuracy of the consolidated model minus the mean held-out "
        "accuracy of the teachers (the clients' pre-trained models); improvement = "
        "(gain tuned - gain vanilla) / |gain vanilla|, the paper's definition with "
        "vanilla KD as the best untuned method (the only untuned KD consolidation "
        "here). Tuned: T in {1,2,4,8} x w in {0.25,0.5,0.75,0.9} (quick: {1,4} x "
        "{0.5,0.9}), chosen by federated evaluation on the clients' own rows, per "
        "dataset and distribution on the first seed.",
        "",
        "| dataset | setting | teachers | vanilla KD | tuned KD | T, w | gain vanilla | gain tuned | improvement | paper | total rounds vanilla / tuned |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in tt.iterrows():
        paper = PAPER_TUNING["iid" if r.setting == "iid" else "non-iid"]
        L.append(
            f"| {r.dataset} | {r.setting} | {r.teachers:.3f} | {r.vanilla:.3f} | "
            f"{r.tuned:.3f} | {r.params} | {r.gain_vanilla:+.3f} | {r.gain_tuned:+.3f} | "
            f"{_pct(r.improvement)} | {_pct(paper)} | {r.rounds_vanilla:.1f} / {r.rounds_tuned:.1f} |"
        )
    for label, mask in (("IID", tt.setting == "iid"), ("non-IID", tt.setting != "iid")):
        sub = tt[mask]
        if len(sub):
            gv, gt = sub.gain_vanilla.mean(), sub.gain_tuned.mean()
            L.append(
                f"| all | {label} (mean) | | | | | {gv:+.3f} | {gt:+.3f} | "
                f"{_pct((gt - gv) / abs(gv))} | {_pct(PAPER_TUNING['iid' if label == 'IID' else 'non-iid'])} | |"
            )
    L += [
        "",
        "## Starting models",
        "",
        "| dataset | setting | central | target | teachers (mean / best) | "
        + " | ".join(ORDER)
        + " | consolidation s (kd_tuned / coop) |",
        "|---|---|---|---|---|" + "---|" * len(ORDER) + "---|",
    ]
    for (dataset, setting), g in df.groupby(["dataset", "setting"], sort=False):
        acc = g.groupby("method").init_acc.mean()
        cs = g.groupby("method").consolidation_s.mean()
        L.append(
            f"| {dataset} | {setting} | {g.central_acc.mean():.3f} | {g.target.mean():.3f} | "
            f"{g.teacher_mean_acc.mean():.3f} / {g.teacher_best_acc.mean():.3f} | "
            + " | ".join(f"{acc.get(m, np.nan):.3f}" for m in ORDER)
            + f" | {cs.get('kd_tuned', np.nan):.1f} / {cs.get('coop', np.nan):.1f} |"
        )
    L += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots] + [""]
    notes = Path(__file__).resolve().parent / f"notes_{meta['mode']}.md"
    if notes.exists():  # the hand-written analysis of the committed run
        L += [notes.read_text()]
    (out_dir / "summary.md").write_text("\n".join(L))
