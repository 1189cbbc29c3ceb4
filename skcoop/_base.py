"""Machinery shared by the cooperative classifier and regressor.

Members, sites, per-member columns, metadata routing, the distillation
rounds and the fitted attributes. The task-specific parts (who is right on a
row, how members vote) live in ``_cooperative.py``.
"""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from sklearn.base import clone
from sklearn.utils import Bunch, _safe_indexing, check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils._tags import get_tags
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.metaestimators import _BaseComposition
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from . import _members as mb
from ._rounds import _DistillationRounds
from ._validation import check_frame_at_fit, check_frame_at_predict
from .views import column_keys, resolve_columns


def _is_per_row(value, n_samples):
    """Whether a piece of fit metadata holds one value per row."""
    return (
        value is not None
        and hasattr(value, "__len__")
        and not isinstance(value, str)
        and _num_samples(value) == n_samples
    )


class _BaseCooperative(_DistillationRounds, _BaseComposition):
    """Members, sites, fitting and rounds shared by the classifier and regressor."""

    _parameter_constraints: dict = {
        "estimators": [list],
        "alpha": [Interval(Real, 0, 1, closed="both")],
        "n_rounds": [Interval(Integral, 0, None, closed="left")],
        "pool": [StrOptions({"site", "union"})],
        "dedupe": ["boolean"],
        "virtual_weight": [Interval(Real, 0, None, closed="neither")],
        "counterfactual": [
            StrOptions({"auto", "blackbox", "gradient", "bisection"}),
            HasMethods(["fit", "generate"]),
        ],
        "fill": [StrOptions({"mean", "median", "impute", "zero"})],
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
        self._check_estimators_are_instances(ests)
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

    def _log(self, message, level=1):
        if self.verbose >= level:
            print(f"[{type(self).__name__}] {message}", flush=True)

    def _fit_message(self, name, n_rows, what, idx):
        if not self.verbose:
            return None
        return (
            f"[{type(self).__name__}] ({idx + 1} of {len(self._names)}) {what} "
            f"member {name!r} on {n_rows} rows"
        )

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
            key: _safe_indexing(val, rows) if _is_per_row(val, n_samples) else val
            for key, val in params.items()
        }

    # ---------------------------------------------------------------- fit
    def _fit_members(self, X, y, site, sample_weight, fit_params, rng):
        """Validate members and sites, fit the members on their own rows."""
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
        self._prepare_members(names, active, rows, y)
        params, self._weights_routed = self._route_params(
            names, sample_weight, fit_params
        )

        self._names = [names[m] for m in active]
        self._templates = [templates[m] for m in active]
        self._columns = [cols[m] for m in active]
        self._rows = [rows[m] for m in active]
        self._all_keys = column_keys(X, range(self.n_features_in_))
        self.sat_out_ = [names[m] for m in range(len(names)) if m not in active]
        self._params = [
            self._slice_params(params[names[m]], rows[m], n) for m in active
        ]
        self._own = [
            (mb.take(X, r, c), y[r]) for r, c in zip(self._rows, self._columns)
        ]
        return Parallel(n_jobs=self.n_jobs)(
            delayed(mb.fit_member)(
                self._clone_member(est),
                Xo,
                yo,
                name,
                message=self._fit_message(name, len(yo), "Fitting", idx),
                fit_params=self._member_fit_params(idx, None),
            )
            for idx, (name, est, (Xo, yo)) in enumerate(
                zip(self._names, self._templates, self._own)
            )
        )

    def _clone_member(self, template):
        """An unfitted copy of a member, told the ensemble's classes if a net."""
        est = clone(template)
        classes = getattr(self, "classes_", None)
        return est if classes is None else mb.with_classes(est, classes)

    def _partition(self, X, y, site, n_members, rng):
        """``site`` as given, else from a clone of ``partition`` (seeded)."""
        if site is not None or self.partition is None:
            return site, None
        partition = clone(self.partition)
        params = partition.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            partition.set_params(random_state=rng.randint(np.iinfo(np.int32).max))
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

    def _member_fit_params(self, j, n_virtual):
        """Fit keyword arguments of member ``j``, virtual rows appended."""
        params = dict(self._params[j])
        sw = params.pop("sample_weight", None)
        n_own = len(self._own[j][1])
        if n_virtual is None or n_virtual == 0:
            weights = sw
        elif sw is None and self.virtual_weight == 1:
            weights = None
        else:
            own = np.ones(n_own) if sw is None else np.asarray(sw, dtype=float)
            weights = np.concatenate(
                [own, np.full(n_virtual, float(self.virtual_weight))]
            )
        for key, val in params.items():
            if n_virtual and _is_per_row(val, n_own):
                raise ValueError(
                    f"Member {self._names[j]!r} requests the per-row fit metadata "
                    f"{key!r}, which virtual instances do not have. Only "
                    "sample_weight can be extended to virtual rows; stop routing "
                    f"{key!r} to this member, or set n_rounds=0."
                )
        if weights is None:
            return params
        if self._weights_routed:
            if "sample_weight" not in self._params[j] and n_virtual:
                raise TypeError(
                    f"virtual_weight={self.virtual_weight} needs sample weights, "
                    f"but member {self._names[j]!r} does not request sample_weight "
                    "under metadata routing. Call "
                    "set_fit_request(sample_weight=True) on it, or use "
                    "virtual_weight=1."
                )
            params["sample_weight"] = weights
            return params
        kw = mb.weight_kwargs(self._templates[j], weights)
        if kw is None:
            if not np.allclose(weights, weights[0]):
                raise TypeError(
                    f"Member {self._names[j]!r} ({type(self._templates[j]).__name__}) "
                    "does not support sample_weight, but unequal sample weights "
                    "were given (user weights, or virtual_weight != 1). Use a "
                    "member whose fit takes sample_weight, or pass no weights and "
                    "virtual_weight=1."
                )
            return params
        params.update(kw)
        return params

    def _prepare_members(self, names, active, rows, y):
        """Task-specific checks of each member's rows."""

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
            sample_weight = _check_sample_weight(sample_weight, X)
        return X, y, sample_weight

    def _fit_cooperative(self, X, y, site, sample_weight, fit_params):
        """The whole fit after input validation."""
        rng = check_random_state(self.random_state)
        self._zero_weight = None
        if sample_weight is not None and np.any(sample_weight == 0):
            self._zero_weight = np.asarray(sample_weight) == 0
        initial = self._fit_members(X, y, site, sample_weight, fit_params, rng)
        self._mappers = {}
        distiller = getattr(self, "distiller", "counterfactual")
        if isinstance(distiller, str):
            students, virtual, report = self._distill(X, y, initial, rng)
        else:
            students = self._distill_classic(clone(distiller), initial, rng)
            virtual, report = [None] * len(initial), []
        self._finish(X, y, initial)
        self._set_fitted(initial, students, virtual, report)
        return self

    def _finish(self, X, y, initial):
        """Task-specific fitted attributes, while rows and columns are known."""

    def _set_fitted(self, initial, students, virtual, report):
        self.initial_estimators_ = list(initial)
        self.named_initial_estimators_ = Bunch(**dict(zip(self._names, initial)))
        self.estimators_ = list(students)
        self.named_estimators_ = Bunch(**dict(zip(self._names, students)))
        self.virtual_instances_ = Bunch()
        for name, v, (Xo, yo) in zip(self._names, virtual, self._own):
            if v is None:
                v = {
                    "X": mb.take(Xo, np.zeros(0, dtype=int)),
                    "y": np.zeros(0, dtype=yo.dtype),
                    "teacher": np.zeros(0, dtype=object),
                    "source_index": np.zeros(0, dtype=int),
                    "round": np.zeros(0, dtype=int),
                }
            self.virtual_instances_[name] = Bunch(**v)
        keys = ("round", "teacher", "student", "class", "qualifying", "found", "kept")
        self.transfer_report_ = {
            key: (
                np.asarray([entry[key] for entry in report], dtype=object)
                if key in ("teacher", "student", "class")
                else np.asarray([entry[key] for entry in report], dtype=int)
            )
            for key in keys
        }
        self.member_columns_ = Bunch(**dict(zip(self._names, self._columns)))
        self.n_rows_ = Bunch(**{n: len(r) for n, r in zip(self._names, self._rows)})
        for attr in (
            "_templates",
            "_own",
            "_rows",
            "_mappers",
            "_params",
            "_zero_weight",
        ):
            if hasattr(self, attr):
                delattr(self, attr)

    def _member_outputs(self, X, method):
        """Each distilled member's output on its own columns of ``X``.

        An error names the member (for example an encoder that meets a
        category no row of its site had).
        """
        outputs = []
        for name, est in self.named_estimators_.items():
            Xm = mb.take(X, columns=self.member_columns_[name])
            try:
                outputs.append(method(est, Xm))
            except Exception as exc:
                raise type(exc)(
                    f"Member {name!r} ({type(est).__name__}) failed to predict: {exc}"
                ) from exc
        return outputs

    def _vote_weights(self):
        if self.weights is None:
            return None
        names = [n for n, *_ in self.estimators]
        return np.asarray(
            [self.weights[names.index(n)] for n in self.named_estimators_], dtype=float
        )

    def _check_weights(self, names):
        if self.weights is not None and len(self.weights) != len(names):
            raise ValueError(
                "weights must have one entry per member. Got "
                f"{len(self.weights)} weights for {len(names)} members instead."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self._allow_nan()
        tags.input_tags.sparse = False
        return tags
