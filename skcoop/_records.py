"""The records a fit's steps write: small frozen dataclasses.

Each step writes its own records and never changes another step's: a
teacher writes a :class:`TransferEntry` per student and report group, a
student a :class:`KeptEntry` for what it kept of each teacher's rows and a
:class:`VirtualBatch` of the rows themselves, the acceptance step an
:class:`AcceptanceEntry` per member. :class:`Rounds` is what a strategy's
rounds return. Each kind of record has one conversion to the public form
of the fitted estimator (``transfer_report_``, ``virtual_instances_``,
``acceptance_``).
"""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass, field, fields

import numpy as np
from sklearn.utils import Bunch

from .utils import concat_rows, take

__all__ = []


@dataclass(frozen=True)
class TransferEntry:
    """What one teacher taught one student in one round, for one report group.

    Attributes
    ----------
    round : int
    teacher, student : str
    group : object
        The report group: a class label, or ``"all"`` in regression.
    qualifying : int
        Rows of the teaching set.
    found : int
        Counterfactuals the search found.
    guarded : int
        Released rows the release guard moved.
    dropped : int
        Found rows the release guard dropped.
    seconds : float
        The teacher's search time in the round (all its students together;
        NaN where not measured). Not compared: two runs of one step are
        equal records.
    """

    round: int
    teacher: str
    student: str
    group: object
    qualifying: int
    found: int
    guarded: int
    dropped: int
    seconds: float = field(default=float("nan"), compare=False)

    @property
    def key(self):
        """``(round, teacher, student, group)``: what a :class:`KeptEntry` joins on."""
        return (self.round, self.teacher, self.student, self.group)


@dataclass(frozen=True)
class KeptEntry:
    """The fresh virtual rows a student kept of one teacher's, in one round and group.

    Written by the student's side after deduplication.
    """

    round: int
    teacher: str
    student: str
    group: object
    kept: int

    @property
    def key(self):
        """``(round, teacher, student, group)``, as :attr:`TransferEntry.key`."""
        return (self.round, self.teacher, self.student, self.group)


_REPORT_KEYS = (
    "round",
    "teacher",
    "student",
    "class",
    "qualifying",
    "found",
    "guarded",
    "dropped",
    "kept",
)


def transfer_report(entries, kept=()):
    """The public ``transfer_report_``: one array per column, one row per entry.

    Each :class:`TransferEntry` is joined with the student's
    :class:`KeptEntry` of the same round, teacher, student and group (0
    where the student kept none).
    """
    kept_by_key = {k.key: k.kept for k in kept}
    rows = [
        (
            e.round,
            e.teacher,
            e.student,
            e.group,
            e.qualifying,
            e.found,
            e.guarded,
            e.dropped,
            kept_by_key.get(e.key, 0),
        )
        for e in entries
    ]
    columns = list(zip(*rows)) if rows else [()] * len(_REPORT_KEYS)
    return {
        key: np.asarray(
            col, dtype=object if key in ("teacher", "student", "class") else int
        )
        for key, col in zip(_REPORT_KEYS, columns)
    }


@dataclass(frozen=True, eq=False)
class VirtualBatch:
    """Virtual rows at one student: the rows, their labels and where they came from.

    A batch holds what one lesson brought, or (merged) everything a student
    holds; ``teacher``, ``source_index`` and ``round`` have one value per
    row.

    Attributes
    ----------
    student : str
    X : array-like
        The rows, in the student's own columns.
    y : ndarray
    teacher : ndarray of object
    source_index : ndarray of int
        Row of the fit's ``X`` each was searched from (-1: unknown, as at a
        silo).
    round : ndarray of int
    """

    student: str
    X: object
    y: np.ndarray
    teacher: np.ndarray
    source_index: np.ndarray
    round: np.ndarray

    def __len__(self):
        return len(self.y)

    @classmethod
    def empty(cls, student, X_like, y_dtype):
        """No row, in the form of ``X_like`` (its columns) and ``y_dtype``."""
        return cls(
            student,
            take(X_like, np.zeros(0, dtype=int)),
            np.zeros(0, dtype=y_dtype),
            np.zeros(0, dtype=object),
            np.zeros(0, dtype=int),
            np.zeros(0, dtype=int),
        )

    @classmethod
    def concat(cls, batches):
        """One batch of the rows of ``batches``, in order."""
        return cls(
            batches[0].student,
            concat_rows([b.X for b in batches]),
            *(
                np.concatenate([getattr(b, f) for b in batches])
                for f in ("y", "teacher", "source_index", "round")
            ),
        )

    def take(self, idx):
        """The rows at positions ``idx``."""
        return type(self)(
            self.student,
            take(self.X, idx),
            self.y[idx],
            self.teacher[idx],
            self.source_index[idx],
            self.round[idx],
        )

    def to_bunch(self):
        """The public form, one entry of ``virtual_instances_``."""
        return Bunch(
            X=self.X,
            y=self.y,
            teacher=self.teacher,
            source_index=self.source_index,
            round=self.round,
        )


@dataclass(frozen=True)
class AcceptanceEntry:
    """What the acceptance step decided for one member, and why.

    ``alone`` and ``distilled`` are the pooled held-out scores of the two
    candidates, ``kept`` is ``"alone"`` or ``"distilled"``, ``n_holdout``
    the held-out rows of every site together.
    """

    member: str
    alone: float
    distilled: float
    kept: str
    reason: str
    n_holdout: int


def acceptance_report(entries):
    """The public ``acceptance_``: one array per field (None without entries)."""
    if entries is None:
        return None
    return {
        f.name: np.asarray([getattr(e, f.name) for e in entries])
        for f in fields(AcceptanceEntry)
    }


@dataclass(frozen=True)
class Rounds:
    """What a strategy's rounds give the ensemble.

    Attributes
    ----------
    students : list of fitted estimators
    virtual : list of VirtualBatch or None
        Per member, its virtual rows (None: it received none).
    report : tuple of TransferEntry
        One per (round, teacher, student, report group), as the teachers
        wrote them.
    kept : tuple of KeptEntry
        What each student kept, per round, teacher and group.
    bounds : list of float or None
        The teachers' bounds in the last round.
    accepted : tuple of AcceptanceEntry or None
        With ``acceptance``: what each member kept and why.
    """

    students: list
    virtual: list
    report: tuple = ()
    kept: tuple = ()
    bounds: object = None
    accepted: object = None
