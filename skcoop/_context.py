"""The frozen state of one cooperative fit, built once in ``fit``.

``fit`` validates its input, then builds a :class:`FitContext`: the members
that take part (name, template, columns, own rows and fit metadata) and the
settings of the distillation. Every later step receives what it needs from
it explicitly; nothing is stored on the estimator until the fitted
attributes are set at the end.
"""

# SPDX-License-Identifier: BSD-3-Clause

from dataclasses import dataclass, field

import numpy as np

from ._settings import Settings

__all__ = []


@dataclass(frozen=True)
class Member:
    """One member of a fit: who it is, what it sees, the rows it owns.

    Attributes
    ----------
    name : str
        The member's name.
    template : estimator
        The unfitted estimator (cloned for every fit), or a pre-trained one
        wrapped in ``FrozenEstimator``.
    columns : list or None
        Column keys to select from the fit's ``X`` (None: every column).
    keys : list
        The column keys the member sees, in the fit's full column set.
    rows : ndarray of int
        Rows of the fit's ``X`` the member owns.
    X, y : array-like
        The member's own rows, in its own columns, and their targets.
    params : dict
        Routed fit metadata sliced to the member's rows (``sample_weight``
        among it when the member takes it).
    weight : ndarray or None
        The fit's ``sample_weight`` on the member's rows (rows of weight 0
        neither teach nor serve as search reference).
    """

    name: str
    template: object
    columns: object
    keys: list
    rows: np.ndarray
    X: object
    y: np.ndarray
    params: dict = field(default_factory=dict)
    weight: object = None

    @property
    def teaching_rows(self):
        """Positions, among the member's own rows, that may teach (weight > 0)."""
        if self.weight is None:
            return np.arange(len(self.y))
        return np.flatnonzero(np.asarray(self.weight) != 0)


@dataclass(frozen=True)
class FitContext:
    """Everything one cooperative fit knows after validation.

    Attributes
    ----------
    members : tuple of Member
        The members that own rows, in the order of ``estimators``.
    X, y : array-like
        The whole fit's rows (every column) and targets.
    judge : ClassJudge or ToleranceJudge
        Who is right on a row.
    settings : Settings
        How members teach and learn.
    classes : ndarray or None
        Class labels (classification).
    pool : {"site", "union"}
        Where teachers judge expertise.
    weights_routed : bool
        Whether ``sample_weight`` reached members through metadata routing.
    sample_weight : ndarray or None
        The fit's sample weights (rows of weight 0 do not teach).
    sat_out : list of str
        Members that own no row in this fit.
    """

    members: tuple
    X: object
    y: np.ndarray
    judge: object
    settings: Settings
    classes: object = None
    pool: str = "site"
    weights_routed: bool = False
    sample_weight: object = None
    sat_out: list = field(default_factory=list)

    @property
    def names(self):
        """Names of the members, in order."""
        return [m.name for m in self.members]

    def pool_rows(self, i):
        """Rows of the fit's ``X`` teacher ``i`` judges and may teach from."""
        if self.pool == "site":
            member = self.members[i]
            return member.rows[member.teaching_rows]
        if self.sample_weight is None:
            return np.arange(len(self.y))
        return np.flatnonzero(np.asarray(self.sample_weight) != 0)


@dataclass(frozen=True)
class FitLog:
    """What a fit prints: a value the driver gives its steps.

    ``log(message)`` prints one progress line, prefixed with the estimator's
    class name, when ``verbose`` is on; :meth:`member_fit` gives a member
    fit's line (None when quiet).

    Attributes
    ----------
    owner : str
        The estimator's class name.
    verbose : int
        The estimator's ``verbose``.
    """

    owner: str = ""
    verbose: int = 0

    def __call__(self, message, level=1):
        if self.verbose >= level:
            print(f"[{self.owner}] {message}", flush=True)

    @property
    def progress(self):
        """Whether teachers show their searches' progress."""
        return bool(self.verbose)

    def member_fit(self, name, n_rows, what, idx, n_members):
        """A member fit's progress line, or None when quiet."""
        if not self.verbose:
            return None
        return (
            f"[{self.owner}] ({idx + 1} of {n_members}) {what} "
            f"member {name!r} on {n_rows} rows"
        )


QUIET = FitLog()  # a fit that prints nothing
