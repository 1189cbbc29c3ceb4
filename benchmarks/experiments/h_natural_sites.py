"""H. Real tables with natural sites, mixed types, pipeline members (issue 11).

Five modeldata tables (``skcoop.datasets``), each split by a site that real
silos would have: attrition by department, the Stack Overflow survey by
country (five countries merged into three groups, ``SO_GROUPS``), telecom
churn by area code, telco churn by contract, Ames house prices (log price,
regression) by neighbourhood group. Every table keeps its mixed dtypes
(categories, bools, ints, floats, missing values) and goes, as a DataFrame,
through three members, one per site (sites in ``SITE_ORDER``, largest first
unless listed), each a Pipeline with its own ColumnTransformer (median
imputation + scaling of numbers, one-hot of categories and bools, where a
missing value is a category of its own):

- the largest site: HistGradientBoosting;
- the second: LogisticRegression (Ridge for regression);
- the third: DecisionTree (max_depth 6).

The test split (30%) is stratified within each site (by site and class for
classifiers, by site for regression); members are scored on the whole test
split (all sites), so pooled is the upper bound. Quick mode subsamples each
table to 3,000 rows (stratified by site and class). No fit is repeated under
tracemalloc here (experiments A-G measure memory).

Also here, for one table of every real-data case: experiment D's raw
categorical German credit row, E's heart hospitals and F's car prices
(Pontiac held out, regression and binarised), with their own members and
sites (their task code is reused; the setting names say where they come
from).
"""

from dataclasses import replace

import numpy as np
from harness import Task
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skcoop import datasets

NAME = "H"
TITLE = "Natural sites: real mixed-type tables, three pipeline members"
QUICK_ROWS = 3000
TEST_SIZE = 0.3
# Stack Overflow: five countries into three sites of 2,791 / 1,780 / 1,023 rows
SO_GROUPS = {
    "United States": "us",
    "United Kingdom": "uk_germany",
    "Germany": "uk_germany",
    "India": "india_canada",
    "Canada": "india_canada",
}
TABLES = {
    # setting: (loader, regression, site mapping or None)
    "attrition by department": (datasets.load_attrition, False, None),
    "stackoverflow by country group": (datasets.load_stackoverflow, False, SO_GROUPS),
    "mlc_churn by area code": (datasets.load_mlc_churn, False, None),
    "wa_churn by contract": (datasets.load_wa_churn, False, None),
    "ames log price by neighbourhood group": (datasets.load_ames, True, None),
}
CLF_METHODS = ("alone", "pooled", "kd", "kd_tuned", "pkd", "ckd")
REG_METHODS = ("alone", "pooled", "ckd")
# reused rows of other experiments: (module, setting prefix) -> label
REUSED = [
    ("d_german_credit", "raw categorical codes", "german raw (D)"),
    ("e_heart_hospitals", "4 hospitals", "heart hospitals (E)"),
    ("f_car_prices", "price R2, test=Pontiac", "car price R2, test=Pontiac (F)"),
    ("f_car_prices", "price >= ", "car expensive, test=Pontiac (F)"),
]


def encoder():
    """Imputation + scaling of numbers, imputation + one-hot of the rest."""
    return make_column_transformer(
        (
            make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
            make_column_selector(dtype_include="number"),
        ),
        (
            # a missing category is a category of its own in OneHotEncoder
            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            make_column_selector(dtype_exclude="number"),
        ),
    )


def learners(seed, regression):
    """HistGradientBoosting, a linear model and a depth-6 tree, each a Pipeline."""
    if regression:
        models = [
            HistGradientBoostingRegressor(random_state=seed),
            Ridge(alpha=1.0),
            DecisionTreeRegressor(max_depth=6, random_state=seed),
        ]
    else:
        models = [
            HistGradientBoostingClassifier(random_state=seed),
            LogisticRegression(max_iter=1000),
            DecisionTreeClassifier(max_depth=6, random_state=seed),
        ]
    return [make_pipeline(encoder(), m) for m in models]


def _strata(site, y, regression):
    return site if regression else np.array([f"{s}|{c}" for s, c in zip(site, y)])


def natural_task(name, seed, quick):
    """The Task of one modeldata table (a key of TABLES): sites, split, members."""
    loader, regression, mapping = TABLES[name]
    data = loader()
    X, y = data.data, np.asarray(data.target)
    site = np.asarray(data.site, dtype=object)
    if mapping:
        site = np.array([mapping[s] for s in site], dtype=object)
    if quick and len(y) > QUICK_ROWS:
        keep, _ = train_test_split(
            np.arange(len(y)),
            train_size=QUICK_ROWS,
            stratify=_strata(site, y, regression),
            random_state=seed,
        )
        keep = np.sort(keep)
        X, y, site = X.iloc[keep], y[keep], site[keep]
    train, test = train_test_split(
        np.arange(len(y)),
        test_size=TEST_SIZE,
        stratify=_strata(site, y, regression),
        random_state=seed,
    )
    names, counts = np.unique(site[train], return_counts=True)
    order = [str(n) for n in names[np.argsort(-counts, kind="stable")]]
    members = list(zip(order, learners(seed, regression)))
    return Task(
        NAME,
        name,
        X.iloc[train],
        y[train],
        site[train],
        X.iloc[test],
        y[test],
        members,
        methods=REG_METHODS if regression else CLF_METHODS,
        regression=regression,
        trace_memory=False,
    )


def reused_tasks(seed, quick):
    """Experiment D's raw German row, E, and F's Pontiac rows, as H's rows."""
    import importlib

    for module, prefix, label in REUSED:
        mod = importlib.import_module(f"experiments.{module}")
        for task in mod.tasks(seed, quick):
            if task.setting.startswith(prefix) and (
                module != "f_car_prices" or task.setting.endswith("Pontiac")
            ):
                methods = tuple(m for m in task.methods if m != "dml")
                yield replace(
                    task,
                    experiment=NAME,
                    setting=label,
                    methods=methods,
                    trace_memory=False,
                )


def tasks(seed, quick):
    for name in TABLES:
        yield natural_task(name, seed, quick)
    yield from reused_tasks(seed, quick)
