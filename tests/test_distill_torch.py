"""Knowledge distillation with torch: the loss by hand, the skorch student,
native soft targets and mutual learning of skorch peers."""

# SPDX-License-Identifier: BSD-3-Clause

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from skorch import NeuralNetClassifier  # noqa: E402
from skorch.helper import SliceDict  # noqa: E402
from torch import nn  # noqa: E402

from skcoop.distill import (  # noqa: E402
    KDNeuralNetClassifier,
    MutualLearningDistiller,
    SoftTargetDistiller,
    fit_soft_targets,
    kd_loss,
    kl_soft_term,
    mutual_learning_fit,
    soften,
)

pytestmark = pytest.mark.torch


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # the nets here are tiny: one thread is faster and spares a busy machine
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

# --------------------------------------------------------------------------- the loss

# two rows, three classes: (student logits, teacher probabilities, label)
ROWS = [([1.0, 2.0, 0.5], [0.7, 0.2, 0.1], 0), ([0.0, 0.0, 3.0], [0.1, 0.1, 0.8], 2)]


def _by_hand(T, w):
    def softmax(z):
        e = [math.exp(v) for v in z]
        return [v / sum(e) for v in e]

    ce = kl = 0.0
    for s, p, label in ROWS:
        ce += -math.log(softmax(s)[label])
        tempered = [v ** (1 / T) for v in p]
        q = [v / sum(tempered) for v in tempered]
        s_T = softmax([v / T for v in s])
        kl += sum(a * math.log(a / b) for a, b in zip(q, s_T, strict=True))
    ce, kl = ce / len(ROWS), kl / len(ROWS)  # batch means
    return (1 - w) * ce + w * T**2 * kl, ce, kl


def _tensors():
    s = torch.tensor([r[0] for r in ROWS], dtype=torch.float64)
    p = torch.tensor([r[1] for r in ROWS], dtype=torch.float64)
    y = torch.tensor([r[2] for r in ROWS])
    return s, p, y


def test_kd_loss_matches_hand_computation():
    s, p, y = _tensors()
    expected, ce, kl = _by_hand(T=2.0, w=0.3)
    # the same numbers written out, so that a change in the helper shows
    assert ce == pytest.approx(0.7796458702644529, abs=1e-12)
    assert kl == pytest.approx(0.07528870106562524, abs=1e-12)
    assert kd_loss(s, p, y, temperature=2.0, weight=0.3).item() == pytest.approx(
        0.6360985504638672, abs=1e-6
    )
    assert kd_loss(s, p, y, 2.0, 0.3).item() == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("T", [1.0, 2.0, 5.0])
def test_kd_loss_scales_the_kl_term_by_t_squared(T):
    s, p, y = _tensors()
    _, ce, kl = _by_hand(T=T, w=1.0)
    assert kd_loss(s, p, y, T, weight=1.0).item() == pytest.approx(T**2 * kl, abs=1e-6)
    assert kl_soft_term(s, p, T).item() == pytest.approx(T**2 * kl, abs=1e-6)
    assert kd_loss(s, p, y, T, weight=0.0).item() == pytest.approx(ce, abs=1e-6)


def test_kl_term_vanishes_when_student_copies_teacher():
    _, p, _ = _tensors()
    assert kl_soft_term(torch.log(p), p, 3.0).item() == pytest.approx(0.0, abs=1e-12)


def test_kd_loss_rejects_bad_weight_and_temperature():
    s, p, y = _tensors()
    with pytest.raises(ValueError, match="weight"):
        kd_loss(s, p, y, 1.0, 1.5)
    with pytest.raises(ValueError, match="temperature"):
        kd_loss(s, p, y, 0.0, 0.5)


# --------------------------------------------------------------------------- the net


class MLP(nn.Module):
    def __init__(self, n_in=4, n_out=3, hidden=16, logits=False):
        super().__init__()
        self.seq = nn.Sequential(
            nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, n_out)
        )
        self.logits = logits

    def forward(self, X):
        z = self.seq(X)
        return z if self.logits else torch.softmax(z, dim=-1)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    teacher = LogisticRegression(C=0.1).fit(X, y)
    return X, y, teacher


def _net(cls=KDNeuralNetClassifier, **kwargs):
    params = dict(max_epochs=2, lr=0.1, verbose=0, train_split=None)
    params.update(kwargs)
    return cls(MLP, **params)


