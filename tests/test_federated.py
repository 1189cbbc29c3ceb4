"""skcoop.federated: round counting, the FedAvg mean and the consolidators."""

# SPDX-License-Identifier: BSD-3-Clause

import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skcoop.federated import (
    RoundCount,
    count_rounds,
    fedavg_average,
    federated_accuracy,
    rounds_to_target,
    teacher_proba,
)

# ---------------------------------------------------------------- counting


def test_rounds_to_target_on_a_hand_made_curve():
    curve = [0.10, 0.42, 0.79, 0.80, 0.78, 0.91, 0.95]
    assert rounds_to_target(curve, 0.80) == 3  # >= counts, a dip later does not
    assert rounds_to_target(curve, 0.79) == 2
    assert rounds_to_target(curve, 0.90) == 5
    assert rounds_to_target(curve, 0.10) == 0  # the starting model already does
    assert rounds_to_target(curve, 0.96) is None


def test_count_rounds_adds_the_consolidation_rounds():
    curve = [0.5, 0.7, 0.85, 0.9]
    assert count_rounds(curve, 0.85, consolidation_rounds=4) == RoundCount(2, 4, 6)
    assert count_rounds(curve, 0.5, consolidation_rounds=1) == RoundCount(0, 1, 1)
    # not reached: total unknown, a lower bound of consolidation + rounds run
    assert count_rounds(curve, 0.99, 2) == RoundCount(None, 2, None, censored_at=5)


@pytest.mark.parametrize("curve", [[], [[0.1, 0.2]]])
def test_rounds_to_target_rejects_a_curve_that_is_not_1d(curve):
    with pytest.raises(ValueError, match="non-empty 1-D curve"):
        rounds_to_target(curve, 0.5)


def test_count_rounds_rejects_negative_consolidation_rounds():
    with pytest.raises(ValueError, match="non-negative integer. Got -1"):
        count_rounds([0.1], 0.5, consolidation_rounds=-1)


def test_fedavg_average_is_the_row_weighted_mean():
    a = {"w": np.array([[1.0, 2.0]]), "b": np.array([0.0])}
    b = {"w": np.array([[4.0, 8.0]]), "b": np.array([3.0])}
    avg = fedavg_average([a, b], n_examples=[1, 2])
    np.testing.assert_allclose(avg["w"], [[3.0, 6.0]])
    np.testing.assert_allclose(avg["b"], [2.0])
    # equal sizes: the plain mean; one client: itself
    np.testing.assert_allclose(fedavg_average([a, b], [5, 5])["w"], [[2.5, 5.0]])
    np.testing.assert_allclose(fedavg_average([a], [7])["w"], a["w"])


@pytest.mark.parametrize("n", [[1], [-1, 2], [0, 0]])
def test_fedavg_average_rejects_bad_counts(n):
    with pytest.raises(ValueError, match="n_examples"):
        fedavg_average([{"w": np.zeros(1)}, {"w": np.ones(1)}], n)


def test_federated_accuracy_pools_the_clients_counts():
    class Const(ClassifierMixin, BaseEstimator):
        def predict(self, X):
            return np.zeros(len(X), dtype=int)

    clients = [(np.zeros((4, 1)), np.array([0, 0, 0, 1])), (np.zeros((1, 1)), [1])]
    assert federated_accuracy(clients)(Const()) == pytest.approx(3 / 5)


def test_teacher_proba_aligns_classes_and_weighs_teachers():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    t1 = LogisticRegression().fit(X, [0, 0, 2, 2])  # never saw class 1
    t2 = LogisticRegression().fit(X, [1, 1, 2, 2])
    p = teacher_proba([t1, t2], X, n_classes=3, weights=[3, 1])
    expected = (
        3 * np.c_[t1.predict_proba(X)[:, 0], np.zeros(4), t1.predict_proba(X)[:, 1]]
        + np.c_[np.zeros(4), t2.predict_proba(X)]
    ) / 4
    np.testing.assert_allclose(p, expected)


# ---------------------------------------------------------------- import


