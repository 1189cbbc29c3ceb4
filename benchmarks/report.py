"""Summary tables (Markdown) and plots (PNG) from the runs of run.py."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

VOTE = "(vote)"
FAILED = "(failed)"
METHOD_ORDER = ["alone", "kd", "kd_tuned", "dml", "pkd", "ckd", "ckd_dup", "pooled"]


def _order(methods):
    """Known methods in METHOD_ORDER, other (ckd variant) names before pooled."""
    known = [m for m in METHOD_ORDER if m in set(methods)]
    other = [m for m in dict.fromkeys(methods) if m not in METHOD_ORDER]
    if "pooled" in known:
        return known[:-1] + other + ["pooled"]
    return known + other


def _cooperative(methods):
    return [
        m
        for m in _order(methods)
        if m not in ("alone", "pooled", "kd", "kd_tuned", "dml", "pkd")
    ]


def per_seed(runs):
    """Per (experiment, setting, method, seed): median and mean member, vote, cost."""
    members = runs[(runs.member != VOTE) & (runs.member != FAILED)]
    g = members.groupby(["experiment", "setting", "method", "seed"], sort=False)
    out = g.agg(
        median=("score", "median"),
        mean=("score", "mean"),
        fit_s=("fit_s", "first"),
        peak_mb=("peak_mb", "first"),
        virtual=("n_virtual", "sum"),
    )
    pooled = members[members.method == "pooled"].groupby(
        ["experiment", "setting", "method", "seed"]
    )
    out.loc[pooled.size().index, "fit_s"] = pooled["fit_s"].sum()
    out.loc[pooled.size().index, "peak_mb"] = pooled["peak_mb"].max()
    vote = runs[runs.member == VOTE].set_index(
        ["experiment", "setting", "method", "seed"]
    )["score"]
    out["vote"] = vote.reindex(out.index)
    out = out.reset_index()
    key = ["experiment", "setting", "seed"]
    base = out[out.method == "alone"].set_index(key)["median"]
    top = out[out.method == "pooled"].set_index(key)["median"]
    idx = pd.MultiIndex.from_frame(out[key])
    gap = (top - base).reindex(idx).to_numpy()
    gain = out["median"].to_numpy() - base.reindex(idx).to_numpy()
    out["gap_closed"] = np.where(
        np.abs(gap) > 1e-9, gain / np.where(gap == 0, 1, gap), np.nan
    )
    return out


def _closed(df, method, min_gap=0.01):
    """(mean method - mean alone) / (mean pooled - mean alone) of the median member."""
    mean = df.groupby("method")["median"].mean()
    if not {"alone", "pooled", method} <= set(mean.index):
        return ""
    gap = mean["pooled"] - mean["alone"]
    if gap < min_gap:
        return "n/a"
    return f"{(mean[method] - mean['alone']) / gap:.0%}"


def _pm(series):
    s = series.dropna()
    if s.empty:
        return ""
    return f"{s.mean():.3f} ± {s.std(ddof=1):.3f}" if len(s) > 1 else f"{s.mean():.3f}"


def summary_tables(runs):
    """Markdown: per experiment and setting, methods x (median member, ...)."""
    ps = per_seed(runs)
    lines = []
    for (exp, setting), df in ps.groupby(["experiment", "setting"], sort=False):
        sub = runs[(runs.experiment == exp) & (runs.setting == setting)]
        metric = sub.metric.iloc[0]
        seeds = sub.seed.nunique()
        lines += [f"### {exp}: {setting}  ({metric}, mean ± sd over {seeds} seeds)", ""]
        names = [m for m in sub.member.unique() if m not in (VOTE, FAILED)]
        head = (
            ["method", "median member", "gap closed", "mean member", "vote"]
            + names
            + ["fit s", "peak MiB", "virtual", "params"]
        )
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for method in _order(df.method):
            d = df[df.method == method]
            s = sub[sub.method == method]
            closed = _closed(df, method)
            cells = [method, _pm(d["median"]), closed, _pm(d["mean"]), _pm(d["vote"])]
            for n in names:
                v = s[s.member == n]["score"]
                cells.append(f"{v.mean():.3f}" if len(v) else "")
            params = s["params"].dropna().astype(str)
            params = ", ".join(sorted(set(p for p in params if p)))
            cells += [
                f"{d.fit_s.mean():.1f}",
                f"{d.peak_mb.mean():.0f}",
                f"{d.virtual.mean():.0f}",
                params,
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


# Livanos et al. (AAAI-24), Fashion-MNIST, 10 members each without one class:
# median member accuracy
PAPER_B = {"alone": 0.76, "ckd": 0.83, "ckd_dup": 0.79, "pooled": 0.86}


def paper_table(runs):
    """Experiment B's median member next to the paper's numbers."""
    ps = per_seed(runs)
    ps = ps[ps.experiment == "B"]
    if ps.empty:
        return ""
    lines = [
        "| method | paper (median member) | skcoop median member "
        "| gap closed (paper / skcoop) |",
        "|---|---|---|---|",
    ]
    gap = PAPER_B["pooled"] - PAPER_B["alone"]
    for method in _order(ps.method):
        d = ps[ps.method == method]
        paper = PAPER_B.get(method)
        pc = "-" if paper is None else f"{(paper - PAPER_B['alone']) / gap:.0%}"
        paper = "-" if paper is None else paper
        lines.append(
            f"| {method} | {paper} | {_pm(d['median'])} | "
            f"{pc} / {_closed(ps, method)} |"
        )
    return "\n".join(lines)


def headline_table(runs):
    """One line per experiment and setting: median member of every method."""
    ps = per_seed(runs)
    methods = _order(ps.method)
    lines = [
        "| experiment | setting | " + " | ".join(methods) + " | ckd gap closed |",
        "|---|---|" + "---|" * (len(methods) + 1),
    ]
    for (exp, setting), df in ps.groupby(["experiment", "setting"], sort=False):
        cells = []
        for m in methods:
            d = df[df.method == m]["median"].dropna()
            cells.append(
                f"{d.mean():.3f} ± {d.std(ddof=1):.3f}"
                if len(d) > 1
                else (f"{d.mean():.3f}" if len(d) else "")
            )
        lines.append(
            f"| {exp} | {setting} | " + " | ".join(cells) + f" | {_closed(df, 'ckd')} |"
        )
    return "\n".join(lines)


def _f(value):
    return f"{value:.3f}" if np.isfinite(value) else ""


def targets_table(runs, min_change=-0.005, min_gap=0.01):
    """Issue 11's targets per setting and cooperative method.

    ``worst d``: the lowest mean change over alone (across seeds) of any
    member (target >= ``min_change``); ``median closed``: the median over
    members of the share of each member's alone -> pooled gap closed, over
    the members whose pooled score beats alone by ``min_gap`` or more.
    """
    sub = runs[(runs.member != VOTE) & (runs.member != FAILED)]
    coop = _cooperative(sub.method)
    if sub.empty or not coop:
        return ""
    head = ["experiment", "setting"]
    head += [f"{m} {c}" for m in coop for c in ("worst d", "median closed")]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (exp, setting), d in sub.groupby(["experiment", "setting"], sort=False):
        mean = d.groupby(["member", "method"])["score"].mean().unstack()
        if "alone" not in mean:
            continue
        base = d[d.method == "alone"].set_index(["member", "seed"])["score"]
        cells = [exp, setting]
        for m in coop:
            s = d[d.method == m].set_index(["member", "seed"])["score"]
            change = (s - base.reindex(s.index)).groupby(level="member").mean()
            worst = change.min() if len(change) else np.nan
            mark = "" if not np.isfinite(worst) or worst >= min_change else " ✗"
            cells.append(f"{worst:+.3f}{mark}" if np.isfinite(worst) else "")
            closed = ""
            if "pooled" in mean and m in mean:
                gap = mean["pooled"] - mean["alone"]
                ok = gap >= min_gap
                if ok.any():
                    share = ((mean[m] - mean["alone"]) / gap)[ok].median()
                    closed = f"{share:.0%} ({int(ok.sum())})"
            cells.append(closed)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def member_table(runs, experiments=None):
    """Per member: alone, each cooperative method, pooled; change and gap closed.

    One line per (experiment, setting, member): the mean score over seeds of
    each method, the mean change of every cooperative method over alone
    (``d ckd``) and the share of the member's own alone -> pooled gap it
    closes (blank where pooled beats alone by less than 0.01).
    """
    sub = runs[(runs.member != VOTE) & (runs.member != FAILED)]
    if experiments is not None:
        sub = sub[sub.experiment.isin(experiments)]
    if sub.empty:
        return ""
    coop = _cooperative(sub.method)
    lines = [
        "| experiment | setting | member | learner | alone | "
        + " | ".join(coop)
        + " | pooled | "
        + " | ".join(f"d {m}" for m in coop)
        + " | "
        + " | ".join(f"{m} gap closed" for m in coop)
        + " |",
        "|---|---|---|---|---|" + "---|" * (3 * len(coop) + 1),
    ]
    for (exp, setting, member), d in sub.groupby(
        ["experiment", "setting", "member"], sort=False
    ):
        mean = d.groupby("method")["score"].mean()
        alone, pooled = mean.get("alone", np.nan), mean.get("pooled", np.nan)
        gap = pooled - alone
        base = d[d.method == "alone"].set_index("seed")["score"]
        cells = [exp, setting, member, str(d.learner.iloc[0]), _f(alone)]
        cells += [_f(mean.get(m, np.nan)) for m in coop] + [_f(pooled)]
        for m in coop:
            s = d[d.method == m].set_index("seed")["score"]
            change = (s - base.reindex(s.index)).mean()
            cells.append(f"{change:+.3f}" if np.isfinite(change) else "")
        for m in coop:
            ok = np.isfinite(gap) and gap >= 0.01 and m in mean
            cells.append(f"{(mean[m] - alone) / gap:.0%}" if ok else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def failures(runs):
    bad = runs[runs.member == FAILED]
    if bad.empty:
        return ""
    lines = [
        "## Failed fits",
        "",
        "| experiment | setting | seed | method | error |",
        "|---|---|---|---|---|",
    ]
    for _, r in bad.iterrows():
        lines.append(
            f"| {r.experiment} | {r.setting} | {r.seed} | {r.method} | {r.params} |"
        )
    return "\n".join(lines) + "\n"


def transfer_table(transfers):
    if transfers.empty:
        return ""
    if "method" in transfers:  # the plain ckd fit only, not the variants
        transfers = transfers[transfers.method.fillna("ckd") == "ckd"]
    g = transfers.groupby(["experiment", "setting"])[
        ["qualifying", "found", "kept"]
    ].sum()
    g["found/qualifying"] = (g.found / g.qualifying.clip(lower=1)).round(3)
    g["kept/found"] = (g.kept / g.found.clip(lower=1)).round(3)
    lines = [
        "| experiment | setting | qualifying | found | kept | found/qualifying "
        "| kept/found |",
        "|---|---|---|---|---|---|---|",
    ]
    for (e, s), r in g.iterrows():
        lines.append(
            f"| {e} | {s} | {int(r.qualifying)} | {int(r.found)} | {int(r.kept)} | "
            f"{r['found/qualifying']} | {r['kept/found']} |"
        )
    return "\n".join(lines)


def plot_before_after(runs, out):
    for exp, sub in runs[runs.member != VOTE].groupby("experiment"):
        settings = list(sub.setting.unique())
        methods = [
            m for m in ("alone", "kd_tuned", "ckd", "pooled") if m in set(sub.method)
        ]
        fig, axes = plt.subplots(
            len(settings), 1, figsize=(9, 2.6 * len(settings)), squeeze=False
        )
        for ax, setting in zip(axes[:, 0], settings):
            d = sub[sub.setting == setting]
            names = list(d.member.unique())
            x = np.arange(len(names))
            width = 0.8 / len(methods)
            for k, m in enumerate(methods):
                g = d[d.method == m].groupby("member")["score"]
                mean = g.mean().reindex(names)
                sd = g.std().reindex(names).fillna(0)
                ax.bar(x + k * width, mean, width, yerr=sd, label=m, capsize=2)
            ax.set_xticks(
                x + width * (len(methods) - 1) / 2, names, fontsize=7, rotation=20
            )
            ax.set_title(f"{exp}: {setting}", fontsize=9)
            ax.set_ylabel(d.metric.iloc[0])
            lo = np.nanmin(d[d.method.isin(methods)].score)
            ax.set_ylim(max(lo - 0.05, -0.5 if lo < 0 else 0), 1.0)
        axes[0, 0].legend(fontsize=7, ncol=len(methods))
        fig.tight_layout()
        fig.savefig(out / f"before_after_{exp}.png", dpi=110)
        plt.close(fig)


def plot_transfer(transfers, out):
    if transfers.empty:
        return
    if "method" in transfers:
        transfers = transfers[transfers.method.fillna("ckd") == "ckd"]
    for exp, sub in transfers.groupby("experiment"):
        settings = list(sub.setting.unique())
        fig, axes = plt.subplots(
            1, len(settings), figsize=(3.6 * len(settings), 3.4), squeeze=False
        )
        for ax, setting in zip(axes[0], settings):
            d = sub[sub.setting == setting]
            n_seeds = d.seed.nunique()
            names = list(dict.fromkeys(list(d.teacher) + list(d.student)))
            m = (
                d.pivot_table(
                    index="teacher", columns="student", values="kept", aggfunc="sum"
                )
                .reindex(index=names, columns=names)
                .fillna(0)
                / n_seeds
            )
            im = ax.imshow(m.values, cmap="viridis")
            ax.set_xticks(range(len(names)), names, rotation=60, fontsize=6)
            ax.set_yticks(range(len(names)), names, fontsize=6)
            ax.set_xlabel("student", fontsize=7)
            ax.set_ylabel("teacher", fontsize=7)
            ax.set_title(f"{exp}: {setting}\nvirtual instances kept / seed", fontsize=7)
            fig.colorbar(im, ax=ax, fraction=0.046)
        fig.tight_layout()
        fig.savefig(out / f"transfer_{exp}.png", dpi=110)
        plt.close(fig)


def plot_overlap(runs, out):
    sub = runs[
        (runs.member != VOTE) & runs.get("overlap", pd.Series(dtype=float)).notna()
    ]
    if "overlap" not in runs or sub.empty:
        return
    base = sub[sub.method == "alone"].set_index(["overlap", "seed", "member"])["score"]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for m in ("kd_tuned", "kd", "ckd", "pooled"):
        s = sub[sub.method == m].set_index(["overlap", "seed", "member"])["score"]
        if s.empty:
            continue
        gain = (s - base.reindex(s.index)).groupby(level=["overlap", "seed"]).median()
        g = gain.groupby(level="overlap")
        ax.errorbar(
            g.mean().index * 100,
            g.mean(),
            yerr=g.std().fillna(0),
            marker="o",
            capsize=3,
            label=m,
        )
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("shared columns (%)")
    ax.set_ylabel("median member gain over alone")
    ax.invert_xaxis()
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "gain_vs_overlap.png", dpi=110)
    plt.close(fig)


def plot_links(runs):
    """Markdown images of the plots summary.md shows (the committed ones)."""
    lines = [
        "## Members before and after (mean and sd over seeds)",
        "",
        "Per experiment: each member alone, with tuned KD, with cooperative "
        "distillation and on the pooled rows. The teacher -> student heatmaps "
        "(`transfer_<EXP>.png`) are written next to them but not committed.",
        "",
    ]
    for exp in sorted(runs.experiment.unique()):
        lines += [f"![experiment {exp}](before_after_{exp}.png)", ""]
    if "overlap" in runs and runs["overlap"].notna().any():
        lines += [
            "Experiment G: median member gain over alone against the shared columns.",
            "",
            "![gain vs overlap](gain_vs_overlap.png)",
        ]
    return "\n".join(lines)


def _read(out, pattern):
    frames = []
    for f in sorted(out.glob(pattern)):
        try:
            frames.append(pd.read_csv(f))
        except pd.errors.EmptyDataError:
            pass
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


NOTE = (
    "Scores are on held-out rows, each member in its own columns. `median member` is "
    "the median over members of one seed, then mean ± sd over seeds; `gap closed` is "
    "(method - alone) / (pooled - alone) of the mean median member (n/a where pooled "
    "beats alone by less than 0.01); member columns are means over seeds. `fit s` / "
    "`peak MiB` are per ensemble fit (pooled: the sum / max over learners), timed "
    "without tracing; peak memory from a repeat of the alone, pooled and ckd fits "
    "under tracemalloc on the memory seeds only (Python and numpy allocations, not "
    "torch's). `virtual` is the total virtual instances the students received. "
    "kd_tuned's T and w are chosen on a validation split of the training rows (20% "
    "of each site) on the tuning seeds and reused for the others."
)


def write_all(out, mode, plots=True):
    """Combine the per-experiment files of ``out`` and write the reports."""
    import json

    runs = _read(out, "runs_*.csv")
    transfers = _read(out, "transfers_*.csv")
    metas = {}
    for f in sorted(out.glob("meta_*.json")):
        m = json.loads(f.read_text())
        metas[m["experiment"]] = m
    if runs.empty:
        return
    md = [
        f"# skcoop benchmarks ({mode} mode)",
        "",
        "Rebuilt from the `runs_<EXP>.csv` files of this folder by "
        "`benchmarks/report.py`; see `benchmarks/README.md` for every column.",
        "",
        "| experiment | command | seeds | search | status | finished |",
        "|---|---|---|---|---|---|",
    ]
    for exp in sorted(runs.experiment.unique()):
        m = metas.get(exp)
        if m is None:  # meta files are not committed: keep what the rows say
            seeds = sorted(int(s) for s in runs[runs.experiment == exp].seed.unique())
            md.append(f"| {exp} | see benchmarks/README.md | {seeds} |  |  |  |")
            continue
        md.append(
            f"| {m['experiment']}: {m['title']} | `{m['command']}` | {m['seeds']} | "
            f"{m['counterfactual']} | {m['status']} | {m['finished']} |"
        )
    md += [
        "",
        NOTE,
        "",
        "## Median member, every experiment (mean ± sd over seeds)",
        "",
        headline_table(runs),
        "",
        plot_links(runs),
        "",
        "## B side by side with the paper",
        "",
        paper_table(runs),
        "",
        "## Targets (issue 11): never worse than alone, better where it can be",
        "",
        "Per cooperative method: `worst d` = the lowest mean change over alone of "
        "any member (✗ below -0.005); `median closed` = median over the members "
        "whose pooled score beats alone by >= 0.01 (their number in brackets) of "
        "the share of their own gap closed.",
        "",
        targets_table(runs),
        "",
        "## Every member: alone, cooperative, pooled (mean over seeds)",
        "",
        "`d <method>`: mean change over alone across seeds; `gap closed`: "
        "(method - alone) / (pooled - alone) of the member's mean scores, blank "
        "where pooled beats alone by less than 0.01.",
        "",
        member_table(runs),
        "",
        summary_tables(runs),
        failures(runs),
        "## Counterfactual transfers (cooperative fits, summed over seeds)",
        "",
        transfer_table(transfers),
        "",
    ]
    (out / "summary.md").write_text("\n".join(md))
    if not plots:
        return
    plot_before_after(runs, out)
    plot_transfer(transfers, out)
    plot_overlap(runs, out)
