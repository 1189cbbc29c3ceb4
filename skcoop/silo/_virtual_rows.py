"""Virtual rows: what a teacher site sends one student site, and its file.

The file is parquet, written and read with pyarrow: a table of values with
its schema, which cannot hold code. The rows' columns, dtypes, categories
and the teacher, student and round are kept as JSON in the parquet schema
metadata and checked again on loading.
"""

# SPDX-License-Identifier: BSD-3-Clause

import json
from numbers import Integral
from pathlib import Path

import numpy as np

from ..utils import import_optional, is_frame
from ._schema import (
    categorical_dtype,
    describe_column,
    describe_frame,
    json_name,
)

FORMAT_KEY = b"skcoop.virtual_rows"
FORMAT_VERSION = 1
LABEL_FIELD = "__skcoop_label__"


class VirtualRowsFormatError(ValueError):
    """A virtual-rows file whose contents disagree with its own metadata."""


class VirtualRows:
    """Labelled virtual rows that one teacher site sends one student site.

    They are in the columns that the teacher shares with the student, in the
    student's column order, and hold nothing that points back to a raw row:
    a DataFrame's index is reset to a :class:`~pandas.RangeIndex` and no row
    id or source index is kept.

    Parameters
    ----------
    X : ndarray or DataFrame of shape (n_rows, n_columns)
        The virtual rows.
    y : array-like of shape (n_rows,)
        Their labels (classes) or targets.
    teacher : str
        Name of the site that made them.
    student : str
        Name of the site they are for.
    round : int, default=0
        Distillation round (0 for the first).

    Attributes
    ----------
    X : ndarray or DataFrame
        The rows (a DataFrame's index is a RangeIndex).
    y : ndarray or Series
        The labels.
    teacher, student : str
    round : int

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.silo import VirtualRows
    >>> rows = VirtualRows(np.array([[0.5, 1.0], [2.0, 3.5]]), [0, 1],
    ...                    teacher="a", student="b")
    >>> len(rows)
    2
    >>> rows
    VirtualRows(2 rows x 2 columns, teacher='a', student='b', round=0)
    """

    def __init__(self, X, y, *, teacher, student, round=0):
        for label, value in (("teacher", teacher), ("student", student)):
            if not isinstance(value, str) or not value:
                raise TypeError(
                    f"{label} must be a non-empty site name (str). "
                    f"Got {value!r} instead."
                )
        if isinstance(round, bool) or not isinstance(round, Integral) or round < 0:
            raise ValueError(
                f"round must be a non-negative integer. Got {round!r} instead."
            )
        if is_frame(X):
            X = X.reset_index(drop=True)
        else:
            X = np.asarray(X)
            if X.ndim != 2:
                raise ValueError(
                    f"X must be 2-D (rows x columns). Got an array of shape "
                    f"{X.shape} instead."
                )
        if hasattr(y, "reset_index") and hasattr(y, "dtype"):
            y = y.reset_index(drop=True)
        else:
            y = np.asarray(y)
        if y.ndim != 1 or len(y) != len(X):
            raise ValueError(
                f"y must be 1-D with one label per row of X ({len(X)} rows). "
                f"Got shape {np.shape(y)} instead."
            )
        _check_values(X, y)
        self.X = X
        self.y = y
        self.teacher = teacher
        self.student = student
        self.round = int(round)

    def __len__(self):
        return len(self.y)

    def __repr__(self):
        return (
            f"VirtualRows({len(self)} rows x {self.X.shape[1]} columns, "
            f"teacher={self.teacher!r}, student={self.student!r}, "
            f"round={self.round})"
        )

    def save(self, path):
        """Write the rows to a parquet file (pyarrow), metadata in its schema.

        Parameters
        ----------
        path : str or Path
            Where to write (conventionally ``*.parquet``).

        Returns
        -------
        path : Path
            The file written.
        """
        pa = import_optional("pyarrow", "virtual-rows files")
        pq = import_optional("pyarrow.parquet", "virtual-rows files")
        pd = import_optional("pandas", "virtual-rows files")
        if is_frame(self.X):
            frame, kind, dtype = self.X, "frame", None
            columns = describe_frame(frame)
        else:
            dtype = str(self.X.dtype)
            frame = pd.DataFrame(
                self.X, columns=[f"x{i}" for i in range(self.X.shape[1])]
            )
            kind = "ndarray"
            columns = describe_frame(frame)
        fields = _field_names([c["name"] for c in columns])
        data = {}
        for spec, field, i in zip(columns, fields, range(len(columns))):
            spec["field"] = field
            data[field] = _to_storable(frame.iloc[:, i], spec)
        y_spec = describe_column(self.y)
        y_spec["kind"] = "series" if hasattr(self.y, "reset_index") else "ndarray"
        if y_spec["kind"] == "series":
            y_spec["name"] = json_name(self.y.name) if self.y.name is not None else None
        else:
            y_spec["array_dtype"] = self.y.dtype.str
        data[LABEL_FIELD] = _to_storable(pd.Series(self.y), y_spec)
        table_frame = pd.DataFrame(data, index=pd.RangeIndex(len(self)))
        try:
            table = pa.Table.from_pandas(table_frame, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ValueError(
                "These virtual rows cannot be written to parquet: a column mixes "
                f"value types ({exc}). Give each column one type."
            ) from exc
        meta = {
            "format_version": FORMAT_VERSION,
            "teacher": self.teacher,
            "student": self.student,
            "round": self.round,
            "n_rows": len(self),
            "X": {"kind": kind, "dtype": dtype, "columns": columns},
            "y": y_spec,
        }
        # only skcoop's metadata: pandas' own is not needed to read the rows back
        table = table.replace_schema_metadata({FORMAT_KEY: json.dumps(meta).encode()})
        path = Path(path)
        pq.write_table(table, path, write_statistics=False)
        return path

    @classmethod
    def load(cls, path):
        """Read rows written by :meth:`save`, checking them against their metadata.

        Parameters
        ----------
        path : str or Path
            A parquet file written by :meth:`save`.

        Returns
        -------
        rows : VirtualRows

        Raises
        ------
        VirtualRowsFormatError
            If the file lacks skcoop's metadata, or its columns, dtypes,
            categories or row count disagree with it.
        """
        pq = import_optional("pyarrow.parquet", "virtual-rows files")
        pd = import_optional("pandas", "virtual-rows files")
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"No virtual-rows file at {str(path)!r}.")
        try:
            table = pq.read_table(path)
        except Exception as exc:
            raise VirtualRowsFormatError(
                f"{str(path)!r} is not a readable parquet file: {exc}"
            ) from exc
        raw = (table.schema.metadata or {}).get(FORMAT_KEY)
        if raw is None:
            raise VirtualRowsFormatError(
                f"{str(path)!r} has no skcoop virtual-rows metadata in its parquet "
                "schema; write it with VirtualRows.save."
            )
        try:
            meta = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise VirtualRowsFormatError(
                f"{str(path)!r}: its virtual-rows metadata is not valid JSON "
                f"({exc}); the file is damaged or was edited."
            ) from exc
        if not isinstance(meta, dict):
            raise VirtualRowsFormatError(
                f"{str(path)!r}: its virtual-rows metadata must be a JSON object. "
                f"Got {type(meta).__name__} instead; the file is damaged or was "
                "edited."
            )
        _check(meta, table, path)
        table = table.replace_schema_metadata(None)  # our schema, not pandas'
        frame = table.to_pandas()
        cols = {}
        for spec in meta["X"]["columns"]:
            cols[spec["field"]] = _from_stored(frame[spec["field"]], spec, path)
        y = _from_stored(frame[LABEL_FIELD], meta["y"], path)
        if meta["y"]["kind"] == "series":
            y = y.rename(meta["y"].get("name"))
        else:
            y = y.to_numpy(dtype=np.dtype(meta["y"]["array_dtype"]))
        names = [spec["name"] for spec in meta["X"]["columns"]]
        X = pd.DataFrame(cols, index=pd.RangeIndex(meta["n_rows"]))
        X.columns = pd.Index(names, dtype=object) if names else X.columns
        if meta["X"]["kind"] == "ndarray":
            X = X.to_numpy(dtype=np.dtype(meta["X"]["dtype"]))
            if not len(names):
                X = X.reshape(meta["n_rows"], 0)
        elif all(isinstance(n, str) for n in names):
            X.columns = pd.Index(names)
        try:
            return cls(
                X,
                y,
                teacher=meta["teacher"],
                student=meta["student"],
                round=meta["round"],
            )
        except (TypeError, ValueError) as exc:
            raise VirtualRowsFormatError(f"{str(path)!r}: {exc}") from exc


