"""Teacher -> student distillation for skorch classifiers.

Imported only on use (it needs torch and skorch); ``skcoop.distill`` exposes
:class:`KDNeuralNetClassifier` lazily.
"""

# SPDX-License-Identifier: BSD-3-Clause

from collections.abc import Mapping

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.utils import to_numpy

from ..utils import align_proba, member_output
from ._losses import check_temperature, check_weight, kl_soft_term

__all__ = ["TEACHER_KEY", "KDNeuralNetClassifier", "student_logits"]

#: Key of the teacher probabilities in a dict ``X`` (for example a
#: :class:`skorch.helper.SliceDict`). The entry is used by the loss and never
#: reaches the module.
TEACHER_KEY = "teacher_proba"


def student_logits(net, y_pred):
    """Logits of a skorch classifier's forward output.

    With the default ``NLLLoss`` criterion the module returns probabilities,
    whose log is a logit vector; with any other criterion (for example
    ``CrossEntropyLoss``) the output is taken as logits.
    """
    if isinstance(y_pred, tuple | list):
        y_pred = y_pred[0]
    if isinstance(net.criterion_, torch.nn.NLLLoss):
        eps = torch.finfo(y_pred.dtype).eps
        return torch.log(y_pred + eps)
    return y_pred


class KDNeuralNetClassifier(NeuralNetClassifier):
    """NeuralNetClassifier trained by knowledge distillation from a teacher.

    The loss of a batch is ``(1 - alpha) L + alpha T^2 KL(softmax(log p / T)
    || softmax(s / T))`` where ``L`` is the net's own criterion on the hard
    labels, ``s`` the student's logits and ``p`` the teacher's probabilities.
    ``y`` stays the hard labels (class indices, as for any
    ``NeuralNetClassifier``).

    The teacher's probabilities come, in order of preference:

    1. from ``X``: pass a dict (best a :class:`skorch.helper.SliceDict`, so
       that validation splits and ``GridSearchCV`` can slice it) with the
       input under any key and the probabilities under ``"teacher_proba"``,
       shape ``(n_samples, n_classes)``, columns in class-index order. The
       teacher entry is removed before the module is called; if a single
       entry is left it is passed positionally, otherwise as keyword
       arguments (skorch's convention).
    2. from ``teacher``: a fitted classifier (scikit-learn or skorch) called
       on each batch with ``predict_proba``.

    With neither, the loss is the plain criterion (``alpha`` unused), so the
    net behaves as a ``NeuralNetClassifier``.

    Parameters
    ----------
    module : torch module (class or instance)
        As for :class:`skorch.NeuralNetClassifier`.
    *args
        Passed to :class:`skorch.NeuralNetClassifier`.
    teacher : fitted classifier or None, default=None
        Model with ``predict_proba`` whose outputs the student imitates. A
        scikit-learn teacher's ``classes_`` must be class indices (the labels
        the student is trained on); a skorch teacher's columns are taken in
        index order. The teacher is shared, not copied, by ``clone``, so a
        ``GridSearchCV`` over the student keeps the fitted teacher.
    temperature : float, default=1.0
        ``T > 0`` applied to teacher and student in the KL term.
    alpha : float, default=0.5
        Distillation weight in ``[0, 1]``.
    **kwargs
        Passed to :class:`skorch.NeuralNetClassifier`.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skorch.helper import SliceDict
    >>> from skcoop.distill import KDNeuralNetClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    >>> teacher = LogisticRegression().fit(X, y)
    >>> module = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Softmax(dim=-1))
    >>> net = KDNeuralNetClassifier(
    ...     module, teacher=teacher, temperature=2.0, alpha=0.7,
    ...     max_epochs=3, lr=0.1, train_split=None, verbose=0,
    ... )
    >>> net = net.fit(X, y)  # the teacher is run on each batch
    >>> net.predict_proba(X).shape
    (150, 3)

    Precomputed teacher outputs ride beside ``X``, and tuned KD is a grid
    search over the temperature and the weight:

    >>> P = teacher.predict_proba(X).astype(np.float32)
    >>> net = net.set_params(teacher=None).fit(SliceDict(X=X, teacher_proba=P), y)
    >>> search = GridSearchCV(
    ...     net.set_params(teacher=teacher),
    ...     {"temperature": [1.0, 4.0], "alpha": [0.3, 0.9]}, cv=2,
    ... ).fit(X, y)
    >>> sorted(search.best_params_)
    ['alpha', 'temperature']
    >>> search.best_estimator_.teacher is teacher
    True
    """

    def __init__(
        self, module, *args, teacher=None, temperature=1.0, alpha=0.5, **kwargs
    ):
        super().__init__(module, *args, **kwargs)
        self.teacher = teacher
        self.temperature = temperature
        self.alpha = alpha

    def __sklearn_clone__(self):
        # clone every parameter as scikit-learn does, except the teacher: it is
        # a fitted model the student learns from, not a part to refit.
        from sklearn.base import clone

        params = self.get_params(deep=False)
        teacher = params.pop("teacher")
        params = {name: clone(value, safe=False) for name, value in params.items()}
        new = type(self)(teacher=teacher, **params)
        if hasattr(self, "_metadata_request"):
            new._metadata_request = clone(self._metadata_request)
        return new

    def infer(self, x, **fit_params):
        """Forward pass, with the teacher entry of a dict ``x`` removed."""
        if isinstance(x, Mapping) and TEACHER_KEY in x:
            rest = {k: v for k, v in x.items() if k != TEACHER_KEY}
            if len(rest) == 1:
                (x,) = rest.values()
            else:
                x = rest
        return super().infer(x, **fit_params)

    def _teacher_proba(self, X, n_classes):
        """Teacher probabilities for a batch, or None when there is no teacher."""
        if isinstance(X, Mapping) and TEACHER_KEY in X:
            proba = X[TEACHER_KEY]
            if not torch.is_tensor(proba):
                proba = torch.as_tensor(np.asarray(proba))
            return proba.to(self.device)
        if self.teacher is None:
            return None
        if isinstance(X, Mapping):
            X = {k: to_numpy(v) if torch.is_tensor(v) else v for k, v in X.items()}
            if len(X) == 1:
                (X,) = X.values()
        elif torch.is_tensor(X):
            X = to_numpy(X)
        proba = member_output(self.teacher, X, "predict_proba", name="teacher")
        if not isinstance(self.teacher, NeuralNetClassifier):
            proba = align_proba(proba, self.teacher.classes_, np.arange(n_classes))
        return torch.as_tensor(proba, device=self.device)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """``(1 - alpha) * criterion + alpha * T^2 KL`` to the teacher."""
        hard = super().get_loss(y_pred, y_true, X=X, training=training)
        logits = student_logits(self, y_pred)
        teacher = self._teacher_proba(X, logits.shape[-1])
        if teacher is None:
            return hard
        check_weight(self.alpha, "alpha")
        check_temperature(self.temperature)
        if teacher.shape != logits.shape:
            raise ValueError(
                "Teacher probabilities must have the shape of the student's output "
                f"{tuple(logits.shape)}, one column per class in class-index order. "
                f"Got {tuple(teacher.shape)} instead."
            )
        soft = kl_soft_term(logits, teacher, self.temperature)
        return (1.0 - self.alpha) * hard + self.alpha * soft
