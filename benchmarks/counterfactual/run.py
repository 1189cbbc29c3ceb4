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
from pathlib import Path

import numpy as np
import pandas as pd
from cf_data import DATASETS, flip_targets, load, make_models, make_queries, model_input
from cf_runners import paper_settings, run_query_set
from cf_tables import markdown, versions
from threadpoolctl import threadpool_limits

HERE = Path(__file__).resolve().parent


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
                'dice-ml is not installed (pip install -e ".[dice]"); DiCE skipped.'
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
                'torch/skorch not installed (pip install -e ".[torch]"); net skipped.'
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
        # the output folder is the command's, not a path of this machine
        "args": {k: v for k, v in vars(args).items() if k != "out"},
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


if __name__ == "__main__":
    main()
