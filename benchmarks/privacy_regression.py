"""The release guard on regression: where the gain goes, labellings, attacks (issue 26).

``post`` mode, as ``privacy_frontier.py``: per task and seed, the
unguarded regressor ensemble is fitted once (``guard=None``, one round, the
defaults otherwise); each teacher's counterfactuals (one search, the same
rows for every student) are guarded against its own site's rows, labelled
by one of the designs below, and every student is refitted on its own rows
plus the rows it was sent (duplicates dropped). Scored: each member's R2 on
the test split against alone, the median member's gap closed, and the
strongest membership attack on the released rows (as the frontier's, and
``xy``: the calibrated nearest-released-row attack in the joint space of the
features and the label, since a regression label can leak its record too).

Designs (a *draw* is a row with the mean and spread of the ``k`` site rows
nearest the counterfactual, ``ReleaseGuard``'s default):

- ``off``: the counterfactuals as found, labelled with their source's y;
- ``draw, y``: draws labelled with the source's y (what the ensembles do
  with ``guard=ReleaseGuard()`` before issue 26's regression work);
- ``draw, f``: draws labelled with the teacher's prediction at the draw;
- ``draw, f+r``: the teacher's prediction plus the counterfactual's
  residual toward y (``y - f(x_cf)``);
- ``draw, nb+slope``: the neighbours' mean y shifted by the teacher's local
  slope (``mean y_nb + f(draw) - mean f(x_nb)``);
- ``ywin``: neighbours taken in the joint space of the features and y
  (a regression analogue of "same class"), draws labelled as ``f+r``;
- ``... tol``: a draw is kept only if the teacher predicts its label within
  its bound.

Run::

    PYTHONPATH=. python benchmarks/privacy_regression.py --tasks ames car \\
        diabetes --seeds 0 1 --out benchmarks/results/privacy
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

from skcoop import CooperativeDistillationRegressor  # noqa: E402
from skcoop.privacy import membership_inference, site_scale  # noqa: E402
from skcoop.privacy._attacks import _report  # noqa: E402
from skcoop.privacy._prototype import (  # noqa: E402
    neighbourhood_mean,
    neighbourhood_sample,
)
from skcoop.privacy._space import _Space  # noqa: E402

# name -> (neighbours, label, k, keep-within-tolerance)
DESIGNS = {
    "off": None,
    "draw, y": ("X", "y", 20, False),
    "draw, f": ("X", "f", 20, False),
    "draw, f+r": ("X", "f+r", 20, False),
    "draw, nb+slope": ("X", "nb+slope", 20, False),
    "draw, f+r tol": ("X", "f+r", 20, True),
    "ywin, f+r": ("Xy", "f+r", 20, False),
    "ywin, y": ("Xy", "y", 20, False),
    "draw, f k=10": ("X", "f", 10, False),
    "draw, f k=30": ("X", "f", 30, False),
    "cov, f": ("X", "f", 20, False, "cov"),
    "cov, f+r": ("X", "f+r", 20, False, "cov"),
    "cov, y": ("X", "y", 20, False, "cov"),
    "cov ywin, f+r": ("Xy", "f+r", 20, False, "cov"),
    # skcoop's ReleaseGuard() as it is (regression: "ywin, f+r")
    "ReleaseGuard()": "guard",
}


# ------------------------------------------------------------------ tasks
def _ames(seed):
    from experiments.h_natural_sites import natural_task

    from skcoop.datasets import load_ames

    t = natural_task("ames log price by neighbourhood group", seed, quick=True)
    data = load_ames()
    where = pd.Series(np.asarray(data.site, dtype=object), index=data.data.index)
    return _as_task("ames", t, where.loc[t.X_test.index].to_numpy())


def _car(seed):
    from experiments.f_car_prices import tasks

    t = next(x for x in tasks(seed, True) if x.setting == "price R2, test=Pontiac")
    return _as_task("car", t)


def _as_task(name, t, site_te=None):
    names = [m[0] for m in t.members]
    site = np.array([names.index(str(s)) for s in t.site])
    task = P.Task(
        name,
        t.X,
        np.asarray(t.y, float),
        site,
        t.X_test,
        np.asarray(t.y_test, float),
        t.members,
    )
    task.site_te = (
        None if site_te is None else np.array([names.index(str(s)) for s in site_te])
    )
    return task


def _diabetes(seed):
    """Diabetes, three sites by body-mass index (noisy terciles)."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import train_test_split
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeRegressor

    X, y = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=seed)
    rng = np.random.RandomState(seed)
    key = Xtr[:, 2] + 0.5 * Xtr[:, 2].std() * rng.standard_normal(len(ytr))
    site = np.digitize(key, np.quantile(key, [1 / 3, 2 / 3]))
    members = [
        ("ridge", make_pipeline(StandardScaler(), Ridge(1.0))),
        ("tree", DecisionTreeRegressor(max_depth=4, random_state=seed)),
        ("knn", make_pipeline(StandardScaler(), KNeighborsRegressor(7))),
    ]
    task = P.Task("diabetes", Xtr, ytr, site, Xte, yte, members)
    task.site_te = np.digitize(Xte[:, 2], np.quantile(key, [1 / 3, 2 / 3]))
    return task


