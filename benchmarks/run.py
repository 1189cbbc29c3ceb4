"""Run the skcoop reproduction and baseline benchmarks.

    nice python benchmarks/run.py --quick          # < 10 min on 2 cores
    nice python benchmarks/run.py                  # full: 5 seeds
    nice python benchmarks/run.py --only A --seeds 0 1
    nice python benchmarks/run.py --quick --only H --ckd-params '{"n_rounds": 2}'
    nice python benchmarks/run.py --quick --only H \
        --ckd-variants '{"ckd_a": {"alpha": 0.3}, "ckd_b": {"alpha": 0.7}}'

Writes ``benchmarks/results/<mode>/``: per experiment ``runs_<EXP>.csv``
(one row per setting, seed, method and member), ``transfers_<EXP>.csv`` (the
cooperative fits' teacher -> student counts) and ``meta_<EXP>.json`` (the
command); then ``summary.md`` and PNG plots from every experiment's files in
the folder. Only ``results/full``'s ``runs_<EXP>.csv``, ``summary.md`` and the
plots it shows are committed; the rest is ignored by git. Paths in what it
writes are relative to the repository. See benchmarks/README.md.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import shlex  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import pandas as pd  # noqa: E402
import report  # noqa: E402
from experiments import ORDER  # noqa: E402
from harness import ALL_METHODS, TUNE_GRID, Config, run_task  # noqa: E402

from skcoop.datasets import DatasetNotAvailableError  # noqa: E402

QUICK_GRID = [(t, w) for t in (1, 4) for w in (0.5, 0.9)]


def main(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    p.add_argument(
        "--quick", action="store_true", help="small sizes, 1 seed, 2x2 KD grid"
    )
    p.add_argument("--only", nargs="+", metavar="EXP", help="experiments to run (A..H)")
    p.add_argument(
        "--seeds", nargs="+", type=int, help="seeds (default 0 1 quick, 0..4 full)"
    )
    p.add_argument("--counterfactual", default="auto", help="search: auto or bisection")
    p.add_argument(
        "--memory-seeds",
        nargs="*",
        type=int,
        default=[0],
        help="seeds whose alone/pooled/ckd fits are repeated under tracemalloc",
    )
    p.add_argument(
        "--tune-seeds",
        nargs="*",
        type=int,
        default=[0],
        help="seeds that grid-search KD's T x w; the others reuse the choice",
    )
    p.add_argument(
        "--ckd-params",
        type=_json_object,
        default={},
        metavar="JSON",
        help="keyword arguments of the cooperative ensemble in every ckd fit\n"
        "(ckd, ckd_dup and the variants), e.g. '{\"n_rounds\": 2}'",
    )
    p.add_argument(
        "--ckd-variants",
        type=_json_object,
        default={},
        metavar="JSON",
        help="extra cooperative methods, one row each: {name: {param: value}}\n"
        "on top of --ckd-params, on every task that runs ckd",
    )
    p.add_argument(
        "--methods",
        nargs="+",
        metavar="METHOD",
        help="run only these methods (e.g. alone pooled ckd and variant names)",
    )
    p.add_argument("--out", help="results folder (default benchmarks/results/<mode>)")
    p.add_argument(
        "--report-only",
        action="store_true",
        help="only rebuild summary.md and the plots from the folder's files",
    )
    p.add_argument("--verbose", "-v", action="count", default=0)
    args = p.parse_args(argv)

    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        pass
    mode = "quick" if args.quick else "full"
    seeds = args.seeds or ([0] if args.quick else [0, 1, 2, 3, 4])
    out = Path(args.out) if args.out else HERE / "results" / mode
    out.mkdir(parents=True, exist_ok=True)
    cfg = Config(
        counterfactual=args.counterfactual,
        tune_grid=QUICK_GRID if args.quick else list(TUNE_GRID),
        memory_seeds=tuple(args.memory_seeds),
        tune_seeds=tuple(args.tune_seeds),
        verbose=args.verbose,
        ckd_params=_check_params(args.ckd_params, "--ckd-params"),
        ckd_variants=_variants(args.ckd_variants),
        methods=tuple(args.methods) if args.methods else None,
    )
    wanted = {e.upper() for e in args.only} if args.only else None
    start = time.perf_counter()
    for modname in ORDER if not args.report_only else []:
        if wanted and modname[0].upper() not in wanted:
            continue
        mod = importlib.import_module(f"experiments.{modname}")
        t0 = time.perf_counter()
        print(f"[{mod.NAME}] {mod.TITLE}", flush=True)
        results, transfers = [], []
        try:
            for seed in seeds:
                for task in mod.tasks(seed, args.quick):
                    r, t = run_task(task, seed, cfg)
                    results += r
                    transfers += t
                    print(
                        f"    {task.setting:<22} seed {seed}: {_brief(r)}", flush=True
                    )
        except DatasetNotAvailableError as exc:
            print(f"[{mod.NAME}] skipped: {exc}", flush=True)
            status = f"skipped: {exc}"
        else:
            status = f"{time.perf_counter() - t0:.0f}s"
            print(f"[{mod.NAME}] done in {status}", flush=True)
        # one file set per experiment, so experiments can run in separate processes
        pd.DataFrame(results).to_csv(out / f"runs_{mod.NAME}.csv", index=False)
        pd.DataFrame(transfers).to_csv(out / f"transfers_{mod.NAME}.csv", index=False)
        meta = dict(
            experiment=mod.NAME,
            title=mod.TITLE,
            command=command(sys.argv[1:] if argv is None else argv),
            mode=mode,
            seeds=seeds,
            counterfactual=args.counterfactual,
            memory_seeds=args.memory_seeds,
            tune_seeds=args.tune_seeds,
            kd_grid=cfg.tune_grid,
            ckd_params=cfg.ckd_params,
            ckd_variants=cfg.ckd_variants,
            methods=cfg.methods,
            status=status,
            finished=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        )
        (out / f"meta_{mod.NAME}.json").write_text(json.dumps(meta, indent=1))
        report.write_all(out, mode, plots=False)
    report.write_all(out, mode, plots=True)
    print(f"wrote {out} in {time.perf_counter() - start:.0f}s")


def _portable(arg):
    """``arg`` with an absolute path made relative to the repository root.

    A path outside the repository keeps only its last part (``.../name``):
    no file the benchmarks write names a directory of this machine.
    """
    if not os.path.isabs(arg):
        return arg
    path = Path(arg).resolve()
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return f".../{path.name}"


def command(argv):
    """The command line that reproduces this run, from the repository root."""
    args = [_portable(a) for a in argv]
    return shlex.join(["nice", "python", "benchmarks/run.py", *args])


def _json_object(text):
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not JSON ({exc}): {text!r}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"expected a JSON object, got {text!r}")
    return value


def _check_params(params, option):
    """Exit when a key is a parameter of neither cooperative estimator."""
    import inspect

    from skcoop import (
        CooperativeDistillationEnsemble,
        CooperativeDistillationRegressor,
    )

    known = set()
    for cls in (CooperativeDistillationEnsemble, CooperativeDistillationRegressor):
        known |= set(inspect.signature(cls.__init__).parameters) - {"self"}
    unknown = sorted(set(params) - known)
    if unknown:
        raise SystemExit(
            f"{option}: {unknown} are not parameters of "
            f"CooperativeDistillationEnsemble or CooperativeDistillationRegressor "
            f"(known: {sorted(known)})."
        )
    return params


def _variants(variants):
    for name, params in variants.items():
        if not isinstance(params, dict):
            raise SystemExit(
                f"--ckd-variants: {name!r} must map to a JSON object of "
                f"parameters; got {params!r}."
            )
        if name in ALL_METHODS:
            raise SystemExit(
                f"--ckd-variants: {name!r} is a built-in method; choose another name."
            )
        _check_params(params, f"--ckd-variants {name}")
    return variants


def _brief(rows):
    df = pd.DataFrame(rows)
    df = df[df.member != "(vote)"]
    med = df.groupby("method", sort=False)["score"].median()
    return " ".join(f"{m}={v:.3f}" for m, v in med.items())


if __name__ == "__main__":
    main()
