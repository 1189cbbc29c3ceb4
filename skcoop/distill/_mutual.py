"""Deep mutual learning (Zhang et al., 2018): peers trained together.

Each peer minimises ``(1 - w) CE(y, s_k) + w T^2 mean_{l != k}
KL(softmax(s_l / T) || softmax(s_k / T))`` with the other peers' outputs
detached. The mean of the KL terms has the gradient of one KL term to the
mean of the peers' tempered outputs, which is what is computed.

Two schedules:

* batch by batch, for skorch peers that see the same rows
  (:func:`mutual_learning_fit` when every peer is a skorch net): every peer's
  output on a batch, then one optimiser step per peer;
* epoch by epoch (:func:`mutual_learning_sites`), for any mix of skorch nets
  and scikit-learn learners with ``partial_fit``, and for peers at different
  sites: at the start of an epoch each peer's outputs on each site's rows are
  taken, then every peer makes one pass over its own rows toward the others'
  outputs (soft targets by replication or resampling for scikit-learn).
"""

# SPDX-License-Identifier: BSD-3-Clause

import inspect
import numbers

import numpy as np
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.validation import column_or_1d

from ..utils import aligned_proba, import_optional, is_fitted, is_skorch_net
from ._losses import check_temperature, check_weight, soften
from ._soft_targets import replicate_soft_targets, resample_soft_targets
from ._utils import as_float32, onehot, weighted_rows

__all__ = ["mutual_learning_fit", "mutual_learning_sites"]


def check_mutual_params(max_epochs, temperature, weight):
    if not isinstance(max_epochs, numbers.Integral) or max_epochs < 0:
        raise ValueError(
            f"max_epochs must be a non-negative integer. Got {max_epochs!r} instead."
        )
    check_temperature(temperature)
    check_weight(weight)


