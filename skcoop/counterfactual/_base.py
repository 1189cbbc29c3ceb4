"""Search interface shared by every counterfactual backend.

A search is fitted on the teacher's own rows (``fit(X_ref, y_ref)``), which
teaches it the scale, range and type of each feature, its one-hot groups and
gives it reference rows per class; ``generate(model, X, y)`` then returns one
counterfactual per row of ``X``, all rows searched together.
"""

# SPDX-License-Identifier: BSD-3-Clause

import difflib
import sys
import time
from abc import abstractmethod
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, is_regressor
from sklearn.utils import Bunch
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from ..utils import feature_scale, needs_tabular
from ._goal import Goal, SearchContext
from ._tabular import _TabularEncoder

__all__ = [
    "BaseCounterfactualSearch",
    "CounterfactualResult",
    "feature_scale",
    "quintessential_target",
]


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
        Class whose probability the search raised (classification); None for
        regression.
    target : ndarray of shape (n_samples,)
        Probability of ``target_class`` to reach (classification) or target
        value (regression).
    target_interval : ndarray of shape (n_samples, 2)
        Output interval that counts as success: ``[target, inf]`` for
        classification, ``[target - tolerance, target + tolerance]`` (or the
        interval asked for) for regression.
    initial : ndarray of shape (n_samples,)
        Model output at the source rows (probability of ``target_class``, or
        the prediction for regression).
    achieved : ndarray of shape (n_samples,)
        Model output at the counterfactual rows.
    already_at_target : ndarray of shape (n_samples,), dtype=bool
        Source rows that met the target before any search; the search still
        moves them (see ``min_step``) so that a counterfactual never repeats
        its source row.
    distance : ndarray of shape (n_samples,)
        L1 distance between source and counterfactual in scaled units (each
        feature divided by the search's ``scale_``).
    n_changed : ndarray of shape (n_samples,)
        Number of features whose value differs from the source row.
    n_model_calls : int
        Number of calls to the model's ``predict_proba``/``predict`` (for the
        gradient backend, forward passes, with or without gradients).
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

    @property
    def n_already_at_target(self):
        """Number of source rows that met their target before the search."""
        return int(np.sum(self["already_at_target"]))

    def summary(self):
        """Counts and costs of the batch, as a plain dict (for reports).

        Returns
        -------
        summary : dict
            ``n``, ``n_success``, ``n_already_at_target`` (and how many of
            those succeeded: ``n_already_success``), ``n_unchanged`` (rows
            returned equal to their source), ``validity``, ``median_distance``,
            ``median_changed``, ``n_model_calls``, ``n_rows_evaluated``,
            ``model_time``, ``search_time``.
        """
        n = len(self)
        already = np.asarray(self["already_at_target"], dtype=bool)
        success = np.asarray(self["success"], dtype=bool)
        changed = np.asarray(self["n_changed"])
        return {
            "n": n,
            "n_success": int(success.sum()),
            "n_already_at_target": int(already.sum()),
            "n_already_success": int((already & success).sum()),
            "n_unchanged": int((changed == 0).sum()),
            "validity": float(success.mean()) if n else float("nan"),
            "median_distance": float(np.median(self["distance"]))
            if n
            else float("nan"),
            "median_changed": float(np.median(changed)) if n else float("nan"),
            "n_model_calls": int(self["n_model_calls"]),
            "n_rows_evaluated": int(self["n_rows_evaluated"]),
            "model_time": float(self["model_time"]),
            "search_time": float(self["search_time"]),
        }


