"""A. KD comparison (issue 5): digits, heterogeneous members, label skew.

Five members on Dirichlet label-skewed sites (alpha 0.1, 0.5, 1.0) and on an
IID split of sklearn's digits: members alone, pooled data, vanilla and tuned
soft-target KD, deep mutual learning (the skorch MLP and naive Bayes, the two
members that train step by step), data-partitioning KD and cooperative
distillation.
"""

import numpy as np
from harness import Task, have_torch, iid_sites, skewed_sites, skorch_mlp
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

NAME = "A"
TITLE = "KD comparison on label-skewed digits"
SETTINGS = ["dirichlet=0.1", "dirichlet=0.5", "dirichlet=1.0", "iid"]


class Float64GaussianNB(GaussianNB):
    """GaussianNB that computes in float64 on A's float32 rows.

    On float32 rows scikit-learn's GaussianNB keeps its means and variances
    in float32; on digits, whose border pixels are near-constant on a site,
    its probabilities then need not sum to 1, which skcoop rejects with a
    clear error. The skorch MLP needs float32 rows, so the rows stay float32
    and naive Bayes casts them. ``partial_fit`` casts too, for mutual
    learning.
    """

    def fit(self, X, y, sample_weight=None):
        return super().fit(np.asarray(X, dtype=np.float64), y, sample_weight)

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        return super().partial_fit(
            np.asarray(X, dtype=np.float64), y, classes, sample_weight
        )

    def _joint_log_likelihood(self, X):
        return super()._joint_log_likelihood(np.asarray(X, dtype=np.float64))


def members(seed, n_features, n_classes):
    out = [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))),
        ("forest", RandomForestClassifier(n_estimators=50, random_state=seed)),
        ("naive_bayes", Float64GaussianNB()),
        ("knn", KNeighborsClassifier()),
    ]
    if have_torch():
        out.append(("mlp", skorch_mlp(n_features, n_classes, hidden=64, max_epochs=30)))
    return out


def tasks(seed, quick):
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    mem = members(seed, X.shape[1], 10)
    names = [m[0] for m in mem]
    for setting in SETTINGS:
        if setting == "iid":
            site = iid_sites(len(ytr), names, seed)
        else:
            site = skewed_sites(ytr, names, float(setting.split("=")[1]), seed)
        yield Task(NAME, setting, Xtr, ytr, site, Xte, yte, mem)
