"""Scaling of the cooperative fit in rows and members (issue 16).

For each dataset, number of rows, number of members and setting, one child
process measures, side by side:

- ``fit_s``: the cooperative fit (one round);
- ``unavoidable_s``: the work no cooperative fit can skip, timed in the same
  process right after: fitting every member twice on its site, one
  ``predict_proba`` of every member on every row, and a 3-fold
  ``cross_val_predict`` of each member on its own site (the out-of-fold
  judge);
- ``ratio`` = fit_s / unavoidable_s;
- ``peak_mib``: the child's peak resident memory, against ``alone_mib``, the
  peak of another child that only fits the members and keeps them (same
  data);
- ``evals_median``, ``evals_p90``: model evaluations per virtual row
  (``CounterfactualResult.n_evaluations`` of the rows the search found),
  and ``validity`` (found / searched);
- the machine's load average when the child started (the machine may be
  shared: compare ratios, not seconds, across rows of the table);
- ``initial_cpu_s``, ``search_cpu_s``, ``guard_cpu_s``, ``refit_cpu_s``,
  ``judge_cpu_s``: the fit's CPU seconds by phase (members alone, the
  teachers' searches, the release guard, the students' refits, the rest:
  judging, out-of-fold fits, validation), and ``initial_members_mib``,
  ``distilled_members_mib``: the members' pickled size alone and distilled.

Data: ``digits`` and ``make_classification`` (20 features, 10 informative,
4 classes) on Dirichlet(0.3) sites; members: 2 (scaled logistic regression,
Gaussian NB), 4 (the demo's: those plus a random forest and kNN) or 10 (the
demo's four plus six more). Settings: ``paper`` (in-sample judge, deficiency
rows) and ``new`` (``expertise="oof"``, ``scope="expertise"``).

Run from the repository root (``PYTHONPATH=.`` makes the children import
this checkout's skcoop, not an installed copy)::

    PYTHONPATH=. python benchmarks/scaling.py          # results/scaling
    PYTHONPATH=. python benchmarks/scaling.py --quick  # 1k and 10k rows

1,000,000 x 20 with the demo's four members (forest and kNN included), the
paper's settings, one BLAS thread per child, into a folder of its own (its
child may run for hours; ``--timeout`` is per child, in seconds)::

    PYTHONPATH=. python benchmarks/scaling.py --datasets synthetic \
        --rows 1000000 --members 4 --settings paper \
        --max-members-at 1000000 4 --blas-threads 1 --timeout 21600 \
        --out benchmarks/results/scaling_1m4

Writes ``benchmarks/results/scaling/runs_scaling.csv``, ``summary.md`` and
``scaling.png`` (fit time against rows, log-log, with slopes).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "results" / "scaling"

SETTINGS = {
    "paper": {"expertise": "in_sample", "scope": "deficiency"},
    "new": {"expertise": "oof", "scope": "expertise"},
}


def members(k, seed=0):
    from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    def logreg(c=1.0):
        return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))

    if k == 2:
        return [("logreg", logreg()), ("naive_bayes", GaussianNB())]
    pool = [
        ("logreg", logreg()),
        ("forest", RandomForestClassifier(n_estimators=100, random_state=seed)),
        ("knn", KNeighborsClassifier()),
        ("naive_bayes", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=8, random_state=seed)),
        ("extra", ExtraTreesClassifier(n_estimators=50, random_state=seed)),
        ("logreg_c01", logreg(0.1)),
        ("knn15", KNeighborsClassifier(n_neighbors=15)),
        ("forest_d10", RandomForestClassifier(50, max_depth=10, random_state=seed)),
        ("nb_smooth", GaussianNB(var_smoothing=1e-3)),
    ]
    return pool[:k]


def load(dataset, rows):
    from sklearn.datasets import load_digits, make_classification

    if dataset == "digits":
        return load_digits(return_X_y=True)
    return make_classification(
        rows, 20, n_informative=10, n_redundant=5, n_classes=4, random_state=0
    )


def sites(X, y, k):
    from skcoop.partition import DirichletPartitioner

    return DirichletPartitioner(k, alpha=0.3, random_state=0).split(X, y)


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_alone(cfg):
    """Peak memory of fitting the members alone (and keeping them, as a user would)."""
    from sklearn.base import clone

    import skcoop  # noqa: F401  (the same imports as the fit's child)

    base = peak_mib()
    X, y = load(cfg["dataset"], cfg["rows"])
    site = sites(X, y, cfg["members"])
    _fitted = [  # kept, as the ensemble keeps its members
        clone(est).fit(X[site == i], y[site == i])
        for i, (_, est) in enumerate(members(cfg["members"]))
    ]
    return {"alone_mib": peak_mib(), "base_mib": base}


def child_fit(cfg):
    """The cooperative fit, then the unavoidable work, in one process."""
    from sklearn.base import clone
    from sklearn.model_selection import cross_val_predict

    import skcoop._base as base_module
    import skcoop._rounds as rounds_module
    import skcoop._teach as teach_module
    from skcoop import CooperativeDistillationEnsemble

    X, y = load(cfg["dataset"], cfg["rows"])
    k = cfg["members"]
    site = sites(X, y, k)
    found, searched, evals = 0, 0, []
    search = teach_module._search

    def recording(*args, **kwargs):
        nonlocal found, searched
        result, query = search(*args, **kwargs)
        if result is not None:
            ok = np.asarray(result.success, bool)
            found += int(ok.sum())
            searched += ok.size
            if "n_evaluations" in result:
                evals.append(np.asarray(result.n_evaluations)[ok])
        return result, query

    teach_module._search = recording
    phase_cpu = {}

    def timed(module, name, label):
        """``module.name`` wrapped to add its CPU seconds to ``phase_cpu[label]``."""
        original = getattr(module, name)

        def wrapper(*args, **kwargs):
            cpu = time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                phase_cpu[label] = phase_cpu.get(label, 0.0) + (
                    time.process_time() - cpu
                )

        setattr(module, name, wrapper)
        return original

    restore = [
        (module, name, timed(module, name, label))
        for module, name, label in (
            (base_module, "fit_initial", "initial_cpu_s"),
            (teach_module, "_search", "search_cpu_s"),
            (teach_module, "_release", "guard_cpu_s"),
            (rounds_module, "refit", "refit_cpu_s"),
        )
    ]
    ens = CooperativeDistillationEnsemble(
        members(k),
        random_state=0,
        n_jobs=cfg["n_jobs"],
        warm_refit=cfg.get("warm_refit", True),
        **SETTINGS[cfg["setting"]],
    )
    start, cpu = time.perf_counter(), time.process_time()
    ens.fit(X, y, site=site)
    fit_s = time.perf_counter() - start
    fit_cpu_s = time.process_time() - cpu
    for module, name, original in restore:
        setattr(module, name, original)
    teach_module._search = search
    peak = peak_mib()
    # the members' own size (pickled), alone and distilled: a refitted
    # forest grows with its virtual rows, and the fitted ensemble holds both
    initial_mib = sum(len(pickle.dumps(m)) for m in ens.initial_estimators_) / 2**20
    distilled_mib = sum(len(pickle.dumps(m)) for m in ens.estimators_) / 2**20
    n_virtual = sum(len(v["y"]) for v in ens.virtual_instances_.values())
    # the unavoidable work, timed right after in the same process
    cpu = time.process_time()
    start = time.perf_counter()
    fitted = []
    for i, (_, est) in enumerate(members(k)):
        for _ in range(2):
            model = clone(est).fit(X[site == i], y[site == i])
        fitted.append(model)
    fit2_s = time.perf_counter() - start
    start = time.perf_counter()
    for model in fitted:
        model.predict_proba(X)
    predict_s = time.perf_counter() - start
    start = time.perf_counter()
    for i, (_, est) in enumerate(members(k)):
        rows = site == i
        cross_val_predict(clone(est), X[rows], y[rows], cv=3)
    oof_s = time.perf_counter() - start
    unavoidable = fit2_s + predict_s + oof_s
    unavoidable_cpu_s = time.process_time() - cpu
    ev = np.concatenate(evals) if evals else np.zeros(0)
    return {
        "fit_s": fit_s,
        "fit2_s": fit2_s,
        "predict_s": predict_s,
        "oof_s": oof_s,
        "unavoidable_s": unavoidable,
        "ratio": fit_s / unavoidable,
        "fit_cpu_s": fit_cpu_s,
        "unavoidable_cpu_s": unavoidable_cpu_s,
        "cpu_ratio": fit_cpu_s / unavoidable_cpu_s,
        "peak_mib": peak,
        "initial_members_mib": initial_mib,
        "distilled_members_mib": distilled_mib,
        **phase_cpu,
        "judge_cpu_s": fit_cpu_s - sum(phase_cpu.values()),
        "virtual_rows": n_virtual,
        "searched": searched,
        "validity": found / searched if searched else float("nan"),
        "evals_median": float(np.median(ev)) if ev.size else float("nan"),
        "evals_p90": float(np.percentile(ev, 90)) if ev.size else float("nan"),
    }


TRADEOFF = {
    "BlackBoxSearch()": {},
    "BlackBoxSearch(n_screen=0)": {"n_screen": 0},
    'BlackBoxSearch(slopes="differences")': {"slopes": "differences"},
    'BlackBoxSearch(slopes="differences", n_linear=1)': {
        "slopes": "differences",
        "n_linear": 1,
    },
    "BisectionSearch(n_iter=8)": "bisection",
}


def tradeoff(rows=20_000, per_teacher=1000):
    """Evaluations, validity and proximity of search settings, per teacher.

    Each demo member is fitted on its Dirichlet(0.3) site; it searches the
    first ``per_teacher`` rows of its site that it predicts right (the
    quintessential target), with its outputs from judging passed in.
    """
    from sklearn.base import clone

    from skcoop.counterfactual import BisectionSearch, BlackBoxSearch

    X, y = load("synthetic", rows)
    site = sites(X, y, 4)
    out = []
    for i, (name, est) in enumerate(members(4)):
        Xs, ys = X[site == i], y[site == i]
        model = clone(est).fit(Xs, ys)
        proba = model.predict_proba(Xs)
        right = np.flatnonzero(model.classes_[proba.argmax(1)] == ys)[:per_teacher]
        for label, params in TRADEOFF.items():
            search = (
                BisectionSearch(n_iter=8)
                if params == "bisection"
                else BlackBoxSearch(**params)
            ).fit(Xs, ys)
            start, cpu = time.perf_counter(), time.process_time()
            res = search.generate(
                model,
                Xs[right],
                ys[right],
                initial_output=proba[right],
                reference_output=proba,
            )
            ok = res.success
            out.append(
                {
                    "teacher": name,
                    "search": label,
                    "rows": right.size,
                    "validity": ok.mean(),
                    "median_distance": float(np.median(res.distance[ok])),
                    "median_changed": float(np.median(res.n_changed[ok])),
                    "evals_median": float(np.median(res.n_evaluations[ok])),
                    "evals_p90": float(np.percentile(res.n_evaluations[ok], 90)),
                    "search_s": time.perf_counter() - start,
                    "search_cpu_s": time.process_time() - cpu,
                }
            )
            print(json.dumps(out[-1]), flush=True)
    return out


def run_child(kind, cfg, timeout):
    cmd = [sys.executable, __file__, "--child", kind, json.dumps(cfg)]
    env = dict(os.environ)
    if cfg.get("blas_threads"):
        # on a shared machine, BLAS threads that spin for a busy core inflate
        # CPU time many-fold (a 2 s refit measured 60-100 CPU s at load 3.6)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(cfg["blas_threads"])
    try:
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, check=False, env=env
        )
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout}s"}
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit {done.returncode}"]
        return {"error": lines[-1][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def grid(args):
    """Configurations, smallest first (1M rows: 2 members; 100k: up to 4).

    ``--max-members-at ROWS K`` (repeatable) caps the members at ``ROWS``
    rows and above (default: 4 from 100k, 2 from 1M).
    """
    caps = sorted(args.max_members_at or [[100_000, 4], [1_000_000, 2]])
    if "digits" in args.datasets:
        for setting in args.settings:
            yield {"dataset": "digits", "rows": 1797, "members": 4, "setting": setting}
    if "synthetic" not in args.datasets:
        return
    for rows in sorted(args.rows):
        for k in args.members:
            if any(rows >= at and k > cap for at, cap in caps):
                continue
            for setting in args.settings:
                yield {
                    "dataset": "synthetic",
                    "rows": rows,
                    "members": k,
                    "setting": setting,
                }


def slopes(frame):
    """Log-log slope of fit time in rows, per (members, setting)."""
    out = []
    syn = frame[(frame.dataset == "synthetic") & frame.fit_s.notna()]
    if "warm_refit" in syn:  # slopes and lines of the default (warm) fits
        syn = syn[syn.warm_refit.astype(bool)]
    for (k, setting), g in syn.groupby(["members", "setting"]):
        if g.rows.nunique() < 2:
            continue
        slope = np.polyfit(np.log(g.rows), np.log(g.fit_s), 1)[0]
        unav = np.polyfit(np.log(g.rows), np.log(g.unavoidable_s), 1)[0]
        out.append((k, setting, slope, unav, int(g.rows.min()), int(g.rows.max())))
    return out


def write(frame, out, command):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "runs_scaling.csv", index=False, float_format="%.4g")
    fig, ax = plt.subplots(figsize=(6, 4))
    syn = frame[(frame.dataset == "synthetic") & frame.fit_s.notna()]
    if "warm_refit" in syn:  # slopes and lines of the default (warm) fits
        syn = syn[syn.warm_refit.astype(bool)]
    for (k, setting), g in syn.groupby(["members", "setting"]):
        g = g.sort_values("rows")
        (line,) = ax.loglog(g.rows, g.fit_s, "o-", label=f"{k} members, {setting}")
        ax.loglog(g.rows, g.unavoidable_s, ":", color=line.get_color())
    ax.set_xlabel("rows")
    ax.set_ylabel("seconds (solid: cooperative fit, dotted: unavoidable)")
    if len(syn):
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "scaling.png", dpi=110)
    cols = [
        "dataset",
        "rows",
        "members",
        "setting",
        "fit_s",
        "unavoidable_s",
        "ratio",
        "cpu_ratio",
        "peak_mib",
        "alone_mib",
        "mem_ratio",
        "mem_ratio_over_base",
        "warm_refit",
        "virtual_rows",
        "validity",
        "evals_median",
        "evals_p90",
        "fit_cpu_s",
        "unavoidable_cpu_s",
        "load",
        "run",
        "error",
    ]
    cols = [c for c in cols if c in frame]
    lines = [
        "# Scaling of the cooperative fit (issues 16 and 28)",
        "",
        f"Command (repository root): `{command}`",
        "",
        "Each row is one child process: the cooperative fit (one round), then "
        "the unavoidable work in the same process (members fitted twice, "
        "`predict_proba` of every member on every row, 3-fold "
        "`cross_val_predict` per site). `ratio` = fit / unavoidable; "
        "`mem_ratio` = peak memory of the fit / of fitting the members alone; "
        "`mem_ratio_over_base`: the same less the interpreter's own memory "
        "(`base_mib`, after imports); `fit_cpu_s`, `unavoidable_cpu_s`: CPU "
        "seconds (`time.process_time`, all threads) of the two, `cpu_ratio` "
        "their ratio; `evals_*`: model evaluations per virtual row; `load`: "
        "the machine's 1-minute load average at the start (2 cores; others "
        "may share it).",
        "",
        frame[cols].to_markdown(index=False, floatfmt=".3g"),
        "",
        "Log-log slope of time in rows (synthetic data):",
        "",
        "| members | setting | fit slope | unavoidable slope | rows |",
        "|---|---|---|---|---|",
    ]
    for k, setting, s, u, lo, hi in slopes(frame):
        lines.append(f"| {k} | {setting} | {s:.2f} | {u:.2f} | {lo}-{hi} |")
    phases = [
        "initial_cpu_s",
        "search_cpu_s",
        "guard_cpu_s",
        "refit_cpu_s",
        "judge_cpu_s",
        "fit_cpu_s",
        "initial_members_mib",
        "distilled_members_mib",
    ]
    if all(c in frame for c in phases):
        lines += [
            "",
            "Where the fit's CPU seconds go: the members fitted alone "
            "(`initial`), the teachers' searches, the release guard, the "
            "students' refits, and the rest (`judge`: every member's output "
            "on every teacher's rows, the out-of-fold fits, validation); the "
            "members' pickled size alone and distilled (MiB).",
            "",
            frame[["dataset", "rows", "members", "setting", *phases]].to_markdown(
                index=False, floatfmt=".3g"
            ),
        ]
    lines += ["", "![fit time against rows](scaling.png)", ""]
    (out / "summary.md").write_text("\n".join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        default=[1000, 10_000, 20_000, 100_000, 1_000_000],
    )
    parser.add_argument("--members", type=int, nargs="+", default=[2, 4, 10])
    parser.add_argument("--settings", nargs="+", default=["paper", "new"])
    parser.add_argument("--datasets", nargs="+", default=["digits", "synthetic"])
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument(
        "--max-members-at",
        type=int,
        nargs=2,
        action="append",
        metavar=("ROWS", "K"),
        help="at most K members from ROWS rows up (repeatable)",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="OMP/OpenBLAS/MKL threads of the children (1 on a shared machine)",
    )
    parser.add_argument(
        "--cold-refit",
        action="store_true",
        help="also run each configuration with warm_refit=False",
    )
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--tradeoff",
        action="store_true",
        help="search settings per teacher on 20k x 20: tradeoff.md",
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if args.child:
        kind, cfg = args.child[0], json.loads(args.child[1])
        result = child_alone(cfg) if kind == "alone" else child_fit(cfg)
        print(json.dumps(result))
        return
    import pandas as pd

    if args.tradeoff:
        frame = pd.DataFrame(tradeoff())
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "tradeoff.md").write_text(
            "Search settings on 20,000 x 20 (`python benchmarks/scaling.py "
            "--tradeoff`): per demo teacher, its first 1000 right rows, "
            "quintessential target, outputs from judging passed in; distances "
            "in scaled L1 (MAD units), over the rows found.\n\n"
            + frame.to_markdown(index=False, floatfmt=".3g")
            + "\n"
        )
        return
    if args.quick:
        args.rows = [r for r in args.rows if r <= 10_000]
    command = "python benchmarks/scaling.py " + " ".join(
        a for a in (argv if argv is not None else sys.argv[1:])
    )
    records = []
    for base_cfg in grid(args):
        alone = None
        for warm in (True, False) if args.cold_refit else (True,):
            cfg = {
                **base_cfg,
                "n_jobs": args.n_jobs,
                "warm_refit": warm,
                "blas_threads": args.blas_threads,
            }
            load_avg = os.getloadavg()[0]
            res = run_child("fit", cfg, args.timeout)
            if alone is None:
                alone = run_child("alone", cfg, args.timeout)
            row = {**cfg, **res, **alone, "load": load_avg}
            if "peak_mib" in row and "alone_mib" in row:
                row["mem_ratio"] = row["peak_mib"] / row["alone_mib"]
                row["mem_ratio_over_base"] = (row["peak_mib"] - row["base_mib"]) / (
                    row["alone_mib"] - row["base_mib"]
                )
            records.append(row)
            print(json.dumps(row), flush=True)
            write(pd.DataFrame(records), args.out, command.strip())


if __name__ == "__main__":
    main()
