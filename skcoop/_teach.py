"""The teacher's half of cooperative distillation, at the teacher's site.

:func:`teach_at_site` is the teacher's whole step, written once: its output
on its own rows remembered, its own errors (in-sample or out-of-fold), who
is right on the rows it judges (``_expertise.py``), then :func:`teach`: the
rows it teaches (expertise, deficiency), one batched counterfactual search,
the release guard, and each student's virtual rows in the columns the two
share. The in-process rounds (``_rounds.py``) and :func:`skcoop.silo.teach`
are thin adapters over it; the student's half is in ``_learn.py``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import inspect
import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.utils import Bunch

from ._expertise import judge_site, own_errors, remember_output
from ._records import TransferEntry
from ._steps import expertise, teaching_sets
from .counterfactual import make_search
from .utils import (
    SearchProgress,
    is_frame,
    offset_seed,
    take,
    take_rows,
    warn_at_caller,
)
from .views import NoSharedColumnsWarning

__all__ = []


@dataclass
class Lesson:
    """What one teacher sends one student in one round.

    ``X`` holds the rows in the columns the two share (``keys``, in the
    teacher's order); ``source`` (positions among the teacher's site rows)
    never leaves the teacher's site: the in-process ensemble keeps it for its
    report, :mod:`skcoop.silo` drops it.
    """

    teacher: str
    student: str
    X: object
    y: np.ndarray
    keys: list
    n_round: int = 0
    source: np.ndarray = field(default=None, repr=False)


# ------------------------------------------------------------ the whole step
def teach_at_site(
    teacher,
    peers,
    X_site,
    y_site,
    *,
    template,
    judge,
    settings,
    seed,
    n_round=0,
    X_own=None,
    weight=None,
    sample_weight=None,
    virtual=None,
    classes=None,
    X_pool=None,
    y_pool=None,
    log=None,
    progress=False,
):
    """Everything a teacher does in a round, on its own site's rows.

    Remember its output on its own rows, judge its own errors (in-sample or
    out-of-fold), judge who is right on the rows it judges under its bound,
    then :func:`teach`. The in-process rounds and :func:`skcoop.silo.teach`
    both call this function.

    Parameters
    ----------
    teacher : SiteModel
        The teacher (its fitted model, columns and keys).
    peers : list of SiteModel
        Its students, in order.
    X_site, y_site : the site's rows (every column) and their targets.
    template : estimator
        What the teacher was fitted from (the out-of-fold judge refits
        clones of it), or a pre-trained member.
    judge, settings : the task's judge and the distillation settings.
    seed : int
        Seeds the folds, the search and the release guard.
    n_round : int, default=0
        The round, recorded in the lessons and the report.
    X_own : array-like, default=None
        The site's rows in the teacher's columns, if the caller holds them
        (None: selected from ``X_site``).
    weight : ndarray of shape (n_site,), default=None
        The site's sample weights: rows of weight 0 neither teach nor serve
        as search reference; the search's scales are weighted.
    sample_weight : ndarray of shape (n_site,), default=None
        The weights the teacher's own fit takes (its out-of-fold fits, the
        bound's quantile); under metadata routing, None where the member
        does not request them.
    virtual : VirtualBatch, default=None
        The virtual rows the teacher received in earlier rounds (its
        out-of-fold fits add them, as the teacher itself was fitted).
    classes : ndarray, default=None
        Class labels of the problem (classification).
    X_pool, y_pool : rows judged instead of the site's own (``pool="union"``,
        simulations only), or None.
    log : callable, default=None
        Takes one progress line.
    progress : bool, default=False
        Show the search's progress.

    Returns
    -------
    lessons : list of Lesson
        One per student that shares a column with the teacher; ``source``
        is a position among the rows judged (the site's teaching rows, or
        the pool).
    report : list of TransferEntry
    bound : float
        The teacher's bound.
    """
    if not getattr(teacher.model, "can_teach_", True):  # one class: learns only
        return [], [], judge.bound(np.zeros(0))
    y_site = np.asarray(y_site)
    if X_own is None:
        X_own = take(X_site, columns=teacher.columns)
    teaching = np.arange(len(y_site)) if weight is None else np.flatnonzero(weight != 0)
    model, output = remember_output(teacher.model, X_own, judge.task)
    errors = own_errors(
        template,
        model,
        X_own,
        y_site,
        judge,
        settings,
        seed=seed,
        fit_params={} if sample_weight is None else {"sample_weight": sample_weight},
        virtual=virtual,
        classes=classes,
    )
    right, bound, X_rows, y_rows = judge_site(
        teacher,
        peers,
        X_site,
        y_site,
        judge,
        own_errors=errors,
        own_weight=sample_weight,
        X_pool=X_pool,
        y_pool=y_pool,
        teaching=teaching,
    )
    own_output = None if output is None else output[teaching]
    lessons, report = teach(
        teacher,
        peers,
        X_rows,
        y_rows,
        right,
        X_ref=take_rows(X_own, teaching),
        y_ref=y_site[teaching],
        judge=judge,
        settings=settings,
        seed=seed,
        bound=bound,
        n_round=n_round,
        log=log,
        output=own_output if X_pool is None else None,
        ref_output=own_output,
        w_ref=None if weight is None else np.asarray(weight)[teaching],
        progress=progress,
    )
    return lessons, report, bound


# ------------------------------------------------------------------ teaching
def teach(
    teacher,
    peers,
    X_rows,
    y_rows,
    right,
    *,
    X_ref,
    y_ref,
    judge,
    settings,
    seed,
    bound=None,
    n_round=0,
    log=None,
    output=None,
    ref_output=None,
    w_ref=None,
    progress=False,
):
    """Teacher's counterfactuals for every student, in their shared columns.

    Parameters
    ----------
    teacher : SiteModel
    peers : list of SiteModel
        The students, in order.
    X_rows, y_rows : rows the teacher judged (every column), and targets.
    right : ndarray of shape (1 + n_peers, n_rows), dtype=bool
        From :func:`judge_site`.
    X_ref, y_ref : the teacher's own rows in its columns (search reference).
    w_ref : ndarray or None
        Sample weights of the reference rows (the search's scales are
        weighted, meaning repetition).
    judge, settings : the task's judge and the distillation settings.
    seed : int
        Seeds the search (and the release guard).
    bound : float, default=None
        The teacher's bound from :func:`judge_site` (the release guard's
        tolerance in regression).
    output, ref_output : ndarray or None, default=None
        The teacher's raw output (``predict_proba`` or ``predict``) on
        ``X_rows`` and on ``X_ref`` when the caller has it from judging: the
        search then spends no model call on the source rows or on choosing
        anchors.
    progress : bool, default=False
        Show the search's progress (rows searched, rows per second, time
        left): a tqdm bar when tqdm is installed, else lines through ``log``.

    Returns
    -------
    lessons : list of Lesson
        One per student that shares a column with the teacher, in order.
    report : list of TransferEntry
        Per student and report group: ``qualifying`` rows, counterfactuals
        ``found``, rows the release guard ``guarded`` (moved) and
        ``dropped`` (what each student keeps, its side counts).
    """
    log = log or (lambda message: None)
    expert = expertise(right[0])
    pairs, query = teaching_sets(expert, right, 0, scope=settings.scope)
    for j, peer in enumerate(peers, start=1):
        log(
            f"round {n_round + 1}: |R({teacher.name} -> {peer.name})| = {pairs[j].size}"
        )
    start = time.perf_counter()
    result, searched = _search(
        teacher,
        X_rows,
        y_rows,
        query,
        X_ref,
        y_ref,
        settings,
        seed,
        output=output,
        ref_output=ref_output,
        w_ref=w_ref,
        progress=(
            f"round {n_round + 1}, teacher {teacher.name!r}" if progress else None
        ),
        log=log,
    )
    released = _release(
        result, searched, y_rows, teacher, X_ref, y_ref, judge, settings, bound, seed
    )
    seconds = time.perf_counter() - start
    lessons, report = [], []
    for j, peer in enumerate(peers, start=1):
        rows = pairs[j]
        shared = _shared_keys(teacher, peer)
        at = _positions(rows, searched)
        found = np.zeros(rows.size, bool)
        ok = np.zeros(rows.size, bool)
        guarded = np.zeros(rows.size, bool)
        if shared and released is not None:
            found[at >= 0] = released.found[at[at >= 0]]
            ok[at >= 0] = released.keep[at[at >= 0]]
            guarded[at >= 0] = released.changed[at[at >= 0]]
        Xv = take(released.X, released.rank[at[ok]]) if ok.any() else None
        yv = (
            released.y[released.rank[at[ok]]]
            if ok.any()
            else np.asarray(y_rows)[rows[ok]]
        )
        if ok.any() and shared != list(teacher.keys):
            local = [list(teacher.keys).index(key) for key in shared]
            Xv = take(Xv, columns=local)
        if Xv is not None and is_frame(Xv):
            Xv = Xv.reset_index(drop=True)  # no pointer back to a raw row
        if shared:
            lessons.append(
                Lesson(
                    teacher=teacher.name,
                    student=peer.name,
                    X=Xv,
                    y=yv,
                    keys=shared,
                    n_round=n_round,
                    source=rows[ok],
                )
            )
        y_taught = np.asarray(y_rows)[rows]
        for label, in_group in judge.groups(y_taught):
            report.append(
                TransferEntry(
                    round=n_round,
                    teacher=teacher.name,
                    student=peer.name,
                    group=label,
                    qualifying=int(in_group.sum()),
                    found=int((found & in_group).sum()),
                    guarded=int((guarded & ok & in_group).sum()),
                    dropped=int((found & ~ok & in_group).sum()),
                    seconds=seconds,  # the teacher's search, all its students
                )
            )
        log(
            f"round {n_round + 1}: search {teacher.name} -> {peer.name}: "
            f"{int(ok.sum())} of {rows.size} counterfactuals found "
            f"(teacher search {seconds:.2f}s for {searched.size} rows)"
        )
    return lessons, report


def _search(
    teacher,
    X_rows,
    y_rows,
    query,
    X_ref,
    y_ref,
    settings,
    seed,
    *,
    output=None,
    ref_output=None,
    w_ref=None,
    progress=None,
    log=None,
):
    """One batched search of the teacher for every row it teaches.

    ``output``/``ref_output``: the teacher's outputs on ``X_rows`` and
    ``X_ref``, passed on to a search whose ``generate`` takes them;
    ``progress``: the description of a progress bar (None: no bar).
    """
    if query.size == 0:
        return None, query
    search = make_search(settings.counterfactual, teacher.model)
    params = search.get_params(deep=False) if hasattr(search, "get_params") else {}
    update = {"alpha": settings.alpha} if "alpha" in params else {}
    if "random_state" in params and params["random_state"] is None:
        update["random_state"] = int(seed)
    if update:
        search.set_params(**update)
    X_query = take(X_rows, query, teacher.columns)
    if hasattr(X_query, "isna") and not X_ref.isna().to_numpy().any():
        # a search fitted on complete rows cannot hold a missing value fixed
        # (pool="union" can bring other sites' incomplete rows)
        complete = ~X_query.isna().to_numpy().any(axis=1)
        query, X_query = query[complete], X_query[complete]
        if query.size == 0:
            return None, query
    weighted = w_ref is not None and (
        "sample_weight" in inspect.signature(search.fit).parameters
    )
    search.fit(X_ref, y_ref, **({"sample_weight": w_ref} if weighted else {}))
    accepts = inspect.signature(search.generate).parameters
    kwargs = {}
    if output is not None and "initial_output" in accepts:
        kwargs["initial_output"] = np.asarray(output)[query]
    n_ref = getattr(getattr(search, "X_ref_", None), "shape", (-1,))[0]
    if ref_output is not None and "reference_output" in accepts:
        if len(ref_output) == n_ref:  # the search kept every reference row
            kwargs["reference_output"] = ref_output
    bar = None
    if progress is not None and "progress" in accepts:
        bar = SearchProgress(query.size, progress, log=log)
        kwargs["progress"] = bar.update
    y_query = np.asarray(y_rows)[query]
    try:
        blocks = []
        for lo in range(0, query.size, SEARCH_BLOCK):
            part = slice(lo, lo + SEARCH_BLOCK)
            given = dict(kwargs)
            if "initial_output" in given:
                given["initial_output"] = given["initial_output"][part]
            X_part = (
                X_query
                if query.size <= SEARCH_BLOCK
                else take(X_query, np.arange(query.size)[part])
            )
            blocks.append(
                search.generate(teacher.model, X_part, y_query[part], **given)
            )
    finally:
        if bar is not None:
            bar.close()
    return join_results(blocks), query


#: Rows searched in one ``generate`` call: a larger query is searched in
#: blocks, so that the search's working memory (candidates, outputs) stays
#: that of this many rows however many rows a teacher teaches (at 1M rows,
#: one call held about 1.2 GB); fits of up to this many rows per teacher
#: search in one call, as before.
SEARCH_BLOCK = 65_536


def join_results(blocks):
    """One :class:`~skcoop.counterfactual.CounterfactualResult` of blocks in order.

    Per-row fields are concatenated (rows of a DataFrame re-indexed), counts
    and times summed, other fields taken from the first block.
    """
    if len(blocks) == 1:
        return blocks[0]
    first = blocks[0]
    n = len(first)
    joined = type(first)()
    for key, value in first.items():
        values = [b[key] for b in blocks]
        if is_frame(value):
            import pandas as pd

            joined[key] = pd.concat(values, ignore_index=True)
        elif isinstance(value, np.ndarray) and value.ndim and len(value) == n:
            joined[key] = np.concatenate(values, axis=0)
        elif isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            joined[key] = type(value)(sum(values))
        else:
            joined[key] = value
    return joined


def _positions(rows, searched):
    """Position of each row in the sorted ``searched`` rows (-1: not searched)."""
    pos = np.searchsorted(searched, rows)
    inside = pos < searched.size
    inside[inside] = searched[pos[inside]] == rows[inside]
    return np.where(inside, pos, -1)


def _release(
    result, searched, y_rows, teacher, X_ref, y_ref, judge, settings, bound, seed
):
    """The searched rows that may leave the site, after the release guard.

    Returns None without a search, else a Bunch over the searched rows:
    ``found`` (the search reached its target), ``keep`` (found and not
    dropped by the guard), ``changed`` (kept and moved by the guard), ``X``
    and ``y`` (the kept rows, in order, and their labels: the guard's for
    a regressor's draws, else the searched rows' own) and ``rank``
    (position of each searched row in ``X``).
    """
    if result is None:
        return None
    found = np.asarray(result.success, dtype=bool)
    keep, changed = found.copy(), np.zeros_like(found)
    idx = np.flatnonzero(found)
    X_out = take(result.X, idx)
    y_out = np.asarray(y_rows)[searched[idx]]
    guard = settings.release_guard()
    if guard is not None and idx.size:
        regression = judge.task == "regression"
        # the report's distances are two scans quadratic in rows; the fit
        # reads neither (a guard of the user's may not take the keyword)
        quick = "distances" in inspect.signature(guard.release).parameters
        out = guard.release(
            X_out,
            y_out,
            X_ref,
            y_ref,
            model=teacher.model,
            classes=None if regression else judge.classes,
            tolerance=bound if regression else None,
            random_state=offset_seed(seed, 2),
            **({"distances": False} if quick else {}),
        )
        keep[idx] = out.keep
        changed[idx] = (out.prototype | out.pushed) & out.keep
        X_out, y_out = out.X, out.y
    rank = np.cumsum(keep) - 1
    return Bunch(found=found, keep=keep, changed=changed, X=X_out, y=y_out, rank=rank)


def _shared_keys(teacher, student):
    """Columns the two members share, in the teacher's order; warn if none."""
    student_keys = set(student.keys)
    shared = [key for key in teacher.keys if key in student_keys]
    if not shared:
        warn_no_shared_columns(teacher.name, student.name)
    return shared


def warn_no_shared_columns(teacher, student):
    """Warn that two members share no column, so nothing passes between them."""
    warn_at_caller(
        f"Members {teacher!r} and {student!r} share no column, so {teacher!r} "
        f"teaches {student!r} nothing. Give members overlapping columns to let "
        "knowledge pass between them.",
        NoSharedColumnsWarning,
    )
