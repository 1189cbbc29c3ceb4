"""The acceptance step: keep distillation only where every site's holdout agrees.

Each site holds out a fraction of its own rows before anything is fitted.
After the rounds, each candidate of a member (the member alone, and the
member distilled) is scored on every site's holdout: each site runs the
candidate on its own held-out rows and reports only a score (right answers,
or squared errors, and a count), never a row. The member keeps the candidate
with the better pooled score, and is then refitted on all its own rows (plus
its virtual rows, if it kept distillation). A student's own holdout alone
could not see gains on classes its site lacks; the holdouts of all sites can.
"""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import replace

import numpy as np
from sklearn.model_selection import train_test_split

from ._context import QUIET
from ._records import AcceptanceEntry
from ._rounds import cooperative_rounds, fit_initial, refit
from .utils import RTOL, draw_seed, is_per_row, take

__all__ = []


def holdout_split(member, fraction, seed, stratify):
    """Positions of a member's own rows to train on and to hold out.

    Stratified by class when every class has at least two rows; a site too
    small to spare a row holds none out.
    """
    n = len(member.y)
    n_out = int(np.floor(fraction * n))
    positions = np.arange(n)
    if n_out < 1 or n - n_out < 2:
        return positions, positions[:0]
    strata = None
    if stratify:
        _, counts = np.unique(member.y, return_counts=True)
        if counts.min() >= 2 and n_out >= counts.size and n - n_out >= counts.size:
            strata = member.y
    train, test = train_test_split(
        positions, test_size=n_out, random_state=seed, stratify=strata
    )
    return np.sort(train), np.sort(test)


def restrict(member, positions):
    """The member as if it owned only ``positions`` of its rows."""
    n = len(member.y)

    def cut(value):
        if is_per_row(value, n):
            return (
                take(value, positions)
                if hasattr(value, "iloc")
                else (np.asarray(value)[positions])
            )
        return value

    return replace(
        member,
        rows=member.rows[positions],
        X=take(member.X, positions),
        y=member.y[positions],
        params={key: cut(val) for key, val in member.params.items()},
        weight=None if member.weight is None else member.weight[positions],
    )


def site_score(judge, model, X, y):
    """What one site reports about a candidate: a score sum and a count.

    Classification: right answers; regression: minus the squared errors.
    """
    if len(y) == 0:
        return 0.0, 0
    if judge.task == "classification":
        return float(np.sum(judge.errors(model, X, y) == 0)), len(y)
    return -float(np.sum(judge.errors(model, X, y) ** 2)), len(y)


def pooled_score(judge, model, columns, holdouts):
    """A candidate's score over every site's holdout (sum over count)."""
    total, count = 0.0, 0
    for X_site, y_site in holdouts:
        s, n = site_score(judge, model, take(X_site, columns=columns), y_site)
        total, count = total + s, count + n
    return total / count if count else np.nan


def choose(judge, members, candidates, holdouts):
    """Per member, the candidate with the best pooled holdout score.

    Parameters
    ----------
    members : list of Member
    candidates : dict of str -> list of fitted estimators
        ``{"alone": [...], "distilled": [...]}``, one per member.
    holdouts : list of (X, y)
        Each site's held-out rows (every column).

    Returns
    -------
    report : list of AcceptanceEntry
        Per member: its name, the score of each candidate, the one kept and
        why, and the number of held-out rows it was judged on.
    """
    n_holdout = sum(len(y) for _, y in holdouts)
    report = []
    for j, member in enumerate(members):
        scores = {
            kind: pooled_score(judge, models[j], member.columns, holdouts)
            for kind, models in candidates.items()
        }
        alone, distilled = scores["alone"], scores["distilled"]
        if np.isnan(distilled) or np.isnan(alone):
            kept, why = "distilled", "no held-out row to judge on"
        elif distilled >= alone - RTOL * max(abs(alone), abs(distilled)):
            kept, why = "distilled", "distilled scored at least as well as alone"
        else:
            kept, why = "alone", "distillation lowered the held-out score"
        report.append(
            AcceptanceEntry(
                member=member.name,
                alone=alone,
                distilled=distilled,
                kept=kept,
                reason=why,
                n_holdout=n_holdout,
            )
        )
    return report


def accepted_rounds(ctx, initial, rng, n_rounds, fraction, *, n_jobs=None, log=QUIET):
    """Rounds on the sites' training rows, then the acceptance step.

    Each site holds out ``fraction`` of its rows; members fitted on the rest
    are distilled; each member keeps distillation only if it scores at least
    as well as alone on every site's holdout pooled, and is then refitted on
    all its own rows (``initial`` when it stays alone).

    Returns the :class:`~skcoop._records.Rounds` of
    :func:`~skcoop._rounds.cooperative_rounds` on the training rows, with
    the final students and virtual rows and the acceptance entries of
    :func:`choose`.
    """
    seeds = draw_seed(rng, size=len(ctx.members))
    stratify = ctx.judge.task == "classification"
    splits = [
        holdout_split(m, fraction, int(seed), stratify)
        for m, seed in zip(ctx.members, seeds)
    ]
    weight = (
        np.ones(len(ctx.y))
        if ctx.sample_weight is None
        else np.asarray(ctx.sample_weight, dtype=float).copy()
    )
    for m, (_, out) in zip(ctx.members, splits):
        weight[m.rows[out]] = 0  # held-out rows neither teach nor learn
    train_ctx = replace(
        ctx,
        members=tuple(restrict(m, tr) for m, (tr, _) in zip(ctx.members, splits)),
        sample_weight=weight,
    )
    initial_train = fit_initial(train_ctx, n_jobs, log)
    done = cooperative_rounds(
        train_ctx, initial_train, rng, n_rounds, n_jobs=n_jobs, log=log
    )
    holdouts = [
        (take(ctx.X, m.rows[out]), m.y[out]) for m, (_, out) in zip(ctx.members, splits)
    ]
    accepted = choose(
        ctx.judge,
        ctx.members,
        {"alone": initial_train, "distilled": done.students},
        holdouts,
    )
    virtual = list(done.virtual)
    redo = [
        j
        for j, entry in enumerate(accepted)
        if entry.kept == "distilled" and virtual[j] is not None
    ]
    refitted = refit(ctx, virtual, redo, initial, n_jobs, log)
    final = list(initial)
    for j, est in zip(redo, refitted):
        final[j] = est
    for j, entry in enumerate(accepted):
        log(
            f"acceptance: {entry.member} keeps {entry.kept} (alone "
            f"{entry.alone:.4f}, distilled {entry.distilled:.4f} on "
            f"{entry.n_holdout} held-out rows)"
        )
        if entry.kept == "alone":
            virtual[j] = None  # it learns from none of them
    return replace(done, students=final, virtual=virtual, accepted=tuple(accepted))
