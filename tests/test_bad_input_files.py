"""Files that cross a boundary are refused at load, with their path and the fault.

Model files and their metadata (truncated, altered and re-signed, missing a
field, a field of the wrong form, of another format, not belonging
together), virtual-rows files (damaged metadata, other formats, NaN labels,
infinite values, columns and dtypes that disagree) and the ``python -m
skcoop silo`` commands (one line, non-zero exit, outputs checked first).
"""

import hashlib
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("skops")
pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

from _bad import expect  # noqa: E402
from sklearn.linear_model import Ridge  # noqa: E402
from sklearn.naive_bayes import GaussianNB  # noqa: E402

from skcoop.__main__ import main  # noqa: E402
from skcoop.silo import (  # noqa: E402
    ModelIntegrityError,
    VirtualRows,
    VirtualRowsFormatError,
    export_model,
    import_model,
    read_metadata,
)

rng = np.random.RandomState(0)
X = rng.normal(size=(40, 3))
Y = (X[:, 0] > 0).astype(int)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    export_model(GaussianNB().fit(X, Y), folder / "nb.skops", name="nb")
    export_model(Ridge().fit(X, X[:, 0]), folder / "ridge.skops", name="ridge")
    export_model(GaussianNB().fit(X[:, :2], Y + 5), folder / "other.skops", name="o")
    return folder


def _copy(exported, tmp_path, stem="nb"):
    shutil.copy(exported / f"{stem}.skops", tmp_path / "m.skops")
    shutil.copy(exported / f"{stem}.skops.json", tmp_path / "m.skops.json")
    return tmp_path / "m.skops"


def _meta(path):
    return json.loads((path.parent / (path.name + ".json")).read_text())


def _write_meta(path, meta):
    (path.parent / (path.name + ".json")).write_text(json.dumps(meta))


