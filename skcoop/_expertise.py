"""A teacher's expertise at its site: who is right on the rows it judges.

The teacher's output on its own rows, computed once (:func:`remember_output`);
its own errors there, in-sample or out-of-fold (:func:`own_errors`); and who
is right on the rows it judges, itself and each peer, under the teacher's
bound (:func:`judge_site`). The teacher's step (``_teach.teach_at_site``)
runs them in this order.
"""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from ._folds import fold_splits
from .utils import (
    concat_rows,
    final_skorch_net,
    is_pretrained,
    is_torch_model,
    member_output,
    offset_seed,
    take,
    take_rows,
    weight_kwargs,
    with_classes,
)

__all__ = []


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
        return member_output(model, X, "predict")
    if not hasattr(model, "predict_proba"):
        return None
    return member_output(model, X, "predict_proba")


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
    ``settings.oof_folds`` folds (plus the teacher's virtual rows, a
    :class:`~skcoop._records.VirtualBatch`, or None).
    """
    errors = judge.errors(model, X, y)
    if settings.expertise == "in_sample":
        return errors
    received = None if virtual is None else (virtual.X, virtual.y)
    return out_of_fold_errors(
        template,
        X,
        y,
        judge,
        in_sample=errors,
        n_folds=settings.oof_folds,
        seed=offset_seed(seed, 1),
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
        X_rows, y_rows = take_rows(X_site, idx), np.asarray(y_site)[idx]
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
