"""The knowledge-distillation loss and its numpy reference pieces.

The loss of Hinton et al. (2015) as the second seed paper writes it::

    (1 - w) CE(y, s) + w T^2 KL(softmax(t / T) || softmax(s / T))

with ``s`` the student's logits, ``t`` the teacher's, ``T`` the temperature
and ``w`` the distillation weight. Teachers here are any fitted classifier, so
they hand over probabilities ``p`` rather than logits; ``log p`` is a valid
logit vector (softmax is shift invariant), so ``softmax(t / T)`` becomes
``softmax(log p / T)``, that is ``p ** (1 / T)`` renormalised per row.

torch is imported on first use: this module loads without it.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ..utils import import_optional

__all__ = [
    "check_temperature",
    "check_weight",
    "kd_loss",
    "kl_soft_term",
    "kl_to_soft_target",
    "soften",
    "soften_torch",
]


def check_temperature(temperature, name="temperature"):
    """Raise unless ``temperature`` is a positive finite number."""
    if not (np.isscalar(temperature) and np.isfinite(temperature) and temperature > 0):
        raise ValueError(
            f"{name} must be a positive finite number; 1.0 leaves outputs as they "
            f"are and larger values soften them. Got {temperature!r} instead."
        )


def check_weight(weight, name="weight"):
    """Raise unless ``weight`` is in ``[0, 1]``."""
    if not (np.isscalar(weight) and 0.0 <= weight <= 1.0):
        raise ValueError(
            f"{name} must be in [0, 1]: 0 learns from the labels only, 1 from the "
            f"teachers only. Got {weight!r} instead."
        )


def soften(proba_or_logits, temperature, *, logits=False):
    """Temper class probabilities (or logits) with a temperature.

    Parameters
    ----------
    proba_or_logits : array-like of shape (n_samples, n_classes)
        Class probabilities (rows summing to one, zeros allowed), or logits
        when ``logits=True``.
    temperature : float
        ``T > 0``. ``T = 1`` returns the probabilities unchanged, ``T > 1``
        flattens them, ``T < 1`` sharpens them.
    logits : bool, default=False
        Whether the input holds logits instead of probabilities.

    Returns
    -------
    soft : ndarray of shape (n_samples, n_classes)
        ``softmax(z / T)`` with ``z`` the logits or ``log p``; for
        probabilities this equals ``p ** (1 / T)`` renormalised per row. A
        class with probability zero keeps probability zero.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.distill import soften
    >>> p = np.array([[0.64, 0.16, 0.16, 0.04]])
    >>> soften(p, temperature=2.0)  # sqrt(p) = [.8, .4, .4, .2], renormalised
    array([[0.4444..., 0.2222..., 0.2222..., 0.1111...]])
    """
    check_temperature(temperature)
    z = np.asarray(proba_or_logits, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(
            "soften expects a 2-D array of shape (n_samples, n_classes). Got shape "
            f"{z.shape} instead."
        )
    if not logits:
        if np.any(z < 0):
            raise ValueError(
                "Probabilities must be non-negative; pass logits=True for logits. "
                f"Got a minimum of {z.min()!r} instead."
            )
        with np.errstate(divide="ignore"):
            z = np.log(z)
    z = z / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def soften_torch(teacher_proba, temperature):
    """torch twin of :func:`soften` for probabilities: ``softmax(log p / T)``."""
    torch = import_optional("torch", "the knowledge-distillation loss")
    return torch.softmax(torch.log(teacher_proba) / temperature, dim=-1)


def kl_soft_term(student_logits, teacher_proba, temperature):
    """``T^2 KL(softmax(log p / T) || softmax(s / T))``, batch mean.

    Parameters
    ----------
    student_logits : torch.Tensor of shape (n_samples, n_classes)
        Student logits ``s``.
    teacher_proba : torch.Tensor of shape (n_samples, n_classes)
        Teacher probabilities ``p`` (untempered; tempered here).
    temperature : float
        ``T > 0``.

    Returns
    -------
    loss : torch.Tensor, scalar
        KL divergence summed over classes, averaged over rows, times ``T^2``.
    """
    check_temperature(temperature)
    teacher_proba = teacher_proba.to(dtype=student_logits.dtype)
    return kl_to_soft_target(
        student_logits, soften_torch(teacher_proba, temperature), temperature
    )


def kl_to_soft_target(student_logits, soft_target, temperature):
    """``T^2 KL(soft_target || softmax(s / T))``, batch mean.

    As :func:`kl_soft_term` with the target already tempered (detached here).
    """
    torch = import_optional("torch", "the knowledge-distillation loss")
    F = torch.nn.functional
    log_student = F.log_softmax(student_logits / temperature, dim=-1)
    target = soft_target.detach().to(dtype=student_logits.dtype)
    kl = F.kl_div(log_student, target, reduction="batchmean")
    return kl * temperature**2


def kd_loss(student_logits, teacher_proba, y, temperature=1.0, weight=0.5):
    """Knowledge-distillation loss ``(1 - w) CE + w T^2 KL``.

    Parameters
    ----------
    student_logits : torch.Tensor of shape (n_samples, n_classes)
        Student logits ``s``.
    teacher_proba : torch.Tensor of shape (n_samples, n_classes)
        Teacher class probabilities ``p`` (untempered), columns in the same
        class order as the student's.
    y : torch.Tensor of shape (n_samples,), dtype long
        True classes as column indices.
    temperature : float, default=1.0
        ``T > 0``, applied to both teacher and student in the KL term.
    weight : float, default=0.5
        ``w`` in ``[0, 1]``: 0 is plain cross-entropy, 1 pure distillation.

    Returns
    -------
    loss : torch.Tensor, scalar
        ``(1 - w) CE(y, s) + w T^2 KL(softmax(log p / T) || softmax(s / T))``,
        both terms averaged over rows (KL with ``reduction="batchmean"`` on
        log-probabilities).

    Examples
    --------
    >>> import pytest
    >>> torch = pytest.importorskip("torch")
    >>> from skcoop.distill import kd_loss
    >>> s = torch.tensor([[1.0, 2.0, 0.5], [0.0, 0.0, 3.0]], dtype=torch.float64)
    >>> p = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]], dtype=torch.float64)
    >>> y = torch.tensor([0, 2])
    >>> round(kd_loss(s, p, y, temperature=2.0, weight=0.3).item(), 6)
    0.636099
    """
    torch = import_optional("torch", "the knowledge-distillation loss")
    check_weight(weight)
    check_temperature(temperature)
    ce = torch.nn.functional.cross_entropy(student_logits, y)
    if weight == 0.0:
        return ce
    soft = kl_soft_term(student_logits, teacher_proba, temperature)
    return (1.0 - weight) * ce + weight * soft
