"""The teacher's half of cooperative distillation, at the teacher's site.

Who is right on the site's rows (the teacher in-sample or out-of-fold, its
peers under the teacher's bound), the rows it teaches (expertise,
deficiency), one batched counterfactual search, the release guard, and each
student's virtual rows in the columns the two share. The in-process ensemble
(``_rounds.py``) and :func:`skcoop.silo.teach` call these functions; the
student's half is in ``_learn.py``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import inspect
import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.utils import Bunch

from ._folds import fold_splits
from ._steps import expertise, teaching_sets
from .counterfactual import make_search
from .privacy import guard_release
from .utils import (
    SearchProgress,
    concat_rows,
    final_skorch_net,
    is_pretrained,
    is_torch_model,
    take,
    warn_at_caller,
    weight_kwargs,
    with_classes,
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


# ------------------------------------------------------------------- judging
class _Remembered:
    """A fitted model that answers one known input from memory.

    ``predict_proba`` (or ``predict``) on the very object ``X`` returns the
    stored ``output``; every other call and attribute goes to the model. The
    teacher's output on its own rows is computed once, for judging and for
    the search.
    """

    def __init__(self, model, X, method, output):
        self._model, self._X, self._method, self._output = model, X, method, output

    def __getattr__(self, name):
        return getattr(self._model, name)

    def predict_proba(self, X):
        if self._method == "predict_proba" and X is self._X:
            return self._output
        return self._model.predict_proba(X)

    def predict(self, X):
        if self._method == "predict" and X is self._X:
            return self._output
        return self._model.predict(X)


def remember_output(model, X, task):
    """The teacher's raw output on its own rows ``X``, computed once.

    Returns ``(model, output)``: the model wrapped so that judging ``X``
    reuses ``output``, and the output (``predict_proba`` for classifiers,
    ``predict`` for regressors) to pass to :func:`teach`. Torch models and
    skorch nets are searched through their module, so their output is not
    reused: ``(model, None)``.
    """
    output = _teacher_output(model, X, task)
    if output is None:
        return model, None
    method = "predict" if task == "regression" else "predict_proba"
    return _Remembered(model, X, method, output), output


def _teacher_output(model, X, task):
    """The teacher's raw output on its own rows, or None where it is not reused.

    Classifiers: ``predict_proba``; regressors: ``predict``. Torch models
    and skorch nets are searched through their module, so their output is
    not reused.
    """
    if is_torch_model(model) or final_skorch_net(model) is not None:
        return None
    if task == "regression":
        return np.asarray(model.predict(X), dtype=float).reshape(len(X), -1)[:, 0]
    if not hasattr(model, "predict_proba"):
        return None
    return np.asarray(model.predict_proba(X), dtype=float)


def out_of_fold_errors(
    template,
    X,
    y,
    judge,
    *,
    in_sample,
    n_folds,
    seed,
    fit_params=None,
    virtual=None,
    classes=None,
):
    """Errors of a member on its own rows, each predicted by a fit without it.

    ``n_folds`` folds of the member's own rows (stratified when every class has
    ``n_folds`` rows); each fold is predicted by a clone fitted on the other folds
    plus the member's virtual rows (``virtual``: ``(X, y)`` or None). The
    paper's in-sample judge calls a member right where it merely overfits;
    this one does not. A pre-trained member, a site with fewer than ``n_folds``
    rows, and a fold whose training rows hold one class keep the
    ``in_sample`` errors.
    """
    n = len(y)
    errors = np.array(in_sample, dtype=float)
    if is_pretrained(template) or n < n_folds:
        return errors
    weights = (fit_params or {}).get("sample_weight")
    classification = judge.task == "classification"
    # repeated rows share a fold, weight-0 rows are tested nowhere (_folds.py)
    splits = fold_splits(
        X, y, weights, n_folds, classification=classification, seed=seed
    )
    for train, test in splits:
        X_train, y_train = take(X, train), y[train]
        w_train = None if weights is None else np.asarray(weights, float)[train]
        if virtual is not None and len(virtual[1]):
            X_train = concat_rows([X_train, virtual[0]])
            y_train = np.concatenate([y_train, np.asarray(virtual[1], y.dtype)])
            if w_train is not None:
                w_train = np.concatenate([w_train, np.ones(len(virtual[1]))])
        if judge.task == "classification" and np.unique(y_train).size < 2:
            continue
        est = clone(template)
        if classes is not None:
            est = with_classes(est, classes)
        kwargs = {} if w_train is None else (weight_kwargs(est, w_train) or {})
        est.fit(X_train, y_train, **kwargs)
        errors[test] = judge.errors(est, take(X, test), y[test])
    return errors


def own_errors(
    template,
    model,
    X,
    y,
    judge,
    settings,
    *,
    seed,
    fit_params=None,
    virtual=None,
    classes=None,
):
    """A teacher's errors on its own rows: in-sample, or out-of-fold.

    ``settings.expertise`` chooses: ``"in_sample"`` (the paper) uses the
    fitted ``model``; ``"oof"`` refits clones of ``template`` on
    ``settings.oof_folds`` folds (plus the teacher's virtual rows, a dict
    with ``X`` and ``y``, or None).
    """
    errors = judge.errors(model, X, y)
    if settings.expertise == "in_sample":
        return errors
    received = None if virtual is None else (virtual["X"], virtual["y"])
    return out_of_fold_errors(
        template,
        X,
        y,
        judge,
        in_sample=errors,
        n_folds=settings.oof_folds,
        seed=(int(seed) + 1) % np.iinfo(np.int32).max,
        fit_params=fit_params,
        virtual=received,
        classes=classes,
    )


def judge_site(
    teacher,
    peers,
    X_site,
    y_site,
    judge,
    *,
    own_errors,
    own_weight,
    X_pool=None,
    y_pool=None,
    teaching=None,
):
    """Who is right on the rows a teacher judges, under the teacher's bound.

    Parameters
    ----------
    teacher : SiteModel
    peers : list of SiteModel
    X_site, y_site : the teacher's site rows (every column) and targets.
    judge : ClassJudge or ToleranceJudge
    own_errors : ndarray of shape (n_site,)
        The teacher's errors on its site rows (in-sample or out-of-fold).
    own_weight : ndarray or None
        Weights of the bound's quantile (the teacher's sample weights).
    X_pool, y_pool : rows judged instead of the site's own (``pool="union"``,
        simulations only), or None.
    teaching : ndarray of int or None
        Positions among the site rows that may teach (weight > 0).

    Returns
    -------
    right : ndarray of shape (1 + n_peers, n_rows), dtype=bool
        Row 0 the teacher, then each peer.
    bound : float
        The teacher's bound.
    X_rows, y_rows : the rows judged (every column) and their targets.
    """
    bound = judge.bound(own_errors, own_weight)
    if X_pool is None:
        idx = np.arange(len(y_site)) if teaching is None else teaching
        X_rows, y_rows = take(X_site, idx), np.asarray(y_site)[idx]
        teacher_right = judge.right(own_errors[idx], bound)
    else:
        X_rows, y_rows = X_pool, np.asarray(y_pool)
        teacher_right = judge.right(
            judge.errors(teacher.model, take(X_rows, columns=teacher.columns), y_rows),
            bound,
        )
    rows = [teacher_right] + [
        judge.right(
            judge.errors(p.model, take(X_rows, columns=p.columns), y_rows), bound
        )
        for p in peers
    ]
    return np.vstack(rows), bound, X_rows, y_rows


@dataclass(frozen=True)
class SiteModel:
    """A fitted member as a site sees it: name, model, columns.

    ``columns`` selects the member's input from a site's rows (None: all);
    ``keys`` names those columns in the shared column set (for mapping).
    """

    name: str
    model: object
    columns: object
    keys: list
    template: object = None


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
    report : list of dict
        Per student and report group: ``qualifying`` rows, counterfactuals
        ``found``, rows the release guard ``guarded`` (moved) and
        ``dropped``, and ``kept`` (0 here; the student's side counts it).
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
        if ok.any() and shared != list(teacher.keys):
            local = [list(teacher.keys).index(key) for key in shared]
            Xv = take(Xv, columns=local)
        if Xv is not None and hasattr(Xv, "iloc"):
            Xv = Xv.reset_index(drop=True)  # no pointer back to a raw row
        if shared:
            lessons.append(
                Lesson(
                    teacher=teacher.name,
                    student=peer.name,
                    X=Xv,
                    y=np.asarray(y_rows)[rows[ok]],
                    keys=shared,
                    n_round=n_round,
                    source=rows[ok],
                )
            )
        y_taught = np.asarray(y_rows)[rows]
        for label, in_group in judge.groups(y_taught):
            report.append(
                {
                    "round": n_round,
                    "teacher": teacher.name,
                    "student": peer.name,
                    "class": label,
                    "qualifying": int(in_group.sum()),
                    "found": int((found & in_group).sum()),
                    "guarded": int((guarded & ok & in_group).sum()),
                    "dropped": int((found & ~ok & in_group).sum()),
                    "kept": 0,
                }
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
    try:
        result = search.generate(
            teacher.model, X_query, np.asarray(y_rows)[query], **kwargs
        )
    finally:
        if bar is not None:
            bar.close()
    return result, query


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
    (the kept rows, in order) and ``rank`` (position of each searched row
    in ``X``).
    """
    if result is None:
        return None
    found = np.asarray(result.success, dtype=bool)
    keep, changed = found.copy(), np.zeros_like(found)
    idx = np.flatnonzero(found)
    X_out = take(result.X, idx)
    guard = settings.prototype_k is not None or settings.min_distance is not None
    if guard and idx.size:
        regression = judge.task == "regression"
        out = guard_release(
            X_out,
            np.asarray(y_rows)[searched[idx]],
            X_ref,
            y_ref,
            prototype_k=settings.prototype_k,
            min_distance=settings.min_distance,
            model=teacher.model,
            classes=None if regression else judge.classes,
            tolerance=bound if regression else None,
            random_state=(int(seed) + 2) % np.iinfo(np.int32).max,
        )
        keep[idx] = out.keep
        changed[idx] = (out.prototype | out.pushed) & out.keep
        X_out = out.X
    rank = np.cumsum(keep) - 1
    return Bunch(found=found, keep=keep, changed=changed, X=X_out, rank=rank)


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
