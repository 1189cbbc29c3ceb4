"""Pre-consolidation: the clients' pre-trained models made into one starting model.

Two consolidators, both sklearn classifiers whose ``fit`` produces the
starting model of federated training (``student_``, a skorch net):

- :class:`KDConsolidator`: multi-teacher soft-target KD. The teachers are the
  clients' pre-trained models (uploaded once); the transfer set is a set of
  rows the *server* holds, public and unlabeled, disjoint from every client's
  rows; the student matches the teachers' mean (tempered) probabilities, with
  the teachers' majority class as its hard label. ``param_grid`` tunes the
  temperature and the weight as the second paper does (grid search per data
  distribution), scored by ``scoring``: in a federation, a federated
  evaluation in which each client scores every candidate on its own rows and
  returns only counts (see :func:`federated_accuracy`).
- :class:`CooperativeConsolidator`: the clients first distil into one another
  with :class:`~skcoop.CooperativeDistillationEnsemble` (site-local: a site
  receives another's model, runs it on its own rows and sends back virtual
  instances, never raw rows), then the distilled members are consolidated by
  the same KD on the server's transfer set.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context, clone
from sklearn.model_selection import ParameterGrid
from sklearn.utils._param_validation import HasMethods
from sklearn.utils.validation import check_is_fitted, validate_data

from ..distill import fit_soft_targets, soften
from ..utils import count, draw_seed, number, stable_argmax

__all__ = [
    "CooperativeConsolidator",
    "KDConsolidator",
    "federated_accuracy",
    "teacher_proba",
]


def _teacher_weights(teachers, weights):
    """One finite non-negative weight per teacher, not all zero."""
    if not isinstance(teachers, (list, tuple)) or not teachers:
        raise ValueError(
            "teachers must be a non-empty list of fitted classifiers. Got "
            f"{teachers!r} instead."
        )
    if weights is None:
        return np.ones(len(teachers))
    try:
        w = np.asarray(weights, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"weights must be numbers, one per teacher. Got {weights!r} instead."
        ) from exc
    if w.ndim != 1 or w.shape[0] != len(teachers):
        raise ValueError(
            f"weights must hold one entry per teacher ({len(teachers)}). Got "
            f"{np.shape(weights)} entries instead."
        )
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(
            "weights must be finite and non-negative (a teacher's share of the "
            f"mean). Got {w.tolist()} instead."
        )
    if w.sum() == 0:
        raise ValueError(
            f"weights must not be all zero. Got {w.tolist()} instead; give at "
            "least one teacher a positive weight."
        )
    return w


def teacher_proba(teachers, X, n_classes, weights=None):
    """Weighted mean of the teachers' class probabilities, columns ``0..C-1``.

    A skorch net's columns are its output units (class indices); any other
    classifier's columns are placed by its ``classes_``, zeros for classes it
    never saw.

    Parameters
    ----------
    teachers : list of fitted classifiers
    X : array-like of shape (n_samples, n_features)
    n_classes : int
    weights : array-like of shape (n_teachers,), default=None
        Weight of each teacher (for example its site's row count); None
        weighs them equally.

    Returns
    -------
    proba : ndarray of shape (n_samples, n_classes)
    """
    from ..utils import align_proba, member_output

    weights = _teacher_weights(teachers, weights)
    total = np.zeros((len(X), n_classes))
    for i, (w, teacher) in enumerate(zip(weights, teachers)):
        net = hasattr(teacher, "module_")
        p = member_output(
            teacher,
            X,
            "predict_proba",
            name=f"teachers[{i}]",
            n_columns=None if net else len(teacher.classes_),
        )
        if not net:
            p = align_proba(p, teacher.classes_, np.arange(n_classes))
        if p.shape[1] != n_classes:
            raise ValueError(
                f"Every teacher must give one probability per class ({n_classes}). "
                f"Got {p.shape[1]} columns from {type(teacher).__name__} instead."
            )
        total += w * p
    return total / weights.sum()


def federated_accuracy(client_data):
    """A ``scoring`` callable: accuracy over every client's own rows.

    Simulates one round of federated evaluation: the candidate model is sent
    to each client, which returns its number of correct predictions and of
    rows; the server divides the sums. No row leaves a client.

    Parameters
    ----------
    client_data : list of (X, y)
        Each client's rows, ``y`` class indices.

    Returns
    -------
    scoring : callable ``scoring(model) -> float``

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skcoop.federated import federated_accuracy
    >>> clients = [(np.zeros((3, 1)), np.array([0, 0, 1])),
    ...            (np.zeros((1, 1)), np.array([0]))]
    >>> model = DummyClassifier(strategy="constant", constant=0).fit([[0]], [0])
    >>> federated_accuracy(clients)(model)
    0.75
    """
    data = [(X, np.asarray(y)) for X, y in client_data]

    def scoring(model):
        correct = sum(int(np.sum(model.predict(X) == y)) for X, y in data)
        return correct / sum(len(y) for _, y in data)

    return scoring


def _default_student(n_features, n_classes, random_state):
    from ._nets import make_mlp_net

    return make_mlp_net(n_features, n_classes, max_epochs=30, random_state=random_state)


class KDConsolidator(ClassifierMixin, BaseEstimator):
    """Multi-teacher soft-target KD of pre-trained models into one student.

    ``fit(X)`` trains the student on the transfer set ``X`` (rows the server
    holds; no labels needed) with the loss ``(1 - w) CE(y_hat, s) + w T^2
    KL(softmax(log q / T) || softmax(s / T))``, ``q`` the teachers' mean
    probabilities and ``y_hat = argmax q`` (or ``y`` when the transfer set is
    labelled). The loss is :class:`~skcoop.distill.KDNeuralNetClassifier`'s,
    reached through :func:`~skcoop.distill.fit_soft_targets`.

    Parameters
    ----------
    teachers : list of fitted classifiers
        The clients' pre-trained models (skorch nets or any classifier with
        ``predict_proba``), predicting class indices ``0..n_classes - 1``.
        Shared, not copied, by ``clone``.
    n_classes : int
        Number of classes (the width of the student's output).
    student : skorch NeuralNetClassifier or None, default=None
        Unfitted student; None makes :func:`~skcoop.federated.make_mlp_net`
        (64 hidden units, 30 epochs of Adam). FedAvg then starts from its
        weights, so its module must be the federation's.
    temperature : float > 0, default=2.0
        ``T`` (vanilla KD: ``SoftTargetDistiller``'s default).
    alpha : float in [0, 1], default=0.5
        The distillation weight ``w``.
    param_grid : dict or None, default=None
        Tuned KD: a grid over ``temperature`` and ``alpha`` (for example
        ``{"temperature": [1, 2, 4, 8], "alpha": [0.25, 0.5, 0.75, 0.9]}``);
        each candidate student is fitted and scored with ``scoring``, and the
        best is kept. None fits ``temperature`` and ``alpha`` as given.
    scoring : callable or None, default=None
        ``scoring(student) -> float``, higher is better; required with
        ``param_grid``. Use :func:`federated_accuracy` to score on the
        clients' own rows (one federated evaluation round for the whole
        grid).
    teacher_weights : array-like or None, default=None
        Weight of each teacher in the mean; None weighs them equally.
    random_state : int, RandomState instance or None, default=None
        Seeds the student's initial weights (``torch.manual_seed``).

    Attributes
    ----------
    student_ : skorch NeuralNetClassifier
        The consolidated model (a :class:`~skcoop.distill.KDNeuralNetClassifier`).
    classes_ : ndarray of shape (n_classes,)
        ``0 .. n_classes - 1``.
    best_params_ : dict
        ``temperature`` and ``alpha`` of ``student_``.
    cv_results_ : dict of lists or None
        With ``param_grid``: ``params`` and ``score`` of every candidate.
    communication_rounds_ : int
        Rounds of communication the consolidation needed: 1 (the clients
        upload their models) plus 1 with ``param_grid`` (the federated
        evaluation of the candidates).
    n_transfer_ : int
        Rows of the transfer set.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skcoop.federated import KDConsolidator
    >>> X, y = load_iris(return_X_y=True)
    >>> X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    >>> rng = np.random.RandomState(0)
    >>> order = rng.permutation(150)
    >>> sites, public = np.array_split(order[:100], 2), order[100:]
    >>> teachers = [LogisticRegression().fit(X[s], y[s]) for s in sites]
    >>> kd = KDConsolidator(teachers, n_classes=3, random_state=0).fit(X[public])
    >>> kd.score(X, y) > 0.8
    True
    >>> kd.communication_rounds_
    1
    """

    _parameter_constraints = {
        "teachers": [list],
        "n_classes": [count(2)],
        "student": [HasMethods(["fit", "predict_proba"]), None],
        "temperature": [number(0, None, closed="neither")],
        "alpha": [number(0, 1)],
        "param_grid": [dict, list, None],
        "scoring": [callable, None],
        "teacher_weights": ["array-like", None],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        teachers,
        n_classes,
        *,
        student=None,
        temperature=2.0,
        alpha=0.5,
        param_grid=None,
        scoring=None,
        teacher_weights=None,
        random_state=None,
    ):
        self.teachers = teachers
        self.n_classes = n_classes
        self.student = student
        self.temperature = temperature
        self.alpha = alpha
        self.param_grid = param_grid
        self.scoring = scoring
        self.teacher_weights = teacher_weights
        self.random_state = random_state

    def __sklearn_clone__(self):
        # the teachers are fitted models the student learns from: shared.
        params = self.get_params(deep=False)
        teachers = params.pop("teachers")
        params = {k: clone(v, safe=False) for k, v in params.items()}
        return type(self)(teachers=teachers, **params)

    def _fit_one(self, X, y_index, proba, temperature, alpha, seed):
        import torch

        if self.student is None:
            student = _default_student(X.shape[1], self.n_classes, seed)
        else:
            student = clone(self.student)
        torch.manual_seed(seed)
        return fit_soft_targets(
            student,
            X,
            y_index,
            soften(proba, temperature),
            weight=alpha,
            classes=np.arange(self.n_classes),
            temperature=temperature,
            method="native",
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Train the student on the transfer set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The transfer set: rows the server holds, none of them a client's.
        y : array-like of shape (n_samples,) or None, default=None
            Labels of a labelled transfer set (class indices); None uses the
            teachers' majority class ``argmax q``.

        Returns
        -------
        self : KDConsolidator
        """
        X = validate_data(self, X, dtype=np.float32, reset=True)
        if len(self.teachers) == 0:
            raise ValueError(
                "teachers must hold at least one fitted model. Got [] instead."
            )
        if self.param_grid is not None and self.scoring is None:
            raise ValueError(
                "Tuned KD (param_grid) picks the best candidate with scoring; pass "
                "scoring, for example federated_accuracy(client_data). Got "
                "scoring=None instead."
            )
        seed = int(draw_seed(self.random_state))
        proba = teacher_proba(self.teachers, X, self.n_classes, self.teacher_weights)
        if y is None:
            y_index = stable_argmax(proba, scale=1.0)
        else:
            y_index = np.asarray(y).astype(np.int64)
            if len(y_index) != len(X) or not np.all(
                (y_index >= 0) & (y_index < self.n_classes)
            ):
                raise ValueError(
                    f"y must hold one class index in [0, {self.n_classes}) per row "
                    f"of X ({len(X)}). Got {len(y_index)} labels in "
                    f"[{y_index.min()}, {y_index.max()}] instead."
                )
        if self.param_grid is None:
            candidates = [{"temperature": self.temperature, "alpha": self.alpha}]
        else:
            candidates = list(ParameterGrid(self.param_grid))
        best, best_score, scores = None, -np.inf, []
        for params in candidates:
            t = params.get("temperature", self.temperature)
            a = params.get("alpha", self.alpha)
            student = self._fit_one(X, y_index, proba, t, a, seed)
            if self.param_grid is None:
                best, best_params = student, {"temperature": t, "alpha": a}
                break
            score = float(self.scoring(student))
            scores.append(score)
            if score > best_score:
                best, best_score = student, score
                best_params = {"temperature": t, "alpha": a}
        self.student_ = best
        self.best_params_ = best_params
        self.cv_results_ = (
            None if self.param_grid is None else {"params": candidates, "score": scores}
        )
        self.classes_ = np.arange(self.n_classes)
        self.n_transfer_ = len(X)
        self.communication_rounds_ = 1 + (self.param_grid is not None)
        return self

    def predict_proba(self, X):
        """The consolidated student's class probabilities."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return self.student_.predict_proba(X)

    def predict(self, X):
        """The consolidated student's predicted class indices."""
        return stable_argmax(self.predict_proba(X), scale=1.0)


class CooperativeConsolidator(ClassifierMixin, BaseEstimator):
    """Cooperative distillation among the clients, then KD into one student.

    ``fit(X, y, site=site, X_transfer=...)`` first fits a
    :class:`~skcoop.CooperativeDistillationEnsemble` of ``estimators`` on the
    clients' rows (member ``k`` on the rows of ``site == k``; expertise is
    judged site-locally, so only models and virtual instances travel between
    sites), then consolidates its distilled members (``estimators_``) with
    ``kd`` on the server's transfer set ``X_transfer``.

    Parameters
    ----------
    estimators : list of (str, estimator)
        One member per client (for example skorch nets of the federation's
        module), as for :class:`~skcoop.CooperativeDistillationEnsemble`.
    kd : KDConsolidator or None, default=None
        The consolidation step (its ``teachers`` are replaced by the distilled
        members); None uses ``KDConsolidator`` defaults.
    n_rounds : int >= 0, default=1
        Rounds of cooperative distillation.
    alpha : float in [0, 1], default=0.5
        The cooperative target's step toward the true label.
    random_state : int, RandomState instance or None, default=None
        Seeds the ensemble and the student.

    Attributes
    ----------
    ensemble_ : CooperativeDistillationEnsemble
        The fitted ensemble.
    consolidator_ : KDConsolidator
        The fitted KD step.
    student_ : skorch NeuralNetClassifier
        The consolidated starting model.
    classes_ : ndarray of shape (n_classes,)
    communication_rounds_ : int
        ``1 + 2 n_rounds`` plus the KD step's tuning round: the clients upload
        their models once; each cooperative round is two exchanges (the
        models go out to every site and virtual instances come back; the
        virtual instances go to their students, which return refitted
        models).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skcoop.federated import CooperativeConsolidator, KDConsolidator
    >>> X, y = load_iris(return_X_y=True)
    >>> X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    >>> order = np.random.RandomState(0).permutation(150)
    >>> clients, public = order[:100], order[100:]
    >>> site = np.arange(100) % 2
    >>> members = [("a", LogisticRegression()), ("b", LogisticRegression())]
    >>> coop = CooperativeConsolidator(
    ...     members, kd=KDConsolidator([], n_classes=3), random_state=0
    ... ).fit(X[clients], y[clients], site=site, X_transfer=X[public])
    >>> coop.score(X, y) > 0.8, coop.communication_rounds_
    (True, 3)
    """

    _parameter_constraints = {
        "estimators": [list],
        "kd": [HasMethods(["fit", "set_params"]), None],
        "n_rounds": [count(0)],
        "alpha": [number(0, 1)],
        "random_state": ["random_state"],
    }

    def __init__(
        self, estimators, *, kd=None, n_rounds=1, alpha=0.5, random_state=None
    ):
        self.estimators = estimators
        self.kd = kd
        self.n_rounds = n_rounds
        self.alpha = alpha
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, site=None, X_transfer=None):
        """Cooperative distillation on the clients' rows, then KD on the transfer set.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The clients' rows (each member sees only its own site's rows).
        y : array-like of shape (n_samples,)
            Class indices ``0 .. n_classes - 1``.
        site : array-like of shape (n_samples,)
            Client of each row (``0 .. n_clients - 1``).
        X_transfer : array-like of shape (n_transfer, n_features)
            The server's transfer set, disjoint from ``X``.

        Returns
        -------
        self : CooperativeConsolidator
        """
        from .. import CooperativeDistillationEnsemble

        if site is None or X_transfer is None:
            raise ValueError(
                "CooperativeConsolidator.fit needs site (the client of each row) and "
                "X_transfer (the server's rows). Got "
                f"site={'None' if site is None else '...'}, X_transfer="
                f"{'None' if X_transfer is None else '...'} instead."
            )
        seed_ens, seed_kd = (int(s) for s in draw_seed(self.random_state, size=2))
        ensemble = CooperativeDistillationEnsemble(
            estimators=self.estimators,
            n_rounds=self.n_rounds,
            alpha=self.alpha,
            random_state=seed_ens,
        )
        ensemble.fit(X, y, site=site)
        classes = np.unique(np.asarray(y))
        n_classes = int(classes.max()) + 1
        kd = KDConsolidator([], n_classes=n_classes) if self.kd is None else self.kd
        kd = clone(kd).set_params(teachers=list(ensemble.estimators_))
        if kd.random_state is None:
            kd.set_params(random_state=seed_kd)
        kd.fit(X_transfer)
        self.ensemble_ = ensemble
        self.consolidator_ = kd
        self.student_ = kd.student_
        self.classes_ = kd.classes_
        self.communication_rounds_ = kd.communication_rounds_ + 2 * self.n_rounds
        return self

    def predict_proba(self, X):
        """The consolidated student's class probabilities."""
        check_is_fitted(self)
        return self.consolidator_.predict_proba(X)

    def predict(self, X):
        """The consolidated student's predicted class indices."""
        return stable_argmax(self.predict_proba(X), scale=1.0)
