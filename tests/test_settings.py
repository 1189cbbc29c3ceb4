"""The settings of cooperative distillation are written once (``_settings.py``).

The estimators keep scikit-learn's explicit ``__init__``; these tests fail
when one of them, :class:`~skcoop.CounterfactualDistiller` or
:func:`skcoop.silo.teach`/:func:`skcoop.silo.learn` drifts from the
definition: a default, a constraint, or a documented default.
"""

import inspect
import re

import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skcoop import (
    CooperativeDistillationEnsemble,
    CooperativeDistillationRegressor,
    CounterfactualDistiller,
)
from skcoop._settings import (
    BY_NAME,
    LEARN,
    REGRESSION,
    SETTINGS,
    STRATEGY,
    TEACH,
    Settings,
    changed,
)

TAKERS = {
    "CooperativeDistillationEnsemble": (
        CooperativeDistillationEnsemble,
        STRATEGY + ("fill",),
    ),
    "CooperativeDistillationRegressor": (
        CooperativeDistillationRegressor,
        STRATEGY + ("fill",) + REGRESSION,
    ),
    "CounterfactualDistiller": (CounterfactualDistiller, STRATEGY),
}


def _silo():
    pytest.importorskip("pyarrow")
    from skcoop import silo

    return silo


def _documented_default(value):
    """A default as numpydoc writes it: strings in double quotes."""
    return f'"{value}"' if isinstance(value, str) else repr(value)


def _assert_documents(doc, name, default):
    pattern = rf"^\s*{re.escape(name)} : [^\n]*default={re.escape(default)}\s*$"
    assert re.search(pattern, doc, flags=re.M), f"{name}: default={default}"


def _assert_takes(cls, names):
    params = inspect.signature(cls.__init__).parameters
    for name in names:
        setting = BY_NAME[name]
        assert params[name].default == setting.default, name
        assert cls._parameter_constraints[name] == list(setting.constraints), name
        _assert_documents(cls.__doc__, name, _documented_default(setting.default))


@pytest.mark.parametrize("taker", sorted(TAKERS))
def test_estimators_take_the_definition(taker):
    _assert_takes(*TAKERS[taker])


@pytest.mark.parametrize("step, names", [("teach", TEACH), ("learn", LEARN)])
def test_silo_steps_take_the_definition(step, names):
    func = getattr(_silo(), step)
    params = inspect.signature(func).parameters
    for name in names:
        setting = BY_NAME[name]
        assert params[name].default == setting.default, name
        assert func._skl_parameter_constraints[name] == list(setting.constraints)
        assert name in func.__doc__


def test_a_drifted_init_is_caught():
    """Another default, constraint or documented default fails the check."""

    class Drifted(CounterfactualDistiller):
        def __init__(self, *, alpha=0.4):
            self.alpha = alpha

    with pytest.raises(AssertionError, match="alpha"):
        _assert_takes(Drifted, ("alpha",))

    class Restated(CounterfactualDistiller):
        _parameter_constraints = {
            **CounterfactualDistiller._parameter_constraints,
            "oof_folds": [int],
        }

    with pytest.raises(AssertionError, match="oof_folds"):
        _assert_takes(Restated, ("oof_folds",))

    class Undocumented(CounterfactualDistiller):
        """Parameters\n    ----------\n    scope : str, default="deficiency"\n"""

    with pytest.raises(AssertionError, match="scope"):
        _assert_takes(Undocumented, ("scope",))


def test_settings_record_defaults_come_from_the_definition():
    made = Settings()
    for name in Settings.__dataclass_fields__:
        assert getattr(made, name) == BY_NAME[name].default


def test_each_setting_is_one_small_record():
    names = [s.name for s in SETTINGS]
    assert len(names) == len(set(names))
    for s in SETTINGS:
        assert s.doc and "\n" not in s.doc and len(s.doc) < 120, s.name
        assert s.check(s.default) is s.default  # the default is valid
    with pytest.raises(InvalidParameterError, match="'oof_folds'.*Got 1"):
        BY_NAME["oof_folds"].check(1)


def test_changed_names_the_settings_off_their_defaults():
    assert changed({"alpha": 0.5, "scope": "deficiency"}) == ["scope"]


def test_teach_rejects_what_the_definition_rejects():
    import numpy as np
    from sklearn.naive_bayes import GaussianNB

    silo = _silo()
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    model = GaussianNB().fit(X, y)
    with pytest.raises(InvalidParameterError, match="'oof_folds'"):
        silo.teach(model, X, y, {"b": model}, name="a", oof_folds=1)
    with pytest.raises(InvalidParameterError, match="'tolerance'"):
        silo.teach(model, X, y, {"b": model}, name="a", tolerance=0.0)
