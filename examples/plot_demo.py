"""
=======================================
The demo: four learners on skewed sites
=======================================

``python -m skcoop demo`` in a figure: four learners of different kinds, each
fitted on its own site of the digits data (the sites hold skewed class mixes,
drawn from a Dirichlet distribution), teach one another through
quintessential counterfactuals. Each member is scored on held-out rows alone
and distilled, beside the same learner fitted on every row (the pooled upper
bound, which no site can fit).
"""

# %%
# Sites with skewed class mixes
# -----------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skcoop import CooperativeDistillationEnsemble
from skcoop.inspection import MemberScoresDisplay, TransferMatrixDisplay
from skcoop.partition import DirichletPartitioner

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
# the demo's four learners
members = [
    ("logreg", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
    ("forest", RandomForestClassifier(n_estimators=100, random_state=0)),
    ("knn", KNeighborsClassifier()),
    ("naive_bayes", GaussianNB()),
]
site = DirichletPartitioner(len(members), alpha=0.3, random_state=0).split(
    X_train, y_train
)
print("rows per site:", np.bincount(site))

# %%
# Distil, and score each member alone and distilled
# -------------------------------------------------
ens = CooperativeDistillationEnsemble(members, random_state=0)
ens.fit(X_train, y_train, site=site)
pooled = {name: clone(est).fit(X_train, y_train) for name, est in members}

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
scores = MemberScoresDisplay.from_estimator(ens, X_test, y_test, ax=left)
for name, model in pooled.items():
    left.scatter(
        [1.15],
        [model.score(X_test, y_test)],
        marker="_",
        s=200,
        color=scores.lines_[name].get_color(),
    )
left.set_title("Accuracy alone and distilled\n(short bars: the learner on every row)")
TransferMatrixDisplay.from_estimator(ens, ax=right, colorbar=False)
fig.tight_layout()
print(f"ensemble accuracy: {ens.score(X_test, y_test):.3f}")
