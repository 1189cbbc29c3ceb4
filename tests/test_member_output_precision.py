"""A member whose probabilities break on float32 rows gets an error that says so."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.naive_bayes import GaussianNB

from skcoop.utils import member_output, name_member


def _digits(dtype):
    X, y = load_digits(return_X_y=True)
    return (X / 16).astype(dtype), y


def test_float32_rows_name_the_precision():
    # digits' constant pixels give GaussianNB tiny variances, and float32
    # log-probabilities of size ~1e6: rows then sum to up to 2
    X, y = _digits(np.float32)
    nb = name_member(GaussianNB().fit(X[:300], y[:300]), "nb")
    with pytest.raises(ValueError, match=r"do not sum to 1.*The rows are float32"):
        member_output(nb, X, "predict_proba")


def test_float64_rows_are_fine_and_have_no_hint():
    X, y = _digits(np.float64)
    nb = name_member(GaussianNB().fit(X[:300], y[:300]), "nb")
    proba = member_output(nb, X, "predict_proba")
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-9)
    broken = name_member(GaussianNB().fit(X[:300], y[:300]), "broken")
    broken.var_ = np.zeros_like(broken.var_)
    with pytest.raises(ValueError, match="NaN") as info:
        member_output(broken, X[:5], "predict_proba")
    assert "float32" not in str(info.value)
