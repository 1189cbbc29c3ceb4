"""Per-member columns and mapping a row from one member's columns to another's.

A member of an ensemble may see only some columns (``(name, estimator,
columns)``, as in ColumnTransformer). A virtual instance that a teacher finds
lies in the teacher's columns; before a student can learn from it, it must be
written in the student's columns. :class:`ColumnMapper` does that: the
columns both share are copied, the columns only the student has are filled
from the student's own rows, and the columns only the teacher has are
dropped.

:func:`resolve_columns` turns a column specification into positions, and
:func:`column_keys` turns positions back into the keys a member uses.
"""

# SPDX-License-Identifier: BSD-3-Clause

import difflib
from collections import Counter
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._indexing import _determine_key_type, _get_column_indices
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted

from .utils import import_optional, is_frame, warn_at_caller

__all__ = [
    "ColumnMapper",
    "NoSharedColumnsWarning",
    "column_keys",
    "resolve_columns",
]


class NoSharedColumnsWarning(UserWarning):
    """Two members share no column, so nothing can pass between them."""


def _column_names(X):
    return [c.item() if isinstance(c, np.generic) else c for c in X.columns]


def resolve_columns(columns, X):
    """Positions of the columns that ``columns`` selects in ``X``.

    Accepts what :class:`~sklearn.compose.ColumnTransformer` accepts, and
    reuses its resolution (``sklearn.utils._indexing._get_column_indices``)
    with clearer errors.

    Parameters
    ----------
    columns : str, int, array-like of str, int or bool, slice or callable
        Column names (DataFrame only), integer positions (negative counts
        from the end), a boolean mask of length ``n_features``, a slice (of
        names or positions), or a callable such as
        :func:`~sklearn.compose.make_column_selector` that takes ``X`` and
        returns one of these.
    X : array-like or DataFrame of shape (n_samples, n_features)
        Data whose columns are selected.

    Returns
    -------
    positions : list of int
        Non-negative column positions, in the order ``columns`` gives them
        (ascending for masks and slices).

    Raises
    ------
    ValueError
        For names ``X`` lacks (named, with near matches), names given for an
        array, positions out of range (named), a mask of the wrong length,
        a column selected twice, or a specification of mixed types.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.views import resolve_columns
    >>> resolve_columns([2, -1], np.zeros((1, 4)))
    [2, 3]
    >>> resolve_columns([True, False, True, False], np.zeros((1, 4)))
    [0, 2]
    """
    if not hasattr(X, "shape") and not is_frame(X):
        X = np.asarray(X)
    if callable(columns):
        columns = columns(X)
    if not isinstance(columns, (str, slice)) and hasattr(columns, "__len__"):
        # lists, arrays, tuples, pandas Index or Series: plain Python values
        columns = [
            c.item() if isinstance(c, np.generic) else c
            for c in np.asarray(columns, dtype=object).tolist()
        ]
    elif isinstance(columns, np.generic):
        columns = columns.item()
    n_features = X.shape[1]
    names = _column_names(X) if is_frame(X) else None
    key_type = _determine_key_type(columns)
    if isinstance(columns, slice):
        if key_type in (None, "int"):
            return list(range(n_features))[columns]
        keys = [k for k in (columns.start, columns.stop) if k is not None]
    elif key_type == "bool":
        if isinstance(columns, bool) or len(columns) != n_features:
            raise ValueError(
                f"A boolean column mask needs one entry per column of X: got "
                f"{columns!r} for {n_features} columns."
            )
        keys = []
    else:
        keys = columns if isinstance(columns, list) else [columns]
    if key_type == "int":
        bad = [k for k in keys if not -n_features <= k < n_features]
        if bad:
            raise ValueError(
                f"Column positions {bad} are out of range for X with "
                f"{n_features} columns (valid: 0 .. {n_features - 1}, or "
                f"-{n_features} .. -1)."
            )
    elif key_type == "str" and names is None:
        raise ValueError(
            f"Columns given by name ({keys}) need a DataFrame; X is an array, "
            "so give integer positions or a boolean mask."
        )
    elif key_type == "str":
        missing = [k for k in keys if k not in names]
        if missing:
            hints = [
                f"did you mean {close[0]!r} for {m!r}?"
                for m in missing
                if (close := difflib.get_close_matches(m, map(str, names), n=1))
            ]
            raise ValueError(
                f"Columns {missing} are not columns of X; X has the columns "
                f"{names}." + (f" ({'; '.join(hints)})" if hints else "")
            )
    positions = _get_column_indices(X, columns)
    positions = [int(p) % n_features for p in positions]
    repeated = sorted({p for p in positions if positions.count(p) > 1})
    if repeated:
        raise ValueError(
            f"Columns {column_keys(X, repeated)} are selected more than once."
        )
    return positions


