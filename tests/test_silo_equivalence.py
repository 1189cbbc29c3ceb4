"""The cross-silo steps give exactly the in-process ensemble's fit.

Under the defaults the release guard is on (``guard="auto"``) in both paths.

For the same seeds, sites that each run :func:`skcoop.silo.teach` on their
own rows and :func:`skcoop.silo.learn` on what they received end with the
same virtual rows and the same predictions as
``CooperativeDistillationEnsemble(pool="site")`` (and the regressor), for
arrays and for a mixed-type DataFrame whose members read their own columns.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skcoop import CooperativeDistillationEnsemble, CooperativeDistillationRegressor
from skcoop.silo import learn, site_seeds, teach

pytest.importorskip("pyarrow")
sys.path.insert(0, str(Path(__file__).parent))
from test_mixed_ensemble import mixed_frame, pipeline_member, tree_member  # noqa: E402


def _run_sites(ens, X, y, site, n_rounds, teach_kwargs=None):
    """Each site fits, teaches and learns on its own rows only."""
    names = [item[0] for item in ens.estimators]
    templates = {item[0]: item[1] for item in ens.estimators}
    columns = {
        item[0]: (item[2] if len(item) == 3 else None) for item in ens.estimators
    }
    own = {}
    for m, name in enumerate(names):
        rows = np.flatnonzero(site == m)
        Xs = X.iloc[rows].reset_index(drop=True) if hasattr(X, "iloc") else X[rows]
        own[name] = (Xs, y[rows])
    regression = isinstance(ens, CooperativeDistillationRegressor)
    classes = None if regression else np.unique(y)

    def cols(name, Xs):
        return Xs if columns[name] is None else Xs[columns[name]]

    models = {n: clone(templates[n]).fit(cols(n, own[n][0]), own[n][1]) for n in names}
    seeds = site_seeds(ens.random_state, names, n_rounds)
    received = {n: [] for n in names}
    for r in range(n_rounds):
        inbox = {n: [] for n in names}
        for name in names:
            peers = {p: models[p] for p in names if p != name}
            sent = teach(
                models[name],
                own[name][0],
                own[name][1],
                peers,
                name=name,
                round=r,
                random_state=seeds[r][name],
                classes=classes,
                received=list(received[name]),
                **(teach_kwargs or {}),
            )
            for student, rows in sent.items():
                inbox[student].append(rows)
        for name in names:
            received[name].extend(inbox[name])
            if inbox[name]:
                # the site's current model: a warm refit starts from it, as
                # the in-process student starts from the previous round's
                models[name] = learn(
                    models[name],
                    cols(name, own[name][0]),
                    own[name][1],
                    received[name],
                    classes=classes,
                )
    return models, received


def _assert_same(ens, X, models, received):
    for name, est in ens.named_estimators_.items():
        cols = ens.member_columns_[name]
        Xm = X if cols is None else X[cols]
        v = ens.virtual_instances_[name]
        got = received[name]
        n = sum(len(r) for r in got)
        assert n >= len(v["y"])  # the student dedupes what it received
        if hasattr(est, "predict_proba"):
            np.testing.assert_allclose(
                models[name].predict_proba(Xm), est.predict_proba(Xm), atol=1e-12
            )
        else:
            np.testing.assert_allclose(models[name].predict(Xm), est.predict(Xm))


@pytest.mark.parametrize("n_rounds", [1, 2])
def test_classifier_arrays_equal_in_process(n_rounds):
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:240], y[:240]
    site = np.arange(len(y)) % 3
    ens = CooperativeDistillationEnsemble(
        [
            ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
            ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
            ("nb", GaussianNB()),
        ],
        n_rounds=n_rounds,
        random_state=0,
    ).fit(X, y, site=site)
    models, received = _run_sites(ens, X, y, site, n_rounds)
    _assert_same(ens, X, models, received)
    # the very rows: the sites' virtual rows, deduplicated, are the ensemble's
    for name in ("logreg", "tree", "nb"):
        sent = np.vstack([r.X for r in received[name]])
        v = ens.virtual_instances_[name]["X"]
        assert {tuple(row) for row in sent} == {tuple(row) for row in v}


@pytest.mark.parametrize("n_rounds", [1, 2])
def test_regressor_arrays_equal_in_process(n_rounds):
    # under the default guard: the draws and the labels the teacher gives
    # them are the same in both paths
    X, y = load_diabetes(return_X_y=True)
    X, y = X[:240], y[:240]
    site = np.arange(len(y)) % 2
    ens = CooperativeDistillationRegressor(
        [
            ("ridge", Ridge()),
            ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
        ],
        n_rounds=n_rounds,
        random_state=0,
    ).fit(X, y, site=site)
    assert int(ens.transfer_report_["guarded"].sum()) > 0
    models, received = _run_sites(ens, X, y, site, n_rounds)
    _assert_same(ens, X, models, received)
    for name in ("ridge", "tree"):
        sent = {
            (*np.round(row, 12), round(float(label), 9))
            for r in received[name]
            for row, label in zip(r.X, r.y)
        }
        v = ens.virtual_instances_[name]
        kept = {
            (*np.round(row, 12), round(float(label), 9))
            for row, label in zip(v["X"], v["y"])
        }
        assert kept <= sent
        # guarded labels are the teacher's values, not the sources' own
        assert not np.allclose(v["y"], y[v["source_index"]])


def test_mixed_frame_with_own_columns_equal_in_process():
    X, y = mixed_frame(240, 3)
    site = np.arange(len(y)) % 3
    ens = CooperativeDistillationEnsemble(
        [
            ("pipe", pipeline_member()),
            ("tree", tree_member()),
            ("nb", GaussianNB(), ["age", "hours"]),
        ],
        random_state=0,
    ).fit(X, y, site=site)
    models, received = _run_sites(ens, X, y, site, 1)
    _assert_same(ens, X, models, received)
    sent_to_nb = pd.concat([r.X for r in received["nb"]], ignore_index=True)
    assert list(sent_to_nb.columns) == ["age", "hours"]  # only shared columns travel
    for rows in received["pipe"]:
        assert isinstance(rows.X.index, pd.RangeIndex)


@pytest.mark.parametrize(
    "guard",
    [None, "mean+push", "sample k=5"],
)
def test_guard_and_scope_equal_in_process(guard):
    # the default guard ("auto") is the other tests' setting; these are the
    # off switch and guard objects, passed the same way to both paths
    from skcoop.privacy import ReleaseGuard

    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:240], y[:240]
    site = np.arange(len(y)) % 3
    guard = {
        None: None,
        "mean+push": ReleaseGuard(prototype_k=3, prototype="mean", min_distance=0.5),
        "sample k=5": ReleaseGuard(prototype_k=5),
    }[guard]
    settings = dict(scope="expertise", expertise="oof", guard=guard)
    ens = CooperativeDistillationEnsemble(
        [
            ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
            ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
            ("nb", GaussianNB()),
        ],
        random_state=0,
        **settings,
    ).fit(X, y, site=site)
    models, received = _run_sites(ens, X, y, site, 1, teach_kwargs=settings)
    _assert_same(ens, X, models, received)


def test_no_sent_row_equals_a_raw_row_of_its_site():
    X, y = load_breast_cancer(return_X_y=True)
    site = np.arange(len(y)) % 3
    ens = CooperativeDistillationEnsemble(
        [
            ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
            ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
            ("nb", GaussianNB()),
        ],
        random_state=0,
    )
    _, received = _run_sites(ens, X, y, site, 1)
    names = ["logreg", "tree", "nb"]
    for rows_list in received.values():
        for rows in rows_list:
            raw = {tuple(r) for r in X[site == names.index(rows.teacher)]}
            assert not any(tuple(r) in raw for r in np.asarray(rows.X))
