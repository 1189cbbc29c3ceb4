"""Cooperative distillation ensembles.

Several members, each fitted on its own rows, teach one another through
quintessential counterfactuals: where member ``i`` is right and member ``j``
is wrong, ``i`` searches a nearby point that it sees as a more typical member
of the row's class, and that point, labelled with the true class, is added to
``j``'s training rows.
"""

# SPDX-License-Identifier: BSD-3-Clause

import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context, clone
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import _BaseComposition, available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_sample_weight,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from . import _members as mb
from ._steps import deficiency, expertise, first_occurrence
from .counterfactual import BaseCounterfactualSearch, BisectionSearch

__all__ = ["CooperativeDistillationEnsemble"]


def _resolve_search(spec, model):
    """The counterfactual search used for one teacher (unfitted clone)."""
    if isinstance(spec, BaseCounterfactualSearch) or hasattr(spec, "generate"):
        return clone(spec)
    if spec == "bisection":
        return BisectionSearch()
    try:  # the full engine, when present, picks the backend from the learner
        from .counterfactual import make_search
    except ImportError:
        return BisectionSearch()
    return make_search(spec, model)


class _BaseCooperative(_BaseComposition):
    """Members, sites, fitting and rounds shared by the classifier and regressor."""

    _parameter_constraints: dict = {
        "estimators": [list],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "n_rounds": [Interval(Integral, 0, None, closed="left")],
        "pool": [StrOptions({"site", "union"})],
        "dedupe": ["boolean"],
        "virtual_weight": [Interval(Real, 0, None, closed="neither")],
        "counterfactual": [
            StrOptions({"auto", "bisection"}),
            HasMethods(["fit", "generate"]),
        ],
        "partition": [None, HasMethods(["split"])],
        "n_jobs": [None, Integral],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    # ------------------------------------------------------------- params
    @property
    def _estimators(self):
        """``(name, estimator)`` pairs, whatever the length of each item."""
        try:
            return [(item[0], item[1]) for item in self.estimators]
        except (TypeError, IndexError, KeyError):
            return self.estimators

    @_estimators.setter
    def _estimators(self, value):
        columns = {}
        try:
            columns = {it[0]: it[2] for it in self.estimators if len(it) == 3}
        except (TypeError, IndexError):
            pass
        self.estimators = [
            (name, est, columns[name]) if name in columns else (name, est)
            for name, est in value
        ]

    def get_params(self, deep=True):
        """Get parameters, members' included as ``name__param``.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return the parameters of the members.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("_estimators", deep=deep)

    def set_params(self, **params):
        """Set parameters, members' included as ``name__param``.

        A member can be replaced as a whole by its name.

        Parameters
        ----------
        **params : keyword arguments
            Parameters of the ensemble, or ``name__param`` of a member.

        Returns
        -------
        self : object
            The ensemble.
        """
        self._set_params("_estimators", **params)
        return self

    # ------------------------------------------------------------ members
    def _validate_members(self):
        if len(self.estimators) == 0:
            raise ValueError(
                "estimators must be a non-empty list of (name, estimator) "
                "tuples. Got [] instead."
            )
        names, ests, columns = mb.split_specs(self.estimators)
        for name in names:
            if not isinstance(name, str) or not name:
                raise ValueError(
                    f"Member names must be non-empty strings. Got {name!r} instead."
                )
        self._validate_names(names)
        self._check_estimators_are_instances(ests)
        for name, est in zip(names, ests):
            if est == "drop":
                raise ValueError(
                    f"Member {name!r} is 'drop'; every member of a cooperative "
                    "ensemble takes part. Remove it from estimators instead."
                )
            self._check_member(name, est)
        return names, ests, columns

    def _member_columns(self, X, columns):
        """Column selection of each member (None: every column)."""
        if all(c is None for c in columns):
            return columns
        from sklearn.utils._indexing import _get_column_indices

        out = []
        for spec in columns:
            if spec is None:
                out.append(None)
                continue
            if callable(spec):
                spec = spec(X)
            idx = _get_column_indices(X, spec)
            out.append(list(np.asarray(X.columns)[idx]) if hasattr(X, "columns") else idx)
        return out

    # --------------------------------------------------------------- data
    def _allow_nan(self):
        try:
            return all(
                get_tags(est).input_tags.allow_nan
                for _, est in self._estimators
                if hasattr(est, "fit")
            )
        except Exception:
            return False

    def _validate_X(self, X, y=None, reset=True):
        finite = "allow-nan" if self._allow_nan() else True
        if hasattr(X, "iloc"):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if X.shape[0] < 1:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a "
                    "minimum of 1 is required."
                )
            return X
        return validate_data(
            self, X, reset=reset, dtype=None, ensure_all_finite=finite
        )

    def _log(self, message, level=1):
        if self.verbose >= level:
            print(f"[{type(self).__name__}] {message}", flush=True)

    # ---------------------------------------------------------------- fit
    def _fit_members(self, X, y, sample_weight, site):
        """Validate members and sites, fit the members on their own rows."""
        names, templates, columns = self._validate_members()
        n = mb.take(X).shape[0]
        if site is None and self.partition is not None:
            site = self.partition.split(X, y)
        site_index = None if site is None else mb.resolve_sites(site, names, n)
        rows = mb.member_rows(site_index, len(names), n)
        active = mb.warn_empty(names, rows)
        cols = self._member_columns(X, columns)
        self._prepare_members(names, active, rows, y)

        self._names = [names[m] for m in active]
        self._templates = [templates[m] for m in active]
        self._columns = [cols[m] for m in active]
        self._rows = [rows[m] for m in active]
        self.sat_out_ = [names[m] for m in range(len(names)) if m not in active]
        weights = [
            None if sample_weight is None else sample_weight[r] for r in self._rows
        ]
        self._own = [
            (mb.take(X, r, c), y[r], w)
            for r, c, w in zip(self._rows, self._columns, weights)
        ]
        fitted = Parallel(n_jobs=self.n_jobs)(
            delayed(mb.fit_member)(
                clone(est),
                Xo,
                yo,
                wo,
                name,
                message=self._fit_message(name, len(yo), "Fitting", idx),
            )
            for idx, (name, est, (Xo, yo, wo)) in enumerate(
                zip(self._names, self._templates, self._own)
            )
        )
        return fitted

    def _fit_message(self, name, n_rows, what, idx):
        if not self.verbose:
            return None
        return (
            f"[{type(self).__name__}] ({idx + 1} of {len(self._names)}) {what} "
            f"member {name!r} on {n_rows} rows"
        )

    def _prepare_members(self, names, active, rows, y):
        """Task-specific checks of each member's rows (classes, ...)."""

    def _distill(self, X, y, fitted, sample_weight, rng):
        """Run ``n_rounds`` of cooperative distillation; return the students."""
        k = len(self._names)
        n = y.shape[0]
        virtual = [None] * k  # per student: dict of accumulated arrays
        report = []
        students = list(fitted)
        for n_round in range(self.n_rounds):
            start = time.perf_counter()
            correct, outputs = self._correctness(students, X, y)
            expert = expertise(correct, self._rows, pool=self.pool)
            if sample_weight is not None:  # a row of weight 0 is not in the data
                expert[:, sample_weight == 0] = False
            others_wrong = [
                np.any(np.delete(~correct, i, axis=0), axis=0) for i in range(k)
            ]
            queries = [np.flatnonzero(expert[i] & others_wrong[i]) for i in range(k)]
            if self.verbose:
                for i in range(k):
                    for j in range(k):
                        if i != j:
                            size = deficiency(expert, correct, i, j).size
                            self._log(
                                f"round {n_round + 1}: |R({self._names[i]} -> "
                                f"{self._names[j]})| = {size}"
                            )
            searches = Parallel(n_jobs=self.n_jobs)(
                delayed(self._search_teacher)(
                    students[i], i, X, y, queries[i], outputs[i], rng_seed, n_round
                )
                for i, rng_seed in zip(range(k), rng.randint(np.iinfo(np.int32).max, size=k))
            )
            new = [[] for _ in range(k)]
            for i, (result, seconds) in enumerate(searches):
                self._route_virtual(
                    i, queries[i], result, seconds, expert, correct, y, new, report,
                    n_round,
                )
            changed = self._collect_virtual(virtual, new, report, n_round)
            students = self._refit(students, virtual, changed, sample_weight)
            self._log(
                f"round {n_round + 1} done in {time.perf_counter() - start:.2f}s: "
                f"{sum(len(v['y']) if v else 0 for v in virtual)} virtual instances "
                "in all"
            )
        return students, virtual, report

    def _search_teacher(self, model, i, X, y, query_rows, outputs, seed, n_round):
        """Counterfactuals of one teacher for every row it may teach."""
        start = time.perf_counter()
        if query_rows.size == 0:
            return None, 0.0
        search = _resolve_search(self.counterfactual, model)
        params = search.get_params(deep=False)
        update = {"alpha": self.alpha} if "alpha" in params else {}
        if "random_state" in params and params["random_state"] is None:
            update["random_state"] = int(seed)
        search.set_params(**update)
        ref = self._rows[i]
        search.fit(mb.take(X, ref, self._columns[i]), y[ref])
        result = search.generate(
            model, mb.take(X, query_rows, self._columns[i]), y[query_rows]
        )
        return result, time.perf_counter() - start

    def _route_virtual(
        self, i, query_rows, result, seconds, expert, correct, y, new, report, n_round
    ):
        """Hand teacher ``i``'s counterfactuals to each student it qualifies for."""
        for j in range(len(self._names)):
            if j == i:
                continue
            rows = deficiency(expert, correct, i, j)
            if rows.size == 0:
                continue
            pos = np.searchsorted(query_rows, rows)
            ok = result.success[pos]
            Xv = mb.take(result.X, pos[ok])
            Xv = self._map_virtual(i, j, Xv)
            new[j].append(
                {
                    "X": Xv,
                    "y": y[rows[ok]],
                    "teacher": np.full(int(ok.sum()), self._names[i], dtype=object),
                    "source_index": rows[ok],
                    "round": np.full(int(ok.sum()), n_round),
                }
            )
            for label in np.unique(y[rows]):
                is_label = y[rows] == label
                report.append(
                    {
                        "round": n_round,
                        "teacher": self._names[i],
                        "student": self._names[j],
                        "class": label,
                        "qualifying": int(is_label.sum()),
                        "found": int((ok & is_label).sum()),
                        "kept": 0,
                    }
                )
            self._log(
                f"round {n_round + 1}: search {self._names[i]} -> {self._names[j]}: "
                f"{int(ok.sum())} of {rows.size} counterfactuals found "
                f"(teacher search {seconds:.2f}s for {query_rows.size} rows)"
            )

    def _map_virtual(self, i, j, Xv):
        """Map teacher ``i``'s rows into student ``j``'s columns."""
        if self._columns[i] == self._columns[j] or (
            self._columns[i] is not None
            and self._columns[j] is not None
            and list(self._columns[i]) == list(self._columns[j])
        ):
            return Xv
        if (i, j) not in self._mappers:
            self._mappers[(i, j)] = self._make_mapper(i, j)
        return self._mappers[(i, j)](Xv)

    def _make_mapper(self, i, j):
        """Function mapping rows of teacher ``i``'s columns to student ``j``'s."""
        full = self.n_features_in_
        src = list(range(full)) if self._columns[i] is None else list(self._columns[i])
        dst = list(range(full)) if self._columns[j] is None else list(self._columns[j])
        if hasattr(self, "feature_names_in_") and self._columns[i] is None:
            src = list(self.feature_names_in_)
        if hasattr(self, "feature_names_in_") and self._columns[j] is None:
            dst = list(self.feature_names_in_)
        missing = [c for c in dst if c not in src]
        if missing:
            raise NotImplementedError(
                f"Student {self._names[j]!r} has columns {missing} that teacher "
                f"{self._names[i]!r} lacks; filling them needs skcoop.views."
            )
        pos = [src.index(c) for c in dst]
        return lambda Xv: mb.take(Xv, columns=pos)

    def _collect_virtual(self, virtual, new, report, n_round):
        """Append the round's virtual rows per student, dedupe, count kept rows."""
        changed = []
        for j, blocks in enumerate(new):
            blocks = [b for b in blocks if len(b["y"])]
            if not blocks:
                continue
            old = [virtual[j]] if virtual[j] is not None else []
            merged = {
                key: (
                    mb.concat_rows([b[key] for b in old + blocks])
                    if key == "X"
                    else np.concatenate([b[key] for b in old + blocks])
                )
                for key in ("X", "y", "teacher", "source_index", "round")
            }
            n_old = 0 if virtual[j] is None else len(virtual[j]["y"])
            if self.dedupe:
                keep = first_occurrence(merged["X"], merged["y"])
                keep[:n_old] = True  # rows kept in earlier rounds stay
                merged = {
                    key: mb.take(val, np.flatnonzero(keep)) if key == "X" else val[keep]
                    for key, val in merged.items()
                }
            added = len(merged["y"]) - n_old
            if added:
                changed.append(j)
            virtual[j] = merged
            fresh = slice(n_old, None)
            for entry in report:
                if entry["round"] == n_round and entry["student"] == self._names[j]:
                    entry["kept"] = int(
                        np.sum(
                            (merged["teacher"][fresh] == entry["teacher"])
                            & (merged["y"][fresh] == entry["class"])
                        )
                    )
        return changed

    def _refit(self, students, virtual, changed, sample_weight):
        """Refit, from clones, each student that received new virtual rows."""
        jobs = []
        for j in changed:
            Xo, yo, wo = self._own[j]
            v = virtual[j]
            X_new = mb.concat_rows([Xo, v["X"]])
            y_new = np.concatenate([yo, np.asarray(v["y"], dtype=yo.dtype)])
            w_new = None
            if sample_weight is not None or self.virtual_weight != 1:
                w_own = np.ones(len(yo)) if wo is None else wo
                w_new = np.concatenate(
                    [w_own, np.full(len(v["y"]), float(self.virtual_weight))]
                )
            jobs.append((j, X_new, y_new, w_new))
        refitted = Parallel(n_jobs=self.n_jobs)(
            delayed(mb.fit_member)(
                clone(self._templates[j]),
                Xn,
                yn,
                wn,
                self._names[j],
                message=self._fit_message(self._names[j], len(yn), "Refitting", j),
            )
            for j, Xn, yn, wn in jobs
        )
        students = list(students)
        for (j, *_), est in zip(jobs, refitted):
            students[j] = est
        return students

    def _set_fitted(self, initial, students, virtual, report):
        self.initial_estimators_ = list(initial)
        self.named_initial_estimators_ = Bunch(**dict(zip(self._names, initial)))
        self.estimators_ = list(students)
        self.named_estimators_ = Bunch(**dict(zip(self._names, students)))
        self.virtual_instances_ = Bunch()
        for name, v, (Xo, *_rest) in zip(self._names, virtual, self._own):
            if v is None:
                v = {
                    "X": mb.take(Xo, np.zeros(0, dtype=int)),
                    "y": np.zeros(0, dtype=self._own[0][1].dtype),
                    "teacher": np.zeros(0, dtype=object),
                    "source_index": np.zeros(0, dtype=int),
                    "round": np.zeros(0, dtype=int),
                }
            self.virtual_instances_[name] = Bunch(**v)
        keys = ("round", "teacher", "student", "class", "qualifying", "found", "kept")
        self.transfer_report_ = {
            key: np.asarray([entry[key] for entry in report], dtype=object)
            if key in ("teacher", "student", "class")
            else np.asarray([entry[key] for entry in report], dtype=int)
            for key in keys
        }
        self.member_columns_ = Bunch(**dict(zip(self._names, self._columns)))
        self.n_rows_ = Bunch(**{n: len(r) for n, r in zip(self._names, self._rows)})
        for attr in ("_templates", "_own", "_rows", "_mappers"):
            if hasattr(self, attr):
                delattr(self, attr)

    def _member_X(self, X):
        return [mb.take(X, columns=c) for c in self.member_columns_.values()]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan()
        tags.input_tags.sparse = False
        return tags


class CooperativeDistillationEnsemble(ClassifierMixin, _BaseCooperative):
    """Heterogeneous classifiers that improve one another by cooperative distillation.

    Each member is fitted on its own rows (its site). Then, for every pair of
    members, where the teacher ``i`` predicts a row correctly and the student
    ``j`` does not (the deficiency ``R_{i->j} = S_i minus S_j``), the teacher
    searches a *quintessential counterfactual*: a nearby point whose predicted
    probability of the true class moves ``alpha`` of the way to certainty,
    ``p' = p + alpha (1 - p)``. The point, labelled with the true class, is
    added to the student's rows, and each student is refitted from a clone.
    No raw row leaves its site: by default expertise is measured on each
    teacher's own rows, and only virtual instances travel.

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
    pool : {"site", "union"}, default="site"
        Where expertise is measured. ``"site"``: each teacher judges itself
        and its students on its own rows only (no raw row leaves a site);
        ``"union"``: on every row of ``X`` (simulations only).
    dedupe : bool, default=True
        Drop duplicate virtual instances (same row and label) a student
        receives, across teachers and rounds.
    virtual_weight : float > 0, default=1.0
        Sample weight of virtual rows for members whose ``fit`` takes
        ``sample_weight``.
    voting : {"soft", "hard"}, default="soft"
        ``"soft"`` averages the members' probabilities; ``"hard"`` takes the
        majority of their predicted labels.
    weights : array-like of shape (n_estimators,), default=None
        Voting weight of each member (members that sit a fit out drop theirs).
    counterfactual : {"auto", "bisection"} or search object, default="auto"
        How teachers search counterfactuals. ``"auto"`` picks the backend from
        the teacher (gradient search for torch/skorch nets, black-box search
        otherwise); ``"bisection"`` bisects toward the nearest confident
        reference row of the class; a search object from
        :mod:`skcoop.counterfactual` is cloned for each teacher.
    partition : object with ``split(X, y)``, default=None
        Assigns rows to members when ``fit`` gets no ``site`` (see
        :mod:`skcoop.partition`). Without both, every member sees every row.
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
    named_estimators_ : :class:`~sklearn.utils.Bunch`
        The distilled members by name.
    initial_estimators_ : list of estimators
        The members fitted on their own rows, before distillation.
    named_initial_estimators_ : :class:`~sklearn.utils.Bunch`
        The same, by name.
    virtual_instances_ : :class:`~sklearn.utils.Bunch`
        Per member, the virtual instances it received: a Bunch with ``X``
        (rows in the member's own columns and the input's form), ``y``,
        ``teacher``, ``source_index`` (row of ``X`` the counterfactual was
        searched from) and ``round``.
    transfer_report_ : dict of ndarray
        One entry per (round, teacher, student, class) with ``qualifying``
        rows in ``R_{teacher->student}``, counterfactuals ``found`` and
        ``kept`` after deduplication. ``pandas.DataFrame(transfer_report_)``
        makes it a table.
    sat_out_ : list of str
        Members that owned no row in this fit.
    member_columns_ : :class:`~sklearn.utils.Bunch`
        Columns each member sees (None: all).
    n_rows_ : :class:`~sklearn.utils.Bunch`
        Rows each member owns.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features_in_,)
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
        "weights": ["array-like", None],
    }

    def __init__(
        self,
        estimators,
        *,
        alpha=0.5,
        n_rounds=1,
        pool="site",
        dedupe=True,
        virtual_weight=1.0,
        voting="soft",
        weights=None,
        counterfactual="auto",
        partition=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
    ):
        self.estimators = estimators
        self.alpha = alpha
        self.n_rounds = n_rounds
        self.pool = pool
        self.dedupe = dedupe
        self.virtual_weight = virtual_weight
        self.voting = voting
        self.weights = weights
        self.counterfactual = counterfactual
        self.partition = partition
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _check_member(self, name, est):
        mb.check_member_method(name, est, "predict_proba")

    def _prepare_members(self, names, active, rows, y):
        for m in active:
            mb.check_member_classes(names[m], y[rows[m]])
        if self.weights is not None and len(self.weights) != len(names):
            raise ValueError(
                "weights must have one entry per member. Got "
                f"{len(self.weights)} weights for {len(names)} members instead."
            )
        self._vote_weights = (
            None
            if self.weights is None
            else np.asarray([self.weights[m] for m in active], dtype=float)
        )

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, site=None, sample_weight=None):
        """Fit the members on their own rows, then distil them cooperatively.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training rows of every site.
        y : array-like of shape (n_samples,)
            Class labels.
        site : array-like of shape (n_samples,), default=None
            Member that owns each row: member names or integers ``0..k-1``.
            By default the ``partition`` decides, else every member owns every
            row. A member that owns no row sits the fit out with a warning.
        sample_weight : array-like of shape (n_samples,), default=None
            Passed to each member with its rows (a Pipeline's last step
            too). Members whose ``fit`` takes no ``sample_weight`` raise an
            error when the weights are not all equal.

        Returns
        -------
        self : object
            The fitted ensemble.
        """
        X = self._validate_X(X, reset=True)
        if y is None:
            raise ValueError(
                "requires y to be passed, but the target y is None. Pass the "
                "class labels of X."
            )
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        check_classification_targets(y)
        if type_of_target(y, input_name="y") not in ("binary", "multiclass"):
            raise ValueError(
                f"{type(self).__name__} supports binary and multiclass targets. "
                f"Got a {type_of_target(y)} target instead."
            )
        self._le = LabelEncoder().fit(y)
        self.classes_ = self._le.classes_
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        rng = check_random_state(self.random_state)
        initial = self._fit_members(X, y, sample_weight, site)
        self._mappers = {}
        students, virtual, report = self._distill(X, y, initial, sample_weight, rng)
        self._set_fitted(initial, students, virtual, report)
        return self

    def _correctness(self, members, X, y):
        """Per member: correct on each row, and the member's output there."""
        y_index = self._le.transform(y)
        outputs, correct = [], []
        for est, Xm in zip(members, [mb.take(X, columns=c) for c in self._columns]):
            proba = mb.aligned_proba(est, Xm, self.classes_)
            outputs.append(proba)
            correct.append(np.argmax(proba, axis=1) == y_index)
        return np.vstack(correct), outputs

    # ---------------------------------------------------------- predict
    def _collect_probas(self, X):
        return np.asarray(
            [
                mb.aligned_proba(est, Xm, self.classes_)
                for est, Xm in zip(self.estimators_, self._member_X(X))
            ]
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
        return np.average(self._collect_probas(X), axis=0, weights=self._vote_weights)

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
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        if self.voting == "soft":
            proba = np.average(
                self._collect_probas(X), axis=0, weights=self._vote_weights
            )
            return self.classes_[np.argmax(proba, axis=1)]
        votes = np.asarray(
            [
                self._le.transform(est.predict(Xm))
                for est, Xm in zip(self.estimators_, self._member_X(X))
            ]
        ).T
        counts = np.zeros((votes.shape[0], len(self.classes_)))
        w = np.ones(votes.shape[1]) if self._vote_weights is None else self._vote_weights
        for m in range(votes.shape[1]):
            counts[np.arange(votes.shape[0]), votes[:, m]] += w[m]
        return self.classes_[np.argmax(counts, axis=1)]
