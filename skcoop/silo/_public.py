"""Public-set distillation (FedMD, FedDF) across silos: only scores travel.

A round in three steps, each a thin adapter over the strategy's own methods
(:class:`~skcoop.distill.FedMDDistiller`, :class:`~skcoop.distill.FedDFDistiller`)
that the in-process ensemble runs, so that the same seeds give the same
students (tested):

1. :func:`public_scores` at each site: its model's class scores (a
   regressor's predictions) on the public rows, in its own columns; written
   as an ``.npz`` file of plain arrays (read without pickle).
2. :func:`public_consensus` anywhere (an aggregator, or every site): the
   consensus of every site's scores.
3. :func:`public_learn` at each site: its student learns the consensus on
   the public rows (with its own rows for FedMD).

No site row leaves a site: the public rows are public, and only scores on
them are sent.
"""

# SPDX-License-Identifier: BSD-3-Clause

import hashlib
import json
import zipfile
from os import PathLike

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, validate_params
from sklearn.utils.validation import column_or_1d

from ..distill import BasePublicSetDistiller, check_public_rows
from ..utils import (
    check_count,
    draw_seed,
    is_frame,
    learn_lesson,
    name_member,
    with_classes,
)
from ._protocol import _columns, _load
from ._trust import labels_from_json, labels_to_json

__all__ = [
    "PublicScores",
    "PublicScoresFormatError",
    "public_consensus",
    "public_digest",
    "public_learn",
    "public_scores",
    "public_seeds",
]

FORMAT = "skcoop-public-scores/1"


class PublicScoresFormatError(ValueError):
    """A file that is not a public-scores file of this version."""


def public_digest(X_public):
    """A SHA-256 of the public rows, so scores of other rows are not mixed.

    Of a DataFrame's values and column names, or of an array's float64
    values: what every site of a public-set round must agree on.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.silo import public_digest
    >>> len(public_digest(np.eye(2)))
    64
    >>> public_digest(np.eye(2)) == public_digest(np.eye(2) + 1)
    False
    """
    if is_frame(X_public):
        import pandas as pd

        data = pd.util.hash_pandas_object(X_public, index=False).to_numpy()
        data = np.concatenate(
            [
                data,
                np.frombuffer(
                    json.dumps([str(c) for c in X_public.columns]).encode(), np.uint8
                ).astype(np.uint64),
            ]
        )
    else:
        data = np.ascontiguousarray(np.asarray(X_public, dtype=np.float64))
    return hashlib.sha256(data.tobytes()).hexdigest()


class PublicScores:
    """One site's scores on the public rows: all it sends in a round.

    Parameters
    ----------
    site : str
        The site's (member's) name.
    scores : ndarray of shape (n_public, n_classes) or (n_public,)
        Class probabilities aligned to ``classes``; a regressor's predictions.
    classes : ndarray or None
        Class labels (None for regression).
    digest : str
        :func:`public_digest` of the public rows the scores are on.
    """

    def __init__(self, site, scores, classes, digest):
        self.site = site
        self.scores = scores
        self.classes = classes
        self.digest = digest

    def save(self, path):
        """Write an ``.npz`` file of plain arrays (no object array, no pickle)."""
        meta = dict(
            format=FORMAT,
            site=self.site,
            digest=self.digest,
            classes=None if self.classes is None else labels_to_json(self.classes),
        )
        with open(path, "wb") as f:
            np.savez(
                f,
                scores=np.asarray(self.scores, dtype=np.float64),
                meta=np.array(json.dumps(meta)),
            )
        return path

    @classmethod
    def load(cls, path):
        """Read a file written by :meth:`save`, refusing anything else."""
        try:
            with np.load(path, allow_pickle=False) as data:
                if set(data.files) != {"scores", "meta"}:
                    raise PublicScoresFormatError(
                        f"{path} is not a public-scores file: it holds the "
                        f"arrays {sorted(data.files)}, not ['meta', 'scores']."
                    )
                scores = np.asarray(data["scores"])
                meta = json.loads(str(data["meta"]))
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            if isinstance(exc, PublicScoresFormatError):
                raise
            raise PublicScoresFormatError(
                f"{path} is not a public-scores file ({exc}). Write it with "
                "skcoop.silo.public_scores."
            ) from exc
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise PublicScoresFormatError(
                f"{path} is not a public-scores file of format {FORMAT!r}. Got "
                f"{meta.get('format') if isinstance(meta, dict) else meta!r} "
                "instead."
            )
        if scores.dtype.kind != "f" or not np.all(np.isfinite(scores)):
            raise PublicScoresFormatError(
                f"{path}: the scores must be finite floats. Got dtype "
                f"{scores.dtype} with {int(np.sum(~np.isfinite(scores)))} values "
                "that are not finite instead."
            )
        return cls(
            str(meta["site"]),
            scores,
            labels_from_json(meta.get("classes")),
            str(meta["digest"]),
        )


