"""The two halves of a round, each run at one site on its own rows.

:func:`teach` and :func:`learn` are thin adapters over the very steps the
in-process ensemble runs (``_teach.teach_at_site`` and ``_learn.learn``):
for the same seeds they give the same virtual rows and the same refitted
members (tested). Their settings' constraints come from the one definition
the estimators use (``_settings.SETTINGS``).
"""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral
from os import PathLike

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    validate_params,
)

from .._expertise import SiteModel
from .._judge import ClassJudge, ToleranceJudge
from .._learn import learn as _learn
from .._learn import merge_virtual, receive
from .._settings import LEARN, TEACH, Settings, constraints
from .._teach import Lesson, teach_at_site
from ..utils import (
    check_count,
    count,
    draw_seed,
    is_fitted,
    is_frame,
    is_pretrained,
    name_member,
    take,
    warn_at_caller,
)
from ._checks import check_classes, check_received, check_site_rows
from ._model_io import import_model, read_metadata
from ._peers import check_peer
from ._virtual_rows import VirtualRows

__all__ = ["learn", "site_seeds", "teach"]


def site_seeds(random_state, names, n_rounds=1):
    """The search seed the in-process ensemble gives each teacher per round.

    ``CooperativeDistillationEnsemble(random_state=r).fit(X, y, site=site)``
    draws one seed per member and round from ``r``, in the order of its
    members; sites that pass these seeds to :func:`teach` reproduce its
    virtual rows exactly.

    Parameters
    ----------
    random_state : int
        The ensemble's ``random_state``.
    names : list of str
        Member names, in the ensemble's order (members that own rows).
    n_rounds : int, default=1
        Rounds.

    Returns
    -------
    seeds : list of dict
        ``seeds[r][name]``: the seed of ``name``'s search in round ``r``.

    Examples
    --------
    >>> from skcoop.silo import site_seeds
    >>> seeds = site_seeds(0, ["a", "b"], n_rounds=2)
    >>> len(seeds), sorted(seeds[0])
    (2, ['a', 'b'])
    """
    n_rounds = check_count(n_rounds, "n_rounds")
    if isinstance(names, str) or not hasattr(names, "__iter__"):
        raise ValueError(
            "names must be a list of the members' names, in the ensemble's order. "
            f"Got {names!r} instead."
        )
    names = list(names)
    bad = [n for n in names if not isinstance(n, str) or not n]
    if bad or not names:
        raise ValueError(
            "names must be a non-empty list of non-empty member names (str). Got "
            f"{names!r} instead."
        )
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            f"names must be unique: {repeated} appear more than once, and each "
            "member needs its own seed. Give every member its own name."
        )
    if isinstance(random_state, bool):
        raise ValueError(
            "random_state must be an int, a RandomState instance or None. Got "
            f"{random_state!r} instead."
        )
    rng = check_random_state(random_state)
    return [
        dict(zip(names, (int(s) for s in draw_seed(rng, size=len(names)))))
        for _ in range(n_rounds)
    ]


def _load(model, trusted):
    """A fitted model and its metadata, from an object or a model file."""
    if isinstance(model, str | PathLike):
        return import_model(model, trusted=trusted), read_metadata(model)
    return model, None


def _columns(model, X, name):
    """The columns of a site's rows the model reads (None: all of them)."""
    names = getattr(model, "feature_names_in_", None)
    if names is None or not is_frame(X):
        return None
    names = list(names)
    lacking = [c for c in names if c not in X.columns]
    if lacking:
        raise ValueError(
            f"The model of {name!r} reads the columns {lacking}, which this "
            f"site's rows lack. Got rows with the columns {list(X.columns)} "
            "instead; give every site the columns its peers' models read."
        )
    return names


def _keys(X, columns):
    if columns is not None:
        return list(columns)
    return list(X.columns) if is_frame(X) else list(range(X.shape[1]))


def _seed(random_state):
    """The search seed: an int as it is, else one drawn from ``random_state``."""
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(draw_seed(random_state))


