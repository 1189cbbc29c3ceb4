"""Site assignment for simulations: which member of an ensemble owns each row.

Every partitioner here is a small object whose ``split(X, y=None)`` returns a
``site`` vector: one integer in ``0 .. n_sites - 1`` per row of ``X``, the
form that :class:`~skcoop.CooperativeDistillationEnsemble` takes as its
``site`` fit parameter. An ensemble given a partitioner as its ``partition``
parameter calls ``split`` in ``fit`` when ``fit`` gets no ``site``.

- :class:`IIDPartitioner`: shuffled, near-equal sizes.
- :class:`DirichletPartitioner`: label skew, per-class Dirichlet proportions
  (after flwr-datasets' ``DirichletPartitioner``).
- :class:`ClassExclusionPartitioner`: each site lacks the classes you name.
- :class:`QuantitySkewPartitioner`: site sizes skewed, labels IID.
- :class:`FeatureViewPartitioner`: vertical views, each site sees the shared
  columns plus its own share of the others.

A partitioner never modifies its input, and a fixed integer ``random_state``
gives the same split on every call. The objects are scikit-learn estimators as
far as parameters go (``get_params``, ``set_params``, ``clone``), so an
ensemble's ``partition__alpha`` can be grid-searched.
"""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import _num_samples, check_consistent_length

from .views import column_keys, resolve_columns

__all__ = [
    "ClassExclusionPartitioner",
    "DirichletPartitioner",
    "FeatureViewPartitioner",
    "IIDPartitioner",
    "QuantitySkewPartitioner",
]


def _make_rng(random_state):
    """A numpy Generator drawn from a scikit-learn style ``random_state``.

    ``Generator.dirichlet`` stays accurate for very small concentrations,
    where the legacy ``RandomState.dirichlet`` returns NaN.
    """
    seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
    return np.random.default_rng(seed)


def _round_counts(total, proportions):
    """Integer counts summing to ``total``, as close as possible to
    ``total * proportions`` (largest remainder)."""
    raw = total * np.asarray(proportions, dtype=float)
    counts = np.floor(raw).astype(np.intp)
    short = int(total - counts.sum())
    if short > 0:
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def _assign(rows, counts, sites=None):
    """Pairs (rows, site) giving consecutive chunks of ``rows`` to sites."""
    sites = np.arange(len(counts)) if sites is None else np.asarray(sites)
    return rows, np.repeat(sites, counts)


def _near_equal_counts(total, n_parts):
    """Sizes differing by at most one, the larger ones first."""
    base, extra = divmod(total, n_parts)
    return np.array([base + (k < extra) for k in range(n_parts)], dtype=np.intp)


class _BasePartitioner(BaseEstimator):
    """Validation shared by every partitioner: public ``split`` checks, the
    private ``_split`` works on ``(n_samples, y, rng)``."""

    _parameter_constraints: dict = {
        "n_sites": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }
    _requires_y = False

    def split(self, X, y=None):
        """Assign each row of ``X`` to a site.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to assign; only their number is used (and, for
            :class:`FeatureViewPartitioner`, their columns). Not modified.
        y : array-like of shape (n_samples,), default=None
            Labels, required by the label-aware partitioners.

        Returns
        -------
        site : ndarray of shape (n_samples,), dtype=int
            Site of each row, in ``0 .. n_sites - 1``; every site gets at
            least one row.
        """
        self._validate_params()
        n_samples = _num_samples(X)
        y = self._check_y(X, y)
        self._check_enough_rows(n_samples)
        rows, sites = self._split(n_samples, y, _make_rng(self.random_state))
        site = np.full(n_samples, -1, dtype=np.intp)
        site[rows] = sites
        return site

    def _check_y(self, X, y):
        if y is None:
            if self._requires_y:
                raise ValueError(
                    f"{type(self).__name__} splits by label and needs y; "
                    "call split(X, y)."
                )
            return None
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise ValueError(
                f"y must be one-dimensional, got an array of shape {y.shape}."
            )
        check_consistent_length(X, y)
        return y

    def _min_rows_per_site(self):
        return 1

    def _check_enough_rows(self, n_samples):
        needed = self.n_sites * self._min_rows_per_site()
        if n_samples < needed:
            per_site = self._min_rows_per_site()
            raise ValueError(
                f"Cannot give each of n_sites={self.n_sites} sites at least "
                f"{per_site} row{'s' if per_site > 1 else ''}: X has only "
                f"{n_samples} rows (at least {needed} needed). Use fewer sites"
                + (" or a smaller min_partition_size." if per_site > 1 else ".")
            )

    def _split(self, n_samples, y, rng):  # pragma: no cover - abstract
        raise NotImplementedError