def test_federated_imports_without_flwr():
    # a fresh interpreter where ``import flwr`` fails: skcoop and
    # skcoop.federated import; the Flower app needs flwr
    code = (
        "import sys; sys.modules['flwr'] = None\n"
        "import skcoop, skcoop.federated\n"
        "from skcoop.federated import KDConsolidator, count_rounds\n"
        "try:\n"
        "    import skcoop.flower.fedavg.client_app\n"
        "except ImportError:\n"
        "    print('the app needs flwr')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "the app needs flwr"


def test_federated_does_not_import_flwr():
    code = "import sys, skcoop.federated; print('flwr' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------- consolidators

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from skcoop.federated import (  # noqa: E402
    CooperativeConsolidator,
    KDConsolidator,
    get_weights,
    make_mlp_net,
    set_weights,
)


class RecordingTeacher(ClassifierMixin, BaseEstimator):
    """A fitted teacher that records every row it is asked about."""

    def __init__(self, model, seen):
        self.model = model
        self.seen = seen

    def predict_proba(self, X):
        self.seen.append(np.array(X, copy=True))
        return self.model.predict_proba(X)

    @property
    def classes_(self):
        return self.model.classes_


@pytest.fixture(scope="module")
def tiny():
    """Digits: 3 clients with skewed classes, a public set, a test set."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    rng = np.random.RandomState(0)
    order = rng.permutation(len(y))
    test, public, rest = order[:400], order[400:700], order[700:1300]
    site = np.minimum(y[rest] // 4, 2)  # client 0: 0-3, 1: 4-7, 2: 8-9
    return dict(
        X=X[rest],
        y=y[rest],
        site=site,
        X_public=X[public],
        X_test=X[test],
        y_test=y[test],
    )


def _pretrained(tiny, seen=None):
    teachers = []
    for k in range(3):
        mask = tiny["site"] == k
        model = LogisticRegression(max_iter=300).fit(tiny["X"][mask], tiny["y"][mask])
        teachers.append(model if seen is None else RecordingTeacher(model, seen))
    return teachers


def test_kd_consolidation_beats_chance_and_sees_no_client_row(tiny):
    seen = []
    teachers = _pretrained(tiny, seen)
    student = make_mlp_net(64, 10, max_epochs=15)
    kd = KDConsolidator(teachers, n_classes=10, student=student, random_state=0)
    kd.fit(tiny["X_public"])
    # every client knows at most 4 classes, the consolidated model all ten
    assert kd.score(tiny["X_test"], tiny["y_test"]) > 0.6
    for t in teachers:
        assert t.model.score(tiny["X_test"], tiny["y_test"]) < 0.45
    # the server's inputs: the transfer set only, no client row among them
    rows = np.vstack(seen)
    client_rows = {r.tobytes() for r in tiny["X"]}
    assert not any(r.tobytes() in client_rows for r in rows)
    assert {r.tobytes() for r in rows} <= {r.tobytes() for r in tiny["X_public"]}
    assert kd.communication_rounds_ == 1 and kd.n_transfer_ == 300
    assert kd.best_params_ == {"temperature": 2.0, "alpha": 0.5}


@pytest.mark.slow
def test_tuned_kd_keeps_the_best_scored_candidate(tiny):
    teachers = _pretrained(tiny)
    clients = [
        (tiny["X"][tiny["site"] == k], tiny["y"][tiny["site"] == k]) for k in range(3)
    ]
    scoring = federated_accuracy(clients)
    grid = {"temperature": [1.0, 4.0], "alpha": [0.0, 0.9]}
    kd = KDConsolidator(
        teachers,
        n_classes=10,
        param_grid=grid,
        scoring=scoring,
        random_state=0,
        student=make_mlp_net(64, 10, max_epochs=10),
    ).fit(tiny["X_public"])
    scores = kd.cv_results_["score"]
    assert len(scores) == 4
    best = kd.cv_results_["params"][int(np.argmax(scores))]
    assert kd.best_params_ == {
        "temperature": best["temperature"],
        "alpha": best["alpha"],
    }
    assert scoring(kd.student_) == pytest.approx(max(scores))
    assert kd.communication_rounds_ == 2


def test_kd_consolidator_errors_state_the_fix(tiny):
    teachers = _pretrained(tiny)
    with pytest.raises(ValueError, match="pass scoring"):
        KDConsolidator(teachers, 10, param_grid={"alpha": [0.5]}).fit(tiny["X_public"])
    with pytest.raises(ValueError, match="at least one fitted model"):
        KDConsolidator([], 10).fit(tiny["X_public"])
    with pytest.raises(ValueError, match="temperature"):
        KDConsolidator(teachers, 10, temperature=0).fit(tiny["X_public"])


def test_kd_consolidator_clone_shares_the_teachers(tiny):
    teachers = _pretrained(tiny)
    kd = KDConsolidator(teachers, n_classes=10, alpha=0.9)
    twin = clone(kd)
    assert twin.teachers is teachers and twin.alpha == 0.9


@pytest.mark.slow
def test_cooperative_consolidation_beats_chance_and_counts_its_rounds(tiny):
    members = [(f"c{k}", LogisticRegression(max_iter=300)) for k in range(3)]
    kd = KDConsolidator([], n_classes=10, param_grid=None)
    coop = CooperativeConsolidator(members, kd=kd, n_rounds=1, random_state=0)
    coop.fit(tiny["X"], tiny["y"], site=tiny["site"], X_transfer=tiny["X_public"])
    assert coop.score(tiny["X_test"], tiny["y_test"]) > 0.6
    # the KD step's teachers are the distilled members, not the raw rows
    assert coop.consolidator_.teachers == list(coop.ensemble_.estimators_)
    assert coop.consolidator_.n_transfer_ == 300
    assert coop.communication_rounds_ == 1 + 2


def test_weights_round_trip_through_numpy():
    net = make_mlp_net(5, 3, hidden=4, random_state=1)
    w = get_weights(net)
    other = make_mlp_net(5, 3, hidden=4, random_state=2)
    assert not np.allclose(get_weights(other)["out.weight"], w["out.weight"])
    set_weights(other, w)
    for name, value in get_weights(other).items():
        np.testing.assert_array_equal(value, w[name])
