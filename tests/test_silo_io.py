"""skcoop.silo files: model files with metadata and trust, virtual-rows files."""

import json
import pickle
import sys

import numpy as np
import pytest

pytest.importorskip("skops")
pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.compose import make_column_transformer  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

import skcoop  # noqa: E402
from skcoop.silo import (  # noqa: E402
    ModelIntegrityError,
    PeerMismatchError,
    UntrustedModelError,
    VirtualRows,
    VirtualRowsFormatError,
    check_peer,
    export_model,
    import_model,
    read_metadata,
)


class ThresholdClassifier(ClassifierMixin, BaseEstimator):
    """A custom learner: class 1 where the first column exceeds a threshold."""

    def __init__(self, threshold=0.0):
        self.threshold = threshold

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X):
        return self.classes_[(np.asarray(X)[:, 0] > self.threshold).astype(int)]


CUSTOM = f"{ThresholdClassifier.__module__}.ThresholdClassifier"


@pytest.fixture
def no_pickle(monkeypatch):
    """Any unpickling during the test fails it."""

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")

    for name in ("load", "loads"):
        monkeypatch.setattr(pickle, name, refuse)
    torch = sys.modules.get("torch")
    if torch is not None:
        monkeypatch.setattr(torch, "load", refuse)


def _frame(n=40, seed=0):
    rng = np.random.RandomState(seed)
    X = pd.DataFrame(
        {
            "age": rng.randint(20, 70, n),
            "income": rng.normal(50, 10, n),
            "city": pd.Categorical(rng.choice(["paris", "lyon", "nice"], n)),
            "owner": rng.rand(n) > 0.5,
        }
    )
    y = np.where(X["income"] > 50, "yes", "no")
    return X, y


def _mixed_member():
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["city"]),
        (StandardScaler(), ["age", "income"]),
        ("passthrough", ["owner"]),
    )
    return make_pipeline(encode, LogisticRegression())


# -- model files ---------------------------------------------------------------


def test_model_round_trip_and_metadata(tmp_path, no_pickle):
    X, y = _frame()
    model = _mixed_member().fit(X, y)
    model_path, meta_path = export_model(model, tmp_path / "a.skops", name="a", X=X)
    assert meta_path == tmp_path / "a.skops.json"
    meta = json.loads(meta_path.read_text())
    assert meta == read_metadata(model_path) == read_metadata(meta_path)
    assert meta["name"] == "a" and meta["task"] == "classifier"
    assert meta["classes"] == {"dtype": "<U3", "values": ["no", "yes"]}
    cols = meta["columns"]
    assert cols["names"] == ["age", "income", "city", "owner"]
    assert cols["n_features"] == 4
    assert [d["dtype"] for d in cols["dtypes"]] == [
        "int64",
        "float64",
        "category",
        "bool",
    ]
    assert cols["dtypes"][2]["categories"] == ["lyon", "nice", "paris"]
    assert meta["versions"]["skcoop"] == skcoop.__version__
    import hashlib

    assert meta["sha256"] == hashlib.sha256(model_path.read_bytes()).hexdigest()
    loaded = import_model(model_path)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_allclose(loaded.predict_proba(X), model.predict_proba(X))


def test_regressor_metadata_has_no_classes(tmp_path):
    X, y = load_iris(return_X_y=True)
    model = Ridge().fit(X, y.astype(float))
    export_model(model, tmp_path / "r.skops", name="r")
    meta = read_metadata(tmp_path / "r.skops")
    assert meta["task"] == "regressor" and meta["classes"] is None
    assert meta["columns"] == {
        "names": None,
        "n_features": 4,
        "dtypes": None,
        "dtype": None,
    }


