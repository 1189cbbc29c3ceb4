"""Distillation strategies: how each member learns from the others.

A strategy is a small scikit-learn style object whose parameters are
grid-searchable through the ensemble (``distiller__temperature``). It
implements one protocol: :meth:`BaseDistiller.lessons` gives each student its
lesson (soft targets on its own rows, :class:`SoftTargetLesson`), and
:func:`skcoop.utils.learn_lesson`, the one refit of every strategy
(cooperative distillation's too), turns a student's starting point and its
lesson into the fitted student. :meth:`BaseDistiller.distill` chains the two,
once (``n_steps = 1``) or epoch by epoch (mutual learning).
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import column_or_1d

from ..utils import (
    Substitution,
    aligned_proba,
    count,
    draw_seed,
    is_fitted,
    learn_lesson,
    number,
    starting_point,
)
from ._lesson import SoftTargetLesson
from ._losses import soften
from ._mutual import check_mutual_params
from ._qualified import qualified_soft_targets, qualified_teacher_mask
from ._utils import onehot

__all__ = [
    "BaseDistiller",
    "MutualLearningDistiller",
    "PartitionedDistiller",
    "SoftTargetDistiller",
]


def _identity(i, j, X):
    return X


class BaseDistiller(BaseEstimator):
    """Base class of the distillation strategies.

    Subclasses set their parameters in ``__init__`` and implement
    ``_lessons`` with the arguments of :meth:`lessons`, already checked.
    A strategy that trains its students together, step by step (mutual
    learning), sets ``_step_by_step = True`` and gives its number of steps
    in ``_n_steps``.
    """

    _parameter_constraints: dict = {}
    _step_by_step = False

    def _n_steps(self):
        return 1

    def _check(self, templates, members, X_parts, y_parts, sw_parts, classes):
        self._validate_params()
        k = len(templates)
        if not (len(members) == len(X_parts) == len(y_parts) == k):
            raise ValueError(
                "templates, members, X_parts and y_parts must hold one entry per "
                f"member. Got {k}, {len(members)}, {len(X_parts)} and "
                f"{len(y_parts)} instead."
            )
        sw_parts = [None] * k if sw_parts is None else list(sw_parts)
        if len(sw_parts) != k:
            raise ValueError(
                f"sw_parts must hold one entry per member ({k}). Got "
                f"{len(sw_parts)} instead."
            )
        y_parts = [column_or_1d(y) for y in y_parts]
        return sw_parts, y_parts, None if classes is None else np.asarray(classes)

    def lessons(
        self,
        teachers,
        X_parts,
        y_parts,
        sw_parts,
        classes,
        random_state=None,
        transform=None,
        *,
        columns=None,
        reference=None,
    ):
        """Each student's lesson from the teachers: the strategy's protocol.

        Parameters
        ----------
        teachers : list of classifiers
            Member ``j``'s current model (fitted, or not yet: it teaches
            nothing then); student ``j`` is taught by every other one.
        X_parts, y_parts, sw_parts, classes, random_state, transform
            As in :meth:`distill`.
        columns, reference
            As in :meth:`distill`.

        Returns
        -------
        lessons : list of SoftTargetLesson
            One per student, in order.
        """
        sw_parts, y_parts, classes = self._check(
            teachers, teachers, X_parts, y_parts, sw_parts, classes
        )
        transform = _identity if transform is None else transform
        return self._lessons_for(
            list(teachers),
            list(X_parts),
            y_parts,
            sw_parts,
            classes,
            check_random_state(random_state),
            transform,
            columns=columns,
            reference=reference,
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
        """The lessons of one step; ``columns``, ``reference`` and
        ``templates`` serve strategies that read rows beyond the students'
        own (the public-set strategies)."""
        return self._lessons(
            teachers, X_parts, y_parts, sw_parts, classes, rng, transform
        )

    def distill(
        self,
        templates,
        members,
        X_parts,
        y_parts,
        sw_parts,
        classes,
        random_state=None,
        transform=None,
        *,
        names=None,
        pretrained=None,
        columns=None,
        reference=None,
    ):
        """Fit one student per member, each taught by the other members.

        Each step, :meth:`lessons` from the current students, then each
        student learns its lesson (:func:`skcoop.utils.learn_lesson`).

        Parameters
        ----------
        templates : list of estimators
            Unfitted member templates; student ``j`` is ``clone(templates[j])``
            (or a copy of ``members[j]`` where a strategy continues fitted
            members).
        members : list of fitted classifiers
            The teachers. Their ``predict_proba`` columns follow their own
            ``classes_`` and are aligned to ``classes`` (zeros for classes a
            member never saw); skorch nets output one column per class, in
            the order of ``classes``.
        X_parts : list of array-like
            ``X_parts[j]``: member ``j``'s rows, in its feature space.
        y_parts : list of array-like
            Labels of ``X_parts[j]``.
        sw_parts : list of (array-like or None), or None
            Sample weights of ``X_parts[j]`` (a weight is a repetition).
        classes : array-like of shape (n_classes,)
            Sorted labels of all classes.
        random_state : int, RandomState instance or None, default=None
            Seeds resampling and batch order.
        transform : callable or None, default=None
            ``transform(i, j, X)`` maps rows ``X`` of member ``j``'s feature
            space to member ``i``'s (so that teacher ``i`` can be run on
            student ``j``'s rows); identity when None.
        names : list of str or None, default=None
            Member names, for messages (positions when None).
        pretrained : list of bool or None, default=None
            Which members are pre-trained: they go on learning from where
            they are whatever ``warm_start`` (the one policy for pre-trained
            members, :func:`skcoop.utils.starting_point`).
        columns : list of (list of column keys or None), or None, default=None
            Member ``j``'s columns of the fit's whole ``X`` (None: all);
            read by strategies with rows of their own (``X_public``).
        reference : array-like or DataFrame or None, default=None
            The fit's rows, every column: what those rows are checked
            against (``X_parts[0]`` when None).

        Returns
        -------
        students : list of fitted estimators
            One per member, in order.
        """
        sw_parts, y_parts, classes = self._check(
            templates, members, X_parts, y_parts, sw_parts, classes
        )
        k = len(templates)
        transform = _identity if transform is None else transform
        rng = check_random_state(random_state)
        names = [str(j) for j in range(k)] if names is None else list(names)
        pretrained = [False] * k if pretrained is None else list(pretrained)
        resume = [self.warm_start or p for p in pretrained]
        if self._step_by_step:  # a joint loop over students started here
            students = [
                starting_point(
                    templates[j],
                    members[j],
                    classes,
                    resume=resume[j],
                    step_by_step=True,
                    name=names[j],
                    pretrained=pretrained[j],
                )[0]
                for j in range(k)
            ]
            return self._joint_steps(
                students,
                list(X_parts),
                y_parts,
                sw_parts,
                classes,
                rng,
                transform,
                names,
            )
        lessons = self._lessons_for(
            list(members),
            list(X_parts),
            y_parts,
            sw_parts,
            classes,
            rng,
            transform,
            columns=columns,
            reference=reference,
            templates=list(templates),
        )
        return [
            learn_lesson(
                names[j],
                templates[j],
                members[j],
                lessons[j],
                resume=resume[j],
                pretrained=pretrained[j],
            )
            for j in range(k)
        ]

    def _joint_steps(
        self, students, X_parts, y_parts, sw_parts, classes, rng, transform, names
    ):
        """Steps of a joint loop: lessons from one snapshot, one step each.

        The students are stepped in place (they were started by the loop).
        """
        for _ in range(self._n_steps()):
            lessons = self._lessons(
                students, X_parts, y_parts, sw_parts, classes, rng, transform
            )
            students = [
                learn_lesson(
                    names[j],
                    students[j],
                    students[j],
                    lessons[j],
                    resume=True,
                    step_by_step=True,
                    copy=False,
                )
                for j in range(len(students))
            ]
        return students

    def _teacher_probas(self, members, j, X_j, classes, transform):
        """Aligned outputs of every fitted member but ``j`` on ``j``'s rows."""
        return [
            aligned_proba(members[i], transform(i, j, X_j), classes)
            for i in range(len(members))
            if i != j and is_fitted(members[i])
        ]

    def _soft_lessons(self, X_parts, y_parts, sw_parts, classes, rng, targets):
        seeds = draw_seed(rng, size=len(targets))
        return [
            SoftTargetLesson(
                X_parts[j],
                y_parts[j],
                targets[j],
                classes=classes,
                weight=self.weight,
                temperature=self.temperature,
                sample_weight=sw_parts[j],
                method=self.method,
                random_state=seeds[j],
            )
            for j in range(len(targets))
        ]


