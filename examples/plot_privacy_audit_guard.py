"""
=======================================
The privacy audit and the release guard
=======================================

Virtual instances are searched near a teacher's own records, so they can
reveal them. :func:`skcoop.privacy.audit_release` measures how much: a
membership-inference attack tries to tell the site's records from other rows
of the same distribution by their distance to the released rows (ROC AUC;
0.5 is chance). The release guard, on by default (``guard="auto"``),
bounds it before rows leave a site: :class:`skcoop.privacy.ReleaseGuard`
releases a draw like a row's ``k`` nearest same-class records instead of
the row (``prototype="mean"``: their mean, the earlier guard), and
``min_distance`` pushes a row away from every record; ``guard=None``
releases the rows as found. Each setting is a point: how well the attack
does, and how much of the gap to the pooled model distillation still
closes. None of this is a formal guarantee such as differential privacy.
"""

# %%
# One fit per setting of the guard
# --------------------------------
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop import CooperativeDistillationEnsemble
from skcoop.inspection import PrivacyFrontierDisplay
from skcoop.partition import DirichletPartitioner
from skcoop.privacy import ReleaseGuard

X, y = load_digits(return_X_y=True)
X, X_rest, y, y_rest = train_test_split(
    X, y, train_size=600, stratify=y, random_state=0
)
X_holdout, X_test, _, y_test = train_test_split(
    X_rest, y_rest, train_size=300, stratify=y_rest, random_state=0
)
site = DirichletPartitioner(3, alpha=0.3, random_state=0).split(X, y)
members = [
    ("logreg", make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))),
    ("tree", DecisionTreeClassifier(max_depth=8, random_state=0)),
    ("nb", GaussianNB()),
]
settings = {
    "off": None,
    "default": "auto",
    "draw k=5": ReleaseGuard(prototype_k=5),
    "mean k=20": ReleaseGuard(prototype="mean"),
    "push 0.5": ReleaseGuard(prototype_k=None, min_distance=0.5),
}
fitted = {
    label: CooperativeDistillationEnsemble(
        members, scope="deficiency", guard=guard, random_state=0
    ).fit(X, y, site=site)
    for label, guard in settings.items()
}
pooled = [
    make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    .fit(X, y)
    .score(X_test, y_test),
    DecisionTreeClassifier(max_depth=8, random_state=0).fit(X, y).score(X_test, y_test),
    GaussianNB().fit(X, y).score(X_test, y_test),
]

# %%
# Audit every teacher's released rows, and draw the frontier
# ----------------------------------------------------------
display = PrivacyFrontierDisplay.from_estimators(
    fitted, X, y, X_holdout, X_test, y_test, site=site, pooled=pooled
)
for label, auc, tpr, gap in zip(
    display.labels, display.attack_auc, display.tpr, display.gap_closed
):
    print(
        f"{label:11s} attack AUC {auc:.2f}  TPR@1%FPR {tpr:.2f}  gap closed {gap:.2f}"
    )
