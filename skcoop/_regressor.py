"""The cooperative distillation regressor.

Members are right on a row when their error is within a tolerance; where a
teacher is right and a student is not, the teacher searches a nearby point
whose prediction moves toward the true value, and the student learns it.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils import Bunch
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from . import _members as mb
from ._base import _BaseCooperative
from ._judge import ToleranceJudge
from ._settings import REGRESSION, SHARED_DOCS, constraints
from ._strategy import CounterfactualDistiller
from ._validation import check_member_kind
from .distill import BasePublicSetDistiller
from .utils import Substitution, member_output

__all__ = ["CooperativeDistillationRegressor"]


@Substitution(**SHARED_DOCS)
class CooperativeDistillationRegressor(RegressorMixin, _BaseCooperative):
    """Heterogeneous regressors that improve one another by cooperative distillation.

    The regression form of :class:`CooperativeDistillationEnsemble`. A member
    is *right* on a row when its error is within a tolerance. Where teacher
    ``i`` is right and student ``j`` is not (judged by the teacher's
    tolerance), ``i`` searches a nearby point whose prediction moves ``alpha``
    of the way from ``f_i(x)`` to the true value, ``y' = f_i(x) + alpha (y -
    f_i(x))``; the point, labelled with the true value ``y``, is added to the
    student's rows and the student is refitted from a clone. The ensemble
    predicts the (weighted) mean of the distilled members.

    Read more in the :ref:`User Guide <cooperative>`.

    Parameters
    ----------
    estimators : list of tuples
        Members as ``(name, estimator)`` or ``(name, estimator, columns)``;
        each estimator is a regressor (any scikit-learn regressor or
        Pipeline, or a skorch ``NeuralNetRegressor``). Member parameters are
        reachable as ``name__param``.
    tolerance : float > 0 or "auto", default="auto"
        When a member counts as right on a row. A float: an absolute error
        bound, the same for every member. ``"auto"``: relative to each
        member's own error distribution, the ``tolerance_quantile`` quantile
        of its absolute errors on its own rows, so a member is right where it
        does at least as well as it typically does at home.
    tolerance_quantile : float in (0, 1), default=0.5
        The quantile used by ``tolerance="auto"``.
    alpha : float in [0, 1], default=0.5
        How far the counterfactual's target prediction moves from the
        teacher's prediction toward the true value.
    n_rounds : int, default=1
        Rounds of distillation; ``0`` fits the members alone (a baseline).
    pool : {{"site", "union"}}, default="site"
        Where expertise is measured (see
        :class:`CooperativeDistillationEnsemble`).
    {distillation_params}
    dedupe : bool, default=True
        Drop duplicate virtual instances a student receives.
    {virtual_weight_param}
    {warm_refit_param}
    weights : array-like of shape (n_estimators,), default=None
        Weight of each member in the mean prediction.
    distiller : "counterfactual", CounterfactualDistiller or public-set \
