"""C. Different algorithms on one task: tree, naive Bayes, SVM, kNN, MLP.

Breast-cancer data (569 rows, 30 features), five sites with Dirichlet(0.5)
label skew and an IID split. The SVM is ``CalibratedClassifierCV(SVC(),
ensemble=False)`` (``SVC(probability=True)`` is deprecated in sklearn 1.9);
Dirichlet draws are kept only when every class a site holds has >= 5 rows
(the calibration's inner 5-fold CV needs them). The MLP is scikit-learn's (it
has ``partial_fit``, so it and naive Bayes are the deep-mutual-learning peers).
"""

from harness import Task, iid_sites, skewed_sites
from sklearn.calibration import CalibratedClassifierCV
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

NAME = "C"
TITLE = "Different algorithms on one task (breast cancer)"
SETTINGS = ["dirichlet=0.5", "iid"]


def members(seed):
    return [
        ("tree", DecisionTreeClassifier(max_depth=5, random_state=seed)),
        ("naive_bayes", GaussianNB()),
        (
            "svm",
            make_pipeline(
                StandardScaler(),
                CalibratedClassifierCV(SVC(random_state=seed), ensemble=False),
            ),
        ),
        ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier())),
        ("mlp", MLPClassifier((32,), max_iter=300, random_state=seed)),
    ]


def tasks(seed, quick):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)  # one scale for every member (and the MLP)
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    mem = members(seed)
    names = [m[0] for m in mem]
    for setting in SETTINGS:
        if setting == "iid":
            site = iid_sites(len(ytr), names, seed)
        else:
            site = skewed_sites(ytr, names, 0.5, seed, min_per_class=5)
        yield Task(NAME, setting, Xtr, ytr, site, Xte, yte, mem)
