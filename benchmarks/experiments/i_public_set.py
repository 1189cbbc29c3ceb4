"""I. Public-set methods (FedMD, FedDF) beside cooperative distillation (issue 29).

The tables of experiment H (four natural-site classification tables, Ames
log price for regression with the regression analogue), D's raw German
credit, E's heart hospitals (members with their own columns) and A's digits
under Dirichlet(0.5) label skew. In every task a public set is held out:
10% of the pooled training rows, drawn within each site (so every site
gives 10% of its rows), labels dropped. Every method then sees the same
site rows; the public-set methods also see the public rows:

``alone``       members on their own rows (the ``(vote)`` row: the soft vote
                of the alone members)
``ckd``         cooperative distillation at its defaults
``ckd_public``  the same, the public rows added to every site's own,
                labelled by the vote of the alone members
``fedmd``       :class:`skcoop.distill.FedMDDistiller` defaults
``feddf``       :class:`skcoop.distill.FedDFDistiller` defaults
``kd_tuned``    soft-target KD, T x w tuned on a validation split
``pooled``      each learner on every site row (the public rows excluded)

Each ensemble method's ``(vote)`` row is the soft vote of its distilled
members. ``bytes_round`` is what the method sends per round
(``benchmarks/traffic.py``). Run:

    nice python benchmarks/run.py --only I --out benchmarks/results/public_set \
        --seeds 0 1 2 3 4
"""

from dataclasses import replace

import numpy as np

NAME = "I"
TITLE = "Public-set methods (FedMD, FedDF) beside cooperative distillation"
PUBLIC_FRACTION = 0.1
METHODS = ("alone", "ckd", "ckd_public", "fedmd", "feddf", "kd_tuned", "pooled")
REG_METHODS = ("alone", "ckd", "ckd_public", "fedmd", "feddf", "pooled")


def hold_out_public(task, seed, fraction=PUBLIC_FRACTION):
    """``task`` with ``fraction`` of each site's rows moved to ``task.public``.

    The public rows lose their labels; a site keeps at least every class it
    had twice (a draw that would leave a site one class is redrawn from the
    rows of its other classes).
    """
    rng = np.random.RandomState(seed)
    public = np.zeros(len(task.y), dtype=bool)
    for s in np.unique(task.site):
        idx = rng.permutation(np.flatnonzero(task.site == s))
        n = int(round(fraction * len(idx)))
        if not task.regression:  # keep two rows of every class at the site
            keep = []
            for c in np.unique(task.y[idx]):
                keep += list(idx[task.y[idx] == c][:2])
            idx = np.array([i for i in idx if i not in set(keep)])
        public[idx[:n]] = True
    X = task.X
    take = (
        (lambda m: X.iloc[np.flatnonzero(m)])
        if hasattr(X, "iloc")
        else (lambda m: X[m])
    )
    methods = REG_METHODS if task.regression else METHODS
    return replace(
        task,
        experiment=NAME,
        X=take(~public),
        y=task.y[~public],
        site=task.site[~public],
        public=take(public),
        methods=methods,
        trace_memory=False,
        extra=dict(task.extra, n_public=int(public.sum())),
    )


def _digits(seed, quick):
    """A's Dirichlet(0.5) digits in float64, without the skorch MLP.

    In float32, naive Bayes fitted on weighted (replicated) rows returns
    probabilities that do not sum to one (its variances are floored at
    ~1e-10); the MLP needs float32 rows, so it is left out here.
    """
    from experiments import a_kd_comparison as a

    for task in a.tasks(seed, quick):
        if task.setting == "dirichlet=0.5":
            keep = np.isin(task.site, ["logreg", "forest", "naive_bayes", "knn"])
            yield replace(
                task,
                setting="digits dirichlet=0.5 (A, no MLP)",
                X=task.X[keep].astype(np.float64),
                y=task.y[keep],
                site=task.site[keep],
                X_test=task.X_test.astype(np.float64),
                members=[m for m in task.members if m[0] != "mlp"],
            )


def tasks(seed, quick):
    from experiments import h_natural_sites as h

    for name in h.TABLES:
        yield hold_out_public(h.natural_task(name, seed, quick), seed)
    for task in h.reused_tasks(seed, quick):
        if task.setting.startswith(("german", "heart")):
            yield hold_out_public(task, seed)
    for task in _digits(seed, quick):
        yield hold_out_public(task, seed)