def _resign(path):
    meta = _meta(path)
    meta["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    _write_meta(path, meta)


# ------------------------------------------------------------- model files
def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _flip(path):
    data = bytearray(path.read_bytes())
    for i in range(40, len(data), 97):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def _csv(path):
    path.write_text("a,b\n1,2\n")


def _empty(path):
    path.write_bytes(b"")


DAMAGED = {
    "truncated-resigned": (_truncate, True, "not a readable skops file"),
    "flipped-resigned": (_flip, True, "not a readable skops file|could not be loaded"),
    "csv-resigned": (_csv, True, "not a readable skops file"),
    "empty-resigned": (_empty, True, "not a readable skops file"),
    "truncated": (_truncate, False, "has SHA-256 .* but its metadata records"),
    "flipped": (_flip, False, "has SHA-256 .* but its metadata records"),
}


@pytest.mark.parametrize("name", sorted(DAMAGED))
def test_damaged_model_file_is_refused_with_its_path(exported, tmp_path, name):
    damage, resign, match = DAMAGED[name]
    path = _copy(exported, tmp_path)
    damage(path)
    if resign:
        _resign(path)
    expect(
        lambda: import_model(path),
        ModelIntegrityError,
        rf"{str(path)!r}.*(?:{match})|(?:{match}).*",
    )


FIELDS = ["name", "task", "estimator", "serialization", "versions", "sha256", "columns"]


@pytest.mark.parametrize("field", FIELDS)
def test_metadata_missing_a_field_is_refused(exported, tmp_path, field):
    path = _copy(exported, tmp_path)
    meta = _meta(path)
    del meta[field]
    _write_meta(path, meta)
    for load in (read_metadata, import_model):
        expect(
            lambda load=load: load(path),
            ModelIntegrityError,
            rf"m\.skops\.json' lacks the field {field!r}",
        )


BAD_VALUES = {
    "name": ("", "'name' must be a non-empty str. Got ''"),
    "task": (
        "clusterer",
        "'task' must be 'classifier' or 'regressor'. Got 'clusterer'",
    ),
    "serialization": ("pickle", "'serialization' must be 'skops' or 'skorch-npz'"),
    "sha256": ("abc", "'sha256' must be a SHA-256 of 64 hex digits. Got 'abc'"),
    "versions": ([], "'versions' must be a dict of versions"),
    "estimator": (3, "'estimator' must be a type name"),
    "columns": ("all", "'columns' must be a dict or null"),
    "classes": (None, "a classifier's metadata must list its classes"),
    "classes-empty": ({"dtype": "int64", "values": []}, "must list its classes"),
    "classes-repeated": ({"dtype": "int64", "values": [0, 0]}, "repeat a label"),
    "classes-nan": ({"dtype": "float64", "values": [0.0, None]}, "NaN|'classes'"),
    "classes-shape": ({"values": [0, 1]}, "the field 'classes' must be"),
    "n_features": ("three", "'columns.n_features' must be a positive int"),
    "n_features-bool": (True, "'columns.n_features' must be a positive int"),
    "names": (["a"], "'columns.names' must list 3 column names"),
}


@pytest.mark.parametrize("key", sorted(BAD_VALUES))
def test_metadata_with_a_bad_value_is_refused(exported, tmp_path, key):
    path = _copy(exported, tmp_path)
    meta = _meta(path)
    value, match = BAD_VALUES[key]
    field = key.split("-")[0]
    if field in ("n_features", "names"):
        meta["columns"] = dict(meta["columns"] or {}, n_features=3)
        meta["columns"][field] = value
    else:
        meta[field] = value
    _write_meta(path, meta)
    expect(lambda: import_model(path), ModelIntegrityError, match)


@pytest.mark.parametrize(
    "text,match",
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not skcoop model metadata"),
        ('{"format": "other"}', "is not skcoop model metadata"),
        ('{"format": "skcoop-model", "format_version": 99}', "metadata version 99"),
        ("\xff\xfe", "is not valid JSON"),
    ],
)
def test_metadata_of_another_format_is_refused(exported, tmp_path, text, match):
    path = _copy(exported, tmp_path)
    (tmp_path / "m.skops.json").write_text(text, encoding="latin-1")
    expect(lambda: import_model(path), ValueError, match)


def test_missing_metadata_and_model_file(exported, tmp_path):
    path = _copy(exported, tmp_path)
    (tmp_path / "m.skops.json").unlink()
    expect(lambda: import_model(path), FileNotFoundError, "No metadata file")
    expect(
        lambda: import_model(tmp_path / "none.skops"), FileNotFoundError, "none.skops"
    )


@pytest.mark.parametrize(
    "other,match",
    [
        ("ridge", "holds a Ridge, not a classifier"),
        ("other", r"classes \[5, 6\], but its metadata records \[0, 1\]"),
    ],
)
def test_model_and_metadata_that_do_not_belong_together(
    exported, tmp_path, other, match
):
    path = _copy(exported, tmp_path)
    shutil.copy(exported / f"{other}.skops", path)
    _resign(path)
    expect(lambda: import_model(path), ModelIntegrityError, match)


def test_model_of_another_width_than_its_metadata(exported, tmp_path):
    path = _copy(exported, tmp_path)
    meta = _meta(path)
    meta["columns"]["n_features"] = 5
    meta["columns"]["names"] = None
    _write_meta(path, meta)
    expect(
        lambda: import_model(path),
        ModelIntegrityError,
        "holds a model of 3 input columns, but its metadata records 5",
    )


# -------------------------------------------------------- virtual-row files
def _rows(X_rows=None, y=None):
    X_rows = X[:5] if X_rows is None else X_rows
    y = Y[:5] if y is None else y
    return VirtualRows(X_rows, y, teacher="a", student="b")


BAD_ROWS = {
    "y-nan": (lambda: (X[:3], np.array([0.0, np.nan, 1.0])), "y holds NaN or infinity"),
    "y-none": (
        lambda: (X[:3], np.array([0, None, 1], dtype=object)),
        "y holds missing labels",
    ),
    "y-short": (lambda: (X[:3], Y[:2]), "one label per row of X"),
    "X-1d": (lambda: (X[0], Y[:3]), "X must be 2-D"),
}


