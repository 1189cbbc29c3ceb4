"""Learners the exact search can write as linear pieces.

A supported model becomes a :class:`LinearPieces` (linear models: outputs
``A @ z + b``) or a :class:`TreePieces` (tree ensembles: outputs
``const + sum over trees of the chosen leaf's values``), both in the search's
own feature space ``z``, with a *link* saying what the outputs are:

- ``"proba"``: class probabilities (trees and forests of classifiers);
- ``"logit"``: one output, the log-odds of ``classes_[1]`` (binary
  logistic models, binary gradient boosting);
- ``"softmax"``: one raw score per class (multinomial logistic regression,
  multi-class gradient boosting);
- ``"identity"``: one output, the prediction (regressors).

Scalers before the learner in a :class:`~sklearn.pipeline.Pipeline` are
affine per feature and are folded in. Each builder checks its outputs
against the model's own on a few rows, so an unexpected variant is refused
instead of being searched wrongly.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import (
    ElasticNet,
    Lasso,
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    Ridge,
    RidgeCV,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    MaxAbsScaler,
    MinMaxScaler,
    RobustScaler,
    StandardScaler,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

__all__ = [
    "SUPPORTED",
    "LinearPieces",
    "TreePieces",
    "check_supported",
    "model_pieces",
]

_LINEAR_CLASSIFIERS = (LogisticRegression, LogisticRegressionCV, SGDClassifier)
_LINEAR_REGRESSORS = (LinearRegression, Ridge, RidgeCV, Lasso, ElasticNet, SGDRegressor)
_TREES = (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
)
_BOOSTING = (GradientBoostingClassifier, GradientBoostingRegressor)
# read by the tree search's leaf moves (TreeSearch), not by the exact search
_HIST = (HistGradientBoostingClassifier, HistGradientBoostingRegressor)
_SCALERS = (StandardScaler, MinMaxScaler, RobustScaler, MaxAbsScaler)

SUPPORTED = (
    "LogisticRegression, LogisticRegressionCV, SGDClassifier(loss='log_loss') "
    "(binary), LinearRegression, Ridge, RidgeCV, Lasso, ElasticNet, "
    "SGDRegressor; DecisionTree, RandomForest and ExtraTrees classifiers and "
    "regressors, GradientBoostingClassifier and GradientBoostingRegressor; "
    "each alone or at the end of a Pipeline of StandardScaler, MinMaxScaler "
    "(clip=False), RobustScaler or MaxAbsScaler"
)


class LinearPieces:
    """Outputs ``A @ z + b`` of a linear model, with their link."""

    kind = "linear"

    def __init__(self, A, b, link):
        self.A, self.b, self.link = A, b, link


class TreePieces:
    """A tree ensemble as leaves and splits in the search's feature space.

    Attributes
    ----------
    trees : list of dict
        Per tree: ``feature``, ``threshold`` (in ``z`` units, the tree goes
        left where ``float32(z) <= threshold``), ``left``, ``right`` (child
        node ids, -1 at leaves) and ``leaves`` (leaf node ids).
    values : list of ndarray of shape (n_leaves, n_outputs)
        What each leaf adds to the outputs (weights included).
    const : ndarray of shape (n_outputs,)
        The outputs' constant part (gradient boosting's initial score).
    link : str
    """

    kind = "trees"

    def __init__(self, trees, values, const, link):
        self.trees, self.values, self.const, self.link = trees, values, const, link


def _unsupported(model, why=""):
    return TypeError(
        f"ExactSearch cannot write {type(model).__name__} as a linear or "
        f"mixed-integer program{why}. Supported learners: {SUPPORTED}. Use "
        "BlackBoxSearch (make_search('auto', model)) for other models."
    )


def _affine(steps, d, model):
    """``(a, c)`` with ``phi(z) = a * z + c``: the scalers before the learner."""
    a, c = np.ones(d), np.zeros(d)
    for _, step in steps:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        if isinstance(step, StandardScaler):
            mean = step.mean_ if step.with_mean else 0.0
            scale = step.scale_ if step.with_std else 1.0
            a, c = a / scale, (c - mean) / scale
        elif isinstance(step, MinMaxScaler) and not step.clip:
            a, c = a * step.scale_, c * step.scale_ + step.min_
        elif isinstance(step, RobustScaler):
            center = step.center_ if step.with_centering else 0.0
            scale = step.scale_ if step.with_scaling else 1.0
            a, c = a / scale, (c - center) / scale
        elif isinstance(step, MaxAbsScaler):
            a, c = a / step.scale_, c / step.scale_
        else:
            raise _unsupported(model, f" (step {type(step).__name__})")
    a = np.broadcast_to(np.asarray(a, float), (d,)).copy()
    c = np.broadcast_to(np.asarray(c, float), (d,)).copy()
    return a, c


def _split(model):
    if isinstance(model, Pipeline):
        return model.steps[:-1], model.steps[-1][1]
    return [], model


def check_supported(model):
    """Raise a TypeError naming the supported learners if ``model`` is not one."""
    steps, last = _split(model)
    if not isinstance(
        last, _LINEAR_CLASSIFIERS + _LINEAR_REGRESSORS + _TREES + _BOOSTING
    ):
        raise _unsupported(model)
    if isinstance(last, SGDClassifier) and last.loss != "log_loss":
        raise _unsupported(model, f" (SGDClassifier loss={last.loss!r})")
    for _, step in steps:
        passthrough = step is None or (isinstance(step, str) and step == "passthrough")
        scaler = isinstance(step, _SCALERS) and not getattr(step, "clip", False)
        if not (passthrough or scaler):
            raise _unsupported(model, f" (step {type(step).__name__})")


def model_pieces(model, d, check_rows, reference):
    """The pieces of ``model`` (see the module docstring), checked on rows.

    ``reference`` is the model's own output at ``check_rows``: class
    probabilities, or predictions for a regressor.

    Raises
    ------
    TypeError
        The model (or a step before it) is not one the search supports.
    """
    steps, last = _split(model)
    a, c = _affine(steps, d, model)
    if np.any(a <= 0) and isinstance(last, _TREES + _BOOSTING + _HIST):
        raise _unsupported(model, " (a scaler with a non-positive factor)")
    if isinstance(last, _LINEAR_CLASSIFIERS + _LINEAR_REGRESSORS):
        pieces = _linear_pieces(model, last, a, c)
    elif isinstance(last, _HIST):
        pieces = _hist_pieces(model, last, a, c)
    elif isinstance(last, _TREES + _BOOSTING):
        pieces = _tree_pieces(last, a, c)
    else:
        raise _unsupported(model)
    _check_outputs(model, pieces, check_rows, reference)
    return pieces


# ------------------------------------------------------------------ linear
def _linear_pieces(model, last, a, c):
    if isinstance(last, SGDClassifier) and last.loss != "log_loss":
        raise _unsupported(model, f" (SGDClassifier loss={last.loss!r})")
    coef = np.atleast_2d(np.asarray(last.coef_, dtype=float))
    intercept = np.atleast_1d(np.asarray(last.intercept_, dtype=float))
    if intercept.size == 1 and coef.shape[0] == 1:
        intercept = np.broadcast_to(intercept, (1,))
    A = coef * a[None, :]
    b = coef @ c + intercept
    if isinstance(last, _LINEAR_REGRESSORS):
        if A.shape[0] != 1:
            raise _unsupported(model, " (more than one target)")
        return LinearPieces(A, b, "identity")
    if A.shape[0] == 1:
        return LinearPieces(A, b, "logit")
    if isinstance(last, SGDClassifier):
        raise _unsupported(model, " (multi-class SGDClassifier is one-vs-rest)")
    return LinearPieces(A, b, "softmax")


# ------------------------------------------------------------------- trees
def _tree_dict(tree, a, c):
    """A fitted ``tree_`` with thresholds mapped back to ``z`` units."""
    feature = tree.feature.copy()
    internal = tree.children_left >= 0
    threshold = np.full(tree.node_count, np.nan)
    f = feature[internal]
    threshold[internal] = (tree.threshold[internal] - c[f]) / a[f]
    return {
        "feature": feature,
        "threshold": threshold,
        "raw_threshold": tree.threshold.copy(),
        "scaled": bool(np.any(a != 1) or np.any(c != 0)),
        "left": tree.children_left.copy(),
        "right": tree.children_right.copy(),
        "leaves": np.flatnonzero(~internal),
    }


def _tree_pieces(last, a, c):
    classifier = hasattr(last, "classes_")
    if isinstance(last, _BOOSTING):
        stages = np.asarray(last.estimators_)  # (n_stages, K)
        k = stages.shape[1]
        trees, values = [], []
        for stage in stages:
            for j, est in enumerate(stage):
                trees.append(_tree_dict(est.tree_, a, c))
                leaves = trees[-1]["leaves"]
                v = np.zeros((leaves.size, k))
                v[:, j] = last.learning_rate * est.tree_.value[leaves, 0, 0]
                values.append(v)
        const = _boosting_init(last, k, a.size)
        if classifier:
            link = "logit" if k == 1 else "softmax"
        else:
            link = "identity"
        return TreePieces(trees, values, const, link)
    estimators = getattr(last, "estimators_", [last])
    trees, values = [], []
    for est in estimators:
        trees.append(_tree_dict(est.tree_, a, c))
        leaves = trees[-1]["leaves"]
        v = est.tree_.value[leaves, 0, :] if classifier else est.tree_.value[leaves, 0]
        v = np.asarray(v, dtype=float)
        if classifier:
            v = v / np.maximum(v.sum(axis=1, keepdims=True), 1e-300)
        values.append(v / len(estimators))
    n_out = values[0].shape[1]
    return TreePieces(
        trees, values, np.zeros(n_out), "proba" if classifier else "identity"
    )


def _hist_pieces(model, last, a, c):
    """HistGradientBoosting's predictors: numeric splits, ``x <= threshold``
    compared in float64 (no float32 cast), leaf values with the learning
    rate already in them."""
    classifier = hasattr(last, "classes_")
    if not classifier and last.loss not in ("squared_error", "absolute_error"):
        raise _unsupported(model, f" (loss={last.loss!r})")
    trees, values = [], []
    const = np.asarray(last._baseline_prediction, dtype=float).reshape(-1)
    k = const.size
    for stage in last._predictors:
        for j, predictor in enumerate(stage):
            nodes = predictor.nodes
            if np.any(nodes["is_categorical"][nodes["is_leaf"] == 0]):
                raise _unsupported(model, " (categorical splits)")
            leaf = nodes["is_leaf"].astype(bool)
            feature = nodes["feature_idx"].astype(np.intp)
            threshold = np.full(leaf.size, np.nan)
            f = feature[~leaf]
            threshold[~leaf] = (nodes["num_threshold"][~leaf] - c[f]) / a[f]
            trees.append(
                {
                    "feature": np.where(leaf, -2, feature),
                    "threshold": threshold,
                    "raw_threshold": nodes["num_threshold"].astype(float),
                    "scaled": True,  # compared in float64, as the predictor
                    "left": np.where(leaf, -1, nodes["left"].astype(np.intp)),
                    "right": np.where(leaf, -1, nodes["right"].astype(np.intp)),
                    "leaves": np.flatnonzero(leaf),
                }
            )
            v = np.zeros((trees[-1]["leaves"].size, k))
            v[:, j] = nodes["value"][leaf]
            values.append(v)
    if classifier:
        link = "logit" if k == 1 else "softmax"
    else:
        link = "identity"
    return TreePieces(trees, values, const, link)


def _boosting_init(model, k, d):
    """Gradient boosting's initial raw score (what ``init_`` predicts)."""
    init = model.init_
    if isinstance(init, str) and init == "zero":
        return np.zeros(k)
    X0 = np.zeros((1, d))
    if not hasattr(model, "classes_"):
        return np.asarray(init.predict(X0), dtype=float).reshape(-1)[:1]
    eps = np.finfo(np.float32).eps
    p = np.clip(np.asarray(init.predict_proba(X0), dtype=float)[0], eps, 1 - eps)
    if k == 1:
        return np.array([np.log(p[1] / (1 - p[1]))])
    return np.log(p)


