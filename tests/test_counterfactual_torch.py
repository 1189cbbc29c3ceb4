"""GradientSearch on torch modules and skorch nets (CPU; GPU when there)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from sklearn.datasets import make_classification  # noqa: E402
from sklearn.exceptions import NotFittedError  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from skcoop.counterfactual import BlackBoxSearch, GradientSearch, make_search  # noqa: E402
from skcoop.counterfactual._model import TorchModel  # noqa: E402

pytestmark = pytest.mark.torch


class MLP(torch.nn.Module):
    def __init__(self, n_in=6, n_out=2, hidden=16):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Linear(n_in, hidden),
            torch.nn.ReLU(),
            torch.nn.Linear(hidden, n_out),
        )

    def forward(self, X):
        return self.body(X)


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=300, n_features=6, n_informative=4, random_state=0
    )
    return X.astype(np.float32), y.astype(np.int64)


@pytest.fixture(scope="module")
def net(data):
    X, y = data
    torch.manual_seed(0)
    clf = skorch.NeuralNetClassifier(
        MLP,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=0.02,
        max_epochs=40,
        train_split=None,
        verbose=0,
    )
    return clf.fit(X, y)


def test_auto_picks_gradient_for_torch_models(net):
    assert isinstance(make_search("auto", net), GradientSearch)
    assert isinstance(make_search("auto", net.module_), GradientSearch)
    assert isinstance(make_search("auto", LogisticRegression()), BlackBoxSearch)


def test_skorch_net_flip_and_quintessential(net, data):
    X, y = data
    search = GradientSearch().fit(X, y)
    result = search.generate(net, X[:60], 1 - y[:60], confidence=0.75)
    assert result.success.mean() >= 0.97
    proba = net.predict_proba(result.X.astype(np.float32))[np.arange(60), 1 - y[:60]]
    np.testing.assert_allclose(proba, result.achieved, atol=1e-5)
    assert np.all(result.X >= search.min_ - 1e-6) and np.all(
        result.X <= search.max_ + 1e-6
    )
    assert result.n_changed.min() >= 1
    # the Adam phase ran, batched: calls do not scale with rows
    assert 1 <= search.n_iter_ <= search.max_iter
    assert result.n_model_calls < search.max_iter + 100
    # quintessential targets on the true labels
    result = search.generate(net, X[:60], y[:60])
    assert result.success.mean() >= 0.97


def test_plain_module_returning_logits(data):
    X, y = data
    torch.manual_seed(0)
    module = MLP()
    search = GradientSearch().fit(X, y)
    result = search.generate(module, X[:40], np.ones(40, int), confidence=0.7)
    with torch.no_grad():
        p = torch.softmax(module(torch.as_tensor(result.X, dtype=torch.float32)), 1)[
            :, 1
        ]
    np.testing.assert_allclose(p.numpy(), result.achieved, atol=1e-5)
    assert result.success.mean() >= 0.95


def test_exact_on_a_linear_module():
    """A linear logit module: the L1 optimum moves the feature with most |w| s."""
    torch.manual_seed(0)
    module = torch.nn.Linear(3, 1)  # one logit: binary, sigmoid
    with torch.no_grad():
        module.weight[:] = torch.tensor([[2.0, -0.5, 1.0]])
        module.bias[:] = torch.tensor([0.0])
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    search = GradientSearch(feature_range=None, scale=[1.0, 1.0, 1.0]).fit(X)
    source = np.array([[-1.0, 0.0, 0.0]], dtype=np.float32)
    result = search.generate(module, source, [1], confidence=0.8)
    assert result.success.all()
    optimum = (np.log(0.8 / 0.2) - (-2.0)) / 2.0
    assert result.distance[0] == pytest.approx(optimum, rel=0.02)
    assert result.n_changed[0] == 1


def test_paper_settings_barely_move(net, data):
    X, y = data
    search = GradientSearch(
        learning_rate=1e-5,
        max_iter=50,
        step_units="raw",
        loss="ce",
        tol=1e-3,
        n_rounds=0,
        linearize=False,
        fallback=False,
    ).fit(X, y)
    result = search.generate(net, X[:30], 1 - y[:30], confidence=0.9)
    moved = np.abs(result.X - X[:30]).max()
    assert moved <= 50 * 1e-5 * 1.01 + 1e-6
    assert result.success.mean() < 0.5


def test_constraints_hold_on_the_gradient_path(net, data):
    X, y = data
    search = GradientSearch(immutable=[0, 1], max_iter=30).fit(X, y)
    result = search.generate(net, X[:30], 1 - y[:30], confidence=0.7)
    np.testing.assert_array_equal(result.X[:, :2], X[:30, :2])


def test_regression_net():
    rng = np.random.RandomState(0)
    X = rng.uniform(-2, 2, size=(300, 3)).astype(np.float32)
    y = (X @ np.array([1.0, -2.0, 0.5], dtype=np.float32))[:, None]
    torch.manual_seed(0)
    reg = skorch.NeuralNetRegressor(
        torch.nn.Linear,
        module__in_features=3,
        module__out_features=1,
        optimizer=torch.optim.Adam,
        lr=0.05,
        max_epochs=60,
        train_split=None,
        verbose=0,
    ).fit(X, y)
    search = GradientSearch().fit(X, y.ravel())
    truth = y[:30, 0] + 1.0
    result = search.generate(reg, X[:30], truth)
    assert result.target_class is None
    assert result.success.mean() >= 0.95
    pred = reg.predict(result.X.astype(np.float32)).ravel()
    lo, hi = result.target_interval.T
    assert np.all((pred >= lo - 1e-4) & (pred <= hi + 1e-4))


def test_bad_models(data):
    X, y = data
    search = GradientSearch().fit(X, y)
    with pytest.raises(TypeError, match="GradientSearch needs a torch"):
        search.generate(LogisticRegression().fit(X, y), X[:3], y[:3])
    unfitted = skorch.NeuralNetClassifier(MLP)
    with pytest.raises(NotFittedError):
        search.generate(unfitted, X[:3], y[:3])
    with pytest.raises(ValueError, match="not classes of the model"):
        search.generate(MLP(), X[:3], [0, 1, 5])
    result = search.generate(MLP(), X[:0], y[:0])
    assert len(result) == 0


def test_torch_model_adapter_matches_the_net(net, data):
    X, _ = data
    adapter = TorchModel(net)
    np.testing.assert_allclose(
        adapter.predict_proba(X[:20]), net.predict_proba(X[:20]), atol=1e-6
    )
    np.testing.assert_array_equal(adapter.predict(X[:20]), net.predict(X[:20]))
    net.module_.train(True)
    adapter.predict_proba(X[:5])
    assert net.module_.training  # eval mode only during the call


def test_blackbox_searches_a_skorch_net_too(net, data):
    X, y = data
    result = (
        BlackBoxSearch().fit(X, y).generate(net, X[:40], 1 - y[:40], confidence=0.75)
    )
    assert result.success.mean() >= 0.97


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gradient_search_on_the_gpu(data):
    X, y = data
    torch.manual_seed(0)
    module = MLP().cuda()
    result = (
        GradientSearch()
        .fit(X, y)
        .generate(module, X[:50], np.ones(50, int), confidence=0.7)
    )
    assert result.success.mean() >= 0.95
