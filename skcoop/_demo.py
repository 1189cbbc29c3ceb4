"""The main job: cooperative distillation on a bundled dataset, with baselines.

``python -m skcoop demo`` fits four different learners on label-skewed sites
of a scikit-learn dataset, distils them cooperatively and prints, on a
held-out split, each member's accuracy before and after, the ensemble's, the
pooled-data upper bound for each learner, the virtual-instance counts and the
wall time.
"""

# SPDX-License-Identifier: BSD-3-Clause

import sys
import time

import numpy as np
from sklearn import datasets
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from ._cooperative import CooperativeDistillationEnsemble
from .partition import DirichletPartitioner

DATASETS = {
    "digits": datasets.load_digits,
    "breast_cancer": datasets.load_breast_cancer,
    "wine": datasets.load_wine,
    "iris": datasets.load_iris,
}


# the built-in learners, by name (the demo's, and the silo command line's)
LEARNERS = {
    "logreg": lambda seed: make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000)
    ),
    "forest": lambda seed: RandomForestClassifier(n_estimators=100, random_state=seed),
    "knn": lambda seed: KNeighborsClassifier(),
    "naive_bayes": lambda seed: GaussianNB(),
    "tree": lambda seed: DecisionTreeClassifier(random_state=seed),
    "ridge": lambda seed: make_pipeline(StandardScaler(), Ridge()),
    "forest_regressor": lambda seed: RandomForestRegressor(
        n_estimators=100, random_state=seed
    ),
    "knn_regressor": lambda seed: KNeighborsRegressor(),
}
DEMO_MEMBERS = ("logreg", "forest", "knn", "naive_bayes")


def demo_members(random_state=0):
    """Four learners of different kinds, as ``(name, estimator)`` pairs."""
    return [(name, LEARNERS[name](random_state)) for name in DEMO_MEMBERS]


def run_demo(
    dataset="digits",
    *,
    dirichlet_alpha=0.3,
    n_rounds=1,
    test_size=0.3,
    random_state=0,
    verbose=0,
    file=None,
):
    """Run cooperative distillation on a bundled dataset and print a report.

    Parameters
    ----------
    dataset : {"digits", "breast_cancer", "wine", "iris"}, default="digits"
        A dataset that ships with scikit-learn.
    dirichlet_alpha : float, default=0.3
        Label skew of the sites (:class:`~skcoop.partition.DirichletPartitioner`);
        smaller is more skewed.
    n_rounds : int, default=1
        Distillation rounds.
    test_size : float, default=0.3
        Held-out fraction, stratified.
    random_state : int, default=0
        Seeds the split, the sites, the search and the forest.
    verbose : int, default=0
        Passed to the ensemble.
    file : file-like, default=None
        Where the report goes (standard output by default).

    Returns
    -------
    results : dict
        ``members`` (one dict per member: name, rows, before, after, pooled,
        virtual), ``ensemble_before``, ``ensemble_after``, ``found``,
        ``qualifying``, ``guarded`` and ``dropped`` (by the release guard),
        ``kept``, ``fit_seconds``.
    """
    out = sys.stdout if file is None else file
    X, y = DATASETS[dataset](return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=random_state
    )
    members = demo_members(random_state)
    site = _skewed_sites(ytr, len(members), dirichlet_alpha, random_state)
    ens = CooperativeDistillationEnsemble(
        members, n_rounds=n_rounds, random_state=random_state, verbose=verbose
    )
    start = time.perf_counter()
    ens.fit(Xtr, ytr, site=site)
    fit_seconds = time.perf_counter() - start
    before_vote = clone(ens).set_params(n_rounds=0).fit(Xtr, ytr, site=site)

    rows = []
    for name, est in members:
        rows.append(
            {
                "name": name,
                "learner": type(est[-1] if hasattr(est, "steps") else est).__name__,
                "rows": ens.n_rows_[name],
                "classes": int(
                    np.unique(ytr[site == [n for n, _ in members].index(name)]).size
                ),
                "before": ens.named_initial_estimators_[name].score(Xte, yte),
                "after": ens.named_estimators_[name].score(Xte, yte),
                "pooled": clone(est).fit(Xtr, ytr).score(Xte, yte),
                "virtual": len(ens.virtual_instances_[name].y),
            }
        )
    report = ens.transfer_report_
    results = {
        "dataset": dataset,
        "members": rows,
        "ensemble_before": before_vote.score(Xte, yte),
        "ensemble_after": ens.score(Xte, yte),
        "qualifying": int(report["qualifying"].sum()),
        "found": int(report["found"].sum()),
        "guarded": int(report["guarded"].sum()),
        "dropped": int(report["dropped"].sum()),
        "kept": int(report["kept"].sum()),
        "fit_seconds": fit_seconds,
    }
    _print_report(results, len(ytr), len(yte), dirichlet_alpha, n_rounds, out)
    return results