@pytest.mark.parametrize("key", sorted(BAD_ROWS))
def test_virtual_rows_refuse_bad_values(key):
    make, match = BAD_ROWS[key]
    X_rows, y = make()
    expect(
        lambda: VirtualRows(X_rows, y, teacher="a", student="b"),
        ValueError,
        match,
        X_rows,
        y,
    )


@pytest.mark.parametrize(
    "teacher,student,round_,match",
    [
        ("", "b", 0, "teacher must be a non-empty site name"),
        ("a", 3, 0, "student must be a non-empty site name"),
        ("a", "b", -1, "round must be a non-negative integer"),
        ("a", "b", True, "round must be a non-negative integer"),
        ("a", "b", 1.5, "round must be a non-negative integer"),
    ],
)
def test_virtual_rows_refuse_bad_names_and_rounds(teacher, student, round_, match):
    expect(
        lambda: VirtualRows(
            X[:2], Y[:2], teacher=teacher, student=student, round=round_
        ),
        (TypeError, ValueError),
        match,
    )


def _edit_meta(path, change):
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    raw = table.schema.metadata[b"skcoop.virtual_rows"]
    new = change(json.loads(raw))
    new = new if isinstance(new, bytes) else json.dumps(new).encode()
    pq.write_table(table.replace_schema_metadata({b"skcoop.virtual_rows": new}), path)


def _set(key, value):
    def change(meta):
        meta[key] = value
        return meta

    return change


def _drop(key):
    def change(meta):
        del meta[key]
        return meta

    return change


BAD_FILES = {
    "metadata-not-json": (lambda m: b"{oops", "metadata is not valid JSON"),
    "metadata-a-list": (lambda m: [1], "metadata must be a JSON object"),
    "lacks-teacher": (_drop("teacher"), "lacks 'teacher'"),
    "lacks-n_rows": (_drop("n_rows"), "lacks 'n_rows'"),
    "lacks-X": (_drop("X"), "lacks 'X'"),
    "version": (_set("format_version", 7), "version 7 virtual-rows file"),
    "n_rows": (_set("n_rows", 9), "holds 5 rows but its metadata records 9"),
    "teacher-empty": (_set("teacher", ""), "teacher must be a non-empty site name"),
    "round-negative": (_set("round", -2), "round must be a non-negative integer"),
    "label-dtype": (
        lambda m: dict(m, y=dict(m["y"], dtype="float32")),
        "stored as int64 but its metadata records the dtype float32",
    ),
    "column-renamed": (
        lambda m: dict(
            m, X=dict(m["X"], columns=[dict(m["X"]["columns"][0], field="zz")])
        ),
        "the file's columns .* are not those its metadata records",
    ),
    "unknown-dtype": (
        lambda m: dict(m, y=dict(m["y"], dtype="quaternion")),
        "records the dtype 'quaternion', which cannot be read",
    ),
}


@pytest.mark.parametrize("key", sorted(BAD_FILES))
def test_virtual_rows_file_refused_at_load(tmp_path, key):
    path = _rows().save(tmp_path / "v.parquet")
    change, match = BAD_FILES[key]
    _edit_meta(path, change)
    expect(
        lambda: VirtualRows.load(path), VirtualRowsFormatError, f"v.parquet.*{match}"
    )


@pytest.mark.parametrize(
    "content,match",
    [
        (b"", "not a readable parquet file"),
        (b"a,b\n1,2\n", "not a readable parquet file"),
        (b"PAR1" + b"\0" * 20, "not a readable parquet file"),
    ],
)
def test_virtual_rows_file_of_another_format(tmp_path, content, match):
    path = tmp_path / "v.parquet"
    path.write_bytes(content)
    expect(lambda: VirtualRows.load(path), VirtualRowsFormatError, match)


