"""
======================================================
The site as a column: cross-validation and grid search
======================================================

Most tables hold each row's site as a column (a ``hospital``, a
``branch``). Name it with ``site_column`` and the ensemble takes it out
before any member sees the rows: it travels with the rows through every
split, so ``cross_val_score``, ``GridSearchCV`` and a ``Pipeline`` work with
no metadata routing. ``predict`` accepts rows with or without the column.
Without any site, every member would see every row (a pooled fit, with a
``PooledFitWarning``).
"""

# %%
# A table with a site column
# --------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop import CooperativeDistillationEnsemble

data = load_breast_cancer(as_frame=True)
df = data.frame.drop(columns="target").iloc[:, :10]
df["hospital"] = np.where(df["mean radius"] > 14, "tree", "logreg")
y = data.target.to_numpy()
print(df["hospital"].value_counts())

# %%
# A grid search with no routing
# -----------------------------
ens = CooperativeDistillationEnsemble(
    [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
        ("tree", DecisionTreeClassifier(random_state=0)),
    ],
    site_column="hospital",
    random_state=0,
)
search = GridSearchCV(
    ens,
    {"alpha": [0.2, 0.5, 0.8], "tree__max_depth": [2, 4]},
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
).fit(df, y)
print("best:", search.best_params_, f"{search.best_score_:.3f}")
print("features the members saw:", search.best_estimator_.n_features_in_)

# %%
# The scores of the grid
# ----------------------
results = search.cv_results_
fig, ax = plt.subplots(figsize=(6, 4))
for depth in [2, 4]:
    mask = results["param_tree__max_depth"] == depth
    ax.errorbar(
        np.asarray(results["param_alpha"][mask], dtype=float),
        results["mean_test_score"][mask],
        yerr=results["std_test_score"][mask],
        marker="o",
        capsize=3,
        label=f"tree max_depth={depth}",
    )
ax.set(
    xlabel="alpha", ylabel="mean CV accuracy", title="GridSearchCV over a site column"
)
ax.legend()
fig.tight_layout()