# the parameters SoftTargetDistiller and PartitionedDistiller share
SOFT_TARGET_PARAMS = """temperature : float, default=2.0
        ``T > 0`` applied to the teachers' outputs (and to skorch students).
    weight : float, default=0.5
        ``w`` in ``[0, 1]``.
    method : {"auto", "native", "replicate", "resample"}, default="auto"
        How students learn soft targets; see :func:`fit_soft_targets`.
    warm_start : bool, default=False
        Start student ``j`` from a copy of the fitted ``members[j]`` instead of
        ``clone(templates[j])`` where its fit continues from its state (a
        skorch net, or a learner built with ``warm_start=True`` that already
        knows every class); KD between pre-trained models. Members are never
        modified."""


@Substitution(soft_target_params=SOFT_TARGET_PARAMS.strip())
class SoftTargetDistiller(BaseDistiller):
    """Vanilla knowledge distillation from the other members' soft outputs.

    Student ``j`` is fitted on its own rows toward ``(1 - weight) onehot(y) +
    weight q`` where ``q`` is the mean of the other members' outputs on those
    rows, each tempered with ``temperature``. skorch students use the loss
    ``(1 - w) CE + w T^2 KL`` directly; other learners replicate rows per
    class with weights, or resample (:func:`fit_soft_targets`). Tuned KD is
    a grid search over ``temperature`` and ``weight``.

    Parameters
    ----------
    {soft_target_params}

    Examples
    --------
    Two sites of iris; each member is refitted from the other's outputs:

    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skcoop.distill import SoftTargetDistiller
    >>> X, y = load_iris(return_X_y=True)
    >>> X_parts, y_parts = [X[::2], X[1::2]], [y[::2], y[1::2]]
    >>> templates = [GaussianNB(), DecisionTreeClassifier(max_depth=3)]
    >>> members = [GaussianNB().fit(X_parts[0], y_parts[0]),
    ...            DecisionTreeClassifier(max_depth=3).fit(X_parts[1], y_parts[1])]
    >>> distiller = SoftTargetDistiller(temperature=2.0, weight=0.5)
    >>> students = distiller.distill(templates, members, X_parts, y_parts,
    ...                              None, np.unique(y), random_state=0)
    >>> [type(s).__name__ for s in students]
    ['GaussianNB', 'DecisionTreeClassifier']
    """

    _parameter_constraints: dict = {
        "temperature": [number(0, None, closed="neither")],
        "weight": [number(0, 1)],
        "method": [StrOptions({"auto", "native", "replicate", "resample"})],
        "warm_start": ["boolean"],
    }

    def __init__(self, temperature=2.0, weight=0.5, method="auto", warm_start=False):
        self.temperature = temperature
        self.weight = weight
        self.method = method
        self.warm_start = warm_start

    def soft_targets(self, members, X_j, y_j, j, classes, transform=None):
        """Soft target of student ``j``: mean tempered output of the others.

        One-hot labels when there is no other member.
        """
        transform = _identity if transform is None else transform
        probas = self._teacher_probas(members, j, X_j, classes, transform)
        if not probas:
            return onehot(y_j, classes)
        return np.mean([soften(p, self.temperature) for p in probas], axis=0)

    def _lessons(self, teachers, X_parts, y_parts, sw_parts, classes, rng, transform):
        targets = [
            self.soft_targets(teachers, X_parts[j], y_parts[j], j, classes, transform)
            for j in range(len(teachers))
        ]
        return self._soft_lessons(X_parts, y_parts, sw_parts, classes, rng, targets)


