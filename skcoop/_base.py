"""The estimator shared by the cooperative classifier and regressor.

Parameters, members and sites, metadata routing, and ``fit`` as a driver:
validate, build the frozen :class:`~skcoop._context.FitContext`, fit the
members on their own rows, run the rounds (``_rounds.py``) and set the fitted
attributes. The task-specific parts (the judge of who is right, how members
vote) live in ``_cooperative.py`` and ``_regressor.py``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import time
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.utils import Bunch, _safe_indexing, check_random_state
from sklearn.utils._param_validation import (
    HasMethods,
    InvalidParameterError,
)
from sklearn.utils._tags import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from . import _members as mb
from . import _persist
from ._composition import _MembersView
from ._context import FitContext, FitLog, Member
from ._history import history_from_records
from ._members import PooledFitWarning
from ._records import VirtualBatch, acceptance_report, transfer_report
from ._rounds import fit_initial
from ._settings import STRATEGY, constraints
from ._site_column import drop_site_column, split_site_column
from ._strategy import make_strategy
from ._validation import (
    check_frame_at_fit,
    check_frame_at_predict,
    check_member_neighbors,
    check_vote_weights,
    warn_small_sites,
)
from .utils import (
    count,
    draw_seed,
    is_per_row,
    name_member,
    renamed_error,
    take,
    warn_at_caller,
)
from .views import column_keys, resolve_columns


class _BaseCooperative(_persist.FramesAsArrays, _MembersView, _BaseComposition):
    """Members, sites, fitting and rounds shared by the classifier and regressor."""

    _parameter_constraints: dict = {
        "estimators": [list],
        **constraints(STRATEGY),
        "n_rounds": [count(0)],
        **constraints(("fill",)),
        "site_column": [None, str, Integral],
        "partition": [None, HasMethods(["split"])],
        "weights": ["array-like", None],
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

    def get_metadata_routing(self):
        """Get the metadata routing of this object.

        ``site`` is consumed by the ensemble (request it with
        ``set_fit_request(site=True)`` when the ensemble sits inside a
        Pipeline or a search); other fit metadata, ``sample_weight``
        included, goes to the members that request it, sliced to their rows.

        Returns
        -------
        routing : MetadataRouter
            The routing information.
        """
        router = MetadataRouter(owner=self).add_self_request(self)
        for name, estimator in self._estimators:
            router.add(
                **{name: estimator},
                method_mapping=MethodMapping().add(caller="fit", callee="fit"),
            )
        return router

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
        for name, est in zip(names, ests):  # (not sklearn's private check: 1.7+)
            if isinstance(est, type):
                raise TypeError(
                    f"Expected an estimator instance ({est.__name__}()) for member "
                    f"{name!r}, got estimator class instead ({est.__name__})."
                )
        for name, est in zip(names, ests):
            if isinstance(est, str) and est == "drop":
                raise ValueError(
                    f"Member {name!r} is 'drop'; every member of a cooperative "
                    "ensemble takes part. Remove it from estimators instead."
                )
            self._check_member(name, est)
        return names, ests, columns

    def _member_columns(self, X, columns):
        """Column keys each member sees (None: every column, as given)."""
        return [
            None if spec is None else column_keys(X, resolve_columns(spec, X))
            for spec in columns
        ]

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

    def _validate_X(self, X, reset=True):
        if not reset:  # rows to predict may hold the site column, or not
            X = drop_site_column(
                X, self.site_column, getattr(self, "n_features_in_", None)
            )
        if hasattr(X, "iloc"):
            validate_data(self, X, reset=reset, skip_check_array=True)
            if X.shape[0] < 1:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape={X.shape}) while a "
                    "minimum of 1 is required."
                )
            if reset:
                self._column_kinds = check_frame_at_fit(X)
            elif getattr(self, "_column_kinds", None) is not None:
                check_frame_at_predict(X, self._column_kinds)
            return X
        if reset:
            self._column_kinds = None
        finite = "allow-nan" if self._allow_nan() else True
        return validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=finite)

    def _fit_log(self):
        """What this fit prints: a value the steps receive (never ``self``)."""
        return FitLog(type(self).__name__, self.verbose)

    # ------------------------------------------------------------ routing
    def _route_params(self, names, sample_weight, fit_params):
        """Fit metadata of each member (full length; sliced per member later).

        Returns
        -------
        params : dict of name -> dict
        weights_routed : bool
            True when routing is on: ``sample_weight`` then reaches only
            members that request it, exactly as routed.
        """
        if _routing_enabled():
            extra = {} if sample_weight is None else {"sample_weight": sample_weight}
            routed = process_routing(self, "fit", **extra, **fit_params)
            return {name: dict(routed[name].fit) for name in names}, True
        _raise_for_params(fit_params, self, "fit")
        sw = {} if sample_weight is None else {"sample_weight": sample_weight}
        return {name: dict(sw) for name in names}, False

    @staticmethod
    def _slice_params(params, rows, n_samples):
        return {
            key: _safe_indexing(val, rows) if is_per_row(val, n_samples) else val
            for key, val in params.items()
        }

    # ---------------------------------------------------------------- fit
    def _make_judge(self):
        """The task's judge of who is right on a row (set by each task)."""
        raise NotImplementedError

    def _check_member_rows(self, names, rows, y, strategy):
        """Checks of each member's own rows (k-nearest-neighbour members)."""
        templates = dict(zip(*mb.split_specs(self.estimators)[:2]))
        for name, r in zip(names, rows):
            check_member_neighbors(name, templates[name], len(r))
        if self.n_rounds:
            warn_small_sites(
                names,
                [templates[n] for n in names],
                rows,
                getattr(strategy, "expertise", None),
                getattr(strategy, "oof_folds", None),
            )

    def _one_class_templates(self, templates, rows, y, strategy):
        """Templates of members whose rows hold one class (classifier only)."""
        return templates

    def _strategy(self):
        """The distillation strategy of this fit.

        ``distiller="counterfactual"`` is a ``CounterfactualDistiller`` built
        from the ensemble's own settings; a strategy object holds its own,
        and the ensemble's must then be left at their defaults (those of
        ``_settings.SETTINGS``).
        """
        return make_strategy(
            self.distiller, {name: getattr(self, name) for name in STRATEGY}
        )

    def _build_context(self, X, y, site, sample_weight, fit_params, rng, strategy):
        """Validate members and sites; the frozen state of this fit."""
        names, templates, columns = self._validate_members()
        n = _num_samples(X)
        site, part_columns = self._partition(X, y, site, len(names), rng)
        site_index = None if site is None else mb.resolve_sites(site, names, n)
        rows = mb.member_rows(site_index, len(names), n)
        active = mb.warn_empty(names, rows)
        if part_columns is not None:
            columns = [
                c if c is not None else pc for c, pc in zip(columns, part_columns)
            ]
        cols = self._member_columns(X, columns)
        self._check_member_rows(
            [names[m] for m in active], [rows[m] for m in active], y, strategy
        )
        templates = self._one_class_templates(templates, rows, y, strategy)
        self._check_weights(names, active)
        params, weights_routed = self._route_params(names, sample_weight, fit_params)
        all_keys = column_keys(X, range(self.n_features_in_))
        members = tuple(
            Member(
                name=names[m],
                template=templates[m],
                columns=cols[m],
                keys=list(all_keys) if cols[m] is None else list(cols[m]),
                rows=rows[m],
                X=take(X, rows[m], cols[m]),
                y=y[rows[m]],
                params=self._slice_params(params[names[m]], rows[m], n),
                weight=None if sample_weight is None else sample_weight[rows[m]],
            )
            for m in active
        )
        return FitContext(
            members=members,
            X=X,
            y=y,
            judge=self._make_judge(),
            settings=strategy.settings(self.fill),
            classes=getattr(self, "classes_", None),
            pool=strategy.pool,
            weights_routed=weights_routed,
            sample_weight=sample_weight,
            sat_out=[names[m] for m in range(len(names)) if m not in active],
        )

    def _partition(self, X, y, site, n_members, rng):
        """``site`` as given, else from a clone of ``partition`` (seeded)."""
        if site is None and self.partition is None:
            warn_at_caller(
                f"{type(self).__name__} got no site of its rows (no "
                "site_column, no site in fit, no partition), so every member "
                "is fitted on every row: a pooled fit, not one member per "
                "site. Set site_column to the column of X that holds each "
                "row's site, or pass fit(X, y, site=...).",
                PooledFitWarning,
            )
        if site is not None or self.partition is None:
            return site, None
        partition = clone(self.partition)
        params = partition.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            partition.set_params(random_state=draw_seed(rng))
        if "n_sites" in params and params["n_sites"] != n_members:
            raise ValueError(
                f"partition has n_sites={params['n_sites']}, but there are "
                f"{n_members} members. Give the partition one site per member."
            )
        site = partition.split(X, y)
        columns = None
        if hasattr(partition, "split_columns"):
            columns = partition.split_columns(X)
        return site, columns

    def _split_site_column(self, X, site):
        """``X`` without the ``site_column``, and the site of each row."""
        return split_site_column(X, self.site_column, site)

    def _validate_fit_input(self, X, y, sample_weight, target):
        """Checks shared by every fit: X, y of one length, sample weights."""
        X = self._validate_X(X, reset=True)
        if y is None:
            raise ValueError(
                "requires y to be passed, but the target y is None. Pass the "
                f"{target} of X."
            )
        y = column_or_1d(y, warn=True)
        check_consistent_length(X, y)
        if sample_weight is not None:
            # weights mean repetition: a negative one has no meaning
            sample_weight = _check_sample_weight(
                sample_weight, X, ensure_non_negative=True
            )
        if isinstance(self.partition, str):  # a str has a split method
            raise InvalidParameterError(
                f"The 'partition' parameter of {type(self).__name__} must be None "
                "or an object implementing 'split' (a partitioner from "
                f"skcoop.partition). Got {self.partition!r} instead."
            )
        return X, y, sample_weight

    def _fit_cooperative(self, X, y, site, sample_weight, fit_params):
        """The whole fit after input validation: a driver over the steps."""
        strategy = self._strategy()
        rng = check_random_state(self.random_state)
        ctx = self._build_context(X, y, site, sample_weight, fit_params, rng, strategy)
        log = self._fit_log()
        start = time.perf_counter()
        initial = fit_initial(ctx, self.n_jobs, log)
        initial_seconds = time.perf_counter() - start
        # names for messages about members' outputs (lost in worker processes)
        initial = [name_member(est, m.name) for est, m in zip(initial, ctx.members)]
        done = strategy.rounds(
            ctx, initial, rng, self.n_rounds, n_jobs=self.n_jobs, log=log
        )
        self._set_fitted(ctx, initial, done)
        self.history_ = history_from_records(
            ctx.names,
            done.report,
            done.kept,
            done.accepted,
            self.n_rounds,
            initial_seconds,
        )
        return self

    def _set_fitted(self, ctx, initial, done):
        """The fitted attributes, from the fit's records (``done``: a Rounds)."""
        names = ctx.names
        students = mb.unwrap_one_class(names, done.students)
        self.initial_estimators_ = list(initial)
        self.named_initial_estimators_ = Bunch(**dict(zip(names, initial)))
        self.estimators_ = [name_member(s, n) for s, n in zip(students, names)]
        self.named_estimators_ = Bunch(**dict(zip(names, students)))
        self.virtual_instances_ = Bunch(
            **{
                m.name: (
                    VirtualBatch.empty(m.name, m.X, m.y.dtype) if v is None else v
                ).to_bunch()
                for m, v in zip(ctx.members, done.virtual)
            }
        )
        self.transfer_report_ = transfer_report(done.report, done.kept)
        self.acceptance_ = acceptance_report(done.accepted)
        self.sat_out_ = list(ctx.sat_out)
        self.member_columns_ = Bunch(**{m.name: m.columns for m in ctx.members})
        self.n_rows_ = Bunch(**{m.name: len(m.rows) for m in ctx.members})
        self._set_task_fitted(ctx, initial, done.bounds)

    def _set_task_fitted(self, ctx, initial, bounds):
        """Task-specific fitted attributes (none by default)."""

    def _member_outputs(self, X, method):
        """Each distilled member's output on its own columns of ``X``.

        An error names the member (for example an encoder that meets a
        category no row of its site had).
        """
        outputs = []
        for name, est in self.named_estimators_.items():
            Xm = take(X, columns=self.member_columns_[name])
            name_member(est, name)
            try:
                outputs.append(method(est, Xm))
            except Exception as exc:
                if str(exc).startswith(f"Member {name!r}"):
                    raise  # already named where the output entered
                raise renamed_error(
                    exc,
                    f"Member {name!r} ({type(est).__name__}) failed to predict: {exc}",
                ) from exc
        return outputs

    def _vote_weights(self):
        if self.weights is None:
            return None
        names = [n for n, *_ in self.estimators]
        weights = np.asarray(self.weights, dtype=float)
        return np.asarray(
            [weights[names.index(n)] for n in self.named_estimators_], dtype=float
        )

    def _check_weights(self, names, active=None):
        """``weights``: one finite non-negative number per member, not all 0."""
        check_vote_weights(self.weights, names, active)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan()
        tags.input_tags.sparse = False
        return tags
