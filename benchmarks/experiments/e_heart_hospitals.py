"""E. Heart disease: four simulated hospitals with per-site missing columns.

The Cleveland rows split at random among four hospitals in proportion to the
real UCI hospital sizes (``hospital_sites``); each hospital keeps only the
columns its real counterpart recorded (Hungarian and VA lack ca, thal,
slope; Switzerland lacks ca, chol, fbs), so members live in different
feature spaces and virtual instances are mapped between them (shared
columns copied, missing ones filled with the student's column means).
``thal`` is ordinal-coded.
"""

import numpy as np
from harness import Task
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcoop.datasets import hospital_sites, load_heart_disease

NAME = "E"
TITLE = "Heart disease, 4 simulated hospitals with missing columns"
LEARNERS = {
    "cleveland": lambda seed: make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000)
    ),
    "hungarian": lambda seed: RandomForestClassifier(
        n_estimators=100, random_state=seed
    ),
    "va_long_beach": lambda seed: GaussianNB(),
    "switzerland": lambda seed: make_pipeline(
        StandardScaler(), KNeighborsClassifier(7)
    ),
}


def tasks(seed, quick):
    data = load_heart_disease()
    X = data.data.copy()
    X["thal"] = X["thal"].cat.codes
    X = X.astype(float)
    y = np.asarray(data.target, dtype=int)
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    site, columns = hospital_sites(Xtr, n_sites=4, random_state=seed)
    members = [(name, make(seed), columns[name]) for name, make in LEARNERS.items()]
    yield Task(NAME, "4 hospitals, own columns", Xtr, ytr, site, Xte, yte, members)
