"""Fitted ensembles round trip through skops with a short, documented trust list.

The list (documented in the user guide, "Saving a fitted ensemble") holds the
ensemble's own class, scikit-learn's ``Bunch`` and the types of the members
(here ``sklearn.tree._tree.Tree`` for tree members): nothing beyond numpy,
scipy, scikit-learn and skcoop.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skcoop import (
    CooperativeDistillationEnsemble,
    CooperativeDistillationRegressor,
    CounterfactualDistiller,
)
from skcoop.distill import (
    MutualLearningDistiller,
    PartitionedDistiller,
    SoftTargetDistiller,
)

sio = pytest.importorskip("skops.io")

# The documented trust list: the ensemble classes, Bunch, and the tree state.
TRUSTED = [
    "skcoop._cooperative.CooperativeDistillationEnsemble",
    "skcoop._regressor.CooperativeDistillationRegressor",
    "skcoop.distill._strategies.SoftTargetDistiller",
    "skcoop.distill._strategies.PartitionedDistiller",
    "skcoop.distill._strategies.MutualLearningDistiller",
    "skcoop._strategy.CounterfactualDistiller",
    "sklearn.utils._bunch.Bunch",
    "sklearn.tree._tree.Tree",
    "sklearn.compose._column_transformer._RemainderColsList",
]
ALLOWED_MODULES = ("numpy", "scipy", "sklearn", "skcoop")


def _data(frame, mixed=False, regression=False):
    rng = np.random.RandomState(0)
    n = 60
    X = rng.normal(size=(n, 3))
    y = X[:, 0] + 0.5 * X[:, 1] if regression else (X[:, 0] + X[:, 1] > 0).astype(int)
    if not frame:
        return X, y
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    if mixed:
        df["colour"] = pd.Categorical(
            np.array(["red", "blue", "green"])[np.arange(n) % 3]
        )
        df["town"] = np.array(["x", "y"], dtype=object)[np.arange(n) % 2]
    return df, y


def _classifier_members(mixed):
    if not mixed:
        return [
            ("lr", make_pipeline(StandardScaler(), LogisticRegression())),
            ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
            ("nb", GaussianNB()),
        ]
    enc = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["colour", "town"]),
        remainder="passthrough",
    )
    return [
        ("lr", make_pipeline(enc, LogisticRegression())),
        (
            "tree",
            make_pipeline(enc, DecisionTreeClassifier(max_depth=3, random_state=0)),
        ),
    ]


def _round_trip(est, X):
    data = sio.dumps(est)
    untrusted = sio.get_untrusted_types(data=data)
    assert all(t.split(".")[0] in ALLOWED_MODULES for t in untrusted), untrusted
    assert set(untrusted) <= set(TRUSTED), untrusted
    loaded = sio.loads(data, trusted=TRUSTED)
    assert type(loaded) is type(est)
    return loaded


def _assert_same_virtual(a, b):
    assert sorted(a.virtual_instances_) == sorted(b.virtual_instances_)
    for name, va in a.virtual_instances_.items():
        vb = b.virtual_instances_[name]
        if hasattr(va.X, "iloc"):
            pd.testing.assert_frame_equal(va.X, vb.X)
        else:
            np.testing.assert_array_equal(va.X, vb.X)
        np.testing.assert_array_equal(va.y, vb.y)
        np.testing.assert_array_equal(va.teacher, vb.teacher)


@pytest.mark.parametrize(
    "frame, mixed", [(False, False), (True, False), (True, True)], ids=str
)
def test_classifier_round_trips(frame, mixed):
    X, y = _data(frame, mixed)
    ens = CooperativeDistillationEnsemble(
        _classifier_members(mixed), random_state=0
    ).fit(X, y, site=np.arange(len(y)) % (2 if mixed else 3))
    if frame:
        assert any(hasattr(v.X, "iloc") for v in ens.virtual_instances_.values())
    loaded = _round_trip(ens, X)
    np.testing.assert_array_equal(loaded.predict_proba(X), ens.predict_proba(X))
    _assert_same_virtual(ens, loaded)
    if frame:  # the DataFrame dtypes, categories included, come back
        for name, v in loaded.virtual_instances_.items():
            assert (v.X.dtypes == ens.virtual_instances_[name].X.dtypes).all()
    # the loaded ensemble is the fitted one: fitting is not repeated
    assert loaded.transfer_report_["found"].tolist() == (
        ens.transfer_report_["found"].tolist()
    )


@pytest.mark.parametrize("frame", [False, True], ids=["array", "frame"])
def test_regressor_round_trips(frame):
    X, y = _data(frame, regression=True)
    reg = CooperativeDistillationRegressor(
        [
            ("ridge", Ridge()),
            ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
        ],
        random_state=0,
    ).fit(X, y, site=np.arange(len(y)) % 2)
    loaded = _round_trip(reg, X)
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    _assert_same_virtual(reg, loaded)
    assert dict(loaded.tolerances_) == dict(reg.tolerances_)


@pytest.mark.parametrize(
    "distiller",
    [SoftTargetDistiller(), PartitionedDistiller(), MutualLearningDistiller()],
    ids=lambda d: type(d).__name__,
)
@pytest.mark.parametrize("frame", [False, True], ids=["array", "frame"])
def test_distillers_round_trip(distiller, frame):
    X, y = _data(frame)
    members = [
        ("sgd", SGDClassifier(loss="log_loss", random_state=0)),
        ("nb", GaussianNB()),
    ]
    if not isinstance(distiller, MutualLearningDistiller):
        members[1] = ("tree", DecisionTreeClassifier(max_depth=3, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ens = CooperativeDistillationEnsemble(
            members, distiller=distiller, random_state=0
        ).fit(X, y, site=np.arange(len(y)) % 2)
    loaded = _round_trip(ens, X)
    np.testing.assert_array_equal(loaded.predict_proba(X), ens.predict_proba(X))


def test_counterfactual_distiller_round_trips():
    X, y = _data(True)
    ens = CooperativeDistillationEnsemble(
        _classifier_members(False),
        distiller=CounterfactualDistiller(alpha=0.3),
        random_state=0,
    ).fit(X, y, site=np.arange(len(y)) % 3)
    loaded = _round_trip(ens, X)
    assert loaded.get_params()["distiller__alpha"] == 0.3
    np.testing.assert_array_equal(loaded.predict_proba(X), ens.predict_proba(X))
    _assert_same_virtual(ens, loaded)


def test_pickle_keeps_frames():
    import pickle

    X, y = _data(True, mixed=True)
    ens = CooperativeDistillationEnsemble(_classifier_members(True), random_state=0)
    ens.fit(X, y, site=np.arange(len(y)) % 2)
    loaded = pickle.loads(pickle.dumps(ens))
    _assert_same_virtual(ens, loaded)
    # the fitted object itself is untouched by pickling
    assert all(
        hasattr(v.X, "iloc") or len(v.y) == 0 for v in ens.virtual_instances_.values()
    )
