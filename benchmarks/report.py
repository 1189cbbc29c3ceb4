"""Summary tables (Markdown) and plots (PNG) from the runs of run.py."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

VOTE = "(vote)"
METHOD_ORDER = ["alone", "kd", "kd_tuned", "dml", "pkd", "ckd", "ckd_dup", "pooled"]


def _order(methods):
    return [m for m in METHOD_ORDER if m in set(methods)]


def per_seed(runs):
    """Per (experiment, setting, method, seed): median and mean member, vote, cost."""
    members = runs[runs.member != VOTE]
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
    vote = runs[runs.member == VOTE].set_index(["experiment", "setting", "method", "seed"])["score"]
    out["vote"] = vote.reindex(out.index)
    return out.reset_index()


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
        names = [m for m in sub.member.unique() if m != VOTE]
        head = ["method", "median member", "mean member", "vote"] + names + [
            "fit s", "peak MiB", "virtual", "params"]
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for method in _order(df.method):
            d = df[df.method == method]
            s = sub[sub.method == method]
            cells = [method, _pm(d["median"]), _pm(d["mean"]), _pm(d["vote"])]
            for n in names:
                v = s[s.member == n]["score"]
                cells.append(f"{v.mean():.3f}" if len(v) else "")
            params = s["params"].dropna().astype(str)
            params = ", ".join(sorted(set(p for p in params if p)))
            cells += [f"{d.fit_s.mean():.1f}", f"{d.peak_mb.mean():.0f}",
                      f"{d.virtual.mean():.0f}", params]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def transfer_table(transfers):
    if transfers.empty:
        return ""
    g = transfers.groupby(["experiment", "setting"])[["qualifying", "found", "kept"]].sum()
    g["found/qualifying"] = (g.found / g.qualifying.clip(lower=1)).round(3)
    g["kept/found"] = (g.kept / g.found.clip(lower=1)).round(3)
    lines = ["| experiment | setting | qualifying | found | kept | found/qualifying | kept/found |",
             "|---|---|---|---|---|---|---|"]
    for (e, s), r in g.iterrows():
        lines.append(f"| {e} | {s} | {r.qualifying} | {r.found} | {r.kept} | "
                     f"{r['found/qualifying']} | {r['kept/found']} |")
    return "\n".join(lines)


def plot_before_after(runs, out):
    for exp, sub in runs[runs.member != VOTE].groupby("experiment"):
        settings = list(sub.setting.unique())
        methods = [m for m in ("alone", "kd_tuned", "ckd", "pooled") if m in set(sub.method)]
        fig, axes = plt.subplots(len(settings), 1, figsize=(9, 2.6 * len(settings)), squeeze=False)
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
            ax.set_xticks(x + width * (len(methods) - 1) / 2, names, fontsize=7, rotation=20)
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
    for exp, sub in transfers.groupby("experiment"):
        settings = list(sub.setting.unique())
        fig, axes = plt.subplots(1, len(settings), figsize=(3.6 * len(settings), 3.4), squeeze=False)
        for ax, setting in zip(axes[0], settings):
            d = sub[sub.setting == setting]
            n_seeds = d.seed.nunique()
            names = list(dict.fromkeys(list(d.teacher) + list(d.student)))
            m = (d.pivot_table(index="teacher", columns="student", values="kept", aggfunc="sum")
                 .reindex(index=names, columns=names).fillna(0) / n_seeds)
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
    sub = runs[(runs.member != VOTE) & runs.get("overlap", pd.Series(dtype=float)).notna()]
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
        ax.errorbar(g.mean().index * 100, g.mean(), yerr=g.std().fillna(0), marker="o",
                    capsize=3, label=m)
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("shared columns (%)")
    ax.set_ylabel("median member gain over alone")
    ax.invert_xaxis()
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "gain_vs_overlap.png", dpi=110)
    plt.close(fig)


def write(runs, transfers, meta, out, plots=True):
    if runs.empty:
        return
    md = [f"# skcoop benchmarks ({meta['mode']} mode)", "",
          f"Command: `{meta['command']}`  ", f"Finished {meta['finished']}, "
          f"{meta['total_seconds']:.0f}s in all; seeds {meta['seeds']}; counterfactual search "
          f"`{meta['counterfactual']}`.", "",
          "Per experiment: " + ", ".join(f"{k} {v}" for k, v in meta["experiments"].items()), "",
          "Scores are on held-out rows, each member in its own columns. `median member` is the "
          "median over members of one seed, then mean ± sd over seeds; member columns are means "
          "over seeds. `fit s` / `peak MiB` are per ensemble fit (pooled: the sum / max over "
          "learners), timed without tracing; peak memory from a repeat of the fit under "
          "tracemalloc on the memory seeds only (Python and numpy allocations, not torch's). `virtual` is the total virtual instances the students received.", "",
          summary_tables(runs), "## Counterfactual transfers (cooperative fits, summed over seeds)",
          "", transfer_table(transfers), ""]
    (out / "summary.md").write_text("\n".join(md))
    if not plots:
        return
    plot_before_after(runs, out)
    plot_transfer(transfers, out)
    plot_overlap(runs, out)
