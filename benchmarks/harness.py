"""Shared benchmark harness: one task, every method, the same splits and sites.

A :class:`Task` holds the training rows with their site (member name per
row), the test rows and the members. :func:`run_task` fits every method
asked for on exactly those rows, times each fit, records its peak traced
memory, and scores every member on the test rows in its own columns:

``alone``     members fitted on their own rows (``n_rounds=0``)
``pooled``    each learner on every training row (the upper bound)
``kd``        soft-target KD, ``SoftTargetDistiller()`` defaults
``kd_tuned``  soft-target KD, T x w chosen on a validation split carved from
              each site's training rows (per task, i.e. per data distribution)
``dml``       deep mutual learning among the members that train step by step
              (skorch nets, ``partial_fit``); the others are left out
``pkd``       data-partitioning KD, ``PartitionedDistiller()`` defaults
``ckd``       cooperative distillation, defaults (duplicates removed)
``ckd_dup``   cooperative distillation with ``dedupe=False``
``fedmd``     FedMD on the task's public rows (``Task.public``), defaults
``feddf``     FedDF on the task's public rows, defaults
``ckd_public`` cooperative distillation, defaults, with the public rows added
              to every site's own, labelled by the vote of the alone members
``<variant>`` cooperative distillation with the parameters of
              ``Config.ckd_variants[<variant>]`` (run.py ``--ckd-variants``),
              on every task that runs ``ckd``

``Config.ckd_params`` (run.py ``--ckd-params``) are passed to the ensemble of
``ckd``, ``ckd_dup`` and every variant (not to ``alone`` or the KD baselines).
"""

# SPDX-License-Identifier: BSD-3-Clause

import time
import tracemalloc
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.metrics import accuracy_score, r2_score

from skcoop import CooperativeDistillationEnsemble, CooperativeDistillationRegressor
from skcoop.distill import (
    FedDFDistiller,
    FedMDDistiller,
    MutualLearningDistiller,
    PartitionedDistiller,
    SoftTargetDistiller,
)

ALL_METHODS = ("alone", "pooled", "kd", "kd_tuned", "dml", "pkd", "ckd", "ckd_dup")
# dedupe=False is compared only where the paper compares it (experiment B)
DEFAULT_METHODS = ("alone", "pooled", "kd", "kd_tuned", "dml", "pkd", "ckd")
TUNE_GRID = [(t, w) for t in (1, 2, 4, 8) for w in (0.25, 0.5, 0.75, 0.9)]
VOTE = "(vote)"


@dataclass
class Task:
    """One data distribution of one experiment."""

    experiment: str
    setting: str
    X: object
    y: np.ndarray
    site: np.ndarray  # member name of each training row
    X_test: object
    y_test: np.ndarray
    members: list  # (name, estimator) or (name, estimator, columns)
    methods: tuple = DEFAULT_METHODS
    regression: bool = False
    tune_grid: list = None  # None: the run's grid
    trace_memory: bool = True  # False: no traced repeat fit (saves time)
    extra: dict = field(default_factory=dict)  # copied into every row
    public: object = None  # unlabelled public rows (fedmd, feddf, ckd_public)


@dataclass
class Config:
    counterfactual: object = "auto"
    tune_grid: list = field(default_factory=lambda: list(TUNE_GRID))
    memory_seeds: tuple = (0,)  # seeds whose fits are traced a second time for memory
    memory_methods: tuple = ("alone", "pooled", "ckd")
    tune_seeds: tuple = (0,)  # seeds that tune T x w; the others reuse the choice
    tuned: dict = field(default_factory=dict)  # (experiment, setting) -> (T, w)
    verbose: int = 0
    ckd_params: dict = field(default_factory=dict)  # kwargs of every ckd fit
    ckd_variants: dict = field(default_factory=dict)  # method name -> kwargs
    methods: tuple = None  # None: each task's methods; else only these


def task_methods(task, cfg):
    """The methods to run on ``task``: its own, the ckd variants, filtered."""
    methods = list(task.methods)
    if "ckd" in methods:
        methods += [v for v in cfg.ckd_variants if v not in methods]
    if cfg.methods is not None:
        methods = [m for m in methods if m in cfg.methods]
    return methods


def _label(params):
    return ",".join(f"{k}={v!r}" for k, v in params.items())


def take(X, columns):
    """Rows of ``X`` in ``columns`` (names for DataFrames, positions else)."""
    if columns is None:
        return X
    if hasattr(X, "iloc"):
        if len(columns) and not isinstance(columns[0], str):
            return X.iloc[:, list(columns)]
        return X[list(columns)]
    return X[:, list(columns)]