strategy, default="counterfactual"
        How members learn from one another: cooperative distillation, with
        the settings above (``"counterfactual"``) or with those of a
        :class:`~skcoop.CounterfactualDistiller`, which are then
        grid-searchable as ``distiller__alpha`` (the ensemble's must stay at
        their defaults). Of the strategies of :mod:`skcoop.distill`, the
        public-set ones (:class:`~skcoop.distill.FedMDDistiller`,
        :class:`~skcoop.distill.FedDFDistiller`) take regressors, their
        consensus the mean prediction; the other KD strategies are for
        classifiers.
    counterfactual : {{"auto", "blackbox", "gradient", "linear", "trees", \
"bisection", "exact"}} \
or search \
object, default="auto"
        How teachers search counterfactuals (see
        :func:`skcoop.counterfactual.make_search`; ``"bisection"`` is for
        classifiers only).
    fill : {{"mean", "median", "impute", "zero"}}, default="impute"
        How a student's columns that its teacher lacks are filled in a
        virtual row (see :class:`~skcoop.views.ColumnMapper`).
    site_column : str or int, default=None
        The column of ``X`` that holds each row's site: a column name for
        DataFrames, an integer index for arrays. It is taken out of ``X``
        before any member sees the rows (see
        :class:`CooperativeDistillationEnsemble`).
    partition : object with ``split(X, y)``, default=None
        Assigns rows (and, for feature views, columns) to members when
        ``fit`` gets no ``site``. Without ``site_column``, ``site`` and
        ``partition``, every member sees every row, with a warning.
    n_jobs : int, default=None
        Members fitted and teachers searched in parallel.
    random_state : int, RandomState instance or None, default=None
        Seeds the counterfactual searches and the partition.
    verbose : int, default=0
        Progress per stage.

    Attributes
    ----------
    estimators_ : list of estimators
        The distilled members.
    {fitted_members_attrs}
    tolerances_ : :class:`~sklearn.utils.Bunch`
        The error bound of each member in the last round.
    virtual_instances_ : :class:`~sklearn.utils.Bunch`
        Per member, the virtual instances it received (``X``, ``y``,
        ``teacher``, ``source_index``, ``round``).
    transfer_report_ : dict of ndarray
        One entry per (round, teacher, student) with ``qualifying`` rows,
        counterfactuals ``found`` and ``kept``; ``class`` is ``"all"``.
    history_ : :class:`~skcoop.inspection.History`
        One record per round and teacher -> student pair, as skorch's
        ``History``: rows ``taught``, ``found``, ``guarded``, ``dropped`` and
        ``kept``, the teacher's search ``seconds`` and, with the acceptance
        step, the student's holdout ``score``; round 0 holds each member
        fitted alone. ``history_[:, "kept"]`` reads a column,
        ``history_.to_frame()`` makes a DataFrame (pandas).
    {fitted_sites_attrs}
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, for DataFrames with string names.

    See Also
    --------
    CooperativeDistillationEnsemble : The classifier.
    sklearn.ensemble.VotingRegressor : Averages members fitted on the same rows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.linear_model import RidgeCV
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> from skcoop import CooperativeDistillationRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> site = (X[:, 0] > 0).astype(int)  # two sites split by age
    >>> members = [("ridge", RidgeCV()), ("tree", DecisionTreeRegressor(max_depth=4))]
    >>> reg = CooperativeDistillationRegressor(members, random_state=0)
    >>> reg = reg.fit(X, y, site=site)
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> sorted(reg.tolerances_)
    ['ridge', 'tree']
    """

    _parameter_constraints: dict = {
        **_BaseCooperative._parameter_constraints,
        **constraints(REGRESSION),
        "distiller": [
            StrOptions({"counterfactual"}),
            CounterfactualDistiller,
            BasePublicSetDistiller,
        ],
    }

    def __init__(
        self,
        estimators,
        *,
        tolerance="auto",
        tolerance_quantile=0.5,
        alpha=0.5,
        n_rounds=1,
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
        weights=None,
        distiller="counterfactual",
        counterfactual="auto",
        fill="impute",
        site_column=None,
        partition=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimators = estimators
        self.tolerance = tolerance
        self.tolerance_quantile = tolerance_quantile
        self.alpha = alpha
        self.n_rounds = n_rounds
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
        self.weights = weights
        self.distiller = distiller
        self.counterfactual = counterfactual
        self.fill = fill
        self.site_column = site_column
        self.partition = partition
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _check_member(self, name, est):
        check_member_kind(name, est, "regressor")
        mb.check_member_method(name, est, "predict")

    def _check_counterfactual(self):
        """Searches that only classifiers can use are refused."""
        from .counterfactual import BisectionSearch

        cf = getattr(self._strategy(), "counterfactual", None)
        if (isinstance(cf, str) and cf == "bisection") or type(cf) is BisectionSearch:
            raise ValueError(
                "counterfactual='bisection' searches toward a confident row of "
                "the target class, so it is for classification only; "
                f"{type(self).__name__} cannot use it. Got counterfactual="
                f"{cf!r} instead. Use 'auto', 'blackbox' or 'gradient'."
            )

    def _make_judge(self):
        return ToleranceJudge(self.tolerance, self.tolerance_quantile)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, site=None, sample_weight=None, **fit_params):
        """Fit the members on their own rows, then distil them cooperatively.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training rows of every site.
        y : array-like of shape (n_samples,)
            Target values, finite.
        site : array-like of shape (n_samples,), default=None
            Member that owns each row: member names or integers ``0..k-1``
            (or set ``site_column``).
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to each member with its rows.
        **fit_params : dict
            Other fit metadata for the members; only with metadata routing on.

        Returns
        -------
        self : object
            The fitted ensemble.
        """
        self._check_counterfactual()
        X, site = self._split_site_column(X, site)
        X, y, sample_weight = self._validate_fit_input(
            X, y, sample_weight, "target values"
        )
        if y.dtype.kind not in "fiub":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"{type(self).__name__} needs a numeric target. Got dtype "
                    f"{y.dtype} instead."
                ) from exc
        if not np.all(np.isfinite(y)):
            bad = int(np.sum(~np.isfinite(y)))
            raise ValueError(
                f"Input y contains NaN or infinity: {bad} of {len(y)} values. "
                "Drop or impute those rows before fitting."
            )
        return self._fit_cooperative(X, y, site, sample_weight, fit_params)

    def _set_task_fitted(self, ctx, initial, bounds):
        if bounds is None:  # no round: each member's own bound
            bounds = [
                ctx.judge.bound(
                    ctx.judge.errors(est, m.X, m.y), m.params.get("sample_weight")
                )
                for m, est in zip(ctx.members, initial)
            ]
        self.tolerances_ = Bunch(**dict(zip(ctx.names, bounds)))

    def predict(self, X):
        """Predict by the (weighted) mean of the distilled members.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows to predict; each member sees its own columns.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted values.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        preds = np.asarray(
            self._member_outputs(X, lambda est, Xm: member_output(est, Xm, "predict"))
        )
        return np.average(preds, axis=0, weights=self._vote_weights())
