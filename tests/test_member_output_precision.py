"""A member whose probabilities break on float32 rows gets an error that says so.

scikit-learn 1.9's GaussianNB fitted on float32 digits returns rows summing to
up to 2 (its log-probabilities, ~1e6 in size, are computed in float32); older
releases compute in float64. The tests use a member that reproduces the
symptom on any version.
"""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from skcoop.utils import member_output, name_member


class _Unnormalised(ClassifierMixin, BaseEstimator):
    """Returns rows summing to 1.5, as GaussianNB does on some float32 rows."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.tile([0.75, 0.75], (len(X), 1))


def _member():
    return name_member(_Unnormalised().fit(np.zeros((2, 1)), [0, 1]), "nb")


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_rows_below_double_precision_name_the_precision(dtype):
    X = np.zeros((3, 1), dtype=dtype)
    with pytest.raises(ValueError, match=r"do not sum to 1.*The rows are float"):
        member_output(_member(), X, "predict_proba")


def test_float64_rows_have_no_hint():
    with pytest.raises(ValueError, match="do not sum to 1") as info:
        member_output(_member(), np.zeros((3, 1)), "predict_proba")
    assert "The rows are" not in str(info.value)
    with pytest.raises(ValueError, match="do not sum to 1") as info:
        member_output(_member(), [[0.0], [1.0]], "predict_proba")  # a list
    assert "The rows are" not in str(info.value)
