"""Data, query rows and models of the counterfactual benchmark."""

# SPDX-License-Identifier: BSD-3-Clause

import time

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

DATASETS = {"breast_cancer": load_breast_cancer, "wine": load_wine}


class CountingModel:
    """Proxy that counts predict_proba calls and rows (for DiCE and the baseline)."""

    def __init__(self, model):
        self.model = model
        self.calls = 0
        self.rows = 0
        self.time = 0.0

    def predict_proba(self, X):
        tic = time.perf_counter()
        out = self.model.predict_proba(X)
        self.time += time.perf_counter() - tic
        self.calls += 1
        self.rows += len(X)
        return out

    def predict(self, X):
        return self.model.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __getattr__(self, name):
        return getattr(self.model, name)


def load(name, seed):
    X, y = DATASETS[name](return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    return X_train, X_test, y_train.to_numpy(), y_test.to_numpy()


def make_queries(X_train, X_test, n, seed):
    """``n`` query rows: test rows drawn with replacement, jittered by 5% of a std.

    Integer-valued features stay integer, and every value stays in the
    training range, so queries are distinct, plausible rows.
    """
    rng = np.random.RandomState(seed)
    base = X_test.to_numpy()[rng.randint(0, len(X_test), n)]
    std = X_train.std(ddof=0).to_numpy()
    Q = base + rng.normal(0, 0.05, base.shape) * std
    ints = np.all(X_train.to_numpy() == np.round(X_train.to_numpy()), axis=0)
    Q[:, ints] = np.round(Q[:, ints])
    Q = np.clip(Q, X_train.min().to_numpy(), X_train.max().to_numpy())
    # float32-exact, so that the torch net sees the same rows as the others
    Q = Q.astype(np.float32).astype(np.float64)
    return pd.DataFrame(Q, columns=X_train.columns)


def flip_targets(model, Q):
    """Desired class: the other class (binary) or the next class (multi-class)."""
    pred = np.searchsorted(model.classes_, model.predict(Q))
    return model.classes_[(pred + 1) % len(model.classes_)]


class StandardizedMLP:
    """Factory for a small torch MLP with the standardisation built in."""

    @staticmethod
    def module(mean, std, n_in, n_out, hidden=32):
        import torch

        class Net(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
                self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))
                self.body = torch.nn.Sequential(
                    torch.nn.Linear(n_in, hidden),
                    torch.nn.ReLU(),
                    torch.nn.Linear(hidden, hidden),
                    torch.nn.ReLU(),
                    torch.nn.Linear(hidden, n_out),
                )

            def forward(self, X):
                return self.body((X - self.mean) / self.std)

        return Net


def make_models(X_train, y_train, seed, with_torch):
    models = {
        "random_forest": RandomForestClassifier(n_estimators=100, random_state=seed),
        "mlp": make_pipeline(
            StandardScaler(),
            MLPClassifier((64, 32), max_iter=2000, random_state=seed),
        ),
    }
    for model in models.values():
        model.fit(X_train, y_train)
    if with_torch:
        import torch
        from skorch import NeuralNetClassifier

        torch.manual_seed(seed)
        Xt = X_train.to_numpy(np.float32)
        Net = StandardizedMLP.module(
            Xt.mean(0), Xt.std(0) + 1e-6, Xt.shape[1], len(np.unique(y_train))
        )
        net = NeuralNetClassifier(
            Net,
            criterion=torch.nn.CrossEntropyLoss,
            optimizer=torch.optim.Adam,
            lr=0.01,
            max_epochs=100,
            batch_size=64,
            train_split=None,
            verbose=0,
        )
        net.fit(Xt, y_train.astype(np.int64))
        models["skorch_net"] = net
    return models


def model_input(model, Q):
    """What the model is called with: DataFrames for sklearn, float32 for skorch."""
    if type(model).__module__.startswith("skorch"):
        return Q.to_numpy(np.float32)
    return Q