# ------------------------------------------------------------------ checks
def leaf_of(tree, z):
    """Leaf of ``tree`` for each row of ``z`` (float32 comparison, as sklearn)."""
    node = np.zeros(z.shape[0], dtype=int)
    if tree["scaled"]:
        # the tree compares the scaled value; the search compares z with the
        # mapped threshold, which can differ by rounding: decide in z units
        values = z
        thresholds = tree["threshold"]
    else:
        values = z.astype(np.float32)
        thresholds = tree["raw_threshold"]
    active = tree["left"][node] >= 0
    while active.any():
        i = np.flatnonzero(active)
        n = node[i]
        go_left = values[i, tree["feature"][n]] <= thresholds[n]
        node[i] = np.where(go_left, tree["left"][n], tree["right"][n])
        active = tree["left"][node] >= 0
    return node


def outputs(pieces, z):
    """The pieces' outputs at rows ``z`` (before the link)."""
    if pieces.kind == "linear":
        return z @ pieces.A.T + pieces.b
    out = np.tile(pieces.const, (z.shape[0], 1))
    for tree, v in zip(pieces.trees, pieces.values):
        leaf = leaf_of(tree, z)
        pos = np.searchsorted(tree["leaves"], leaf)
        out += v[pos]
    return out


def linked(pieces, out):
    """Model output from the pieces' outputs: probabilities or predictions."""
    if pieces.link == "logit":
        p = 1.0 / (1.0 + np.exp(-out[:, 0]))
        return np.column_stack([1 - p, p])
    if pieces.link == "softmax":
        e = np.exp(out - out.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if pieces.link == "identity":
        return out[:, 0]
    return out


def _check_outputs(model, pieces, rows, theirs):
    """The pieces must reproduce the model on ``rows`` (else: unsupported)."""
    mine = linked(pieces, outputs(pieces, rows))
    theirs = np.asarray(theirs, dtype=float)
    if theirs.shape != mine.shape or not np.allclose(mine, theirs, atol=1e-6):
        raise _unsupported(
            model, " (its outputs differ from the program's on the reference rows)"
        )
