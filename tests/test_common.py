"""scikit-learn's estimator checks on every public estimator of skcoop."""

import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import parametrize_with_checks

from skcoop import CooperativeDistillationEnsemble


def _ensembles():
    yield CooperativeDistillationEnsemble(
        [
            ("logreg", LogisticRegression()),
            ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ],
        random_state=0,
    )


# Each entry: check name -> the reason it is expected to fail. None today.
EXPECTED_FAILED_CHECKS = {}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


@parametrize_with_checks(
    list(_ensembles()), expected_failed_checks=_expected_failed_checks
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
