"""The transfer matrix: what each teacher taught each student."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ._plot import axes, check_fitted_ensemble

__all__ = ["TransferMatrixDisplay"]

_COUNTS = ("qualifying", "found", "guarded", "dropped", "kept")


class TransferMatrixDisplay:
    """Virtual instances per teacher -> student pair, as a matrix.

    Rows are teachers, columns students. With the acceptance step
    (``acceptance`` set on the ensemble) each student's label says whether it
    kept its distillation or went back to its model alone.

    Build it with :meth:`from_estimator`; :meth:`plot` draws it. Read more in
    the :ref:`User Guide <inspection>`.

    Parameters
    ----------
    counts : ndarray of shape (n_members, n_members)
        ``counts[t, s]``: rows teacher ``t`` gave student ``s``.
    member_names : list of str
        Names of the members, in the order of the matrix.
    found : ndarray of shape (n_members, n_members), default=None
        Counterfactuals found per pair, shown beside the counts.
    acceptance : dict of str -> str, default=None
        Per student, ``"distilled"`` or ``"alone"`` (its ``acceptance_``).
    what : str, default="kept"
        What ``counts`` counts, for the title.

    Attributes
    ----------
    im_ : matplotlib AxesImage
        The matrix.
    text_ : ndarray of shape (n_members, n_members), dtype=object
        The text in each cell.
    ax_ : matplotlib Axes
        The axes.
    figure_ : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skcoop.inspection import TransferMatrixDisplay
    >>> display = TransferMatrixDisplay(np.array([[0, 5], [3, 0]]), ["a", "b"]).plot()
    >>> display.text_[0, 1].get_text()
    '5'
    """

    def __init__(
        self, counts, member_names, *, found=None, acceptance=None, what="kept"
    ):
        self.counts = counts
        self.member_names = member_names
        self.found = found
        self.acceptance = acceptance
        self.what = what

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        what="kept",
        n_round=None,
        ax=None,
        cmap="Blues",
        colorbar=True,
    ):
        """The transfer matrix of a fitted ensemble, drawn.

        Parameters
        ----------
        estimator : CooperativeDistillationEnsemble or CooperativeDistillationRegressor
            A fitted ensemble.
        what : {"kept", "found", "qualifying", "guarded", "dropped"}, default="kept"
            Which count of ``transfer_report_`` the cells hold.
        n_round : int, default=None
            One round only (0-based); None: every round together.
        ax : matplotlib Axes, default=None
            Axes to draw on; None: a new figure.
        cmap : str or matplotlib Colormap, default="Blues"
            Colours of the matrix.
        colorbar : bool, default=True
            Whether to draw a colour bar.

        Returns
        -------
        display : TransferMatrixDisplay
        """
        check_fitted_ensemble(
            estimator, ["transfer_report_", "n_rows_"], "TransferMatrixDisplay"
        )
        if what not in _COUNTS:
            raise ValueError(
                f"what must be one of {list(_COUNTS)}. Got {what!r} instead."
            )
        names = list(estimator.n_rows_)
        report = estimator.transfer_report_
        counts = _matrix(report, names, what, n_round)
        found = _matrix(report, names, "found", n_round) if what == "kept" else None
        acceptance = None
        accepted = getattr(estimator, "acceptance_", None)
        if accepted is not None:
            acceptance = dict(
                zip(map(str, accepted["member"]), map(str, accepted["kept"]))
            )
        display = cls(counts, names, found=found, acceptance=acceptance, what=what)
        return display.plot(ax=ax, cmap=cmap, colorbar=colorbar)

    def plot(self, *, ax=None, cmap="Blues", colorbar=True):
        """Draw the matrix.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None: a new figure.
        cmap : str or matplotlib Colormap, default="Blues"
            Colours of the matrix.
        colorbar : bool, default=True
            Whether to draw a colour bar.

        Returns
        -------
        display : TransferMatrixDisplay
            This display, with ``im_``, ``text_``, ``ax_`` and ``figure_``.
        """
        fig, ax = axes(ax, "TransferMatrixDisplay.plot")
        counts = np.asarray(self.counts)
        n = counts.shape[0]
        shown = np.ma.masked_array(counts, mask=np.eye(n, dtype=bool))
        self.im_ = ax.imshow(shown, cmap=cmap, vmin=0, interpolation="nearest")
        high = counts.max() / 2 if counts.size and counts.max() > 0 else 1
        self.text_ = np.empty((n, n), dtype=object)
        for t in range(n):
            for s in range(n):
                if t == s:
                    label = "-"
                elif self.found is not None:
                    label = f"{counts[t, s]}\nof {int(np.asarray(self.found)[t, s])}"
                else:
                    label = f"{counts[t, s]}"
                color = "white" if t != s and counts[t, s] > high else "black"
                self.text_[t, s] = ax.text(
                    s, t, label, ha="center", va="center", color=color
                )
        students = [
            name
            if self.acceptance is None or name not in self.acceptance
            else f"{name}\n({self.acceptance[name]})"
            for name in self.member_names
        ]
        ax.set(
            xticks=np.arange(n),
            yticks=np.arange(n),
            xticklabels=students,
            yticklabels=list(self.member_names),
            xlabel="student",
            ylabel="teacher",
            title=f"Virtual instances {self.what}, teacher -> student",
        )
        ax.set_ylim((n - 0.5, -0.5))
        if colorbar:
            fig.colorbar(self.im_, ax=ax)
        self.ax_, self.figure_ = ax, fig
        return self


def _matrix(report, names, what, n_round):
    """Sum of one count of the transfer report per teacher and student."""
    index = {name: i for i, name in enumerate(names)}
    counts = np.zeros((len(names), len(names)), dtype=int)
    rounds = np.asarray(report["round"])
    keep = np.ones(rounds.shape, bool) if n_round is None else rounds == n_round
    for t, s, c in zip(
        np.asarray(report["teacher"])[keep],
        np.asarray(report["student"])[keep],
        np.asarray(report[what])[keep],
    ):
        if t in index and s in index:
            counts[index[t], index[s]] += int(c)
    return counts