@validate_params(
    {
        "model": [HasMethods(["predict"]), str, PathLike],
        "X": ["array-like"],
        "y": ["array-like"],
        "peers": [dict],
        "name": [str],
        **constraints(TEACH),
        "round": [count(0)],
        "random_state": ["random_state"],
        "sample_weight": ["array-like", None],
        "classes": ["array-like", None],
        "trusted": [list, None],
        "received": [list, None],
    },
    prefer_skip_nested_validation=True,
)
def teach(
    model,
    X,
    y,
    peers,
    *,
    name,
    alpha=0.5,
    counterfactual="auto",
    scope="expertise",
    expertise="oof",
    oof_folds=3,
    guard="auto",
    prototype_k=None,
    min_distance=None,
    round=0,
    random_state=None,
    sample_weight=None,
    classes=None,
    tolerance="auto",
    tolerance_quantile=0.5,
    trusted=None,
    received=None,
    fill="impute",
    dedupe=True,
):
    """Teach every peer from this site's own rows: the teacher's half of a round.

    Runs at the teacher's site. Each peer's model is run on the site's rows
    to find where the teacher is right and the peer is not; the teacher
    searches quintessential counterfactuals there and writes each peer's
    virtual rows in the columns the two share. Nothing returned points back
    to a raw row.

    Parameters
    ----------
    model : fitted estimator or path
        This site's member (or its model file, see
        :func:`~skcoop.silo.export_model`).
    X : array-like or DataFrame of shape (n_samples, n_features)
        This site's own rows, with every column its peers' models read.
    y : array-like of shape (n_samples,)
        Their labels (or target values).
    peers : dict of str -> fitted estimator or path
        The other sites' models by name; files are loaded with
        :func:`~skcoop.silo.import_model` and checked with
        :func:`~skcoop.silo.check_peer`.
    name : str
        This site's member name.
    alpha, counterfactual, scope, expertise, oof_folds, guard, prototype_k, \
min_distance : see :class:`~skcoop.CooperativeDistillationEnsemble`
        The same settings, with the same defaults.
    round : int, default=0
        The round, recorded in the virtual rows.
    random_state : int, RandomState instance or None, default=None
        Seeds the search; :func:`site_seeds` gives the seed the in-process
        ensemble would use.
    sample_weight : array-like of shape (n_samples,), default=None
        This site's sample weights: rows of weight 0 do not teach; the
        regression tolerance is a weighted quantile.
    classes : array-like, default=None
        Class labels the sites agreed on; by default the union of the labels
        known to this model, its peers and ``y``.
    tolerance, tolerance_quantile : see \
:class:`~skcoop.CooperativeDistillationRegressor`
        Regression only.
    trusted : list of str, default=None
        Types to trust when loading model files.
    received : list of VirtualRows, default=None
        The virtual rows this site received in earlier rounds (as given to
        :func:`learn`): the out-of-fold judge refits the member on its folds
        plus these rows, as the member itself was fitted.
    fill, dedupe : see :func:`learn`
        How ``received`` is written in this site's columns.

    Returns
    -------
    sent : dict of str -> VirtualRows
        The rows for each peer that shares a column with this site.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skcoop.silo import teach
    >>> X, y = load_iris(return_X_y=True)
    >>> a = GaussianNB().fit(X[::2], y[::2])
    >>> b = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X[1::2], y[1::2])
    >>> sent = teach(a, X[::2], y[::2], {"b": b}, name="a", random_state=0)
    >>> rows = sent["b"]
    >>> rows.teacher, rows.student, len(rows) > 0
    ('a', 'b', True)
    """
    model, loaded, y, sample_weight, classes, received = _teach_inputs(
        model,
        X,
        y,
        peers,
        name,
        sample_weight,
        classes,
        received,
        trusted,
        oof_folds if expertise == "oof" and not is_pretrained(model) else 0,
    )
    classification = is_classifier(model) or hasattr(model, "predict_proba")
    if classification:
        if classes is None:
            known = [np.unique(y)] + [
                np.asarray(m.classes_)
                for m, _ in [(model, None), *loaded.values()]
                if hasattr(m, "classes_")
            ]
            classes = np.unique(np.concatenate(known))
        classes = np.asarray(classes)
        judge = ClassJudge(classes)
    else:
        classes = None
        judge = ToleranceJudge(tolerance, tolerance_quantile)
    task = "classifier" if classification else "regressor"
    for peer, (peer_model, meta) in loaded.items():
        check_peer(
            peer_model,
            name=peer,
            classes=classes,
            n_features=None if is_frame(X) else X.shape[1],
            columns=list(X.columns) if is_frame(X) else None,
            task=task,
            metadata=meta,
        )
    settings = Settings(
        alpha=alpha,
        counterfactual=counterfactual,
        scope=scope,
        expertise=expertise,
        oof_folds=oof_folds,
        guard=guard,
        prototype_k=prototype_k,
        min_distance=min_distance,
        fill=fill,
        dedupe=dedupe,
    )
    columns = _columns(model, X, name)
    teacher = SiteModel(name, model, columns, _keys(X, columns), model)
    peer_models = [
        SiteModel(p, m, c, _keys(X, c))
        for p, (m, _) in loaded.items()
        for c in [_columns(m, X, p)]
    ]
    X_own = take(X, columns=columns)
    weight = None if sample_weight is None else np.asarray(sample_weight, float)
    virtual = None
    if received and expertise == "oof":
        virtual = _received_store(received, X_own, fill, dedupe)
    lessons, _, _ = teach_at_site(
        teacher,
        peer_models,
        X,
        y,
        template=model if is_pretrained(model) else clone(model),
        judge=judge,
        settings=settings,
        seed=_seed(random_state),
        n_round=round,
        X_own=X_own,
        weight=weight,
        sample_weight=weight,
        virtual=virtual,
        classes=classes,
    )
    sent = {}
    for lesson in lessons:
        if lesson.X is None:
            continue
        X_sent = lesson.X
        if not is_frame(X_sent) and list(lesson.keys) != _keys(X, None):
            X_sent = np.asarray(X_sent)
        sent[lesson.student] = VirtualRows(
            X_sent, lesson.y, teacher=name, student=lesson.student, round=round
        )
    return sent


