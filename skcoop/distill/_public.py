"""Public-set distillation: FedMD and FedDF for any scikit-learn learner.

Every member predicts on shared transfer rows (``X_public``, in the columns
of the ensemble's ``X``; each member reads its own columns of them), the
outputs are combined into a consensus, and each student learns the
consensus on the public rows: with its own rows (FedMD, Li and Wang 2019),
or alone (FedDF, Lin et al. 2020). Only class scores on public rows leave a
site (:mod:`skcoop.silo` writes exactly those). The lessons are the KD
strategies' (:class:`~skcoop.distill.SoftTargetLesson`; a regressor's
:class:`~skcoop.utils.RowsLesson`), learnt through the one refit,
:func:`skcoop.utils.learn_lesson`; the ensemble's ``n_rounds`` are the
communication rounds.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils._param_validation import StrOptions
from sklearn.utils._tags import get_tags
from sklearn.utils.validation import _num_samples, check_array, column_or_1d

from ..utils import (
    RowsLesson,
    Substitution,
    aligned_proba,
    checked_weight_kwargs,
    concat_rows,
    draw_seed,
    is_frame,
    member_output,
    number,
    stable_argmax,
    take,
)
from ._lesson import SoftTargetLesson
from ._losses import soften
from ._strategies import BaseDistiller
from ._utils import onehot

__all__ = [
    "BasePublicSetDistiller",
    "FedDFDistiller",
    "FedMDDistiller",
    "check_public_rows",
]

# a zero probability has no finite logit: FedDF's logits are log(max(p, EPS))
LOG_FLOOR = 1e-6


def check_public_rows(X_public, reference, *, allow_nan=False):
    """``X_public`` checked against the rows of the fit, in their columns.

    Parameters
    ----------
    X_public : array-like or DataFrame of shape (n_public, n_features)
        The transfer rows.
    reference : array-like or DataFrame
        Rows of the fit (every column): a DataFrame asks for a DataFrame with
        the same column names (any order; returned in the reference's);
        an array for as many features.
    allow_nan : bool, default=False
        Whether missing values are allowed (every member handles them).

    Returns
    -------
    X_public : ndarray or DataFrame
        Checked (a copy where reordered; the input is never modified).

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.distill import check_public_rows
    >>> check_public_rows([[1.0, 2.0]], np.zeros((3, 2))).shape
    (1, 2)
    >>> check_public_rows([[1.0]], np.zeros((3, 2)))
    Traceback (most recent call last):
    ...
    ValueError: X_public has 1 features, but the fit's X has 2 features. Give X_public the columns of X.
    """  # noqa: E501
    if X_public is None:
        raise ValueError(
            "X_public, the public transfer rows, is required. Got None instead. "
            "Pass rows in the columns of X (labels are not needed)."
        )
    n = _num_samples(X_public)
    if n < 1:
        raise ValueError(
            "X_public must hold at least one row (the public transfer set). "
            "Got 0 rows instead."
        )
    if is_frame(reference):
        columns = list(reference.columns)
        if not is_frame(X_public):
            raise TypeError(
                "X_public must be a DataFrame with the columns of X "
                f"({columns}), as the fit's X is one. Got "
                f"{type(X_public).__name__} instead."
            )
        missing = [c for c in columns if c not in X_public.columns]
        extra = [c for c in X_public.columns if c not in columns]
        if missing or extra:
            raise ValueError(
                f"X_public must have the columns of X (missing {missing}, "
                f"unexpected {extra}). Got {list(X_public.columns)} instead. "
                "Give X_public the columns of X (without the site column)."
            )
        X_public = X_public[columns]
        numeric = X_public.select_dtypes("number")
        if numeric.shape[1]:
            values = numeric.to_numpy(dtype=float)
            bad_inf = ~np.isfinite(values) & ~np.isnan(values)
            bad = bad_inf | (np.isnan(values) if not allow_nan else False)
            if bad.any():
                cols = [numeric.columns[i] for i in np.flatnonzero(bad.any(axis=0))]
                raise ValueError(
                    f"X_public contains NaN or infinity in columns {cols}: "
                    f"{int(bad.any(axis=1).sum())} of {n} rows. Drop or impute "
                    "those rows (a member that handles NaN allows NaN)."
                )
        return X_public
    X_public = check_array(
        X_public,
        dtype=None,
        ensure_all_finite="allow-nan" if allow_nan else True,
        input_name="X_public",
    )
    n_features = np.shape(reference)[1]
    if X_public.shape[1] != n_features:
        raise ValueError(
            f"X_public has {X_public.shape[1]} features, but the fit's X has "
            f"{n_features} features. Give X_public the columns of X."
        )
    return X_public


# the parameters the public-set strategies share
PUBLIC_PARAMS = """X_public : {array-like, DataFrame} of shape (n_public, n_features)
        The public transfer rows, in the columns of the ensemble's ``X``
        (a DataFrame with the same names when ``X`` is one; without the
        site column). Each member reads its own columns of them.
    y_public : array-like of shape (n_public,), default=None
        Labels of the public rows, if any: the target of a public row is
        then ``(1 - weight) onehot(y) + weight q`` (a regressor's
        ``(1 - weight) y + weight q``). Unlabelled by default.
    temperature : float, default=1.0
        ``T > 0`` applied to the members' outputs on the public rows."""

COMMON_PARAMS = """weight : float, default=1.0
        ``w`` in ``[0, 1]``: how much of a labelled public row's target is
        the consensus (unused without ``y_public``).
    public_weight : float, default=1.0
        Weight of each public row in the student's fit (a weight is a
        repetition; an own row weighs 1).
    method : {"auto", "native", "replicate", "resample"}, default="auto"
        How a classifier learns soft targets; see
        :func:`~skcoop.distill.fit_soft_targets`.
    warm_start : bool, default=False
        Start student ``j`` from a copy of the fitted member where it can go
        on learning (a skorch net, ``partial_fit``, ``warm_start``), as the
        papers fine-tune; otherwise from a clone of its template."""


class BasePublicSetDistiller(BaseDistiller):
    """Base class of the public-set strategies (FedMD, FedDF).

    Subclasses say how member outputs combine (``_combine``) and whether a
    student learns its own rows too (``_own_rows``). Usable by both
    cooperative ensembles: a regressor's consensus is the mean prediction.
    """

    _parameter_constraints: dict = {
        "X_public": ["array-like"],
        "y_public": ["array-like", None],
        "temperature": [number(0, None, closed="neither")],
        "weight": [number(0, 1)],
        "public_weight": [number(0, None, closed="neither")],
        "method": [StrOptions({"auto", "native", "replicate", "resample"})],
        "warm_start": ["boolean"],
    }
    _own_rows = True

    def __init__(
        self,
        X_public=None,
        *,
        y_public=None,
        temperature=1.0,
        weight=1.0,
        public_weight=1.0,
        method="auto",
        warm_start=False,
    ):
        self.X_public = X_public
        self.y_public = y_public
        self.temperature = temperature
        self.weight = weight
        self.public_weight = public_weight
        self.method = method
        self.warm_start = warm_start

    # ----------------------------------------------------------- consensus
    def _combine(self, probas):
        raise NotImplementedError

    def public_views(self, columns, reference, allow_nan=False):
        """Each member's columns of the checked public rows.

        Parameters
        ----------
        columns : list of (list of column keys or None)
            Member ``j``'s columns of ``X`` (None: every column).
        reference : array-like or DataFrame
            Rows of the fit, every column (see :func:`check_public_rows`).
        allow_nan : bool, default=False
            Whether every member handles missing values.

        Returns
        -------
        views : list of array-like
        """
        X_public = check_public_rows(self.X_public, reference, allow_nan=allow_nan)
        if self.y_public is not None:
            y = column_or_1d(self.y_public)
            if len(y) != _num_samples(X_public):
                raise ValueError(
                    f"y_public must hold one label per row of X_public "
                    f"({_num_samples(X_public)}). Got {len(y)} instead."
                )
        return [take(X_public, columns=c) for c in columns]

    def member_scores(self, member, X_view, classes):
        """One member's output on the public rows (what a site sends).

        Class probabilities aligned to ``classes`` (a regressor's
        predictions, shape ``(n_public,)``, when ``classes`` is None).
        """
        if classes is None:
            return member_output(member, X_view, "predict")
        return aligned_proba(member, X_view, classes)

    def consensus(self, scores, classes=None):
        """The consensus of the members' scores on the public rows.

        Parameters
        ----------
        scores : list of ndarray
            Each member's :meth:`member_scores`.
        classes : ndarray or None
            Class labels; None for regression (mean prediction).

        Returns
        -------
        consensus : ndarray of shape (n_public, n_classes) or (n_public,)
        """
        if classes is None:
            return np.mean(np.asarray(scores, dtype=float), axis=0)
        return self._combine([np.asarray(s, dtype=float) for s in scores])

    def public_target(self, consensus, classes=None):
        """The target of each public row: the consensus, blended with labels."""
        if self.y_public is None:
            return consensus
        y = column_or_1d(self.y_public)
        w = self.weight
        if classes is None:
            return (1 - w) * y.astype(float) + w * consensus
        return (1 - w) * onehot(y, classes) + w * consensus

    # ------------------------------------------------------------- lessons
    def public_lesson(
        self, X_own, y_own, sw_own, X_view, target, classes, seed, template=None
    ):
        """Student's lesson: public rows toward ``target`` (with its own rows).

        A classifier's is a :class:`SoftTargetLesson` with ``weight=1``: own
        rows keep their one-hot label, public rows learn ``target`` (the
        replicated or resampled rows of students without soft-target
        support). A regressor's is a :class:`~skcoop.utils.RowsLesson`, its
        weights passed as ``template`` takes them.
        """
        n_pub = len(target)
        w_pub = np.full(n_pub, float(self.public_weight))
        if self._own_rows:
            X = concat_rows([X_own, X_view])
            w_own = np.ones(len(y_own)) if sw_own is None else np.asarray(sw_own, float)
            weights = np.concatenate([w_own, w_pub])
        else:
            X, weights = X_view, w_pub
        if classes is None:
            y = np.asarray(target, dtype=float)
            if self._own_rows:
                y = np.concatenate([np.asarray(y_own, dtype=float), y])
            if np.all(weights == 1):
                return RowsLesson(X, y)
            kw = checked_weight_kwargs(
                template,
                weights,
                f"{type(template).__name__}",
                "Use public_weight=1 and no sample weights.",
                given=" (public_weight != 1, or sample weights)",
            )
            return RowsLesson(X, y, kw)
        labels = classes[stable_argmax(target)]
        if self._own_rows:
            target = np.vstack([onehot(y_own, classes), target])
            labels = np.concatenate([np.asarray(y_own), labels])
        return SoftTargetLesson(
            X,
            labels,
            target,
            classes=classes,
            weight=1.0,
            temperature=self.temperature,
            sample_weight=None if np.all(weights == 1) else weights,
            method=self.method,
            random_state=seed,
        )

    def _lessons_for(
        self,
        teachers,
        X_parts,
        y_parts,
        sw_parts,
        classes,
        rng,
        transform,
        *,
        columns=None,
        reference=None,
        templates=None,
    ):
        k = len(teachers)
        columns = [None] * k if columns is None else list(columns)
        reference = X_parts[0] if reference is None else reference
        models = teachers if templates is None else templates
        views = self.public_views(columns, reference, _allow_nan(models))
        scores = [self.member_scores(teachers[j], views[j], classes) for j in range(k)]
        target = self.public_target(self.consensus(scores, classes), classes)
        seeds = draw_seed(rng, size=k)
        templates = teachers if templates is None else templates
        return [
            self.public_lesson(
                X_parts[j],
                y_parts[j],
                sw_parts[j],
                views[j],
                target,
                classes,
                seeds[j],
                templates[j],
            )
            for j in range(k)
        ]

    def _lessons(self, teachers, X_parts, y_parts, sw_parts, classes, rng, transform):
        return self._lessons_for(
            teachers, X_parts, y_parts, sw_parts, classes, rng, transform
        )


def _allow_nan(estimators):
    try:
        return all(get_tags(e).input_tags.allow_nan for e in estimators)
    except Exception:
        return False


_DOCS = {"public_params": PUBLIC_PARAMS.strip(), "common_params": COMMON_PARAMS.strip()}


@Substitution(**_DOCS)
class FedMDDistiller(BasePublicSetDistiller):
    """FedMD: each member learns the consensus on public rows, and its own rows.

    Each round (the ensemble's ``n_rounds``), every member predicts class
    scores on the public rows ``X_public``; the consensus is their mean,
    each tempered with ``temperature``. Each student then learns the
    consensus on the public rows and revisits its own rows (Li and Wang,
    "FedMD: Heterogenous Federated Learning via Model Distillation", 2019):
    for a learner refitted from a clone, one fit on its own rows (one-hot
    labels) and the public rows (the consensus as soft targets: replicated
    rows for learners with ``sample_weight``, resampled rows otherwise,
    the KD loss for skorch nets). A regressor's consensus is the mean
    prediction, learnt as the target of the public rows.

    Only class scores on public rows leave a site
    (:func:`skcoop.silo.public_scores`).

    Parameters
    ----------
    {public_params}
    {common_params}

    See Also
    --------
    FedDFDistiller : The consensus of averaged logits, learnt on public rows only.
    SoftTargetDistiller : Vanilla KD on each student's own rows.

    Examples
    --------
    Two sites of iris and 30 public rows without labels; FedMD's settings
    are grid-searchable as ``distiller__...``:

    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skcoop import CooperativeDistillationEnsemble
    >>> from skcoop.distill import FedMDDistiller
    >>> X, y = load_iris(return_X_y=True)
    >>> public = np.arange(len(y)) % 5 == 0
    >>> ens = CooperativeDistillationEnsemble(
    ...     [("tree", DecisionTreeClassifier(max_depth=2, random_state=0)),
    ...      ("nb", GaussianNB())],
    ...     distiller=FedMDDistiller(X_public=X[public], temperature=2.0),
    ...     random_state=0,
    ... )
    >>> ens = ens.fit(X[~public], y[~public], site=np.arange((~public).sum()) % 2)
    >>> ens.set_params(distiller__temperature=1.0).distiller.temperature
    1.0
    >>> q = ens.distiller.consensus(
    ...     [[[0.8, 0.2]], [[0.4, 0.6]]], classes=np.array([0, 1]))
    >>> q.round(2)  # the mean of the members' scores at T = 1
    array([[0.6, 0.4]])
    """

    _own_rows = True

    def _combine(self, probas):
        return np.mean([soften(p, self.temperature) for p in probas], axis=0)


@Substitution(**_DOCS)
class FedDFDistiller(BasePublicSetDistiller):
    """FedDF: ensemble distillation of averaged logits into each member.

    Each round, every member's logits on the public rows (``log p``; a zero
    probability is floored at ``1e-6``) are averaged and tempered,
    ``softmax(mean_i log p_i / T)`` (Lin et al., "Ensemble Distillation for
    Robust Model Fusion in Federated Learning", NeurIPS 2020, AvgLogits).
    Each member is one architecture's student: it learns that ensemble on
    the public rows only, fine-tuned from the member where it can go on
    learning (``warm_start=True``: skorch nets, ``partial_fit``,
    ``warm_start``), otherwise refitted from a clone on the public rows, so
    it needs a public set of useful size. A regressor's consensus is the
    mean prediction.

    Parameters
    ----------
    {public_params}
    {common_params}

    See Also
    --------
    FedMDDistiller : The mean of scores, learnt with each member's own rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.distill import FedDFDistiller
    >>> fd = FedDFDistiller(X_public=np.zeros((1, 2)))
    >>> q = fd.consensus([[[0.8, 0.2]], [[0.2, 0.8]]], classes=np.array([0, 1]))
    >>> q.round(2)  # the geometric mean, renormalised: sqrt(.16) twice
    array([[0.5, 0.5]])
    """

    _own_rows = False

    def _combine(self, probas):
        logits = np.mean([np.log(np.maximum(p, LOG_FLOOR)) for p in probas], axis=0)
        return soften(logits, self.temperature, logits=True)
