"""The engine's structure: abstract base, search objects, shared docs, imports."""

import ast
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

import skcoop.counterfactual as cf
from skcoop import CooperativeDistillationEnsemble
from skcoop.counterfactual import (
    BaseCounterfactualSearch,
    BisectionSearch,
    BlackBoxSearch,
    GradientSearch,
    make_search,
)
from skcoop.utils import Substitution

ENGINE = Path(cf.__file__).parent
BACKENDS = {"_blackbox", "_torch", "_bisection"}


class DuckSearch:
    """Has fit and generate, nothing else (no get_params, not a base search)."""

    def __init__(self):
        self.inner = BisectionSearch(n_iter=6)
        self.fitted = False

    def fit(self, X_ref, y_ref=None):
        self.inner.fit(X_ref, y_ref)
        self.fitted = True
        return self

    def generate(self, model, X, y, **kwargs):
        return self.inner.generate(model, X, y, **kwargs)


class RecordingSearch(BaseEstimator):
    """A search that is an estimator but not a BaseCounterfactualSearch."""

    generated = []  # rows per generate call (clones share the class list)

    def __init__(self, alpha=0.5):
        self.alpha = alpha

    def fit(self, X_ref, y_ref=None):
        self.search_ = BisectionSearch(alpha=self.alpha).fit(X_ref, y_ref)
        return self

    def generate(self, model, X, y, **kwargs):
        RecordingSearch.generated.append(len(X))
        return self.search_.generate(model, X, y, **kwargs)


# ------------------------------------------------------------- abstract base
def test_base_search_is_abstract():
    with pytest.raises(TypeError, match="abstract"):
        BaseCounterfactualSearch()


def test_a_subclass_without_search_is_abstract_too():
    class NoSearch(BaseCounterfactualSearch):
        def __init__(self, *, alpha=0.5):
            super().__init__(alpha=alpha)

    with pytest.raises(TypeError, match="_search"):
        NoSearch()


# ------------------------------------------------------------ search objects
def test_make_search_clones_any_object_with_fit_and_generate():
    X, y = load_iris(return_X_y=True)
    duck = DuckSearch()
    made = make_search(duck)
    assert isinstance(made, DuckSearch) and made is not duck
    assert made.inner is not duck.inner  # a copy, not the same search
    model = LogisticRegression(max_iter=500).fit(X, y)
    result = made.fit(X, y).generate(model, X[:5], y[:5])
    assert made.fitted and not duck.fitted
    assert result.success.all()
    with pytest.raises(TypeError, match="has no set_params"):
        make_search(duck, alpha=0.2)


def test_make_search_sets_params_on_an_estimator_search():
    made = make_search(RecordingSearch(alpha=0.3), alpha=0.1)
    assert isinstance(made, RecordingSearch) and made.alpha == 0.1


@pytest.mark.parametrize("bad", [BlackBoxSearch, "annealing", 3, object()])
def test_make_search_rejects_what_is_not_a_search(bad):
    with pytest.raises(ValueError, match="object with fit and generate"):
        make_search(bad)


def test_ensemble_takes_a_search_that_is_not_a_base_search():
    X, y = load_iris(return_X_y=True)
    RecordingSearch.generated.clear()
    ens = CooperativeDistillationEnsemble(
        [
            ("lr", LogisticRegression(max_iter=500)),
            ("tree", DecisionTreeClassifier(max_depth=2, random_state=0)),
        ],
        counterfactual=RecordingSearch(),
        random_state=0,
    ).fit(X, y, site=np.arange(len(y)) % 2)
    assert sum(RecordingSearch.generated) > 0
    assert ens.score(X, y) > 0.8


# --------------------------------------------------------------- shared docs
@pytest.mark.parametrize("search", [BisectionSearch, BlackBoxSearch, GradientSearch])
def test_shared_parameters_are_documented_once_and_substituted(search):
    doc = search.__doc__
    assert "{search_params}" not in doc
    for name in ["alpha", "min_step", "immutable", "one_hot_groups", "scale"]:
        assert f"\n    {name} : " in doc


def test_substitution_fills_fields_and_names_a_missing_one():
    @Substitution(x="x : int")
    def f():
        """{x} and {{literal}}"""

    assert f.__doc__ == "x : int and {literal}"

    def g():
        """{y}"""

    with pytest.raises(ValueError, match="field 'y'"):
        Substitution(x="x")(g)

    def h():
        pass

    assert Substitution(x="x")(h).__doc__ is None


# ------------------------------------------------------------------- imports
def _engine_imports(path):
    """Engine modules (``_name``) that the module at ``path`` imports."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_backends_never_import_each_other(backend):
    imports = _engine_imports(ENGINE / f"{backend}.py")
    assert not imports & BACKENDS, imports


def test_engine_has_no_import_cycle_and_no_long_module():
    graph = {p.stem: _engine_imports(p) for p in ENGINE.glob("_*.py")}
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in graph.get(node, ()):
            if state.get(nxt) == "open":
                raise AssertionError(f"cycle: {' -> '.join(path + [nxt])}")
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [node])
    long = {
        p.name: n
        for p in ENGINE.glob("*.py")
        if (n := len(p.read_text().splitlines())) > 620
    }
    assert not long
