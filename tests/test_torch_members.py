"""skorch nets as members: alignment of outputs, search on float32 nets."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402
from sklearn.naive_bayes import GaussianNB  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402
from torch import nn  # noqa: E402

from skcoop import CooperativeDistillationEnsemble  # noqa: E402


class _MLP(nn.Module):
    def __init__(self, n_in=4, n_hidden=16, n_out=3):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(n_in, n_hidden), nn.ReLU(), nn.Linear(n_hidden, n_out)
        )

    def forward(self, X):
        return self.net(X)


def _net():
    return skorch.NeuralNetClassifier(
        _MLP,
        criterion=nn.CrossEntropyLoss,
        max_epochs=40,
        lr=0.1,
        optimizer=torch.optim.Adam,
        optimizer__lr=0.02,
        train_split=None,
        verbose=0,
    )


@pytest.fixture
def iris_two_class_sites():
    X, y = load_iris(return_X_y=True)
    X = ((X - X.mean(0)) / X.std(0)).astype(np.float32)
    y = y.astype(np.int64)
    # the net's site holds no class 2; the others hold every class
    site = np.where(y == 2, np.arange(len(y)) % 2 + 1, np.arange(len(y)) % 3)
    return X, y, site


@pytest.mark.torch
@pytest.mark.parametrize("counterfactual", ["bisection", "auto"])
def test_net_member_learns_a_class_it_never_saw(iris_two_class_sites, counterfactual):
    torch.manual_seed(0)
    X, y, site = iris_two_class_sites
    template = _net()
    ens = CooperativeDistillationEnsemble(
        [
            ("net", template),
            ("tree", DecisionTreeClassifier(random_state=0)),
            ("nb", GaussianNB()),
        ],
        counterfactual=counterfactual,
        random_state=0,
    ).fit(X, y, site=site)
    net = ens.named_estimators_["net"]
    assert template.get_params()["classes"] is None  # the user's net is untouched
    np.testing.assert_array_equal(net.classes_, [0, 1, 2])
    assert 2 in set(ens.virtual_instances_["net"].y)
    before = ens.named_initial_estimators_["net"].score(X[y == 2], y[y == 2])
    after = net.score(X[y == 2], y[y == 2])
    assert before == 0.0 and after > 0.5
    assert ens.virtual_instances_["net"].X.dtype == np.float32


@pytest.mark.torch
def test_clone_of_net_ensemble_is_unfitted():
    ens = CooperativeDistillationEnsemble([("net", _net()), ("nb", GaussianNB())])
    assert clone(ens).get_params()["net__max_epochs"] == 40
