"""Counterfactual distillation as a strategy object beside the KD strategies.

``distiller=CounterfactualDistiller(...)`` fits exactly what the same settings
given to the ensemble fit (the behaviour pins, rebuilt with the object), is
grid-searchable as ``distiller__alpha``, and one setting has one source:
changed on the ensemble while an object is given, it raises.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from skcoop import (
    CooperativeDistillationEnsemble,
    CooperativeDistillationRegressor,
    CounterfactualDistiller,
)
from skcoop.distill import SoftTargetDistiller

sys.path.insert(0, str(Path(__file__).parent))
import test_pinned_behaviour as pinned  # noqa: E402

SETTINGS = sorted(CounterfactualDistiller().get_params())


def _members():
    return [
        ("tree", DecisionTreeClassifier(max_depth=2, random_state=0)),
        ("nb", GaussianNB()),
    ]


def _data():
    X, y = load_iris(return_X_y=True)
    return X, y, np.arange(len(y)) % 2


def _with_object(cls):
    """``cls`` with its counterfactual settings moved into the object."""

    def make(estimators, **kwargs):
        moved = {k: kwargs.pop(k) for k in SETTINGS if k in kwargs}
        kwargs["distiller"] = CounterfactualDistiller(**moved)
        return cls(estimators, **kwargs)

    return make


@pytest.mark.parametrize("kind", sorted(pinned.FITS))
def test_pins_hold_with_the_strategy_object(kind, monkeypatch):
    # the pins rebuilt with distiller=CounterfactualDistiller(...)
    for cls in (CooperativeDistillationEnsemble, CooperativeDistillationRegressor):
        monkeypatch.setattr(pinned, cls.__name__, _with_object(cls))
    pinned.test_pinned_fit(kind)


def test_object_fits_as_the_ensembles_settings():
    X, y, site = _data()
    plain = CooperativeDistillationEnsemble(
        _members(), alpha=0.3, acceptance=0.25, random_state=0
    ).fit(X, y, site=site)
    strategy = CounterfactualDistiller(alpha=0.3, acceptance=0.25)
    held = CooperativeDistillationEnsemble(
        _members(), distiller=strategy, random_state=0
    ).fit(X, y, site=site)
    for name in ("tree", "nb"):
        np.testing.assert_array_equal(
            plain.virtual_instances_[name].X, held.virtual_instances_[name].X
        )
    for key, value in plain.acceptance_.items():
        np.testing.assert_array_equal(held.acceptance_[key], value)
    np.testing.assert_array_equal(plain.predict_proba(X), held.predict_proba(X))
    assert strategy.get_params() == clone(strategy).get_params()  # left as given
    assert len(held.transfer_report_["found"]) > 0


def test_grid_search_over_distiller_alpha():
    X, y, site = _data()
    ens = CooperativeDistillationEnsemble(
        _members(), distiller=CounterfactualDistiller(), random_state=0
    )
    assert ens.get_params()["distiller__alpha"] == 0.5
    grid = GridSearchCV(
        ens,
        [
            {"distiller__alpha": [0.1, 0.9]},
            {"distiller": [SoftTargetDistiller()], "distiller__temperature": [2.0]},
        ],
        cv=3,
    ).fit(X, y, site=site)
    alphas = [p.get("distiller__alpha") for p in grid.cv_results_["params"]]
    assert alphas == [0.1, 0.9, None]
    # each candidate's alpha reached its fit: as the ensemble's own alpha would
    for alpha in (0.1, 0.9):
        searched = clone(ens).set_params(distiller__alpha=alpha).fit(X, y, site=site)
        direct = CooperativeDistillationEnsemble(
            _members(), alpha=alpha, random_state=0
        ).fit(X, y, site=site)
        np.testing.assert_array_equal(
            searched.virtual_instances_["tree"].X, direct.virtual_instances_["tree"].X
        )
    a, b = (
        clone(ens).set_params(distiller__alpha=alpha).fit(X, y, site=site)
        for alpha in (0.1, 0.9)
    )
    assert not np.array_equal(
        a.virtual_instances_["tree"].X, b.virtual_instances_["tree"].X
    )


@pytest.mark.parametrize(
    "param, value", [("alpha", 0.3), ("scope", "deficiency"), ("acceptance", 0.2)]
)
def test_a_setting_on_the_ensemble_and_an_object_raises(param, value):
    X, y, site = _data()
    ens = CooperativeDistillationEnsemble(
        _members(), distiller=CounterfactualDistiller(), **{param: value}
    )
    with pytest.raises(
        ValueError, match=rf"{param}=.*set on the ensemble, but distiller=Counterf"
    ):
        ens.fit(X, y, site=site)


def test_regressor_takes_the_object_and_refuses_its_bisection():
    X, y = load_diabetes(return_X_y=True)
    X, y, site = X[:120], y[:120], np.arange(120) % 2
    members = [
        ("ridge", Ridge()),
        ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
    ]
    reg = CooperativeDistillationRegressor(
        members, distiller=CounterfactualDistiller(alpha=0.3), random_state=0
    )
    assert reg.get_params()["distiller__alpha"] == 0.3
    held = reg.fit(X, y, site=site)
    plain = CooperativeDistillationRegressor(members, alpha=0.3, random_state=0)
    plain = plain.fit(X, y, site=site)
    np.testing.assert_array_equal(held.predict(X), plain.predict(X))
    reg.set_params(distiller__counterfactual="bisection")
    with pytest.raises(ValueError, match="classification only"):
        reg.fit(X, y, site=site)


def test_the_objects_settings_are_validated():
    X, y, site = _data()
    ens = CooperativeDistillationEnsemble(
        _members(), distiller=CounterfactualDistiller(alpha=2.0)
    )
    with pytest.raises(InvalidParameterError, match="'alpha' parameter of Counter"):
        ens.fit(X, y, site=site)


def test_an_object_without_distill_or_the_strategy_is_refused():
    X, y, site = _data()

    class Rounds:
        def rounds(self):
            pass

    with pytest.raises(InvalidParameterError, match="'distiller' parameter"):
        CooperativeDistillationEnsemble(_members(), distiller=Rounds()).fit(
            X, y, site=site
        )


@parametrize_with_checks(
    [
        CooperativeDistillationEnsemble(
            _members(), distiller=CounterfactualDistiller(alpha=0.3), random_state=0
        )
    ]
)
def test_sklearn_compatible_with_the_strategy_object(estimator, check):
    check(estimator)
