"""Checks on a peer's model before a site teaches it."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import is_classifier, is_regressor

from ._trust import labels_from_json


class PeerMismatchError(ValueError):
    """A peer's model does not fit this site's task, classes or columns."""


def _peer_columns(model, metadata):
    names = getattr(model, "feature_names_in_", None)
    n_features = getattr(model, "n_features_in_", None)
    if metadata is not None:
        cols = metadata.get("columns") or {}
        names = cols.get("names") if names is None else names
        n_features = cols.get("n_features") if n_features is None else n_features
    names = None if names is None else [str(n) for n in names]
    if n_features is None and names is not None:
        n_features = len(names)
    return names, n_features


def check_peer(
    model,
    *,
    name,
    classes=None,
    n_features=None,
    columns=None,
    task=None,
    metadata=None,
):
    """Refuse a peer's model whose task, classes or input columns do not fit.

    A teacher runs each peer's model on its own rows; this check comes first,
    so a wrong model fails with a message naming the peer instead of deep in
    a prediction.

    Parameters
    ----------
    model : fitted estimator
        The peer's model (as :func:`~skcoop.silo.import_model` returns it).
    name : str
        The peer's name, used in the messages.
    classes : array-like, default=None
        The classes the sites agreed on. The peer's classes must be among
        them and of the same kind (numbers or strings). None: only the
        kind of the peer's classes is not checked.
    n_features : int, default=None
        The number of columns of this site's rows. A peer fitted on unnamed
        columns must have this many.
    columns : list of str, default=None
        This site's column names (a DataFrame's). A peer fitted on named
        columns must share at least one with them; a peer fitted on unnamed
        columns is refused (its columns cannot be matched by name).
    task : {"classifier", "regressor"}, default=None
        This site's task; a peer of the other task is refused.
    metadata : dict, default=None
        The peer's metadata (:func:`~skcoop.silo.read_metadata`), used for
        what the model itself does not record (a skorch net's columns).

    Returns
    -------
    model : fitted estimator
        The same model, for chaining.

    Raises
    ------
    PeerMismatchError
        Naming the peer, the rule and the offending value.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skcoop.silo import check_peer
    >>> peer = DecisionTreeClassifier().fit(np.eye(3), ["a", "b", "c"])
    >>> check_peer(peer, name="b", classes=["a", "b", "c"], n_features=3)
    DecisionTreeClassifier()
    >>> check_peer(peer, name="b", classes=[0, 1, 2])
    Traceback (most recent call last):
    ...
    skcoop.silo._peers.PeerMismatchError: Peer 'b' predicts the classes ...
    """
    if task is not None:
        peer_task = (
            "classifier"
            if is_classifier(model)
            else "regressor"
            if is_regressor(model)
            else (metadata or {}).get("task")
        )
        if peer_task is not None and peer_task != task:
            raise PeerMismatchError(
                f"Peer {name!r} sent a {peer_task} ({type(model).__name__}) but this "
                f"site is a {task}. Got {peer_task} instead of {task}."
            )
    peer_classes = getattr(model, "classes_", None)
    if peer_classes is None and metadata is not None and metadata.get("classes"):
        peer_classes = labels_from_json(metadata["classes"])
    if classes is not None and peer_classes is not None:
        ours = np.asarray(classes)
        theirs = np.asarray(peer_classes)
        numeric = {k in "biuf" for k in (ours.dtype.kind, theirs.dtype.kind)}
        kinds_differ = len(numeric) > 1
        outside = [] if kinds_differ else np.setdiff1d(theirs, ours).tolist()
        if kinds_differ or outside:
            raise PeerMismatchError(
                f"Peer {name!r} predicts the classes {theirs.tolist()}, which are "
                f"not among this site's classes {ours.tolist()}. "
                + (
                    f"Classes {outside} are unknown. "
                    if outside
                    else "One side labels with numbers, the other with strings. "
                )
                + "Agree on one set of labels and refit the peer."
            )
    names, peer_n = _peer_columns(model, metadata)
    if columns is not None:
        columns = [str(c) for c in columns]
        if names is None:
            raise PeerMismatchError(
                f"Peer {name!r} was fitted on unnamed columns, but this site's "
                f"columns are named ({columns}); columns can only be matched by "
                "name. Refit the peer on a DataFrame."
            )
        if not set(names) & set(columns):
            raise PeerMismatchError(
                f"Peer {name!r} shares no input column with this site: it uses "
                f"{names}, this site has {columns}. Nothing can be taught to it."
            )
    elif n_features is not None and peer_n is not None and peer_n != n_features:
        raise PeerMismatchError(
            f"Peer {name!r} was fitted on {peer_n} columns, but this site's rows "
            f"have {n_features}. Got {peer_n} columns instead of {n_features}."
        )
    return model