def quintessential_target(initial, alpha, true=1.0):
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
    true : float or array-like of shape (n_samples,), default=1.0
        The true output: 1 for the probability of the true class, the true
        value for regression.

    Returns
    -------
    target : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from skcoop.counterfactual import quintessential_target
    >>> quintessential_target([0.6, 0.9, 1.0], alpha=0.5)
    array([0.8 , 0.95, 1.  ])
    >>> quintessential_target([10.0, 4.0], alpha=0.5, true=[12.0, 0.0])
    array([11.,  2.])
    """
    initial = np.asarray(initial, dtype=float)
    return initial + alpha * (np.asarray(true, dtype=float) - initial)


def _is_torch_model(model):
    """Whether ``model`` is a torch module or a skorch net (never imports torch)."""
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(model, torch.nn.Module):
        return True
    skorch = sys.modules.get("skorch")
    return skorch is not None and isinstance(model, skorch.NeuralNet)


def _safe_is_regressor(model):
    """``is_regressor`` that also answers for objects without sklearn tags."""
    try:
        return is_regressor(model)
    except (AttributeError, TypeError):
        return bool(getattr(model, "regression", False))


class _CountingModel:
    """Wraps a fitted model: counts calls, rows and time, restores the input form.

    The search works on a float matrix; the model is called with what it was
    fitted on (a DataFrame with the reference columns when the reference rows
    were a DataFrame).
    """

    def __init__(self, model, columns=None, dtypes=None, decode=None):
        self.model = model
        self.decode = decode
        self.columns = None
        self.cast = None
        if columns is not None:
            import pandas as pd

            self.columns = pd.Index(columns)
            if dtypes is not None:
                self.cast = {c: t for c, t in dtypes.items() if t != np.float64} or None
        self.n_calls = 0
        self.n_rows = 0
        self.time = 0.0

    def to_input(self, Z):
        if self.decode is not None:
            return self.decode(Z)
        if self.columns is None:
            return Z
        import pandas as pd

        frame = pd.DataFrame(Z, columns=self.columns, copy=False)
        if self.cast is not None:
            frame = frame.astype(self.cast)
        return frame

    def record(self, n_rows, seconds):
        """Count a model evaluation made outside ``predict``/``predict_proba``."""
        self.n_calls += 1
        self.n_rows += int(n_rows)
        self.time += seconds

    def _call(self, method, Z):
        X = self.to_input(Z)
        start = time.perf_counter()
        out = getattr(self.model, method)(X)
        self.record(Z.shape[0], time.perf_counter() - start)
        return np.asarray(out, dtype=float)

    def predict_proba(self, Z):
        return self._call("predict_proba", Z)

    def predict(self, Z):
        return self._call("predict", Z).reshape(Z.shape[0], -1)[:, 0]


_SHARED_PARAMS_DOC = """
    alpha : float, default=0.5
        Quintessential step used when ``generate`` gets no explicit target:
        the target output is ``f(x) + alpha * (y - f(x))``.
    min_step : float, default=0.1
        Rows already at their target (for example a forest's probability of
        exactly 1) are not left where they are: the counterfactual is the
        point ``min_step`` of the way toward the nearest reference row of the
        target class that meets the target (or the nearest point past it on
        that segment that meets the target), like SMOTE interpolation, so it
        is informative and never a copy of its source row.
    immutable : array-like of int, str or bool, default=None
        Features the search never changes: column indices, column names (when
        ``fit`` got a DataFrame), or a boolean mask.
    one_hot_groups : "auto", list of lists or None, default="auto"
        Columns that together one-hot encode a category; a counterfactual keeps
        exactly one of them at 1. ``"auto"`` detects runs of adjacent 0/1
        columns that sum to 1 on every reference row; a list gives the groups
        (indices or names); None treats every column on its own.
    feature_range : "observed", None or tuple, default="observed"
        Box the counterfactuals stay in: ``"observed"`` is the range of the
        reference rows, None is unbounded, ``(lower, upper)`` gives scalars or
        per-feature arrays. A source row's own value is always allowed.
    scale : "mad", "std" or array-like of shape (n_features,), default="mad"
        Unit of each feature in the L1 distance the search minimises:
        ``"mad"`` is the median absolute deviation of the reference rows
        (times 1.4826), falling back to the standard deviation where it is
        zero; ``"std"`` the standard deviation; or given scales.
