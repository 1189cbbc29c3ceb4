"""
=============================================
Federated averaging from a consolidated start
=============================================

Clients that already hold models trained on their own rows need not start
federated averaging (FedAvg) from random weights: the server can
consolidate their models into one starting model by knowledge distillation
on a public, unlabeled transfer set it holds
(:class:`~skcoop.federated.KDConsolidator`), at the cost of one
communication round (the upload). Here FedAvg runs in-process for a few
rounds from both starts, on five clients with skewed class mixes;
:func:`~skcoop.federated.count_rounds` counts the rounds to a target
accuracy, consolidation included. The Flower app that runs the same FedAvg
across machines is :mod:`skcoop.flower.fedavg`. Needs the ``torch`` extra.
"""

# %%
# Clients, their pre-trained models, and the server's transfer set
# ----------------------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skcoop.federated import (
    KDConsolidator,
    count_rounds,
    fedavg_average,
    get_weights,
    make_mlp_net,
    set_weights,
)
from skcoop.partition import DirichletPartitioner

X, y = load_digits(return_X_y=True)
X = (X / 16.0).astype(np.float32)
X_pool, X_test, y_pool, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
X_clients, X_public, y_clients, _ = train_test_split(
    X_pool, y_pool, test_size=0.25, stratify=y_pool, random_state=0
)
site = DirichletPartitioner(5, alpha=0.3, random_state=0).split(X_clients, y_clients)
clients = [(X_clients[site == k], y_clients[site == k]) for k in range(5)]


def net(**params):
    """The federation's model: one hidden layer of 64 units (skorch)."""
    return make_mlp_net(64, 10, batch_size=64, **params)


teachers = [
    net(max_epochs=10, random_state=k).fit(Xk, yk) for k, (Xk, yk) in enumerate(clients)
]
student = net(max_epochs=15, kd=True, random_state=0)
kd = KDConsolidator(teachers, n_classes=10, student=student, random_state=0)
kd.fit(X_public)

# %%
# FedAvg from a random start and from the consolidated one
# --------------------------------------------------------


def accuracy(weights):
    model = net()
    set_weights(model.module_, weights)
    return float(np.mean(model.predict(X_test) == y_test))


def fedavg(start, n_rounds=6):
    weights, history = start, [accuracy(start)]
    for _ in range(n_rounds):
        updates = []
        for Xk, yk in clients:
            local = net(max_epochs=1)
            set_weights(local.module_, weights)
            local.partial_fit(Xk, yk, epochs=1)
            updates.append(get_weights(local.module_))
        weights = fedavg_average(updates, [len(yk) for _, yk in clients])
        history.append(accuracy(weights))
    return history


random_start = get_weights(net(random_state=0).module_)
curves = {
    "random start": fedavg(random_start),
    "KD-consolidated start": fedavg(get_weights(kd.student_.module_)),
}
target = 0.85
for label, curve in curves.items():
    extra = kd.communication_rounds_ if "KD" in label else 0
    print(label, count_rounds(curve, target, consolidation_rounds=extra))

fig, ax = plt.subplots(figsize=(7, 4))
for label, curve in curves.items():
    ax.plot(range(len(curve)), curve, marker="o", label=label)
ax.axhline(target, color="grey", linestyle="--", label=f"target {target}")
ax.set(
    xlabel="FedAvg round",
    ylabel="held-out accuracy",
    title="Five clients with skewed class mixes",
)
ax.legend()
fig.tight_layout()