def _skewed_sites(y, n_sites, alpha, random_state):
    """Dirichlet label-skewed sites in which every site holds two classes or more.

    A classifier cannot be fitted on one class, so draws that leave a site
    with a single class are drawn again.
    """
    rng = np.random.RandomState(random_state)
    partition = DirichletPartitioner(
        n_sites=n_sites,
        alpha=alpha,
        min_partition_size=max(2, min(10, len(y) // (3 * n_sites))),
        max_tries=100,
        random_state=rng,
    )
    for _ in range(100):
        site = partition.split(np.zeros((len(y), 1)), y)
        if all(np.unique(y[site == s]).size >= 2 for s in range(n_sites)):
            return site
    raise ValueError(
        f"Could not draw {n_sites} Dirichlet({alpha}) sites that each hold two "
        "classes or more in 100 draws. Raise --dirichlet-alpha."
    )


def _print_report(res, n_train, n_test, alpha, n_rounds, out):
    n_classes = max(m["classes"] for m in res["members"])
    print(
        f"Cooperative distillation on {res['dataset']}: {len(res['members'])} "
        f"learners on Dirichlet({alpha}) label-skewed sites, {n_rounds} round(s); "
        f"{n_train} training rows, accuracy on {n_test} held-out rows.\n",
        file=out,
    )
    header = (
        f"{'member':<12}{'learner':<24}{'rows':>6}{'classes':>9}"
        f"{'alone':>8}{'distilled':>11}{'pooled':>8}{'gap closed':>12}{'virtual':>9}"
    )
    print(header, file=out)
    print("-" * len(header), file=out)
    for m in res["members"]:
        gap = m["pooled"] - m["before"]
        closed = (m["after"] - m["before"]) / gap if gap > 1e-12 else float("nan")
        print(
            f"{m['name']:<12}{m['learner']:<24}{m['rows']:>6}{m['classes']:>6}/{n_classes:<2}"
            f"{m['before']:>8.3f}{m['after']:>11.3f}{m['pooled']:>8.3f}"
            f"{closed:>11.0%} {m['virtual']:>9}",
            file=out,
        )
    before = np.median([m["before"] for m in res["members"]])
    after = np.median([m["after"] for m in res["members"]])
    pooled = np.median([m["pooled"] for m in res["members"]])
    print("-" * len(header), file=out)
    print(
        f"{'median member':<51}{before:>8.3f}{after:>11.3f}{pooled:>8.3f}",
        file=out,
    )
    print(
        f"{'ensemble (soft vote)':<51}{res['ensemble_before']:>8.3f}"
        f"{res['ensemble_after']:>11.3f}",
        file=out,
    )
    print(
        f"\nvirtual instances: {res['found']} counterfactuals found for "
        f"{res['qualifying']} rows taught (teacher right, out of fold); "
        f"the release guard replaced {res['guarded']} by draws like the site's "
        f"rows of their class and dropped {res['dropped']}; {res['kept']} kept "
        "after removing duplicates",
        file=out,
    )
    print(f"wall time of the cooperative fit: {res['fit_seconds']:.1f}s", file=out)
