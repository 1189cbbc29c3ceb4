"""Deep mutual learning (Zhang et al., 2018): peers trained together.

Each peer minimises ``(1 - w) CE(y, s_k) + w T^2 mean_{l != k}
KL(softmax(s_l / T) || softmax(s_k / T))`` with the other peers' outputs
detached. The mean of the KL terms has the gradient of one KL term to the
mean of the peers' tempered outputs, which is what is computed.

The steps, used by :class:`~skcoop.distill.MutualLearningDistiller` and the
functions of ``_joint.py``: :func:`torch_epoch`, one pass of skorch nets over
rows with the KD loss (toward fixed targets, or batch by batch toward one
another's outputs on shared rows), and :func:`update_toward`, one pass of any
peer toward fixed soft targets (scikit-learn learners by ``partial_fit`` on
replicated or resampled rows).
"""

# SPDX-License-Identifier: BSD-3-Clause

import inspect
import numbers

import numpy as np
from sklearn.utils import _safe_indexing

from ..utils import import_optional, is_skorch_net
from ._losses import check_temperature, check_weight
from ._soft_targets import replicate_soft_targets, resample_soft_targets
from ._utils import as_float32, weighted_rows

__all__ = ["check_mutual_params", "torch_epoch", "update_toward"]


def check_mutual_params(max_epochs, temperature, weight):
    if not isinstance(max_epochs, numbers.Integral) or max_epochs < 0:
        raise ValueError(
            f"max_epochs must be a non-negative integer. Got {max_epochs!r} instead."
        )
    check_temperature(temperature)
    check_weight(weight)


def torch_epoch(
    nets,
    Xs,
    y_index,
    *,
    temperature,
    weight,
    batch_size,
    rng,
    targets=None,
    sample_weight=None,
):
    """One pass of skorch nets over shared rows with the KD loss.

    ``targets[k]`` (tempered, shape (n, n_classes)) is net ``k``'s fixed soft
    target; when ``targets`` is None the targets are the other nets' tempered
    outputs on the same batch (mutual learning, at least two nets).
    """
    torch = import_optional("torch", "mutual learning of skorch nets")
    from skorch import NeuralNetClassifier
    from skorch.utils import multi_indexing, to_tensor

    from ._losses import kl_to_soft_target
    from ._skorch import student_logits

    for net in nets:
        if not net.initialized_:
            net.initialize()
    if sample_weight is None:
        order = rng.permutation(len(y_index))
    else:
        order = rng.permutation(weighted_rows(sample_weight, rng))
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        batches = [multi_indexing(X, idx) for X in Xs]
        outs, logits = [], []
        for net, Xb in zip(nets, batches, strict=True):
            net.module_.train()
            out = net.infer(Xb)
            outs.append(out)
            logits.append(student_logits(net, out))
        if targets is None:
            # peers may sit on different devices: average on the first one's
            device = logits[0].device
            soft = [
                torch.softmax(z.detach() / temperature, dim=-1).to(device)
                for z in logits
            ]
            total = sum(soft)
            batch_targets = [(total - s) / (len(nets) - 1) for s in soft]
        else:
            batch_targets = [torch.as_tensor(t[idx]) for t in targets]
        for k, net in enumerate(nets):
            yb = to_tensor(torch.as_tensor(y_index[idx]), device=net.device)
            hard = NeuralNetClassifier.get_loss(
                net, outs[k], yb, X=batches[k], training=True
            )
            target = batch_targets[k].to(logits[k].device)
            loss = (1.0 - weight) * hard + weight * kl_to_soft_target(
                logits[k], target, temperature
            )
            net.optimizer_.zero_grad()
            loss.backward()
            net.optimizer_.step()
    for net in nets:
        net.module_.eval()


def _accepts(method, name):
    return name in inspect.signature(method).parameters


def update_toward(
    estimator,
    X,
    y,
    soft_target,
    *,
    classes,
    temperature,
    weight,
    sample_weight,
    batch_size,
    rng,
):
    """One pass of ``estimator`` over ``(X, y)`` toward a fixed soft target."""
    classes = np.asarray(classes)
    if is_skorch_net(estimator):
        y_index = np.searchsorted(classes, y).astype(np.int64)
        torch_epoch(
            [estimator],
            [as_float32(X)],
            y_index,
            temperature=temperature,
            weight=weight,
            batch_size=batch_size or estimator.batch_size,
            rng=rng,
            targets=[soft_target.astype(np.float32)],
            sample_weight=sample_weight,
        )
        return estimator
    if not hasattr(estimator, "partial_fit"):
        raise TypeError(
            "Mutual learning updates peers step by step, so each must be a skorch "
            "net or have partial_fit (SGDClassifier(loss='log_loss'), "
            f"MLPClassifier, ...). Got {type(estimator).__name__} instead."
        )
    if _accepts(estimator.partial_fit, "sample_weight"):
        X_rep, y_rep, w_rep = replicate_soft_targets(
            X,
            y,
            soft_target,
            weight=weight,
            classes=classes,
            sample_weight=sample_weight,
        )
        order = rng.permutation(len(y_rep))
        return estimator.partial_fit(
            _safe_indexing(X_rep, order),
            y_rep[order],
            classes=classes,
            sample_weight=w_rep[order],
        )
    X_new, y_new = resample_soft_targets(
        X,
        y,
        soft_target,
        weight=weight,
        classes=classes,
        sample_weight=sample_weight,
        random_state=rng,
    )
    return estimator.partial_fit(X_new, y_new, classes=classes)