def _teach_inputs(
    model, X, y, peers, name, sample_weight, classes, received, trusted, oof_folds
):
    """:func:`teach`'s inputs loaded and checked before any work."""
    if not name:
        raise ValueError("name must be this site's non-empty name. Got '' instead.")
    if not peers:
        raise ValueError(
            "peers must name at least one other site's model. Got {} instead."
        )
    bad = [p for p in peers if not isinstance(p, str) or not p]
    if bad:
        raise ValueError(
            f"peers must be keyed by the peers' names (non-empty str). Got {bad} "
            "instead."
        )
    if name in peers:
        raise ValueError(
            f"peers must not hold this site's own name {name!r}. Got peers "
            f"{sorted(peers)} instead."
        )
    model, _ = _load(model, trusted)
    loaded = {p: _load(m, trusted) for p, m in peers.items()}
    name_member(model, name)
    for peer, (peer_model, _) in loaded.items():
        name_member(peer_model, peer)
    classification = is_classifier(model) or hasattr(model, "predict_proba")
    y, sample_weight = check_site_rows(
        X, y, sample_weight, classification=classification
    )
    if classification:
        classes = check_classes(classes, y)
    if received:
        received = check_received(received, _own_rows(model, X), y, classes)
    if len(y) < oof_folds:
        warn_at_caller(
            f"This site has {len(y)} rows, fewer than oof_folds={oof_folds}, so "
            f"the expertise of {name!r} is judged in-sample (on its own fit). "
            "Use oof_folds <= the site's rows, or expertise='in_sample' to say so.",
            UserWarning,
        )
    return model, loaded, y, sample_weight, classes, received


def _own_rows(model, X):
    names = getattr(model, "feature_names_in_", None)
    if names is not None and is_frame(X) and set(names) <= set(X.columns):
        return X[list(names)]
    return X


