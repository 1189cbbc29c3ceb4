"""Search interface shared by every counterfactual backend.

A search is fitted on the teacher's own rows (``fit(X_ref, y_ref)``), which
teaches it the scale, range and type of each feature, its one-hot groups and
gives it reference rows per class; ``generate(model, X, y)`` then returns one
counterfactual per row of ``X``, all rows searched together.
"""

# SPDX-License-Identifier: BSD-3-Clause

import difflib
import time
from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from ..utils import Substitution, feature_scale, needs_tabular, number
from ._chunks import check_output, search_in_chunks
from ._goal import Goal, raw_output
from ._model import (
    _CountingModel,
    _safe_is_regressor,
    check_methods,
    check_raw_model,
    model_to_call,
)
from ._result import CounterfactualResult, quintessential_target
from ._tabular import _TabularEncoder
from ._weights import reference_rows, tolerance_floor, weighted_scale, widen_edges

__all__ = ["BaseCounterfactualSearch"]


_SEARCH_PARAMS_DOC = """
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
""".strip()


@Substitution(search_params=_SEARCH_PARAMS_DOC)
class BaseCounterfactualSearch(BaseEstimator, metaclass=ABCMeta):
    """Base class for quintessential-counterfactual searches.

    Subclasses implement :meth:`_search`; this class validates inputs, learns
    feature statistics in :meth:`fit`, sets targets and checks results. It is
    abstract: instantiate a backend (:class:`BlackBoxSearch`,
    :class:`GradientSearch`, :class:`BisectionSearch`) or
    :func:`make_search`.

    Parameters
    ----------
    {search_params}
    """

    _parameter_constraints: dict = {
        "alpha": [number(0, 1)],
        "min_step": [number(0, 1)],
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
    def fit(self, X_ref, y_ref=None, sample_weight=None):
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
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the reference rows, meaning repetition: weighted
            scales, rows of weight 0 left out. A row that comes several
            times is one reference row, weighted by its count (see
            ``_weights.py``).

        Returns
        -------
        self : object
            The fitted search.
        """
        self._validate_params()
        X_ref, y_ref, weight = reference_rows(X_ref, y_ref, sample_weight)
        self._weight = weight
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
        weight = getattr(self, "_weight", None)
        if isinstance(self.scale, str):
            if weight is not None:
                scale = weighted_scale(X, weight, self.scale)
            elif self.scale == "mad":
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
    def generate(
        self,
        model,
        X,
        y,
        *,
        confidence=None,
        target=None,
        tolerance=None,
        initial_output=None,
        reference_output=None,
        progress=None,
    ):
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
        initial_output : array-like, default=None
            The model's output on ``X`` when the caller has it already (for
            example from judging who is right): ``predict_proba(X)`` of
            shape (n_samples, n_classes) for a classifier, ``predict(X)`` of
            shape (n_samples,) for a regressor. Saves one evaluation per row.
        reference_output : array-like, default=None
            The model's output on the reference rows ``X_ref`` given to
            ``fit``, in the same form. The anchors (nearest reference rows
            that meet a row's target) are then chosen without a model call.
        progress : callable, default=None
            Called with the number of rows finished after each chunk of rows.

        Returns
        -------
        result : CounterfactualResult
        """
        check_is_fitted(self, "X_ref_")
        start = time.perf_counter()
        check_raw_model(model, tabular=self._tabular is not None)
        model = self._check_model(model)
        regression = _safe_is_regressor(model)
        check_methods(model, regression)
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
        raw = check_output(initial_output, Z.shape[0], regression, "initial_output")
        ref_raw = check_output(
            reference_output, self.X_ref_.shape[0], regression, "reference_output"
        )
        n_initial = 0
        if raw is None and Z.shape[0]:
            raw, n_initial = raw_output(oracle, Z, regression), 1
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
            goal = self._regression_goal(raw, Z, y, target, tolerance)
        else:
            if target is not None or tolerance is not None:
                raise ValueError(
                    "target= and tolerance= are for regressors; pass confidence= "
                    "for classifiers."
                )
            goal = self._classification_goal(oracle, raw, Z, y, confidence)
        Z_cf, achieved, n_evaluations = search_in_chunks(
            self, oracle, Z, goal, raw, ref_raw, progress
        )
        n_evaluations += n_initial
        if self._tabular is not None:
            n_changed = self._tabular.raw_changed(Z, Z_cf)
        else:
            n_changed = (Z_cf != Z).sum(axis=1)
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
            n_evaluations=n_evaluations,
            n_model_calls=oracle.n_calls,
            n_rows_evaluated=oracle.n_rows,
            model_time=oracle.time,
            search_time=time.perf_counter() - start,
        )

    @abstractmethod
    def _search(self, context):
        """Return counterfactual rows (float matrix shaped like ``context.X``)."""

    # ---------------------------------------------------------------- goals
    def _classification_goal(self, oracle, raw, Z, y, confidence):
        classes = np.asarray(oracle.model.classes_)
        unknown = np.setdiff1d(np.unique(y), classes) if y.size else []
        if len(unknown):
            raise ValueError(
                f"Target classes {np.asarray(unknown).tolist()} are not classes of "
                f"the model (model.classes_ = {classes.tolist()}). Pass labels the "
                "model was "
                "fitted on."
            )
        index = np.searchsorted(classes, y) if y.size else np.zeros(0, int)
        if y.size:
            if raw.shape[1] != classes.size:
                raise ValueError(
                    "initial_output must have one column per class of the "
                    f"model ({classes.size}). Got {raw.shape[1]} columns instead."
                )
            initial = raw[np.arange(Z.shape[0]), index]
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

    def _regression_goal(self, raw, Z, y, target, tolerance):
        initial = raw if Z.shape[0] else np.zeros(0)
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
        lower, upper = widen_edges(lower, upper)
        return Goal(initial=initial, target=center, lower=lower, upper=upper)

    def _y_floor(self, y):
        return tolerance_floor(self.y_ref_, getattr(self, "_weight", None), y)

    # -------------------------------------------------------------- helpers
    def _check_model(self, model):
        """Return the model to call (torch models get an adapter)."""
        return model_to_call(model, self.n_features_in_)

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
