"""Memory of the cooperative fit: a teacher searches a large query in blocks.

The search's working memory grows with the rows of one ``generate`` call
(candidates and their outputs); a teacher with more rows to teach than
``_teach.SEARCH_BLOCK`` searches them in blocks, which gives exactly the
rows of one call and a lower peak.
"""

import tracemalloc

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

import skcoop._teach as teach_module
from skcoop import CooperativeDistillationEnsemble


def _fit(X, y, site):
    return CooperativeDistillationEnsemble(
        [
            ("lr", LogisticRegression()),
            ("tree", DecisionTreeClassifier(max_depth=4, random_state=0)),
            ("rf", RandomForestClassifier(10, random_state=0)),
        ],
        random_state=0,
    ).fit(X, y, site=site)


def test_blocks_give_the_rows_of_one_call(monkeypatch):
    X, y = make_classification(1500, 6, n_informative=4, n_classes=3, random_state=0)
    site = np.arange(len(y)) % 3
    whole = _fit(X, y, site)
    monkeypatch.setattr(teach_module, "SEARCH_BLOCK", 37)
    blocked = _fit(X, y, site)
    for name, rows in whole.virtual_instances_.items():
        assert len(rows["y"]) > 37  # searched in several blocks
        np.testing.assert_array_equal(blocked.virtual_instances_[name]["X"], rows["X"])
        np.testing.assert_array_equal(blocked.virtual_instances_[name]["y"], rows["y"])
    for key in ("qualifying", "found", "guarded", "dropped"):
        np.testing.assert_array_equal(
            blocked.transfer_report_[key], whole.transfer_report_[key]
        )


def _search_peak(monkeypatch, block, X, y, site):
    monkeypatch.setattr(teach_module, "SEARCH_BLOCK", block)
    search = teach_module._search
    peaks = []

    def traced(*args, **kwargs):
        tracemalloc.start()
        try:
            return search(*args, **kwargs)
        finally:
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()

    monkeypatch.setattr(teach_module, "_search", traced)
    CooperativeDistillationEnsemble(
        [("lr", LogisticRegression()), ("lr2", LogisticRegression(C=0.01))],
        counterfactual="blackbox",
        random_state=0,
    ).fit(X, y, site=site)
    return max(peaks)


def test_blocks_lower_the_search_peak(monkeypatch):
    X, y = make_classification(8000, 10, n_informative=6, random_state=1)
    site = np.arange(len(y)) % 2
    whole = _search_peak(monkeypatch, 1 << 20, X, y, site)
    blocked = _search_peak(monkeypatch, 500, X, y, site)
    assert blocked < 0.6 * whole, (blocked, whole)


@pytest.mark.parametrize("n", [1, 3])
def test_join_results_of_one_and_several_blocks(n):
    from skcoop.counterfactual import CounterfactualResult

    blocks = [
        CounterfactualResult(
            X=np.full((2, 3), i, float),
            success=np.array([True, False]),
            target_class=None,
            n_model_calls=2,
            model_time=0.5,
        )
        for i in range(n)
    ]
    joined = teach_module.join_results(blocks)
    assert joined.X.shape == (2 * n, 3) and len(joined) == 2 * n
    assert joined.n_model_calls == 2 * n and joined.model_time == 0.5 * n
    assert joined.target_class is None
