"""Search interface shared by every counterfactual backend.

A search is fitted on the teacher's own rows (``fit(X_ref, y_ref)``), which
teaches it the scale, range and type of each feature and gives it reference
rows per class; ``generate(model, X, y)`` then returns one counterfactual per
row of ``X``, all rows searched together.
"""

# SPDX-License-Identifier: BSD-3-Clause

import time
from abc import abstractmethod
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, validate_params
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

__all__ = ["BaseCounterfactualSearch", "CounterfactualResult", "quintessential_target"]


class CounterfactualResult(Bunch):
    """Counterfactuals for a batch of rows, with what it took to find them.

    A :class:`~sklearn.utils.Bunch`: fields are attributes and keys.

    Attributes
    ----------
    X : ndarray or DataFrame of shape (n_samples, n_features)
        One counterfactual per source row, in the form of the source rows.
    success : ndarray of shape (n_samples,), dtype=bool
        Whether the model's output at ``X`` meets the target (checked by
        calling the model on the returned rows).
    target_class : ndarray of shape (n_samples,) or None
        Class whose probability the search raised (classification).
    target : ndarray of shape (n_samples,)
        Probability of ``target_class`` to reach (classification) or target
        value (regression).
    initial : ndarray of shape (n_samples,)
        Model output at the source rows (probability of ``target_class``, or
        the prediction for regression).
    achieved : ndarray of shape (n_samples,)
        Model output at the counterfactual rows.
    already_at_target : ndarray of shape (n_samples,), dtype=bool
        Source rows that met the target before any search; the search still
        moves them (see the backend's ``min_step``) so that a counterfactual
        never repeats its source row.
    distance : ndarray of shape (n_samples,)
        L1 distance between source and counterfactual in scaled units (each
        feature divided by its ``scale_``).
    n_model_calls : int
        Number of calls to the model's ``predict_proba``/``predict``.
    n_rows_evaluated : int
        Number of rows passed to the model over all calls.
    model_time : float
        Seconds spent inside the model's own calls.
    search_time : float
        Wall-clock seconds of the whole search, model calls included.
    """

    def __len__(self):
        return len(self["success"])

    @property
    def n_success(self):
        """Number of counterfactuals that reached their target."""
        return int(np.sum(self["success"]))


def quintessential_target(initial, alpha):
    """Output target of a quintessential counterfactual.

    ``y' = f(x) + alpha * (y - f(x))``. For classification ``f(x)`` is the
    probability of the true class and ``y`` is 1, so the target probability
    moves ``alpha`` of the way from the current probability to certainty; for
    regression ``f(x)`` is the prediction and ``y`` the true value.

    Parameters
    ----------
    initial : array-like of shape (n_samples,)
        Model output at the source rows.
    alpha : float in [0, 1]
        Fraction of the way from the model's output to the true output.

    Returns
    -------
    target : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from skcoop.counterfactual import quintessential_target
    >>> quintessential_target([0.6, 0.9, 1.0], alpha=0.5)
    array([0.8 , 0.95, 1.  ])
    """
    initial = np.asarray(initial, dtype=float)
    return initial + alpha * (1.0 - initial)


class _CountingModel:
    """Wraps a fitted model: counts calls, rows and time, restores the input form.

    The search works on a float matrix; the model is called with what it was
    fitted on (a DataFrame with the reference columns when the reference rows
    were a DataFrame).
    """

    def __init__(self, model, columns=None, dtypes=None, array_dtype=None):
        self.model = model
        self.columns = columns
        self.dtypes = dtypes
        self.array_dtype = array_dtype
        self.n_calls = 0
        self.n_rows = 0
        self.time = 0.0

    def to_input(self, Z):
        if self.columns is None:
            # a float32 net (skorch) must not receive float64 rows
            if self.array_dtype is not None and self.array_dtype != Z.dtype:
                return Z.astype(self.array_dtype)
            return Z
        import pandas as pd

        frame = pd.DataFrame(Z, columns=self.columns)
        if self.dtypes is not None:
            frame = frame.astype(self.dtypes)
        return frame

    def _call(self, method, Z):
        start = time.perf_counter()
        out = getattr(self.model, method)(self.to_input(Z))
        self.time += time.perf_counter() - start
        self.n_calls += 1
        self.n_rows += Z.shape[0]
        return np.asarray(out)

    def predict_proba(self, Z):
        return self._call("predict_proba", Z)

    def predict(self, Z):
        return self._call("predict", Z)


