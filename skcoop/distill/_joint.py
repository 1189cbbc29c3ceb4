"""Deep mutual learning of given peers, at their sites or on shared rows.

The public functions of :mod:`skcoop.distill` for mutual learning outside the
ensemble: :func:`mutual_learning_sites` runs the very loop of
:class:`~skcoop.distill.MutualLearningDistiller` (epochs of lessons from one
snapshot, each learnt as one step through :func:`skcoop.utils.learn_lesson`)
on the peers it is given; :func:`mutual_learning_fit` trains skorch peers on
shared rows batch by batch (the steps are in ``_mutual.py``).
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import column_or_1d

from ..utils import is_skorch_net
from ._mutual import check_mutual_params, torch_epoch
from ._strategies import MutualLearningDistiller
from ._utils import as_float32

__all__ = ["mutual_learning_fit", "mutual_learning_sites"]


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
    strategy = MutualLearningDistiller(
        temperature=temperature,
        weight=weight,
        max_epochs=max_epochs,
        batch_size=batch_size,
    )
    peers = strategy._joint_steps(
        list(estimators),
        list(X_parts),
        [column_or_1d(y) for y in y_parts],
        [None] * k if sw_parts is None else list(sw_parts),
        np.asarray(classes),
        check_random_state(random_state),
        transform or (lambda i, j, X: X),
        [f"peer {j}" for j in range(k)],
    )
    return peers  # the same objects, stepped in place


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
            torch_epoch(
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