def test_plain_parquet_without_skcoop_metadata(tmp_path):
    pd.DataFrame({"a": [1.0]}).to_parquet(tmp_path / "v.parquet")
    expect(
        lambda: VirtualRows.load(tmp_path / "v.parquet"),
        VirtualRowsFormatError,
        "has no skcoop virtual-rows metadata",
    )


def test_truncated_virtual_rows_file(tmp_path):
    path = _rows().save(tmp_path / "v.parquet")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    expect(lambda: VirtualRows.load(path), VirtualRowsFormatError, "v.parquet")


def test_missing_virtual_rows_file(tmp_path):
    expect(
        lambda: VirtualRows.load(tmp_path / "none.parquet"),
        FileNotFoundError,
        "none.parquet",
    )


# -------------------------------------------------------------------- CLI
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(target=Y)
    frame.to_csv(folder / "a.csv", index=False)
    frame.to_csv(folder / "b.csv", index=False)
    for name in "ab":
        assert (
            _silo(
                "export",
                "--data",
                folder / f"{name}.csv",
                "--target",
                "target",
                "--model",
                folder / f"{name}.skops",
                "--name",
                name,
                "--estimator",
                "naive_bayes",
            )
            == 0
        )
    (folder / "out").mkdir()
    _silo(
        "teach",
        "--data",
        folder / "a.csv",
        "--target",
        "target",
        "--model",
        folder / "a.skops",
        "--peers",
        folder / "b.skops",
        "--out",
        folder / "out",
        "--seed",
        "0",
    )
    return folder


def _silo(*argv):
    return main(["silo", *map(str, argv)])


def _cli_cases(f):
    """``python -m skcoop silo`` argument lists that must fail, by name."""
    teach = [
        "teach",
        "--data",
        f / "a.csv",
        "--target",
        "target",
        "--model",
        f / "a.skops",
        "--peers",
        f / "b.skops",
        "--out",
        f / "new",
    ]
    learn = [
        "learn",
        "--data",
        f / "b.csv",
        "--target",
        "target",
        "--model",
        f / "b.skops",
        "--received",
        f / "out",
        "--out",
        f / "b2.skops",
    ]
    export = [
        "export",
        "--data",
        f / "a.csv",
        "--target",
        "target",
        "--model",
        f / "x.skops",
        "--name",
        "x",
    ]

    def swap(args, option, value):
        args = list(args)
        args[args.index(option) + 1] = value
        return args

    return {
        "teach-out-is-a-file": (
            swap(teach, "--out", f / "a.csv"),
            "--out must be a folder .* which is an existing file",
        ),
        "teach-round-negative": (
            teach + ["--round", "-1"],
            "--round must be 0 or more",
        ),
        "teach-alpha": (
            teach + ["--alpha", "2"],
            r"--alpha must be a float in the range \[0.0, 1.0\].* Got 2.0",
        ),
        "teach-missing-data": (swap(teach, "--data", f / "no.csv"), "No data file"),
        "teach-data-extension": (
            swap(teach, "--data", f / "a.skops"),
            "Data files must be CSV",
        ),
        "teach-target": (swap(teach, "--target", "targt"), "Did you mean 'target'"),
        "teach-missing-model": (
            swap(teach, "--model", f / "no.skops"),
            "No site's model file",
        ),
        "teach-missing-peer": (swap(teach, "--peers", f / "no.skops"), "No peer model"),
        "teach-peer-is-self": (swap(teach, "--peers", f / "a.skops"), "own name"),
        "teach-sites": (
            teach + ["--shared-seed", "0", "--sites", "a"],
            "--sites must list every site once",
        ),
        "teach-received-missing": (
            teach + ["--received", f / "nothing"],
            "No virtual-rows file or folder",
        ),
        "learn-out-is-a-folder": (
            swap(learn, "--out", f / "out"),
            "--out must be a model file to write. Got .* which is a folder",
        ),
        "learn-out-folder-missing": (
            swap(learn, "--out", f / "no" / "b.skops"),
            "its folder .* does not exist",
        ),
        "learn-received-for-another-site": (
            swap(swap(learn, "--model", f / "a.skops"), "--data", f / "a.csv"),
            "holds virtual rows for site 'b', but this site is 'a'",
        ),
        "learn-virtual-weight": (
            learn + ["--virtual-weight", "0"],
            "'virtual_weight' parameter",
        ),
        "learn-holdout-missing": (
            learn + ["--holdout", f / "no.csv"],
            "No data file",
        ),
        "export-model-is-a-folder": (
            swap(export, "--model", f / "out"),
            "--model must be a model file to write",
        ),
        "export-estimator": (
            export + ["--estimator", "forrest"],
            "Did you mean 'forest'",
        ),
        "export-factory": (
            export + ["--estimator", "nomodule:make"],
            "Cannot import the factory",
        ),
        "export-fitted-missing": (
            export + ["--fitted", f / "no.skops"],
            "No skops file",
        ),
        "export-name-empty": (swap(export, "--name", ""), "name must be a non-empty"),
    }


