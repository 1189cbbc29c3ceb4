"""What both sides of the cooperative Flower app share: sites and payloads.

A :class:`Site` is one member's own rows, held-out rows and estimator, built
at the site by a *site function* from its node config. Payloads cross as
bytes: a model is the pair of files :func:`skcoop.silo.export_model` writes
(skops file and JSON metadata), loaded back with
:func:`skcoop.silo.import_model` (SHA-256 and trusted types checked); virtual
rows are the parquet file of :meth:`skcoop.silo.VirtualRows.save`. Nothing is
pickled.
"""

# SPDX-License-Identifier: BSD-3-Clause

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...silo import VirtualRows, export_model, import_model
from ...utils import is_frame
from .._checks import check_site

__all__ = [
    "Site",
    "check_no_raw_row",
    "model_from_bytes",
    "model_to_bytes",
    "rows_from_bytes",
    "rows_to_bytes",
]


@dataclass
class Site:
    """One site of a cooperative Flower run: its name, estimator and rows.

    A *site function* ``site_fn(node_config) -> Site`` builds it at the site
    (from the SuperNode's ``--node-config``, or ``partition-id`` under the
    simulation runtime); the server never sees ``X``, ``y`` or the held-out
    rows, only the fitted model and the virtual rows the site sends.

    Parameters
    ----------
    name : str
        The member's name (unique in the federation).
    estimator : estimator
        The member's template; the site fits a clone on its own rows.
    X : array-like or DataFrame of shape (n_samples, n_features)
        The site's own rows, with every column its peers' models read.
    y : array-like of shape (n_samples,)
        Their labels (or targets).
    X_test, y_test : array-like, default=None
        The site's held-out rows, scored (``estimator.score``) after each
        round; None reports no score.
    columns : list, default=None
        The columns of ``X`` the member reads (None: all of them).
    teach_params : dict, default=None
        Keyword arguments of :func:`skcoop.silo.teach` this site sets itself
        (a counterfactual engine object, say); they override the server's.
    trusted : list of str, default=None
        Further types this site trusts in its peers' model files.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from skcoop.flower.cooperative import Site
    >>> X, y = load_iris(return_X_y=True)
    >>> def site_fn(node_config):
    ...     k = int(node_config["partition-id"])
    ...     return Site(f"site{k}", GaussianNB(), X[k::3], y[k::3])
    >>> site_fn({"partition-id": 2}).name
    'site2'
    """

    name: str
    estimator: object
    X: object
    y: object
    X_test: object = None
    y_test: object = None
    columns: list | None = None
    teach_params: dict = field(default_factory=dict)
    trusted: list | None = None

    def __post_init__(self):
        check_site(self)

    def own(self, X):
        """``X`` in the member's columns."""
        return X if self.columns is None else X[list(self.columns)]

    def score(self, model):
        """The model's held-out score, or NaN without held-out rows."""
        if self.X_test is None:
            return float("nan")
        return float(model.score(self.own(self.X_test), np.asarray(self.y_test)))


def model_to_bytes(model, *, name, X=None):
    """A fitted member as ``(model bytes, metadata JSON)`` via ``export_model``."""
    with tempfile.TemporaryDirectory(prefix="skcoop-model-") as tmp:
        path, meta_path = export_model(
            model, Path(tmp) / f"{name}.skops", name=name, X=X
        )
        return path.read_bytes(), meta_path.read_text()


def write_model(folder, model_bytes, metadata):
    """Write a received model's two files into ``folder``; returns the model path."""
    meta = json.loads(metadata)
    name = Path(str(meta.get("file", "model.skops"))).name
    path = Path(folder) / name
    path.write_bytes(model_bytes)
    path.with_name(path.name + ".json").write_text(metadata)
    return path


def model_from_bytes(model_bytes, metadata, *, trusted=None):
    """Load a received model with ``import_model`` (SHA-256 and types checked)."""
    with tempfile.TemporaryDirectory(prefix="skcoop-model-") as tmp:
        return import_model(write_model(tmp, model_bytes, metadata), trusted=trusted)


def rows_to_bytes(rows):
    """The parquet file of :meth:`VirtualRows.save`, as bytes."""
    with tempfile.TemporaryDirectory(prefix="skcoop-rows-") as tmp:
        return rows.save(Path(tmp) / "rows.parquet").read_bytes()


def rows_from_bytes(data):
    """:class:`VirtualRows` from the bytes of their parquet file (checked on load)."""
    with tempfile.TemporaryDirectory(prefix="skcoop-rows-") as tmp:
        path = Path(tmp) / "rows.parquet"
        path.write_bytes(data)
        return VirtualRows.load(path)


def _row_keys(X, columns):
    if is_frame(X):
        frame = X[list(columns)] if columns is not None else X
        return {tuple(r) for r in frame.itertuples(index=False, name=None)}
    return {tuple(r) for r in np.asarray(X).tolist()}


def check_no_raw_row(rows, X):
    """Raise if a virtual row equals one of the site's raw rows (in its columns).

    Run at the teacher's site before anything leaves it; the comparison is on
    the columns the rows carry (a DataFrame's by name, an array's by
    position when widths agree).
    """
    Xv = rows.X
    if is_frame(Xv):
        if not is_frame(X):
            return
        raw = _row_keys(X, list(Xv.columns))
        sent = _row_keys(Xv, None)
    else:
        if np.shape(Xv)[1] != np.shape(X)[1]:
            return
        raw = _row_keys(np.asarray(X), None)
        sent = _row_keys(Xv, None)
    leaked = len(sent & raw)
    if leaked:
        raise RuntimeError(
            f"{leaked} virtual row(s) for {rows.student!r} equal raw rows of "
            f"{rows.teacher!r}; no raw row may leave a site. Got "
            "counterfactuals that did not move; nothing was sent."
        )
