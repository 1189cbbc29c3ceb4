"""The demo federation: breast cancer split across three sites.

Rows ``i`` with ``i % 5 == 4`` are held out (every site scores on them); the
rest go to site ``i % 3`` (after the hold-out) with a Gaussian naive Bayes,
a depth-3 tree and a scaled logistic regression. :func:`demo_site` is a site
function for :func:`~skcoop.flower.cooperative.make_client_app`;
:func:`demo_ensemble` is the in-process ensemble the Flower run must equal.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from ..._cooperative import CooperativeDistillationEnsemble
from .task import Site

__all__ = ["demo_data", "demo_ensemble", "demo_members", "demo_site"]

N_SITES = 3


def demo_members():
    """The three ``(name, estimator)`` members, in the sites' order."""
    return [
        ("nb", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
    ]


def demo_data(n_rows=None):
    """``X, y, site, X_test, y_test`` of the demo (``n_rows``: first rows only)."""
    X, y = load_breast_cancer(return_X_y=True)
    if n_rows is not None:
        X, y = X[:n_rows], y[:n_rows]
    test = np.arange(len(y)) % 5 == 4
    X_train, y_train = X[~test], y[~test]
    site = np.arange(len(y_train)) % N_SITES
    return X_train, y_train, site, X[test], y[test]


def demo_site(node_config):
    """The :class:`Site` of the SuperNode whose ``partition-id`` is given.

    ``node_config`` may also hold ``n-rows`` (use the first rows only).

    Examples
    --------
    >>> from skcoop.flower.cooperative import demo_site
    >>> site = demo_site({"partition-id": 1})
    >>> site.name, site.X.shape
    ('tree', (152, 30))
    """
    pid = int(node_config["partition-id"])
    n_rows = node_config.get("n-rows")
    X, y, site, X_test, y_test = demo_data(None if not n_rows else int(n_rows))
    name, estimator = demo_members()[pid]
    own = site == pid
    return Site(name, estimator, X[own], y[own], X_test, y_test)


def demo_ensemble(random_state=0, n_rounds=1, n_rows=None):
    """The in-process ensemble fitted on the demo's sites, and ``(X_test, y_test)``.

    Examples
    --------
    >>> from skcoop.flower.cooperative import demo_ensemble
    >>> ens, (X_test, y_test) = demo_ensemble()
    >>> sorted(ens.named_estimators_)
    ['logreg', 'nb', 'tree']
    """
    X, y, site, X_test, y_test = demo_data(n_rows)
    ens = CooperativeDistillationEnsemble(
        demo_members(), n_rounds=n_rounds, random_state=random_state
    ).fit(X, y, site=site)
    return ens, (X_test, y_test)
