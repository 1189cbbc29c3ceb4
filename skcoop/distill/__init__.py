"""Classic knowledge distillation between any learners.

Strategies a member of the ensemble can learn by (``distiller=``), and the
building blocks behind them: the KD loss, soft targets for any learner,
a teacher -> student skorch classifier, deep mutual learning and
data-partitioning KD, and the public-set strategies FedMD and FedDF.

torch and skorch are needed only by :class:`KDNeuralNetClassifier`,
:func:`kd_loss` and skorch members; this package imports without them.
"""

# SPDX-License-Identifier: BSD-3-Clause

from ._joint import mutual_learning_fit, mutual_learning_sites
from ._lesson import SoftTargetLesson
from ._losses import kd_loss, kl_soft_term, soften
from ._public import (
    BasePublicSetDistiller,
    FedDFDistiller,
    FedMDDistiller,
    check_public_rows,
)
from ._qualified import qualified_soft_targets, qualified_teacher_mask
from ._soft_targets import (
    fit_soft_targets,
    replicate_soft_targets,
    resample_soft_targets,
)
from ._strategies import (
    BaseDistiller,
    MutualLearningDistiller,
    PartitionedDistiller,
    SoftTargetDistiller,
)

__all__ = [
    "BaseDistiller",
    "BasePublicSetDistiller",
    "FedDFDistiller",
    "FedMDDistiller",
    "KDNeuralNetClassifier",
    "MutualLearningDistiller",
    "PartitionedDistiller",
    "SoftTargetDistiller",
    "SoftTargetLesson",
    "check_public_rows",
    "fit_soft_targets",
    "kd_loss",
    "kl_soft_term",
    "mutual_learning_fit",
    "mutual_learning_sites",
    "qualified_soft_targets",
    "qualified_teacher_mask",
    "replicate_soft_targets",
    "resample_soft_targets",
    "soften",
]


def __getattr__(name):
    # torch-dependent names load on first use (PEP 562)
    if name == "KDNeuralNetClassifier":
        from ._skorch import KDNeuralNetClassifier

        return KDNeuralNetClassifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | {"KDNeuralNetClassifier"})