def test_forest_types_are_trusted_by_default(tmp_path):
    X, y = load_iris(return_X_y=True)
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    export_model(model, tmp_path / "f.skops", name="f", X=X)
    assert read_metadata(tmp_path / "f.skops")["columns"]["dtype"] == "float64"
    loaded = import_model(tmp_path / "f.skops")
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_models_that_keep_rows_are_flagged(tmp_path):
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    X, y = load_iris(return_X_y=True)
    knn = make_pipeline(StandardScaler(), KNeighborsClassifier()).fit(X, y)
    with pytest.warns(UserWarning, match=r"KNeighborsClassifier._fit_X: 150 rows"):
        export_model(knn, tmp_path / "k.skops", name="k")
    assert read_metadata(tmp_path / "k.skops")["stored_rows"] == 150
    svc = SVC().fit(X, y)
    with pytest.warns(UserWarning, match=r"SVC.support_vectors_: \d+ rows"):
        export_model(svc, tmp_path / "s.skops", name="s")
    import warnings

    logreg = LogisticRegression(max_iter=1000).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        export_model(logreg, tmp_path / "l.skops", name="l")
    assert read_metadata(tmp_path / "l.skops")["stored_rows"] == 0


def test_changed_byte_is_refused(tmp_path):
    X, y = load_iris(return_X_y=True)
    path, _ = export_model(
        LogisticRegression().fit(X, y), tmp_path / "a.skops", name="a"
    )
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="SHA-256 .* changed after"):
        import_model(path)


def test_missing_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="No model file"):
        import_model(tmp_path / "nope.skops")
    X, y = load_iris(return_X_y=True)
    path, meta = export_model(
        LogisticRegression().fit(X, y), tmp_path / "a.skops", name="a"
    )
    meta.unlink()
    with pytest.raises(FileNotFoundError, match="a.skops.json"):
        import_model(path)


def test_custom_class_is_refused_naming_it_and_loads_when_trusted(tmp_path, no_pickle):
    X, y = load_iris(return_X_y=True)
    model = ThresholdClassifier(threshold=5.5).fit(X, y)
    path, _ = export_model(model, tmp_path / "c.skops", name="c")
    with pytest.raises(UntrustedModelError) as info:
        import_model(path)
    message = str(info.value)
    assert repr(CUSTOM) in message and f"trusted=[{CUSTOM!r}]" in message
    loaded = import_model(path, trusted=[CUSTOM])
    assert isinstance(loaded, ThresholdClassifier) and loaded.threshold == 5.5
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


@pytest.mark.parametrize(
    "name, trusted",
    [
        ("numpy.ndarray", True),
        ("sklearn.tree._tree.Tree", True),
        ("sklearn.utils.validation.check_array", True),
        ("numpy.log1p", True),
        ("torch.nn.modules.linear.Linear", True),
        ("numpyx.ndarray", False),  # a look-alike package
        ("sklearn_evil.Model", False),
        ("sklearn", False),
        ("os.system", False),
        ("builtins.eval", False),
        ("numpy.load", False),  # a function that unpickles
        ("numpy.lib.format.read_array", False),
        ("torch.load", False),
        ("sklearn.NoSuchThing", False),
    ],
)
def test_which_names_are_trusted_by_default(name, trusted):
    from skcoop.silo._trust import is_default_trusted

    if name.startswith("torch"):
        pytest.importorskip("torch")
    assert is_default_trusted(name) is trusted


def test_trusted_must_be_names(tmp_path):
    X, y = load_iris(return_X_y=True)
    path, _ = export_model(
        ThresholdClassifier().fit(X, y), tmp_path / "c.skops", name="c"
    )
    with pytest.raises(TypeError, match="list of type names"):
        import_model(path, trusted=[ThresholdClassifier])


