"""F. Car prices: one source per make, a held-out make as the test set.

Regression of the resale price (R^2 on the held-out make, with
CooperativeDistillationRegressor; classic KD strategies are classifier-only)
and the paper's binarised price (>= the loader's threshold). In the binarised
task Cadillac and Saab hold one class only (every car expensive), so they
cannot be classifier members and are left out of that task. The split is
fixed by the make; seeds change only the learners' random states.
"""

import numpy as np
from harness import Task
from sklearn.ensemble import (
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skcoop.datasets import load_car_prices

NAME = "F"
TITLE = "Car prices, sources by make, held-out make"
HELD_OUT = ["Pontiac", "Buick"]


def regressors(seed):
    return [
        make_pipeline(StandardScaler(), Ridge()),
        RandomForestRegressor(n_estimators=100, random_state=seed),
        make_pipeline(StandardScaler(), KNeighborsRegressor(7)),
        DecisionTreeRegressor(max_depth=5, random_state=seed),
        GradientBoostingRegressor(random_state=seed),
    ]


def classifiers(seed):
    return [
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        RandomForestClassifier(n_estimators=100, random_state=seed),
        make_pipeline(StandardScaler(), KNeighborsClassifier(7)),
        DecisionTreeClassifier(max_depth=5, random_state=seed),
        GaussianNB(),
    ]


def _task(X, y, make, held_out, learners, setting, regression, methods):
    train = make != held_out
    Xtr, ytr, site = X[train], y[train], make[train]
    sources = [
        s for s in sorted(set(site)) if regression or len(set(ytr[site == s])) > 1
    ]
    keep = np.isin(site, sources)
    members = list(zip(sources, learners))
    return Task(
        NAME,
        setting,
        Xtr[keep],
        ytr[keep],
        site[keep],
        X[~train],
        y[~train],
        members,
        methods=methods,
        regression=regression,
    )


def tasks(seed, quick):
    reg = load_car_prices()
    X = np.asarray(reg.data, dtype=float)
    make = np.asarray(reg.source, dtype=object)
    price = np.asarray(reg.target, dtype=float)
    clf = load_car_prices(binarize=True)
    expensive = np.asarray(clf.target, dtype=int)
    for held_out in HELD_OUT:
        yield _task(
            X,
            price,
            make,
            held_out,
            regressors(seed),
            f"price R2, test={held_out}",
            True,
            ("alone", "pooled", "ckd"),
        )
        yield _task(
            X,
            expensive,
            make,
            held_out,
            classifiers(seed),
            f"price >= {clf.threshold:.0f}, test={held_out}",
            False,
            ("alone", "pooled", "kd", "kd_tuned", "pkd", "ckd"),
        )
