"""
===============================================
Across real sites: a round with models as files
===============================================

On real sites nothing runs in one process. Each site exports its fitted
model as a skops file (:func:`skcoop.silo.export_model`); each site then
*teaches* its peers from its own rows (:func:`skcoop.silo.teach`: it runs
their models on its rows and writes virtual rows for each, never a raw
row), and each site *learns* from what it received
(:func:`skcoop.silo.learn`). Here three sites run one round in temporary
folders; the same round runs from the command line as
``python -m skcoop silo export|teach|learn``. Needs the ``silo`` extra.
"""

# %%
# Each site fits and exports its model
# ------------------------------------
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop.silo import VirtualRows, export_model, learn, teach

X, y = load_breast_cancer(return_X_y=True)
test = np.arange(len(y)) % 5 == 4
X_test, y_test = X[test], y[test]
X, y = X[~test], y[~test]
sites = {
    "nb": (GaussianNB(), np.arange(len(y)) % 3 == 0),
    "tree": (
        DecisionTreeClassifier(max_depth=3, random_state=0),
        np.arange(len(y)) % 3 == 1,
    ),
    "logreg": (
        make_pipeline(StandardScaler(), LogisticRegression()),
        np.arange(len(y)) % 3 == 2,
    ),
}
folder = Path(tempfile.mkdtemp())
models = {}
for name, (estimator, own) in sites.items():
    models[name] = estimator.fit(X[own], y[own])
    export_model(models[name], folder / f"{name}.skops", name=name, X=X[own])

# %%
# Each site teaches its peers, from its own rows
# ----------------------------------------------
# A site loads its peers' model files (checked, without pickle) and writes
# one file of virtual rows per peer.
inbox = {name: [] for name in sites}
sent = {}
for name, (_, own) in sites.items():
    peers = {p: folder / f"{p}.skops" for p in sites if p != name}
    for peer, rows in teach(
        models[name], X[own], y[own], peers, name=name, random_state=0
    ).items():
        path = folder / f"{name}_to_{peer}.parquet"
        rows.save(path)
        inbox[peer].append(VirtualRows.load(path))
        sent[(name, peer)] = len(rows)

# %%
# Each site learns from what it received
# --------------------------------------
after = {
    name: learn(estimator, X[own], y[own], inbox[name])
    for name, (estimator, own) in sites.items()
}
names = list(sites)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
before_scores = [models[n].score(X_test, y_test) for n in names]
after_scores = [after[n].score(X_test, y_test) for n in names]
pos = np.arange(len(names))
left.bar(pos - 0.2, before_scores, 0.4, label="alone")
left.bar(pos + 0.2, after_scores, 0.4, label="after one round")
left.set(xticks=pos, xticklabels=names, ylim=(0.8, 1.0), ylabel="accuracy")
left.legend()
left.set_title("Held-out accuracy per site")
matrix = np.array([[sent.get((t, s), 0) for s in names] for t in names])
right.imshow(matrix, cmap="Blues")
for t in range(3):
    for s in range(3):
        right.text(s, t, "-" if t == s else matrix[t, s], ha="center", va="center")
right.set(
    xticks=pos,
    yticks=pos,
    xticklabels=names,
    yticklabels=names,
    xlabel="student",
    ylabel="teacher",
    title="Virtual rows sent (parquet files)",
)
fig.tight_layout()
