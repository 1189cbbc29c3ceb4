"""Experiment H's natural sites with the release guard on (default) and off (issue 26).

Per table (``experiments/h_natural_sites.py``, quick 3,000-row subsample)
and seed: each member alone, cooperative distillation with
``guard=ReleaseGuard()`` (the classifiers' default, ``guard="auto"``) and
with ``guard=None``, and the pooled learner; the
change of every member against alone (the real-sites page's "never worse
than alone": no member below -0.005) and the median member's gap closed.

Run::

    python benchmarks/privacy_default_h.py --seeds 0 1
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

from experiments.h_natural_sites import TABLES, natural_task  # noqa: E402

from skcoop import (  # noqa: E402
    CooperativeDistillationEnsemble,
    CooperativeDistillationRegressor,
)
from skcoop.privacy import ReleaseGuard  # noqa: E402


def run(tables, seeds):
    rows = []
    for table in tables:
        for seed in seeds:
            c0, t0 = time.process_time(), time.perf_counter()
            task = natural_task(table, seed, quick=True)
            names = [m[0] for m in task.members]
            site = np.array([names.index(str(s)) for s in task.site])
            Ens = (
                CooperativeDistillationRegressor
                if task.regression
                else CooperativeDistillationEnsemble
            )
            scores = {}
            for label, guard in (("guarded", ReleaseGuard()), ("guard None", None)):
                ens = Ens(task.members, guard=guard, random_state=seed)
                ens.fit(task.X, task.y, site=site)
                scores[label] = [
                    m.score(task.X_test, task.y_test) for m in ens.estimators_
                ]
                scores["alone"] = [
                    m.score(task.X_test, task.y_test) for m in ens.initial_estimators_
                ]
            scores["pooled"] = [
                clone(est).fit(task.X, task.y).score(task.X_test, task.y_test)
                for _, est in task.members
            ]
            alone = np.array(scores["alone"])
            pooled = np.array(scores["pooled"])
            for label in ("guarded", "guard None"):
                after = np.array(scores[label])
                den = np.median(pooled) - np.median(alone)
                for name, a, b, p in zip(names, alone, after, pooled):
                    rows.append(
                        {
                            "table": table,
                            "seed": seed,
                            "setting": label,
                            "member": name,
                            "alone": a,
                            "distilled": b,
                            "pooled": p,
                            "change": b - a,
                            "median_gap_closed": (
                                (np.median(after) - np.median(alone)) / den
                                if den > 0.005
                                else np.nan
                            ),
                        }
                    )
            print(
                f"{table} seed {seed}: alone {np.round(alone, 3)} "
                f"guarded {np.round(scores['guarded'], 3)} "
                f"off {np.round(scores['guard None'], 3)} "
                f"pooled {np.round(pooled, 3)}; cpu "
                f"{time.process_time() - c0:.0f} s, wall "
                f"{time.perf_counter() - t0:.0f} s, load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    return pd.DataFrame(rows)


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument("--tables", nargs="+", default=list(TABLES))
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--out", default="benchmarks/results/privacy")
    args = p.parse_args(argv)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = run(args.tables, args.seeds)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out / "default_h.csv", index=False, float_format="%.4f")
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(f"process CPU {ru.ru_utime + ru.ru_stime:.0f} s")
    summary = (
        frame.groupby(["table", "setting", "member"], sort=False)["change"]
        .mean()
        .unstack("setting")
    )
    print(summary.to_string(float_format=lambda v: f"{v:+.3f}"))


if __name__ == "__main__":
    main()