def column_keys(X, positions):
    """Keys that select ``positions`` in ``X``: names or positions.

    Parameters
    ----------
    X : array-like or DataFrame
        Data the positions refer to.
    positions : list of int
        Column positions.

    Returns
    -------
    keys : list
        Column names when ``X`` is a DataFrame whose column names are all
        strings (integer names would be read as positions by a
        ColumnTransformer-style selection), else the positions as ints.
    """
    positions = [int(p) for p in positions]
    if is_frame(X):
        names = _column_names(X)
        if all(isinstance(n, str) for n in names):
            return [names[p] for p in positions]
    return positions


def _as_key_list(columns, name):
    keys = [c.item() if isinstance(c, np.generic) else c for c in columns]
    if not keys:
        raise ValueError(f"{name} is empty; a member needs at least one column.")
    repeated = sorted({repr(k) for k in keys if keys.count(k) > 1})
    if repeated:
        raise ValueError(f"{name} lists columns more than once: {repeated}.")
    return keys


def _is_numeric(values):
    """Whether a column holds numbers (bools and strings do not count)."""
    if values.dtype.kind in "iuf":
        return True
    if values.dtype.kind != "O":
        return False
    return all(
        v is None or (isinstance(v, Real) and not isinstance(v, (bool, np.bool_)))
        for v in values.tolist()
    )


def _most_frequent(values):
    """Most frequent non-missing value; ties go to the smallest."""
    present = [v for v in values.tolist() if v is not None and v == v]
    if not present:
        return np.nan
    counts = Counter(present)
    top = max(counts.values())
    tied = [v for v, c in counts.items() if c == top]
    try:
        return min(tied)
    except TypeError:
        return tied[0]


def _default_estimator():
    return make_pipeline(
        SimpleImputer(strategy="median"),
        StandardScaler(),
        RidgeCV(alphas=np.logspace(-3, 3, 13)),
    )


