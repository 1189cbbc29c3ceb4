"""
==========================
KD strategies side by side
==========================

The same members and sites, four ways of learning from one another:
cooperative distillation (virtual instances, the default), vanilla
knowledge distillation (:class:`~skcoop.distill.SoftTargetDistiller`: each
student learns the others' softened outputs on its own rows), deep mutual
learning (:class:`~skcoop.distill.MutualLearningDistiller`) and
data-partitioning KD (:class:`~skcoop.distill.PartitionedDistiller`: a
student learns from a teacher only where that teacher is right). A grid over
``distiller`` itself compares strategies as one search ("tuned KD").
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier

from skcoop import CooperativeDistillationEnsemble
from skcoop.distill import (
    MutualLearningDistiller,
    PartitionedDistiller,
    SoftTargetDistiller,
)
from skcoop.partition import DirichletPartitioner

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, train_size=700, stratify=y, random_state=0
)
site = DirichletPartitioner(3, alpha=0.3, random_state=0).split(X_train, y_train)
# deep mutual learning updates peers step by step: members with partial_fit
members = [
    ("sgd", SGDClassifier(loss="log_loss", random_state=0)),
    ("mlp", MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0)),
    ("nb", GaussianNB()),
]

# %%
# One fit per strategy
# --------------------
strategies = {
    "cooperative": "counterfactual",
    "vanilla KD": SoftTargetDistiller(),
    "mutual": MutualLearningDistiller(),
    "partitioned": PartitionedDistiller(),
}
scores = {}
for label, distiller in strategies.items():
    ens = CooperativeDistillationEnsemble(
        members, distiller=distiller, random_state=0
    ).fit(X_train, y_train, site=site)
    scores[label] = {
        name: est.score(X_test, y_test) for name, est in ens.named_estimators_.items()
    }
    scores["alone"] = {
        name: est.score(X_test, y_test)
        for name, est in ens.named_initial_estimators_.items()
    }

# %%
fig, ax = plt.subplots(figsize=(9, 4))
labels = ["alone", *strategies]
width = 0.8 / len(labels)
names = [name for name, _ in members]
for k, label in enumerate(labels):
    ax.bar(
        np.arange(len(names)) + k * width,
        [scores[label][n] for n in names],
        width,
        label=label,
    )
ax.set(
    xticks=np.arange(len(names)) + 0.4 - width / 2,
    xticklabels=names,
    ylabel="held-out accuracy",
    title="Each member, by strategy",
)
ax.legend(fontsize="small", ncol=3)
fig.tight_layout()