def _check_distiller(distiller):
    if not isinstance(distiller, BasePublicSetDistiller):
        raise TypeError(
            "distiller must be a public-set strategy (FedMDDistiller or "
            f"FedDFDistiller). Got {type(distiller).__name__} instead."
        )
    distiller._validate_params()


def public_seeds(random_state, names, n_rounds=1):
    """The seed the in-process ensemble gives each student's lesson per round.

    ``CooperativeDistillationEnsemble(distiller=FedMDDistiller(...),
    random_state=r).fit(X, y, site=site)`` draws, per round, one seed from
    ``r`` and from it one seed per member, in the order of its members;
    sites that pass these to :func:`public_learn` get the same students
    (it matters only for resampled students).

    Returns
    -------
    seeds : list of dict
        ``seeds[r][name]``.

    Examples
    --------
    >>> from skcoop.silo import public_seeds
    >>> seeds = public_seeds(0, ["a", "b"], n_rounds=2)
    >>> len(seeds), sorted(seeds[1])
    (2, ['a', 'b'])
    """
    n_rounds = check_count(n_rounds, "n_rounds")
    names = list(names)
    rng = check_random_state(random_state)
    out = []
    for _ in range(n_rounds):
        round_rng = check_random_state(draw_seed(rng))
        out.append(dict(zip(names, (int(s) for s in draw_seed(round_rng, len(names))))))
    return out


@validate_params(
    {
        "model": [HasMethods(["predict"]), str, PathLike],
        "X_public": ["array-like"],
        "name": [str],
        "distiller": [BasePublicSetDistiller],
        "classes": ["array-like", None],
        "path": [str, PathLike, None],
        "trusted": [list, None],
    },
    prefer_skip_nested_validation=True,
)
def public_scores(
    model, X_public, *, name, distiller, classes=None, path=None, trusted=None
):
    """A site's scores on the public rows: the only thing it sends.

    Parameters
    ----------
    model : fitted estimator, or path of a model file
        The site's current model (its member fitted alone, or the student
        of the last round).
    X_public : {array-like, DataFrame}
        The public rows in the shared columns; the model reads its own
        (by ``feature_names_in_``).
    name : str
        The site's name.
    distiller : FedMDDistiller or FedDFDistiller
        The strategy (its ``X_public`` is not read here).
    classes : array-like or None, default=None
        Every class of the problem, sorted (None for a regressor).
    path : str or path-like, default=None
        Where to write the ``.npz`` file.
    trusted : list of str or None, default=None
        Types trusted when ``model`` is a file.

    Returns
    -------
    scores : PublicScores
    """
    _check_distiller(distiller)
    model, _ = _load(model, trusted)
    if len(X_public) < 1:
        check_public_rows(X_public, X_public)  # raises: no row
    columns = _columns(model, X_public, name)
    X_view = X_public if columns is None else X_public[columns]
    classes = None if classes is None else np.asarray(classes)
    out = PublicScores(
        name,
        distiller.member_scores(name_member(model, name), X_view, classes),
        classes,
        public_digest(X_public),
    )
    if path is not None:
        out.save(path)
    return out


