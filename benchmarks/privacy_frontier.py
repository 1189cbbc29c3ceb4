"""The release guard's trade-off frontier: leak against gain, old and new (issue 26).

For each guard setting, per data set and seed, in ``post`` mode (as
``benchmarks/privacy.py --mode post``): the unguarded ensemble is fitted
once (``guard=None``, one round, the ensemble's defaults otherwise), each
teacher's released rows are guarded against its own site's rows with
:func:`skcoop.privacy.guard_release` (the teacher checks them), and every
student is refitted on its own rows plus the guarded rows (duplicates
dropped).

- *gap closed*: (median member distilled - median alone) / (median pooled -
  median alone) on the test split (the issue's "median member's gap
  closed"); ``gap_closed_per_member``: the median over members of each
  member's own fraction;
- *leak*: membership inference against every released row, members = the
  source records of the released rows, non-members = the test rows that
  equal no training row, class-matched (non-members weighted to the
  members' class mix), in the scale of all training rows. Attacks (higher:
  "member"): ``A1`` minus the distance to the nearest released row; ``A2``
  that divided by the distance to the nearest reference row (non-members,
  leave one out); ``cls`` A2 against released rows of the candidate's own
  class only; ``proto`` the prototype-aware attack (the candidate's
  stand-in prototype of ``k`` rows); ``density`` the ratio of the 10th
  nearest released row's distance to the 10th nearest reference row's (a
  non-parametric density-ratio "shadow" of the released rows); ``denoise``
  (numeric tables) the distance to the mean of the 10 nearest released rows
  over the reference distance (averages away noise of sampled prototypes).
  ``max_auc`` and ``max_tpr1`` are the strongest of them, each measure on
  its own.

Settings: ``off``; the old guard (mean prototypes ``k``, with and without a
push ``m``); the new one (``sample k``: a draw with the mean and spread of
the ``k`` rows, :class:`skcoop.privacy.ReleaseGuard`'s default at ``k =
20``).

Data: digits and breast cancer (the demo's four members on Dirichlet(0.3)
sites, ``benchmarks/privacy.py``), attrition by department and telco churn
by contract (experiment H's natural sites and members, 3,000-row quick
subsample).

Run::

    python benchmarks/privacy_frontier.py --datasets digits breast_cancer \\
        attrition wa_churn --seeds 0 1 --out benchmarks/results/privacy
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import os
import resource
import sys
import time
import warnings
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.base import clone  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import privacy as P  # noqa: E402

from skcoop import CooperativeDistillationEnsemble  # noqa: E402
from skcoop.privacy import guard_release, membership_inference, site_scale  # noqa: E402
from skcoop.privacy._attacks import _report  # noqa: E402
from skcoop.privacy._prototype import neighbourhood_mean  # noqa: E402
from skcoop.privacy._space import _Space  # noqa: E402

SETTINGS = {
    "off": None,
    "old mean k=10": {"prototype_k": 10},
    "old mean k=20": {"prototype_k": 20},
    "old k=20 + m=0.75": {"prototype_k": 20, "min_distance": 0.75},
    "old k=20 + m=1.0": {"prototype_k": 20, "min_distance": 1.0},
    "new sample k=5": {"prototype_k": 5, "prototype": "sample"},
    "new sample k=10": {"prototype_k": 10, "prototype": "sample"},
    "new sample k=20": {"prototype_k": 20, "prototype": "sample"},
    "new sample k=30": {"prototype_k": 30, "prototype": "sample"},
}
NATURAL = {
    "attrition": "attrition by department",
    "wa_churn": "wa_churn by contract",
}


def _task(name, seed):
    if name in P.TASKS and name in ("digits", "breast_cancer"):
        return P.TASKS[name](seed)
    sys.path.insert(0, str(HERE / "experiments"))
    from experiments.h_natural_sites import natural_task

    t = natural_task(NATURAL[name], seed, quick=True)
    names = [m[0] for m in t.members]
    site = np.array([names.index(str(s)) for s in t.site])
    return P.Task(
        name, t.X, np.asarray(t.y), site, t.X_test, np.asarray(t.y_test), t.members
    )


def _keys(X):
    if hasattr(X, "iloc"):
        return pd.util.hash_pandas_object(
            X.reset_index(drop=True), index=False
        ).to_numpy()
    return P._row_keys(X)


def _fresh(X_te, X_tr):
    """Test rows that equal no training row (the attacks' non-members)."""
    return ~np.isin(_keys(X_te), _keys(X_tr))


def _released(task, ens):
    """Per (teacher, student): the rows, labels and source indices."""
    out = []
    for name in task.names:
        v = ens.virtual_instances_[name]
        teacher = np.asarray(v.teacher, dtype=object)
        for t in np.unique(teacher):
            m = np.flatnonzero(teacher == t)
            out.append(
                (
                    task.names.index(t),
                    name,
                    P._take(v.X, m),
                    np.asarray(v.y)[m],
                    np.asarray(v.source_index)[m],
                )
            )
    return out


def _guarded(task, ens, blocks, guard, seed):
    kept = []
    for i, student, X, y, src in blocks:
        if guard is None:
            kept.append((student, X, y, src))
            continue
        own = np.flatnonzero(task.site == i)
        out = guard_release(
            X,
            y,
            P._take(task.X, own),
            task.y[own],
            model=ens.named_initial_estimators_[task.names[i]],
            random_state=seed,
            **guard,
        )
        kept.append((student, out.X, out.y, src[out.keep]))
    return kept


def _refit(task, kept):
    students = []
    for j, (name, est, *_) in enumerate(task.members):
        own = np.flatnonzero(task.site == j)
        X_own, y_own = P._take(task.X, own), task.y[own]
        mine = [(X, y) for s, X, y, _ in kept if s == name and len(y)]
        if mine:
            Xv = P._concat(
                [X.reset_index(drop=True) if hasattr(X, "iloc") else X for X, _ in mine]
            )
            yv = np.concatenate([y for _, y in mine])
            keys = _keys(Xv)
            _, first = np.unique(
                np.array([f"{k}#{lab}" for k, lab in zip(keys, yv)]), return_index=True
            )
            first = np.sort(first)
            X_fit = P._concat(
                [
                    X_own.reset_index(drop=True) if hasattr(X_own, "iloc") else X_own,
                    P._take(Xv, first),
                ]
            )
            y_fit = np.r_[y_own, yv[first]]
        else:
            X_fit, y_fit = X_own, y_own
        students.append(clone(est).fit(X_fit, y_fit))
    return students


def _attacks(task, kept, k):
    rel = [
        (X.reset_index(drop=True) if hasattr(X, "iloc") else X, y, s)
        for _, X, y, s in kept
        if len(y)
    ]
    R = P._concat([r[0] for r in rel])
    yr = np.concatenate([r[1] for r in rel])
    src = np.unique(np.concatenate([r[2] for r in rel]))
    fresh = _fresh(task.X_te, task.X)
    Xm, ym = P._take(task.X, src), task.y[src]
    Xn, yn = P._take(task.X_te, np.flatnonzero(fresh)), task.y_te[fresh]
    scale = site_scale(task.X)
    mia = membership_inference(
        R, Xm, Xn, scale=scale, prototype_k=k or 20, y_members=ym, y_nonmembers=yn
    )
    res = {"A1": mia.distance, "A2": mia.calibrated, "proto": mia.prototype}
    space = _Space(task.X, scale)
    C = P._concat(
        [
            Xm.reset_index(drop=True) if hasattr(Xm, "iloc") else Xm,
            Xn.reset_index(drop=True) if hasattr(Xn, "iloc") else Xn,
        ]
    )
    yc = np.r_[ym, yn]
    n_m, n_n = len(ym), len(yn)
    y_true, w = mia.y_true, mia.sample_weight
    # reference distances, leaving a non-member's own row out (10 neighbours)
    kk = 10
    d_ref, i_ref = space.kneighbors(C, Xn, kk + 1)
    self_row = np.r_[np.full(n_m, -1), np.arange(n_n)]
    not_self = i_ref != self_row[:, None]
    d_ref = np.array([row[ok][:kk] for row, ok in zip(d_ref, not_self)])
    floor = 1e-9 * max(float(np.median(d_ref[:, 0])), 1e-12)
    d1, dk = np.maximum(d_ref[:, 0], floor), np.maximum(d_ref[:, -1], floor)
    # class-aware: the nearest released row of the candidate's own class
    d_cls = np.full(len(yc), np.inf)
    for lab in np.unique(yc):
        c, r = np.flatnonzero(yc == lab), np.flatnonzero(yr == lab)
        if r.size:
            d_cls[c] = space.nearest(P._take(C, c), P._take(R, r))
    big = np.nanmax(np.where(np.isinf(d_cls), np.nan, d_cls)) * 10
    res["cls"] = _report(y_true, -np.where(np.isinf(d_cls), big, d_cls) / d1, w)
    m = min(kk, len(yr))
    d_rel, i_rel = space.kneighbors(C, R, m)
    res["density"] = _report(y_true, -d_rel[:, -1] / dk, w)
    if not hasattr(C, "iloc"):
        den = neighbourhood_mean(space, R, i_rel)
        d_den = (np.abs(np.asarray(C) - den) / space.scale).sum(axis=1)
        res["denoise"] = _report(y_true, -d_den / d1, w)
    row = {}
    for name, r in res.items():
        row[f"{name}_auc"] = r.auc
        row[f"{name}_tpr1"] = r.tpr_at_1pct_fpr
    row["max_auc"] = max(r.auc for r in res.values())
    row["max_tpr1"] = max(r.tpr_at_1pct_fpr for r in res.values())
    row["strongest"] = max(res, key=lambda a: res[a].auc)
    row["n_sources"] = int(src.size)
    row["n_released"] = int(len(yr))
    return row


def run(datasets, seeds, settings):
    rows = []
    for name in datasets:
        for seed in seeds:
            t0, c0 = time.perf_counter(), time.process_time()
            task = _task(name, seed)
            ens = CooperativeDistillationEnsemble(
                task.members, guard=None, random_state=seed
            ).fit(task.X, task.y, site=task.site)
            alone = P._scores(
                task, [ens.named_initial_estimators_[n] for n in task.names]
            )
            pooled = [
                clone(m[1]).fit(task.X, task.y).score(task.X_te, task.y_te)
                for m in task.members
            ]
            blocks = _released(task, ens)
            base = time.process_time() - c0
            for setting in settings:
                c1 = time.process_time()
                guard = SETTINGS[setting]
                kept = _guarded(task, ens, blocks, guard, seed)
                after = P._scores(task, _refit(task, kept))
                per_member, median_member = P._gap(alone, after, pooled)
                row = {
                    "dataset": name,
                    "seed": seed,
                    "setting": setting,
                    "guard": "off"
                    if guard is None
                    else ("new" if guard.get("prototype") == "sample" else "old"),
                    "gap_closed": median_member,
                    "gap_closed_per_member": per_member,
                    "median_alone": float(np.median(alone)),
                    "median_distilled": float(np.median(after)),
                    "median_pooled": float(np.median(pooled)),
                    "worst_member_change": float(np.min(np.subtract(after, alone))),
                    "rows_found": int(sum(len(b[3]) for b in blocks)),
                }
                row.update(
                    _attacks(
                        task, kept, None if guard is None else guard["prototype_k"]
                    )
                )
                row["cpu_seconds"] = (
                    time.process_time() - c1 + (base if setting == settings[0] else 0)
                )
                rows.append(row)
                print(
                    f"{name} seed {seed} {setting:20s} gap {median_member:6.3f} "
                    f"worst {row['worst_member_change']:+.3f} "
                    f"max AUC {row['max_auc']:.3f} "
                    f"({row['strongest']}) max TPR@1% {row['max_tpr1']:.3f}",
                    flush=True,
                )
            print(
                f"  {name} seed {seed}: wall {time.perf_counter() - t0:.0f} s, "
                f"cpu {time.process_time() - c0:.0f} s, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    return pd.DataFrame(rows)


def summarise(frame):
    means = (
        frame.groupby(["dataset", "setting", "guard"], sort=False)
        .agg(
            gap_closed=("gap_closed", "mean"),
            gap_worst_seed=("gap_closed", "min"),
            worst_member_change=("worst_member_change", "min"),
            max_auc=("max_auc", "mean"),
            max_tpr1=("max_tpr1", "mean"),
            A2_auc=("A2_auc", "mean"),
            strongest=("strongest", lambda s: "/".join(sorted(set(s)))),
        )
        .reset_index()
    )
    return means


def plot(means, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = list(dict.fromkeys(means["dataset"]))
    fig, axes = plt.subplots(
        2, len(sets), figsize=(3.6 * len(sets), 6.4), squeeze=False
    )
    style = {"off": ("k", "x"), "old": ("tab:red", "o"), "new": ("tab:blue", "s")}
    for c, name in enumerate(sets):
        sub = means[means["dataset"] == name]
        for r, (col, target, label) in enumerate(
            [
                ("max_auc", 0.60, "attack ROC AUC (strongest)"),
                ("max_tpr1", 0.05, "TPR at 1% FPR (strongest)"),
            ]
        ):
            ax = axes[r, c]
            for g, (color, marker) in style.items():
                s = sub[sub["guard"] == g]
                ax.scatter(
                    s["gap_closed"],
                    s[col],
                    c=color,
                    marker=marker,
                    label=f"{g} guard" if g != "off" else "unguarded",
                )
                for _, p in s.iterrows():
                    ax.annotate(
                        p["setting"].replace("old ", "").replace("new ", ""),
                        (p["gap_closed"], p[col]),
                        fontsize=6,
                        xytext=(2, 2),
                        textcoords="offset points",
                    )
            ax.axhline(target, ls=":", c="grey")
            if name == "digits":
                ax.axvline(0.9, ls=":", c="grey")
            ax.set_xlabel("median member's gap closed")
            ax.set_ylabel(label)
            ax.set_title(name, fontsize=9)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument(
        "--datasets",
        nargs="+",
        default=["digits", "breast_cancer", "attrition", "wa_churn"],
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    p.add_argument("--settings", nargs="+", default=list(SETTINGS))
    p.add_argument("--out", default="benchmarks/results/privacy")
    p.add_argument("--from-csv", nargs="+", help="merge these CSVs, no run")
    args = p.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.from_csv:
        frame = pd.concat([pd.read_csv(f) for f in args.from_csv], ignore_index=True)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = run(args.datasets, args.seeds, args.settings)
        ru = resource.getrusage(resource.RUSAGE_SELF)
        print(f"process CPU {ru.ru_utime + ru.ru_stime:.0f} s")
    frame.to_csv(out / "frontier.csv", index=False, float_format="%.4f")
    means = summarise(frame)
    print(means.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    plot(means, out / "frontier.png")


if __name__ == "__main__":
    main()