def _torch_epoch(
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
        _torch_epoch(
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


def mutual_learning_sites(
    estimators,
    X_parts,
    y_parts,
    *,
    classes,
    max_epochs=10,
    temperature=1.0,
    weight=0.5,
    sw_parts=None,
    transform=None,
    batch_size=None,
    random_state=None,
):
    """Mutual learning epoch by epoch, each peer on its own rows.

    At the start of every epoch, each fitted peer's outputs on each peer's
    rows are taken; then every peer makes one pass over its own rows toward
    the mean tempered output of the other fitted peers there (peers not yet
    fitted are left out as teachers; a peer with no teacher yet learns from
    its labels). All peers are updated from the same snapshot.

    Parameters
    ----------
    estimators : list of classifiers
        Peers, updated in place: skorch nets, or scikit-learn learners with
        ``partial_fit``. Fitted peers (pre-trained) are continued.
    X_parts : list of array-like
        ``X_parts[j]``: peer ``j``'s rows, in its own feature space.
    y_parts : list of array-like
        ``y_parts[j]``: labels of ``X_parts[j]``, each in ``classes``.
    classes : array-like of shape (n_classes,)
        Sorted labels of all classes.
    max_epochs : int, default=10
    temperature : float, default=1.0
    weight : float, default=0.5
        KD weight ``w``: ``(1 - w) CE + w T^2 KL``.
    sw_parts : list of array-like or None, default=None
        Sample weights per peer (entries may be None).
    transform : callable or None, default=None
        ``transform(i, j, X)`` maps rows of peer ``j``'s space to peer
        ``i``'s; identity when None.
    batch_size : int or None, default=None
        Batch size of skorch peers; each net's own ``batch_size`` when None.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    estimators : list
        The same peers, updated.
    """
    check_mutual_params(max_epochs, temperature, weight)
    k = len(estimators)
    if not (len(X_parts) == len(y_parts) == k):
        raise ValueError(
            "X_parts and y_parts must hold one part per peer. Got "
            f"{k} peers, {len(X_parts)} X_parts and {len(y_parts)} y_parts instead."
        )
    classes = np.asarray(classes)
    y_parts = [column_or_1d(y) for y in y_parts]
    sw_parts = [None] * k if sw_parts is None else list(sw_parts)
    rng = check_random_state(random_state)
    transform = transform or (lambda i, j, X: X)

    for _ in range(int(max_epochs)):
        teachers = [i for i in range(k) if is_fitted(estimators[i])]
        targets = []
        for j in range(k):
            others = [i for i in teachers if i != j]
            if others:
                soft = [
                    soften(
                        aligned_proba(
                            estimators[i], transform(i, j, X_parts[j]), classes
                        ),
                        temperature,
                    )
                    for i in others
                ]
                targets.append(np.mean(soft, axis=0))
            else:  # nobody to learn from yet: the labels only
                targets.append(onehot(y_parts[j], classes))
        for j in range(k):
            update_toward(
                estimators[j],
                X_parts[j],
                y_parts[j],
                targets[j],
                classes=classes,
                temperature=temperature,
                weight=weight,
                sample_weight=sw_parts[j],
                batch_size=batch_size,
                rng=rng,
            )
    return estimators


def mutual_learning_fit(
    estimators,
    Xs,
    y,
    *,
    classes=None,
    max_epochs=10,
    temperature=1.0,
    weight=0.5,
    sample_weight=None,
    batch_size=None,
    random_state=None,
):
    """Deep mutual learning of peers on the same rows.

    Parameters
    ----------
    estimators : list of classifiers
        At least two peers, updated in place. When all are skorch
        ``NeuralNetClassifier`` they are trained batch by batch (each batch:
        every peer's output, then one optimiser step per peer toward the
        others' detached outputs); otherwise epoch by epoch as in
        :func:`mutual_learning_sites` (learners need ``partial_fit``).
        skorch peers are trained on class indices into ``classes``, their
        module needs one output per class; their callbacks and
        ``train_split`` are not used.
    Xs : array-like, or list of array-like
        The rows, shared by all peers, or one view of the same rows per peer
        (peers with different columns).
    y : array-like of shape (n_samples,)
        Labels.
    classes : array-like or None, default=None
        Sorted labels of all classes; ``np.unique(y)`` when None.
    max_epochs : int, default=10
    temperature : float, default=1.0
    weight : float, default=0.5
        ``(1 - w) CE + w T^2 mean KL``.
    sample_weight : array-like of shape (n_samples,) or None, default=None
        Row weights (skorch peers: rows drawn in proportion to them).
    batch_size : int or None, default=None
        Batch size of skorch peers (the first net's ``batch_size`` when None).
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    estimators : list
        The same peers, trained.

    Examples
    --------
    Two linear peers, each seeing half of the columns, learn together:

    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import SGDClassifier
    >>> from skcoop.distill import mutual_learning_fit
    >>> X, y = load_iris(return_X_y=True)
    >>> peers = [SGDClassifier(loss="log_loss", learning_rate="constant",
    ...                        eta0=0.01, random_state=i) for i in range(2)]
    >>> peers = mutual_learning_fit(peers, [X[:, :2], X[:, 2:]], y,
    ...                             max_epochs=5, weight=0.5, random_state=0)
    >>> [peer.predict_proba(X[:3, :2]).shape for peer in peers[:1]]
    [(3, 3)]
    """
    check_mutual_params(max_epochs, temperature, weight)
    k = len(estimators)
    if k < 2:
        raise ValueError(f"Mutual learning needs at least two peers. Got {k} instead.")
    if isinstance(Xs, list | tuple):
        if len(Xs) != k:
            raise ValueError(
                f"Xs must hold one view per peer ({k}). Got {len(Xs)} instead."
            )
        Xs = list(Xs)
    else:
        Xs = [Xs] * k
    y = column_or_1d(y)
    classes = np.unique(y) if classes is None else np.asarray(classes)
    rng = check_random_state(random_state)

    if all(is_skorch_net(est) for est in estimators):
        y_index = np.searchsorted(classes, y).astype(np.int64)
        Xs = [as_float32(X) for X in Xs]
        size = batch_size or estimators[0].batch_size
        for _ in range(int(max_epochs)):
            _torch_epoch(
                estimators,
                Xs,
                y_index,
                temperature=temperature,
                weight=weight,
                batch_size=size,
                rng=rng,
                sample_weight=sample_weight,
            )
        return estimators
    return mutual_learning_sites(
        estimators,
        Xs,
        [y] * k,
        classes=classes,
        max_epochs=max_epochs,
        temperature=temperature,
        weight=weight,
        sw_parts=[sample_weight] * k,
        transform=lambda i, j, X: Xs[i],
        batch_size=batch_size,
        random_state=rng,
    )
