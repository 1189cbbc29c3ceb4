"""The rounds of distillation, driven in one process over the per-site steps.

Cooperative (counterfactual) distillation: per round, each teacher runs
:func:`~skcoop._teach.teach` on its own rows, then each student runs the
receiving end of :func:`~skcoop._learn.learn`. Classic KD: the strategy object
(``distiller``) refits the students from the others' soft outputs. Both take
a :class:`~skcoop._context.FitContext` and return plain values; nothing is
stored on the estimator.
"""

# SPDX-License-Identifier: BSD-3-Clause

import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.utils.parallel import Parallel, delayed

from ._learn import kept_counts, learn, merge_virtual, receive
from ._teach import (
    SiteModel,
    judge_site,
    own_errors,
    remember_output,
    teach,
    warn_no_shared_columns,
)
from .utils import (
    is_pretrained,
    take,
    with_classes,
)
from .views import ColumnMapper, NoSharedColumnsWarning

__all__ = []

_SEED_MAX = np.iinfo(np.int32).max


def _quiet(message):
    """A log that prints nothing."""


def site_models(ctx, models):
    """Each member's fitted model as a site sees it."""
    return [
        SiteModel(m.name, model, m.columns, m.keys, m.template)
        for m, model in zip(ctx.members, models)
    ]


def teacher_step(ctx, i, models, virtual, seed, n_round, log=_quiet, progress=False):
    """Everything teacher ``i`` does in a round, on its own site's rows.

    Returns the lessons for its students (``source`` as rows of the fit's
    ``X``), the report entries and the teacher's bound.
    """
    member = ctx.members[i]
    if not getattr(models[i], "can_teach_", True):  # one class: learns only
        return [], [], ctx.judge.bound(np.zeros(0))
    sites = site_models(ctx, models)
    teacher, peers = sites[i], sites[:i] + sites[i + 1 :]
    model, output = remember_output(models[i], member.X, ctx.judge.task)
    errors = own_errors(
        member.template,
        model,
        member.X,
        member.y,
        ctx.judge,
        ctx.settings,
        seed=seed,
        fit_params=member.params,
        virtual=virtual,
        classes=ctx.classes,
    )
    teaching = member.teaching_rows
    X_site = take(ctx.X, member.rows)
    if ctx.pool == "site":
        pool, X_pool, y_pool = member.rows[teaching], None, None
    else:
        pool = ctx.pool_rows(i)
        X_pool, y_pool = take(ctx.X, pool), ctx.y[pool]
    right, bound, X_rows, y_rows = judge_site(
        teacher,
        peers,
        X_site,
        member.y,
        ctx.judge,
        own_errors=errors,
        own_weight=member.params.get("sample_weight"),
        X_pool=X_pool,
        y_pool=y_pool,
        teaching=teaching,
    )
    lessons, report = teach(
        teacher,
        peers,
        X_rows,
        y_rows,
        right,
        X_ref=take(member.X, teaching),
        y_ref=member.y[teaching],
        judge=ctx.judge,
        settings=ctx.settings,
        seed=seed,
        bound=bound,
        n_round=n_round,
        log=log,
        output=None if output is None or X_pool is not None else output[teaching],
        ref_output=None if output is None else output[teaching],
        w_ref=None if member.weight is None else np.asarray(member.weight)[teaching],
        progress=progress,
    )
    for lesson in lessons:
        lesson.source = pool[lesson.source]
    return lessons, report, bound


def refit(ctx, virtual, which, n_jobs=None, message=None):
    """Students ``which``, each refitted on its own rows plus its virtual rows."""
    message = message or (lambda name, n_rows, what, j: None)
    return Parallel(n_jobs=n_jobs)(
        delayed(learn)(
            ctx.members[j].name,
            ctx.members[j].template,
            ctx.members[j].X,
            ctx.members[j].y,
            virtual[j],
            params=ctx.members[j].params,
            settings=ctx.settings,
            classes=ctx.classes,
            weights_routed=ctx.weights_routed,
            message=message(
                ctx.members[j].name,
                len(ctx.members[j].y) + len(virtual[j]["y"]),
                "Refitting",
                j,
            ),
        )
        for j in which
    )