class IIDPartitioner(_BasePartitioner):
    """Shuffle the rows and cut them into sites of near-equal size.

    Site sizes differ by at most one row; the first ``n_samples % n_sites``
    sites get the extra rows.

    Parameters
    ----------
    n_sites : int
        Number of sites (ensemble members).
    random_state : int, RandomState instance or None, default=None
        Controls the shuffle. Pass an int for the same split on every call.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.partition import IIDPartitioner
    >>> site = IIDPartitioner(n_sites=3, random_state=0).split(np.zeros((10, 2)))
    >>> np.bincount(site)
    array([4, 3, 3])
    """

    def __init__(self, n_sites, random_state=None):
        self.n_sites = n_sites
        self.random_state = random_state

    def _split(self, n_samples, y, rng):
        return _assign(
            rng.permutation(n_samples), _near_equal_counts(n_samples, self.n_sites)
        )


class DirichletPartitioner(_BasePartitioner):
    """Label skew: each class is divided among sites by Dirichlet proportions.

    Follows the semantics of flwr-datasets' ``DirichletPartitioner`` (after
    Yurochkin et al., "Bayesian Nonparametric Federated Learning of Neural
    Networks", 2019). Classes are taken in sorted order; for each class a
    vector of site proportions is drawn from ``Dirichlet(alpha)`` and the
    class's rows are cut at ``floor(cumsum(proportions) * n_class_rows)``.
    With ``self_balancing=True`` a site that already holds more than the
    average ``n_samples / n_sites`` rows gets a zero share of every later
    class, the other shares renormalised. If some site ends with fewer than
    ``min_partition_size`` rows, all proportions are drawn again, up to
    ``max_tries`` samplings in all, then a ``ValueError`` says what to
    change.

    Small ``alpha`` gives each site few classes; large ``alpha`` approaches
    an IID split.

    Parameters
    ----------
    n_sites : int
        Number of sites.
    alpha : float or array-like of shape (n_sites,)
        Dirichlet concentration, strictly positive: one value for every
        site, or one per site.
    min_partition_size : int, default=10
        Fewest rows a site may get (at least 1: every member needs rows).
    self_balancing : bool, default=False
        Give no more rows of later classes to a site already above the
        average size.
    shuffle : bool, default=True
        Shuffle each class's rows before cutting them, so which rows of a
        class go to a site is random. With ``False`` each site gets
        contiguous runs of the class's rows in their original order.
        flwr-datasets shuffles the rows inside each partition instead,
        which does not change a site vector.
    max_tries : int, default=10
        Samplings of the proportions before giving up.
    random_state : int, RandomState instance or None, default=None
        Controls the proportions and the shuffle.

    See Also
    --------
    QuantitySkewPartitioner : skewed sizes with IID labels.
    ClassExclusionPartitioner : sites that lack named classes entirely.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.partition import DirichletPartitioner
    >>> y = np.repeat([0, 1, 2], 100)
    >>> part = DirichletPartitioner(n_sites=3, alpha=0.5, random_state=0)
    >>> site = part.split(np.zeros((300, 1)), y)
    >>> int(np.bincount(site).min()) >= 10
    True
    """

    _parameter_constraints: dict = {
        **_BasePartitioner._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="neither"), "array-like"],
        "min_partition_size": [Interval(Integral, 1, None, closed="left")],
        "self_balancing": ["boolean"],
        "shuffle": ["boolean"],
        "max_tries": [Interval(Integral, 1, None, closed="left")],
    }
    _requires_y = True

    def __init__(
        self,
        n_sites,
        alpha,
        min_partition_size=10,
        self_balancing=False,
        shuffle=True,
        max_tries=10,
        random_state=None,
    ):
        self.n_sites = n_sites
        self.alpha = alpha
        self.min_partition_size = min_partition_size
        self.self_balancing = self_balancing
        self.shuffle = shuffle
        self.max_tries = max_tries
        self.random_state = random_state

    def _min_rows_per_site(self):
        return self.min_partition_size

    def _alpha_vector(self):
        alpha = np.asarray(self.alpha, dtype=float)
        if alpha.ndim == 0:
            return np.full(self.n_sites, float(alpha))
        alpha = alpha.ravel()
        if alpha.shape[0] != self.n_sites:
            raise ValueError(
                f"alpha has {alpha.shape[0]} values but n_sites={self.n_sites}; "
                "pass one value, or one per site."
            )
        if not np.all(np.isfinite(alpha) & (alpha > 0)):
            raise ValueError(
                "Every alpha must be a finite number strictly greater than 0 "
                f"(a Dirichlet concentration); got {alpha.tolist()}."
            )
        return alpha

    def _split(self, n_samples, y, rng):
        alpha = self._alpha_vector()
        _, y_code = np.unique(y, return_inverse=True)
        class_rows = [np.flatnonzero(y_code == c) for c in range(y_code.max() + 1)]
        average = n_samples / self.n_sites
        for _ in range(self.max_tries):
            counts = np.zeros(self.n_sites, dtype=np.intp)
            site = np.empty(n_samples, dtype=np.intp)
            for rows in class_rows:
                if self.shuffle:
                    rows = rng.permutation(rows)
                share = rng.dirichlet(alpha)
                if self.self_balancing:
                    share = np.where(counts > average, 0.0, share)
                total = share.sum()
                if not np.isfinite(total) or total <= 0:
                    # every open site drew a zero share: split evenly among them
                    share = (counts <= average).astype(float)
                    total = share.sum()
                cuts = (np.cumsum(share / total) * len(rows)).astype(np.intp)[:-1]
                for k, part in enumerate(np.split(rows, cuts)):
                    site[part] = k
                    counts[k] += len(part)
            if counts.min() >= self.min_partition_size:
                return np.arange(n_samples), site
        raise ValueError(
            f"DirichletPartitioner could not give every one of the "
            f"{self.n_sites} sites at least min_partition_size="
            f"{self.min_partition_size} rows in max_tries={self.max_tries} "
            f"samplings (last try: smallest site {int(counts.min())} rows, "
            f"alpha={np.round(alpha, 6).tolist()}). Raise alpha, lower "
            "min_partition_size, set self_balancing=True or raise max_tries."
        )


