"""Metadata: site and sample_weight with scikit-learn's metadata routing on and off."""

import numpy as np
import pytest
import sklearn
from _doubles import RecordingClassifier, Registry, ThresholdClassifier
from sklearn.datasets import load_iris
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, GroupKFold, LeaveOneGroupOut
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from test_cooperative import SITE_TOY, X_TOY, Y_TOY

from skcoop import CooperativeDistillationEnsemble, EmptySiteWarning


@pytest.fixture
def routing():
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def _recorded(registry, **request):
    a = RecordingClassifier(feature=0, registry=registry).set_fit_request(**request)
    b = RecordingClassifier(feature=1, registry=registry).set_fit_request(**request)
    return [("a", a), ("b", b)]


def test_routing_sample_weight_reaches_requesting_members_sliced(routing):
    registry = Registry()
    ens = CooperativeDistillationEnsemble(
        _recorded(registry, sample_weight=True),
        counterfactual="bisection",
        virtual_weight=0.5,
        scope="deficiency",
        expertise="in_sample",  # the registry records each fit: no fold fits,
        guard=None,
    )
    sw = np.arange(1.0, 10.0)
    ens.fit(X_TOY, Y_TOY, site=SITE_TOY, sample_weight=sw)
    initial_a, initial_b, refit_a, refit_b = registry
    np.testing.assert_array_equal(initial_a["sample_weight"], sw[SITE_TOY == 0])
    np.testing.assert_array_equal(initial_b["sample_weight"], sw[SITE_TOY == 1])
    # virtual rows get virtual_weight after the member's own weights
    np.testing.assert_array_equal(
        refit_b["sample_weight"], list(sw[SITE_TOY == 1]) + [0.5, 0.5]
    )
    assert refit_a["n"] == 5 + 2


def test_routing_member_that_does_not_request_gets_no_weight(routing):
    registry = Registry()
    members = _recorded(registry, sample_weight=False)
    ens = CooperativeDistillationEnsemble(
        members, counterfactual="bisection", guard=None
    )
    ens.fit(X_TOY, Y_TOY, site=SITE_TOY, sample_weight=np.ones(9))
    assert all(r["sample_weight"] is None for r in registry)
    ens.set_params(virtual_weight=2.0)
    with pytest.raises(TypeError, match="does not request sample_weight"):
        ens.fit(X_TOY, Y_TOY, site=SITE_TOY, sample_weight=np.ones(9))


def test_routing_other_metadata_is_sliced_and_not_extended(routing):
    registry = Registry()
    members = _recorded(registry, metadata=True)
    md = np.arange(9)
    CooperativeDistillationEnsemble(members, n_rounds=0, guard=None).fit(
        X_TOY, Y_TOY, site=SITE_TOY, metadata=md
    )
    np.testing.assert_array_equal(registry[0]["metadata"], md[SITE_TOY == 0])
    with pytest.raises(ValueError, match="per-row fit metadata 'metadata'"):
        CooperativeDistillationEnsemble(
            members, counterfactual="bisection", guard=None
        ).fit(X_TOY, Y_TOY, site=SITE_TOY, metadata=md)


def test_routing_unrequested_metadata_raises(routing):
    members = [("a", ThresholdClassifier()), ("b", ThresholdClassifier(feature=1))]
    with pytest.raises(UnsetMetadataPassedError):
        CooperativeDistillationEnsemble(members, guard=None).fit(
            X_TOY, Y_TOY, site=SITE_TOY, sample_weight=np.ones(9)
        )


def test_no_routing_rejects_extra_fit_params():
    with pytest.raises(ValueError, match="metadata"):
        CooperativeDistillationEnsemble(
            [("a", ThresholdClassifier()), ("b", ThresholdClassifier(feature=1))],
            guard=None,
        ).fit(X_TOY, Y_TOY, site=SITE_TOY, metadata=np.arange(9))


def _iris_ensemble():
    return CooperativeDistillationEnsemble(
        [
            ("lr", make_pipeline(StandardScaler(), LogisticRegression())),
            ("nb", GaussianNB()),
            ("nb2", GaussianNB(var_smoothing=1e-3)),
        ],
        random_state=0,
        guard=None,
    )


@pytest.mark.parametrize("cv", [GroupKFold(n_splits=3), LeaveOneGroupOut()])
def test_routing_grid_search_pipeline_group_splits(routing, cv):
    X, y = load_iris(return_X_y=True)
    site = np.arange(len(y)) % 3
    pipe = make_pipeline(StandardScaler(), _iris_ensemble().set_fit_request(site=True))
    grid = GridSearchCV(
        pipe, {"cooperativedistillationensemble__alpha": [0.3, 0.7]}, cv=cv
    )
    with pytest.warns(EmptySiteWarning):  # each fold lacks one site's rows
        grid.fit(X, y, site=site, groups=site)
    assert grid.best_score_ > 0.85
    ens = grid.best_estimator_[-1]
    assert sum(ens.n_rows_.values()) == len(y)


def test_routing_site_must_be_requested_inside_a_pipeline(routing):
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(StandardScaler(), _iris_ensemble())
    with pytest.raises(UnsetMetadataPassedError, match="site"):
        pipe.fit(X, y, site=np.arange(len(y)) % 3)


