"""Model, data and local training of the FedAvg Flower app.

As in Flower's examples, ``task.py`` holds what both sides share: the model
(:class:`skcoop.federated.MLPModule`), how a client loads its own rows (one
``.npz`` file per client, read once per process) and the local training and
evaluation loops in plain torch.
"""

# SPDX-License-Identifier: BSD-3-Clause

from functools import lru_cache

import numpy as np
import torch

from ...federated import MLPModule

__all__ = ["build_module", "evaluate", "load_client_data", "train_local"]


def build_module(spec):
    """A fresh :class:`MLPModule` from ``spec`` = (n_features, n_classes, hidden)."""
    n_features, n_classes, hidden = (int(v) for v in spec)
    return MLPModule(n_features, n_classes, hidden=hidden)


@lru_cache(maxsize=64)
def load_client_data(path):
    """``(X, y)`` of one client, float32 and int64, read once per process."""
    with np.load(path) as data:
        return data["X"].astype(np.float32), data["y"].astype(np.int64)


def train_local(module, X, y, *, epochs=1, lr=0.05, batch_size=32, seed=0):
    """Plain mini-batch SGD on the client's rows; returns the mean last-epoch loss.

    The batch order comes from a generator seeded with ``seed`` only, so the
    same inputs give the same weights (the tests rebuild a round's client
    updates with it).
    """
    torch.set_num_threads(1)
    gen = torch.Generator().manual_seed(int(seed))
    Xt = torch.as_tensor(X)
    yt = torch.as_tensor(y)
    opt = torch.optim.SGD(module.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    module.train()
    last = 0.0
    for _ in range(int(epochs)):
        order = torch.randperm(len(yt), generator=gen)
        total = 0.0
        for start in range(0, len(yt), int(batch_size)):
            idx = order[start : start + int(batch_size)]
            opt.zero_grad()
            loss = loss_fn(module(Xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        last = total / max(len(yt), 1)
    return last


@torch.no_grad()
def evaluate(module, X, y):
    """``(accuracy, mean cross-entropy)`` of the module on ``(X, y)``."""
    module.eval()
    logits = module(torch.as_tensor(np.asarray(X, dtype=np.float32)))
    yt = torch.as_tensor(np.asarray(y, dtype=np.int64))
    loss = torch.nn.functional.cross_entropy(logits, yt).item()
    acc = (logits.argmax(dim=1) == yt).double().mean().item()
    return acc, loss