def test_export_refuses_unfitted_and_non_predictors(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        export_model(LogisticRegression(), tmp_path / "a.skops", name="a")
    with pytest.raises(ValueError, match="classifier or regressor"):
        export_model(StandardScaler().fit(np.eye(3)), tmp_path / "s.skops", name="s")


# -- peers -----------------------------------------------------------------------


def test_check_peer_refuses_misfits_naming_the_peer():
    X, y = _frame()
    peer = _mixed_member().fit(X, y)
    cols = list(X.columns)
    assert check_peer(peer, name="b", classes=["no", "yes"], columns=cols) is peer
    check_peer(peer, name="b", classes=["maybe", "no", "yes"], columns=["age", "x"])
    with pytest.raises(PeerMismatchError, match=r"Peer 'b' .* \['maybe'\]"):
        check_peer(peer.fit(X, np.where(y == "no", "maybe", y)), name="b", classes=y)
    with pytest.raises(PeerMismatchError, match="Peer 'b' .*numbers"):
        check_peer(peer, name="b", classes=[0, 1])
    with pytest.raises(PeerMismatchError, match="Peer 'b' shares no input column"):
        check_peer(peer, name="b", columns=["height", "weight"])
    with pytest.raises(PeerMismatchError, match="Peer 'b' sent a classifier"):
        check_peer(peer, name="b", task="regressor")
    arrays = LogisticRegression().fit(np.eye(3), [0, 1, 1])
    with pytest.raises(PeerMismatchError, match="Peer 'c' was fitted on 3 columns"):
        check_peer(arrays, name="c", n_features=4)
    with pytest.raises(PeerMismatchError, match="Peer 'c' was fitted on unnamed"):
        check_peer(arrays, name="c", columns=["a", "b", "c"])
    check_peer(arrays, name="c", n_features=3, classes=[0, 1, 2])


# -- virtual rows ---------------------------------------------------------------


def test_virtual_rows_round_trip_arrays(tmp_path, no_pickle):
    rng = np.random.RandomState(0)
    X = rng.rand(7, 3).astype(np.float32)
    X[2, 1] = np.nan
    for y in (np.arange(7), np.array(list("abcabca")), rng.rand(7)):
        rows = VirtualRows(X, y, teacher="a", student="b", round=3)
        back = VirtualRows.load(rows.save(tmp_path / "v.parquet"))
        assert (back.teacher, back.student, back.round, len(back)) == ("a", "b", 3, 7)
        assert back.X.dtype == np.float32 and back.y.dtype == y.dtype
        np.testing.assert_array_equal(back.X, X)
        np.testing.assert_array_equal(back.y, y)


def test_virtual_rows_hold_no_row_index(tmp_path):
    X, y = _frame(5)
    X.index = [10, 3, 7, 1, 99]
    rows = VirtualRows(X, pd.Series(y, index=X.index), teacher="a", student="b")
    assert isinstance(rows.X.index, pd.RangeIndex)
    assert isinstance(rows.y.index, pd.RangeIndex)
    assert X.index.tolist() == [10, 3, 7, 1, 99]  # the caller's frame is untouched
    rows.save(tmp_path / "v.parquet")
    import pyarrow.parquet as pq

    table = pq.read_table(tmp_path / "v.parquet")
    assert table.column_names == ["age", "income", "city", "owner", "__skcoop_label__"]
    assert not any("index" in name for name in table.column_names)


def test_empty_virtual_rows_round_trip(tmp_path):
    X, _ = _frame(4)
    rows = VirtualRows(X.iloc[:0], np.array([], dtype="<U3"), teacher="a", student="b")
    back = VirtualRows.load(rows.save(tmp_path / "v.parquet"))
    assert len(back) == 0
    pd.testing.assert_frame_equal(back.X, rows.X)
    assert back.y.dtype == np.dtype("<U3")


def test_virtual_rows_validate_their_fields():
    with pytest.raises(ValueError, match="one label per row"):
        VirtualRows(np.zeros((3, 2)), [0, 1], teacher="a", student="b")
    with pytest.raises(TypeError, match="teacher must be"):
        VirtualRows(np.zeros((1, 2)), [0], teacher="", student="b")
    with pytest.raises(ValueError, match="round must be"):
        VirtualRows(np.zeros((1, 2)), [0], teacher="a", student="b", round=-1)
    with pytest.raises(ValueError, match="must be 2-D"):
        VirtualRows(np.zeros(3), [0, 1, 2], teacher="a", student="b")


def _rewrite(path, edit):
    """Rewrite a parquet file with its metadata JSON changed by ``edit``."""
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = dict(table.schema.metadata)
    spec = json.loads(meta[b"skcoop.virtual_rows"])
    edit(spec)
    meta[b"skcoop.virtual_rows"] = json.dumps(spec).encode()
    pq.write_table(table.replace_schema_metadata(meta), path)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda m: m["X"]["columns"].pop(), "columns .* are not those"),
        (lambda m: m.update(n_rows=9), "holds 6 rows but its metadata records 9"),
        (lambda m: m["X"]["columns"][0].update(dtype="bool"), "stored as double"),
        (
            lambda m: m["X"]["columns"][2].update(categories=["x"]),
            "codes .* do not fit",
        ),
        (lambda m: m.pop("teacher"), "lacks 'teacher'"),
    ],
)
def test_inconsistent_file_is_refused(tmp_path, edit, match):
    X, y = _frame(6)
    X["age"] = X["age"].astype(float) + 0.5
    path = VirtualRows(X, y, teacher="a", student="b").save(tmp_path / "v.parquet")
    _rewrite(path, edit)
    with pytest.raises(VirtualRowsFormatError, match=match):
        VirtualRows.load(path)


