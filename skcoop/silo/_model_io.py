"""Fitted members as files: skops (or a skorch net's weights) with JSON metadata.

``export_model`` writes a fitted estimator to a skops file and a metadata
file beside it (``<model file>.json``). ``import_model`` checks the file's
SHA-256 against that metadata, refuses types the receiving site has not
trusted and loads the file with skops. Neither ever unpickles anything.
"""

# SPDX-License-Identifier: BSD-3-Clause

import hashlib
import json
from pathlib import Path

import numpy as np
from sklearn.base import is_classifier, is_regressor
from sklearn.utils.validation import check_is_fitted

from ..utils import import_optional, is_frame, warn_at_caller
from ._schema import describe_frame
from ._torch_io import is_skorch_net, load_skorch_net, save_skorch_net
from ._trust import (
    ModelIntegrityError,
    UntrustedModelError,
    labels_from_json,
    labels_to_json,
    refuse_untrusted,
)

FORMAT = "skcoop-model"
FORMAT_VERSION = 1


def metadata_path(path):
    """Where the metadata of the model file ``path`` lives: ``<path>.json``."""
    path = Path(path)
    return path.with_name(path.name + ".json")


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _task(estimator):
    if is_classifier(estimator):
        return "classifier"
    if is_regressor(estimator):
        return "regressor"
    raise ValueError(
        "export_model takes a fitted classifier or regressor. Got "
        f"{type(estimator).__name__}, which is neither."
    )


def _columns(estimator, X):
    names = getattr(estimator, "feature_names_in_", None)
    n_features = getattr(estimator, "n_features_in_", None)
    spec = {
        "names": None if names is None else [str(n) for n in names],
        "n_features": None if n_features is None else int(n_features),
        "dtypes": None,
        "dtype": None,
    }
    if X is None:
        return spec
    if is_frame(X):
        described = describe_frame(X.iloc[:0])
        spec["dtypes"] = described
        if spec["names"] is None:
            spec["names"] = [str(d["name"]) for d in described]
    else:
        X = np.asarray(X)
        spec["dtype"] = str(X.dtype)
    if spec["n_features"] is None:
        spec["n_features"] = int(X.shape[1])
    if spec["n_features"] != X.shape[1]:
        raise ValueError(
            f"X has {X.shape[1]} columns but the estimator was fitted on "
            f"{spec['n_features']}; give X in the estimator's input columns."
        )
    if (
        names is not None
        and is_frame(X)
        and [str(c) for c in X.columns] != list(spec["names"])
    ):
        raise ValueError(
            f"X's columns {list(map(str, X.columns))} are not those the estimator "
            f"was fitted on ({spec['names']}); give X in the estimator's columns."
        )
    return spec


#: Fitted attributes in which a learner keeps (some of) its training rows.
_ROW_ATTRIBUTES = ("_fit_X", "support_vectors_", "X_train_", "X_fit_")


def stored_rows(estimator):
    """Training rows a fitted model keeps, as ``(owner, attribute, n_rows)``.

    A k-nearest-neighbours model keeps every training row, a support vector
    machine its support vectors, a Gaussian process its training rows: their
    model files carry those rows to whoever receives them.
    """
    found, seen, todo = [], set(), [estimator]
    while todo:
        est = todo.pop()
        if id(est) in seen or not hasattr(est, "fit"):
            continue
        seen.add(id(est))
        for attr in _ROW_ATTRIBUTES:
            rows = getattr(est, attr, None)
            if rows is not None and getattr(rows, "ndim", 0) == 2:
                found.append((type(est).__name__, attr, int(rows.shape[0])))
        if hasattr(est, "get_params"):
            todo.extend(v for v in est.get_params(deep=True).values() if v is not est)
        for attr in ("estimator_", "estimators_", "steps"):
            inner = getattr(est, attr, None)
            inner = inner if isinstance(inner, (list, tuple)) else [inner]
            todo.extend(v[1] if isinstance(v, tuple) else v for v in inner)
    return found


