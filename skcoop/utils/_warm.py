"""Warm refits: a student that starts its refit from where it is.

A student learns its lesson (own rows plus the rows it was taught) by a
whole fit. Where the fitted student is a good start and the fit from there
lands where a cold fit lands, the refit starts from its fitted state with
``warm_start`` on: a convex learner converges to the same optimum (within
its solver's tolerance) in fewer iterations; an iterative, non-convex one
(SGD, an MLP) to a model within its seed spread.

What is *not* warm-started, and why:

- tree ensembles (forests, extra trees, gradient boosting, histogram
  boosting): ``warm_start`` adds trees, and trees trained on the new rows
  cost as much as a refit's, dilute what a bagged forest learns from the
  virtual rows by the old trees that never saw them, and double the model
  (its memory and predict time) every round; they are refitted cold;
- ``partial_fit`` learners (naive Bayes, ...): stepping a fitted model on
  its whole lesson would count its own rows twice; its fit is one pass;
- a pipeline whose last step is not convex: the pipeline's preprocessing is
  refitted on the augmented rows (as a cold refit does), so the old last
  step starts in a shifted space; only a convex step, whose optimum does
  not depend on the start, is warm-started there, and only after scalers
  (steps that keep the columns: an encoder that meets a new category would
  change the last step's width);
- skorch nets, pre-trained members (they have their own policy,
  :func:`~skcoop.utils.starting_point`) and any other estimator.
"""

# SPDX-License-Identifier: BSD-3-Clause

from copy import deepcopy

import numpy as np
from sklearn.pipeline import Pipeline

__all__ = []


def _families():
    """Warm-startable learners: (convex, iterative) class tuples."""
    from sklearn import linear_model as lm
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    convex = (
        lm.LogisticRegression,
        lm.ElasticNet,
        lm.Lasso,
        lm.MultiTaskElasticNet,
        lm.MultiTaskLasso,
        lm.HuberRegressor,
        lm.PoissonRegressor,
        lm.GammaRegressor,
        lm.TweedieRegressor,
    )
    iterative = (
        lm.SGDClassifier,
        lm.SGDRegressor,
        lm.Perceptron,
        lm.PassiveAggressiveClassifier,
        lm.PassiveAggressiveRegressor,
        MLPClassifier,
        MLPRegressor,
    )
    return convex, iterative


def warm_family(estimator):
    """How a refit of ``estimator`` may start from its fitted state.

    Returns
    -------
    family : {"convex", "iterative"} or None
        ``"convex"``: a warm fit lands within the solver's tolerance of the
        cold fit (``liblinear`` ignores ``warm_start`` and is left out);
        ``"iterative"``: it lands within the seed spread; None: refit cold.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.neural_network import MLPClassifier
    >>> from skcoop.utils._warm import warm_family
    >>> warm_family(LogisticRegression()), warm_family(MLPClassifier())
    ('convex', 'iterative')
    >>> warm_family(RandomForestClassifier()) is None
    True
    """
    convex, iterative = _families()
    if isinstance(estimator, convex):
        if getattr(estimator, "solver", None) == "liblinear":
            return None
        return "convex"
    if isinstance(estimator, iterative):
        return "iterative"
    return None


def _compatible(fitted, classes, n_features):
    """Whether ``fitted`` knows exactly ``classes`` and ``n_features`` columns."""
    if getattr(fitted, "n_features_in_", n_features) != n_features:
        return False
    known = getattr(fitted, "classes_", None)
    if classes is None or known is None:
        return True
    known = np.asarray(known)
    classes = np.asarray(classes)
    return known.shape == classes.shape and bool(np.all(known == classes))


def _keeps_columns(step):
    """Whether a preprocessing step gives as many columns as it gets.

    A refitted step that makes columns from the rows (a one-hot encoder that
    meets a new category, an imputer that drops an empty column) would hand
    the warm last step another width than it was fitted on.
    """
    from sklearn import preprocessing as pre

    if step is None or (isinstance(step, str) and step == "passthrough"):
        return True
    return type(step) in (
        pre.StandardScaler,
        pre.MinMaxScaler,
        pre.MaxAbsScaler,
        pre.RobustScaler,
        pre.Normalizer,
        pre.PowerTransformer,
        pre.QuantileTransformer,
    )


def _same_params(a, b):
    """Whether two estimators have the same parameters (not nested ones)."""
    pa, pb = a.get_params(deep=False), b.get_params(deep=False)
    if pa.keys() != pb.keys():
        return False
    try:
        return all(bool(pa[k] == pb[k]) or repr(pa[k]) == repr(pb[k]) for k in pa)
    except (TypeError, ValueError):  # arrays, objects without equality
        return False


def warm_student(template, fitted, classes, n_features):
    """A copy of ``fitted`` ready to learn a lesson from where it is, or None.

    Parameters
    ----------
    template : estimator
        The member's unfitted template (a Pipeline's steps are taken from it).
    fitted : estimator or None
        The student fitted in the previous round (or on its own rows); never
        modified: the student is a deep copy.
    classes : array-like or None
        The classes of the lesson (None for a regressor); a classifier is
        warm-started only when it knows exactly these.
    n_features : int
        Columns of the lesson's rows.

    Returns
    -------
    student : estimator or None
        With ``warm_start=True`` (on the last step of a Pipeline, whose
        preprocessing, scalers only, is a fresh clone, refitted on the
        lesson's rows);
        None where the refit must start cold (see the module's notes).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skcoop.utils._warm import warm_student
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    >>> lr = LogisticRegression().fit(X, y)
    >>> student = warm_student(LogisticRegression(), lr, np.array([0, 1]), 1)
    >>> student.warm_start, student is lr, lr.warm_start
    (True, False, False)
    """
    if fitted is None or classes is not None and np.size(classes) < 2:
        return None
    if isinstance(template, Pipeline):
        if not isinstance(fitted, Pipeline) or [n for n, _ in fitted.steps] != [
            n for n, _ in template.steps
        ]:
            return None
        if not all(_keeps_columns(step) for _, step in template.steps[:-1]):
            return None
        name, last = fitted.steps[-1]
        if warm_family(last) != "convex" or not _same_params(
            last, template.steps[-1][1]
        ):
            return None
        if not _compatible(last, classes, getattr(last, "n_features_in_", None)):
            return None
        if getattr(fitted, "n_features_in_", n_features) != n_features:
            return None
        from sklearn.base import clone

        student = clone(template)
        student.steps[-1] = (name, deepcopy(last).set_params(warm_start=True))
        return student
    if warm_family(fitted) is None or type(fitted) is not type(template):
        return None
    if not _same_params(fitted, template):
        return None
    if not _compatible(fitted, classes, n_features):
        return None
    return deepcopy(fitted).set_params(warm_start=True)


def cooled(student, template):
    """``student`` with ``warm_start`` set back to the template's value.

    A warm-started student keeps the parameters its user gave: after its
    refit, ``get_params()`` equals the template's.
    """
    if isinstance(student, Pipeline):
        name, last = student.steps[-1]
        value = template.steps[-1][1].get_params(deep=False)["warm_start"]
        last.set_params(warm_start=value)
        return student
    student.set_params(warm_start=template.get_params(deep=False)["warm_start"])
    return student