def test_plain_parquet_is_refused(tmp_path):
    _frame(3)[0].to_parquet(tmp_path / "p.parquet")
    with pytest.raises(VirtualRowsFormatError, match="no skcoop virtual-rows metadata"):
        VirtualRows.load(tmp_path / "p.parquet")


_DTYPES = {
    "int64": st.integers(-(2**40), 2**40),
    "int8": st.integers(-128, 127),
    "float64": st.one_of(st.floats(allow_nan=False, width=64), st.just(np.nan)),
    "float32": st.one_of(st.floats(allow_nan=False, width=32), st.just(np.nan)),
    "bool": st.booleans(),
    "object": st.one_of(st.text(max_size=5), st.none()),
    "str": st.one_of(st.text(max_size=5), st.just(np.nan)),
    "Int64": st.one_of(st.integers(-1000, 1000), st.none()),
    "boolean": st.one_of(st.booleans(), st.none()),
    "string": st.one_of(st.text(max_size=5), st.none()),
    "category": st.one_of(st.sampled_from(["lo", "mid", "hi"]), st.none()),
    "category_int": st.one_of(st.sampled_from([3, 1, 2]), st.none()),
}


def _column(kind, values, ordered):
    if kind == "category":
        return pd.Categorical(
            values, categories=["hi", "lo", "mid", "unused"], ordered=ordered
        )
    if kind == "category_int":
        return pd.Categorical(values, categories=[3, 1, 2], ordered=ordered)
    return (
        pd.array(values, dtype=kind)
        if kind != "object"
        else np.array(values, dtype=object)
    )


@st.composite
def _mixed_frames(draw):
    kinds = draw(st.lists(st.sampled_from(sorted(_DTYPES)), min_size=1, max_size=6))
    n = draw(st.integers(0, 6))
    data = {}
    for i, kind in enumerate(kinds):
        values = draw(st.lists(_DTYPES[kind], min_size=n, max_size=n))
        data[f"{kind}_{i}"] = _column(kind, values, draw(st.booleans()))
    X = pd.DataFrame(data)
    label = draw(st.sampled_from(["int", "float", "str", "category"]))
    y = {
        "int": np.arange(n) % 3,
        "float": np.linspace(-1, 1, n),
        "str": np.array(["b", "a", "c"] * 2)[:n],
        "category": pd.Series(pd.Categorical(["b", "a"] * 3)[:n]),
    }[label]
    return X, y


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mixed_frames())
def test_mixed_frames_round_trip_exactly(tmp_path_factory, frame_and_labels):
    X, y = frame_and_labels
    path = tmp_path_factory.mktemp("rows") / "v.parquet"
    rows = VirtualRows(X, y, teacher="a", student="b", round=1)
    back = VirtualRows.load(rows.save(path))
    pd.testing.assert_frame_equal(back.X, rows.X, check_exact=True)
    for name in X.columns:
        original, loaded = X[name].tolist(), back.X[name].tolist()
        assert [type(v) for v in loaded] == [type(v) for v in original], name
        if isinstance(X[name].dtype, pd.CategoricalDtype):
            assert back.X[name].dtype == X[name].dtype  # categories and order
    if isinstance(y, pd.Series):
        pd.testing.assert_series_equal(back.y, rows.y)
    else:
        assert back.y.dtype == y.dtype
        np.testing.assert_array_equal(back.y, y)


