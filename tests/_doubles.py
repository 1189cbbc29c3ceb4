"""Test doubles: classifiers whose answers are known in advance."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted, validate_data


class ThresholdClassifier(ClassifierMixin, BaseEstimator):
    """Binary rule ``x[feature] > threshold -> classes_[1]``, ignoring training data.

    ``predict_proba`` is a logistic curve of steepness ``slope`` around the
    threshold, so a counterfactual search can move along it. Fit only records
    the classes, so refitting on virtual rows leaves the rule unchanged, and
    expertise and deficiency sets are known by hand.
    """

    def __init__(self, feature=0, threshold=0.0, slope=4.0):
        self.feature = feature
        self.threshold = threshold
        self.slope = slope

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y)
        self.classes_ = np.unique(y)
        self.fit_rows_ = X.shape[0]
        self.fit_sample_weight_ = sample_weight
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        z = self.slope * (X[:, self.feature] - self.threshold)
        p1 = 1.0 / (1.0 + np.exp(-z))
        return np.column_stack([1 - p1, p1])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


class NoProbaClassifier(ClassifierMixin, BaseEstimator):
    """A classifier without predict_proba."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


class FailingClassifier(ClassifierMixin, BaseEstimator):
    """A classifier whose fit always raises."""

    def fit(self, X, y):
        raise ValueError("boom: this learner cannot be fitted")

    def predict_proba(self, X):  # pragma: no cover - never fitted
        raise AssertionError


class NoWeightClassifier(ClassifierMixin, BaseEstimator):
    """A classifier whose fit takes no sample_weight (records what it got)."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_rows_ = len(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))


class RecordingClassifier(ThresholdClassifier):
    """ThresholdClassifier that records the fit metadata it receives."""

    def __init__(self, feature=0, threshold=0.0, slope=4.0, registry=None):
        super().__init__(feature=feature, threshold=threshold, slope=slope)
        self.registry = registry

    def fit(self, X, y, sample_weight=None, metadata=None):
        super().fit(X, y, sample_weight=sample_weight)
        self.fit_metadata_ = metadata
        if self.registry is not None:
            self.registry.append(
                {"n": len(y), "sample_weight": sample_weight, "metadata": metadata}
            )
        return self


class Registry(list):
    """A list that survives ``clone`` (clone deep-copies it to itself)."""

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self