def cooperative_rounds(
    ctx,
    initial,
    rng,
    n_rounds,
    *,
    n_jobs=None,
    log=_quiet,
    message=None,
    progress=False,
):
    """Run ``n_rounds`` of cooperative distillation.

    Teachers run through :class:`sklearn.utils.parallel.Parallel` (so
    ``joblib.parallel_config(backend="dask")`` or Ray's joblib backend
    spreads them over a cluster), then students are refitted the same way.
    ``progress`` shows each teacher's search as a progress bar (tqdm) or as
    log lines.

    Returns
    -------
    students : list of fitted estimators
    virtual : list of dict or None
        Per member, its virtual rows (``X``, ``y``, ``teacher``,
        ``source_index``, ``round``).
    report : list of dict
        One entry per (round, teacher, student, report group).
    bounds : list of float or None
        The teachers' bounds in the last round (None without a round).
    """
    k = len(ctx.members)
    index = {name: j for j, name in enumerate(ctx.names)}
    students, virtual, report, bounds = list(initial), [None] * k, [], None
    message = message or (lambda name, n_rows, what, j: None)
    for n_round in range(n_rounds):
        start = time.perf_counter()
        seeds = rng.randint(_SEED_MAX, size=k)
        taught = Parallel(n_jobs=n_jobs)(
            delayed(teacher_step)(
                ctx, i, students, virtual[i], seeds[i], n_round, log, progress
            )
            for i in range(k)
        )
        inbox = [[] for _ in range(k)]
        for lessons, entries, _ in taught:
            report.extend(entries)
            for lesson in lessons:
                inbox[index[lesson.student]].append(lesson)
        bounds = [bound for *_, bound in taught]
        changed = []
        for j, member in enumerate(ctx.members):
            blocks = receive(inbox[j], member.keys, member.X, ctx.settings.fill)
            merged, n_old = merge_virtual(virtual[j], blocks, ctx.settings.dedupe)
            virtual[j] = merged
            if not blocks:
                continue
            kept = kept_counts(merged, n_old, ctx.judge)
            for entry in report:
                if entry["round"] == n_round and entry["student"] == member.name:
                    entry["kept"] = kept.get((entry["teacher"], entry["class"]), 0)
            if len(merged["y"]) > n_old:
                changed.append(j)
        for j, est in zip(changed, refit(ctx, virtual, changed, n_jobs, message)):
            students[j] = est
        total = sum(0 if v is None else len(v["y"]) for v in virtual)
        log(
            f"round {n_round + 1} done in {time.perf_counter() - start:.2f}s: "
            f"{total} virtual instances in all"
        )
    return students, virtual, report, bounds


def kd_rounds(ctx, distiller, initial, rng, n_rounds, *, log=_quiet):
    """Classic KD rounds: each student learns the others' soft outputs."""
    members = ctx.members
    mappers = {}

    def transform(i, j, X_j):
        """Rows of member ``j``'s columns written in member ``i``'s columns."""
        if members[i].keys == members[j].keys:
            return X_j
        if (j, i) not in mappers:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NoSharedColumnsWarning)
                mapper = ColumnMapper(
                    list(members[j].keys),
                    list(members[i].keys),
                    fill=ctx.settings.fill,
                ).fit(members[i].X)
            if mapper.n_shared_ == 0:
                warn_no_shared_columns(members[j].name, members[i].name)
            mappers[(j, i)] = mapper
        return mappers[(j, i)].transform(X_j)

    def template(m):
        if is_pretrained(m.template):
            return m.template.estimator
        est = clone(m.template)
        return est if ctx.classes is None else with_classes(est, ctx.classes)

    students = list(initial)
    for n_round in range(n_rounds):
        start = time.perf_counter()
        students = distiller.distill(
            [template(m) for m in members],
            [s.estimator if is_pretrained(s) else s for s in students],
            [m.X for m in members],
            [m.y for m in members],
            [m.params.get("sample_weight") for m in members],
            ctx.classes,
            random_state=rng.randint(_SEED_MAX),
            transform=transform,
            names=ctx.names,
            pretrained=[is_pretrained(m.template) for m in members],
        )
        log(
            f"round {n_round + 1}: {type(distiller).__name__} refitted "
            f"{len(students)} students in {time.perf_counter() - start:.2f}s"
        )
    return students
