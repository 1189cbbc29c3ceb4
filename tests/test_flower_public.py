"""Public-set distillation (FedMD, FedDF) as a Flower app (issue 29).

Three sites of the breast cancer demo (Gaussian naive Bayes, a depth-3
tree, a scaled logistic regression; a public split held out from every
site) run public-set rounds through the Message API: only scores on the
public rows and their consensus travel, and the sites' students equal the
in-process ``CooperativeDistillationEnsemble(distiller=FedMDDistiller(...))``
(or ``FedDFDistiller``) for the same seed.
"""

import numpy as np
import pytest

pytest.importorskip("flwr")
pytest.importorskip("skops")

from test_flower_cooperative import LocalGrid, task_identity  # noqa: E402, F401

from skcoop.flower.public import (  # noqa: E402
    aggregate,
    demo_ensemble,
    demo_public,
    demo_site,
    make_client_app,
    make_distiller,
    run_public,
)
from skcoop.flower.public.server_app import run_rounds  # noqa: E402
from skcoop.silo import PublicScores, public_consensus, public_scores  # noqa: E402

N_ROUNDS = 2


class PublicGrid(LocalGrid):
    """The Message API in one process, around the public-set ClientApp."""

    def __init__(self, site_fn, n_sites, silent=None, public_fn=None):
        super().__init__(site_fn, n_sites, silent)
        self.app = (
            make_client_app(site_fn)
            if public_fn is None
            else make_client_app(site_fn, public_fn)
        )


def _assert_equal(models, ens, X_test):
    assert set(models) == set(ens.named_estimators_)
    for name, member in ens.named_estimators_.items():
        np.testing.assert_allclose(
            models[name].predict_proba(X_test),
            member.predict_proba(X_test),
            atol=1e-8,
        )


@pytest.mark.parametrize("method", ["fedmd", "feddf"])
def test_server_aggregation_is_the_silo_consensus(method):
    rng = np.random.default_rng(0)
    classes = np.array([0, 1, 2])
    raw = rng.dirichlet(np.ones(3), size=(3, 7))
    distiller = make_distiller({"method": method, "temperature": 2.0})
    got = aggregate({f"s{k}": (raw[k], "d") for k in range(3)}, classes, distiller)
    want = public_consensus(
        [PublicScores(f"s{k}", raw[k], classes, "d") for k in range(3)],
        distiller=distiller,
    )
    np.testing.assert_allclose(got, want, rtol=0, atol=0)
    assert got.shape == (7, 3)
    if method == "fedmd":  # the mean of the tempered scores
        np.testing.assert_allclose(got.sum(axis=1), 1.0)
    with pytest.raises(ValueError, match="other public rows"):
        aggregate({"a": (raw[0], "d"), "b": (raw[1], "e")}, classes, distiller)


def test_sites_send_only_the_scores_of_the_silo(task_identity):  # noqa: F811
    grid = PublicGrid(demo_site, 3)
    history = run_rounds(grid, {"num-rounds": 1, "return-models": False})
    assert history.models == {}  # no model travels unless asked for
    entries = [e for e in history.table if e["round"] == 1]
    n_public = len(demo_public())
    for e in entries:  # scores out, consensus in: one float per row and class
        assert e["bytes_sent"] == e["bytes_received"] == n_public * 2 * 8
        assert e["rows_sent"] == e["rows_received"] == 0
        assert 0.8 < e["score"] <= 1


@pytest.mark.parametrize(
    "config",
    [{"method": "fedmd"}, {"method": "feddf", "temperature": 2.0}],
    ids=["fedmd", "feddf"],
)
def test_the_protocol_in_one_process_equals_the_in_process_ensemble(
    task_identity,  # noqa: F811
    config,
):
    settings = {"num-rounds": N_ROUNDS, "return-models": True, **config}
    history = run_rounds(PublicGrid(demo_site, 3), settings)
    assert history.names == ["nb", "tree", "logreg"]
    ens, (X_test, _) = demo_ensemble(config, random_state=0, n_rounds=N_ROUNDS)
    _assert_equal(history.final_models(), ens, X_test)
    # and the sites' first scores are those of the silo's scores files
    site = demo_site({"partition-id": 0})
    model = site.estimator.fit(site.X, site.y)
    distiller = make_distiller(config, demo_public())
    assert public_scores(
        model, demo_public(), name="nb", distiller=distiller, classes=[0, 1]
    ).scores.shape == (len(demo_public()), 2)