def rows(X, mask):
    return X.iloc[np.flatnonzero(mask)] if hasattr(X, "iloc") else X[mask]


def _columns(member):
    return member[2] if len(member) > 2 else None


def _learner(est):
    est = est.steps[-1][1] if hasattr(est, "steps") else est
    if type(est).__name__ == "CalibratedClassifierCV":  # not forests' .estimator
        est = est.estimator
    return type(est).__name__


def _is_iterative(est):
    return hasattr(est, "module") or hasattr(est, "partial_fit")


def _seed_torch(seed):
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(seed)


def measure(fn, seed, memory=True):
    """``fn()``'s result, wall seconds and peak traced memory in MiB.

    The time comes from an untraced call (tracemalloc slows fits several
    times); with ``memory`` a second, traced call measures the peak.
    """
    peak = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if memory:
            _seed_torch(seed)
            tracemalloc.start()
            try:
                fn()
                peak = tracemalloc.get_traced_memory()[1] / 2**20
            finally:
                tracemalloc.stop()
        _seed_torch(seed)
        start = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - start
    return out, seconds, peak


def _score(est, X, y, regression):
    pred = est.predict(X)
    return r2_score(y, pred) if regression else accuracy_score(y, pred)


def _ensemble(task, members, seed, cfg, **params):
    cls = (
        CooperativeDistillationRegressor
        if task.regression
        else CooperativeDistillationEnsemble
    )
    return cls(members, counterfactual=cfg.counterfactual, random_state=seed, **params)


def _ensemble_rows(task, ens, members, method, seed, seconds, peak, params=""):
    out = []
    virtual = getattr(ens, "virtual_instances_", {})
    for member in members:
        name = member[0]
        if name not in ens.named_estimators_:
            continue
        est = ens.named_estimators_[name]
        n_virtual = len(virtual[name].y) if name in virtual else 0
        out.append(
            dict(
                member=name,
                learner=_learner(member[1]),
                score=_score(
                    est,
                    take(task.X_test, _columns(member)),
                    task.y_test,
                    task.regression,
                ),
                n_rows=int(ens.n_rows_[name]),
                n_classes=np.nan
                if task.regression
                else len(np.unique(task.y[task.site == name])),
                n_virtual=n_virtual,
            )
        )
    out.append(
        dict(
            member=VOTE,
            learner="ensemble",
            score=_score(ens, task.X_test, task.y_test, task.regression),
            n_rows=len(task.y),
            n_virtual=sum(r["n_virtual"] for r in out),
        )
    )
    report = getattr(ens, "transfer_report_", None)
    totals = {}
    if report is not None and len(report.get("found", [])):
        totals = {k: int(np.sum(report[k])) for k in ("qualifying", "found", "kept")}
    for r in out:
        r.update(method=method, fit_s=seconds, peak_mb=peak, params=params, **totals)
    return out


def _traced(cfg, seed, method, task=None):
    if task is not None and not task.trace_memory:
        return False
    return seed in cfg.memory_seeds and method in cfg.memory_methods


def _fit_ensemble(task, members, seed, cfg, method, X, y, site, **params):
    ens = _ensemble(task, members, seed, cfg, **params)
    traced = _traced(cfg, seed, method, task)
    return measure(lambda: ens.fit(X, y, site=site), seed, traced)


def _pooled(task, seed, cfg):
    out = []
    for member in task.members:
        name, est, cols = member[0], member[1], _columns(member)
        fitted, seconds, peak = measure(
            lambda est=est, cols=cols: clone(est).fit(take(task.X, cols), task.y),
            seed,
            _traced(cfg, seed, "pooled", task),
        )
        out.append(
            dict(
                member=name,
                learner=_learner(est),
                score=_score(
                    fitted, take(task.X_test, cols), task.y_test, task.regression
                ),
                n_rows=len(task.y),
                n_virtual=0,
                method="pooled",
                fit_s=seconds,
                peak_mb=peak,
                params="",
            )
        )
    return out


def validation_mask(site, seed, fraction=0.2):
    """A ``fraction`` of each site's rows, drawn at random."""
    rng = np.random.RandomState(seed)
    val = np.zeros(len(site), dtype=bool)
    for s in np.unique(site):
        idx = rng.permutation(np.flatnonzero(site == s))
        val[idx[: int(fraction * len(idx))]] = True
    return val


