"""
=====================================
The exact search against the fast one
=====================================

For linear models and trees, a counterfactual can be solved exactly: the
cheapest point (scaled L1 distance plus a price per changed feature) whose
probability of the true class reaches the quintessential target is a
linear or mixed-integer program (:class:`~skcoop.counterfactual.ExactSearch`,
solved by HiGHS). The default black-box search is a heuristic: it finds a
valid point quickly, at some extra cost. Comparing them on the same rows
measures how far from optimal the fast search is. The exact search is for
measuring: it is slower, by orders of magnitude on forests.
"""

# %%
# Two teachers and the rows they teach
# ------------------------------------
import time

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop.counterfactual import BlackBoxSearch, ExactSearch

X, y = load_breast_cancer(return_X_y=True)
X = X[:, :8]
X_site, y_site = X[:300], y[:300]
teachers = {
    "logistic regression": make_pipeline(StandardScaler(), LogisticRegression()),
    "tree (depth 4)": DecisionTreeClassifier(max_depth=4, random_state=0),
}

# %%
# Both searches, same rows, same target
# -------------------------------------
# The cost each search minimises: the L1 distance in units of each feature's
# spread on the site's rows (``scale_``), plus a price per changed feature.
fig, axes = plt.subplots(1, 3, figsize=(15, 4))
seconds = {}
for ax, (label, teacher) in zip(axes, teachers.items()):
    teacher.fit(X_site, y_site)
    right = np.flatnonzero(teacher.predict(X[300:]) == y[300:])[:15] + 300
    rows, labels = X[right], y[right]
    cost = {}
    for name, search in {
        "black-box": BlackBoxSearch(),
        "exact": ExactSearch(time_limit=2.0),
    }.items():
        search.fit(X_site, y_site)
        start = time.perf_counter()
        result = search.generate(teacher, rows, labels)
        seconds[(label, name)] = time.perf_counter() - start
        moved = np.abs((result.X - rows) / search.scale_)
        cost[name] = np.where(
            result.success, moved.sum(axis=1) + 2.0 * (moved > 1e-9).sum(axis=1), np.nan
        )
    ax.scatter(cost["exact"], cost["black-box"])
    top = np.nanmax([cost["exact"], cost["black-box"]]) * 1.05
    ax.plot([0, top], [0, top], color="grey", linestyle="--", label="equal cost")
    ax.set(xlabel="exact search: cost", ylabel="black-box search: cost", title=label)
    ax.legend()
    ratio = np.nanmedian(cost["black-box"] / np.maximum(cost["exact"], 1e-12))
    print(f"{label}: median cost ratio black-box / exact {ratio:.2f}")
names = [f"{t}\n{s}" for t, s in seconds]
axes[2].bar(names, list(seconds.values()))
axes[2].set(ylabel="seconds for 15 rows", title="Time")
axes[2].tick_params(axis="x", labelsize="small")
fig.tight_layout()