CLI_NAMES = sorted(_cli_cases(Path(".")))


@pytest.mark.parametrize("name", CLI_NAMES)
def test_cli_user_error_is_one_line(site, capsys, name):
    argv, match = _cli_cases(site)[name]
    assert _silo(*argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    assert "Traceback" not in err
    assert re.search(match, err), err


def test_cli_option_outside_its_choices_is_argparse_usage(site, capsys):
    argv = [
        "teach",
        "--data",
        site / "a.csv",
        "--target",
        "target",
        "--model",
        site / "a.skops",
        "--peers",
        site / "b.skops",
        "--out",
        site / "o",
        "--counterfactual",
        "magic",
    ]
    with pytest.raises(SystemExit) as info:
        _silo(*argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'magic'" in err and "Traceback" not in err


@pytest.mark.parametrize("damage", [_truncate, _flip, _csv])
def test_cli_damaged_model_file_is_one_line(site, tmp_path, capsys, damage):
    shutil.copy(site / "b.skops", tmp_path / "b.skops")
    shutil.copy(site / "b.skops.json", tmp_path / "b.skops.json")
    damage(tmp_path / "b.skops")
    _resign(tmp_path / "b.skops")
    argv = [
        "teach",
        "--data",
        site / "a.csv",
        "--target",
        "target",
        "--model",
        site / "a.skops",
        "--peers",
        tmp_path / "b.skops",
        "--out",
        tmp_path / "o",
    ]
    assert _silo(*argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "b.skops" in err


@pytest.mark.parametrize(
    "content,match",
    [
        ("", "not a readable csv file"),
        ("a,target\n", "holds no rows"),
        ('"unclosed\n1,2', "not a readable csv file|target"),
    ],
)
def test_cli_unreadable_data_file_is_one_line(site, tmp_path, capsys, content, match):
    (tmp_path / "d.csv").write_text(content)
    argv = [
        "export",
        "--data",
        tmp_path / "d.csv",
        "--target",
        "target",
        "--model",
        tmp_path / "m.skops",
        "--name",
        "m",
    ]
    assert _silo(*argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
    assert re.search(match, err), err


def test_cli_teach_out_checked_before_the_teaching(site, capsys, monkeypatch):
    import skcoop.silo

    def never(*args, **kwargs):
        raise AssertionError("teach ran")

    monkeypatch.setattr(skcoop.silo, "teach", never)
    argv = [
        "teach",
        "--data",
        site / "a.csv",
        "--target",
        "target",
        "--model",
        site / "a.skops",
        "--peers",
        site / "b.skops",
        "--out",
        site / "a.csv",
    ]
    assert _silo(*argv) == 1
    assert "existing file" in capsys.readouterr().err
