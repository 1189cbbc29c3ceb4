"""A virtual instance beside the row it was searched from."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from .._site_column import drop_site_column
from ..utils import aligned_proba, take
from ._plot import axes, check_fitted_ensemble

__all__ = ["CounterfactualDisplay"]


def _values(row):
    """One row (a 1-row frame or array) as a 1d object array."""
    if hasattr(row, "iloc"):
        return row.iloc[0].to_numpy(dtype=object)
    return np.asarray(row, dtype=object).reshape(-1)


def _names(X, columns, n):
    if hasattr(X, "columns"):
        keys = list(X.columns) if columns is None else list(columns)
        return [str(k) for k in keys]
    keys = range(n) if columns is None else columns
    return [f"x{k}" for k in keys]


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, bool
    )


def _confidence(model, row, target, classes):
    """The teacher's probability of ``target`` on ``row`` (a prediction for a
    regressor)."""
    if classes is None:
        return float(np.asarray(model.predict(row), dtype=float).ravel()[0])
    proba = aligned_proba(model, row, classes)
    return float(proba[0, list(classes).index(target)])


class CounterfactualDisplay:
    """A virtual instance beside its source row: what changed, and the
    teacher's confidence before and after.

    Bars show each changed feature's move in units of its spread on the
    fit's rows (numeric columns; a changed category counts 1); each bar's
    label gives the values before and after. Build it with
    :meth:`from_estimator`; :meth:`plot` draws it. Read more in the
    :ref:`User Guide <inspection>`.

    Parameters
    ----------
    source : ndarray of shape (n_features,)
        The row the search started from (the student's columns).
    counterfactual : ndarray of shape (n_features,)
        The virtual instance.
    feature_names : list of str
        Names of the features.
    scale : ndarray of shape (n_features,), default=None
        Spread of each feature; None: 1.
    before, after : float, default=None
        The teacher's probability of the row's class (a prediction for a
        regressor) on the source row and on the virtual instance.
    target : object, default=None
        The row's class (or value).
    teacher, student : str, default=None
        Who taught whom.
    max_features : int, default=10
        The most changed features shown.
    output_name : str, default=None
        What ``before`` and ``after`` are, for the title; None:
        ``"P(<target>)"``, the probability of the row's class.

    Attributes
    ----------
    bars_ : matplotlib BarContainer
        One bar per changed feature shown.
    changed_ : list of str
        Names of the changed features, most changed first.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skcoop.inspection import CounterfactualDisplay
    >>> display = CounterfactualDisplay(
    ...     np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 2.0]), ["a", "b", "c"],
    ...     before=0.6, after=0.8, target=1,
    ... ).plot()
    >>> display.changed_
    ['c', 'b']
    """

    def __init__(
        self,
        source,
        counterfactual,
        feature_names,
        *,
        scale=None,
        before=None,
        after=None,
        target=None,
        teacher=None,
        student=None,
        max_features=10,
        output_name=None,
    ):
        self.source = source
        self.counterfactual = counterfactual
        self.feature_names = feature_names
        self.scale = scale
        self.before = before
        self.after = after
        self.target = target
        self.teacher = teacher
        self.student = student
        self.max_features = max_features
        self.output_name = output_name

    @classmethod
    def from_estimator(
        cls, estimator, X, *, student=None, index=0, max_features=10, ax=None
    ):
        """The ``index``-th virtual instance a student received, drawn.

        Parameters
        ----------
        estimator : CooperativeDistillationEnsemble or CooperativeDistillationRegressor
            A fitted ensemble.
        X : array-like or DataFrame of shape (n_samples, n_features)
            The rows the ensemble was fitted on (the source rows are looked
            up by ``virtual_instances_[student].source_index``).
        student : str, default=None
            The student; None: the first that received a virtual instance.
        index : int, default=0
            Which of the student's virtual instances.
        max_features : int, default=10
            The most changed features shown.
        ax : matplotlib Axes, default=None
            Axes to draw on; None: a new figure.

        Returns
        -------
        display : CounterfactualDisplay

        Notes
        -----
        The confidence is that of the teacher before distillation
        (``named_initial_estimators_``: the teacher of round 1, refitted on
        all its rows when the ensemble has an ``acceptance`` step); columns
        the teacher has and the student lacks keep the source row's values.
        """
        check_fitted_ensemble(
            estimator,
            ["virtual_instances_", "named_initial_estimators_"],
            "CounterfactualDisplay",
        )
        virtual = estimator.virtual_instances_
        if student is None:
            student = next((n for n, v in virtual.items() if len(v.y)), None)
            if student is None:
                raise ValueError(
                    "No member received a virtual instance in this fit, so there "
                    "is no counterfactual to show."
                )
        if student not in virtual:
            raise ValueError(
                f"student must be one of {list(virtual)}. Got {student!r} instead."
            )
        v = virtual[student]
        if not 0 <= index < len(v.y):
            raise ValueError(
                f"index must be in [0, {len(v.y) - 1}] ({student!r} received "
                f"{len(v.y)} virtual instances). Got {index!r} instead."
            )
        X = drop_site_column(
            X, getattr(estimator, "site_column", None), estimator.n_features_in_
        )
        columns = estimator.member_columns_
        full = take(X, [int(v.source_index[index])])
        source = _values(take(full, columns=columns[student]))
        counterfactual = _values(take(v.X, [index]))
        teacher = str(v.teacher[index])
        model = estimator.named_initial_estimators_[teacher]
        # the virtual row as the teacher sees it: the source row with the
        # student's columns replaced
        seen = full.copy() if hasattr(full, "iloc") else np.array(full, dtype=object)
        student_keys = _column_keys(X, columns[student])
        if hasattr(seen, "iloc"):
            for key, value in zip(student_keys, counterfactual):
                seen.loc[seen.index[0], key] = value
        else:
            seen[0, student_keys] = counterfactual
            seen = seen.astype(np.asarray(X).dtype)
        classes = getattr(estimator, "classes_", None)
        target = v.y[index]
        before = _confidence(
            model, take(full, columns=columns[teacher]), target, classes
        )
        after = _confidence(
            model, take(seen, columns=columns[teacher]), target, classes
        )
        spread = take(X, columns=columns[student])
        display = cls(
            source,
            counterfactual,
            _names(X, columns[student], len(source)),
            scale=_spread(spread),
            before=before,
            after=after,
            target=target,
            teacher=teacher,
            student=student,
            max_features=max_features,
            output_name=None
            if classes is not None
            else f"prediction (y = {target:.4g})",
        )
        return display.plot(ax=ax)

    def plot(self, *, ax=None):
        """Draw the changed features.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None: a new figure.

        Returns
        -------
        display : CounterfactualDisplay
            This display, with ``bars_``, ``changed_``, ``ax_`` and
            ``figure_``.
        """
        fig, ax = axes(ax, "CounterfactualDisplay.plot")
        source = np.asarray(self.source, dtype=object)
        cf = np.asarray(self.counterfactual, dtype=object)
        scale = (
            np.ones(len(source))
            if self.scale is None
            else np.asarray(self.scale, float)
        )
        moves = []
        for j, (a, b) in enumerate(zip(source, cf)):
            if _is_number(a) and _is_number(b):
                delta = float(b) - float(a)
                if not np.isclose(delta, 0.0, atol=1e-12):
                    unit = scale[j] if scale[j] > 0 else 1.0
                    moves.append((j, delta / unit, f"{float(a):.3g} -> {float(b):.3g}"))
            elif a != b:
                moves.append((j, 1.0, f"{a} -> {b}"))
        moves.sort(key=lambda t: (-abs(t[1]), t[0]))
        moves = moves[: self.max_features]
        self.changed_ = [str(self.feature_names[j]) for j, _, _ in moves]
        positions = np.arange(len(moves))[::-1]
        self.bars_ = ax.barh(
            positions,
            [m for _, m, _ in moves],
            color=["tab:orange" if m > 0 else "tab:blue" for _, m, _ in moves],
        )
        ax.set_yticks(
            positions,
            [f"{name}: {text}" for name, (_, _, text) in zip(self.changed_, moves)],
        )
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_xlabel("change (in units of the feature's spread)")
        who = ""
        if self.teacher is not None:
            who = f"{self.teacher} -> {self.student}: "
        title = f"{who}{len(moves)} feature(s) changed"
        if self.before is not None and self.after is not None:
            what = self.output_name or (
                "P(class)" if self.target is None else f"P({self.target})"
            )
            title += f"\nteacher's {what}: {self.before:.3f} -> {self.after:.3f}"
        ax.set_title(title)
        self.ax_, self.figure_ = ax, fig
        return self


def _column_keys(X, columns):
    """Positions (arrays) or names (frames) of a member's columns in ``X``."""
    if columns is None:
        return list(X.columns) if hasattr(X, "columns") else list(range(X.shape[1]))
    return list(columns)


def _spread(X):
    """Standard deviation of each numeric column (1 for others, or 0-spread)."""
    values = X.to_numpy(dtype=object) if hasattr(X, "iloc") else np.asarray(X, object)
    out = np.ones(values.shape[1])
    for j in range(values.shape[1]):
        try:
            col = values[:, j].astype(float)
        except (TypeError, ValueError):
            continue
        sd = np.nanstd(col)
        out[j] = sd if sd > 0 else 1.0
    return out
