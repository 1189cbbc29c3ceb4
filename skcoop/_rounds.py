"""The rounds of distillation, driven in one process over the per-site steps.

Cooperative (counterfactual) distillation: per round, each teacher runs
:func:`~skcoop._teach.teach_at_site` on its own rows, then each student runs
the receiving end of :func:`~skcoop._learn.learn`. Classic KD: the strategy object
(``distiller``) refits the students from the others' soft outputs. Both take
a :class:`~skcoop._context.FitContext` and return plain values; nothing is
stored on the estimator, and nothing calls back into it.
"""

# SPDX-License-Identifier: BSD-3-Clause

import time

from sklearn.base import clone
from sklearn.utils.parallel import Parallel, delayed

from ._context import QUIET
from ._expertise import SiteModel
from ._learn import (
    column_mapper,
    kept_entries,
    learn,
    merge_virtual,
    receive,
    student_fit_params,
)
from ._records import Rounds
from ._teach import teach_at_site, warn_no_shared_columns
from .utils import draw_seed, fit_member, is_pretrained, take, with_classes

__all__ = []


def site_models(ctx, models):
    """Each member's fitted model as a site sees it."""
    return [
        SiteModel(m.name, model, m.columns, m.keys, m.template)
        for m, model in zip(ctx.members, models)
    ]


def fit_initial(ctx, n_jobs=None, log=QUIET):
    """Each member fitted on its own rows, from a clone."""
    n = len(ctx.members)
    return Parallel(n_jobs=n_jobs)(
        delayed(fit_member)(
            clone(m.template)
            if ctx.classes is None
            else with_classes(clone(m.template), ctx.classes),
            m.X,
            m.y,
            m.name,
            message=log.member_fit(m.name, len(m.y), "Fitting", idx, n),
            fit_params=student_fit_params(
                m.name,
                m.template,
                m.params,
                len(m.y),
                0,
                ctx.settings,
                ctx.weights_routed,
            ),
        )
        for idx, m in enumerate(ctx.members)
    )


def teacher_step(ctx, i, models, virtual, seed, n_round, log=QUIET):
    """Teacher ``i``'s step in a round: :func:`~skcoop._teach.teach_at_site`.

    The in-process adapter: the teacher's site rows, weights and pool from
    the fit context; each lesson's ``source`` becomes a row of the fit's
    ``X``. Returns the lessons, the report entries and the teacher's bound.
    """
    member = ctx.members[i]
    sites = site_models(ctx, models)
    if ctx.pool == "site":
        pool, X_pool, y_pool = member.rows[member.teaching_rows], None, None
    else:
        pool = ctx.pool_rows(i)
        X_pool, y_pool = take(ctx.X, pool), ctx.y[pool]
    # the member's own rows are the site's when it reads every column: no copy
    X_site = member.X if member.columns is None else take(ctx.X, member.rows)
    lessons, report, bound = teach_at_site(
        sites[i],
        sites[:i] + sites[i + 1 :],
        X_site,
        member.y,
        template=member.template,
        judge=ctx.judge,
        settings=ctx.settings,
        seed=seed,
        n_round=n_round,
        X_own=member.X,
        weight=member.weight,
        sample_weight=member.params.get("sample_weight"),
        virtual=virtual,
        classes=ctx.classes,
        X_pool=X_pool,
        y_pool=y_pool,
        log=log,
        progress=log.progress,
    )
    for lesson in lessons:
        lesson.source = pool[lesson.source]
    return lessons, report, bound


def refit(ctx, virtual, which, starts, n_jobs=None, log=QUIET):
    """Students ``which``, each refitted on its own rows plus its virtual rows.

    ``starts`` holds, per member, the fitted model a warm refit may start
    from (the student of the previous round, or the member alone).
    """
    n = len(ctx.members)
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
            fitted=starts[j],
            message=log.member_fit(
                ctx.members[j].name,
                len(ctx.members[j].y) + len(virtual[j]),
                "Refitting",
                j,
                n,
            ),
        )
        for j in which
    )


def cooperative_rounds(ctx, initial, rng, n_rounds, *, n_jobs=None, log=QUIET):
    """Run ``n_rounds`` of cooperative distillation.

    Teachers run through :class:`sklearn.utils.parallel.Parallel` (so
    ``joblib.parallel_config(backend="dask")`` or Ray's joblib backend
    spreads them over a cluster), then students are refitted the same way.
    ``log`` (a :class:`~skcoop._context.FitLog`) prints progress lines and,
    when verbose, each teacher's search as a progress bar (tqdm) or as log
    lines.

    Returns
    -------
    rounds : Rounds
        The students; per member its virtual rows (a
        :class:`~skcoop._records.VirtualBatch`, or None); the teachers'
        report entries and the students' kept entries; the teachers' bounds
        in the last round (None without a round).
    """
    k = len(ctx.members)
    index = {name: j for j, name in enumerate(ctx.names)}
    students, virtual, report, kept, bounds = list(initial), [None] * k, [], [], None
    for n_round in range(n_rounds):
        start = time.perf_counter()
        seeds = draw_seed(rng, size=k)
        taught = Parallel(n_jobs=n_jobs)(
            delayed(teacher_step)(ctx, i, students, virtual[i], seeds[i], n_round, log)
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
            kept.extend(kept_entries(merged, n_old, ctx.judge, n_round))
            if len(merged) > n_old:
                changed.append(j)
        for j, est in zip(changed, refit(ctx, virtual, changed, students, n_jobs, log)):
            students[j] = est
        total = sum(0 if v is None else len(v) for v in virtual)
        log(
            f"round {n_round + 1} done in {time.perf_counter() - start:.2f}s: "
            f"{total} virtual instances in all"
        )
    return Rounds(students, virtual, tuple(report), tuple(kept), bounds)


def kd_rounds(ctx, distiller, initial, rng, n_rounds, *, log=QUIET):
    """Classic KD rounds: each student learns the others' soft outputs."""
    members = ctx.members
    mappers = {}

    def transform(i, j, X_j):
        """Rows of member ``j``'s columns written in member ``i``'s columns."""
        if members[i].keys == members[j].keys:
            return X_j
        if (j, i) not in mappers:
            mapper = column_mapper(
                members[j].keys, members[i].keys, ctx.settings.fill, members[i].X
            )
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
            random_state=draw_seed(rng),
            transform=transform,
            names=ctx.names,
            pretrained=[is_pretrained(m.template) for m in members],
            columns=[m.columns for m in members],
            reference=ctx.X,
        )
        log(
            f"round {n_round + 1}: {type(distiller).__name__} refitted "
            f"{len(students)} students in {time.perf_counter() - start:.2f}s"
        )
    return students
