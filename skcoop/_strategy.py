"""Distillation strategies as the ensemble drives them: one protocol for all.

The ensemble holds one strategy and calls one entry point on it,
``strategy.rounds(ctx, initial, rng, n_rounds, ...)``, which returns a
:class:`Rounds`. :class:`CounterfactualDistiller` is cooperative
(counterfactual) distillation: its settings are its parameters, and its
rounds are :func:`~skcoop._rounds.cooperative_rounds` (or, with
``acceptance``, :func:`~skcoop._acceptance.accepted_rounds`). A KD strategy
of :mod:`skcoop.distill` is driven through :class:`KDRounds`, a thin adapter
over :func:`~skcoop._rounds.kd_rounds`. The per-site steps
(``_teach.teach_at_site``, ``_learn.learn``) are the ones :mod:`skcoop.silo`
calls. The settings' names, defaults and constraints come from
``_settings.SETTINGS``.
"""

# SPDX-License-Identifier: BSD-3-Clause

from sklearn.base import BaseEstimator, clone

from ._acceptance import accepted_rounds
from ._context import QUIET
from ._records import Rounds
from ._rounds import cooperative_rounds, kd_rounds
from ._settings import SHARED_DOCS, STRATEGY, Settings, changed, constraints
from .utils import Substitution

__all__ = ["CounterfactualDistiller"]


@Substitution(**SHARED_DOCS)
class CounterfactualDistiller(BaseEstimator):
    """Cooperative (counterfactual) distillation as a strategy object.

    The ensemble's default, ``distiller="counterfactual"``, is this strategy
    built from the ensemble's own settings; passing an instance instead puts
    the settings on the strategy, so that they are grid-searchable as
    ``distiller__alpha`` beside the KD strategies of :mod:`skcoop.distill`
    (a grid over ``distiller`` compares them). Given an instance, leave the
    ensemble's settings of the same names at their defaults: one source of
    truth, else ``fit`` raises an error.

    Read more in the :ref:`User Guide <cooperative>`.

    Parameters
    ----------
    alpha : float in [0, 1], default=0.5
        How far the counterfactual's target output moves from the teacher's
        output toward the true label (a regressor: toward the true value).
    pool : {{"site", "union"}}, default="site"
        Where expertise is measured. ``"site"``: each teacher judges itself
        and its students on its own rows only (no raw row is sent);
        ``"union"``: on every row of ``X`` (simulations only).
    {distillation_params}
    dedupe : bool, default=True
        Drop duplicate virtual instances (same row and label) a student
        receives, across teachers and rounds.
    {virtual_weight_param}
    {warm_refit_param}
    counterfactual : {{"auto", "blackbox", "gradient", "linear", "trees", \
"bisection", "exact"}} \
or search object, default="auto"
        How teachers search counterfactuals (see
        :func:`skcoop.counterfactual.make_search`); a search object is
        cloned for each teacher, and its ``alpha`` is set to this one's.

    See Also
    --------
    skcoop.distill.SoftTargetDistiller : Vanilla KD, the same protocol.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skcoop import CooperativeDistillationEnsemble, CounterfactualDistiller
    >>> X, y = load_iris(return_X_y=True)
    >>> ens = CooperativeDistillationEnsemble(
    ...     [("tree", DecisionTreeClassifier(max_depth=2, random_state=0)),
    ...      ("nb", GaussianNB())],
    ...     distiller=CounterfactualDistiller(alpha=0.3),
    ...     random_state=0,
    ... )
    >>> grid = GridSearchCV(ens, {{"distiller__alpha": [0.3, 0.7]}}, cv=2)
    >>> grid = grid.fit(X, y, site=np.arange(len(y)) % 2)
    >>> sorted(grid.best_params_)
    ['distiller__alpha']
    """

    _parameter_constraints: dict = constraints(STRATEGY)

    # members of one-class sites learn as students only
    one_class_students = True

    def __init__(
        self,
        *,
        alpha=0.5,
        pool="site",
        scope="expertise",
        expertise="oof",
        oof_folds=3,
        guard="auto",
        prototype_k=None,
        min_distance=None,
        acceptance=None,
        dedupe=True,
        virtual_weight=1.0,
        warm_refit=True,
        counterfactual="auto",
    ):
        self.alpha = alpha
        self.pool = pool
        self.scope = scope
        self.expertise = expertise
        self.oof_folds = oof_folds
        self.guard = guard
        self.prototype_k = prototype_k
        self.min_distance = min_distance
        self.acceptance = acceptance
        self.dedupe = dedupe
        self.virtual_weight = virtual_weight
        self.warm_refit = warm_refit
        self.counterfactual = counterfactual

    def settings(self, fill):
        """The :class:`~skcoop._context.Settings` of a fit with this strategy."""
        return Settings(
            alpha=self.alpha,
            counterfactual=self.counterfactual,
            scope=self.scope,
            expertise=self.expertise,
            oof_folds=self.oof_folds,
            guard=self.guard,
            dedupe=self.dedupe,
            virtual_weight=self.virtual_weight,
            warm_refit=self.warm_refit,
            fill=fill,
            prototype_k=self.prototype_k,
            min_distance=self.min_distance,
        )

    def rounds(self, ctx, initial, rng, n_rounds, *, n_jobs=None, log=QUIET):
        """Run ``n_rounds`` of cooperative distillation over a fit context.

        Parameters
        ----------
        ctx : FitContext
            The fit's frozen state (built with :meth:`settings`).
        initial : list of fitted estimators
            The members fitted on their own rows.
        rng : RandomState
            Seeds each round's searches.
        n_rounds : int
            Rounds of distillation.
        n_jobs : int, default=None
            Teachers and students run in parallel.
        log : FitLog, default=quiet
            What the fit prints (progress lines, member fits, searches).

        Returns
        -------
        rounds : Rounds
            The students, their virtual rows, the teachers' report entries
            and the students' kept entries, the teachers' bounds and, with
            ``acceptance``, what each member kept.
        """
        if self.acceptance is not None:
            return accepted_rounds(
                ctx, initial, rng, n_rounds, self.acceptance, n_jobs=n_jobs, log=log
            )
        return cooperative_rounds(ctx, initial, rng, n_rounds, n_jobs=n_jobs, log=log)