class BaseCounterfactualSearch(BaseEstimator):
    """Base class for quintessential-counterfactual searches.

    Subclasses implement :meth:`_search`; this class validates inputs, learns
    feature statistics in :meth:`fit`, sets targets and checks results.

    Parameters
    ----------
    alpha : float, default=0.5
        Default quintessential step when ``generate`` gets no ``confidence``.
    min_step : float, default=0.1
        For a source row already at its target, the counterfactual still moves
        at least this fraction of the way toward a confident reference row of
        its class, so that it is informative and never a copy of a source row.
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "min_step": [Interval(Real, 0, 1, closed="both")],
    }

    @abstractmethod
    def __init__(self, *, alpha=0.5, min_step=0.1):
        self.alpha = alpha
        self.min_step = min_step

    # ------------------------------------------------------------------ fit
    def fit(self, X_ref, y_ref=None):
        """Learn feature scales, ranges and types, and keep the reference rows.

        Parameters
        ----------
        X_ref : array-like of shape (n_samples, n_features)
            Rows the teacher owns (or any rows of the teacher's feature space).
        y_ref : array-like of shape (n_samples,), default=None
            Their labels; needed to pick reference rows of the target class.

        Returns
        -------
        self : object
            The fitted search.
        """
        self._validate_params()
        columns = getattr(X_ref, "columns", None)
        self.feature_names_in_ = None if columns is None else np.asarray(columns, dtype=object)
        self._dtypes = None if columns is None else X_ref.dtypes
        dtype = getattr(X_ref, "dtype", None)
        self._array_dtype = dtype if dtype is not None and dtype.kind == "f" else None
        X = check_array(X_ref, dtype=np.float64, input_name="X_ref")
        self.n_features_in_ = X.shape[1]
        self.X_ref_ = X
        self.y_ref_ = None if y_ref is None else column_or_1d(y_ref, warn=True)
        if self.y_ref_ is not None and self.y_ref_.shape[0] != X.shape[0]:
            raise ValueError(
                "X_ref and y_ref must have the same number of rows. Got "
                f"{X.shape[0]} and {self.y_ref_.shape[0]} instead."
            )
        self.min_ = X.min(axis=0)
        self.max_ = X.max(axis=0)
        self.scale_ = feature_scale(X)
        self.is_integer_ = np.all(X == np.round(X), axis=0)
        n_unique = np.array([np.unique(col).size for col in X.T])
        self.is_binary_ = self.is_integer_ & (n_unique <= 2)
        return self

    # ------------------------------------------------------------- generate
    def generate(self, model, X, y, *, confidence=None):
        """Find a quintessential counterfactual for every row of ``X``.

        Parameters
        ----------
        model : fitted classifier with ``predict_proba`` and ``classes_``
            The teacher.
        X : array-like of shape (n_samples, n_features)
            Source rows, in the feature space the search was fitted on.
        y : array-like of shape (n_samples,)
            Target class of each row (for cooperative distillation, the true
            label), one of ``model.classes_``.
        confidence : float or array-like of shape (n_samples,), default=None
            Probability of the target class to reach. By default the
            quintessential target ``p + alpha * (1 - p)`` where ``p`` is the
            model's probability of the target class at the source row.

        Returns
        -------
        result : CounterfactualResult
        """
        check_is_fitted(self, "X_ref_")
        if not hasattr(model, "predict_proba"):
            raise TypeError(
                "The model must implement predict_proba to be searched for "
                f"counterfactuals. Got {type(model).__name__} instead."
            )
        start = time.perf_counter()
        Z = self._check_X(X)
        y = column_or_1d(y, warn=True)
        if y.shape[0] != Z.shape[0]:
            raise ValueError(
                "X and y must have the same number of rows. Got "
                f"{Z.shape[0]} and {y.shape[0]} instead."
            )
        classes = np.asarray(model.classes_)
        unknown = np.setdiff1d(np.unique(y), classes) if y.size else []
        if len(unknown):
            raise ValueError(
                f"Target classes {list(unknown)} are not classes of the model "
                f"(model.classes_ = {list(classes)}). Pass labels the model was "
                "fitted on."
            )
        oracle = _CountingModel(
            model, self._columns(), self._dtypes, self._array_dtype
        )
        target_index = np.searchsorted(classes, y) if y.size else np.zeros(0, int)
        if Z.shape[0] == 0:
            return self._empty_result(X, y, oracle, start)

        initial = oracle.predict_proba(Z)[np.arange(Z.shape[0]), target_index]
        if confidence is None:
            target = quintessential_target(initial, self.alpha)
        else:
            target = np.broadcast_to(np.asarray(confidence, dtype=float), initial.shape)
            if np.any((target < 0) | (target > 1)) or np.any(np.isnan(target)):
                raise ValueError(
                    "confidence must be a probability in [0, 1]. Got values "
                    f"from {target.min()} to {target.max()} instead."
                )
        already = initial >= target
        Z_cf = self._search(oracle, Z, target_index, target, already)
        achieved = oracle.predict_proba(Z_cf)[np.arange(Z.shape[0]), target_index]
        success = achieved >= target - 1e-12
        return CounterfactualResult(
            X=self._restore(Z_cf, X),
            success=success,
            target_class=y,
            target=target,
            initial=initial,
            achieved=achieved,
            already_at_target=already,
            distance=np.abs((Z_cf - Z) / self.scale_).sum(axis=1),
            n_model_calls=oracle.n_calls,
            n_rows_evaluated=oracle.n_rows,
            model_time=oracle.time,
            search_time=time.perf_counter() - start,
        )

    @abstractmethod
    def _search(self, oracle, Z, target_index, target, already):
        """Return counterfactual rows for ``Z`` (float matrix, same shape)."""

    # -------------------------------------------------------------- helpers
    def _columns(self):
        return None if self.feature_names_in_ is None else list(self.feature_names_in_)

    def _check_X(self, X):
        Z = check_array(X, dtype=np.float64, ensure_min_samples=0, input_name="X")
        if Z.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {Z.shape[1]} features, but {type(self).__name__} was "
                f"fitted with {self.n_features_in_} features. Pass rows of the "
                "feature space the search was fitted on."
            )
        return Z

    def _restore(self, Z, X_like):
        """Return ``Z`` in the form of ``X_like`` (DataFrame columns and dtypes)."""
        columns = getattr(X_like, "columns", None)
        if columns is None:
            return Z
        import pandas as pd

        frame = pd.DataFrame(Z, columns=columns, index=X_like.index)
        return frame.astype(X_like.dtypes.to_dict())

    def _project(self, Z):
        """Clip to the observed ranges and round integer features."""
        Z = np.clip(Z, self.min_, self.max_)
        Z[:, self.is_integer_] = np.round(Z[:, self.is_integer_])
        return Z

    def _empty_result(self, X, y, oracle, start):
        empty = np.zeros(0)
        return CounterfactualResult(
            X=self._restore(np.zeros((0, self.n_features_in_)), X),
            success=np.zeros(0, dtype=bool),
            target_class=y,
            target=empty,
            initial=empty,
            achieved=empty,
            already_at_target=np.zeros(0, dtype=bool),
            distance=empty,
            n_model_calls=0,
            n_rows_evaluated=0,
            model_time=0.0,
            search_time=time.perf_counter() - start,
        )


@validate_params({"X": ["array-like"]}, prefer_skip_nested_validation=True)
def feature_scale(X):
    """Robust per-feature scale: MAD, falling back to std, then to 1.

    The median absolute deviation is multiplied by 1.4826 so that it matches
    the standard deviation on normal data.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)

    Returns
    -------
    scale : ndarray of shape (n_features,)
        Strictly positive scales.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.counterfactual import feature_scale
    >>> feature_scale(np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [3.0, 1.0]]))
    array([1.4826, 1.    ])
    """
    X = np.asarray(X, dtype=float)
    if X.shape[0] == 0:
        return np.ones(X.shape[1])
    mad = 1.4826 * np.median(np.abs(X - np.median(X, axis=0)), axis=0)
    std = X.std(axis=0)
    return np.where(mad > 0, mad, np.where(std > 0, std, 1.0))