def test_kd_net_params_clone_keeps_the_fitted_teacher(iris):
    X, y, teacher = iris
    net = _net(teacher=teacher, temperature=3.0, alpha=0.7)
    params = net.get_params()
    assert params["teacher"] is teacher
    assert params["temperature"] == 3.0 and params["alpha"] == 0.7
    assert "teacher__C" in params
    twin = clone(net)
    assert twin.teacher is teacher and twin.temperature == 3.0 and twin.alpha == 0.7
    assert not twin.initialized_
    twin.set_params(temperature=1.5, alpha=0.2)
    assert (twin.temperature, twin.alpha, net.temperature) == (1.5, 0.2, 3.0)


def test_kd_net_loss_is_the_kd_loss(iris):
    X, y, teacher = iris
    torch.manual_seed(0)
    net = _net(
        teacher=teacher,
        temperature=2.0,
        alpha=0.4,
        criterion=nn.CrossEntropyLoss,
        module__logits=True,
    ).initialize()
    Xb, yb = torch.as_tensor(X[:10]), torch.as_tensor(y[:10])
    logits = net.infer(Xb)
    P = torch.as_tensor(teacher.predict_proba(X[:10]))
    expected = kd_loss(logits, P, yb, 2.0, 0.4)
    # teacher run on the batch, or teacher outputs passed beside X: same loss
    on_the_fly = net.get_loss(logits, yb, X=Xb, training=True)
    passed = net.set_params(teacher=None).get_loss(
        logits, yb, X={"X": Xb, "teacher_proba": P}, training=True
    )
    assert on_the_fly.item() == pytest.approx(expected.item(), abs=1e-6)
    assert passed.item() == pytest.approx(expected.item(), abs=1e-6)
    # no teacher at all: the plain criterion
    plain = NeuralNetClassifier.get_loss(net, logits, yb)
    assert net.get_loss(logits, yb, X=Xb).item() == pytest.approx(plain.item())


def test_kd_net_fits_with_teacher_outputs_in_a_slicedict(iris):
    X, y, teacher = iris
    torch.manual_seed(0)
    P = teacher.predict_proba(X).astype(np.float32)
    net = _net(temperature=2.0, alpha=0.5, train_split=skorch.dataset.ValidSplit(5))
    net.fit(SliceDict(X=X, teacher_proba=P), y)
    # y stayed hard labels: three classes, not one per distinct soft value
    np.testing.assert_array_equal(net.classes_, [0, 1, 2])
    assert np.isfinite(net.history[-1, "valid_loss"])
    assert net.predict_proba(X).shape == (150, 3)  # plain X at predict time
    assert net.predict_proba(SliceDict(X=X, teacher_proba=P)).shape == (150, 3)


def test_kd_net_pure_distillation_follows_the_teacher(iris):
    X, y, teacher = iris
    y_teacher = teacher.predict(X)
    y_noisy = np.roll(y, 50)  # labels unrelated to X
    torch.manual_seed(0)
    net = _net(
        teacher=teacher, alpha=1.0, max_epochs=20, optimizer=torch.optim.Adam, lr=0.05
    ).fit(X, y_noisy)
    assert np.mean(net.predict(X) == y_teacher) > 0.9


def test_kd_net_grid_search_over_temperature_and_alpha(iris):
    X, y, teacher = iris
    torch.manual_seed(0)
    grid = {"temperature": [1.0, 4.0], "alpha": [0.0, 0.9]}
    search = GridSearchCV(_net(teacher=teacher), grid, cv=2, scoring="accuracy")
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_estimator_.teacher is teacher
    assert set(search.best_params_) == {"temperature", "alpha"}


def test_kd_net_rejects_bad_alpha_and_mismatched_teacher(iris):
    X, y, teacher = iris
    with pytest.raises(ValueError, match="alpha"):
        _net(teacher=teacher, alpha=2.0).fit(X, y)
    binary = LogisticRegression().fit(X[:100], y[:100])
    with pytest.raises(ValueError, match="must be one of"):
        _net(teacher=binary, module__n_out=1).fit(X[:100], np.zeros(100, dtype=int))


# ------------------------------------------------------------------------- soft targets


def test_fit_soft_targets_native_for_nets_and_pipelines(iris):
    X, y, teacher = iris
    q = soften(teacher.predict_proba(X), 2.0)
    torch.manual_seed(0)
    student = fit_soft_targets(
        _net(cls=NeuralNetClassifier),
        X,
        y,
        q,
        weight=0.5,
        classes=np.arange(3),
        temperature=2.0,
    )
    assert type(student) is KDNeuralNetClassifier
    assert (student.alpha, student.temperature, student.teacher) == (0.5, 2.0, None)
    assert student.predict(X).shape == (150,)
    pipe = make_pipeline(StandardScaler(), _net(cls=NeuralNetClassifier))
    pipe = fit_soft_targets(
        pipe,
        X,
        y,
        q,
        weight=0.5,
        classes=np.arange(3),
        temperature=2.0,
        sample_weight=np.ones(150),
    )
    assert isinstance(pipe[-1], KDNeuralNetClassifier)
    assert pipe.predict(X).shape == (150,)


