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
class Settings:
    """How cooperative distillation teaches and learns.

    The same object drives the in-process ensemble and the per-site steps of
    :mod:`skcoop.silo`.
    """

    alpha: float = 0.5
    counterfactual: object = "auto"
    scope: str = "expertise"
    expertise: str = "oof"
    oof_folds: int = 3
    dedupe: bool = True
    virtual_weight: float = 1.0
    fill: str = "impute"
    prototype_k: object = None
    min_distance: object = None


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


# Parameter and attribute docs the classifier and the regressor share, written
# once and substituted into both docstrings (``skcoop.utils.Substitution``).
DISTILLATION_PARAMS = """scope : {"expertise", "deficiency"}, default="expertise"
        The rows a teacher teaches each student. ``"expertise"``: every row
        of its own where it is right, so that a student also learns where it
        already agrees; ``"deficiency"``: only the rows where the student is
        wrong (the paper's ``R_{i->j}``). On sites that see the same classes
        with a shifted mix (real silos), rows only where a student errs teach
        it to flip its answer there and make members worse; see
        :ref:`real_sites`.
    expertise : {"oof", "in_sample"}, default="oof"
        How a teacher's own correctness is judged on its rows: out-of-fold
        predictions (``oof_folds``-fold cross-validation inside its site, so
        that a teacher is not called right where it merely overfits), or its
        predictions after fitting on them (the paper). Students are judged on
        the teacher's rows, which they never saw. The paper's settings are
        ``scope="deficiency", expertise="in_sample"``.
    oof_folds : int >= 2, default=3
        Folds of ``expertise="oof"``.
    prototype_k : int, default=None
        Release guard (see :func:`skcoop.privacy.guard_release`): release,
        instead of each counterfactual, the mean of its ``k`` nearest rows of
        the same class on the teacher's site (a class with fewer than ``k``
        rows releases nothing). None: off.
    min_distance : float, default=None
        Release guard: move each released row toward its class's centroid
        until it lies at least ``min_distance`` times the site's median
        nearest-neighbour distance from every row of the teacher's site;
        rows that cannot get there, or that the teacher then gets wrong,
        are dropped. None: off. Guarded and dropped rows are counted in
        ``transfer_report_``.
    acceptance : float in (0, 0.5] or None, default=None
        The acceptance step: each site holds out this fraction of its rows;
        after the rounds, each member keeps distillation only if, distilled,
        it scores at least as well as alone on every site's holdout pooled
        (each site reports a score, never a row), and is then refitted on
        all its own rows. ``acceptance_`` says what each member kept and
        why. None: every member keeps distillation."""
VIRTUAL_WEIGHT_PARAM = """virtual_weight : float > 0, default=1.0
        Sample weight of virtual rows for members whose ``fit`` takes
        ``sample_weight``."""
FITTED_MEMBERS_ATTRS = """named_estimators_ : :class:`~sklearn.utils.Bunch`
        The distilled members by name.
    initial_estimators_ : list of estimators
        The members fitted on their own rows, before distillation.
    named_initial_estimators_ : :class:`~sklearn.utils.Bunch`
        The same, by name."""
FITTED_SITES_ATTRS = """acceptance_ : dict of ndarray or None
        With ``acceptance``: per member, its pooled held-out score
        ``alone`` and ``distilled`` (accuracy; minus the mean squared error
        for regression), the candidate ``kept``, the ``reason`` and
        ``n_holdout`` rows judged on. None without it.
    sat_out_ : list of str
        Members that owned no row in this fit.
    member_columns_ : :class:`~sklearn.utils.Bunch`
        Columns each member sees (None: all).
    n_rows_ : :class:`~sklearn.utils.Bunch`
        Rows each member owns."""
SHARED_DOCS = {
    "distillation_params": DISTILLATION_PARAMS,
    "virtual_weight_param": VIRTUAL_WEIGHT_PARAM,
    "fitted_members_attrs": FITTED_MEMBERS_ATTRS,
    "fitted_sites_attrs": FITTED_SITES_ATTRS,
}