@Substitution(soft_target_params=SOFT_TARGET_PARAMS.strip())
class PartitionedDistiller(BaseDistiller):
    """Data-partitioning KD: each row taught only by members qualified on it.

    A member other than ``j`` is a qualified teacher of a row of student
    ``j`` when it predicts the row's class correctly. The soft target of the
    row is the mean tempered output of its qualified teachers; rows without
    one keep their one-hot label. Students are then fitted as in
    :class:`SoftTargetDistiller`.

    Parameters
    ----------
    {soft_target_params}

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skcoop.distill import PartitionedDistiller
    >>> X, y = load_iris(return_X_y=True)
    >>> X_parts, y_parts = [X[::2], X[1::2]], [y[::2], y[1::2]]
    >>> members = [GaussianNB().fit(Xp, yp) for Xp, yp in zip(X_parts, y_parts)]
    >>> distiller = PartitionedDistiller(temperature=2.0)
    >>> targets, has_teacher = distiller.soft_targets(
    ...     members, X_parts[0], y_parts[0], 0, np.unique(y))
    >>> float(has_teacher.mean()) > 0.9  # rows member 1 classifies correctly
    True
    """

    _parameter_constraints: dict = dict(SoftTargetDistiller._parameter_constraints)

    def __init__(self, temperature=2.0, weight=0.5, method="auto", warm_start=False):
        self.temperature = temperature
        self.weight = weight
        self.method = method
        self.warm_start = warm_start

    def soft_targets(self, members, X_j, y_j, j, classes, transform=None):
        """Soft targets of student ``j`` and which rows have a qualified teacher.

        Returns
        -------
        soft_targets : ndarray of shape (n_rows, n_classes)
        has_teacher : ndarray of shape (n_rows,), dtype=bool
        """
        transform = _identity if transform is None else transform
        probas = self._teacher_probas(members, j, X_j, classes, transform)
        if not probas:
            return onehot(y_j, classes), np.zeros(len(y_j), dtype=bool)
        mask = qualified_teacher_mask(probas, y_j, classes)
        return qualified_soft_targets(probas, y_j, classes, self.temperature, mask)

    def _lessons(self, teachers, X_parts, y_parts, sw_parts, classes, rng, transform):
        targets = [
            self.soft_targets(teachers, X_parts[j], y_parts[j], j, classes, transform)[
                0
            ]
            for j in range(len(teachers))
        ]
        return self._soft_lessons(X_parts, y_parts, sw_parts, classes, rng, targets)


