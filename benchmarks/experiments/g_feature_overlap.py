"""G. Feature overlap sweep: the gain as the shared-column fraction falls.

Digits, four members on Dirichlet(1.0) label-skewed rows; every member sees
the shared columns plus a disjoint random share of the rest
(FeatureViewPartitioner). The shared fraction runs from 100% to 10%.
"""

import numpy as np
from harness import Task, skewed_sites
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcoop.partition import FeatureViewPartitioner

NAME = "G"
TITLE = "Feature overlap sweep (digits, 4 members)"
FRACTIONS = [1.0, 0.75, 0.5, 0.25, 0.1]
METHODS = ("alone", "pooled", "kd", "ckd")


def tasks(seed, quick):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    learners = [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))),
        ("forest", RandomForestClassifier(n_estimators=50, random_state=seed)),
        ("naive_bayes", GaussianNB()),
        ("knn", KNeighborsClassifier()),
    ]
    names = [n for n, _ in learners]
    site = skewed_sites(ytr, names, 1.0, seed)
    order = np.random.RandomState(seed).permutation(X.shape[1])
    for frac in FRACTIONS[::2] if quick else FRACTIONS:
        shared = sorted(order[: int(round(frac * X.shape[1]))].tolist())
        cols = FeatureViewPartitioner(
            4, shared_columns=shared, random_state=seed
        ).split_columns(Xtr)
        members = [(n, est, list(c)) for (n, est), c in zip(learners, cols)]
        yield Task(
            NAME,
            f"shared={frac:.0%}",
            Xtr,
            ytr,
            site,
            Xte,
            yte,
            members,
            methods=METHODS,
            extra={"overlap": frac},
        )
