"""Shared pieces of the bad-input suites (``tests/test_bad_input*.py``).

``expect(call, exc, match, *inputs)`` runs ``call`` and asserts the outcome:
the exception type and a message matching ``match`` (the offending value and
the fix), or, with ``exc=None``, that it returns; either way the inputs are
unchanged. Scripted members give the bad outputs the member checks must
catch.
"""

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin

from skcoop.utils.estimator_checks import input_digest


def _state(value):
    """What must not change: an estimator's parameters, else the value."""
    if hasattr(value, "get_params"):
        return repr(sorted(value.get_params(deep=False).items(), key=str))
    if isinstance(value, (list, dict)):
        return repr(value)
    return value


def expect(call, exc, match, *inputs, warning=None):
    """Assert ``call()`` raises ``exc`` matching ``match`` (or returns), inputs kept."""
    before = input_digest(*[_state(v) for v in inputs])
    result = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if warning is not None:
            warnings.simplefilter("always", warning)
        if exc is None and warning is None:
            result = call()
        elif exc is None:
            with pytest.warns(warning, match=match):
                result = call()
        else:
            with pytest.raises(exc, match=match):
                call()
    assert input_digest(*[_state(v) for v in inputs]) == before, "input modified"
    return result


def _script(kind, n, k):
    """Bad outputs of ``kind`` for ``n`` rows and ``k`` classes."""
    p = np.full((n, k), 1.0 / k)
    if kind == "nan":
        p[::3] = np.nan
    elif kind == "inf":
        p[::3, 0] = np.inf
    elif kind == "above":  # the 3.0 and -2.5
        p[:, 0], p[:, 1] = 3.0, -2.5
    elif kind == "negative":
        p[:, 0], p[:, 1] = -0.25, 1.25
    elif kind == "unnormalised":
        p = p * 0.5
    elif kind == "columns":
        p = np.full((n, k + 1), 1.0 / (k + 1))
    elif kind == "rows":
        p = p[:-1]
    elif kind == "1d":
        p = p[:, 0]
    elif kind == "strings":
        p = np.full((n, k), "x", dtype=object)
    elif kind == "raises":
        raise RuntimeError("boom in the member")
    return p


class ScriptedProba(ClassifierMixin, BaseEstimator):
    """A classifier whose ``predict_proba`` gives the bad output ``kind``."""

    def __init__(self, kind="nan"):
        self.kind = kind

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict_proba(self, X):
        return _script(self.kind, len(X), len(self.classes_))

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


class ScriptedRegressor(RegressorMixin, BaseEstimator):
    """A regressor whose ``predict`` gives the bad output ``kind``."""

    def __init__(self, kind="nan"):
        self.kind = kind

    def fit(self, X, y):
        self.n_features_in_ = np.shape(X)[1]
        return self

    def predict(self, X):
        out = np.zeros(len(X))
        if self.kind == "nan":
            out[::2] = np.nan
        elif self.kind == "inf":
            out[::2] = -np.inf
        elif self.kind == "columns":
            return np.zeros((len(X), 2))
        elif self.kind == "rows":
            return out[:-1]
        elif self.kind == "strings":
            return np.full(len(X), "x", dtype=object)
        elif self.kind == "raises":
            raise RuntimeError("boom in the member")
        return out


#: each bad output and what the message must say about it
PROBA_KINDS = {
    "nan": r"predict_proba returned NaN for \d+ rows: rows \[0, 3",
    "inf": r"predict_proba returned infinity for \d+ rows",
    "above": r"predict_proba returned values outside \[0, 1\] .*from -2\.5 to 3",
    "negative": r"predict_proba returned values outside \[0, 1\]",
    "unnormalised": r"predict_proba returned rows that do not sum to 1",
    "columns": r"predict_proba returned 3 columns, but the member knows 2 classes",
    "rows": r"predict_proba returned an array of shape \(\d+, 2\) for \d+ rows",
    "1d": r"predict_proba returned an array of shape \(\d+,\) for \d+ rows",
    "strings": r"predict_proba returned values that are not numbers",
    "raises": r"predict_proba failed to predict: boom in the member",
}

PREDICT_KINDS = {
    "nan": r"predict returned NaN for \d+ rows",
    "inf": r"predict returned infinity for \d+ rows",
    "columns": r"predict returned an array of shape \(\d+, 2\)",
    "rows": r"predict returned an array of shape \(\d+,\) for \d+ rows",
    "strings": r"predict returned values that are not numbers",
    "raises": r"predict failed to predict: boom in the member",
}


def exc_of(kind):
    return RuntimeError if kind == "raises" else ValueError
