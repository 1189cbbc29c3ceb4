"""The history of a cooperative fit, one record per round and pair.

``history_`` holds, in the style of skorch's ``History``, one frozen record
per round and teacher -> student pair: the rows the teacher taught the
student, the counterfactuals it found, those the release guard moved or
dropped and those the student kept after deduplication, the teacher's
search time, and the student's score where the fit computed one. Round 0
holds one record per member fitted alone on its own rows, so every fit has a
history. Read it as records (``history_[-1]``), as columns
(``history_[:, "kept"]``, as in skorch) or as a table
(``history_.to_frame()``, with pandas).

The records are built from the fit's typed records (``TransferEntry``,
``KeptEntry``, ``AcceptanceEntry`` of ``_records.py``) by one function,
:func:`history_from_records`.
"""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import asdict, dataclass, fields

import numpy as np

from .utils import import_optional

__all__ = ["History", "HistoryRecord"]

_COUNTS = ("taught", "found", "guarded", "dropped", "kept")


@dataclass(frozen=True)
class HistoryRecord:
    """What one teacher gave one student in one round.

    Attributes
    ----------
    round : int
        0: the member fitted alone on its own rows (no teacher); 1, 2, ...:
        the rounds of distillation (``transfer_report_``'s ``round`` + 1).
    teacher : str or None
        The teacher (None in round 0).
    student : str
        The student (the member, in round 0).
    taught : int
        Rows the teacher taught the student: its expertise set
        (``scope="expertise"``) or ``R_{teacher->student}``.
    found : int
        Counterfactuals found for them.
    guarded, dropped : int
        Rows the release guard moved, and dropped.
    kept : int
        Virtual rows the student kept (after the guard and deduplication).
    seconds : float
        The teacher's search time in the round (shared by its students; NaN
        where not measured).
    score : float
        The student's score after the round where the fit computed one (the
        holdout score of the acceptance step: round 0 alone, the last round
        distilled), else NaN.
    score_kind : str or None
        ``"holdout"`` where ``score`` is set, else None.
    """

    round: int
    teacher: object
    student: str
    taught: int = 0
    found: int = 0
    guarded: int = 0
    dropped: int = 0
    kept: int = 0
    seconds: float = float("nan")
    score: float = float("nan")
    score_kind: object = None


_KEYS = tuple(f.name for f in fields(HistoryRecord))


class History(list):
    """The records of a fit: a list, readable by column as in skorch.

    ``history[i]`` is a :class:`HistoryRecord`; ``history[:, "kept"]`` is the
    list of one field over the records (``history[i, "kept"]`` one value);
    ``history.to_frame()`` is a pandas DataFrame.

    Examples
    --------
    >>> from skcoop.inspection import History, HistoryRecord
    >>> history = History([HistoryRecord(0, None, "a"),
    ...                    HistoryRecord(1, "b", "a", taught=5, found=4, kept=4)])
    >>> history[:, "kept"]
    [0, 4]
    >>> history[-1, "teacher"]
    'b'
    """

    def __getitem__(self, key):
        if isinstance(key, tuple):
            rows, column = key
            if column not in _KEYS:
                raise KeyError(
                    f"History has no column {column!r}. Columns: {list(_KEYS)}."
                )
            picked = super().__getitem__(rows)
            if isinstance(rows, slice):
                return [getattr(record, column) for record in picked]
            return getattr(picked, column)
        picked = super().__getitem__(key)
        return History(picked) if isinstance(key, slice) else picked

    def to_dicts(self):
        """The records as a list of plain dicts.

        Returns
        -------
        records : list of dict
        """
        return [asdict(record) for record in self]

    def to_frame(self):
        """The records as a pandas DataFrame, one row per record.

        Returns
        -------
        frame : pandas.DataFrame

        Raises
        ------
        ImportError
            Without pandas, naming the extra that installs it.
        """
        pd = import_optional("pandas", purpose="History.to_frame")

        return pd.DataFrame(self.to_dicts(), columns=list(_KEYS))

    def __repr__(self):
        return f"History({len(self)} records)"

    def __reduce__(self):
        return (History, (list(self),))


def history_from_records(
    names, entries, kept=(), accepted=None, n_rounds=0, seconds=None
):
    """The history of a fit, from its typed records: the one source.

    Parameters
    ----------
    names : list of str
        The members that took part, in order.
    entries : sequence of TransferEntry
        What each teacher taught each student, per round and report group
        (``qualifying``, ``found``, ``guarded``, ``dropped``, ``seconds``).
    kept : sequence of KeptEntry, default=()
        What each student kept, per round, teacher and group.
    accepted : sequence of AcceptanceEntry, default=None
        The acceptance step's decisions (``member``, ``alone``,
        ``distilled``), if it ran.
    n_rounds : int, default=0
        Rounds of distillation run.
    seconds : float, default=None
        Time of the members' first fit (round 0).

    Returns
    -------
    history : History
    """
    kept_by_key = {k.key: k.kept for k in kept}
    holdout = {str(a.member): (a.alone, a.distilled) for a in accepted or ()}
    history = History()
    for name in names:
        alone = holdout.get(name, (np.nan, np.nan))[0]
        history.append(
            HistoryRecord(
                round=0,
                teacher=None,
                student=name,
                seconds=float("nan") if seconds is None else float(seconds),
                score=float(alone),
                score_kind="holdout" if name in holdout else None,
            )
        )
    pairs = {}
    for entry in entries:
        key = (int(entry.round), str(entry.teacher), str(entry.student))
        total = pairs.setdefault(key, dict.fromkeys(_COUNTS, 0))
        total["taught"] += int(entry.qualifying)
        total["found"] += int(entry.found)
        total["guarded"] += int(entry.guarded)
        total["dropped"] += int(entry.dropped)
        total["kept"] += int(kept_by_key.get(entry.key, 0))
        total["seconds"] = float(entry.seconds)
    last = n_rounds - 1
    for (n_round, teacher, student), total in pairs.items():
        final = n_round == last and student in holdout
        history.append(
            HistoryRecord(
                round=n_round + 1,
                teacher=teacher,
                student=student,
                taught=total["taught"],
                found=total["found"],
                guarded=total["guarded"],
                dropped=total["dropped"],
                kept=total["kept"],
                seconds=total["seconds"],
                score=float(holdout[student][1]) if final else float("nan"),
                score_kind="holdout" if final else None,
            )
        )
    return history


def history_to_state(history):
    """``history_`` as plain dicts (for pickle and skops)."""
    return {"__skcoop_history__": True, "records": history.to_dicts()}


def history_from_state(state):
    """Inverse of :func:`history_to_state` (a History passes through)."""
    if isinstance(state, dict) and state.get("__skcoop_history__") is True:
        return History(HistoryRecord(**record) for record in state["records"])
    return state