class KDRounds:
    """A KD strategy of :mod:`skcoop.distill` behind the same entry point.

    Parameters
    ----------
    distiller : BaseDistiller
        The strategy (a clone); its ``distill`` refits the students.
    """

    # KD teaches with every member: no one-class students, no expertise pool
    one_class_students = False
    pool = "site"

    def __init__(self, distiller):
        self.distiller = distiller

    def settings(self, fill):
        """Settings of a KD fit: only ``fill`` (how columns are mapped) applies."""
        return Settings(fill=fill)

    def rounds(self, ctx, initial, rng, n_rounds, *, n_jobs=None, log=QUIET):
        """Run ``n_rounds`` of the KD strategy; no virtual row, no report.

        The parameters are those of :meth:`CounterfactualDistiller.rounds`;
        the strategy refits its students itself, so ``n_jobs`` is not used.
        """
        students = kd_rounds(ctx, self.distiller, initial, rng, n_rounds, log=log)
        return Rounds(students, [None] * len(students))


def make_strategy(distiller, settings):
    """The strategy a fit runs, with one source for every setting.

    Parameters
    ----------
    distiller : "counterfactual", CounterfactualDistiller or KD strategy
        The ensemble's ``distiller``.
    settings : dict
        The ensemble's own counterfactual settings, by name; one not at its
        default (``_settings.SETTINGS``) beside a strategy object raises.

    Returns
    -------
    strategy : CounterfactualDistiller or KDRounds
        A new object: ``distiller`` is cloned, never changed.
    """
    if isinstance(distiller, str):
        return CounterfactualDistiller(**settings)
    names = changed(settings)
    given = ", ".join(f"{n}={settings[n]!r}" for n in names)
    if isinstance(distiller, CounterfactualDistiller):
        if names:
            raise ValueError(
                f"{given} set on the ensemble, but distiller={distiller!r} holds "
                "the settings of counterfactual distillation. Set them on the "
                f"distiller (distiller__{names[0]}) and leave the ensemble's "
                "at their defaults."
            )
        strategy = clone(distiller)
        strategy._validate_params()
        return strategy
    if names:
        raise ValueError(
            f"{given} only apply to cooperative (counterfactual) distillation, "
            f"but distiller={distiller!r} was given. Leave them at their "
            "defaults, or set distiller='counterfactual'."
        )
    return KDRounds(clone(distiller))
