"""Counterfactual search: skcoop's engines against DiCE and a nearest-row baseline.

Class-flip counterfactuals at a target confidence (default 0.75) for a random
forest and an MLP (scikit-learn, so that DiCE can search them too) on
scikit-learn's breast_cancer and wine, plus skcoop's torch backend on a small
skorch net, and the paper's own gradient settings on that net.

Every engine gets the same models and query rows in the same run, and every
result is checked by calling the model. Distances are L1 in standard-scaled
units (training-row standard deviations), the same for every engine.

Run ``python benchmarks/counterfactual/run.py --help`` for the options; the
README beside this file has the command behind the committed results.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import json
import os
import platform
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skcoop.counterfactual import BlackBoxSearch, GradientSearch, make_search

HERE = Path(__file__).resolve().parent
DATASETS = {"breast_cancer": load_breast_cancer, "wine": load_wine}


# ---------------------------------------------------------------- set-up
class CountingModel:
    """Proxy that counts predict_proba calls and rows (for DiCE and the baseline)."""

    def __init__(self, model):
        self.model = model
        self.calls = 0
        self.rows = 0
        self.time = 0.0

    def predict_proba(self, X):
        tic = time.perf_counter()
        out = self.model.predict_proba(X)
        self.time += time.perf_counter() - tic
        self.calls += 1
        self.rows += len(X)
        return out

    def predict(self, X):
        return self.model.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __getattr__(self, name):
        return getattr(self.model, name)


def load(name, seed):
    X, y = DATASETS[name](return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    return X_train, X_test, y_train.to_numpy(), y_test.to_numpy()


def make_queries(X_train, X_test, n, seed):
    """``n`` query rows: test rows drawn with replacement, jittered by 5% of a std.

    Integer-valued features stay integer, and every value stays in the
    training range, so queries are distinct, plausible rows.
    """
    rng = np.random.RandomState(seed)
    base = X_test.to_numpy()[rng.randint(0, len(X_test), n)]
    std = X_train.std(ddof=0).to_numpy()
    Q = base + rng.normal(0, 0.05, base.shape) * std
    ints = np.all(X_train.to_numpy() == np.round(X_train.to_numpy()), axis=0)
    Q[:, ints] = np.round(Q[:, ints])
    Q = np.clip(Q, X_train.min().to_numpy(), X_train.max().to_numpy())
    # float32-exact, so that the torch net sees the same rows as the others
    Q = Q.astype(np.float32).astype(np.float64)
    return pd.DataFrame(Q, columns=X_train.columns)


def flip_targets(model, Q):
    """Desired class: the other class (binary) or the next class (multi-class)."""
    pred = np.searchsorted(model.classes_, model.predict(Q))
    return model.classes_[(pred + 1) % len(model.classes_)]


class StandardizedMLP:
    """Factory for a small torch MLP with the standardisation built in."""

    @staticmethod
    def module(mean, std, n_in, n_out, hidden=32):
        import torch

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
                self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
                self.body = torch.nn.Sequential(
                    torch.nn.Linear(n_in, hidden),
                    torch.nn.ReLU(),
                    torch.nn.Linear(hidden, hidden),
                    torch.nn.ReLU(),
                    torch.nn.Linear(hidden, n_out),
                )

            def forward(self, X):
                return self.body((X - self.mean) / self.std)

        return Net


def make_models(X_train, y_train, seed, with_torch):
    models = {
        "random_forest": RandomForestClassifier(n_estimators=100, random_state=seed),
        "mlp": make_pipeline(
            StandardScaler(),
            MLPClassifier((64, 32), max_iter=2000, random_state=seed),
        ),
    }
    for model in models.values():
        model.fit(X_train, y_train)
    if with_torch:
        import torch
        from skorch import NeuralNetClassifier

        torch.manual_seed(seed)
        Xt = X_train.to_numpy(np.float32)
        Net = StandardizedMLP.module(
            Xt.mean(0), Xt.std(0) + 1e-6, Xt.shape[1], len(np.unique(y_train))
        )
        net = NeuralNetClassifier(
            Net,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=0.01,
            max_epochs=100,
            batch_size=64,
            train_split=None,
            verbose=0,
        )
        net.fit(Xt, y_train.astype(np.int64))
        models["skorch_net"] = net
    return models


def model_input(model, Q):
    """What the model is called with: DataFrames for sklearn, float32 for skorch."""
    if type(model).__module__.startswith("skorch"):
        return Q.to_numpy(np.float32)
    return Q


# -------------------------------------------------------------- measuring
def evaluate(model, Q, X_cf, desired, confidence, std):
    """Validity (model called on the rows), scaled L1, features changed."""
    X_cf = np.asarray(X_cf, dtype=float)
    if len(Q) == 0:
        return {
            "validity": float("nan"),
            "found": float("nan"),
            "median_l1": float("nan"),
            "median_changed": float("nan"),
            "median_proba": float("nan"),
            "copies": 0,
        }
    found = np.all(np.isfinite(X_cf), axis=1)
    proba = np.full(len(Q), np.nan)
    if found.any():
        frame = pd.DataFrame(X_cf[found], columns=Q.columns)
        P = np.asarray(model.predict_proba(model_input(model, frame)))
        index = np.searchsorted(model.classes_, desired[found])
        proba[found] = P[np.arange(found.sum()), index]
    valid = found & (proba >= confidence)
    diff = np.abs(X_cf - Q.to_numpy())
    l1 = (diff / std).sum(axis=1)
    changed = (diff > 1e-9 * (1 + np.abs(Q.to_numpy()))).sum(axis=1)
    return {
        "validity": float(valid.mean()),
        "found": float(found.mean()),
        "median_l1": float(np.median(l1[valid])) if valid.any() else float("nan"),
        "median_changed": float(np.median(changed[valid]))
        if valid.any()
        else float("nan"),
        "median_proba": float(np.nanmedian(proba)) if found.any() else float("nan"),
        "copies": int((found & (changed == 0)).sum()),
    }


def make_row(common, engine, stats, model, Q, X_cf, desired, conf, std, **extra):
    """One result row: the run's settings, the engine's costs and quality."""
    row = {
        **common,
        "engine": engine,
        **stats,
        **evaluate(model, Q, X_cf, desired, conf, std),
        **extra,
    }
    print(
        json.dumps(
            {k: (round(v, 5) if isinstance(v, float) else v) for k, v in row.items()}
        ),
        flush=True,
    )
    return row


def evaluate_rows(model, Q, X_cf, desired, confidence):
    """Per row: whether the model gives the target class ``confidence`` at ``X_cf``."""
    X_cf = np.asarray(X_cf, dtype=float)
    ok = np.all(np.isfinite(X_cf), axis=1)
    if ok.any():
        frame = pd.DataFrame(X_cf[ok], columns=Q.columns)
        P = np.asarray(model.predict_proba(model_input(model, frame)))
        index = np.searchsorted(model.classes_, desired[ok])
        ok[ok] = P[np.arange(ok.sum()), index] >= confidence
    return ok


def run_skcoop(search, model, X_train, y_train, Q, desired, confidence, **kwargs):
    tic = time.perf_counter()
    fitted = search.fit(model_input(model, X_train), y_train)
    result = fitted.generate(
        model, model_input(model, Q), desired, confidence=confidence, **kwargs
    )
    wall = time.perf_counter() - tic
    X_cf = np.asarray(result.X, dtype=float)
    return X_cf, {
        "n_timed": len(Q),
        "sec_per_cf": wall / len(Q),
        "calls_per_cf": result.n_model_calls / len(Q),
        "rows_per_cf": result.n_rows_evaluated / len(Q),
        "search_over_model": result.search_time / max(result.model_time, 1e-12),
        "model_calls_total": result.n_model_calls,
        "engine_success": float(result.success.mean()),
    }


def run_nearest_row(model, X_train, Q, desired, confidence, std):
    """Baseline: the nearest training row (scaled L1) predicted as the target."""
    counting = CountingModel(model)
    tic = time.perf_counter()
    P = counting.predict_proba(model_input(model, X_train))
    index = np.searchsorted(model.classes_, desired)
    conf = P[:, index].T  # (n_queries, n_train)
    dist = cdist(Q.to_numpy() / std, X_train.to_numpy() / std, "cityblock")
    dist[conf < confidence] = np.inf
    best = np.argmin(dist, axis=1)
    X_cf = X_train.to_numpy()[best].astype(float)
    X_cf[~np.isfinite(dist[np.arange(len(Q)), best])] = np.nan
    wall = time.perf_counter() - tic
    return X_cf, {
        "n_timed": len(Q),
        "sec_per_cf": wall / len(Q),
        "calls_per_cf": counting.calls / len(Q),
        "rows_per_cf": counting.rows / len(Q),
        "search_over_model": wall / max(counting.time, 1e-12),
    }


def run_dice(method, model, X_train, y_train, Q, desired, confidence, seed):
    """DiCE, one query at a time (as DiCE works); failures give NaN rows."""
    import dice_ml

    frame = X_train.copy()
    frame["target"] = y_train
    data = dice_ml.Data(
        dataframe=frame,
        continuous_features=list(X_train.columns),
        outcome_name="target",
    )
    counting = CountingModel(model)
    explainer = dice_ml.Dice(
        data, dice_ml.Model(model=counting, backend="sklearn"), method=method
    )
    X_cf = np.full(Q.shape, np.nan)
    times = []
    for i in range(len(Q)):
        kwargs = {"random_seed": seed} if method == "random" else {}
        tic = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = explainer.generate_counterfactuals(
                    Q.iloc[i : i + 1],
                    total_CFs=1,
                    desired_class=int(np.searchsorted(model.classes_, desired[i])),
                    stopping_threshold=confidence,
                    verbose=False,
                    **kwargs,
                )
            cfs = res.cf_examples_list[0].final_cfs_df
            if cfs is not None and len(cfs):
                X_cf[i] = cfs[list(X_train.columns)].to_numpy(float)[0]
        except Exception:  # DiCE raises when it finds nothing
            pass
        times.append(time.perf_counter() - tic)
    times = np.asarray(times)
    half = len(times) // 2
    return X_cf, {
        "n_timed": len(Q),
        "sec_per_cf": float(times.mean()),
        "calls_per_cf": counting.calls / len(Q),
        "rows_per_cf": counting.rows / len(Q),
        "search_over_model": float(times.sum() / max(counting.time, 1e-12)),
        "time_halves_ratio": float(times[half:].mean() / times[:half].mean())
        if half
        else float("nan"),
    }


# ------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-queries", type=int, nargs="+", default=[50, 1000])
    parser.add_argument(
        "--dice-subset",
        type=int,
        default=50,
        help="DiCE is timed on the first this-many queries of each set",
    )
    parser.add_argument(
        "--dice-methods", nargs="*", default=["random", "genetic", "kdtree"]
    )
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--confidence", type=float, default=0.75)
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(HERE / "results"))
    args = parser.parse_args(argv)
    # one BLAS thread for every engine: on a shared machine, threaded BLAS on
    # small batches is slower and far noisier
    threadpool_limits(1)
    if args.dice_methods:
        try:
            import dice_ml  # noqa: F401
        except ImportError:
            print(
                "dice-ml is not installed (pip install 'skcoop[bench]'); DiCE skipped."
            )
            args.dice_methods = []
    with_torch = not args.no_torch
    if with_torch:
        try:
            import skorch  # noqa: F401
            import torch

            torch.set_num_threads(1)
        except ImportError:
            print(
                "torch/skorch not installed (pip install 'skcoop[torch]'); net skipped."
            )
            with_torch = False

    rows = []
    conf = args.confidence
    for dname in args.datasets:
        X_train, X_test, y_train, y_test = load(dname, args.seed)
        std = X_train.std(ddof=0).to_numpy()
        std = np.where(std > 0, std, 1.0)
        models = make_models(X_train, y_train, args.seed, with_torch)
        Q_all = make_queries(X_train, X_test, max(args.n_queries), args.seed)
        for mname, model in models.items():
            accuracy = float(
                np.mean(model.predict(model_input(model, X_test)) == y_test)
            )
            dice_cache = {}
            for n in sorted(args.n_queries):
                Q = Q_all.iloc[:n].reset_index(drop=True)
                desired = flip_targets(model, model_input(model, Q))
                common = {
                    "dataset": dname,
                    "model": mname,
                    "accuracy": accuracy,
                    "n_queries": n,
                    "confidence": conf,
                }

                rows += run_query_set(
                    common, model, X_train, y_train, Q, desired, std, args, dice_cache
                )
            if mname == "skorch_net":
                rows.extend(
                    paper_settings(model, X_train, y_train, X_test, y_test, std, common)
                )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame(rows)
    frame.to_csv(out / "results.csv", index=False)
    meta = {
        "args": vars(args),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "versions": versions(),
    }
    (out / "results.json").write_text(
        json.dumps({"meta": meta, "rows": rows}, indent=1)
    )
    (out / "results.md").write_text(markdown(frame, meta))
    print((out / "results.md").read_text())


def run_query_set(common, model, X_train, y_train, Q, desired, std, args, dice_cache):
    """Every engine on one model and one query set; DiCE results are reused
    across query sets that share their first ``--dice-subset`` rows."""
    conf, n = args.confidence, len(Q)
    out = []

    def record(engine, X_cf, stats, Qe=Q, de=desired, **extra):
        out.append(
            make_row(common, engine, stats, model, Qe, X_cf, de, conf, std, **extra)
        )

    search = make_search("auto", model)
    ours, ours_stats = run_skcoop(search, model, X_train, y_train, Q, desired, conf)
    record(f"skcoop {type(search).__name__}", ours, ours_stats)
    if isinstance(search, GradientSearch):
        record(
            "skcoop BlackBoxSearch",
            *run_skcoop(BlackBoxSearch(), model, X_train, y_train, Q, desired, conf),
        )
    record(
        "nearest target row", *run_nearest_row(model, X_train, Q, desired, conf, std)
    )
    if common["model"] == "skorch_net":  # DiCE's sklearn backend cannot call it
        return out
    m = min(n, args.dice_subset)
    for method in args.dice_methods:
        if m not in dice_cache.setdefault(method, {}):
            dice_cache[method][m] = run_dice(
                method,
                model,
                X_train,
                y_train,
                Q.iloc[:m],
                desired[:m],
                conf,
                args.seed,
            )
        X_cf, stats = dice_cache[method][m]
        # skcoop on the same rows, where DiCE found a valid one
        dice_ok = evaluate_rows(model, Q.iloc[:m], X_cf, desired[:m], conf)
        same = evaluate(
            model,
            Q.iloc[:m][dice_ok],
            ours[:m][dice_ok],
            desired[:m][dice_ok],
            conf,
            std,
        )
        record(
            f"DiCE {method}",
            X_cf,
            stats,
            Qe=Q.iloc[:m],
            de=desired[:m],
            timed_on=f"first {m} of {n}",
            skcoop_l1_same_rows=same["median_l1"],
            skcoop_changed_same_rows=same["median_changed"],
        )
    return out


def paper_settings(net, X_train, y_train, X_test, y_test, std, common):
    """The paper's own gradient search on the quintessential target of test rows.

    Adam lr 1e-5 on raw inputs, 500 steps, stop within 1e-3 of the target,
    no fallback, no polishing; against skcoop's defaults on the same rows.
    Rows are the test rows the net predicts correctly (the teacher's
    qualifying rows in cooperative distillation).
    """
    Xt = X_test.to_numpy(np.float32)
    Xtr = X_train.to_numpy(np.float32)
    correct = net.predict(Xt) == y_test
    Q = X_test[correct].reset_index(drop=True)
    y = y_test[correct]
    rows = []
    engines = {
        "paper gradient (Adam lr 1e-5, 500 steps)": GradientSearch(
            learning_rate=1e-5,
            max_iter=500,
            step_units="raw",
            loss="ce",
            tol=1e-3,
            n_rounds=0,
            linearize=False,
            fallback=False,
        ),
        "skcoop GradientSearch": GradientSearch(),
    }
    for name, search in engines.items():
        tic = time.perf_counter()
        result = search.fit(Xtr, y_train).generate(net, Q.to_numpy(np.float32), y)
        wall = time.perf_counter() - tic
        X_cf = np.asarray(result.X, dtype=float)
        diff = np.abs(X_cf - Q.to_numpy())
        moved = (diff > 1e-9 * (1 + np.abs(Q.to_numpy()))).any(axis=1)
        rest = ~result.already_at_target
        # the paper's loop skipped rows at their target and rows that did not move
        paper_rule = rest & moved & result.success
        row = {
            **common,
            "n_queries": len(Q),
            "confidence": "quintessential (alpha=0.5)",
            "engine": name,
            "n_timed": len(Q),
            "sec_per_cf": wall / len(Q),
            "calls_per_cf": result.n_model_calls / len(Q),
            "rows_per_cf": result.n_rows_evaluated / len(Q),
            "search_over_model": result.search_time / max(result.model_time, 1e-12),
            "validity": float(result.success.mean()),
            "moved": float(moved.mean()),
            "median_l1": float(np.median((diff / std).sum(1)[result.success]))
            if result.success.any()
            else float("nan"),
            "median_changed": float(np.median((diff > 0).sum(1)[result.success]))
            if result.success.any()
            else float("nan"),
            "median_proba": float(np.median(result.achieved)),
            "already_at_target": int(result.already_at_target.sum()),
            "validity_not_already": float(result.success[rest].mean())
            if rest.any()
            else float("nan"),
            "moved_not_already": float(moved[rest].mean())
            if rest.any()
            else float("nan"),
            "virtual_rate_paper_rule": float(paper_rule.mean()),
            "virtual_rate": float((moved & result.success).mean()),
            "adam_steps": int(getattr(search, "n_iter_", 0)),
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    return rows


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


if __name__ == "__main__":
    main()