def _versions():
    import sklearn

    from .. import __version__

    versions = {"skcoop": __version__, "scikit-learn": sklearn.__version__}
    versions["numpy"] = np.__version__
    return versions


def export_model(estimator, path, *, name, X=None):
    """Write a fitted member to a model file with its metadata beside it.

    The model goes to ``path`` as a skops file (a skorch net: its weights
    as an ``.npz`` of arrays and its parameters as JSON, see the
    *Deploying across sites* guide); the metadata goes to
    ``<path>.json``: the member's name, task (classifier or regressor),
    classes, input columns (with ``X``, also each column's dtype and
    categories), the skcoop and scikit-learn versions and the model file's
    SHA-256.

    Parameters
    ----------
    estimator : fitted estimator
        A fitted classifier or regressor.
    path : str or Path
        The model file to write (conventionally ``<name>.skops``).
    name : str
        The member's (site's) name.
    X : array-like or DataFrame, default=None
        Rows in the estimator's input columns (only their dtypes and
        categories are written, never a value); records the input schema.

    Returns
    -------
    model_path, metadata_path : Path
        The files written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skcoop.silo import export_model, import_model, read_metadata
    >>> X, y = load_iris(return_X_y=True)
    >>> model = LogisticRegression(max_iter=500).fit(X, y)
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> paths = export_model(model, folder / "a.skops", name="a")
    >>> [p.name for p in paths]
    ['a.skops', 'a.skops.json']
    >>> meta = read_metadata(folder / "a.skops")
    >>> meta["name"], meta["task"], meta["classes"]["values"]
    ('a', 'classifier', [0, 1, 2])
    >>> (import_model(folder / "a.skops").predict(X) == model.predict(X)).all()
    np.True_
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty str. Got {name!r} instead.")
    check_is_fitted(estimator)
    task = _task(estimator)
    path = Path(path)
    columns = _columns(estimator, X)
    if is_skorch_net(estimator):
        serialization, extra = "skorch-npz", save_skorch_net(estimator, path)
    else:
        sio = import_optional("skops.io", "model files")
        try:
            sio.dump(estimator, path)
        except Exception as exc:
            raise ValueError(
                f"skops cannot store {type(estimator).__name__} ({exc}). A skorch "
                "net is stored on its own, not inside a Pipeline; other types need "
                "skops support."
            ) from exc
        serialization, extra = "skops", {}
    kept = stored_rows(estimator)
    if kept:
        what = "; ".join(f"{o}.{a}: {n} rows" for o, a, n in kept)
        warn_at_caller(
            f"The model of {name!r} keeps training rows in its fitted state "
            f"({what}); its model file carries those rows to every site it is "
            "sent to. Use a learner that does not keep its rows if this site's "
            "rows must not leave it.",
            UserWarning,
        )
    classes = getattr(estimator, "classes_", None) if task == "classifier" else None
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": name,
        "task": task,
        "estimator": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
        "serialization": serialization,
        "classes": None if classes is None else labels_to_json(classes),
        "columns": columns,
        "versions": _versions(),
        "stored_rows": sum(n for _, _, n in kept),
        "file": path.name,
        "sha256": _sha256(path),
        **extra,
    }
    meta_path = metadata_path(path)
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return path, meta_path


def read_metadata(path):
    """The metadata of a model file written by :func:`export_model`.

    Parameters
    ----------
    path : str or Path
        The model file (its metadata is ``<path>.json``) or the metadata
        file itself.

    Returns
    -------
    metadata : dict
        ``name``, ``task``, ``estimator``, ``classes`` (``{"dtype",
        "values"}`` or None), ``columns`` (``names``, ``n_features``,
        ``dtypes``, ``dtype``), ``versions``, ``file``, ``sha256``, ...
    """
    path = Path(path)
    meta_file = path if path.name.endswith(".json") else metadata_path(path)
    if not meta_file.is_file():
        raise FileNotFoundError(
            f"No metadata file {str(meta_file)!r} beside the model file; "
            "export_model writes it as '<model file>.json'. Copy it along with "
            "the model."
        )
    try:
        meta = json.loads(meta_file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{str(meta_file)!r} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(
            f"{str(meta_file)!r} is not skcoop model metadata (format "
            f"{FORMAT!r}); write it with skcoop.silo.export_model."
        )
    if meta.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{str(meta_file)!r} is model metadata version "
            f"{meta.get('format_version')}; this skcoop reads version "
            f"{FORMAT_VERSION}."
        )
    check_metadata(meta, meta_file)
    return meta


_TASKS = ("classifier", "regressor")
_SERIAL = ("skops", "skorch-npz")

#: metadata fields, with the check each value must pass and what it must be
_FIELDS = {
    "name": (lambda v: isinstance(v, str) and v != "", "a non-empty str"),
    "task": (lambda v: v in _TASKS, "'classifier' or 'regressor'"),
    "estimator": (lambda v: isinstance(v, str) and v != "", "a type name (str)"),
    "serialization": (
        lambda v: v in ("skops", "skorch-npz"),
        "'skops' or 'skorch-npz'",
    ),
    "versions": (lambda v: isinstance(v, dict), "a dict of versions"),
    "sha256": (
        lambda v: (
            isinstance(v, str)
            and len(v) == 64
            and all(c in "0123456789abcdef" for c in v)
        ),
        "a SHA-256 of 64 hex digits",
    ),
    "columns": (lambda v: v is None or isinstance(v, dict), "a dict or null"),
}


def check_metadata(meta, where):
    """Every field :func:`import_model` reads, present and of the right form."""
    for key, (ok, rule) in _FIELDS.items():
        if key not in meta:
            raise ModelIntegrityError(
                f"{str(where)!r} lacks the field {key!r}; the metadata is damaged "
                "or was not written by skcoop.silo.export_model. Ask the sending "
                "site for the model file and its metadata again."
            )
        if not ok(meta[key]):
            raise ModelIntegrityError(
                f"{str(where)!r}: the field {key!r} must be {rule}. Got "
                f"{meta[key]!r} instead; the metadata is damaged or was edited."
            )
    classes = meta.get("classes")
    if meta["task"] == "classifier":
        try:
            labels = labels_from_json(classes)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelIntegrityError(
                f"{str(where)!r}: the field 'classes' must be {{'dtype', 'values'}} "
                f"with at least one label. Got {classes!r} instead ({exc})."
            ) from exc
        if labels is None or labels.ndim != 1 or labels.size == 0:
            raise ModelIntegrityError(
                f"{str(where)!r}: a classifier's metadata must list its classes. "
                f"Got {classes!r} instead."
            )
        if labels.dtype.kind == "f" and not np.isfinite(labels).all():
            raise ModelIntegrityError(
                f"{str(where)!r}: the classes {labels.tolist()} hold NaN or "
                "infinity; a label must be a value."
            )
        if np.unique(labels).size != labels.size:
            raise ModelIntegrityError(
                f"{str(where)!r}: the classes {labels.tolist()} repeat a label."
            )
    columns = meta["columns"] or {}
    n_features = columns.get("n_features")
    names = columns.get("names")
    if n_features is not None and (
        isinstance(n_features, bool)
        or not isinstance(n_features, int)
        or n_features < 1
    ):
        raise ModelIntegrityError(
            f"{str(where)!r}: 'columns.n_features' must be a positive int. Got "
            f"{n_features!r} instead."
        )
    if names is not None and (
        not isinstance(names, list)
        or (n_features is not None and len(names) != n_features)
    ):
        raise ModelIntegrityError(
            f"{str(where)!r}: 'columns.names' must list {n_features} column names. "
            f"Got {names!r} instead."
        )


def _check_loaded(model, meta, path):
    """The loaded model against its metadata: task, classes, input width."""
    task = (
        "classifier"
        if is_classifier(model)
        else ("regressor" if is_regressor(model) else None)
    )
    if task != meta["task"]:
        raise ModelIntegrityError(
            f"{str(path)!r} holds a {type(model).__name__}, not a {meta['task']} "
            "as its metadata records; the two files do not belong together."
        )
    if task == "classifier" and hasattr(model, "classes_"):
        recorded = labels_from_json(meta["classes"])
        actual = np.asarray(model.classes_)
        if (
            actual.shape != recorded.shape
            or not (actual.astype(object) == recorded.astype(object)).all()
        ):
            raise ModelIntegrityError(
                f"{str(path)!r} holds a model of the classes {actual.tolist()}, but "
                f"its metadata records {recorded.tolist()}; the two files do not "
                "belong together."
            )
    n_features = (meta["columns"] or {}).get("n_features")
    actual_n = getattr(model, "n_features_in_", None)
    if n_features is not None and actual_n is not None and actual_n != n_features:
        raise ModelIntegrityError(
            f"{str(path)!r} holds a model of {actual_n} input columns, but its "
            f"metadata records {n_features}; the two files do not belong together."
        )
    return model


def import_model(path, *, trusted=None):
    """Load a model file written by :func:`export_model`, checking it first.

    The file's SHA-256 must equal the one in its metadata; the types it
    holds (``skops.io.get_untrusted_types``) must come from numpy, scipy,
    scikit-learn, skorch, torch or skcoop, or be listed in ``trusted``.
    Nothing is unpickled.

    Parameters
    ----------
    path : str or Path
        The model file.
    trusted : list of str, default=None
        Further type names (``"package.module.Class"``) to load, for
        models with types of your own.

    Returns
    -------
    estimator : fitted estimator

    Raises
    ------
    ModelIntegrityError
        If the file's SHA-256 differs from its metadata's.
    UntrustedModelError
        If the file holds a type neither trusted by default nor listed in
        ``trusted``; the message names each one.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No model file at {str(path)!r}.")
    meta = read_metadata(path)
    digest = _sha256(path)
    if digest != meta["sha256"]:
        raise ModelIntegrityError(
            f"The model file {str(path)!r} has SHA-256 {digest}, but its metadata "
            f"records {meta['sha256']}: the file changed after it was exported. "
            "Ask the sending site for the file again."
        )
    import sklearn

    if meta["versions"].get("scikit-learn") != sklearn.__version__:
        warn_at_caller(
            f"The model {meta['name']!r} was exported with scikit-learn "
            f"{meta['versions'].get('scikit-learn')}; this site runs "
            f"{sklearn.__version__}. Its predictions may differ.",
            UserWarning,
        )
    if meta["serialization"] == "skorch-npz":
        try:
            return load_skorch_net(path, meta, trusted)
        except (UntrustedModelError, ImportError):
            raise
        except Exception as exc:
            raise ModelIntegrityError(
                f"{str(path)!r} is not a readable skorch model file "
                f"({type(exc).__name__}: {exc}); the file is damaged or does not "
                "match its metadata. Ask the sending site for it again."
            ) from exc
    sio = import_optional("skops.io", "model files")
    try:
        found = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise ModelIntegrityError(
            f"{str(path)!r} is not a readable skops file ({type(exc).__name__}: "
            f"{exc}); it is truncated, damaged or of another format. Ask the "
            "sending site for it again."
        ) from exc
    allowed = refuse_untrusted(found, trusted, path)
    try:
        model = sio.load(path, trusted=sorted(set(found) | set(allowed)))
    except Exception as exc:
        raise ModelIntegrityError(
            f"{str(path)!r} could not be loaded ({type(exc).__name__}: {exc}); "
            "it is damaged or was written by an incompatible version. Ask the "
            "sending site for it again."
        ) from exc
    return _check_loaded(model, meta, path)