def test_no_routing_grid_search_slices_site_with_groups():
    X, y = load_iris(return_X_y=True)
    site = np.arange(len(y)) % 3
    grid = GridSearchCV(_iris_ensemble(), {"alpha": [0.3, 0.7]}, cv=GroupKFold(3))
    with pytest.warns(EmptySiteWarning):
        grid.fit(X, y, site=site, groups=site)
    assert grid.best_score_ > 0.85


# ------------------------------------------- sample_weight in Pipeline members
def test_weight_kwargs_reaches_every_step_that_takes_weights():
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import PolynomialFeatures

    from skcoop.utils import weight_kwargs

    w = np.ones(3)
    pipe = make_pipeline(StandardScaler(), PolynomialFeatures(), LogisticRegression())
    assert sorted(weight_kwargs(pipe, w)) == [
        "logisticregression__sample_weight",
        "standardscaler__sample_weight",
    ]
    nested = Pipeline(
        [("outer", Pipeline([("scale", StandardScaler()), ("nb", GaussianNB())]))]
    )
    assert sorted(weight_kwargs(nested, w)) == [
        "outer__nb__sample_weight",
        "outer__scale__sample_weight",
    ]
    skipped = Pipeline([("scale", "passthrough"), ("nb", GaussianNB())])
    assert list(weight_kwargs(skipped, w)) == ["nb__sample_weight"]
    # the final learner takes none: weights cannot mean repetition
    assert (
        weight_kwargs(make_pipeline(StandardScaler(), KNeighborsClassifier()), w)
        is None
    )
    assert weight_kwargs(GaussianNB(), w) == {"sample_weight": w}


def _pipeline_ensemble(**params):
    return CooperativeDistillationEnsemble(
        [
            ("lr", make_pipeline(StandardScaler(), LogisticRegression())),
            ("nb", GaussianNB()),
        ],
        random_state=0,
        **params,
        guard=None,
    )


def _weighted_iris():
    X, y = load_iris(return_X_y=True)
    rows = np.arange(0, 150, 3)
    X, y = X[rows], y[rows]
    w = np.random.RandomState(0).randint(0, 4, size=len(y))
    w[:2] = 1  # every class keeps rows at each site
    return X, y, np.arange(len(y)) % 2, w


def test_pipeline_member_weights_mean_repetition():
    X, y, site, w = _weighted_iris()
    weighted = _pipeline_ensemble().fit(X, y, site=site, sample_weight=w)
    repeated = _pipeline_ensemble().fit(
        np.repeat(X, w, axis=0), np.repeat(y, w), site=np.repeat(site, w)
    )
    scaler = weighted.named_initial_estimators_["lr"][0]
    own = site == 0
    np.testing.assert_allclose(scaler.mean_, np.average(X[own], axis=0, weights=w[own]))
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), atol=1e-8
    )


def test_routing_pipeline_member_steps_take_weights_as_requested(routing):
    X, y, site, w = _weighted_iris()
    own = site == 0

    def member(scaler_request):
        return make_pipeline(
            StandardScaler().set_fit_request(sample_weight=scaler_request),
            LogisticRegression().set_fit_request(sample_weight=True),
        )

    for request, weights in [(True, w[own]), (False, None)]:
        ens = CooperativeDistillationEnsemble(
            [
                ("lr", member(request)),
                ("nb", GaussianNB().set_fit_request(sample_weight=True)),
            ],
            random_state=0,
        ).fit(X, y, site=site, sample_weight=w)  # out-of-fold judge included
        scaler = ens.named_initial_estimators_["lr"][0]
        np.testing.assert_allclose(
            scaler.mean_, np.average(X[own], axis=0, weights=weights)
        )


def test_routing_column_transformer_member_weights_mean_repetition(routing):
    """Inside a ColumnTransformer only routing reaches a scaler (scikit-learn)."""
    import pandas as pd
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "a": rng.normal(size=60),
            "b": rng.normal(size=60),
            "town": pd.Categorical(rng.choice(["x", "y", "z"], 60)),
        }
    )
    y = ((frame["a"] + (frame["town"] == "x")) > 0.3).to_numpy().astype(int)
    site = np.arange(60) % 2
    w = rng.randint(0, 4, size=60)
    w[:4] = 1

    def ensemble():
        def member(C):
            columns = make_column_transformer(
                (OneHotEncoder(), ["town"]),
                remainder=StandardScaler().set_fit_request(sample_weight=True),
            )
            learner = LogisticRegression(C=C).set_fit_request(sample_weight=True)
            return make_pipeline(columns, learner)

        return CooperativeDistillationEnsemble(
            [("lr", member(1.0)), ("strong", member(0.1))],
            random_state=0,
            guard=None,
        )

    weighted = ensemble().fit(frame, y, site=site, sample_weight=w)
    rows = np.repeat(np.arange(60), w)
    repeated = ensemble().fit(
        frame.iloc[rows].reset_index(drop=True), y[rows], site=site[rows]
    )
    np.testing.assert_allclose(
        weighted.predict_proba(frame), repeated.predict_proba(frame), atol=1e-8
    )
