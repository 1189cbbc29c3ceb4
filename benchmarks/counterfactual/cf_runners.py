"""Running and measuring the engines: skcoop, the nearest-row baseline, DiCE."""

# SPDX-License-Identifier: BSD-3-Clause

import json
import time
import warnings

import numpy as np
import pandas as pd
from cf_data import CountingModel, model_input
from scipy.spatial.distance import cdist

from skcoop.counterfactual import BlackBoxSearch, GradientSearch, make_search


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