def test_integer_column_names_round_trip(tmp_path):
    X = pd.DataFrame(np.arange(6.0).reshape(3, 2))
    back = VirtualRows.load(
        VirtualRows(X, [0, 1, 0], teacher="a", student="b").save(tmp_path / "v.parquet")
    )
    assert back.X.columns.tolist() == [0, 1]
    pd.testing.assert_frame_equal(back.X, X, check_column_type=False)


def test_mixed_value_column_cannot_be_saved(tmp_path):
    X = pd.DataFrame({"a": np.array([1, "x"], dtype=object)})
    with pytest.raises(ValueError, match="mixes value types"):
        VirtualRows(X, [0, 1], teacher="a", student="b").save(tmp_path / "v.parquet")


def test_load_uses_no_pickle(tmp_path, no_pickle):
    X, y = _frame(5)
    path = VirtualRows(X, y, teacher="a", student="b").save(tmp_path / "v.parquet")
    back = VirtualRows.load(path)
    pd.testing.assert_frame_equal(back.X, X)


# -- skorch nets: weights as npz, parameters as JSON -------------------------------


def _skorch_net():
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")
    from torch import nn

    global _MLP

    class _MLP(nn.Module):
        def __init__(self, n_in=4, n_hidden=8, n_out=3):
            super().__init__()
            self.net = nn.Sequential(
                nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_out)
            )

        def forward(self, X):
            return self.net(X)

    _MLP.__qualname__ = "_MLP"
    torch.manual_seed(0)
    return skorch.NeuralNetClassifier(
        _MLP,
        module__n_hidden=8,
        criterion=nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        max_epochs=5,
        train_split=skorch.dataset.ValidSplit(3, stratified=True),
        callbacks=[skorch.callbacks.EarlyStopping(patience=3)],
        verbose=0,
    )


@pytest.mark.torch
def test_skorch_net_round_trip_without_pickle(tmp_path, no_pickle):
    net = _skorch_net()
    X, y = load_iris(return_X_y=True)
    X = X.astype(np.float32)
    net.fit(X, y)
    path, _ = export_model(net, tmp_path / "net.skops", name="net", X=X)
    meta = read_metadata(path)
    assert meta["serialization"] == "skorch-npz"
    assert meta["classes"]["values"] == [0, 1, 2]
    assert np.load(path, allow_pickle=False).files[0].startswith("module.")
    name = f"{__name__}._MLP"
    with pytest.raises(UntrustedModelError, match=repr(name)):
        import_model(path)
    loaded = import_model(path, trusted=[name])
    np.testing.assert_allclose(loaded.predict_proba(X), net.predict_proba(X), atol=1e-6)
    np.testing.assert_array_equal(loaded.predict(X), net.predict(X))
    assert loaded.get_params()["module__n_hidden"] == 8
    assert loaded.get_params()["train_split"].stratified is True
    assert loaded.get_params()["callbacks"][0].patience == 3


@pytest.mark.torch
def test_skorch_net_with_module_instance_is_refused_clearly(tmp_path):
    skorch = pytest.importorskip("skorch")
    from torch import nn

    net = skorch.NeuralNetClassifier(
        nn.Sequential(nn.Linear(4, 3)),
        criterion=nn.CrossEntropyLoss,
        max_epochs=1,
        train_split=None,
        verbose=0,
    )
    X, y = load_iris(return_X_y=True)
    net.fit(X.astype(np.float32), y)
    with pytest.raises(ValueError, match="module as a class"):
        export_model(net, tmp_path / "net.skops", name="net")