def _received_store(received, X, fill, dedupe):
    """Virtual rows a site received, in its own columns, deduplicated."""
    keys = _keys(X, None)
    lessons = []
    for rows in received:
        if not isinstance(rows, VirtualRows):
            raise TypeError(
                "received must hold VirtualRows (see VirtualRows.load). Got "
                f"{type(rows).__name__} instead."
            )
        if not is_frame(rows.X) and rows.X.shape[1] != len(keys):
            raise ValueError(
                f"Virtual rows from {rows.teacher!r} have {rows.X.shape[1]} "
                f"unnamed columns, but this site's rows have {len(keys)}. Got "
                "arrays of different widths instead; send DataFrames so that "
                "columns are matched by name."
            )
        lessons.append(
            Lesson(
                teacher=rows.teacher,
                student=rows.student,
                X=rows.X,
                y=np.asarray(rows.y),
                keys=_keys(rows.X, None),
                n_round=rows.round,
            )
        )
    blocks = receive(lessons, keys, X, fill)
    store, _ = merge_virtual(None, blocks, dedupe)
    return store


@validate_params(
    {
        "estimator": [HasMethods(["fit"])],
        "X": ["array-like"],
        "y": ["array-like"],
        "received": [list],
        **constraints(LEARN),
        "sample_weight": ["array-like", None],
        "classes": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def learn(
    estimator,
    X,
    y,
    received,
    *,
    virtual_weight=1.0,
    fill="impute",
    dedupe=True,
    warm_refit=True,
    sample_weight=None,
    classes=None,
):
    """Refit this site's member on its own rows plus the virtual rows it received.

    Runs at the student's site. Each :class:`~skcoop.silo.VirtualRows` is
    written in the member's columns (a column its teacher lacks is filled
    from this site's rows, see ``fill``), duplicates are dropped (rows kept in
    earlier rounds stay), and a clone of ``estimator`` is fitted, or, with
    ``warm_refit`` and a fitted ``estimator`` that can, a copy of it goes
    on from its fitted state (the ensembles' ``warm_refit``); a pre-trained
    member wrapped in ``FrozenEstimator`` goes on learning from where it is
    instead.

    Parameters
    ----------
    estimator : estimator
        The member (fitted or not: a clone is fitted), or a
        ``FrozenEstimator`` around a pre-trained one.
    X : array-like or DataFrame of shape (n_samples, n_features)
        This site's own rows, in the member's columns (a DataFrame may hold
        more; a fitted member's ``feature_names_in_`` selects them).
    y : array-like of shape (n_samples,)
        Their labels.
    received : list of VirtualRows
        Every virtual row sent to this site so far, in the order of rounds
        (and, within a round, of the teachers).
    virtual_weight, fill, dedupe, warm_refit : see \
:class:`~skcoop.CooperativeDistillationEnsemble`
    sample_weight : array-like of shape (n_samples,), default=None
        This site's sample weights.
    classes : array-like, default=None
        Class labels of the whole problem (needed by skorch nets).

    Returns
    -------
    estimator : fitted estimator
        The refitted member; the given one is not modified.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skcoop.silo import VirtualRows, learn
    >>> X, y = load_iris(return_X_y=True)
    >>> sent = VirtualRows(X[:3] + 0.1, y[:3], teacher="a", student="b")
    >>> nb = learn(GaussianNB(), X[1::2], y[1::2], [sent])
    >>> bool(nb.class_count_.sum() == len(y[1::2]) + 3)
    True
    """
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and is_frame(X):
        X = X[list(names)]
    classification = is_classifier(estimator) or hasattr(estimator, "predict_proba")
    y, sample_weight = check_site_rows(
        X, y, sample_weight, classification=classification
    )
    if classes is not None:
        classes = check_classes(classes, y)
    received = check_received(received, X, y, classes)
    store = _received_store(received, X, fill, dedupe)
    settings = Settings(
        virtual_weight=virtual_weight, fill=fill, dedupe=dedupe, warm_refit=warm_refit
    )
    params = (
        {}
        if sample_weight is None
        else {"sample_weight": np.asarray(sample_weight, float)}
    )
    if classes is not None:
        classes = np.asarray(classes)
    template, fitted = estimator, None
    if not is_pretrained(estimator):
        template = clone(estimator)
        fitted = estimator if is_fitted(estimator) else None
    return _learn(
        "this site's member",
        template,
        X,
        y,
        store,
        params=params,
        settings=settings,
        classes=classes,
        weights_routed=False,
        fitted=fitted,
    )
