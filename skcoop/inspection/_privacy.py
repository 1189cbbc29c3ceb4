"""The privacy trade-off: attack success against the gap closed."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from .._members import resolve_sites
from .._site_column import drop_site_column, split_site_column
from ..privacy import audit_release
from ..utils import take
from ._plot import axes, check_fitted_ensemble
from ._scores import member_scores

__all__ = ["PrivacyFrontierDisplay"]

_TPR = "tpr_at_1pct_fpr"


def _frontier(auc, gap):
    """Points no other point beats (lower AUC and higher gap), by AUC."""
    order = np.lexsort((-gap, auc))
    best, keep = -np.inf, []
    for i in order:
        if np.isfinite(gap[i]) and gap[i] > best:
            keep.append(i)
            best = gap[i]
    return np.asarray(keep, dtype=int)


class PrivacyFrontierDisplay:
    """Settings placed by attack success (x) and gap closed (y), with their frontier.

    Each point is one setting (for example the release guard's
    ``guard``): how well a membership-inference
    attack tells the site's records from others by the released rows (ROC
    AUC; 0.5 is chance), and how much of the gap between the members alone
    and the pooled model distillation closed. The frontier joins the
    settings no other one beats on both. Build it with :meth:`from_frame`,
    :meth:`from_arrays` or :meth:`from_estimators`. Read more in the
    :ref:`User Guide <inspection>`.

    Parameters
    ----------
    attack_auc : array-like of shape (n_settings,)
        ROC AUC of the attack per setting.
    gap_closed : array-like of shape (n_settings,)
        Share of the alone-to-pooled gap closed per setting.
    labels : list of str, default=None
        Name of each setting.
    tpr : array-like of shape (n_settings,), default=None
        The attack's true-positive rate at a low false-positive rate, shown
        in the labels.

    Attributes
    ----------
    points_ : matplotlib PathCollection
        The settings.
    frontier_line_ : matplotlib Line2D
        The frontier.
    annotations_ : list of matplotlib Annotation
        The settings' labels.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skcoop.inspection import PrivacyFrontierDisplay
    >>> display = PrivacyFrontierDisplay.from_arrays(
    ...     [0.99, 0.7, 0.6], [0.98, 0.9, 0.5], labels=["off", "k=10", "k=50"]
    ... )
    >>> [a.get_text() for a in display.annotations_]
    ['off', 'k=10', 'k=50']
    """

    def __init__(self, attack_auc, gap_closed, *, labels=None, tpr=None):
        self.attack_auc = attack_auc
        self.gap_closed = gap_closed
        self.labels = labels
        self.tpr = tpr

    @classmethod
    def from_arrays(cls, attack_auc, gap_closed, *, labels=None, tpr=None, ax=None):
        """The frontier of settings given as arrays.

        Parameters
        ----------
        attack_auc, gap_closed : array-like of shape (n_settings,)
            Attack ROC AUC and gap closed per setting.
        labels : list of str, default=None
            Name of each setting.
        tpr : array-like of shape (n_settings,), default=None
            The attack's TPR at a low FPR per setting.
        ax : matplotlib Axes, default=None
            Axes to draw on; None: a new figure.

        Returns
        -------
        display : PrivacyFrontierDisplay
        """
        auc = np.asarray(attack_auc, dtype=float).ravel()
        gap = np.asarray(gap_closed, dtype=float).ravel()
        if auc.shape != gap.shape:
            raise ValueError(
                "attack_auc and gap_closed need one value per setting. Got "
                f"{auc.size} and {gap.size} values instead."
            )
        if labels is not None and len(labels) != auc.size:
            raise ValueError(
                f"labels needs one name per setting ({auc.size}). Got "
                f"{len(labels)} instead."
            )
        tpr = None if tpr is None else np.asarray(tpr, dtype=float).ravel()
        return cls(auc, gap, labels=labels, tpr=tpr).plot(ax=ax)

    @classmethod
    def from_frame(
        cls, frame, *, x="auc", y="gap_closed", label=None, tpr=None, ax=None
    ):
        """The frontier of settings given as the columns of a DataFrame.

        Parameters
        ----------
        frame : DataFrame
            One row per setting (the privacy benchmark's CSV, for example).
        x, y : str, default="auc", "gap_closed"
            Columns of the attack's ROC AUC and of the gap closed.
        label : str, default=None
            Column naming each setting.
        tpr : str, default=None
            Column of the attack's TPR at a low FPR.
        ax : matplotlib Axes, default=None
            Axes to draw on; None: a new figure.

        Returns
        -------
        display : PrivacyFrontierDisplay
        """
        for key in [x, y, label, tpr]:
            if key is not None and key not in frame.columns:
                raise ValueError(
                    f"{key!r} is not a column of the frame. Columns: "
                    f"{list(frame.columns)[:20]}."
                )
        return cls.from_arrays(
            frame[x].to_numpy(),
            frame[y].to_numpy(),
            labels=None if label is None else [str(v) for v in frame[label]],
            tpr=None if tpr is None else frame[tpr].to_numpy(),
            ax=ax,
        )

    @classmethod
    def from_estimators(
        cls,
        estimators,
        X,
        y,
        X_holdout,
        X_test,
        y_test,
        *,
        site=None,
        pooled,
        ax=None,
    ):
        """Audit fitted ensembles, one per setting, and draw their frontier.

        For each ensemble, each teacher's released rows (its virtual
        instances, all students together) are audited against its own
        records and ``X_holdout`` (:func:`skcoop.privacy.audit_release`,
        distance attack); the worst teacher's AUC and TPR at 1% FPR are
        kept. The gap closed compares the members' median test score alone,
        distilled, and ``pooled``.

        Parameters
        ----------
        estimators : dict of str -> fitted ensemble
            One ensemble per setting, fitted on ``X, y`` with every member
            seeing every column.
        X, y : array-like
            The rows the ensembles were fitted on, and their targets.
        X_holdout : array-like
            Rows of the same distribution no site used.
        X_test, y_test : array-like
            Rows to score the members on.
        site : array-like of shape (n_samples,), default=None
            ``fit``'s ``site`` (None with a ``site_column``).
        pooled : float or array-like
            The pooled model's test score (the median of an array is used).
        ax : matplotlib Axes, default=None
            Axes to draw on; None: a new figure.

        Returns
        -------
        display : PrivacyFrontierDisplay
        """
        labels, aucs, tprs, gaps = [], [], [], []
        pooled = float(np.median(np.asarray(pooled, dtype=float)))
        for label, est in estimators.items():
            check_fitted_ensemble(
                est, ["virtual_instances_", "member_columns_"], "PrivacyFrontierDisplay"
            )
            if any(c is not None for c in est.member_columns_.values()):
                raise ValueError(
                    "from_estimators audits rows in one feature space; ensemble "
                    f"{label!r} has members with their own columns. Audit each "
                    "pair with skcoop.privacy.audit_release instead."
                )
            Xf, site_f = split_site_column(X, est.site_column, site)
            all_names = [item[0] for item in est.estimators]
            site_index = resolve_sites(site_f, all_names, len(y))
            X_out = drop_site_column(X_holdout, est.site_column, est.n_features_in_)
            worst_auc, worst_tpr = 0.5, 0.0
            for teacher in est.n_rows_:
                own = np.flatnonzero(site_index == all_names.index(teacher))
                released, sources = [], []
                for v in est.virtual_instances_.values():
                    mine = np.flatnonzero(np.asarray(v.teacher) == teacher)
                    if mine.size:
                        released.append(np.asarray(take(v.X, mine), dtype=float))
                        sources.append(np.asarray(v.source_index)[mine])
                if not released or own.size < 2:
                    continue
                sources = np.unique(np.concatenate(sources))
                attack = audit_release(
                    np.vstack(released),
                    np.asarray(take(Xf, own), dtype=float),
                    np.asarray(X_out, dtype=float),
                    sources=np.asarray(take(Xf, sources), dtype=float),
                ).membership.distance
                if attack.auc > worst_auc:
                    worst_auc, worst_tpr = attack.auc, attack[_TPR]
            alone = member_scores(est, est.named_initial_estimators_, X_test, y_test)
            after = member_scores(est, est.named_estimators_, X_test, y_test)
            a = np.median(list(alone.values()))
            b = np.median(list(after.values()))
            gaps.append((b - a) / (pooled - a) if pooled - a > 1e-12 else np.nan)
            labels.append(str(label))
            aucs.append(worst_auc)
            tprs.append(worst_tpr)
        return cls.from_arrays(aucs, gaps, labels=labels, tpr=tprs, ax=ax)

    def plot(self, *, ax=None):
        """Draw the settings and their frontier.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None: a new figure.

        Returns
        -------
        display : PrivacyFrontierDisplay
            This display, with ``points_``, ``frontier_line_``,
            ``annotations_``, ``ax_`` and ``figure_``.
        """
        fig, ax = axes(ax, "PrivacyFrontierDisplay.plot")
        auc = np.asarray(self.attack_auc, dtype=float)
        gap = np.asarray(self.gap_closed, dtype=float)
        self.points_ = ax.scatter(auc, gap, zorder=3)
        keep = _frontier(auc, gap)
        (self.frontier_line_,) = ax.plot(
            auc[keep],
            gap[keep],
            drawstyle="steps-post",
            color="tab:red",
            label="frontier",
        )
        self.annotations_ = []
        if self.labels is not None:
            for i, text in enumerate(self.labels):
                self.annotations_.append(
                    ax.annotate(
                        str(text),
                        (auc[i], gap[i]),
                        xytext=(3, 3),
                        textcoords="offset points",
                        fontsize="small",
                    )
                )
        ax.axvline(0.5, color="grey", linestyle=":", linewidth=0.8)
        ax.set(
            xlabel="membership attack ROC AUC (0.5: chance)",
            ylabel="gap closed (alone -> pooled)",
            title="Privacy trade-off",
        )
        ax.legend(loc="lower right", fontsize="small")
        self.ax_, self.figure_ = ax, fig
        return self
