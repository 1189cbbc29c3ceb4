"""Fitted ensembles in a form skops can store: DataFrames as plain arrays.

skops stores numpy arrays, scikit-learn objects and plain containers, but not
pandas objects. An ensemble fitted on a DataFrame holds its virtual rows as
DataFrames (``virtual_instances_[name].X``); ``__getstate__`` writes each as
a dict of column arrays with their dtypes (and categories), and
``__setstate__`` rebuilds it, so that ``skops.io.loads(skops.io.dumps(ens),
trusted=...)`` needs no pandas type trusted.
``history_`` is stored as plain dicts the same way.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ._history import history_from_state, history_to_state

__all__ = []

_FRAME_TAG = "__skcoop_frame__"


def frame_to_state(frame):
    """A DataFrame as plain arrays: column names, values, dtypes, categories.

    Examples
    --------
    >>> import pandas as pd
    >>> state = frame_to_state(pd.DataFrame({"a": [1.0], "b": ["x"]}))
    >>> sorted(state)
    ['__skcoop_frame__', 'categories', 'columns', 'dtypes', 'index', 'values']
    """
    import pandas as pd

    values, dtypes, categories = [], [], []
    for col in frame.columns:
        series = frame[col]
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            cats = np.asarray(dtype.categories)
            values.append(np.asarray(series.cat.codes, dtype=np.int64))
            dtypes.append("category" if not dtype.ordered else "category-ordered")
            categories.append(cats if cats.dtype != object else cats.astype(object))
            continue
        arr = series.to_numpy()
        if arr.dtype == object:  # strings and missing values only
            arr = np.asarray([None if v is pd.NA else v for v in arr], dtype=object)
        values.append(arr)
        dtypes.append(str(dtype))
        categories.append(None)
    return {
        _FRAME_TAG: True,
        "columns": list(frame.columns),
        "values": values,
        "dtypes": dtypes,
        "categories": categories,
        "index": np.asarray(frame.index),
    }


def frame_from_state(state):
    """The DataFrame written by :func:`frame_to_state`."""
    import pandas as pd

    data = {}
    for col, arr, dtype, cats in zip(
        state["columns"], state["values"], state["dtypes"], state["categories"]
    ):
        if dtype.startswith("category"):
            data[col] = pd.Categorical.from_codes(
                np.asarray(arr), categories=cats, ordered=dtype.endswith("ordered")
            )
        else:
            data[col] = pd.Series(arr).astype(dtype)
    frame = pd.DataFrame(data, columns=state["columns"])
    frame.index = pd.Index(state["index"])
    return frame


def is_frame_state(value):
    """Whether ``value`` is a DataFrame written by :func:`frame_to_state`."""
    return isinstance(value, dict) and value.get(_FRAME_TAG) is True


def encode_virtual(virtual):
    """``virtual_instances_`` with each DataFrame as plain arrays (a new Bunch)."""
    from sklearn.utils import Bunch

    out = Bunch()
    for name, rows in virtual.items():
        rows = Bunch(**rows)
        if hasattr(rows.get("X"), "iloc"):
            rows["X"] = frame_to_state(rows["X"])
        out[name] = rows
    return out


def decode_virtual(virtual):
    """Inverse of :func:`encode_virtual`."""
    from sklearn.utils import Bunch

    out = Bunch()
    for name, rows in virtual.items():
        rows = Bunch(**rows)
        if is_frame_state(rows.get("X")):
            rows["X"] = frame_from_state(rows["X"])
        out[name] = rows
    return out


class FramesAsArrays:
    """Mixin: pickle and skops store ``virtual_instances_`` without pandas."""

    def __getstate__(self):
        """State for pickle and skops: virtual DataFrame rows as plain arrays,
        ``history_`` as plain dicts."""
        state = super().__getstate__()
        if "virtual_instances_" in state:
            state = dict(state)
            state["virtual_instances_"] = encode_virtual(state["virtual_instances_"])
        if "history_" in state:
            state = dict(state)
            state["history_"] = history_to_state(state["history_"])
        return state

    def __setstate__(self, state):
        if "virtual_instances_" in state:
            state = dict(state)
            state["virtual_instances_"] = decode_virtual(state["virtual_instances_"])
        if "history_" in state:
            state = dict(state)
            state["history_"] = history_from_state(state["history_"])
        super().__setstate__(state)
