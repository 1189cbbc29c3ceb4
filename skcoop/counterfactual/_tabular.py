"""Raw tabular rows for the search: mixed-type DataFrames in, the same form out.

The search works on a float matrix. A DataFrame with categorical, boolean or
missing values is encoded column by column (:class:`_TabularEncoder`):

- a numeric column is one float column (integer columns keep integer values,
  the engine sees them as integer features);
- a ``bool`` column is one 0/1 column;
- any other column (object, string, category, nullable boolean) is a one-hot
  group over the categories seen in the fitted rows, so the engine's one-hot
  constraint moves it only among those categories;
- every column also gets a *hold* column, immutable for the search: 0 where
  the row's value is encoded, a code > 0 where the value is held as it is (1:
  missing; 2, 3, ...: a category the fitted rows never showed). A held value
  is written back unchanged whenever a candidate row is decoded, so the model
  always sees the source row's own missing or unseen values.

Decoding gives a DataFrame with the same columns, order and dtypes (pandas
categories keep their category list).

The mixed-type distance (Gower-style) lives in :mod:`skcoop.utils`, shared
with :mod:`skcoop.metrics` and :mod:`skcoop.privacy`.
"""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Number

import numpy as np

from ..utils import check_frame_columns
from ..utils import column_kind as _kind

__all__ = []


def _pandas():
    import pandas as pd

    return pd


def _value_type(value):
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, str):
        return "str"
    if isinstance(value, Number):
        return "number"
    return type(value).__name__


def _check_column(name, values, what):
    """Reject an all-missing column and an object column of mixed value types."""
    pd = _pandas()
    present = values[~pd.isna(values)]
    if present.size == 0:
        raise ValueError(
            f"Column {name!r} of {what} has only missing values; the search "
            "cannot learn its values. Drop the column or fill it."
        )
    if values.dtype == object:
        types = sorted({_value_type(v) for v in present})
        if len(types) > 1:
            raise ValueError(
                f"Column {name!r} of {what} mixes value types {types}. Cast it to "
                "one type (for example .astype(str)) or to a pandas category."
            )
    return present