TASKS = {"ames": _ames, "car": _car, "diabetes": _diabetes}


# ------------------------------------------------------------- released rows
def _searched(task, ens):
    """Per teacher: its counterfactuals (one per source) and which students got each."""
    out = {}
    for student in task.names:
        v = ens.virtual_instances_[student]
        teacher = np.asarray(v.teacher, dtype=object)
        for t in np.unique(teacher):
            m = np.flatnonzero(teacher == t)
            rec = out.setdefault(t, {"X": [], "y": [], "src": [], "to": []})
            Xv = P._take(v.X, m)
            rec["X"].append(Xv.reset_index(drop=True) if hasattr(Xv, "iloc") else Xv)
            rec["y"].append(np.asarray(v.y, float)[m])
            rec["src"].append(np.asarray(v.source_index)[m])
            rec["to"].append(np.full(m.size, student, dtype=object))
    blocks = {}
    for t, rec in out.items():
        X = P._concat(rec["X"])
        src = np.concatenate(rec["src"])
        _, first = np.unique(src, return_index=True)
        blocks[t] = {
            "X": P._take(X, first),
            "y": np.concatenate(rec["y"])[first],
            "src": src[first],
            "to": [
                (s, np.isin(src[first], src[np.concatenate(rec["to"]) == s]))
                for s in task.names
            ],
        }
    return blocks


def _released_rows(task, ens):
    """Per (teacher, student): teacher index, student, rows, labels, sources."""
    out = []
    for name in task.names:
        v = ens.virtual_instances_[name]
        teacher = np.asarray(v.teacher, dtype=object)
        for t in np.unique(teacher):
            m = np.flatnonzero(teacher == t)
            Xv = P._take(v.X, m)
            out.append(
                (
                    task.names.index(t),
                    name,
                    Xv.reset_index(drop=True) if hasattr(Xv, "iloc") else Xv,
                    np.asarray(v.y, float)[m],
                    np.asarray(v.source_index)[m],
                )
            )
    return out


