"""Partitioners by label: Dirichlet label skew and excluded classes."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ..utils import count, number
from ._base import _assign, _BasePartitioner, _is_site, _near_equal_counts


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
        "alpha": [number(0, None, closed="neither"), "array-like"],
        "min_partition_size": [count(1)],
        "self_balancing": ["boolean"],
        "shuffle": ["boolean"],
        "max_tries": [count(1)],
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
