"""D. German credit: three disjoint random subsets, three different learners.

The paper's data (Statlog German Credit, 1,000 rows), twice: the one-hot
numeric form (``load_german_credit(raw=False)``, 61 columns) with three
numeric learners, and the raw form (``raw=True``: 13 pandas-category columns
of codes such as A11, 7 integer columns) with the members of
``benchmarks/tabular_german.py`` (a one-hot pipeline, an ordinal-encoded
tree, naive Bayes on the numeric columns only), searched in the raw column
space (issue 7).
"""

import numpy as np
import tabular_german
from harness import Task, iid_sites
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcoop.datasets import load_german_credit

NAME = "D"
TITLE = "German credit, 3 disjoint random subsets"
RAW_CATEGORICAL = True  # the raw-categorical row (issue 7)


def members(seed):
    return [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
        ("forest", RandomForestClassifier(n_estimators=100, random_state=seed)),
        ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(15))),
    ]


def tasks(seed, quick):
    data = load_german_credit(raw=False)
    X = np.asarray(data.data, dtype=float)
    y = np.asarray(data.target, dtype=int)
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    mem = members(seed)
    site = iid_sites(len(ytr), [m[0] for m in mem], seed)
    yield Task(NAME, "one-hot, 3 random subsets", Xtr, ytr, site, Xte, yte, mem)
    if RAW_CATEGORICAL:
        raw = load_german_credit(raw=True)
        X, y = raw.data, np.asarray(raw.target, dtype=int)
        Xtr, Xte, ytr, yte = train_test_split(
            X, y, test_size=0.3, stratify=y, random_state=seed
        )
        numeric = [c for c in X.columns if X[c].dtype.kind in "iuf"]
        mem = tabular_german.members(numeric)
        site = iid_sites(len(ytr), [m[0] for m in mem], seed)
        yield Task(
            NAME,
            "raw categorical codes, 3 random subsets",
            Xtr,
            ytr,
            site,
            Xte,
            yte,
            mem,
        )
