"""Tests for skcoop.partition: exact small cases, properties and errors."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from skcoop.partition import (
    ClassExclusionPartitioner,
    DirichletPartitioner,
    FeatureViewPartitioner,
    IIDPartitioner,
    QuantitySkewPartitioner,
)

PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def _label_skew(site, y):
    """Mean total-variation distance of each site's label distribution from
    the global one."""
    classes, code = np.unique(y, return_inverse=True)
    overall = np.bincount(code, minlength=len(classes)) / len(code)
    distances = []
    for k in np.unique(site):
        local = np.bincount(code[site == k], minlength=len(classes))
        distances.append(0.5 * np.abs(local / local.sum() - overall).sum())
    return float(np.mean(distances))


def _all_partitioners(n_sites, random_state):
    """One of each, set up to work on any y with at least n_sites classes'
    worth of rows."""
    return [
        IIDPartitioner(n_sites, random_state=random_state),
        DirichletPartitioner(
            n_sites, alpha=1.0, min_partition_size=1, random_state=random_state
        ),
        ClassExclusionPartitioner(n_sites, exclude={}, random_state=random_state),
        QuantitySkewPartitioner(
            n_sites, alpha=1.0, min_partition_size=1, random_state=random_state
        ),
    ]


# --------------------------------------------------------------------------
# exact small cases


def test_iid_sizes_differ_by_at_most_one():
    site = IIDPartitioner(3, random_state=0).split(np.zeros((10, 2)))
    assert site.dtype.kind == "i"
    assert np.bincount(site).tolist() == [4, 3, 3]


def test_iid_single_site_takes_every_row():
    site = IIDPartitioner(1, random_state=0).split(np.zeros((5, 1)))
    assert site.tolist() == [0] * 5


def test_dirichlet_huge_alpha_cuts_each_class_evenly_in_order():
    # alpha -> inf: proportions (1/3, 1/3, 1/3); 7 rows of a class are cut at
    # floor(7/3)=2 and floor(14/3)=4, so sizes 2, 2, 3, rows kept in order.
    y = np.repeat(["a", "b"], 7)
    part = DirichletPartitioner(
        3, alpha=1e9, min_partition_size=1, shuffle=False, random_state=0
    )
    site = part.split(np.zeros((14, 1)), y)
    assert site.tolist() == [0, 0, 1, 1, 2, 2, 2] * 2


def test_dirichlet_per_site_alpha_and_self_balancing():
    # alpha (9e8, 1e8): proportions (0.9, 0.1) almost surely. Class 0 (80
    # rows) gives 72 / 8; the average size is 50, so with self-balancing site
    # 0 (above it) gets none of class 1, without it gets floor(0.9*20) = 18.
    y = np.r_[np.zeros(80, int), np.ones(20, int)]
    X = np.zeros((100, 1))
    common = dict(alpha=[9e8, 1e8], min_partition_size=1, random_state=0)
    plain = DirichletPartitioner(2, **common).split(X, y)
    balanced = DirichletPartitioner(2, self_balancing=True, **common).split(X, y)
    assert np.bincount(plain).tolist() == [90, 10]
    assert np.bincount(balanced).tolist() == [72, 28]
    assert np.bincount(balanced[y == 1], minlength=2).tolist() == [0, 20]


def test_class_exclusion_default_site_k_lacks_class_k():
    y = np.repeat([0, 1, 2], 4)
    site = ClassExclusionPartitioner(3, random_state=0).split(y[:, None], y)
    held = [sorted(set(y[site == k].tolist())) for k in range(3)]
    assert held == [[1, 2], [0, 2], [0, 1]]
    # each class is split evenly over the two sites allowed to hold it
    for c in range(3):
        assert sorted(np.bincount(site[y == c], minlength=3).tolist()) == [0, 2, 2]


def test_class_exclusion_dict_list_and_string_labels():
    y = np.array(["cat", "dog", "eel"] * 6)
    X = np.zeros((18, 1))
    by_dict = ClassExclusionPartitioner(
        2, exclude={0: ["cat", "dog"]}, random_state=0
    ).split(X, y)
    assert set(y[by_dict == 0]) == {"eel"}
    assert set(y[by_dict == 1]) == {"cat", "dog", "eel"}
    # cat and dog go to site 1 only; eel is split 3 / 3
    assert np.sum(by_dict == 1) == 15
    by_list = ClassExclusionPartitioner(
        2, exclude=["cat", []], random_state=0
    ).split(X, y)
    assert "cat" not in set(y[by_list == 0])


def test_quantity_skew_explicit_sizes_are_exact():
    part = QuantitySkewPartitioner(3, sizes=[5, 3, 2], random_state=0)
    assert np.bincount(part.split(np.zeros((100, 1)))).tolist() == [50, 30, 20]
    # largest remainder: 10 * (1/3, 1/3, 1/3) -> 4, 3, 3
    part = QuantitySkewPartitioner(
        3, sizes=[1, 1, 1], min_partition_size=1, random_state=0
    )
    assert np.bincount(part.split(np.zeros((10, 1)))).tolist() == [4, 3, 3]


def test_quantity_skew_dirichlet_sizes_keep_the_floor():
    part = QuantitySkewPartitioner(
        6, alpha=0.05, min_partition_size=7, random_state=3
    )
    counts = np.bincount(part.split(np.zeros((120, 1))), minlength=6)
    assert counts.sum() == 120
    assert counts.min() >= 7
    assert counts.max() > 40  # small alpha: one site dominates


def test_feature_views_disjoint_shares_plus_shared_columns():
    part = FeatureViewPartitioner(2, shared_columns=[0], random_state=0)
    views = part.split_columns(np.zeros((5, 5)))
    assert views == [[0, 1, 3], [0, 2, 4]]
    own = [set(v) - {0} for v in views]
    assert own[0].isdisjoint(own[1]) and own[0] | own[1] == {1, 2, 3, 4}


def test_feature_views_dataframe_names_and_explicit_site_columns():
    X = pd.DataFrame(np.zeros((4, 5)), columns=["age", "chol", "thal", "sex", "cp"])
    part = FeatureViewPartitioner(
        2, shared_columns=["age"], site_columns=[["thal", "chol"], ["cp"]]
    )
    site = part.split(X)
    assert site is None  # no row partitioner: every site has every row
    assert part.columns_ == [["age", "chol", "thal"], ["age", "cp"]]
    assert part.columns_ == part.split_columns(X)
    # usable to select a member's columns
    assert X[part.columns_[0]].shape == (4, 3)


def test_feature_views_with_row_partitioner_and_selector():
    from sklearn.compose import make_column_selector

    X = pd.DataFrame({"a": [1.0] * 6, "b": [2] * 6, "c": ["x"] * 6, "d": [0.5] * 6})
    part = FeatureViewPartitioner(
        2,
        shared_columns=make_column_selector(dtype_include="float"),
        row_partitioner=IIDPartitioner(2, random_state=0),
        random_state=0,
    )
    site = part.split(X)
    assert np.bincount(site).tolist() == [3, 3]
    assert sorted(sum(part.columns_, [])) == ["a", "a", "b", "c", "d", "d"]
    for cols in part.columns_:
        assert {"a", "d"} <= set(cols)


# --------------------------------------------------------------------------
# properties


@st.composite
def labelled_data(draw, min_rows_per_site=1):
    n_sites = draw(st.integers(1, 6))
    n_classes = draw(st.integers(1, 5))
    n_samples = draw(st.integers(n_sites * max(min_rows_per_site, 5), 150))
    y = np.array(draw(st.lists(
        st.integers(0, n_classes - 1), min_size=n_samples, max_size=n_samples
    )))
    seed = draw(st.integers(0, 2**16))
    return n_sites, y, seed


def _check_site_vector(site, n_samples, n_sites):
    assert site.shape == (n_samples,)
    assert site.min() >= 0 and site.max() < n_sites
    assert np.all(np.bincount(site, minlength=n_sites) >= 1)


@PROPERTY
@given(labelled_data())
def test_every_row_gets_exactly_one_site(data):
    n_sites, y, seed = data
    X = np.zeros((len(y), 2))
    for part in _all_partitioners(n_sites, seed):
        try:
            site = part.split(X, y)
        except ValueError as exc:  # a Dirichlet draw may miss the minimum
            assume("max_tries" not in str(exc))
            raise
        _check_site_vector(site, len(y), n_sites)


@PROPERTY
@given(labelled_data(min_rows_per_site=4), st.integers(1, 4))
def test_sizes_respect_min_partition_size(data, min_size):
    n_sites, y, seed = data
    X = np.zeros((len(y), 1))
    quantity = QuantitySkewPartitioner(
        n_sites, alpha=0.1, min_partition_size=min_size, random_state=seed
    )
    assert np.bincount(quantity.split(X), minlength=n_sites).min() >= min_size
    dirichlet = DirichletPartitioner(
        n_sites, alpha=0.5, min_partition_size=min_size, random_state=seed
    )
    try:
        site = dirichlet.split(X, y)
    except ValueError as exc:
        assert "max_tries=10" in str(exc)
        return
    assert np.bincount(site, minlength=n_sites).min() >= min_size


@PROPERTY
@given(labelled_data())
def test_same_seed_same_split_and_input_untouched(data):
    n_sites, y, seed = data
    X = np.arange(2 * len(y), dtype=float).reshape(-1, 2)
    X_before, y_before = X.copy(), y.copy()
    for part in _all_partitioners(n_sites, seed):
        try:
            first = part.split(X, y)
        except ValueError:
            continue
        np.testing.assert_array_equal(first, part.split(X, y))
        np.testing.assert_array_equal(first, clone(part).split(X, y))
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


@PROPERTY
@given(
    n_classes=st.integers(2, 5),
    n_sites=st.integers(2, 5),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_class_exclusion_sites_lack_their_classes(n_classes, n_sites, seed, data):
    y = np.tile(np.arange(n_classes), 2 * n_sites)
    exclude = {
        k: data.draw(st.lists(st.integers(0, n_classes - 1), max_size=n_classes - 1))
        for k in range(n_sites - 1)
    }  # the last site holds everything, so every class has a home
    try:
        site = ClassExclusionPartitioner(
            n_sites, exclude=exclude, random_state=seed
        ).split(np.zeros((len(y), 1)), y)
    except ValueError as exc:
        assert "get no rows" in str(exc)
        return
    _check_site_vector(site, len(y), n_sites)
    for k, classes in exclude.items():
        assert not np.isin(y[site == k], classes).any()


@pytest.mark.parametrize("seed", range(8))
def test_label_skew_grows_as_alpha_falls(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 5, size=1000)
    X = np.zeros((1000, 1))

    def skew(alpha):
        part = DirichletPartitioner(
            5, alpha=alpha, min_partition_size=5, random_state=seed
        )
        return _label_skew(part.split(X, y), y)

    # typical values: ~0.6 at alpha 0.1, ~0.03 at alpha 100
    assert skew(0.1) > skew(100) + 0.2


def test_label_skew_decreases_along_alpha_on_average():
    y = np.repeat(np.arange(4), 150)
    X = np.zeros((600, 1))
    means = [
        np.mean([
            _label_skew(
                DirichletPartitioner(
                    4, alpha=a, min_partition_size=5, random_state=s
                ).split(X, y),
                y,
            )
            for s in range(10)
        ])
        for a in (0.05, 0.5, 5.0, 500.0)
    ]
    assert means == sorted(means, reverse=True)


# --------------------------------------------------------------------------
# input types


def test_pandas_and_list_inputs_are_accepted():
    X = pd.DataFrame({"a": range(12), "b": range(12)})
    y = pd.Series([0, 1, 2] * 4)
    site = ClassExclusionPartitioner(3, random_state=0).split(X, y)
    ref = ClassExclusionPartitioner(3, random_state=0).split(X.to_numpy(), y.values)
    np.testing.assert_array_equal(site, ref)
    site = IIDPartitioner(2, random_state=0).split(X.values.tolist())
    assert np.bincount(site).tolist() == [6, 6]
    site = DirichletPartitioner(2, 1.0, min_partition_size=1, random_state=0).split(
        X, y.to_frame()
    )
    assert site.shape == (12,)


def test_random_state_instance_advances():
    rs = np.random.RandomState(0)
    part = IIDPartitioner(2, random_state=rs)
    X = np.zeros((50, 1))
    assert not np.array_equal(part.split(X), part.split(X))


# --------------------------------------------------------------------------
# errors


@pytest.mark.parametrize(
    "part",
    [
        IIDPartitioner(5),
        DirichletPartitioner(5, alpha=1.0, min_partition_size=1),
        ClassExclusionPartitioner(5, exclude={}),
        QuantitySkewPartitioner(5, min_partition_size=1),
    ],
    ids=lambda p: type(p).__name__,
)
def test_more_sites_than_rows_is_an_error(part):
    with pytest.raises(ValueError, match=r"n_sites=5 sites .* only 4 rows"):
        part.split(np.zeros((4, 1)), np.arange(4))


def test_min_partition_size_impossible_up_front():
    part = DirichletPartitioner(4, alpha=1.0, min_partition_size=10)
    with pytest.raises(ValueError, match=r"at least 10 rows: X has only 30 rows"):
        part.split(np.zeros((30, 1)), np.zeros(30))
    part = QuantitySkewPartitioner(4, min_partition_size=10)
    with pytest.raises(ValueError, match="smaller min_partition_size"):
        part.split(np.zeros((30, 1)))


def test_dirichlet_gives_up_after_max_tries():
    y = np.repeat([0, 1], 50)
    part = DirichletPartitioner(
        4, alpha=0.01, min_partition_size=20, max_tries=3, random_state=0
    )
    with pytest.raises(ValueError, match=r"min_partition_size=20 rows in max_tries=3"):
        part.split(np.zeros((100, 1)), y)


@pytest.mark.parametrize("alpha", [0, -1.0])
def test_dirichlet_alpha_must_be_positive(alpha):
    part = DirichletPartitioner(3, alpha=alpha)
    with pytest.raises(InvalidParameterError, match=r"'alpha' parameter .* \(0"):
        part.split(np.zeros((60, 1)), np.zeros(60))


@pytest.mark.parametrize(
    "alpha, match",
    [
        ([1.0, 0.0, 1.0], "strictly greater than 0"),
        ([1.0, -2.0, 1.0], "strictly greater than 0"),
        ([1.0, np.nan, 1.0], "strictly greater than 0"),
        ([1.0, 1.0], "alpha has 2 values but n_sites=3"),
    ],
)
def test_dirichlet_alpha_vector_errors(alpha, match):
    with pytest.raises(ValueError, match=match):
        DirichletPartitioner(3, alpha=alpha).split(np.zeros((60, 1)), np.zeros(60))


@pytest.mark.parametrize(
    "part",
    [DirichletPartitioner(2, alpha=1.0), ClassExclusionPartitioner(2)],
    ids=lambda p: type(p).__name__,
)
def test_label_partitioners_need_y(part):
    with pytest.raises(ValueError, match="needs y"):
        part.split(np.zeros((40, 1)))


def test_y_length_and_shape_are_checked():
    part = DirichletPartitioner(2, alpha=1.0, min_partition_size=1)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        part.split(np.zeros((10, 1)), np.zeros(9))
    with pytest.raises(ValueError, match="one-dimensional"):
        part.split(np.zeros((10, 1)), np.zeros((10, 2)))


@pytest.mark.parametrize(
    "n_sites, exclude, y, match",
    [
        (2, None, [0, 1, 2] * 3, "needs as many sites as classes"),
        (2, {0: [7]}, [0, 1] * 3, r"site 0 names classes \[7\] that y does not"),
        (2, {2: [0]}, [0, 1] * 3, r"names sites \[2\] that do not exist"),
        (2, {0: [0], 1: [0]}, [0, 1] * 3, "Every site excludes class 0"),
        (2, [[0]], [0, 1] * 3, "one entry per site"),
        (3, {0: [1], 1: [1]}, [0, 1, 1], "Sites .* get no rows"),
    ],
)
def test_class_exclusion_errors(n_sites, exclude, y, match):
    y = np.asarray(y)
    part = ClassExclusionPartitioner(n_sites, exclude=exclude, random_state=0)
    with pytest.raises(ValueError, match=match):
        part.split(np.zeros((len(y), 1)), y)


@pytest.mark.parametrize(
    "sizes, match",
    [
        ([0.5, 0.5], "must hold 3 finite values > 0"),
        ([0.5, 0.5, 0.0], "must hold 3 finite values > 0"),
        ([0.9, 0.05, 0.05], r"site sizes \[90, 5, 5\] .* below min_partition_size"),
    ],
)
def test_quantity_skew_size_errors(sizes, match):
    part = QuantitySkewPartitioner(3, sizes=sizes)
    with pytest.raises(ValueError, match=match):
        part.split(np.zeros((100, 1)))


def test_quantity_skew_alpha_must_be_positive():
    with pytest.raises(InvalidParameterError, match="'alpha' parameter"):
        QuantitySkewPartitioner(3, alpha=0).split(np.zeros((100, 1)))


def test_feature_view_errors():
    X = np.zeros((5, 3))
    with pytest.raises(ValueError, match=r"Sites \[3, 4\] get no column"):
        FeatureViewPartitioner(5).split_columns(X)
    with pytest.raises(ValueError, match="one entry per site"):
        FeatureViewPartitioner(2, site_columns=[[0]]).split_columns(X)
    with pytest.raises(ValueError, match=r"row_partitioner has n_sites=3"):
        FeatureViewPartitioner(2, row_partitioner=IIDPartitioner(3)).split(X)
    with pytest.raises(ValueError, match=r"positions \[3\] are out of range"):
        FeatureViewPartitioner(2, shared_columns=[3]).split_columns(X)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    with pytest.raises(ValueError, match=r"Columns \['z'\] are not columns of X"):
        FeatureViewPartitioner(2, shared_columns=["a", "z"]).split_columns(frame)


def test_n_sites_is_validated():
    with pytest.raises(InvalidParameterError, match="'n_sites' parameter"):
        IIDPartitioner(0).split(np.zeros((5, 1)))