class ColumnMapper(BaseEstimator):
    """Write rows given in a source member's columns in a target member's.

    Built for one teacher -> student pair: ``source_columns`` are the
    teacher's columns, ``target_columns`` the student's, both as keys into
    the ensemble's full column set (names for DataFrames, integer positions
    for arrays, as :func:`resolve_columns` and :func:`column_keys` give
    them). ``fit`` learns, from the student's own rows, how to fill the
    columns the teacher lacks; ``transform`` maps the teacher's rows:

    - a column both have is copied;
    - a column only the student has is filled (``fill``);
    - a column only the teacher has is dropped.

    Parameters
    ----------
    source_columns : array-like of column keys
        Columns of the rows passed to ``transform``, in their order.
    target_columns : array-like of column keys
        Columns of the rows passed to ``fit`` and returned by ``transform``,
        in their order.
    fill : {"mean", "median", "impute", "zero"}, default="mean"
        How a column only the student has is filled, from the student's own
        rows (missing values ignored):

        - ``"mean"``: the column mean; for a non-numeric (or bool) column,
          the most frequent value.
        - ``"median"``: the column median; non-numeric as for ``"mean"``.
        - ``"impute"``: predicted from the numeric shared columns of each
          row by a regressor fitted on the student's own rows, one per
          missing numeric column (``estimator``). Unlike a per-column
          statistic, this keeps a virtual row consistent with its shared
          values. Non-numeric missing columns, and every missing column
          when no numeric column is shared, fall back to ``"mean"``.
        - ``"zero"``: 0, the fill of the paper's own code, for parity;
          non-numeric columns get the most frequent value.
    estimator : regressor, default=None
        Regressor cloned for each missing numeric column when
        ``fill="impute"``. ``None``: median imputation of missing inputs,
        standard scaling and ``RidgeCV(alphas=np.logspace(-3, 3, 13))``.
        Pass e.g. ``HistGradientBoostingRegressor()`` for non-linear
        relations.

    Attributes
    ----------
    shared_ : list
        Target columns the source also has, in target order (copied).
    missing_ : list
        Target columns the source lacks, in target order (filled).
    dropped_ : list
        Source columns the target lacks (dropped).
    n_shared_ : int
        ``len(shared_)``; 0 means the pair can transfer nothing (a
        :class:`NoSharedColumnsWarning` was raised at ``fit``).
    fill_values_ : dict
        Statistic per missing column (also the fallback of ``"impute"``).
    estimators_ : dict
        Fitted regressor per imputed column (``fill="impute"`` only).
    predictors_ : list
        Numeric shared columns the regressors take as input.
    dtypes_ : dict or None
        Target column dtypes when ``fit`` got a DataFrame; ``transform``
        casts to them (integers rounded).

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.views import ColumnMapper
    >>> student_rows = np.array([[1.0, 10.0], [3.0, 30.0]])  # columns 0, 2
    >>> mapper = ColumnMapper([0, 1], [0, 2]).fit(student_rows)
    >>> mapper.transform(np.array([[5.0, 7.0]]))  # a row in columns 0, 1
    array([[ 5., 20.]])
    """

    _parameter_constraints: dict = {
        "source_columns": ["array-like"],
        "target_columns": ["array-like"],
        "fill": [StrOptions({"mean", "median", "impute", "zero"})],
        "estimator": [HasMethods(["fit", "predict"]), None],
    }

    def __init__(self, source_columns, target_columns, fill="mean", estimator=None):
        self.source_columns = source_columns
        self.target_columns = target_columns
        self.fill = fill
        self.estimator = estimator

    def fit(self, X, y=None):
        """Learn the fill of the target's columns the source lacks.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_target_columns)
            The target member's own rows, in ``target_columns`` (a DataFrame
            may hold more columns; they are selected by name). Not modified.
        y : None
            Ignored.

        Returns
        -------
        self : ColumnMapper
            Fitted mapper.
        """
        self._validate_params()
        source = _as_key_list(self.source_columns, "source_columns")
        target = _as_key_list(self.target_columns, "target_columns")
        in_source, in_target = set(source), set(target)
        self.shared_ = [c for c in target if c in in_source]
        self.missing_ = [c for c in target if c not in in_source]
        self.dropped_ = [c for c in source if c not in in_target]
        self.n_shared_ = len(self.shared_)
        if not self.n_shared_:
            warn_at_caller(
                f"The source columns {source} and the target columns {target} "
                "share no column: a row cannot be mapped with any information "
                "kept, so this pair should transfer nothing.",
                NoSharedColumnsWarning,
            )
        cols = self._columns(X, target, "fit")
        if len(next(iter(cols.values()))) == 0:
            raise ValueError("fit needs at least one of the target's own rows.")
        self.dtypes_ = {c: X[c].dtype for c in target} if is_frame(X) else None
        self.fill_values_ = {c: self._statistic(cols[c]) for c in self.missing_}
        self.estimators_ = {}
        predictors = [c for c in self.shared_ if _is_numeric(cols[c])]
        if self.fill == "impute" and predictors:
            Z = np.column_stack([cols[c].astype(float) for c in predictors])
            estimator = self.estimator
            estimator = _default_estimator() if estimator is None else estimator
            for c in self.missing_:
                if not _is_numeric(cols[c]):
                    continue
                values = cols[c].astype(float)
                known = ~np.isnan(values)
                if known.sum() < 2:
                    continue
                self.estimators_[c] = clone(estimator).fit(Z[known], values[known])
        self.predictors_ = predictors
        return self

    def transform(self, X):
        """Rows in the source's columns, written in the target's columns.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_source_columns)
            Rows in ``source_columns`` (a DataFrame may hold more columns;
            they are selected by name). Not modified.

        Returns
        -------
        X_target : ndarray or DataFrame of shape (n_samples, n_target_columns)
            A DataFrame (index kept, columns ``target_columns``, dtypes of
            the frame given to ``fit``) when ``X`` is one, else an ndarray
            (object dtype if any column is non-numeric).
        """
        check_is_fitted(self, "n_shared_")
        source = _as_key_list(self.source_columns, "source_columns")
        target = _as_key_list(self.target_columns, "target_columns")
        cols = self._columns(X, source, "transform")
        n_rows = len(next(iter(cols.values())))
        out = {c: cols[c] for c in self.shared_}
        if self.estimators_:
            Z = np.column_stack([cols[c].astype(float) for c in self.predictors_])
        for c in self.missing_:
            if c in self.estimators_:
                out[c] = self.estimators_[c].predict(Z) if n_rows else np.empty(0)
            else:
                value = self.fill_values_[c]
                numeric = isinstance(value, Real) and not isinstance(
                    value, (bool, np.bool_)
                )
                out[c] = np.full(n_rows, value, dtype=float if numeric else object)
        if is_frame(X):
            return self._to_frame(X, out, target)
        values = [out[c] for c in target]
        if all(_is_numeric(v) for v in values):
            return np.column_stack(
                [v.astype(float) if v.dtype.kind == "O" else v for v in values]
            )
        return np.column_stack([v.astype(object) for v in values])

    def _statistic(self, values):
        if not _is_numeric(values):
            return _most_frequent(values)
        if self.fill == "zero":
            return 0.0
        values = values.astype(float)
        if np.all(np.isnan(values)):
            return np.nan
        if self.fill == "median":
            return float(np.nanmedian(values))
        return float(np.nanmean(values))

    def _columns(self, X, keys, method):
        """Dict key -> 1-d ndarray of the column, by name or by position."""
        expected = "target_columns" if method == "fit" else "source_columns"
        if is_frame(X):
            names = set(_column_names(X))
            lacking = [k for k in keys if k not in names]
            if lacking:
                raise ValueError(
                    f"The DataFrame given to {method} lacks the {expected} "
                    f"{lacking}; it has the columns {_column_names(X)}."
                )
            return {k: X[k].to_numpy() for k in keys}
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != len(keys):
            raise ValueError(
                f"{method} needs rows in the {len(keys)} {expected} {keys}; "
                f"got an array of shape {X.shape}."
            )
        return {k: X[:, j] for j, k in enumerate(keys)}

    def _to_frame(self, X, out, target):
        pd = import_optional("pandas", "DataFrame output")
        frame = pd.DataFrame({c: out[c] for c in target}, index=X.index)
        for c, dtype in (self.dtypes_ or {}).items():
            frame[c] = _cast(frame[c], dtype)
        return frame


def _cast(series, dtype):
    """Cast a column to ``dtype``, rounding to the nearest integer or bool."""
    if series.dtype == dtype:
        return series
    if getattr(dtype, "kind", "") in ("i", "u", "b") and series.dtype.kind == "f":
        if series.isna().any():
            return series
        series = series.round()
    try:
        return series.astype(dtype)
    except (TypeError, ValueError):
        return series
