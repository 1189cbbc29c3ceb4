"""Member scores per round: alone, after each round, and pooled."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from sklearn.base import clone
from sklearn.metrics import check_scoring

from .._site_column import drop_site_column
from ..utils import take
from ._plot import axes, check_fitted_ensemble

__all__ = ["MemberScoresDisplay"]


def member_scores(estimator, models, X, y, scoring=None):
    """Score of each fitted member on its own columns of ``X``.

    ``models`` maps member names to fitted models (``named_estimators_`` or
    ``named_initial_estimators_``); ``X`` may hold the ``site_column``.
    """
    X = drop_site_column(
        X, getattr(estimator, "site_column", None), estimator.n_features_in_
    )
    columns = estimator.member_columns_
    scores = {}
    for name, model in models.items():
        scorer = check_scoring(model, scoring=scoring)
        scores[name] = float(scorer(model, take(X, columns=columns[name]), y))
    return scores


def _pooled_score(pooled, X, y, scoring):
    """A number, or the score of a fitted model on ``X``."""
    if pooled is None or isinstance(pooled, Real):
        return pooled
    return float(check_scoring(pooled, scoring=scoring)(pooled, X, y))


class MemberScoresDisplay:
    """Each member's score alone, after each round, and the pooled model's.

    Build it with :meth:`from_estimator` (the members alone and distilled)
    or :meth:`from_rounds` (one fit per number of rounds); :meth:`plot`
    draws it. Read more in the :ref:`User Guide <inspection>`.

    Parameters
    ----------
    scores : ndarray of shape (n_stages, n_members)
        ``scores[r, m]``: member ``m``'s score at stage ``r`` (stage 0: alone).
    member_names : list of str
        Names of the members.
    stage_names : list of str
        Names of the stages (``"alone"``, ``"round 1"``, ...).
    ensemble_scores : ndarray of shape (n_stages,), default=None
        The ensemble's own score at each stage.
    pooled_score : float, default=None
        The score of one model fitted on every row (drawn as a line).
    score_name : str, default="score"
        The y-axis label.

    Attributes
    ----------
    lines_ : dict of str -> matplotlib Line2D
        One line per member (and ``"ensemble"``).
    pooled_line_ : matplotlib Line2D or None
        The pooled model's score.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skcoop.inspection import MemberScoresDisplay
    >>> display = MemberScoresDisplay(
    ...     np.array([[0.7, 0.8], [0.75, 0.82]]), ["a", "b"], ["alone", "round 1"],
    ...     pooled_score=0.85,
    ... ).plot()
    >>> sorted(display.lines_)
    ['a', 'b']
    """

    def __init__(
        self,
        scores,
        member_names,
        stage_names,
        *,
        ensemble_scores=None,
        pooled_score=None,
        score_name="score",
    ):
        self.scores = scores
        self.member_names = member_names
        self.stage_names = stage_names
        self.ensemble_scores = ensemble_scores
        self.pooled_score = pooled_score
        self.score_name = score_name

    @classmethod
    def from_estimator(cls, estimator, X, y, *, scoring=None, pooled=None, ax=None):
        """Each member of a fitted ensemble alone and distilled, on ``X, y``.

        Parameters
        ----------
        estimator : CooperativeDistillationEnsemble or CooperativeDistillationRegressor
            A fitted ensemble.
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to score on (held out from the fit), with or without the
            ``site_column``.
        y : array-like of shape (n_samples,)
            Their targets.
        scoring : str or callable, default=None
            A scikit-learn scorer; None: each member's ``score``.
        pooled : float or fitted estimator, default=None
            The pooled model's score, or the pooled model (scored on ``X``).
        ax : matplotlib Axes, default=None
            Axes to draw on; None: a new figure.

        Returns
        -------
        display : MemberScoresDisplay
        """
        check_fitted_ensemble(
            estimator,
            ["named_initial_estimators_", "named_estimators_"],
            "MemberScoresDisplay",
        )
        alone = member_scores(
            estimator, estimator.named_initial_estimators_, X, y, scoring
        )
        after = member_scores(estimator, estimator.named_estimators_, X, y, scoring)
        names = list(estimator.named_estimators_)
        n = estimator.n_rounds
        scores = np.array([[alone[m] for m in names], [after[m] for m in names]])
        X_plain = drop_site_column(
            X, getattr(estimator, "site_column", None), estimator.n_features_in_
        )
        display = cls(
            scores,
            names,
            ["alone", f"distilled ({n} round{'s' if n != 1 else ''})"],
            pooled_score=_pooled_score(pooled, X_plain, y, scoring),
            score_name=_score_name(scoring),
        )
        return display.plot(ax=ax)

    @classmethod
    def from_rounds(
        cls,
        estimator,
        X,
        y,
        X_test,
        y_test,
        *,
        site=None,
        n_rounds=None,
        scoring=None,
        pooled=None,
        ax=None,
    ):
        """Members after 0, 1, ..., ``n_rounds`` rounds: one fit per count.

        Each stage is a clone of ``estimator`` fitted with that many rounds
        (the same ``random_state``), so the curve shows what each extra
        round changes. It costs ``n_rounds + 1`` fits.

        Parameters
        ----------
        estimator : CooperativeDistillationEnsemble or CooperativeDistillationRegressor
            The ensemble (fitted or not); it is cloned, never changed.
        X, y : array-like
            Training rows and targets.
        X_test, y_test : array-like
            Rows to score on and their targets.
        site : array-like of shape (n_samples,), default=None
            ``fit``'s ``site`` (None with a ``site_column``).
        n_rounds : int, default=None
            Largest number of rounds; None: the estimator's ``n_rounds``.
        scoring : str or callable, default=None
            A scikit-learn scorer; None: each member's ``score``.
        pooled : float or fitted estimator, default=None
            The pooled model's score, or the pooled model.
        ax : matplotlib Axes, default=None
            Axes to draw on; None: a new figure.

        Returns
        -------
        display : MemberScoresDisplay
        """
        n_rounds = estimator.n_rounds if n_rounds is None else int(n_rounds)
        rows, ensemble, names = [], [], None
        for r in range(n_rounds + 1):
            fitted = clone(estimator).set_params(n_rounds=r)
            fitted.fit(X, y) if site is None else fitted.fit(X, y, site=site)
            scores = member_scores(
                fitted, fitted.named_estimators_, X_test, y_test, scoring
            )
            names = list(scores) if names is None else names
            rows.append([scores[m] for m in names])
            ensemble.append(
                float(check_scoring(fitted, scoring=scoring)(fitted, X_test, y_test))
            )
        X_plain = drop_site_column(
            X_test, getattr(estimator, "site_column", None), fitted.n_features_in_
        )
        display = cls(
            np.asarray(rows),
            names,
            ["alone"] + [f"round {r}" for r in range(1, n_rounds + 1)],
            ensemble_scores=np.asarray(ensemble),
            pooled_score=_pooled_score(pooled, X_plain, y_test, scoring),
            score_name=_score_name(scoring),
        )
        return display.plot(ax=ax)

    def plot(self, *, ax=None):
        """Draw one line per member across the stages.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None: a new figure.

        Returns
        -------
        display : MemberScoresDisplay
            This display, with ``lines_``, ``pooled_line_``, ``ax_`` and
            ``figure_``.
        """
        fig, ax = axes(ax, "MemberScoresDisplay.plot")
        scores = np.asarray(self.scores, dtype=float)
        stages = np.arange(scores.shape[0])
        self.lines_ = {}
        for m, name in enumerate(self.member_names):
            (self.lines_[name],) = ax.plot(stages, scores[:, m], marker="o", label=name)
        if self.ensemble_scores is not None:
            (self.lines_["ensemble"],) = ax.plot(
                stages,
                np.asarray(self.ensemble_scores, dtype=float),
                marker="s",
                color="black",
                linewidth=2,
                label="ensemble (vote)",
            )
        self.pooled_line_ = None
        if self.pooled_score is not None:
            self.pooled_line_ = ax.axhline(
                float(self.pooled_score),
                color="grey",
                linestyle="--",
                label="pooled",
            )
        ax.set(
            xticks=stages,
            xticklabels=list(self.stage_names),
            ylabel=self.score_name,
            title="Member scores per round",
        )
        ax.legend(loc="best", fontsize="small")
        self.ax_, self.figure_ = ax, fig
        return self


def _score_name(scoring):
    return "score" if scoring is None else str(getattr(scoring, "__name__", scoring))