def _as_scores(item):
    return PublicScores.load(item) if isinstance(item, str | PathLike) else item


def public_consensus(scores, *, distiller):
    """The consensus of every site's :class:`PublicScores` (or their files).

    Scores must be on the same public rows (same digest), of the same
    classes, in the order of the ensemble's members.

    Returns
    -------
    consensus : ndarray of shape (n_public, n_classes) or (n_public,)
    """
    _check_distiller(distiller)
    scores = [_as_scores(s) for s in scores]
    if not scores:
        raise ValueError("scores must hold one entry per site. Got none instead.")
    first = scores[0]
    for s in scores[1:]:
        if s.digest != first.digest:
            raise ValueError(
                f"The scores of {s.site!r} are on other public rows than those "
                f"of {first.site!r} (digest {s.digest[:12]} != "
                f"{first.digest[:12]}). Score the same X_public at every site."
            )
        same = (s.classes is None) == (first.classes is None) and (
            s.classes is None or np.array_equal(s.classes, first.classes)
        )
        if not same or np.shape(s.scores) != np.shape(first.scores):
            raise ValueError(
                f"The scores of {s.site!r} and {first.site!r} differ in classes "
                f"or shape ({np.shape(s.scores)} != {np.shape(first.scores)}). "
                "Pass the same classes at every site."
            )
    return distiller.consensus([s.scores for s in scores], first.classes)


@validate_params(
    {
        "template": [HasMethods(["fit"])],
        "X": ["array-like"],
        "y": ["array-like"],
        "X_public": ["array-like"],
        "consensus": ["array-like"],
        "name": [str],
        "distiller": [BasePublicSetDistiller],
        "classes": ["array-like", None],
        "random_state": ["random_state"],
        "sample_weight": ["array-like", None],
        "fitted": [HasMethods(["predict"]), None],
    },
    prefer_skip_nested_validation=True,
)
def public_learn(
    template,
    X,
    y,
    X_public,
    consensus,
    *,
    name,
    distiller,
    classes=None,
    random_state=None,
    sample_weight=None,
    fitted=None,
):
    """A site's student learns the consensus on the public rows.

    Parameters
    ----------
    template : estimator
        The site's unfitted learner (cloned).
    X, y : array-like
        The site's own rows and labels (FedDF does not read them but to
        check the public rows' columns).
    X_public : {array-like, DataFrame}
        The public rows (the site reads its own columns, those of ``X``).
    consensus : array-like
        :func:`public_consensus` of this round.
    name : str
        The site's name, for messages.
    distiller : FedMDDistiller or FedDFDistiller
    classes : array-like or None, default=None
        Every class of the problem (None for a regressor).
    random_state : int, RandomState or None, default=None
        This site's seed of the round (:func:`public_seeds`).
    sample_weight : array-like or None, default=None
        Weights of the site's own rows.
    fitted : fitted estimator or None, default=None
        The site's current model, continued when ``distiller.warm_start``.

    Returns
    -------
    student : fitted estimator
    """
    _check_distiller(distiller)
    y = column_or_1d(y)
    classes = None if classes is None else np.asarray(classes)
    X_view = (
        X_public[list(X.columns)] if is_frame(X) and is_frame(X_public) else (X_public)
    )
    X_view = check_public_rows(X_view, X)
    target = distiller.public_target(np.asarray(consensus, dtype=float), classes)
    start = clone(template)
    if classes is not None:
        start = with_classes(start, classes)
    lesson = distiller.public_lesson(
        X, y, sample_weight, X_view, target, classes, random_state, start
    )
    return learn_lesson(name, start, fitted, lesson, resume=bool(distiller.warm_start))