class MutualLearningDistiller(BaseDistiller):
    """Deep mutual learning: all members updated together, epoch by epoch.

    Every epoch, each member makes one pass over its own rows toward
    ``(1 - weight) onehot(y) + weight q`` with ``q`` the mean tempered output
    of the other members on those rows, all taken from the same snapshot:
    an epoch is one round of lessons, each learnt as one step
    (:func:`skcoop.utils.learn_lesson`; :func:`mutual_learning_sites` runs
    the same loop on given peers). Members must train iteratively: skorch
    nets, or scikit-learn learners with ``partial_fit``.

    Parameters
    ----------
    temperature : float, default=1.0
    weight : float, default=0.5
    max_epochs : int, default=10
        Number of joint epochs.
    warm_start : bool, default=True
        Start each student from a copy of the fitted member (KD between
        pre-trained models, as in the paper) rather than from
        ``clone(template)``, where the member can go on learning: a skorch
        net, or a learner with ``partial_fit`` that has seen every class.
        Members are never modified.
    batch_size : int or None, default=None
        Batch size of skorch members; each net's own when None.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import SGDClassifier
    >>> from skcoop.distill import MutualLearningDistiller
    >>> X, y = load_iris(return_X_y=True)
    >>> X_parts, y_parts = [X[::2], X[1::2]], [y[::2], y[1::2]]
    >>> templates = [SGDClassifier(loss="log_loss", random_state=i) for i in range(2)]
    >>> members = [t.fit(Xp, yp) for t, Xp, yp in zip(templates, X_parts, y_parts)]
    >>> students = MutualLearningDistiller(max_epochs=3).distill(
    ...     templates, members, X_parts, y_parts, None, np.unique(y), random_state=0)
    >>> students[0] is members[0]  # members are copied, never changed
    False
    """

    _parameter_constraints: dict = {
        "temperature": [number(0, None, closed="neither")],
        "weight": [number(0, 1)],
        "max_epochs": [count(1)],
        "warm_start": ["boolean"],
        "batch_size": [count(1), None],
    }

    def __init__(
        self,
        temperature=1.0,
        weight=0.5,
        max_epochs=10,
        warm_start=True,
        batch_size=None,
    ):
        self.temperature = temperature
        self.weight = weight
        self.max_epochs = max_epochs
        self.warm_start = warm_start
        self.batch_size = batch_size

    _step_by_step = True

    def _n_steps(self):
        return self.max_epochs

    def _lessons(self, teachers, X_parts, y_parts, sw_parts, classes, rng, transform):
        """Soft targets of one epoch, all from the same snapshot of the peers.

        A peer with no fitted peer yet learns from its labels; the steps of
        the epoch share ``rng`` in the order of the peers.
        """
        check_mutual_params(self.max_epochs, self.temperature, self.weight)
        lessons = []
        for j in range(len(teachers)):
            probas = self._teacher_probas(teachers, j, X_parts[j], classes, transform)
            targets = (
                np.mean([soften(p, self.temperature) for p in probas], axis=0)
                if probas
                else onehot(y_parts[j], classes)
            )
            lessons.append(
                SoftTargetLesson(
                    X_parts[j],
                    y_parts[j],
                    targets,
                    classes=classes,
                    weight=self.weight,
                    temperature=self.temperature,
                    sample_weight=sw_parts[j],
                    random_state=rng,
                    step_by_step=True,
                    batch_size=self.batch_size,
                )
            )
        return lessons
