"""Families of bad input drawn by hypothesis: where one example is not enough.

Any probability table with one bad cell, any bool or out-of-range count,
any pair of clients that disagree in a parameter's name or shape, any
teacher weights with a negative entry or of the wrong length, any list of
member names with a repeat, any virtual rows with a missing label: each is
refused, naming the value; the valid neighbours of each pass unchanged.
"""

import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.naive_bayes import GaussianNB

from skcoop.federated import fedavg_average, teacher_proba
from skcoop.silo import VirtualRows, site_seeds
from skcoop.utils import check_count, check_proba, count

FAST = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)

rng = np.random.RandomState(0)
X = rng.normal(size=(30, 3))
Y = np.arange(30) % 2
TEACHERS = [GaussianNB().fit(X, Y), GaussianNB().fit(X[::-1], Y)]


@st.composite
def probabilities(draw):
    n = draw(st.integers(1, 12))
    k = draw(st.integers(1, 5))
    raw = draw(
        st.lists(st.floats(0.01, 10.0), min_size=n * k, max_size=n * k).map(
            lambda v: np.asarray(v).reshape(n, k)
        )
    )
    return raw / raw.sum(axis=1, keepdims=True)


@FAST
@given(probabilities())
def test_valid_probabilities_pass_unchanged(p):
    np.testing.assert_array_equal(check_proba(p, "m", p.shape[0], p.shape[1]), p)


BAD_CELLS = {
    "nan": (st.just(np.nan), "returned NaN"),
    "inf": (st.sampled_from([np.inf, -np.inf]), "returned infinity"),
    "above": (st.floats(1.01, 1e6), "outside \\[0, 1\\]"),
    "below": (st.floats(-1e6, -0.01), "outside \\[0, 1\\]"),
}


@pytest.mark.parametrize("kind", sorted(BAD_CELLS))
@FAST
@given(data=st.data())
def test_one_bad_cell_is_found(kind, data):
    p = data.draw(probabilities()).copy()
    i = data.draw(st.integers(0, p.shape[0] - 1))
    j = data.draw(st.integers(0, p.shape[1] - 1))
    p[i, j] = data.draw(BAD_CELLS[kind][0])
    with pytest.raises(ValueError, match=rf"m returned .* rows.*\b{i}\b"):
        check_proba(p, "m", p.shape[0])
    with pytest.raises(ValueError, match=BAD_CELLS[kind][1]):
        check_proba(p, "m", p.shape[0])


@FAST
@given(probabilities(), st.floats(0.002, 0.9))
def test_rows_that_do_not_sum_to_one_are_found(p, scale):
    p = p * (1 - scale)
    with pytest.raises(ValueError, match="do not sum to 1"):
        check_proba(p, "m", p.shape[0])


@FAST
@given(st.integers(-(10**6), 10**6), st.integers(0, 5))
def test_counts(value, low):
    if value >= low:
        assert check_count(value, "n", low) == value
        assert count(low).is_satisfied_by(value)
    else:
        with pytest.raises(ValueError, match=f"Got {value} instead"):
            check_count(value, "n", low)
        assert not count(low).is_satisfied_by(value)


@pytest.mark.parametrize("flag", [True, False, np.bool_(True)])
@pytest.mark.parametrize("low", [0, 1])
def test_a_bool_is_never_a_count(flag, low):
    assert not count(low).is_satisfied_by(flag)
    with pytest.raises(ValueError, match="A bool is not a count"):
        check_count(flag, "n", low)


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@FAST
@given(shapes, shapes, st.lists(st.integers(1, 50), min_size=2, max_size=2))
def test_fedavg_average_shapes(a, b, counts):
    clients = [{"w": np.ones(a)}, {"w": np.full(b, 3.0)}]
    if a == b:
        avg = fedavg_average(clients, counts)
        expected = (counts[0] * 1.0 + counts[1] * 3.0) / sum(counts)
        np.testing.assert_allclose(avg["w"], expected)
    else:
        with pytest.raises(
            ValueError, match=re.escape(f"'w' has shape {b!r} at client 1")
        ):
            fedavg_average(clients, counts)


@FAST
@given(st.sets(st.sampled_from("abcdef"), min_size=1), st.sampled_from("abcdef"))
def test_fedavg_average_names(names, extra):
    first = {n: np.ones(2) for n in sorted(names)}
    second = {n: np.ones(2) for n in sorted(names | {extra})}
    if extra in names:
        assert set(fedavg_average([first, second], [1, 1])) == names
    else:
        with pytest.raises(ValueError, match=f"has \\['{extra}'\\] that client 0"):
            fedavg_average([first, second], [1, 1])


@FAST
@given(st.lists(st.floats(-10, 10), min_size=1, max_size=4))
def test_teacher_weights(weights):
    w = np.asarray(weights)
    if len(w) != 2:
        with pytest.raises(ValueError, match=r"one entry per teacher \(2\)"):
            teacher_proba(TEACHERS, X, 2, weights=weights)
    elif (w < 0).any():
        with pytest.raises(ValueError, match="finite and non-negative"):
            teacher_proba(TEACHERS, X, 2, weights=weights)
    elif w.sum() == 0:
        with pytest.raises(ValueError, match="not be all zero"):
            teacher_proba(TEACHERS, X, 2, weights=weights)
    else:
        p = teacher_proba(TEACHERS, X, 2, weights=weights)
        assert p.min() >= 0 and p.max() <= 1 + 1e-12


@FAST
@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=6))
def test_site_seeds_names(names):
    if len(set(names)) < len(names):
        with pytest.raises(ValueError, match="appear more than once"):
            site_seeds(0, names)
    else:
        seeds = site_seeds(0, names, n_rounds=2)
        assert all(sorted(s) == sorted(names) for s in seeds)
        assert seeds == site_seeds(0, names, n_rounds=2)


@FAST
@given(st.integers(1, 20), st.data())
def test_virtual_rows_with_a_missing_label(n, data):
    y = np.arange(n, dtype=float)
    y[data.draw(st.integers(0, n - 1))] = np.nan
    with pytest.raises(ValueError, match=f"y holds NaN or infinity in 1 of {n}"):
        VirtualRows(np.zeros((n, 2)), y, teacher="a", student="b")