def _neighbours(space, Xq, yq, y_site, k, how, y_scale):
    """Indices of the ``k`` site rows nearest each query (joint with y: "Xy")."""
    if how == "X":
        return space.kneighbors(Xq, space.X_site, k)[1]
    n_site = space.n_rows(space.X_site)
    kc = min(n_site, max(5 * k, 100))
    d, ind = space.kneighbors(Xq, space.X_site, kc)
    unit = space.unit()
    joint = d / unit + np.abs(y_site[ind] - yq[:, None]) / y_scale
    order = np.argsort(joint, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(ind, order, axis=1)


def _cov_draw(space, draw, ind, rng):
    """Numeric columns drawn with the neighbourhood's mean and covariance.

    ``mean + sum_i z_i (x_i - mean) / sqrt(k - 1)``, ``z ~ N(0, 1)`` per
    neighbour: a Gaussian with the neighbours' sample covariance, so that
    columns keep their correlations (the diagonal draw loses them).
    """
    k = ind.shape[1]
    if not space.frame:
        R = np.asarray(space.X_site, float)
        cols = np.arange(R.shape[1])
    else:
        cols = np.flatnonzero([kd == "num" for kd in space.kinds])
        R = space.X_site.iloc[:, cols].to_numpy(dtype=float, na_value=np.nan)
    block = R[ind]
    mean = np.nanmean(block, axis=1)
    dev = np.nan_to_num(block - mean[:, None, :])
    z = rng.standard_normal((ind.shape[0], k)) / np.sqrt(max(k - 1, 1))
    new = mean + np.einsum("nk,nkd->nd", z, dev)
    lo, hi = np.nanmin(R, axis=0), np.nanmax(R, axis=0)
    new = np.clip(new, lo, hi)
    seen = np.where(np.isnan(R), 0.0, R)
    whole = np.all(seen == np.round(seen), axis=0)
    new[:, whole] = np.round(new[:, whole])
    new = np.where(np.isnan(new), mean, new)
    if not space.frame:
        return new
    from skcoop.privacy._prototype import restore_dtypes

    out = draw.reset_index(drop=True).copy()
    for c, j in enumerate(cols):
        out[out.columns[j]] = new[:, c]
    return restore_dtypes(out, space.X_site)


def _design(task, ens, blocks, design, seed, bounds):
    """Released rows per student under a design: (student, X, y, sources)."""
    kept = []
    rng = np.random.RandomState(seed)
    stats = []
    for t, b in blocks.items():
        i = task.names.index(t)
        own = np.flatnonzero(task.site == i)
        X_site, y_site = P._take(task.X, own), task.y[own]
        X, y, src = b["X"], b["y"], b["src"]
        if design == "guard":
            from skcoop.privacy import ReleaseGuard

            out = ReleaseGuard().release(
                X,
                y,
                X_site,
                y_site,
                model=ens.named_initial_estimators_[t],
                tolerance=bounds[t],
                random_state=seed,
            )
            X, y, src = out.X, out.y, src[out.keep]
            to = [(s_, m[out.keep]) for s_, m in b["to"]]
        elif design is not None:
            how, label, k, tol = design[:4]
            model = ens.named_initial_estimators_[t]
            space = _Space(X_site)
            y_scale = 1.4826 * np.median(np.abs(y_site - np.median(y_site)))
            ind = _neighbours(space, X, y, y_site, k, how, y_scale)
            draw = neighbourhood_sample(space, space.X_site, ind, rng)
            if len(design) > 4 and design[4] == "cov":
                draw = _cov_draw(space, draw, ind, rng)
            if hasattr(X, "iloc"):
                from skcoop.privacy._prototype import restore_dtypes

                draw = restore_dtypes(draw.reset_index(drop=True), X_site)
            f_draw = model.predict(draw)
            f_cf = model.predict(X)
            if label == "y":
                y_new = y.copy()
            elif label == "f":
                y_new = f_draw
            elif label == "f+r":
                y_new = f_draw + (y - f_cf)
            else:  # nb+slope
                f_site = model.predict(X_site)
                y_new = y_site[ind].mean(axis=1) + f_draw - f_site[ind].mean(axis=1)
            ok = np.ones(len(y), bool)
            if tol:
                ok = np.abs(f_draw - y_new) <= bounds[t]
            d_move = space.nearest(draw, X) / space.unit()
            stats.append(
                {
                    "teacher": t,
                    "label_shift_mad": float(np.median(np.abs(y_new - y))),
                    "f_draw_vs_y_mad": float(np.median(np.abs(f_draw - y))),
                    "nb_y_sd": float(np.median(y_site[ind].std(axis=1))),
                    "kept_share": float(ok.mean()),
                    "draw_to_cf_nn": float(np.median(d_move)),
                }
            )
            X, y, src = P._take(draw, np.flatnonzero(ok)), y_new[ok], src[ok]
            to = [(s, m[ok]) for s, m in b["to"]]
        else:
            to = b["to"]
        for s, m in to:
            if m.any():
                Xs = P._take(X, np.flatnonzero(m))
                kept.append(
                    (
                        s,
                        Xs.reset_index(drop=True) if hasattr(Xs, "iloc") else Xs,
                        y[m],
                        src[m],
                    )
                )
    return kept, stats


def _refit(task, kept):
    students = []
    for j, (name, est, *_) in enumerate(task.members):
        own = np.flatnonzero(task.site == j)
        X_own, y_own = P._take(task.X, own), task.y[own]
        mine = [(X, y) for s, X, y, _ in kept if s == name and len(y)]
        if mine:
            Xv = P._concat([X for X, _ in mine])
            yv = np.concatenate([y for _, y in mine])
            Xo = X_own.reset_index(drop=True) if hasattr(X_own, "iloc") else X_own
            X_fit, y_fit = P._concat([Xo, Xv]), np.r_[y_own, yv]
        else:
            X_fit, y_fit = X_own, y_own
        students.append(clone(est).fit(X_fit, y_fit))
    return students


def _attacks(task, kept, by_site=False):
    """The strongest membership attacks on every released row.

    Non-members are weighted to the members' mix of label quintiles (which
    stand in for classes); ``by_site``: of sites and label quintiles, so
    that an attack does not score which site a row comes from (natural
    sites differ: Ames' neighbourhood groups by longitude).
    """
    rel = [(X, y, s) for _, X, y, s in kept if len(y)]
    R = P._concat([r[0] for r in rel])
    yr = np.concatenate([r[1] for r in rel])
    src = np.unique(np.concatenate([r[2] for r in rel]))
    fresh = P._fresh(task.X_te, task.X)
    Xm, ym = P._take(task.X, src), task.y[src]
    Xn, yn = P._take(task.X_te, np.flatnonzero(fresh)), task.y_te[fresh]
    edges = np.quantile(task.y, [0.2, 0.4, 0.6, 0.8])
    bm, bn = np.digitize(ym, edges), np.digitize(yn, edges)
    if by_site:
        sm, sn = task.site[src], task.site_te[fresh]
        both_m, both_n = sm * 10 + bm, sn * 10 + bn
        bm, bn = (both_m, both_n) if np.isin(both_m, both_n).all() else (sm, sn)
    scale = site_scale(task.X)
    mia = membership_inference(
        R, Xm, Xn, scale=scale, prototype_k=20, y_members=bm, y_nonmembers=bn
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
    kk = 10
    d_ref, i_ref = space.kneighbors(C, Xn, kk + 1)
    self_row = np.r_[np.full(n_m, -1), np.arange(n_n)]
    not_self = i_ref != self_row[:, None]
    d_ref = np.array([row[ok][:kk] for row, ok in zip(d_ref, not_self)])
    floor = 1e-9 * max(float(np.median(d_ref[:, 0])), 1e-12)
    d1, dk = np.maximum(d_ref[:, 0], floor), np.maximum(d_ref[:, -1], floor)
    m = min(kk, len(yr))
    d_rel, i_rel = space.kneighbors(C, R, m)
    res["density"] = _report(y_true, -d_rel[:, -1] / dk, w)
    # the label too: the nearest released row in features + label, over the
    # candidate's nearest reference row in the same joint distance
    y_unit = 1.4826 * np.median(np.abs(task.y - np.median(task.y)))
    unit = float(np.median(d1))
    kc = min(50, len(yr))
    d_c, i_c = space.kneighbors(C, R, kc)
    joint = (d_c / unit + np.abs(yr[i_c] - yc[:, None]) / y_unit).min(axis=1)
    jref = (
        d_ref / unit
        + np.abs(
            yn[np.array([row[ok][:kk] for row, ok in zip(i_ref, not_self)])]
            - yc[:, None]
        )
        / y_unit
    ).min(axis=1)
    res["xy"] = _report(y_true, -joint / np.maximum(jref, 1e-12), w)
    if not hasattr(C, "iloc"):
        den = neighbourhood_mean(space, R, i_rel)
        d_den = (np.abs(np.asarray(C) - den) / space.scale).sum(axis=1)
        res["denoise"] = _report(y_true, -d_den / d1, w)
    row = {f"{a}_auc": r.auc for a, r in res.items()}
    row.update({f"{a}_tpr1": r.tpr_at_1pct_fpr for a, r in res.items()})
    row["max_auc"] = max(r.auc for r in res.values())
    row["max_tpr1"] = max(r.tpr_at_1pct_fpr for r in res.values())
    row["strongest"] = max(res, key=lambda a: res[a].auc)
    row["n_released"] = int(len(yr))
    return row


def _bounds(ens):
    return dict(ens.tolerances_)


def run(tasks, seeds, designs):
    rows, stat_rows = [], []
    for name in tasks:
        for seed in seeds:
            t0, c0 = time.perf_counter(), time.process_time()
            task = TASKS[name](seed)
            if designs == ["in the ensemble"]:  # no unguarded fit needed
                ens = CooperativeDistillationRegressor(
                    task.members, guard=None, n_rounds=0, random_state=seed
                ).fit(task.X, task.y, site=task.site)
            else:
                ens = CooperativeDistillationRegressor(
                    task.members, guard=None, random_state=seed
                ).fit(task.X, task.y, site=task.site)
            alone = P._scores(
                task, [ens.named_initial_estimators_[n] for n in task.names]
            )
            pooled = [
                clone(m[1]).fit(task.X, task.y).score(task.X_te, task.y_te)
                for m in task.members
            ]
            blocks = {} if designs == ["in the ensemble"] else _searched(task, ens)
            bounds = _bounds(ens)
            print(
                f"{name} seed {seed}: base fit cpu {time.process_time() - c0:.0f} s",
                flush=True,
            )
            for d in designs:
                if d == "in the ensemble":
                    # the guard where it runs: ReleaseGuard() inside the fit
                    from skcoop.privacy import ReleaseGuard

                    guarded = CooperativeDistillationRegressor(
                        task.members, guard=ReleaseGuard(), random_state=seed
                    ).fit(task.X, task.y, site=task.site)
                    kept = [
                        (b[0], b[2], b[3], b[4]) for b in _released_rows(task, guarded)
                    ]
                    stats = []
                    after = P._scores(task, guarded.estimators_)
                else:
                    kept, stats = _design(task, ens, blocks, DESIGNS[d], seed, bounds)
                    after = P._scores(task, _refit(task, kept))
                per, med = P._gap(alone, after, pooled)
                row = {
                    "task": name,
                    "seed": seed,
                    "design": d,
                    "median_gap_closed": med,
                    "gap_closed_per_member": per,
                }
                for n, a, b, p in zip(task.names, alone, after, pooled):
                    row[f"alone:{n}"], row[f"after:{n}"], row[f"pooled:{n}"] = a, b, p
                row["worst_change"] = float(np.min(np.subtract(after, alone)))
                row.update(_attacks(task, kept))
                if getattr(task, "site_te", None) is not None:
                    matched = _attacks(task, kept, by_site=True)
                    row.update({f"site_{k}": v for k, v in matched.items()})
                rows.append(row)
                for s in stats:
                    stat_rows.append({"task": name, "seed": seed, "design": d, **s})
                print(
                    f"  {d:16s} gap {med:6.3f} change "
                    f"{np.round(np.subtract(after, alone), 3)} "
                    f"AUC {row['max_auc']:.3f} ({row['strongest']}) "
                    f"TPR1 {row['max_tpr1']:.3f} site-matched AUC "
                    f"{row.get('site_max_auc', np.nan):.3f} "
                    f"({row.get('site_strongest', '-')}) TPR1 "
                    f"{row.get('site_max_tpr1', np.nan):.3f} n={row['n_released']}",
                    flush=True,
                )
            print(
                f"  {name} seed {seed}: wall {time.perf_counter() - t0:.0f} s, cpu "
                f"{time.process_time() - c0:.0f} s, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    return pd.DataFrame(rows), pd.DataFrame(stat_rows)


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("--tasks", nargs="+", default=list(TASKS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    p.add_argument("--designs", nargs="+", default=[*DESIGNS, "in the ensemble"])
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame, stats = run(args.tasks, args.seeds, args.designs)
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(f"process CPU {ru.ru_utime + ru.ru_stime:.0f} s")
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out / "regression.csv", index=False, float_format="%.4f")
    if len(stats):  # how far labels and draws moved, per design
        print(stats.groupby(["task", "design"]).mean(numeric_only=True).to_string())


if __name__ == "__main__":
    main()