class ClassExclusionPartitioner(_BasePartitioner):
    """Sites that each lack the classes you name; the rest is spread evenly.

    The rows of each class are shuffled and cut into near-equal parts, one
    for each site allowed to hold that class (which site gets a remainder
    row is random). With ``exclude=None``, site ``k`` lacks the ``k``-th
    class (classes sorted): the paper's "semi-experts", e.g. 10 members on
    Fashion-MNIST, each trained without one class.

    Parameters
    ----------
    n_sites : int
        Number of sites.
    exclude : dict or list, default=None
        Classes each site lacks: a dict ``{site: classes}`` (sites not named
        lack nothing), or a list with one entry per site. An entry is one
        class label or a list of them. ``None`` means site ``k`` lacks the
        ``k``-th class and needs as many sites as classes.
    random_state : int, RandomState instance or None, default=None
        Controls the shuffle.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.partition import ClassExclusionPartitioner
    >>> y = np.repeat([0, 1, 2], 4)
    >>> site = ClassExclusionPartitioner(3, random_state=0).split(y[:, None], y)
    >>> [sorted(set(y[site == k].tolist())) for k in range(3)]
    [[1, 2], [0, 2], [0, 1]]
    """

    _parameter_constraints: dict = {
        **_BasePartitioner._parameter_constraints,
        "exclude": [dict, list, None],
    }
    _requires_y = True

    def __init__(self, n_sites, exclude=None, random_state=None):
        self.n_sites = n_sites
        self.exclude = exclude
        self.random_state = random_state

    def _excluded_codes(self, classes):
        """List, per site, of the class codes (positions in ``classes``) it
        lacks."""
        if self.exclude is None:
            if len(classes) != self.n_sites:
                raise ValueError(
                    f"exclude=None means site k lacks the k-th class, which "
                    f"needs as many sites as classes; got n_sites={self.n_sites} "
                    f"and {len(classes)} classes {classes.tolist()}. Pass "
                    "exclude={site: [classes]} instead."
                )
            return [[k] for k in range(self.n_sites)]
        if isinstance(self.exclude, dict):
            bad = [s for s in self.exclude if not _is_site(s, self.n_sites)]
            if bad:
                raise ValueError(
                    f"exclude names sites {bad} that do not exist; sites are "
                    f"0 .. {self.n_sites - 1}."
                )
            entries = [self.exclude.get(k, []) for k in range(self.n_sites)]
        else:
            if len(self.exclude) != self.n_sites:
                raise ValueError(
                    f"exclude as a list needs one entry per site: got "
                    f"{len(self.exclude)} entries for n_sites={self.n_sites}."
                )
            entries = list(self.exclude)
        code = {c: i for i, c in enumerate(classes.tolist())}
        excluded = []
        for k, entry in enumerate(entries):
            labels = [entry] if np.isscalar(entry) else list(entry)
            unknown = [c for c in labels if c not in code]
            if unknown:
                raise ValueError(
                    f"exclude for site {k} names classes {unknown} that y does "
                    f"not contain; the classes are {classes.tolist()}."
                )
            excluded.append([code[c] for c in labels])
        return excluded

    def _split(self, n_samples, y, rng):
        classes, y_code = np.unique(y, return_inverse=True)
        excluded = self._excluded_codes(classes)
        all_rows, all_sites = [], []
        for c in range(len(classes)):
            allowed = [k for k in range(self.n_sites) if c not in excluded[k]]
            if not allowed:
                raise ValueError(
                    f"Every site excludes class {classes.tolist()[c]!r}, so its rows "
                    "would have no site; let at least one site hold it."
                )
            rows = rng.permutation(np.flatnonzero(y_code == c))
            counts = _near_equal_counts(len(rows), len(allowed))
            rows, sites = _assign(rows, counts, rng.permutation(allowed))
            all_rows.append(rows)
            all_sites.append(sites)
        rows, sites = np.concatenate(all_rows), np.concatenate(all_sites)
        empty = np.flatnonzero(np.bincount(sites, minlength=self.n_sites) == 0)
        if empty.size:
            raise ValueError(
                f"Sites {empty.tolist()} get no rows: the classes they may "
                "hold have too few rows to share among the sites that hold "
                "them. Exclude fewer classes or use fewer sites."
            )
        return rows, sites


