"""FedAvg through Flower's simulation runtime (needs the ``flower`` extra)."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
import pytest

pytest.importorskip("flwr")
pytest.importorskip("ray")
torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn.datasets import load_digits  # noqa: E402

from skcoop.federated import (  # noqa: E402
    count_rounds,
    fedavg_average,
    get_weights,
    make_mlp_net,
)
from skcoop.flower.fedavg import FedAvgJob, run_fedavg  # noqa: E402
from skcoop.flower.fedavg.task import build_module, train_local  # noqa: E402
from skcoop.partition import DirichletPartitioner  # noqa: E402


@pytest.fixture(scope="module")
def federation():
    """3 clients (Dirichlet label skew, different sizes), a held-out set."""
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    X_pool, y_pool = X[:450], y[:450]
    site = DirichletPartitioner(3, alpha=1.0, random_state=0).split(X_pool, y_pool)
    clients = [(X_pool[site == k], y_pool[site == k]) for k in range(3)]
    init = get_weights(make_mlp_net(64, 10, hidden=16, random_state=0))
    return clients, init, X[1500:], y[1500:]


@pytest.fixture(scope="module")
def histories(federation):
    clients, init, X_test, y_test = federation
    jobs = [
        FedAvgJob("one", clients, init, X_test, y_test, n_rounds=1, seed=3),
        FedAvgJob("two", clients, init, X_test, y_test, n_rounds=2, lr=0.2, seed=4),
    ]
    timings = {}
    out = run_fedavg(jobs, timings=timings)
    out["_timings"] = timings
    return out


def _client_update(init, X, y, job_seed, server_round, pid, lr=0.05):
    """What the ClientApp computes for one client in one round."""
    module = build_module((64, 10, 16))
    module.load_state_dict({k: torch.as_tensor(v) for k, v in init.items()})
    seed = job_seed * 100_003 + server_round * 101 + pid
    train_local(module, X, y, epochs=1, lr=lr, batch_size=32, seed=seed)
    return get_weights(module)


def test_round_one_aggregate_is_the_row_weighted_mean(federation, histories):
    clients, init, _, _ = federation
    updates = [
        _client_update(init, X, y, job_seed=3, server_round=1, pid=k)
        for k, (X, y) in enumerate(clients)
    ]
    expected = fedavg_average(updates, [len(y) for _, y in clients])
    got = histories["one"].final_weights
    assert sorted(got) == sorted(expected)
    for name in expected:
        np.testing.assert_allclose(got[name], expected[name], rtol=1e-5, atol=1e-6)
    # and it is not a plain mean: the clients' sizes differ
    sizes = [len(y) for _, y in clients]
    assert len(set(sizes)) > 1


def test_accuracy_is_recorded_per_round(federation, histories):
    clients, init, X_test, y_test = federation
    two = histories["two"]
    assert two.accuracy.shape == (3,) and two.loss.shape == (3,)  # rounds 0, 1, 2
    assert histories["one"].accuracy.shape == (2,)
    # round 0 is the starting model, the same for both jobs
    module = build_module((64, 10, 16))
    module.load_state_dict({k: torch.as_tensor(v) for k, v in init.items()})
    acc0 = (module(torch.as_tensor(X_test)).argmax(1).numpy() == y_test).mean()
    assert two.accuracy[0] == pytest.approx(acc0)
    assert histories["one"].accuracy[0] == pytest.approx(acc0)
    # every client trained in every round, on its own rows
    assert len(two.client_metrics) == 2
    for per_client in two.client_metrics:
        assert sorted(m["num-examples"] for m in per_client) == sorted(
            len(y) for _, y in clients
        )
    count = count_rounds(two.accuracy, target=two.accuracy.max())
    assert count.total == int(np.argmax(two.accuracy))
    t = histories["_timings"]
    assert len(t["round_s"]) == 2 and t["total_s"] >= sum(t["round_s"])


def test_run_fedavg_rejects_jobs_that_do_not_fit_one_simulation(federation):
    clients, init, X_test, y_test = federation
    a = FedAvgJob("a", clients, init, X_test, y_test)
    with pytest.raises(ValueError, match="distinct"):
        run_fedavg([a, a])
    b = FedAvgJob("b", clients[:2], init, X_test, y_test)
    with pytest.raises(ValueError, match="same number of clients"):
        run_fedavg([a, b])
    with pytest.raises(ValueError, match="at least one FedAvgJob"):
        run_fedavg([])
