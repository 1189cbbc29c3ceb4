"""The lesson of a KD strategy: soft targets on a student's own rows.

Every distillation strategy hands each student a lesson, and one function,
:func:`skcoop.utils.learn_lesson`, turns a student's starting point and its
lesson into the fitted student: cooperative distillation's lesson is rows
(its own plus virtual rows), a KD strategy's is :class:`SoftTargetLesson`.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import check_random_state

from ..utils import is_skorch_net
from ._mutual import update_toward
from ._soft_targets import fit_soft_targets

__all__ = ["SoftTargetLesson"]


class SoftTargetLesson:
    """Soft targets a student learns on its own rows.

    Parameters
    ----------
    X, y : array-like
        The student's own rows and labels.
    targets : ndarray of shape (n_samples, n_classes)
        Tempered teacher distribution ``q`` per row, columns following
        ``classes``.
    classes : ndarray of shape (n_classes,)
        Sorted labels of all classes (the classes the lesson teaches).
    weight, temperature : float
        KD weight ``w`` and temperature ``T``.
    sample_weight : array-like or None
        Weights of the student's rows (a weight is a repetition).
    method : {"auto", "native", "replicate", "resample"}
        How a whole fit learns soft targets (:func:`fit_soft_targets`).
    random_state : int or RandomState
        Seeds resampling and batch order (a RandomState is shared by the
        steps of one joint loop).
    step_by_step : bool
        A step of a joint loop (mutual learning): one pass over the rows.
    batch_size : int or None
        Batch size of skorch students stepped forward.
    """

    def __init__(
        self,
        X,
        y,
        targets,
        *,
        classes,
        weight,
        temperature,
        sample_weight=None,
        method="auto",
        random_state=None,
        step_by_step=False,
        batch_size=None,
    ):
        self.X = X
        self.y = y
        self.targets = targets
        self.classes = np.asarray(classes)
        self.weight = weight
        self.temperature = temperature
        self.sample_weight = sample_weight
        self.method = method
        self.random_state = random_state
        self.step_by_step = step_by_step
        self.batch_size = batch_size

    def apply(self, student, how):
        """Fit ``student`` on the soft targets, or step it forward.

        ``how="fit"``: a whole fit (:func:`fit_soft_targets`; it continues
        from the student's state when ``warm_start`` is on). ``"partial_fit"``:
        one pass toward the targets; a skorch net that is not one step of a
        joint loop is trained natively from where it is instead.
        """
        if how == "partial_fit" and not (
            is_skorch_net(student) and not self.step_by_step
        ):
            return update_toward(
                student,
                self.X,
                self.y,
                self.targets,
                classes=self.classes,
                temperature=self.temperature,
                weight=self.weight,
                sample_weight=self.sample_weight,
                batch_size=self.batch_size,
                rng=check_random_state(self.random_state),
            )
        if how == "partial_fit":  # a skorch net continues natively
            student.set_params(warm_start=True)
        return fit_soft_targets(
            student,
            self.X,
            self.y,
            self.targets,
            weight=self.weight,
            classes=self.classes,
            sample_weight=self.sample_weight,
            temperature=self.temperature,
            random_state=self.random_state,
            method=self.method,
        )