def _is_site(value, n_sites):
    return (
        isinstance(value, Integral)
        and not isinstance(value, bool)
        and 0 <= value < n_sites
    )


class QuantitySkewPartitioner(_BasePartitioner):
    """Skewed site sizes, rows (and so labels) assigned IID.

    Each site first gets ``min_partition_size`` rows; the remaining rows are
    divided by proportions drawn from ``Dirichlet(alpha)`` (rounded by
    largest remainder). With ``sizes`` given, the sizes are
    ``n_samples * sizes / sum(sizes)`` (rounded the same way) and a site
    below ``min_partition_size`` is an error.

    Parameters
    ----------
    n_sites : int
        Number of sites.
    alpha : float, default=1.0
        Dirichlet concentration of the sizes, strictly positive: small values
        give a few large sites and many small ones. Ignored when ``sizes`` is
        given.
    sizes : array-like of shape (n_sites,), default=None
        Relative site sizes, strictly positive; normalised to sum to one.
    min_partition_size : int, default=10
        Fewest rows a site may get (at least 1).
    random_state : int, RandomState instance or None, default=None
        Controls the proportions and which rows go where.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.partition import QuantitySkewPartitioner
    >>> part = QuantitySkewPartitioner(3, sizes=[0.5, 0.3, 0.2], random_state=0)
    >>> np.bincount(part.split(np.zeros((100, 1))))
    array([50, 30, 20])
    """

    _parameter_constraints: dict = {
        **_BasePartitioner._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "sizes": ["array-like", None],
        "min_partition_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self, n_sites, alpha=1.0, sizes=None, min_partition_size=10, random_state=None
    ):
        self.n_sites = n_sites
        self.alpha = alpha
        self.sizes = sizes
        self.min_partition_size = min_partition_size
        self.random_state = random_state

    def _min_rows_per_site(self):
        return self.min_partition_size

    def _split(self, n_samples, y, rng):
        if self.sizes is None:
            share = rng.dirichlet(np.full(self.n_sites, float(self.alpha)))
            spare = n_samples - self.n_sites * self.min_partition_size
            counts = self.min_partition_size + _round_counts(spare, share)
        else:
            sizes = np.asarray(self.sizes, dtype=float).ravel()
            if sizes.shape[0] != self.n_sites or not np.all(
                np.isfinite(sizes) & (sizes > 0)
            ):
                raise ValueError(
                    f"sizes must hold {self.n_sites} finite values > 0 (one per "
                    f"site); got {np.asarray(self.sizes).tolist()}."
                )
            counts = _round_counts(n_samples, sizes / sizes.sum())
            if counts.min() < self.min_partition_size:
                raise ValueError(
                    f"sizes={sizes.tolist()} give site sizes {counts.tolist()} "
                    f"for {n_samples} rows, below min_partition_size="
                    f"{self.min_partition_size}. Raise the small sizes or lower "
                    "min_partition_size."
                )
        return _assign(rng.permutation(n_samples), counts)


