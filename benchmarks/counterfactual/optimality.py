"""Optimality gap: the fast searches' counterfactuals against the exact optimum.

Class flips at a target confidence (default 0.75) on breast_cancer and wine
for a logistic regression (scaled), a depth-6 tree, a random forest (100
trees, depth 8) and gradient boosting (scikit-learn's, 100 stages of depth
3). ``ExactSearch(sparsity_weight=0)`` gives the minimal scaled L1 of each
query (proven optimal, or its best row and gap at the time limit); the fast
searches are divided by it, row by row, over the rows where both are valid.
Gaussian naive Bayes and kNN (after a scaler) have no exact program: their
reference row is the nearest valid row of all the searches run on them
(``reference: best of the searches``), so their ratios are at least 1.
Distances are the searches' own: L1 in MAD units of the training rows.
GradientSearch is for torch models and is not applicable to these learners.

Run ``python benchmarks/counterfactual/optimality.py --help`` for the
options; the README beside this file has the command and the tables.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import json
import os
import platform
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
from cf_data import flip_targets, load, make_queries
from cf_tables import versions
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

from skcoop.counterfactual import (
    BisectionSearch,
    BlackBoxSearch,
    ExactSearch,
    NaiveBayesSearch,
    NeighborsSearch,
    TreeSearch,
    make_search,
)
from skcoop.counterfactual._exact_models import check_supported
from skcoop.counterfactual._knn import is_neighbors_model
from skcoop.counterfactual._naive_bayes import is_naive_bayes
from skcoop.counterfactual._trees import is_tree_model

HERE = Path(__file__).resolve().parent


def make_models(seed):
    return {
        "logistic": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=5000, random_state=seed)
        ),
        "tree_depth6": DecisionTreeClassifier(max_depth=6, random_state=seed),
        "forest_100x8": RandomForestClassifier(
            n_estimators=100, max_depth=8, random_state=seed
        ),
        "boosting": GradientBoostingClassifier(random_state=seed),
        "naive_bayes": GaussianNB(),
        "knn": make_pipeline(StandardScaler(), KNeighborsClassifier()),
    }


# engine name -> search for a model (None: not for this model)
ENGINES = {
    "auto": lambda model: make_search("auto", model),
    "BlackBoxSearch": lambda model: BlackBoxSearch(),
    "BlackBoxSearch(sparsity_weight=0)": lambda model: BlackBoxSearch(
        sparsity_weight=0
    ),
    "TreeSearch": lambda model: TreeSearch() if is_tree_model(model) else None,
    "TreeSearch(sparsity_weight=0)": lambda model: (
        TreeSearch(sparsity_weight=0) if is_tree_model(model) else None
    ),
    "NaiveBayesSearch": lambda model: (
        NaiveBayesSearch() if is_naive_bayes(model) else None
    ),
    "NeighborsSearch": lambda model: (
        NeighborsSearch() if is_neighbors_model(model) else None
    ),
    "BisectionSearch": lambda model: BisectionSearch(),
}


def pct(values, q):
    values = np.asarray(values, dtype=float)
    return float(np.percentile(values, q)) if values.size else float("nan")


_EXACT_FIELDS = ("success", "distance", "optimal", "gap", "status", "solve_time")


def exact_result(dname, mname, model, X_train, y_train, Q, args):
    """The exact search's rows, from ``--exact-cache`` when it has them.

    The cache (one ``.npz`` per dataset, model, query count and time limit)
    lets the fast engines be re-measured without re-solving the programs.
    """
    desired = flip_targets(model, Q)
    key = f"{dname}_{mname}_{len(Q)}_{args.time_limit:g}_{args.seed}.npz"
    path = Path(args.exact_cache) / key if args.exact_cache else None
    if path is not None and path.exists():
        with np.load(path, allow_pickle=False) as f:
            fields = {k: f[k] for k in _EXACT_FIELDS}
            fields["status"] = fields["status"].astype(object)
            return SimpleNamespace(**fields), float(f["wall"])
    exact = ExactSearch(sparsity_weight=0, time_limit=args.time_limit)
    tic = time.perf_counter()
    ex = exact.fit(X_train, y_train).generate(
        model, Q, desired, confidence=args.confidence
    )
    wall = time.perf_counter() - tic
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fields = {k: np.asarray(getattr(ex, k)) for k in _EXACT_FIELDS}
        fields["status"] = fields["status"].astype(str)
        np.savez(path, wall=wall, **fields)
    return ex, wall


def _exact_applies(model):
    try:
        check_supported(model)
    except TypeError:
        return False
    return True


def _best_of(results):
    """The nearest valid row of all the searches: the reference where no exact."""
    dist = np.stack(
        [np.where(r.success, r.distance, np.inf) for r, _ in results.values()]
    )
    best = dist.min(axis=0)
    n = best.size
    return SimpleNamespace(
        success=np.isfinite(best),
        distance=best,
        optimal=np.zeros(n, dtype=bool),
        gap=np.full(n, np.nan),
        status=np.full(n, "best of the searches", dtype=object),
        solve_time=np.zeros(n),
    )


def run_model(dname, mname, model, X_train, y_train, Q, args):
    desired = flip_targets(model, Q)
    conf = args.confidence
    exact = _exact_applies(model)
    if exact:
        ex, ex_wall = exact_result(dname, mname, model, X_train, y_train, Q, args)
    results = {}
    for name, make in ENGINES.items():
        search = make(model)
        if search is None:
            continue
        if name == "auto":
            name = f"auto: {type(search).__name__}"
        tic = time.perf_counter()
        res = search.fit(X_train, y_train).generate(model, Q, desired, confidence=conf)
        results[name] = (res, time.perf_counter() - tic)
    if not exact:
        ex, ex_wall = _best_of(results), float("nan")
    common = {"dataset": dname, "model": mname, "n_queries": len(Q)}
    rows = [
        {
            **common,
            "engine": (
                "ExactSearch(sparsity_weight=0)"
                if exact
                else "reference: best of the searches"
            ),
            "validity": float(ex.success.mean()),
            "n_optimal": int(ex.optimal.sum()),
            "median_gap": float(np.nanmedian(ex.gap)) if exact else float("nan"),
            "max_gap": float(np.nanmax(ex.gap)) if exact else float("nan"),
            "median_l1": float(np.median(ex.distance[ex.success])),
            "sec_per_row": ex_wall / len(Q),
            "p95_sec_row": pct(ex.solve_time, 95),
            "max_sec_row": float(ex.solve_time.max()),
            "statuses": json.dumps(pd.Series(ex.status).value_counts().to_dict()),
        }
    ]
    print(json.dumps(rows[-1]), flush=True)
    for name, (res, wall) in results.items():
        both = res.success & ex.success & (ex.distance > 0)
        ratio = res.distance[both] / ex.distance[both]
        rows.append(
            {
                **common,
                "engine": name,
                "validity": float(res.success.mean()),
                "median_l1": float(np.median(res.distance[res.success])),
                "n_compared": int(both.sum()),
                "median_ratio": pct(ratio, 50),
                "p95_ratio": pct(ratio, 95),
                "max_ratio": pct(ratio, 100),
                "below_optimum": int(np.sum(ratio < 1 - 1e-6)),
                "evals_per_row": float(res.n_evaluations.mean()),
                "sec_per_row": wall / len(Q),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def markdown(frame, meta):
    lines = [
        "# Optimality gap of the counterfactual searches",
        "",
        f"Versions: {meta['versions']}; {meta['cpus']} CPUs; arguments {meta['args']}.",
        "",
        f"Wall {meta['wall_seconds']} s, CPU {meta['cpu_seconds']} s, load average "
        f"{meta['load_average']} at the end (a shared machine); "
        + (
            "the rows of the models not named in --models (exact rows "
            "included) are kept from the previous table (--merge); the line "
            "above describes this run only."
            if meta.get("merged")
            else "exact rows "
            + (
                "from an earlier run of the same arguments (--exact-cache)."
                if meta["exact_cached"]
                else "solved in this run."
            )
        ),
        "",
        "## Exact search (minimal scaled L1)",
        "",
        "Naive Bayes and kNN have no exact program: their reference is the "
        "nearest valid row of all the searches run on them.",
        "",
        "| dataset | model | queries | validity | proven optimal | median gap "
        "| max gap | median L1 | s per row | p95 s per row | max s per row |",
        "|" + "---|" * 11,
    ]
    is_ref = frame["engine"].str.startswith(("ExactSearch", "reference"))
    ex = frame[is_ref]
    for _, r in ex.iterrows():
        lines.append(
            f"| {r['dataset']} | {r['model']} | {r['n_queries']} | "
            f"{r['validity']:.3f} | {int(r['n_optimal'])} | {r['median_gap']:.3g} "
            f"| {r['max_gap']:.3g} | {r['median_l1']:.3g} | {r['sec_per_row']:.3g} "
            f"| {r['p95_sec_row']:.3g} | {r['max_sec_row']:.3g} |"
        )
    lines += [
        "",
        "## Fast searches: L1 / exact optimum (rows where both are valid)",
        "",
        "Naive Bayes and kNN: L1 / the nearest valid row of all the searches.",
        "",
        "| dataset | model | engine | validity | median | p95 | max | rows | "
        "evaluations per row | s per row |",
        "|" + "---|" * 10,
    ]
    fast = frame[~is_ref]
    for _, r in fast.iterrows():
        lines.append(
            f"| {r['dataset']} | {r['model']} | {r['engine']} | {r['validity']:.3f} "
            f"| {r['median_ratio']:.3f} | {r['p95_ratio']:.3f} | "
            f"{r['max_ratio']:.3f} | {int(r['n_compared'])} | "
            f"{r['evals_per_row']:.1f} | {r['sec_per_row']:.2g} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["breast_cancer", "wine"])
    parser.add_argument("--n-queries", type=int, default=30)
    parser.add_argument(
        "--n-queries-forest",
        type=int,
        default=10,
        help="queries for the forest (its rows may take the whole time limit)",
    )
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--confidence", type=float, default=0.75)
    parser.add_argument("--models", nargs="+", default=list(make_models(0)))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--exact-cache",
        default=None,
        help="folder for the exact search's rows (re-used when present)",
    )
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the rows of the models not run now from --out's optimality.csv",
    )
    args = parser.parse_args(argv)
    threadpool_limits(1)
    rows = []
    start, cpu_start = time.perf_counter(), time.process_time()
    for dname in args.datasets:
        X_train, X_test, y_train, _ = load(dname, args.seed)
        Q_all = make_queries(X_train, X_test, args.n_queries, args.seed)
        for mname, model in make_models(args.seed).items():
            if mname not in args.models:
                continue
            model.fit(X_train, y_train)
            n = args.n_queries_forest if mname.startswith("forest") else args.n_queries
            Q = Q_all.iloc[:n].reset_index(drop=True)
            rows += run_model(dname, mname, model, X_train, y_train, Q, args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)
    if args.merge and (out / "optimality.csv").exists():
        old = pd.read_csv(out / "optimality.csv")
        run = set(zip(frame["dataset"], frame["model"]))
        keep = [(d, m) not in run for d, m in zip(old["dataset"], old["model"])]
        frame = pd.concat([old[keep], frame], ignore_index=True)
    frame.to_csv(out / "optimality.csv", index=False)
    meta = {
        # no paths of this machine in what is committed
        "args": {
            k: v for k, v in vars(args).items() if k not in ("out", "exact_cache")
        },
        "exact_cached": bool(args.exact_cache),
        "merged": bool(args.merge),
        "cpu_seconds": round(time.process_time() - cpu_start, 1),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "versions": versions(),
        "wall_seconds": round(time.perf_counter() - start, 1),
    }
    (out / "optimality.md").write_text(markdown(frame, meta))
    print((out / "optimality.md").read_text())
    print(f"wall: {meta['wall_seconds']} s")


if __name__ == "__main__":
    main()
