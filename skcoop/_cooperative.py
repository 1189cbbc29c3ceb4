"""The cooperative distillation classifier.

Several members, each fitted on its own rows, teach one another through
quintessential counterfactuals: where member ``i`` is right and member ``j``
is wrong, ``i`` searches a nearby point that it sees as a more typical member
of the row's class (a regressor: a point whose prediction moves toward the
true value), and that point, labelled with the true target, is added to
``j``'s training rows.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted

from . import _members as mb
from ._base import _BaseCooperative
from ._judge import ClassJudge
from ._settings import SHARED_DOCS
from ._strategy import CounterfactualDistiller
from ._validation import check_label_types, check_member_kind
from .utils import Substitution, aligned_proba, member_labels, stable_argmax

__all__ = ["CooperativeDistillationEnsemble"]


@Substitution(**SHARED_DOCS)
class CooperativeDistillationEnsemble(ClassifierMixin, _BaseCooperative):
    """Heterogeneous classifiers that improve one another by cooperative distillation.

    Each member is fitted on its own rows (its site). Then each member, as a
    teacher ``i``, finds the rows of its own site it predicts correctly (its
    expertise ``S_i``, judged out-of-fold by default) and, for each row it
    teaches a student ``j``, searches a *quintessential counterfactual*: a
    nearby point whose predicted probability of the true class moves
    ``alpha`` of the way to certainty, ``p' = p + alpha (1 - p)``. The point,
    labelled with the true class, is added to the student's rows, and each
    student is refitted from a clone. The paper teaches only the deficiency
    ``R_{{i->j}} = S_i minus S_j`` (``scope="deficiency"``); by default every
    row of ``S_i`` is taught, which keeps members from getting worse on real
    sites (see ``scope``). Only virtual instances travel between sites; they
    lie near the teacher's rows by design, so they pass the release guard
    first (``guard``, on by default), which is not a formal privacy
    guarantee.

    Read more in the :ref:`User Guide <cooperative>`.

    Parameters
    ----------
    estimators : list of tuples
        Members as ``(name, estimator)`` or ``(name, estimator, columns)``.
        Each estimator is a classifier with ``predict_proba`` (any
        scikit-learn classifier or Pipeline, or a skorch
        ``NeuralNetClassifier``). ``columns`` selects the member's own
        features (names for DataFrames, integer indices or a boolean mask for
        arrays, or a callable such as ``make_column_selector``); by default a
        member sees every column. Member parameters are reachable as
        ``name__param``.
    alpha : float in [0, 1], default=0.5
        How far the counterfactual's target output moves from the teacher's
        output toward the true label.
    n_rounds : int, default=1
        Rounds of distillation; each round's students are the next round's
        teachers, and virtual instances accumulate. ``0`` fits the members
        alone (a baseline).
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
    voting : {{"soft", "hard"}}, default="soft"
        ``"soft"`` averages the members' probabilities; ``"hard"`` takes the
        majority of their predicted labels.
    weights : array-like of shape (n_estimators,), default=None
        Voting weight of each member (members that sit a fit out drop theirs).
    distiller : "counterfactual" or distillation strategy, default="counterfactual"
        How members learn from one another. ``"counterfactual"``: cooperative
        distillation, as above, with the ensemble's settings;
        :class:`~skcoop.CounterfactualDistiller` is the same strategy holding
        its settings itself (grid-searchable as ``distiller__alpha``; the
        ensemble's must then stay at their defaults). A strategy from
        :mod:`skcoop.distill`
        (:class:`~skcoop.distill.SoftTargetDistiller` for vanilla KD,
        :class:`~skcoop.distill.MutualLearningDistiller`,
        :class:`~skcoop.distill.PartitionedDistiller`) replaces it: each
        student is refitted on its own rows with the other members' soft
        outputs, ``n_rounds`` times, and no virtual instance is made. Its
        parameters are grid-searchable as ``distiller__temperature``; a grid
        over ``distiller`` itself compares strategies ("tuned KD"). The
        settings of cooperative distillation (``alpha``, ``pool``,
        ``scope``, ``expertise``, ``oof_folds``, ``dedupe``,
        ``virtual_weight``, ``warm_refit``, ``counterfactual``, ``guard``,
        ``prototype_k``, ``min_distance``, ``acceptance``) do not apply
        to a KD strategy: set to other than their defaults, they raise an
        error.
    counterfactual : {{"auto", "blackbox", "gradient", "linear", "trees", \
"bisection", "exact"}} \
or search \
object, default="auto"
        How teachers search counterfactuals (see
        :func:`skcoop.counterfactual.make_search`). ``"auto"`` picks the
        backend from the teacher: gradient search for torch modules and skorch
        nets, the closed form of :class:`~skcoop.counterfactual.LinearModelSearch`
        for linear models, black-box search otherwise; ``"trees"`` reads a
        tree ensemble's leaf cells; ``"bisection"`` bisects toward the
        nearest confident reference row of the class; ``"exact"`` solves
        each counterfactual as a linear or mixed-integer program (linear
        models, trees and tree ensembles; slow, for measuring); a search
        object from
        :mod:`skcoop.counterfactual` is cloned for each teacher, and its
        ``alpha`` is set to the ensemble's.
    fill : {{"mean", "median", "impute", "zero"}}, default="impute"
        How the columns a student has and its teacher lacks are filled in a
        virtual row, from the student's own rows: a per-column statistic,
        a prediction from the shared columns, or the paper's zeros (see
        :class:`~skcoop.views.ColumnMapper`). Shared columns are copied; a
        pair with no shared column transfers nothing, with a warning.
    site_column : str or int, default=None
        The column of ``X`` that holds each row's site (member names or
        integers ``0..k-1``): a column name for DataFrames, an integer index
        for arrays. The column is taken out of ``X`` before any member sees
        the rows, so it travels with them through ``cross_val_score``,
        ``GridSearchCV`` or a Pipeline with no metadata routing; ``predict``
        accepts rows with or without it. Give this or ``fit``'s ``site``,
        not both.
    partition : object with ``split(X, y)``, default=None
        Assigns rows to members when ``fit`` gets no ``site`` (see
        :mod:`skcoop.partition`); a partition with ``split_columns`` (feature
        views) also gives the columns of members that name none. It is
        cloned, and seeded from ``random_state`` when its own is None.
        Without ``site_column``, ``site`` and ``partition``, every member
        sees every row (a pooled fit), with a
        :class:`~skcoop.PooledFitWarning`.
    n_jobs : int, default=None
        Members fitted and teachers searched in parallel
        (``sklearn.utils.parallel``). ``None`` means 1 unless in a
        ``joblib.parallel_backend`` context; ``-1`` means all processors.
    random_state : int, RandomState instance or None, default=None
        Seeds the counterfactual searches and the partition. Members keep
        their own ``random_state``.
    verbose : int, default=0
        Progress per stage: member fits, deficiency sets, each teacher ->
        student search with counts and time.

    Attributes
    ----------
    estimators_ : list of estimators
        The distilled members (members that sat the fit out are left out).
    {fitted_members_attrs}
    virtual_instances_ : :class:`~sklearn.utils.Bunch`
        Per member, the virtual instances it received: a Bunch with ``X``
        (rows in the member's own columns and the input's form), ``y``,
        ``teacher``, ``source_index`` (row of ``X`` the counterfactual was
        searched from) and ``round``.
    transfer_report_ : dict of ndarray
        One entry per (round, teacher, student, class) with ``qualifying``
        rows (the teaching set: ``R_{{teacher->student}}``, or the teacher's
        expertise set with ``scope="expertise"``), counterfactuals
        ``found``, rows the release guard ``guarded`` (moved) and
        ``dropped``, and rows ``kept`` after deduplication.
        ``pandas.DataFrame(transfer_report_)`` makes it a table.
    history_ : :class:`~skcoop.inspection.History`
        One record per round and teacher -> student pair, as skorch's
        ``History``: rows ``taught``, ``found``, ``guarded``, ``dropped`` and
        ``kept``, the teacher's search ``seconds`` and, with the acceptance
        step, the student's holdout ``score``; round 0 holds each member
        fitted alone. ``history_[:, "kept"]`` reads a column,
        ``history_.to_frame()`` makes a DataFrame (pandas).
    {fitted_sites_attrs}
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, defined when ``X`` has string
        column names.

    See Also
    --------
    sklearn.ensemble.VotingClassifier : Votes members fitted on the same rows,
        without distillation.

    References
    ----------
    .. [1] M. Livanos, I. Davidson and S. Wong, "Cooperative Knowledge
       Distillation: A Learner Agnostic Approach", AAAI 2024,
       arXiv:2402.05942.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.naive_bayes import GaussianNB
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from skcoop import CooperativeDistillationEnsemble
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> site = np.arange(len(y)) % 3
    >>> ens = CooperativeDistillationEnsemble(
    ...     [("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
    ...      ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ...      ("nb", GaussianNB())],
    ...     random_state=0,
    ... ).fit(X, y, site=site)
    >>> ens.predict(X[:3])
    array([0, 0, 0])
    >>> sorted(ens.named_estimators_)
    ['logreg', 'nb', 'tree']
    >>> int(ens.transfer_report_["found"].sum()) > 0
    True
    """

    _parameter_constraints: dict = {
        **_BaseCooperative._parameter_constraints,
        "voting": [StrOptions({"soft", "hard"})],
        "distiller": [
            StrOptions({"counterfactual"}),
            HasMethods(["distill"]),
            CounterfactualDistiller,
        ],
    }

    def __init__(
        self,
        estimators,
        *,
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
        voting="soft",
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
        self.voting = voting
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
        check_member_kind(name, est, "classifier")
        mb.check_member_method(name, est, "predict_proba")

    def _check_member_rows(self, names, rows, y, strategy):
        super()._check_member_rows(names, rows, y, strategy)
        if not strategy.one_class_students:
            # KD strategies teach every member as a teacher too
            for name, r in zip(names, rows):
                mb.check_member_classes(name, y[r])

    def _one_class_templates(self, templates, rows, y, strategy):
        """Members of one-class sites learn as students only (``OneClassMember``)."""
        if not strategy.one_class_students:
            return templates
        return mb.wrap_one_class(templates, rows, y, self.classes_)

    def _make_judge(self):
        return ClassJudge(self.classes_)

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, site=None, sample_weight=None, **fit_params):
        """Fit the members on their own rows, then distil them cooperatively.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training rows of every site (with the ``site_column``, if set).
        y : array-like of shape (n_samples,)
            Class labels.
        site : array-like of shape (n_samples,), default=None
            Member that owns each row: member names or integers ``0..k-1``.
            By default the ``site_column`` of ``X`` or the ``partition``
            decides, else every member owns every row (with a warning). A
            member that owns no row sits the fit out with a warning.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to each member with its rows (a Pipeline's last step
            too). Members whose ``fit`` takes no ``sample_weight`` raise an
            error when the weights are not all equal. Rows of weight 0 teach
            nothing. With metadata routing on, only members that request
            ``sample_weight`` get it.
        **fit_params : dict
            Other fit metadata for the members; only with metadata routing on
            (``sklearn.set_config(enable_metadata_routing=True)``).

        Returns
        -------
        self : object
            The fitted ensemble.
        """
        X, site = self._split_site_column(X, site)
        X, y, sample_weight = self._validate_fit_input(
            X, y, sample_weight, "class labels"
        )
        check_label_types(y)
        check_classification_targets(y)
        if type_of_target(y, input_name="y") not in ("binary", "multiclass"):
            raise ValueError(
                f"{type(self).__name__} supports binary and multiclass targets. "
                f"Got a {type_of_target(y)} target instead."
            )
        self._le = LabelEncoder().fit(y)
        self.classes_ = self._le.classes_
        return self._fit_cooperative(X, y, site, sample_weight, fit_params)

    # ---------------------------------------------------------- predict
    def _collect_probas(self, X):
        return np.asarray(
            self._member_outputs(
                X, lambda est, Xm: aligned_proba(est, Xm, self.classes_)
            )
        )

    def _check_voting(self):
        if self.voting == "hard":
            raise AttributeError(
                f"predict_proba is not available when voting={self.voting!r}"
            )
        return True

    @available_if(_check_voting)
    def predict_proba(self, X):
        """Average of the distilled members' class probabilities.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows to predict; each member sees its own columns.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Weighted mean probability of each class in ``classes_``.
        """
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        return np.average(self._collect_probas(X), axis=0, weights=self._vote_weights())

    def predict(self, X):
        """Predict class labels by the vote of the distilled members.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows to predict; each member sees its own columns.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        if self.voting == "soft":
            proba = self.predict_proba(X)  # checks fitted, then X
            return self.classes_[stable_argmax(proba, scale=1.0)]
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        votes = np.asarray(
            self._member_outputs(
                X,
                lambda est, Xm: self._le.transform(
                    member_labels(est, Xm, self.classes_)
                ),
            )
        ).T
        w = self._vote_weights()
        w = np.ones(votes.shape[1]) if w is None else w
        counts = np.zeros((votes.shape[0], len(self.classes_)))
        for m in range(votes.shape[1]):
            counts[np.arange(votes.shape[0]), votes[:, m]] += w[m]
        return self.classes_[stable_argmax(counts)]