def _check_values(X, y):
    """No missing label (a file may hold any value a column can; the site that
    learns the rows refuses infinite ones, see ``silo._checks``)."""
    y_arr = np.asarray(y)
    if y_arr.dtype.kind in "fc" and not np.isfinite(y_arr).all():
        bad = np.flatnonzero(~np.isfinite(y_arr))
        raise ValueError(
            f"y holds NaN or infinity in {bad.size} of {len(y_arr)} virtual rows "
            f"(rows {bad[:5].tolist()}). Got labels that are not values instead; "
            "every virtual row needs a label."
        )
    if y_arr.dtype.kind == "O":
        missing = [i for i, v in enumerate(y_arr.tolist()) if v is None or v != v]
        if missing:
            raise ValueError(
                f"y holds missing labels in {len(missing)} virtual rows (rows "
                f"{missing[:5]}). Got labels that are not values instead; every "
                "virtual row needs a label."
            )


def _field_names(names):
    """Parquet field names: the column names when they are distinct strings."""
    if (
        all(isinstance(n, str) for n in names)
        and len(set(names)) == len(names)
        and LABEL_FIELD not in names
    ):
        return list(names)
    return [f"c{i}" for i in range(len(names))]


def _to_storable(series, spec):
    """A column as parquet stores it: categories as codes, the rest as is."""
    pd = import_optional("pandas")
    series = series.reset_index(drop=True)
    if spec["dtype"] == "category":
        return pd.Series(series.cat.codes.to_numpy(), dtype="int32")
    if spec["dtype"] == "object":
        missing = series.isna().to_numpy()
        nones = [i for i, v in enumerate(series.tolist()) if missing[i] and v is None]
        spec["none_rows"] = nones if 0 < len(nones) < missing.sum() else []
        spec["missing"] = "none" if nones and len(nones) == missing.sum() else "nan"
    return series


