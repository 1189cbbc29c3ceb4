"""``history_``: one record per round and teacher -> student pair."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skcoop import CooperativeDistillationEnsemble, CooperativeDistillationRegressor
from skcoop.distill import SoftTargetDistiller
from skcoop.inspection import History, HistoryRecord


def _members():
    return [
        ("logreg", LogisticRegression(max_iter=1000)),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("nb", GaussianNB()),
    ]


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    X = X[:, :6]
    site = np.digitize(X[:, 0], [12.5, 15])
    return X, y, site


@pytest.fixture(scope="module")
def fitted(data):
    X, y, site = data
    return CooperativeDistillationEnsemble(_members(), n_rounds=2, random_state=0).fit(
        X, y, site=site
    )


def test_one_record_per_round_and_pair(fitted):
    history = fitted.history_
    assert isinstance(history, History)
    assert all(isinstance(r, HistoryRecord) for r in history)
    names = ["logreg", "tree", "nb"]
    assert [(r.round, r.student) for r in history[:3]] == [(0, n) for n in names]
    pairs = {(r.round, r.teacher, r.student) for r in history if r.round > 0}
    expected = {
        (n_round, t, s) for n_round in (1, 2) for t in names for s in names if t != s
    }
    assert pairs == expected
    assert len(history) == 3 + len(expected)


def test_counts_sum_to_the_transfer_report_and_the_virtual_rows(fitted):
    history, report = fitted.history_, fitted.transfer_report_
    for record in history:
        if record.round == 0:
            assert record.taught == record.kept == 0
            assert record.seconds >= 0
            continue
        pair = (
            (report["round"] == record.round - 1)
            & (report["teacher"] == record.teacher)
            & (report["student"] == record.student)
        )
        assert record.taught == report["qualifying"][pair].sum()
        assert record.found == report["found"][pair].sum()
        assert record.kept == report["kept"][pair].sum()
        assert record.kept <= record.found <= record.taught
        assert record.seconds >= 0
    for name, virtual in fitted.virtual_instances_.items():
        kept = sum(r.kept for r in history if r.student == name)
        assert kept == len(virtual.y)


def test_columns_records_and_frame(fitted):
    history = fitted.history_
    kept = history[:, "kept"]
    assert kept == [r.kept for r in history]
    assert history[-1, "student"] == history[-1].student
    assert isinstance(history[1:3], History) and len(history[1:3]) == 2
    with pytest.raises(KeyError, match="no column 'rows'"):
        history[:, "rows"]
    pd = pytest.importorskip("pandas")
    frame = history.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == [
        "round", "teacher", "student", "taught", "found", "guarded",
        "dropped", "kept", "seconds", "score", "score_kind",
    ]  # fmt: skip
    assert frame["kept"].tolist() == kept
    assert history.to_dicts()[0]["student"] == "logreg"


def test_to_frame_without_pandas_names_the_extra(fitted, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[pandas\]"'):
        fitted.history_.to_frame()


def test_holdout_scores_with_acceptance(data):
    X, y, site = data
    ens = CooperativeDistillationEnsemble(
        _members(), acceptance=0.2, random_state=0
    ).fit(X, y, site=site)
    accepted = dict(zip(ens.acceptance_["member"], ens.acceptance_["distilled"]))
    alone = dict(zip(ens.acceptance_["member"], ens.acceptance_["alone"]))
    for record in ens.history_:
        assert record.score_kind == "holdout"
        expected = alone if record.round == 0 else accepted
        assert record.score == pytest.approx(expected[record.student])


def test_history_without_rounds_and_with_a_kd_strategy(data):
    X, y, site = data
    alone = CooperativeDistillationEnsemble(_members(), n_rounds=0).fit(X, y, site=site)
    assert [r.round for r in alone.history_] == [0, 0, 0]
    assert np.isnan(alone.history_[0].score) and alone.history_[0].score_kind is None
    kd = CooperativeDistillationEnsemble(
        _members(), distiller=SoftTargetDistiller(), random_state=0
    ).fit(X, y, site=site)
    assert len(kd.history_) == 3  # KD sends no rows: only the members alone


def test_regressor_history():
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:300, :5], X[:300, 5]
    reg = CooperativeDistillationRegressor(
        [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3))],
        random_state=0,
    ).fit(X, y, site=np.arange(300) % 2)
    assert {(r.teacher, r.student) for r in reg.history_ if r.round == 1} == {
        ("ridge", "tree"),
        ("tree", "ridge"),
    }


def test_history_survives_pickle_and_skops(fitted):
    again = pickle.loads(pickle.dumps(fitted))
    assert isinstance(again.history_, History)
    np.testing.assert_equal(again.history_.to_dicts(), fitted.history_.to_dicts())
    sio = pytest.importorskip("skops.io")
    data = sio.dumps(fitted)
    assert not any("history" in t.lower() for t in sio.get_untrusted_types(data=data))
    loaded = sio.loads(data, trusted=sio.get_untrusted_types(data=data))
    np.testing.assert_equal(loaded.history_.to_dicts(), fitted.history_.to_dicts())