def other_public(node_config, run_config=None):
    X = demo_public()
    return X + 1.0 if int(node_config["partition-id"]) == 1 else X


def test_a_site_with_other_public_rows_is_left_out(task_identity):  # noqa: F811
    grid = PublicGrid(demo_site, 3, public_fn=other_public)
    history = run_rounds(grid, {"num-rounds": 1})
    assert history.names == ["nb", "logreg"]
    assert "other public rows" in history.rounds[0]["errors"]["public tree"]


def test_a_silent_site_does_not_block_the_round(task_identity):  # noqa: F811
    grid = PublicGrid(demo_site, 3, silent={101: {"train.scores", "train.learn"}})
    history = run_rounds(grid, {"num-rounds": 1, "timeout": 0.1})
    assert history.rounds[1]["missing"] == {"scores": ["tree"], "learn": ["tree"]}
    entries = {e["site"]: e for e in history.table if e["round"] == 1}
    assert np.isnan(entries["tree"]["score"])
    assert all(0.8 < entries[n]["score"] <= 1 for n in ("nb", "logreg"))


def test_bad_settings_are_refused(task_identity):  # noqa: F811
    with pytest.raises(ValueError, match="Unknown settings"):
        run_rounds(PublicGrid(demo_site, 3), {"rounds": 1})
    with pytest.raises(ValueError, match="method must be one of"):
        run_rounds(PublicGrid(demo_site, 3), {"method": "fedavg"})
    with pytest.raises(ValueError, match="Unknown strategy_params"):
        run_public(demo_site, 3, strategy_params={"alpha": 1})


@pytest.mark.slow
@pytest.mark.parametrize("method", ["fedmd", "feddf"])
def test_the_flower_simulation_equals_the_in_process_ensemble(method):
    history = run_public(
        demo_site, 3, n_rounds=N_ROUNDS, method=method, temperature=2.0, timeout=300
    )
    assert history.names == ["nb", "tree", "logreg"]
    assert all(not history.missing(r) for r in range(N_ROUNDS + 1))
    config = {"method": method, "temperature": 2.0}
    ens, (X_test, _) = demo_ensemble(config, random_state=0, n_rounds=N_ROUNDS)
    _assert_equal(history.final_models(), ens, X_test)


def _diabetes():
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    public = np.arange(len(y)) % 4 == 0
    Xs, ys = X[~public], y[~public]
    return Xs, ys, (Xs[:, 0] > 0).astype(int), X[public]


def _regressors():
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeRegressor

    return [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3))]


def regression_site(node_config):
    from skcoop.flower.cooperative import Site

    k = int(node_config["partition-id"])
    X, y, site, _ = _diabetes()
    name, estimator = _regressors()[k]
    return Site(name, estimator, X[site == k], y[site == k])


def regression_public(node_config, run_config=None):
    return _diabetes()[3]


def test_a_regression_run_equals_the_in_process_regressor(task_identity):  # noqa: F811
    from skcoop import CooperativeDistillationRegressor
    from skcoop.distill import FedMDDistiller

    grid = PublicGrid(regression_site, 2, public_fn=regression_public)
    history = run_rounds(grid, {"num-rounds": 1, "return-models": True})
    X, y, site, X_public = _diabetes()
    reg = CooperativeDistillationRegressor(
        _regressors(), distiller=FedMDDistiller(X_public), random_state=0
    ).fit(X, y, site=site)
    models = history.final_models()
    for name, member in reg.named_estimators_.items():
        np.testing.assert_allclose(
            models[name].predict(X), member.predict(X), rtol=1e-10, atol=1e-8
        )
    # a regressor's scores are one prediction per public row
    assert history.table[-1]["bytes_sent"] == len(X_public) * 8
