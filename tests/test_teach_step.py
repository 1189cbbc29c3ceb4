"""The teacher's step is written once (``_teach.teach_at_site``).

The in-process rounds and :func:`skcoop.silo.teach` are thin adapters over
it, so that they agree also where they once differed: with sample weights
(rows of weight 0 teach nothing, the search's scales are weighted). The
records the steps write convert to the public arrays.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier

from skcoop import CooperativeDistillationEnsemble
from skcoop._records import (
    AcceptanceEntry,
    KeptEntry,
    TransferEntry,
    VirtualBatch,
    acceptance_report,
    transfer_report,
)

pytest.importorskip("pyarrow")


def _data():
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[::3, :6], y[::3]
    site = np.arange(len(y)) % 2
    weight = np.where(np.arange(len(y)) % 7 == 0, 0.0, 1.0 + (np.arange(len(y)) % 3))
    return X, y, site, weight


def test_silo_teach_with_weights_equals_the_in_process_fit():
    from skcoop.silo import learn, site_seeds, teach

    X, y, site, weight = _data()
    members = [
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]
    ens = CooperativeDistillationEnsemble(members, random_state=0)
    ens.fit(X, y, site=site, sample_weight=weight)

    names = [n for n, _ in members]
    own = {n: np.flatnonzero(site == m) for m, n in enumerate(names)}
    models = {
        n: clone(est).fit(X[own[n]], y[own[n]], sample_weight=weight[own[n]])
        for n, est in members
    }
    seeds = site_seeds(0, names)[0]
    classes = np.unique(y)
    inbox = {n: [] for n in names}
    for name in names:
        peers = {p: models[p] for p in names if p != name}
        sent = teach(
            models[name],
            X[own[name]],
            y[own[name]],
            peers,
            name=name,
            random_state=seeds[name],
            classes=classes,
            sample_weight=weight[own[name]],
        )
        for student, rows in sent.items():
            inbox[student].append(rows)
    for name, est in members:
        v = ens.virtual_instances_[name]
        assert sum(len(r) for r in inbox[name]) >= len(v["y"]) > 0
        refitted = learn(
            est,
            X[own[name]],
            y[own[name]],
            inbox[name],
            classes=classes,
            sample_weight=weight[own[name]],
        )
        np.testing.assert_allclose(
            refitted.predict_proba(X),
            ens.named_estimators_[name].predict_proba(X),
            atol=1e-12,
        )


def test_the_student_counts_what_it_kept():
    X, y, site, _ = _data()
    members = [
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=2, random_state=0)),
    ]
    ens = CooperativeDistillationEnsemble(members, random_state=0, n_rounds=2)
    ens.fit(X, y, site=site)
    report = ens.transfer_report_
    assert report["kept"].sum() > 0
    for name in ("nb", "tree"):
        received = ens.virtual_instances_[name]
        mine = report["student"] == name
        assert report["kept"][mine].sum() == len(received["y"])
        assert np.all(report["kept"] <= report["found"])


def test_records_convert_to_the_public_arrays():
    entries = (
        TransferEntry(0, "a", "b", 1, qualifying=5, found=4, guarded=1, dropped=0),
        TransferEntry(0, "a", "b", 0, qualifying=3, found=3, guarded=0, dropped=1),
    )
    kept = (KeptEntry(0, "a", "b", 1, kept=2),)
    report = transfer_report(entries, kept)
    assert list(report["kept"]) == [2, 0]
    assert report["class"].dtype == object and report["found"].dtype.kind == "i"
    empty = transfer_report(())
    assert all(len(v) == 0 for v in empty.values()) and "kept" in empty

    batch = VirtualBatch(
        "b",
        np.ones((3, 2)),
        np.array([0, 1, 1]),
        np.array(["a"] * 3, dtype=object),
        np.array([4, 5, 6]),
        np.zeros(3, dtype=int),
    )
    both = VirtualBatch.concat([batch, batch.take([2])])
    assert len(both) == 4 and list(both.source_index) == [4, 5, 6, 6]
    assert sorted(both.to_bunch()) == ["X", "round", "source_index", "teacher", "y"]
    assert len(VirtualBatch.empty("b", np.ones((2, 2)), int)) == 0

    accepted = acceptance_report([AcceptanceEntry("a", 0.8, 0.9, "distilled", "r", 10)])
    assert list(accepted) == [
        "member",
        "alone",
        "distilled",
        "kept",
        "reason",
        "n_holdout",
    ]
    assert acceptance_report(None) is None