def test_native_soft_targets_reach_the_loss_untempered_twice(iris, monkeypatch):
    # the net tempers its teacher entry; fit_soft_targets hands it q ** T so
    # that the tempered entry is exactly q
    X, y, teacher = iris
    q = soften(teacher.predict_proba(X), 3.0)
    seen = {}
    original = KDNeuralNetClassifier.get_loss

    def spy(self, y_pred, y_true, X=None, training=False):
        seen["teacher"] = X["teacher_proba"]
        return original(self, y_pred, y_true, X=X, training=training)

    monkeypatch.setattr(KDNeuralNetClassifier, "get_loss", spy)
    fit_soft_targets(
        _net(max_epochs=1, batch_size=150, iterator_train__shuffle=False),
        X,
        y,
        q,
        weight=0.5,
        classes=np.arange(3),
        temperature=3.0,
    )
    tempered = soften(seen["teacher"].numpy().astype(np.float64), 3.0)
    np.testing.assert_allclose(tempered, q, atol=1e-5)


# --------------------------------------------------------------------------- mutual


def _skorch_gap(weight):
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    torch.manual_seed(0)
    peers = [
        _net(
            cls=NeuralNetClassifier, optimizer=torch.optim.Adam, lr=0.01, batch_size=32
        )
        for _ in range(2)
    ]
    mutual_learning_fit(peers, X, y, max_epochs=10, weight=weight, random_state=0)
    P = [peer.predict_proba(X) for peer in peers]
    accuracy = min(np.mean(peer.predict(X) == y) for peer in peers)
    return np.abs(P[0] - P[1]).sum(axis=1).mean(), accuracy


def test_mutual_learning_skorch_peers_agree_more():
    gap_alone, _ = _skorch_gap(0.0)
    gap_mutual, accuracy = _skorch_gap(0.5)
    assert gap_mutual < gap_alone
    assert accuracy > 0.8


def test_strategies_with_skorch_members(iris):
    X, y, _ = iris
    parts = [np.arange(0, 150, 2), np.arange(1, 150, 2)]
    X_parts, y_parts = [X[p] for p in parts], [y[p] for p in parts]
    torch.manual_seed(0)
    templates = [_net(cls=NeuralNetClassifier), _net(cls=NeuralNetClassifier)]
    members = [
        clone(t).fit(Xp, yp)
        for t, Xp, yp in zip(templates, X_parts, y_parts, strict=True)
    ]
    classes = np.arange(3)
    students = SoftTargetDistiller().distill(
        templates, members, X_parts, y_parts, None, classes, random_state=0
    )
    assert all(isinstance(s, KDNeuralNetClassifier) for s in students)
    before = [m.module_.state_dict()["seq.0.weight"].clone() for m in members]
    students = MutualLearningDistiller(max_epochs=2).distill(
        templates, members, X_parts, y_parts, None, classes, random_state=0
    )
    for member, weights, student in zip(members, before, students, strict=True):
        assert torch.equal(member.module_.state_dict()["seq.0.weight"], weights)
        assert not torch.equal(student.module_.state_dict()["seq.0.weight"], weights)


@pytest.mark.parametrize("warm_start", [True, False])
def test_soft_target_distiller_warm_starts_skorch_members(iris, warm_start):
    X, y, _ = iris
    parts = [np.arange(0, 150, 2), np.arange(1, 150, 2)]
    X_parts, y_parts = [X[p] for p in parts], [y[p] for p in parts]
    torch.manual_seed(0)
    # lr=0: fitting moves no weight, so a warm-started student keeps the member's
    templates = [_net(cls=NeuralNetClassifier, lr=0.0) for _ in range(2)]
    members = [
        clone(t).fit(Xp, yp)
        for t, Xp, yp in zip(templates, X_parts, y_parts, strict=True)
    ]
    students = SoftTargetDistiller(warm_start=warm_start).distill(
        templates, members, X_parts, y_parts, None, np.arange(3), random_state=0
    )
    for member, student in zip(members, students, strict=True):
        same = torch.equal(
            member.module_.state_dict()["seq.0.weight"],
            student.module_.state_dict()["seq.0.weight"],
        )
        assert same is warm_start
        assert member.warm_start is False  # the member itself is left alone
