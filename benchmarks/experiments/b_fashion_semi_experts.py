"""B. Fashion-MNIST semi-experts (the paper's experiment).

Ten small skorch MLPs, member ``k`` trained without class ``k``
(ClassExclusionPartitioner). The paper (Livanos et al., AAAI-24) reports
median member accuracy 76% alone -> 83% after cooperative distillation (79%
with duplicate virtual instances kept) against 86% for one model on all data.
Rows are subsampled for time (see TRAIN_ROWS); the loader scales pixels to [0, 1].
"""

import numpy as np
from harness import Task, skorch_mlp

from skcoop.datasets import DatasetNotAvailableError, load_fashion_mnist
from skcoop.partition import ClassExclusionPartitioner

NAME = "B"
TITLE = "Fashion-MNIST semi-experts (10 MLPs, each without one class)"
TRAIN_ROWS = {True: 2000, False: 3000}
TEST_ROWS = {True: 1000, False: 2000}
PAPER = {"alone": 0.76, "ckd": 0.83, "ckd_dup": 0.79, "pooled": 0.86}
METHODS = ("alone", "pooled", "kd", "kd_tuned", "dml", "pkd", "ckd", "ckd_dup")
GRID = [(t, w) for t in (1, 4) for w in (0.5, 0.9)]


def tasks(seed, quick):
    try:
        from harness import have_torch

        if not have_torch():
            raise DatasetNotAvailableError(
                "B needs torch and skorch (pip install skorch)."
            )
        Xtr, ytr = load_fashion_mnist(
            "train", n_samples=TRAIN_ROWS[quick], random_state=seed, return_X_y=True
        )
        Xte, yte = load_fashion_mnist(
            "test", n_samples=TEST_ROWS[quick], random_state=seed, return_X_y=True
        )
    except FileNotFoundError as exc:
        raise DatasetNotAvailableError(str(exc)) from exc
    Xtr, Xte = np.asarray(Xtr, dtype=np.float32), np.asarray(Xte, dtype=np.float32)
    ytr, yte = np.asarray(ytr, dtype=np.int64), np.asarray(yte, dtype=np.int64)
    names = [f"no_{k}" for k in range(10)]
    site = ClassExclusionPartitioner(10, random_state=seed).split(Xtr, ytr)
    site = np.asarray(names, dtype=object)[site]
    epochs = 10 if quick else 15
    members = [(n, skorch_mlp(784, 10, hidden=100, max_epochs=epochs)) for n in names]
    yield Task(
        NAME,
        f"class exclusion, {len(ytr)} rows",
        Xtr,
        ytr,
        site,
        Xte,
        yte,
        members,
        methods=METHODS,
        tune_grid=GRID,
    )