class _TabularEncoder:
    """Encode a mixed-type DataFrame as a float matrix and decode it back.

    Fitted on the teacher's rows. ``transform`` returns the matrix and the
    table of held values (per column: the missing marker first, then unseen
    categories); ``inverse_transform`` needs that table.
    """

    def fit(self, frame, what="X_ref"):
        pd = _pandas()
        self.columns = pd.Index(frame.columns)
        if not self.columns.is_unique:
            dup = self.columns[self.columns.duplicated()].unique().tolist()
            raise ValueError(
                f"{what} has duplicated column names {dup}; give every column "
                "its own name."
            )
        self.dtypes = frame.dtypes
        self.kinds = [_kind(t) for t in self.dtypes]
        self.categories = []
        self.fill = []
        value_cols, names = [], []
        for j, (name, kind) in enumerate(zip(self.columns, self.kinds)):
            values = frame.iloc[:, j].to_numpy(dtype=object)
            present = _check_column(name, values, what)
            start = len(names)
            if kind == "cat":
                cats = self._seen(frame.iloc[:, j], present)
                self.categories.append(cats)
                self.fill.append(0.0)
                names += [f"{name}={c}" for c in cats]
            else:
                self.categories.append(None)
                numbers = np.asarray(present, dtype=float)
                if not np.all(np.isfinite(numbers)):
                    raise ValueError(
                        f"Column {name!r} of {what} holds infinite values; pass "
                        "finite numbers (missing values may be NaN)."
                    )
                # a value the column takes (the lower median): integers stay so
                self.fill.append(float(np.sort(numbers)[(numbers.size - 1) // 2]))
                names.append(str(name))
            value_cols.append(np.arange(start, len(names)))
        n_values = len(names)
        self.value_cols = value_cols
        self.hold_cols = np.arange(n_values, n_values + len(self.columns))
        self.names = np.asarray(
            names + [f"{c}__held" for c in self.columns], dtype=object
        )
        self.n_encoded = len(self.names)
        self.groups = [
            cols
            for cols, kind in zip(value_cols, self.kinds)
            if kind == "cat" and cols.size >= 2
        ]
        return self

    @staticmethod
    def _seen(column, present):
        pd = _pandas()
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            cats = dtype.categories
            return np.asarray(cats[cats.isin(pd.unique(present))], dtype=object)
        unique = pd.unique(present)
        try:
            return np.asarray(sorted(unique), dtype=object)
        except TypeError:
            return np.asarray(list(unique), dtype=object)

    # ------------------------------------------------------------ checks
    def check_frame(self, X, what="X"):
        """Same columns in the same order, and no change of column kind."""
        check_frame_columns(
            X,
            self.columns,
            what,
            "the rows the search was fitted on",
            fix="Select them with X[search.feature_names_in_].",
        )
        changed = [
            f"{c!r} ({old} at fit, {new} now)"
            for c, old, new, kind in zip(
                self.columns, self.dtypes, X.dtypes, self.kinds
            )
            if _kind(new) != kind
        ]
        if changed:
            raise ValueError(
                f"Columns of {what} changed dtype since fit: {', '.join(changed)}. "
                "Pass rows with the dtypes of the rows the search was fitted on."
            )

    # ---------------------------------------------------- encode / decode
    def transform(self, X):
        """``(Z, held)``: the float matrix and, per column, the held values."""
        pd = _pandas()
        n = X.shape[0]
        Z = np.zeros((n, self.n_encoded))
        held = []
        for j, (name, kind) in enumerate(zip(self.columns, self.kinds)):
            column = X.iloc[:, j]
            missing = pd.isna(column).to_numpy()
            hold = missing.astype(float)
            table = [np.nan]
            cols = self.value_cols[j]
            if kind == "cat":
                values = column.to_numpy(dtype=object)
                present = values[~missing]
                if present.size and values.dtype == object:
                    _check_column(name, values, "X")
                codes = np.full(n, -1)
                lookup = pd.Index(self.categories[j])
                codes[~missing] = lookup.get_indexer(present)
                unseen = ~missing & (codes < 0)
                if values.dtype == object and missing.any():
                    # an object column keeps its own marker (None, pd.NA)
                    marker = np.flatnonzero(missing)
                    odd = [not isinstance(v, float) for v in values[marker]]
                    unseen[marker[np.asarray(odd, dtype=bool)]] = True
                if unseen.any():
                    new, inverse = np.unique(
                        values[unseen].astype(str), return_inverse=True
                    )
                    first = {v: i for i, v in enumerate(values[unseen].astype(str))}
                    table += [values[unseen][first[v]] for v in new]
                    hold[unseen] = 2 + inverse
                codes[codes < 0] = 0  # held rows carry the first category
                if cols.size:
                    Z[np.arange(n), cols[codes]] = 1.0
            else:
                numbers = column.to_numpy(dtype=float, na_value=np.nan)
                if not np.all(np.isfinite(numbers[~missing])):
                    raise ValueError(
                        f"Column {name!r} of X holds infinite values; pass finite "
                        "numbers (missing values may be NaN)."
                    )
                Z[:, cols[0]] = np.where(missing, self.fill[j], numbers)
            Z[:, self.hold_cols[j]] = hold
            held.append(table)
        return Z, held

    def inverse_transform(self, Z, held, index=None, dtypes=None):
        """A DataFrame with the fitted columns and ``dtypes`` (default: fit's)."""
        pd = _pandas()
        dtypes = self.dtypes if dtypes is None else dtypes
        data = {}
        for j, kind in enumerate(self.kinds):
            cols, dtype = self.value_cols[j], dtypes.iloc[j]
            code = np.rint(Z[:, self.hold_cols[j]]).astype(int)
            heldrows = np.flatnonzero(code > 0)
            if kind == "cat":
                data[j] = _categorical(
                    self.categories[j],
                    Z[:, cols].argmax(axis=1),
                    heldrows,
                    held[j],
                    code,
                    dtype,
                )
                continue
            if kind == "bool":
                values = Z[:, cols[0]] > 0.5
            else:
                values = Z[:, cols[0]].copy()
                if pd.api.types.is_integer_dtype(dtype):
                    values = np.rint(values)
                values[heldrows] = np.nan  # a held number is a missing one
            data[j] = _typed(values, dtype, heldrows.size > 0)
        frame = pd.DataFrame(data)
        if index is not None:
            frame.index = index
        frame.columns = self.columns
        return frame

    # ------------------------------------------------- raw -> encoded
    @property
    def plain(self):
        """Encoded columns that are a numeric or boolean input column."""
        mask = np.zeros(self.n_encoded, dtype=bool)
        for cols, kind in zip(self.value_cols, self.kinds):
            mask[cols] = kind != "cat"
        return mask

    def plain_columns(self, raw_indices, what):
        """Encoded columns of numeric/boolean input columns (error otherwise)."""
        bad = [self.columns[j] for j in raw_indices if self.kinds[j] == "cat"]
        if bad:
            raise ValueError(
                f"{what} may only name numeric or boolean columns; {bad} are "
                "categorical and already move as one group each."
            )
        return np.asarray([self.value_cols[j][0] for j in raw_indices], dtype=int)

    def column_scale(self, encoded_scale):
        """Per input column: the numeric unit, 1 for categorical/boolean columns."""
        return np.asarray(
            [
                encoded_scale[cols[0]] if kind == "num" else 1.0
                for cols, kind in zip(self.value_cols, self.kinds)
            ]
        )

    def encoded_scale(self, column_scale):
        """Scale of each encoded column: a category change costs
        ``1 / column_scale`` (one-hot: two columns change by 1)."""
        out = np.ones(self.n_encoded)
        for j, (cols, kind) in enumerate(zip(self.value_cols, self.kinds)):
            out[cols] = column_scale[j] * (2.0 if kind == "cat" else 1.0)
        return out

    def encoded_bounds(self, lower, upper, min_, max_):
        """Encoded box: numeric columns from the input box (observed range when
        None), one-hot and boolean columns in [0, 1], hold columns free."""
        if lower is None:
            lo, hi = min_.copy(), max_.copy()
        else:
            lo, hi = np.empty(self.n_encoded), np.empty(self.n_encoded)
            for j, (cols, kind) in enumerate(zip(self.value_cols, self.kinds)):
                if kind == "num":
                    lo[cols], hi[cols] = lower[j], upper[j]
                else:
                    lo[cols], hi[cols] = 0.0, 1.0
        lo[self.hold_cols], hi[self.hold_cols] = -np.inf, np.inf
        return lo, hi

    def encoded_columns(self, raw_indices):
        """Encoded columns (values and hold) of raw columns ``raw_indices``."""
        parts = [self.value_cols[j] for j in raw_indices]
        parts += [self.hold_cols[np.asarray(raw_indices, dtype=int)]]
        return np.unique(np.concatenate(parts)) if parts else np.zeros(0, int)

    def raw_changed(self, Z, Z_cf):
        """Per row, the number of raw columns whose value differs."""
        diff = Z != Z_cf
        return (
            np.column_stack(
                [diff[:, cols].any(axis=1) for cols in self.value_cols]
            ).sum(axis=1)
            if self.value_cols
            else np.zeros(Z.shape[0], int)
        )

    def reset_held(self, Z, Z_cf):
        """Held cells of ``Z_cf`` back to their encoded source values (in place)."""
        for j, cols in enumerate(self.value_cols):
            rows = np.flatnonzero(Z[:, self.hold_cols[j]] > 0)
            if rows.size:
                Z_cf[np.ix_(rows, cols)] = Z[np.ix_(rows, cols)]
        return Z_cf


def _typed(values, dtype, has_missing):
    """A Series of ``dtype`` from a numeric or boolean array."""
    pd = _pandas()
    if isinstance(dtype, np.dtype) and dtype.kind in "iub" and has_missing:
        return pd.Series(values)  # a numpy int/bool column cannot hold NaN
    if isinstance(dtype, np.dtype):
        return pd.Series(values.astype(dtype, copy=False))
    return pd.Series(values).astype(dtype)


def _categorical(cats, picked, heldrows, table, code, dtype):
    """A Series of ``dtype``: category ``cats[picked]``, held values restored."""
    pd = _pandas()
    if isinstance(dtype, pd.CategoricalDtype):
        lookup = dtype.categories.get_indexer(cats) if cats.size else np.zeros(0, int)
        codes = lookup[picked] if cats.size else np.full(picked.size, -1)
        if heldrows.size:
            kept = pd.Index(table[1:], dtype=object)
            extra = np.concatenate([[-1], dtype.categories.get_indexer(kept)])
            codes[heldrows] = extra[code[heldrows] - 1]
        return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype))
    values = (
        np.asarray(cats, dtype=object)[picked]
        if cats.size
        else np.full(picked.size, np.nan, dtype=object)
    )
    if heldrows.size:
        restored = np.empty(len(table), dtype=object)
        restored[:] = table
        values[heldrows] = restored[code[heldrows] - 1]
    # object arrays stay object (pandas would infer str and turn None into NaN)
    column = pd.Series(values, dtype=object)
    is_object = isinstance(dtype, np.dtype) and dtype.kind == "O"
    return column if is_object else column.astype(dtype)