"""


class BaseCounterfactualSearch(BaseEstimator):
    """Base class for quintessential-counterfactual searches.

    Subclasses implement :meth:`_search`; this class validates inputs, learns
    feature statistics in :meth:`fit`, sets targets and checks results.

    Parameters
    ----------
    {shared}
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "min_step": [Interval(Real, 0, 1, closed="both")],
        "immutable": ["array-like", None],
        "one_hot_groups": [StrOptions({"auto"}), list, None],
        "feature_range": [StrOptions({"observed"}), tuple, None],
        "scale": [StrOptions({"mad", "std"}), "array-like"],
    }

    @abstractmethod
    def __init__(
        self,
        *,
        alpha=0.5,
        min_step=0.1,
        immutable=None,
        one_hot_groups="auto",
        feature_range="observed",
        scale="mad",
    ):
        self.alpha = alpha
        self.min_step = min_step
        self.immutable = immutable
        self.one_hot_groups = one_hot_groups
        self.feature_range = feature_range
        self.scale = scale

    # ------------------------------------------------------------------ fit
    def fit(self, X_ref, y_ref=None):
        """Learn feature scales, ranges and types, and keep the reference rows.

        Parameters
        ----------
        X_ref : array-like of shape (n_samples, n_features)
            Rows the teacher owns (or any rows of the teacher's feature space).
            A DataFrame may hold categorical (object, string, category),
            boolean and missing values: the search then works on the raw
            columns (see :ref:`tabular`), and the model is always called
            with DataFrames of these columns and dtypes.
        y_ref : array-like of shape (n_samples,), default=None
            Their labels (classification) or values (regression); used to
            pick reference rows of the target class.

        Returns
        -------
        self : object
            The fitted search.
        """
        self._validate_params()
        columns = getattr(X_ref, "columns", None)
        self.feature_names_in_ = (
            None if columns is None else np.asarray(columns, dtype=object)
        )
        self._dtypes = None if columns is None else X_ref.dtypes
        self._tabular = None
        if needs_tabular(X_ref):
            self._tabular = _TabularEncoder().fit(X_ref)
            X, _ = self._tabular.transform(X_ref)
            if X.shape[0] == 0:
                raise ValueError("X_ref has 0 rows; the search needs reference rows.")
        else:
            X = check_array(X_ref, dtype=np.float64, input_name="X_ref")
        self.n_features_in_ = X.shape[1] if self._tabular is None else X_ref.shape[1]
        self.X_ref_ = X
        self.y_ref_ = None if y_ref is None else column_or_1d(y_ref, warn=True)
        if self.y_ref_ is not None and self.y_ref_.shape[0] != X.shape[0]:
            raise ValueError(
                "X_ref and y_ref must have the same number of rows. Got "
                f"{X.shape[0]} and {self.y_ref_.shape[0]} instead."
            )
        self.column_scale_ = self._scales(X)
        self.scale_ = self.column_scale_
        if self._tabular is not None:
            self.scale_ = self._tabular.encoded_scale(self.column_scale_)
        self.min_ = X.min(axis=0)
        self.max_ = X.max(axis=0)
        self.lower_, self.upper_ = self._bounds()
        self.is_integer_ = np.all(X == np.round(X), axis=0)
        n_unique = np.array([np.unique(col).size for col in X.T])
        self.is_binary_ = self.is_integer_ & (n_unique <= 2)
        self.immutable_ = self._immutable_mask()
        self.one_hot_groups_ = self._groups()
        return self

    def _scales(self, X):
        """One scale per input column (numeric unit; 1 per category change)."""
        tab = self._tabular
        if isinstance(self.scale, str):
            if self.scale == "mad":
                scale = feature_scale(X)
            else:
                std = X.std(axis=0)
                scale = np.where(std > 0, std, 1.0)
            return scale if tab is None else tab.column_scale(scale)
        scale = np.asarray(self.scale, dtype=float)
        d = self.n_features_in_
        if scale.shape != (d,) or not np.all(np.isfinite(scale) & (scale > 0)):
            raise ValueError(
                "scale must be 'mad', 'std' or one positive finite value per feature "
                f"({d}). Got shape {scale.shape}."
            )
        return scale.copy()

    def _bounds(self):
        lower, upper = self._raw_bounds()
        if self._tabular is not None:
            lower, upper = self._tabular.encoded_bounds(
                lower, upper, self.min_, self.max_
            )
        return lower, upper

    def _raw_bounds(self):
        d = self.n_features_in_
        if self.feature_range is None:
            return np.full(d, -np.inf), np.full(d, np.inf)
        if isinstance(self.feature_range, str):
            if self._tabular is not None:
                return None, None
            return self.min_.copy(), self.max_.copy()
        if len(self.feature_range) != 2:
            raise ValueError(
                "feature_range must be 'observed', None or a (lower, upper) "
                f"tuple. Got a tuple of length {len(self.feature_range)}."
            )
        lower, upper = (
            np.broadcast_to(np.asarray(b, dtype=float), (d,)).copy()
            for b in self.feature_range
        )
        if np.any(lower > upper):
            raise ValueError(
                "feature_range lower bounds must not exceed upper bounds; got "
                f"lower > upper for features {np.flatnonzero(lower > upper).tolist()}."
            )
        return lower, upper

    def _column_indices(self, columns, what):
        """Indices of ``columns`` (ints, names or a boolean mask)."""
        d = self.n_features_in_
        columns = np.asarray(columns)
        if columns.dtype == bool:
            if columns.shape != (d,):
                raise ValueError(
                    f"A boolean {what} mask must have one entry per feature "
                    f"({d}). Got shape {columns.shape}."
                )
            return np.flatnonzero(columns)
        columns = columns.ravel()
        if columns.size == 0:
            return np.zeros(0, dtype=int)
        if columns.dtype.kind in "iu":
            bad = columns[(columns < -d) | (columns >= d)]
            if bad.size:
                raise ValueError(
                    f"{what} column indices must be in [0, {d}). Got {bad.tolist()}."
                )
            return np.unique(columns % d)
        names = self.feature_names_in_
        if names is None:
            raise ValueError(
                f"{what} given by name needs fit(X_ref) with a DataFrame; got an "
                "array without column names. Pass column indices instead."
            )
        lookup = {name: i for i, name in enumerate(names)}
        indices = []
        for name in columns.tolist():
            if name not in lookup:
                close = difflib.get_close_matches(str(name), map(str, names), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"{what} column {name!r} is not a feature.{hint}")
            indices.append(lookup[name])
        return np.unique(indices)

    def _immutable_mask(self):
        mask = np.zeros(self.X_ref_.shape[1], dtype=bool)
        columns = np.zeros(0, dtype=int)
        if self.immutable is not None:
            columns = self._column_indices(self.immutable, "immutable")
        if self._tabular is not None:
            columns = self._tabular.encoded_columns(columns)
            mask[self._tabular.hold_cols] = True  # held values never move
        mask[columns] = True
        return mask

    def _groups(self):
        if self.one_hot_groups is None:
            return []
        tab = self._tabular
        if isinstance(self.one_hot_groups, str):
            if tab is None:
                return _detect_one_hot_groups(self.X_ref_, self.is_binary_)
            found = _detect_one_hot_groups(self.X_ref_, self.is_binary_ & tab.plain)
            return sorted(tab.groups + found, key=lambda g: g[0])
        groups = [
            self._column_indices(g, "one_hot_groups") for g in self.one_hot_groups
        ]
        if tab is not None:
            groups = [tab.plain_columns(g, "one_hot_groups") for g in groups]
        seen = np.concatenate(groups) if groups else np.zeros(0, int)
        if np.unique(seen).size != seen.size:
            raise ValueError("one_hot_groups must not share columns.")
        groups = [g for g in groups if g.size >= 2]
        if tab is not None:
            groups = sorted(tab.groups + groups, key=lambda g: g[0])
        return groups

    # ------------------------------------------------------------- generate
    def generate(self, model, X, y, *, confidence=None, target=None, tolerance=None):
        """Find a quintessential counterfactual for every row of ``X``.

        Classifiers (anything with ``predict_proba`` and ``classes_``, skorch
        nets and torch modules returning logits) raise the probability of the
        class ``y``; regressors (``sklearn.base.is_regressor``) move the
        prediction toward ``y``.

        Parameters
        ----------
        model : fitted classifier or regressor
            The teacher.
        X : array-like of shape (n_samples, n_features)
            Source rows, in the feature space the search was fitted on (a
            DataFrame with the same columns when ``fit`` got one with
            categorical, boolean or missing values; a missing value, or a
            category ``X_ref`` never showed, is held fixed in its row).
        y : array-like of shape (n_samples,)
            Classification: target class of each row (for cooperative
            distillation the true label; for a class flip another class), one
            of ``model.classes_``. Regression: the true value of each row.
        confidence : float or array-like of shape (n_samples,), default=None
            Classification: probability of the target class to reach. By
            default the quintessential target ``p + alpha * (1 - p)`` where
            ``p`` is the model's probability of the target class at the row.
        target : array-like of shape (n_samples,) or (n_samples, 2), default=None
            Regression: target value per row, or an interval ``[low, high]``
            per row. By default the quintessential target
            ``f(x) + alpha * (y - f(x))``.
        tolerance : float or array-like of shape (n_samples,), default=None
            Regression: half-width of the success interval around a target
            value. By default ``alpha / 2 * |y - f(x)|`` (the prediction must
            land between a quarter and three quarters of the way to ``y`` for
            ``alpha=0.5``), and at least 1% of the scale of ``y_ref`` (or of
            ``|y|`` without ``y_ref``).

        Returns
        -------
        result : CounterfactualResult
        """
        check_is_fitted(self, "X_ref_")
        start = time.perf_counter()
        self._check_raw_model(model)
        model = self._check_model(model)
        regression = _safe_is_regressor(model)
        self._check_methods(model, regression)
        Z, held = self._check_X(X)
        y = column_or_1d(y, warn=True)
        if y.shape[0] != Z.shape[0]:
            raise ValueError(
                "X and y must have the same number of rows. Got "
                f"{Z.shape[0]} and {y.shape[0]} instead."
            )
        oracle = _CountingModel(
            model, self._columns(), self._dtypes, decode=self._decoder(X, held)
        )
        if regression:
            y = np.asarray(y, dtype=float)
            if not np.all(np.isfinite(y)):
                raise ValueError(
                    "y contains NaN or infinity; pass finite target values."
                )
            if confidence is not None:
                raise ValueError(
                    "confidence is for classifiers; pass target= for regressors."
                )
            goal = self._regression_goal(oracle, Z, y, target, tolerance)
        else:
            if target is not None or tolerance is not None:
                raise ValueError(
                    "target= and tolerance= are for regressors; pass confidence= "
                    "for classifiers."
                )
            goal = self._classification_goal(oracle, Z, y, confidence)
        if Z.shape[0] == 0:
            Z_cf = Z
        else:
            context = SearchContext(self, oracle, Z, goal)
            Z_cf = self._search(context)
        if self._tabular is not None:
            Z_cf = self._tabular.reset_held(Z, Z_cf)
            n_changed = self._tabular.raw_changed(Z, Z_cf)
        else:
            n_changed = (Z_cf != Z).sum(axis=1)
        achieved = goal.output(oracle, Z_cf) if Z.shape[0] else np.zeros(0)
        return CounterfactualResult(
            X=self._restore(Z_cf, X, held),
            success=goal.valid(achieved),
            target_class=None if regression else y,
            target=goal.target,
            target_interval=np.column_stack([goal.lower, goal.upper]),
            initial=goal.initial,
            achieved=achieved,
            already_at_target=goal.already,
            distance=np.abs((Z_cf - Z) / self.scale_).sum(axis=1),
            n_changed=n_changed,
            n_model_calls=oracle.n_calls,
            n_rows_evaluated=oracle.n_rows,
            model_time=oracle.time,
            search_time=time.perf_counter() - start,
        )

    @abstractmethod
    def _search(self, context):
        """Return counterfactual rows (float matrix shaped like ``context.X``)."""

    # ---------------------------------------------------------------- goals
    def _classification_goal(self, oracle, Z, y, confidence):
        classes = np.asarray(oracle.model.classes_)
        unknown = np.setdiff1d(np.unique(y), classes) if y.size else []
        if len(unknown):
            raise ValueError(
                f"Target classes {list(unknown)} are not classes of the model "
                f"(model.classes_ = {list(classes)}). Pass labels the model was "
                "fitted on."
            )
        index = np.searchsorted(classes, y) if y.size else np.zeros(0, int)
        if y.size:
            initial = oracle.predict_proba(Z)[np.arange(Z.shape[0]), index]
        else:
            initial = np.zeros(0)
        if confidence is None:
            target = quintessential_target(initial, self.alpha)
        else:
            target = np.asarray(confidence, dtype=float)
            if target.ndim > 1 or (target.ndim == 1 and target.shape != initial.shape):
                raise ValueError(
                    "confidence must be a float or one value per row of X. Got "
                    f"shape {target.shape} for {initial.shape[0]} rows."
                )
            target = np.broadcast_to(target, initial.shape).copy()
            if np.any(np.isnan(target)):
                raise ValueError("confidence must be a probability in [0, 1]; got NaN.")
            if np.any((target < 0) | (target > 1)):
                raise ValueError(
                    "confidence must be a probability in [0, 1]. Got values "
                    f"from {target.min()} to {target.max()} instead."
                )
        return Goal(
            initial=initial,
            target=target,
            lower=target - 1e-12,
            upper=np.full(target.shape, np.inf),
            class_index=index,
            classes=classes,
            labels=y,
        )

    def _regression_goal(self, oracle, Z, y, target, tolerance):
        initial = oracle.predict(Z) if Z.shape[0] else np.zeros(0)
        if target is None:
            center = quintessential_target(initial, self.alpha, true=y)
            if tolerance is None:
                floor = self._y_floor(y)
                tolerance = np.maximum(0.5 * self.alpha * np.abs(y - initial), floor)
            half = np.broadcast_to(np.asarray(tolerance, dtype=float), center.shape)
            lower, upper = center - half, center + half
        else:
            target = np.asarray(target, dtype=float)
            if target.ndim == 2 and target.shape == (Z.shape[0], 2):
                if tolerance is not None:
                    raise ValueError(
                        "Pass tolerance= with target values, not intervals."
                    )
                lower, upper = target[:, 0].copy(), target[:, 1].copy()
                center = 0.5 * (lower + upper)
            else:
                if target.ndim > 1 or (
                    target.ndim == 1 and target.shape != initial.shape
                ):
                    raise ValueError(
                        "target must be one value per row or an interval "
                        f"(n_samples, 2). Got shape {target.shape} for "
                        f"{initial.shape[0]} rows."
                    )
                center = np.broadcast_to(target, initial.shape).astype(float)
                if tolerance is None:
                    tolerance = self._y_floor(center)
                half = np.broadcast_to(np.asarray(tolerance, dtype=float), center.shape)
                lower, upper = center - half, center + half
        if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
            raise ValueError("Regression targets and tolerances must be finite.")
        if np.any(lower > upper):
            raise ValueError(
                "Regression target intervals need low <= high (tolerance >= 0)."
            )
        return Goal(initial=initial, target=center, lower=lower, upper=upper)

    def _y_floor(self, y):
        ref = self.y_ref_
        if ref is not None and ref.dtype.kind in "fiu" and ref.size:
            return 0.01 * float(feature_scale(np.asarray(ref, float)[:, None])[0])
        return 0.01 * np.maximum(np.abs(y), 1e-8)

    # -------------------------------------------------------------- helpers
    def _check_raw_model(self, model):
        """A torch model cannot take the raw columns of a mixed DataFrame."""
        if self._tabular is not None and _is_torch_model(model):
            raise TypeError(
                f"{type(model).__name__} takes numeric tensors, but the search was "
                "fitted on a DataFrame with categorical, boolean or missing "
                "values. Encode the columns first, or wrap the net in a Pipeline "
                "that encodes them (searched as a black box)."
            )

    def _check_model(self, model):
        """Return the model to call (torch models get an adapter)."""
        if _is_torch_model(model):
            from ._torch import TorchModel

            return TorchModel(model, n_features=self.n_features_in_)
        return model

    @staticmethod
    def _check_methods(model, regression):
        needed = ["predict"] if regression else ["predict_proba", "classes_"]
        missing = [m for m in needed if not hasattr(model, m)]
        if missing:
            kind = "regressor" if regression else "classifier"
            raise TypeError(
                f"The model must be a fitted {kind} with {' and '.join(needed)} to be "
                f"searched for counterfactuals; {type(model).__name__} has no "
                f"{', '.join(missing)}. Fit it first, or pass a model with "
                "probabilities (for SVC: CalibratedClassifierCV(SVC()))."
            )

    def _columns(self):
        return None if self.feature_names_in_ is None else list(self.feature_names_in_)

    def _check_X(self, X):
        """``(Z, held)``: the float rows and the held values (tabular mode)."""
        if self._tabular is not None:
            self._tabular.check_frame(X)
            return self._tabular.transform(X)
        if needs_tabular(X):
            raise ValueError(
                "X has categorical, boolean or missing values, but the search was "
                "fitted on numeric rows without them. Fit the search on a "
                "DataFrame with the same columns and dtypes (missing values "
                "included where they can occur)."
            )
        Z = check_array(X, dtype=np.float64, ensure_min_samples=0, input_name="X")
        if Z.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {Z.shape[1]} features, but {type(self).__name__} was "
                f"fitted with {self.n_features_in_} features. Pass rows of the "
                "feature space the search was fitted on."
            )
        return Z, None

    def _decoder(self, X, held):
        """Candidate rows -> model input (tabular mode: a DataFrame like ``X``)."""
        if self._tabular is None:
            return None
        tab, dtypes = self._tabular, X.dtypes
        return lambda Z: tab.inverse_transform(Z, held, dtypes=dtypes)

    def _restore(self, Z, X_like, held=None):
        """Return ``Z`` in the form of ``X_like`` (DataFrame columns and dtypes)."""
        if self._tabular is not None:
            return self._tabular.inverse_transform(
                Z, held, index=X_like.index, dtypes=X_like.dtypes
            )
        columns = getattr(X_like, "columns", None)
        if columns is None:
            return Z
        import pandas as pd

        frame = pd.DataFrame(Z, columns=columns, index=X_like.index)
        return frame.astype(X_like.dtypes.to_dict())


BaseCounterfactualSearch.__doc__ = BaseCounterfactualSearch.__doc__.replace(
    "{shared}", _SHARED_PARAMS_DOC.strip()
)


def _detect_one_hot_groups(X, is_binary):
    """Runs of adjacent 0/1 columns that sum to exactly 1 on every row."""
    d = X.shape[1]
    zero_one = is_binary & np.all((X == 0) | (X == 1), axis=0)
    groups = []
    j = 0
    while j < d:
        if not zero_one[j]:
            j += 1
            continue
        total = X[:, j].copy()
        k = j + 1
        found = None
        while k < d and zero_one[k] and np.all(total + X[:, k] <= 1):
            total += X[:, k]
            k += 1
            if np.all(total == 1):
                found = k
        if found is not None:
            groups.append(np.arange(j, found))
            j = found
        else:
            j += 1
    return groups


