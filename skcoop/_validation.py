"""Checks of mixed-type DataFrames: what each column holds, at fit and at predict."""

# SPDX-License-Identifier: BSD-3-Clause

__all__ = []


def column_kind(series):
    """The kind of values a column holds: numeric, bool, category or string.

    Examples
    --------
    >>> import pandas as pd
    >>> [column_kind(pd.Series(v)) for v in ([1, 2], [True], ["a"], [1.5, None])]
    ['numeric', 'bool', 'string', 'numeric']
    >>> column_kind(pd.Series(["a"], dtype="category"))
    'category'
    """
    import pandas as pd

    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    return "string"


def check_frame_at_fit(X):
    """Column kinds of a training DataFrame; rejects columns it cannot search.

    An all-missing column and an object column that mixes value types (say
    strings and numbers) raise a ValueError naming the column.

    Returns
    -------
    kinds : dict of column -> kind
    """
    import pandas as pd

    kinds = {}
    for col in X.columns:
        series = X[col]
        if len(series) and series.isna().all():
            raise ValueError(
                f"Column {col!r} is missing in every row, so no member can "
                "learn from it and no virtual row can hold a value for it. "
                "Drop the column before fitting."
            )
        kind = column_kind(series)
        if kind == "string" and series.dtype == object:
            inferred = pd.api.types.infer_dtype(series, skipna=True)
            if inferred.startswith("mixed") or inferred not in (
                "string",
                "empty",
                "boolean",
                "categorical",
                "bytes",
            ):
                types = sorted({type(v).__name__ for v in series.dropna()})
                raise ValueError(
                    f"Column {col!r} mixes value types in one object column "
                    f"(Got {types} instead of one type). Convert it to one type, "
                    "for example X[col].astype(str) or pd.to_numeric(X[col])."
                )
        kinds[col] = kind
    return kinds


def check_frame_at_predict(X, kinds):
    """The columns of ``X`` hold the same kinds of values as at fit."""
    changed = []
    for col, kind in kinds.items():
        if col in X.columns:
            now = column_kind(X[col])
            if now != kind:
                changed.append(f"{col!r} ({kind} at fit, {now} now)")
    if changed:
        raise ValueError(
            "The dtype of some columns differs from fit: "
            + ", ".join(changed)
            + ". Pass the columns with the dtypes they had at fit (for example "
            "X.astype(dtypes_at_fit))."
        )
