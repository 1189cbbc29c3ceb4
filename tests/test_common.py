"""scikit-learn's estimator checks on every public estimator of skcoop.

The fast set: the classifier and the regressor with two small members. The
slow set (``-m slow``): more member sets (a Pipeline with a scaler, naive
Bayes, k-nearest neighbours), every KD distiller, and the regressor with two
ridges. Expected failures are listed with their reason, as scikit-learn does
in ``sklearn/utils/_test_common/instance_generator.py``.
"""

import pytest
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from skcoop import CooperativeDistillationEnsemble, CooperativeDistillationRegressor
from skcoop.distill import (
    MutualLearningDistiller,
    PartitionedDistiller,
    SoftTargetDistiller,
)

SW = "check_sample_weight_equivalence_on_dense_data"

SGD_REASON = (
    "SGDClassifier: sample_weight is not equivalent to repeating rows (the "
    "same expected failure as in scikit-learn's own checks)."
)
KNN_REASON = (
    "KNeighborsClassifier takes no sample_weight: the ensemble raises a clear "
    "error naming the member when weights are not all equal."
)


def _fast():
    yield CooperativeDistillationEnsemble(
        [
            ("logreg", LogisticRegression()),
            ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ],
        random_state=0,
    )
    yield CooperativeDistillationRegressor(
        [
            ("ridge", Ridge()),
            ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
        ],
        random_state=0,
    )
    # the same with the paper's in-sample expertise
    yield CooperativeDistillationRegressor(
        [
            ("ridge", Ridge()),
            ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
        ],
        expertise="in_sample",
        random_state=0,
    )


def _slow():
    yield CooperativeDistillationEnsemble(
        [
            ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
            ("tree", DecisionTreeClassifier(random_state=0)),
            ("nb", GaussianNB()),
        ],
        random_state=0,
    )
    yield CooperativeDistillationEnsemble(
        [
            ("logreg", LogisticRegression()),
            ("strong", LogisticRegression(C=0.1)),
        ],
        expertise="in_sample",
        random_state=0,
    )
    yield CooperativeDistillationEnsemble(
        [
            ("knn", KNeighborsClassifier(n_neighbors=3)),
            ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ],
        random_state=0,
    )
    for distiller in (SoftTargetDistiller(), PartitionedDistiller()):
        for second in (
            DecisionTreeClassifier(max_depth=3, random_state=0),
            GaussianNB(),
        ):
            yield CooperativeDistillationEnsemble(
                [("logreg", LogisticRegression()), ("second", second)],
                distiller=distiller,
                random_state=0,
            )
    for first in (SGDClassifier(loss="log_loss", random_state=0), GaussianNB()):
        yield CooperativeDistillationEnsemble(
            [("first", first), ("nb", GaussianNB())],
            distiller=MutualLearningDistiller(),
            random_state=0,
        )
    yield CooperativeDistillationRegressor(
        [("ridge", Ridge()), ("strong", Ridge(alpha=10))], random_state=0
    )


GUARD_REASON = (
    "The release guard (guard='auto') draws each released row from a site's "
    "records: a record repeated k times is k neighbours, a weight of k is one, "
    "so weights are not equivalent to repeated rows (they are with guard=None)."
)


def _expected_failed_checks(est):
    """Check name -> the reason it is expected to fail, for ``est``."""
    names = [type(e).__name__ for _, e, *_ in est.estimators]
    if isinstance(est, CooperativeDistillationRegressor) and est.guard == "auto":
        return {SW: GUARD_REASON}
    distiller = getattr(est, "distiller", "counterfactual")
    if "KNeighborsClassifier" in names:
        return {
            SW: KNN_REASON,
            "check_sample_weights_list": KNN_REASON,
            "check_sample_weights_not_overwritten": KNN_REASON,
            "check_classifiers_one_label_sample_weights": KNN_REASON,
        }
    if not isinstance(distiller, str) and "SGDClassifier" in names:
        return {SW: SGD_REASON}
    return {}


@parametrize_with_checks(list(_fast()), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks(list(_slow()), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator_more_members(estimator, check):
    check(estimator)
