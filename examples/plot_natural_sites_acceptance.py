"""
=====================================
Natural sites and the acceptance step
=====================================

Real sites differ by their population, not by missing classes: one hospital
sees larger tumours than another. There a student can get worse from what
it is taught. The acceptance step (``acceptance=0.2``) holds out a fifth of
each site's rows before anything is fitted; each member keeps its
distillation only if it scores at least as well on every site's holdout
pooled (each site reports a score, never a row), and goes back to its model
alone otherwise. ``acceptance_`` says what each member chose; the transfer
matrix shows it under each student.
"""

# %%
# Two sites split by a feature (covariate shift)
# ----------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop import CooperativeDistillationEnsemble
from skcoop.inspection import MemberScoresDisplay, TransferMatrixDisplay

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.4, stratify=y, random_state=0
)
# three clinics: small, middle and large mean radius
site = np.digitize(X_train[:, 0], np.quantile(X_train[:, 0], [1 / 3, 2 / 3]))
members = [
    ("small", make_pipeline(StandardScaler(), LogisticRegression())),
    ("middle", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ("large", GaussianNB()),
]

# %%
# With and without the acceptance step
# ------------------------------------
plain = CooperativeDistillationEnsemble(members, random_state=0)
plain.fit(X_train, y_train, site=site)
accepted = CooperativeDistillationEnsemble(members, acceptance=0.2, random_state=0)
accepted.fit(X_train, y_train, site=site)
for name, kept, alone, distilled in zip(
    accepted.acceptance_["member"],
    accepted.acceptance_["kept"],
    accepted.acceptance_["alone"],
    accepted.acceptance_["distilled"],
):
    print(
        f"{name:7s} keeps {kept:9s} (holdout: alone {alone:.3f}, "
        f"distilled {distilled:.3f})"
    )

fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
MemberScoresDisplay.from_estimator(plain, X_test, y_test, ax=axes[0])
axes[0].set_title("Without acceptance")
MemberScoresDisplay.from_estimator(accepted, X_test, y_test, ax=axes[1])
axes[1].set_title("With acceptance=0.2")
TransferMatrixDisplay.from_estimator(accepted, ax=axes[2], colorbar=False)
fig.tight_layout()
