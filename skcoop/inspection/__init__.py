"""Displays of a cooperative fit, in scikit-learn's Display pattern.

``from_estimator`` computes and draws, ``plot(ax=...)`` redraws, and the
artists stay on the object (``ax_``, ``figure_``). matplotlib is needed only
to draw (the ``plot`` extra: ``pip install -e ".[plot]"``) and is imported
on first use.

- :class:`TransferMatrixDisplay`: virtual instances per teacher -> student,
  with each student's acceptance;
- :class:`MemberScoresDisplay`: each member alone, after each round, and the
  pooled model;
- :class:`CounterfactualDisplay`: a virtual instance beside its source row;
- :class:`PrivacyFrontierDisplay`: attack success against the gap closed.

A fit's ``history_`` is a :class:`History` of :class:`HistoryRecord`.
"""

# SPDX-License-Identifier: BSD-3-Clause

from .._history import History, HistoryRecord
from ._counterfactual import CounterfactualDisplay
from ._privacy import PrivacyFrontierDisplay
from ._scores import MemberScoresDisplay
from ._transfer import TransferMatrixDisplay

__all__ = [
    "CounterfactualDisplay",
    "History",
    "HistoryRecord",
    "MemberScoresDisplay",
    "PrivacyFrontierDisplay",
    "TransferMatrixDisplay",
]
