"""Members in the HTML repr, ``named_estimators`` before fit, ``set_output``."""

import re

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import Bunch

from skcoop import CooperativeDistillationEnsemble, CooperativeDistillationRegressor
from skcoop.distill import SoftTargetDistiller


def _members():
    return [
        ("scaled", make_pipeline(StandardScaler(), LogisticRegression())),
        ("tree", DecisionTreeClassifier(max_depth=2, random_state=0), [0, 1]),
        ("plain", LogisticRegression()),
    ]


def _labels(html):
    return re.findall(r"<div><div>([^<]*)</div></div>", html)


def test_html_repr_has_one_parallel_block_per_member():
    ens = CooperativeDistillationEnsemble(_members(), alpha=0.3)
    html = ens._repr_html_()
    body = html[html.find("</style>") :]
    labels = _labels(body)
    assert labels[0] == "CooperativeDistillationEnsemble"
    for name in ("scaled", "tree", "plain"):
        assert name in labels
    # one parallel item per member; the strategy after them, at the top level
    assert body.count('class="sk-parallel-item"') == 3
    assert labels[-1] == "CounterfactualDistiller"
    prefixes = re.findall(r'data-param-prefix="([^"]*)"', body)
    if prefixes:  # scikit-learn >= 1.7 writes each block's parameter prefix
        assert "tree__" in prefixes and "distiller__" not in prefixes
    assert "columns: [0, 1]" in body


def test_html_repr_shows_a_strategy_object_by_its_parameter():
    ens = CooperativeDistillationEnsemble(
        _members()[::2], distiller=SoftTargetDistiller(temperature=3.0)
    )
    body = ens._repr_html_()
    body = body[body.find("</style>") :]
    assert "distiller: SoftTargetDistiller" in _labels(body)
    if "data-param-prefix" in body:  # scikit-learn >= 1.7
        assert 'data-param-prefix="distiller__"' in body


def test_html_repr_of_invalid_members_falls_back():
    html = CooperativeDistillationEnsemble("not a list")._repr_html_()
    assert "CooperativeDistillationEnsemble" in html


def test_named_estimators_before_fit():
    members = _members()
    ens = CooperativeDistillationEnsemble(members)
    named = ens.named_estimators
    assert isinstance(named, Bunch)
    assert list(named) == ["scaled", "tree", "plain"]
    assert named.tree is members[1][1]
    reg = CooperativeDistillationRegressor([("a", LogisticRegression())])
    assert list(reg.named_estimators) == ["a"]


def test_set_output_passes_through_to_members():
    pd = pytest.importorskip("pandas")
    X, y = load_iris(return_X_y=True, as_frame=True)
    site = np.arange(len(y)) % 3
    ens = CooperativeDistillationEnsemble(_members(), random_state=0)
    assert ens.set_output(transform="pandas") is ens
    ens.fit(X, y, site=site)
    scaler = ens.named_estimators_["scaled"][0]
    assert isinstance(scaler.transform(X), pd.DataFrame)
    ens.set_output(transform="default")
    assert isinstance(ens.named_estimators_["scaled"][0].transform(X), np.ndarray)
    assert ens.set_output() is ens