class FeatureViewPartitioner(_BasePartitioner):
    """Vertical views: each site sees the shared columns plus its own columns.

    By default the columns not in ``shared_columns`` are shuffled and cut
    into ``n_sites`` disjoint, near-equal groups, one per site;
    ``site_columns`` names each site's own columns instead. A site's columns
    keep their order in ``X``.

    ``split`` returns the rows of each site from ``row_partitioner``, or
    ``None`` when it is ``None``: every site sees every row (pure vertical
    partitioning), which is what an ensemble does when ``fit`` has no
    ``site``. ``split`` also sets ``columns_``, the same list that
    ``split_columns(X)`` returns.

    Parameters
    ----------
    n_sites : int
        Number of sites.
    shared_columns : str, int, list, slice, bool mask or callable, default=None
        Columns every site sees, in any form a ColumnTransformer accepts
        (see :func:`skcoop.views.resolve_columns`). ``None``: no shared
        column, so members share no feature and cannot transfer (the
        mapping warns).
    site_columns : list of length n_sites, default=None
        Each site's own columns (same forms as ``shared_columns``), added to
        the shared ones; they may overlap. ``None``: a disjoint random share
        of the non-shared columns.
    row_partitioner : partitioner, default=None
        Object with ``split(X, y)`` and ``n_sites`` assigning the rows, such
        as :class:`IIDPartitioner`. ``None``: every site has every row.
    random_state : int, RandomState instance or None, default=None
        Controls which non-shared columns go to which site.

    Attributes
    ----------
    columns_ : list of list
        Set by ``split``: the columns of each site, as names when ``X`` is a
        DataFrame with string column names, else as integer positions.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.partition import FeatureViewPartitioner
    >>> part = FeatureViewPartitioner(2, shared_columns=[0], random_state=0)
    >>> part.split_columns(np.zeros((5, 5)))
    [[0, 1, 3], [0, 2, 4]]
    """

    _parameter_constraints: dict = {
        **_BasePartitioner._parameter_constraints,
        "shared_columns": "no_validation",
        "site_columns": [list, None],
        "row_partitioner": [HasMethods(["split"]), None],
    }

    def __init__(
        self,
        n_sites,
        shared_columns=None,
        site_columns=None,
        row_partitioner=None,
        random_state=None,
    ):
        self.n_sites = n_sites
        self.shared_columns = shared_columns
        self.site_columns = site_columns
        self.row_partitioner = row_partitioner
        self.random_state = random_state

    def split(self, X, y=None):
        """Columns of each site (set as ``columns_``) and the rows of each.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data whose columns are divided. Not modified.
        y : array-like of shape (n_samples,), default=None
            Passed to ``row_partitioner``.

        Returns
        -------
        site : ndarray of shape (n_samples,) or None
            Site of each row from ``row_partitioner``, or ``None`` (every
            site has every row) when there is none.
        """
        self.columns_ = self.split_columns(X)
        if self.row_partitioner is None:
            return None
        inner = getattr(self.row_partitioner, "n_sites", self.n_sites)
        if inner != self.n_sites:
            raise ValueError(
                f"row_partitioner has n_sites={inner} but this "
                f"FeatureViewPartitioner has n_sites={self.n_sites}; make them "
                "equal."
            )
        return self.row_partitioner.split(X, y)

    def split_columns(self, X):
        """The columns of each site, without assigning rows.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data whose columns are divided.

        Returns
        -------
        columns : list of n_sites lists
            Column names (DataFrame with string names) or integer positions,
            each list in the order of ``X``'s columns; usable as the third
            element of an ensemble member ``(name, estimator, columns)``.
        """
        self._validate_params()
        if not hasattr(X, "shape") and not hasattr(X, "columns"):
            X = np.asarray(X)
        n_features = X.shape[1]
        shared = (
            [] if self.shared_columns is None
            else resolve_columns(self.shared_columns, X)
        )
        if self.site_columns is not None:
            if len(self.site_columns) != self.n_sites:
                raise ValueError(
                    f"site_columns needs one entry per site: got "
                    f"{len(self.site_columns)} for n_sites={self.n_sites}."
                )
            own = [resolve_columns(spec, X) for spec in self.site_columns]
        else:
            rest = np.setdiff1d(np.arange(n_features), shared)
            rest = _make_rng(self.random_state).permutation(rest)
            own = [part.tolist() for part in np.array_split(rest, self.n_sites)]
        views = [sorted(set(shared) | set(cols)) for cols in own]
        empty = [k for k, cols in enumerate(views) if not cols]
        if empty:
            raise ValueError(
                f"Sites {empty} get no column: X has {n_features} columns, "
                f"{len(shared)} shared, for n_sites={self.n_sites}. Share some "
                "columns, use fewer sites or give site_columns."
            )
        return [column_keys(X, cols) for cols in views]
