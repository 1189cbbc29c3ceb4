"""Checks at the entry of :func:`~skcoop.silo.teach` and :func:`~skcoop.silo.learn`.

A site's own rows, its labels and weights, and the virtual rows it received
are checked before any work, so that a mistake is reported as what it is (a
``y`` shorter than ``X``, a virtual label of another type) rather than as
an error deep in the judge or the refit.
"""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Number

import numpy as np
from sklearn.utils.validation import _check_sample_weight, check_consistent_length

from ..utils import is_frame, warn_at_caller
from ..views import NoSharedColumnsWarning


def check_site_rows(X, y, sample_weight, *, classification):
    """This site's ``(y, sample_weight)`` checked against its rows ``X``."""
    if not is_frame(X):
        shape = np.shape(X)
        if len(shape) != 2:
            raise ValueError(
                "X must be 2-D (this site's rows x columns). Got an array of shape "
                f"{shape} instead; reshape a single feature with X.reshape(-1, 1)."
            )
    y_arr = np.asarray(y)
    if y_arr.ndim != 1:
        raise ValueError(
            f"y must be 1-D, one label per row of X. Got shape {y_arr.shape} instead."
        )
    if len(y_arr) != len(X):
        raise ValueError(
            f"y must hold one label per row of X: X has {len(X)} rows but y has "
            f"{len(y_arr)}. Got inconsistent numbers of samples instead; give the "
            "labels of exactly these rows."
        )
    if len(y_arr) == 0:
        raise ValueError(
            "This site's rows are empty (0 rows). Got X with 0 samples instead; "
            "a site needs at least one row."
        )
    if _label_kind(y_arr) == "numeric" and y_arr.dtype.kind in "fc":
        if not np.isfinite(y_arr.astype(float)).all():
            raise ValueError(
                "y contains NaN or infinity. Got "
                f"{int((~np.isfinite(y_arr.astype(float))).sum())} such labels "
                "instead; drop those rows or fill their labels."
            )
    if not classification and _label_kind(y_arr) != "numeric":
        raise ValueError(
            "A regressor's y must hold numbers. Got labels of dtype "
            f"{y_arr.dtype} instead."
        )
    if sample_weight is not None:
        check_consistent_length(y_arr, sample_weight)
        sample_weight = _check_sample_weight(
            sample_weight, np.empty((len(y_arr), 0)), ensure_non_negative=True
        )
    return y_arr, sample_weight


def check_classes(classes, y):
    """``classes`` as an array of unique labels holding every label of ``y``."""
    if classes is None:
        return None
    classes = np.asarray(classes)
    if classes.ndim != 1 or classes.size == 0:
        raise ValueError(
            f"classes must be a non-empty list of labels. Got {classes.tolist()!r} "
            "instead."
        )
    if np.unique(classes).size != classes.size:
        raise ValueError(
            f"classes must list each label once. Got {classes.tolist()} instead."
        )
    _check_label_kinds(y, classes, "y", "classes")
    unknown = np.setdiff1d(np.unique(y), classes)
    if unknown.size:
        raise ValueError(
            f"y holds labels {unknown.tolist()} that are not among classes "
            f"{classes.tolist()}. Add them to classes or drop those rows."
        )
    return classes


def check_received(received, X, y, classes):
    """The virtual rows this site can learn from; rows that share no column warn.

    Labels must be of the kind of this site's labels (numbers or strings),
    and among ``classes`` when the sites agreed on them. Rows that share no
    column with ``X`` are dropped with a :class:`NoSharedColumnsWarning`
    (the in-process ensemble does the same), rather than learnt as rows made
    of filled-in values only.
    """
    from ._virtual_rows import VirtualRows

    kept = []
    for rows in received:
        if not isinstance(rows, VirtualRows):
            raise TypeError(
                "received must hold VirtualRows (see VirtualRows.load). Got "
                f"{type(rows).__name__} instead."
            )
        what = f"virtual rows from {rows.teacher!r} (round {rows.round})"
        labels = np.asarray(rows.y)
        if len(labels):
            _check_label_kinds(y, labels, "this site's y", f"the labels of the {what}")
        if classes is not None and len(labels):
            unknown = np.setdiff1d(np.unique(labels), classes)
            if unknown.size:
                raise ValueError(
                    f"The {what} carry labels {unknown.tolist()} that are not "
                    f"among classes {np.asarray(classes).tolist()}. Got virtual "
                    "rows for another problem instead; check which files this "
                    "site was sent, or add the labels to classes."
                )
        _check_finite(rows.X, what)
        if is_frame(rows.X) and is_frame(X) and rows.X.shape[1]:
            shared = [c for c in rows.X.columns if c in set(X.columns)]
            if not shared:
                warn_at_caller(
                    f"The {what} share no column with this site's rows "
                    f"({list(rows.X.columns)} vs {list(X.columns)}), so they "
                    "teach it nothing and are left out. Give the sites "
                    "overlapping columns to let knowledge pass between them.",
                    NoSharedColumnsWarning,
                )
                continue
        kept.append(rows)
    return kept


def _check_finite(X, what):
    """Refuse virtual rows holding infinity (NaN is a missing value)."""
    if is_frame(X):
        numeric = X.select_dtypes(include=[np.number])
        if not numeric.shape[1]:
            return
        values = numeric.to_numpy(dtype=float, na_value=np.nan)
        columns = list(numeric.columns[np.isinf(values).any(axis=0)])
    else:
        values = np.asarray(X)
        if values.dtype.kind not in "fc":
            return
        columns = np.flatnonzero(np.isinf(values).any(axis=0)).tolist()
    if columns:
        raise ValueError(
            f"The {what} hold infinity in the columns {columns}. Got virtual rows "
            "that are not finite instead; no model can learn them, so ask the "
            "teaching site for its rows again."
        )


def _label_kind(values):
    values = np.asarray(values)
    if values.dtype.kind in "iufcb":
        return "numeric"
    if values.dtype.kind in "US":
        return "string"
    kinds = {
        "string"
        if isinstance(v, str)
        else "numeric"
        if isinstance(v, Number)
        else "other"
        for v in values.tolist()
    }
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _check_label_kinds(reference, labels, ref_name, name):
    ref_kind, kind = _label_kind(reference), _label_kind(labels)
    words = {"numeric": "numbers", "string": "strings"}
    if len(reference) and ref_kind != kind:
        example = np.asarray(labels).ravel()[:3].tolist()
        raise ValueError(
            f"{name[0].upper()}{name[1:]} are {words.get(kind, kind + ' values')} "
            f"({example} ...), but {ref_name} holds "
            f"{words.get(ref_kind, ref_kind + ' values')}. Got labels of another type "
            "instead; every site must use the same labels (for example all "
            "integers or all strings)."
        )
