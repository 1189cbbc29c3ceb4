"""Column schemas: a table's columns and dtypes written as JSON, and checked back.

A :class:`~skcoop.silo.VirtualRows` file and a model's metadata describe
their columns with the same schema: for each column its name, its dtype as
pandas spells it, and for a categorical column its categories, their dtype
and whether they are ordered.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ..utils import import_optional


def json_name(name):
    """A column name as a JSON value (str or int), or a clear error."""
    if isinstance(name, np.generic):
        name = name.item()
    if isinstance(name, bool) or not isinstance(name, (str, int)):
        raise ValueError(
            f"Column names must be strings or integers to be written to a file. "
            f"Got {name!r} of type {type(name).__name__} instead."
        )
    return name


def _json_value(value):
    return value.item() if isinstance(value, np.generic) else value


def describe_column(series):
    """The schema of one pandas column (or 1-D array) as a JSON-safe dict."""
    pd = import_optional("pandas", "column schemas")
    if not isinstance(series, pd.Series):
        series = pd.Series(np.asarray(series))
    dtype = series.dtype
    spec = {"dtype": str(dtype)}
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        values = [_json_value(v) for v in cats.tolist()]
        bad = [v for v in values if not isinstance(v, (bool, int, float, str))]
        if bad:
            raise ValueError(
                "Categories must be booleans, numbers or strings to be written to "
                f"a file. Got {bad[:3]!r} instead."
            )
        spec["categories"] = values
        spec["categories_dtype"] = str(cats.dtype)
        spec["ordered"] = bool(dtype.ordered)
    return spec


def describe_frame(X):
    """Schema of every column of a DataFrame: a list of dicts with ``name``."""
    return [
        {"name": json_name(name), **describe_column(X.iloc[:, i])}
        for i, name in enumerate(X.columns)
    ]


def categorical_dtype(spec):
    """The pandas CategoricalDtype a column schema records."""
    pd = import_optional("pandas", "column schemas")
    cats = pd.Index(spec["categories"], dtype=spec["categories_dtype"])
    return pd.CategoricalDtype(cats, ordered=spec["ordered"])
