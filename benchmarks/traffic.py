"""What each method sends per round, in bytes (experiment I).

Sizes of fitted models are their pickled size in memory (a skops file is of
the same order; nothing is loaded from these bytes); numbers are float64
(8 bytes). ``k`` members, ``n_pub`` public rows, ``C`` classes (1 for a
regressor):

``fedmd``, ``feddf``  scores up and the consensus down: ``2 k n_pub C 8``
``kd*``, ``pkd``      every member's model to every other site
``ckd*``              the models to every other site, plus the virtual rows
                      sent back (their columns and label)
``ckd_public``        ``ckd`` plus one public scoring round
``alone``             nothing for the members; the row holds what the soft
                      vote of the alone members costs: every model to every
                      site, once
``pooled``            every training row leaves its site, once
"""

# SPDX-License-Identifier: BSD-3-Clause

import pickle

import numpy as np

FLOAT = 8


def model_bytes(estimators):
    return [len(pickle.dumps(est)) for est in estimators]


def bytes_per_round(method, task, ens):
    k = len(task.members)
    n_pub = 0 if task.public is None else len(task.public)
    n_classes = 1 if task.regression else len(np.unique(task.y))
    scores = 2 * k * n_pub * n_classes * FLOAT
    if method == "pooled":
        return len(task.y) * (np.shape(task.X)[1] + 1) * FLOAT
    if method in ("fedmd", "feddf"):
        return scores
    models = sum(model_bytes(ens.initial_estimators_)) * (k - 1)
    if method in ("alone", "kd", "kd_tuned", "pkd", "dml"):
        return models
    virtual = 0
    for batch in getattr(ens, "virtual_instances_", {}).values():
        n_cols = np.shape(batch["X"])[1] if len(batch["y"]) else 0
        virtual += len(batch["y"]) * (n_cols + 1) * FLOAT
    extra = scores if method == "ckd_public" else 0
    return models + virtual + extra