def _from_stored(series, spec, path):
    """Undo :func:`_to_storable` and check the dtype the metadata records."""
    pd = import_optional("pandas")
    if spec["dtype"] == "category":
        dtype = categorical_dtype(spec)
        codes = series.to_numpy()
        if codes.dtype.kind != "i" or (
            len(codes) and (codes.min() < -1 or codes.max() >= len(dtype.categories))
        ):
            raise VirtualRowsFormatError(
                f"{str(path)!r}: the codes of categorical column "
                f"{spec.get('name', 'y')!r} do not fit its "
                f"{len(dtype.categories)} recorded categories."
            )
        return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype))
    if spec["dtype"] == "object":
        out = series.to_numpy(dtype=object, copy=True)
        missing = pd.isna(out)
        out[missing] = None if spec.get("missing") == "none" else np.nan
        for i in spec.get("none_rows", []):
            out[i] = None
        return pd.Series(out, dtype=object)
    if str(series.dtype) != spec["dtype"]:
        try:
            series = series.astype(spec["dtype"])
        except (TypeError, ValueError) as exc:
            raise VirtualRowsFormatError(
                f"{str(path)!r}: column {spec.get('name', 'y')!r} holds "
                f"{series.dtype} values but its metadata records "
                f"{spec['dtype']}: {exc}"
            ) from exc
    if str(series.dtype) != spec["dtype"]:
        raise VirtualRowsFormatError(
            f"{str(path)!r}: column {spec.get('name', 'y')!r} reads back as "
            f"{series.dtype} but its metadata records {spec['dtype']}."
        )
    return series


def _check(meta, table, path):
    """Columns and row count of the table against the metadata."""
    where = f"{str(path)!r}"
    try:
        if meta["format_version"] != FORMAT_VERSION:
            raise VirtualRowsFormatError(
                f"{where} is a version {meta['format_version']} virtual-rows file; "
                f"this skcoop reads version {FORMAT_VERSION}."
            )
        fields = [c["field"] for c in meta["X"]["columns"]] + [LABEL_FIELD]
        n_rows = meta["n_rows"]
        for key in ("teacher", "student", "round", "y"):
            meta[key]
    except (KeyError, TypeError) as exc:
        raise VirtualRowsFormatError(
            f"{where}: its virtual-rows metadata lacks {exc}; the file is damaged "
            "or was not written by VirtualRows.save."
        ) from exc
    if table.column_names != fields:
        raise VirtualRowsFormatError(
            f"{where}: the file's columns {table.column_names} are not those its "
            f"metadata records ({fields}); the file is damaged or was edited."
        )
    _check_types(
        meta["X"]["columns"] + [{**meta["y"], "field": LABEL_FIELD}], table, where
    )
    if table.num_rows != n_rows:
        raise VirtualRowsFormatError(
            f"{where}: the file holds {table.num_rows} rows but its metadata "
            f"records {n_rows}."
        )


def _check_types(specs, table, where):
    """Each stored column's arrow type against the one its recorded dtype gives."""
    pa = import_optional("pyarrow")
    pd = import_optional("pandas")
    for spec in specs:
        if spec["dtype"] == "object":
            continue
        if spec["dtype"] == "category":
            expected = pa.int32()
        else:
            try:
                expected = pa.array(pd.Series([], dtype=spec["dtype"])).type
            except (TypeError, ValueError, pa.ArrowException) as exc:
                raise VirtualRowsFormatError(
                    f"{where}: column {spec.get('name', 'y')!r} records the dtype "
                    f"{spec['dtype']!r}, which cannot be read: {exc}"
                ) from exc
        actual = table.schema.field(spec["field"]).type
        if actual != expected:
            raise VirtualRowsFormatError(
                f"{where}: column {spec.get('name', 'y')!r} is stored as {actual} "
                f"but its metadata records the dtype {spec['dtype']} (stored as "
                f"{expected}); the file is damaged or was edited."
            )
