"""Members as estimators: fitting, continuing, outputs, net detection.

The floor under the ensemble, the per-site steps and the distillation
strategies: one home for how a member is fitted (sample weights in the form
it takes, errors that name it), how a fitted member goes on learning (one
policy for pre-trained members), how its probabilities are aligned to the
ensemble's classes, and how torch and skorch models are recognised without
importing torch.
"""

# SPDX-License-Identifier: BSD-3-Clause

import inspect
import sys
import time
from copy import deepcopy
from numbers import Integral

import numpy as np
from sklearn import get_config
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_samples, check_is_fitted, has_fit_parameter

from ._outputs import name_member
from ._warnings import warn_at_caller


# ------------------------------------------------------------------ nets
def is_torch_model(model):
    """Whether ``model`` is a torch module or a skorch net (never imports torch)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        return True
    skorch = sys.modules.get("skorch")
    return skorch is not None and isinstance(model, skorch.NeuralNet)


def is_skorch_net(estimator):
    """Whether ``estimator`` is a skorch ``NeuralNetClassifier`` (no import)."""
    # skorch cannot hold a net unless it has been imported
    if "skorch" not in sys.modules:
        return False
    from skorch import NeuralNetClassifier

    return isinstance(estimator, NeuralNetClassifier)


def final_skorch_net(estimator):
    """The skorch net ending ``estimator`` (itself or a Pipeline's last step)."""
    if isinstance(estimator, Pipeline):
        return final_skorch_net(estimator.steps[-1][1])
    return estimator if is_skorch_net(estimator) else None


def is_fitted(estimator):
    """Whether ``estimator`` has been fitted (skorch: initialized)."""
    net = final_skorch_net(estimator)
    if net is not None and not isinstance(estimator, Pipeline):
        return bool(net.initialized_)
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


# ------------------------------------------------------------------ rows
def is_per_row(value, n_rows):
    """Whether a piece of fit metadata holds one value per row of ``n_rows``.

    Examples
    --------
    >>> from skcoop.utils import is_per_row
    >>> is_per_row([1, 2, 3], 3), is_per_row("abc", 3), is_per_row(None, 0)
    (True, False, False)
    """
    if value is None or isinstance(value, str) or not hasattr(value, "__len__"):
        return False
    try:
        return _num_samples(value) == n_rows
    except TypeError:
        return False


def take(X, rows=None, columns=None):
    """Select rows and columns of an array or DataFrame."""
    if rows is not None:
        X = _safe_indexing(X, rows, axis=0)
    if columns is not None:
        X = _safe_indexing(X, columns, axis=1)
    return X


def take_rows(X, rows):
    """``X`` itself when ``rows`` are all its rows in order, else those rows.

    For the teacher's step, which passes a site's rows on: at a million rows
    each needless copy of a site is tens of MiB held through the search.
    Callers never modify the rows they get.
    """
    rows = np.asarray(rows)
    n = _num_samples(X)
    if (
        rows.dtype.kind in "iu"
        and rows.size == n
        and np.array_equal(rows, np.arange(n))
    ):
        return X
    return take(X, rows)


def in_dtype_of(rows, like, *, floats_only=False):
    """``rows`` (an array) in the dtype of the array ``like``.

    Virtual rows reach a student, and a guard's draws reach the teacher that
    checks them, in the dtype a search worked in (float64), while the model
    was fitted on ``like`` (a torch net on float32 rows refuses float64
    input). DataFrames, and rows or ``like`` without a dtype, pass
    unchanged. ``floats_only``: cast only float rows to a float dtype (the
    release guard's check, which never turns floats into integers).

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.utils import in_dtype_of
    >>> in_dtype_of(np.zeros((1, 2)), np.zeros((3, 2), dtype=np.float32)).dtype
    dtype('float32')
    >>> in_dtype_of(np.zeros((1, 2)), np.zeros((3, 2), dtype=np.int64)).dtype
    dtype('int64')
    >>> in_dtype_of(np.zeros((1, 2)), np.zeros((3, 2), dtype=np.int64),
    ...             floats_only=True).dtype
    dtype('float64')
    """
    dtype = getattr(like, "dtype", None)
    have = getattr(rows, "dtype", None)
    if hasattr(rows, "iloc") or dtype is None or have is None or have == dtype:
        return rows
    if floats_only and not (dtype.kind == "f" and have.kind == "f"):
        return rows
    if hasattr(rows, "tocsr"):  # sparse: keep the format
        return rows.astype(dtype)
    return np.asarray(rows).astype(dtype)


def concat_rows(parts):
    """Stack row blocks of one feature space, keeping the first block's form.

    Arrays take the first block's dtype (a float32 net keeps float32 rows);
    DataFrames keep the first block's columns and dtypes.
    """
    parts = [p for p in parts if p is not None]
    first = parts[0]
    if hasattr(first, "iloc"):
        import pandas as pd

        frames = [
            p if hasattr(p, "iloc") else pd.DataFrame(p, columns=first.columns)
            for p in parts
        ]
        out = pd.concat(frames, ignore_index=True)
        return out.astype(first.dtypes.to_dict())
    first = np.asarray(first)
    return np.concatenate([np.asarray(p, dtype=first.dtype) for p in parts], axis=0)


# --------------------------------------------------------------- fitting
def sample_weight_key(estimator):
    """Name under which the final learner of ``estimator`` takes sample weights.

    ``"sample_weight"`` for a learner that accepts it, ``"step__sample_weight"``
    for a :class:`~sklearn.pipeline.Pipeline` whose last step does (nested
    pipelines give ``"outer__inner__sample_weight"``), None otherwise. Weights
    mean repetition only when every step that can take them does:
    :func:`weight_kwargs` passes them to each such step.

    Examples
    --------
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skcoop.utils import sample_weight_key
    >>> sample_weight_key(make_pipeline(StandardScaler(), GaussianNB()))
    'gaussiannb__sample_weight'
    >>> sample_weight_key(KNeighborsClassifier()) is None
    True
    """
    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        if last is None or last == "passthrough":
            return None
        inner = sample_weight_key(last)
        return None if inner is None else f"{name}__{inner}"
    if has_fit_parameter(estimator, "sample_weight"):
        return "sample_weight"
    return None


def weight_kwargs(estimator, sample_weight):
    """Keyword arguments passing ``sample_weight`` to every step that takes it.

    A learner gets ``sample_weight``; a :class:`~sklearn.pipeline.Pipeline`
    gets ``step__sample_weight`` for each of its steps whose ``fit`` takes
    sample weights (nested pipelines recursively), so that a scaler before
    the learner is fitted on the same weighted rows and a weight means
    repetition for the whole pipeline. (Without metadata routing,
    scikit-learn's ``Pipeline.fit(X, y, learner__sample_weight=w)`` weights
    the learner only.) With metadata routing enabled, pass ``sample_weight``
    itself: the steps' requests (``set_fit_request``) decide where it goes.

    Returns None when the final learner takes no sample weight.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import PolynomialFeatures, StandardScaler
    >>> from skcoop.utils import weight_kwargs
    >>> pipe = make_pipeline(
    ...     PolynomialFeatures(), StandardScaler(), LogisticRegression())
    >>> sorted(weight_kwargs(pipe, [1.0, 2.0]))
    ['logisticregression__sample_weight', 'standardscaler__sample_weight']
    """
    if sample_weight_key(estimator) is None:
        return None
    if isinstance(estimator, Pipeline) and get_config()["enable_metadata_routing"]:
        return {"sample_weight": sample_weight}
    return {key: sample_weight for key in _weighted_steps(estimator, last=True)}


def checked_weight_kwargs(estimator, sample_weight, who, fix, given=""):
    """:func:`weight_kwargs`, or an error where unequal weights cannot be passed.

    Returns None when the estimator takes no sample weight and the weights
    are all equal (they change nothing then); raises a TypeError naming
    ``who``, where the weights came from (``given``) and the ``fix`` when
    they differ.
    """
    kw = weight_kwargs(estimator, sample_weight)
    weights = np.asarray(sample_weight, dtype=float)
    if kw is None and weights.size and not np.allclose(weights, weights[0]):
        raise TypeError(
            f"{who} does not support sample_weight, but unequal sample weights "
            f"were given{given}. {fix}"
        )
    return kw


def _weighted_steps(estimator, last):
    """Keys of the steps of ``estimator`` that take sample weights.

    A step before the last is fitted through ``fit_transform``, which must
    take the weights too.
    """
    if isinstance(estimator, Pipeline):
        steps = [
            (name, step)
            for name, step in estimator.steps
            if step is not None
            and not (isinstance(step, str) and step == "passthrough")
        ]
        return [
            f"{name}__{key}"
            for i, (name, step) in enumerate(steps)
            for key in _weighted_steps(step, last and i == len(steps) - 1)
        ]
    if not has_fit_parameter(estimator, "sample_weight"):
        return []
    if not last and hasattr(estimator, "fit_transform"):
        params = inspect.signature(estimator.fit_transform).parameters
        takes = "sample_weight" in params or any(
            p.kind == p.VAR_KEYWORD for p in params.values()
        )
        if not takes:
            return []
    return ["sample_weight"]


def renamed_error(exc, msg):
    """``exc``'s type with the message ``msg`` (a RuntimeError if it cannot be).

    For errors that name the member they come from; raise it ``from exc``.

    Examples
    --------
    >>> from skcoop.utils import renamed_error
    >>> renamed_error(ValueError("bad"), "Member 'a' failed: bad")
    ValueError("Member 'a' failed: bad")
    """
    try:
        return type(exc)(msg)
    except Exception:
        return RuntimeError(msg)


def fit_member(estimator, X, y, name, message=None, fit_params=None):
    """Fit one member; an error names the member.

    ``fit_params`` are passed as they are (sample weights already in the
    form the member takes, see :func:`weight_kwargs`).
    """
    start = time.perf_counter()
    try:
        estimator.fit(X, y, **(fit_params or {}))
    except Exception as exc:
        msg = (
            f"Member {name!r} ({type(estimator).__name__}) failed to fit on its "
            f"{len(y)} rows: {exc}"
        )
        raise renamed_error(exc, msg) from exc
    name_member(estimator, name)
    if message is not None:
        print(f"{message} in {time.perf_counter() - start:.2f}s", flush=True)
    return estimator


def with_classes(estimator, classes):
    """A skorch classifier told every class of the ensemble.

    A skorch net learns class positions and its module outputs one column
    per class of the whole problem, but its ``classes_`` would only list the
    labels of its own rows; setting its ``classes`` parameter keeps the two
    in step. Other estimators are returned unchanged. ``estimator`` is a
    fresh clone, so this never touches the user's object.
    """
    net = final_skorch_net(estimator)
    if net is None or net.get_params().get("classes") is not None:
        return estimator
    if net is estimator:
        return estimator.set_params(classes=list(classes))
    return estimator.set_params(**{f"{estimator.steps[-1][0]}__classes": list(classes)})


def is_pretrained(estimator):
    """Whether a member arrives fitted (wrapped in ``FrozenEstimator``)."""
    from sklearn.frozen import FrozenEstimator  # scikit-learn >= 1.6

    return isinstance(estimator, FrozenEstimator)


def continuation(member, classes, step_by_step=False):
    """How a fitted member can go on learning rows of ``classes``.

    The one policy for fitted members that keep learning: pre-trained
    members under every strategy, and the members a KD strategy continues
    (``warm_start``); :func:`starting_point` applies it.

    Returns
    -------
    how : {"partial_fit", "warm_start"} or None
        ``"partial_fit"`` for a skorch net, or a learner with ``partial_fit``
        that knows every class; ``"warm_start"`` for a learner with a
        ``warm_start`` parameter that knows every class (not when the caller
        trains ``step_by_step``); None when it can only be refitted (a
        scikit-learn learner cannot grow new classes by continuing).
    """
    if final_skorch_net(member) is not None:
        return "partial_fit" if hasattr(member, "partial_fit") else None
    known = getattr(member, "classes_", None)
    if known is not None and np.setdiff1d(np.asarray(classes), known).size:
        return None
    if hasattr(member, "partial_fit"):
        return "partial_fit"
    if not step_by_step and "warm_start" in member.get_params(deep=False):
        return "warm_start"
    return None


def starting_point(
    template,
    fitted,
    classes,
    *,
    resume,
    step_by_step=False,
    copy=True,
    name=None,
    pretrained=False,
):
    """The estimator a student learns its lesson on, and how it learns it.

    Without ``resume``, or when :func:`continuation` finds no way for
    ``fitted`` to go on learning ``classes``, a fresh clone of ``template``
    (a skorch template is told the ensemble's classes by the caller, see
    :func:`with_classes`). Otherwise a deep copy of ``fitted``,
    made to continue: with ``warm_start`` switched on (a forest or boosting
    model with ``n_estimators`` grows as many new estimators as it had).
    ``fitted`` is never modified, unless ``copy=False`` (a joint loop
    stepping the students it started). A ``pretrained`` member (named
    ``name``) that cannot go on learning starts from scratch with a warning.

    Returns
    -------
    student : estimator
    how : {"fit", "partial_fit"}
        ``"partial_fit"``: one step from where the student is (a step-by-step
        caller gets it for a fresh clone too); ``"fit"``: a whole fit, which
        continues from the student's state when ``warm_start`` is on.
    resumed : bool
        Whether ``student`` continues ``fitted``.
    """
    how = continuation(fitted, classes, step_by_step) if resume else None
    if how is None and resume and pretrained:
        known = getattr(fitted, "classes_", None)
        new = [] if known is None else np.setdiff1d(classes, known).tolist()
        why = (
            f"never saw the classes {new} it is now taught"
            if new
            else "can neither partial_fit" + ("" if step_by_step else " nor warm_start")
        )
        warn_at_caller(
            f"Pre-trained member {name!r} ({type(fitted).__name__}) {why}, so "
            "distillation starts it from scratch on its lesson (its site's "
            "rows and what it is taught).",
            UserWarning,
        )
    if how is None:
        student = clone(template)
        return student, "partial_fit" if step_by_step else "fit", False
    student = deepcopy(fitted) if copy else fitted
    if how == "warm_start":
        update = {"warm_start": True}
        n_estimators = student.get_params(deep=False).get("n_estimators")
        if isinstance(n_estimators, Integral):
            update["n_estimators"] = 2 * n_estimators
        student.set_params(**update)
        return student, "fit", True
    return student, "partial_fit", True


class RowsLesson:
    """A lesson of rows: the student's own rows plus the rows it was taught.

    Parameters
    ----------
    X, y : array-like
        Every row the student learns, its own first.
    fit_params : dict or None
        Fit keyword arguments (sample weights in the form the student takes).
    """

    def __init__(self, X, y, fit_params=None):
        self.X = X
        self.y = y
        self.fit_params = dict(fit_params or {})

    @property
    def classes(self):
        """The classes the lesson teaches."""
        return np.unique(self.y)

    def apply(self, student, how):
        """Fit ``student`` on the rows (``how="fit"``) or step it forward."""
        if how == "fit":
            return student.fit(self.X, self.y, **self.fit_params)
        known = getattr(student, "classes_", None)
        extra = {}
        if final_skorch_net(student) is None and known is not None:
            extra = {"classes": np.asarray(known)}
        student.partial_fit(self.X, self.y, **extra, **self.fit_params)
        return student


def learn_lesson(
    name,
    template,
    fitted,
    lesson,
    *,
    resume,
    step_by_step=False,
    pretrained=False,
    message=None,
    copy=True,
    warm=None,
):
    """The one refit of a student: its lesson learnt from its starting point.

    Every strategy ends here: cooperative distillation with a
    :class:`RowsLesson` (own rows plus virtual rows), the KD strategies of
    :mod:`skcoop.distill` with soft targets on the student's own rows, step
    by step for mutual learning. The student starts as :func:`starting_point`
    says (``resume``: go on from ``fitted``); a pre-trained member that
    cannot go on learning is refitted from scratch with a warning. An error
    names the member.

    Parameters
    ----------
    name : str
        The member's name, for messages.
    template : estimator
        Unfitted template of a fresh student.
    fitted : estimator or None
        The fitted member the student may continue.
    lesson : object
        What the student learns: ``lesson.classes`` (the classes it
        teaches) and ``lesson.apply(student, how)`` (fit the student,
        ``how`` being ``"fit"`` or ``"partial_fit"``).
    resume : bool
        Whether the student goes on from ``fitted`` where it can.
    step_by_step : bool, default=False
        One step of a joint loop (mutual learning): ``partial_fit`` only.
    pretrained : bool, default=False
        Whether ``fitted`` is a pre-trained member (warns when it must be
        refitted from scratch).
    message : str or None, default=None
        Printed with the time taken.
    copy : bool, default=True
        Continue a deep copy of ``fitted`` (False: ``fitted`` itself, for a
        joint loop stepping the students it started).
    warm : estimator or None, default=None
        A student prepared to learn the lesson by a whole fit from where it
        is (a warm refit, see :func:`skcoop.utils._warm.warm_student`); it
        replaces the starting point above.

    Returns
    -------
    student : fitted estimator
    """
    start = time.perf_counter()
    if warm is not None:
        student, how = warm, "fit"
    else:
        student, how, _ = starting_point(
            template,
            fitted,
            lesson.classes,
            resume=resume and fitted is not None,
            step_by_step=step_by_step,
            copy=copy,
            name=name,
            pretrained=pretrained,
        )
    try:
        student = lesson.apply(student, how)
    except Exception as exc:
        n_rows = len(getattr(lesson, "y", ()))
        what = (
            f"Pre-trained member {name!r} ({type(student).__name__}) failed to "
            f"continue training on {n_rows} rows"
            if pretrained
            else f"Member {name!r} ({type(student).__name__}) failed to fit "
            f"on its {n_rows} rows"
        )
        raise renamed_error(exc, f"{what}: {exc}") from exc
    name_member(student, name)
    if message is not None:
        print(f"{message} in {time.perf_counter() - start:.2f}s", flush=True)
    return student