def tune_kd(task, seed, cfg):
    """(T, w) with the best mean member accuracy on a validation split."""
    val = validation_mask(task.site, seed)
    X_fit, y_fit, s_fit = rows(task.X, ~val), task.y[~val], task.site[~val]
    X_val, y_val = rows(task.X, val), task.y[val]
    best, best_score = None, -np.inf
    for t, w in task.tune_grid or cfg.tune_grid:
        ens = _ensemble(
            task, task.members, seed, cfg, distiller=SoftTargetDistiller(t, w)
        )
        _seed_torch(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                ens.fit(X_fit, y_fit, site=s_fit)
            except ValueError:  # a site lost a class to the validation split
                continue
        score = np.mean(
            [
                accuracy_score(y_val, est.predict(take(X_val, _columns(m))))
                for m, est in zip(task.members, ens.estimators_)
            ]
        )
        if score > best_score:
            best, best_score = (t, w), score
    return best or (2.0, 0.5)


def _no_duplicates(results):
    ckd = [r for r in results if r["method"] == "ckd"]
    return bool(ckd) and ckd[0].get("kept") == ckd[0].get("found")


def _copy_rows(results, source, method):
    out = []
    for r in results:
        if r["method"] == source:
            out.append(
                dict(r, method=method, params="same fit as ckd: no duplicate to drop")
            )
    return out


def _failed(task, seed, method, exc):
    where = f"{task.experiment} {task.setting} seed {seed} {method}"
    print(f"    {where} FAILED: {exc}")
    return dict(
        member="(failed)",
        learner="",
        score=np.nan,
        method=method,
        params=f"{type(exc).__name__}: {exc}"[:300],
    )


def run_task(task, seed, cfg):
    """Every method of ``task`` on one seed: a list of result rows.

    Also returns the cooperative fit's transfer report (teacher, student,
    found, kept) for the heatmaps.
    """
    results, transfers = [], []
    X, y, site = task.X, task.y, task.site
    for method in task_methods(task, cfg):
        if cfg.verbose:
            print(
                f"  {task.experiment} {task.setting} seed={seed} {method}", flush=True
            )
        if method == "pooled":
            try:
                results += _pooled(task, seed, cfg)
            except Exception as exc:  # record the failure, go on
                results.append(_failed(task, seed, method, exc))
            continue
        members, Xm, ym, sm, params, label = task.members, X, y, site, {}, ""
        if method == "alone":
            params = dict(n_rounds=0)
        elif method == "kd":
            params = dict(distiller=SoftTargetDistiller())
        elif method == "kd_tuned":
            t0, key = time.perf_counter(), (task.experiment, task.setting)
            if key not in cfg.tuned or seed in cfg.tune_seeds:
                cfg.tuned[key] = tune_kd(task, seed, cfg)
            t, w = cfg.tuned[key]
            tune_s = time.perf_counter() - t0
            params, label = dict(distiller=SoftTargetDistiller(t, w)), f"T={t},w={w}"
        elif method == "pkd":
            params = dict(distiller=PartitionedDistiller())
        elif method == "dml":
            members = [m for m in task.members if _is_iterative(m[1])]
            if len(members) < 2:
                continue
            keep = np.isin(site, [m[0] for m in members])
            Xm, ym, sm = rows(X, keep), y[keep], site[keep]
            params = dict(distiller=MutualLearningDistiller())
            label = "peers=" + "+".join(m[0] for m in members)
        elif method == "ckd":
            params = dict(dedupe=True)
            params.update(cfg.ckd_params)
            label = _label(cfg.ckd_params)
        elif method == "ckd_dup":
            if _no_duplicates(results):
                # dedupe dropped nothing: dedupe=False gives the same fit
                results += _copy_rows(results, "ckd", "ckd_dup")
                continue
            params = dict(cfg.ckd_params, dedupe=False)
            label = _label(params)
        elif method in ("fedmd", "feddf"):
            cls = FedMDDistiller if method == "fedmd" else FedDFDistiller
            params = dict(distiller=cls(X_public=task.public))
        elif method == "ckd_public":
            Xm, ym, sm = with_public_rows(task, seed, cfg)
            params = dict(cfg.ckd_params)
            label = "public rows labelled by the alone vote"
        elif method in cfg.ckd_variants:
            params = dict(dedupe=True)
            params.update(cfg.ckd_params)
            params.update(cfg.ckd_variants[method])
            label = _label(params)
        else:
            raise ValueError(f"Unknown method {method!r}.")
        try:
            ens, seconds, peak = _fit_ensemble(
                task, members, seed, cfg, method, Xm, ym, sm, **params
            )
            new = _ensemble_rows(task, ens, members, method, seed, seconds, peak, label)
        except Exception as exc:  # record the failure, go on with the other methods
            results.append(_failed(task, seed, method, exc))
            continue
        if task.public is not None:
            from traffic import bytes_per_round

            sent = bytes_per_round(method, task, ens)
            for r in new:
                r["bytes_round"] = sent
        if method == "kd_tuned":
            for r in new:
                r["tune_s"] = tune_s
        results += new
        is_ckd = method == "ckd" or method in cfg.ckd_variants
        if is_ckd and hasattr(ens, "transfer_report_"):
            rep = ens.transfer_report_
            for i in range(len(rep["teacher"])):
                transfers.append(
                    dict(
                        experiment=task.experiment,
                        setting=task.setting,
                        seed=seed,
                        method=method,
                        teacher=str(rep["teacher"][i]),
                        student=str(rep["student"][i]),
                        cls=str(rep["class"][i]) if "class" in rep else "",
                        qualifying=int(rep["qualifying"][i]),
                        found=int(rep["found"][i]),
                        kept=int(rep["kept"][i]),
                    )
                )
    for r in results:
        r.update(
            experiment=task.experiment, setting=task.setting, seed=seed, **task.extra
        )
        r["metric"] = "r2" if task.regression else "accuracy"
    return results, transfers


def with_public_rows(task, seed, cfg):
    """Every site's rows plus the public rows, labelled by the alone vote."""
    import pandas as pd

    alone = _ensemble(task, task.members, seed, cfg, n_rounds=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone.fit(task.X, task.y, site=task.site)
    labels = alone.predict(task.public)
    names = [m[0] for m in task.members]
    blocks = [task.X] + [task.public] * len(names)
    if hasattr(task.X, "iloc"):
        X = pd.concat(blocks, ignore_index=True).astype(task.X.dtypes.to_dict())
    else:
        X = np.concatenate(blocks)
    y = np.concatenate([task.y] + [labels.astype(task.y.dtype)] * len(names))
    site = np.concatenate(
        [task.site] + [np.full(len(labels), n, dtype=object) for n in names]
    )
    return X, y, site


# ---------------------------------------------------------------- sites
def skewed_sites(y, names, alpha, seed, min_classes=2, min_per_class=1):
    """Dirichlet label-skewed sites (member names) each holding >= 2 classes.

    A draw is kept when every site holds ``min_classes`` classes or more and
    every class it holds at least ``min_per_class`` rows (learners with an
    inner stratified CV, such as CalibratedClassifierCV, need a few).
    """
    from skcoop.partition import DirichletPartitioner

    k = len(names)
    rng = np.random.RandomState(seed)
    part = DirichletPartitioner(
        n_sites=k,
        alpha=alpha,
        min_partition_size=max(2, min(10, len(y) // (3 * k))),
        max_tries=100,
        random_state=rng,
    )
    for _ in range(200):
        site = part.split(np.zeros((len(y), 1)), y)
        counts = [np.unique(y[site == s], return_counts=True)[1] for s in range(k)]
        if all(c.size >= min_classes and c.min() >= min_per_class for c in counts):
            return np.asarray(names, dtype=object)[site]
    raise RuntimeError(
        f"No Dirichlet({alpha}) draw gave every site {min_classes} classes."
    )


def iid_sites(n, names, seed):
    rng = np.random.RandomState(seed)
    return np.asarray(names, dtype=object)[rng.permutation(n) % len(names)]


# ---------------------------------------------------------------- nets
def have_torch():
    try:
        import skorch  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


try:
    import torch
except ImportError:  # skorch members are left out
    torch = None
    MLP = None
else:

    class MLP(torch.nn.Module):
        """One hidden ReLU layer; logits out (CrossEntropyLoss)."""

        def __init__(self, n_in=64, n_hidden=64, n_out=10):
            super().__init__()
            self.net = torch.nn.Sequential(
                torch.nn.Linear(n_in, n_hidden),
                torch.nn.ReLU(),
                torch.nn.Linear(n_hidden, n_out),
            )

        def forward(self, X):
            return self.net(X)


def skorch_mlp(n_features, n_classes, hidden=64, max_epochs=20, lr=1e-3, batch_size=64):
    """A small skorch MLP classifier (float32 X, int labels 0..K-1)."""
    from skorch import NeuralNetClassifier

    return NeuralNetClassifier(
        MLP,
        module__n_in=n_features,
        module__n_hidden=hidden,
        module__n_out=n_classes,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        train_split=None,
        iterator_train__shuffle=True,
        verbose=0,
    )
