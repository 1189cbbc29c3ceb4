"""The public-set demo: breast cancer with a public split, across three sites.

As the cooperative demo (:mod:`skcoop.flower.cooperative.demo`: rows
``i % 5 == 4`` held out; Gaussian naive Bayes, a depth-3 tree, a scaled
logistic regression), but rows ``i % 5 == 3`` are the public rows (labels
dropped), held out from every site; the rest go to site ``i % 3``.
:func:`demo_ensemble` is the in-process ensemble a Flower run must equal.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.datasets import load_breast_cancer

from ..._cooperative import CooperativeDistillationEnsemble
from ..cooperative.demo import N_SITES, demo_members
from ..cooperative.task import Site
from .task import make_distiller

__all__ = ["demo_data", "demo_ensemble", "demo_public", "demo_site"]


def demo_data():
    """``X, y, site, X_public, X_test, y_test`` of the public-set demo."""
    X, y = load_breast_cancer(return_X_y=True)
    fold = np.arange(len(y)) % 5
    own = fold < 3
    site = np.arange(int(own.sum())) % N_SITES
    return X[own], y[own], site, X[fold == 3], X[fold == 4], y[fold == 4]


def demo_site(node_config):
    """The :class:`~skcoop.flower.cooperative.Site` of ``partition-id``.

    Examples
    --------
    >>> from skcoop.flower.public import demo_site
    >>> site = demo_site({"partition-id": 1})
    >>> site.name, site.X.shape
    ('tree', (114, 30))
    """
    pid = int(node_config["partition-id"])
    X, y, site, _, X_test, y_test = demo_data()
    name, estimator = demo_members()[pid]
    return Site(name, estimator, X[site == pid], y[site == pid], X_test, y_test)


def demo_public(node_config=None):
    """The demo's public rows (every site holds them; no label)."""
    return demo_data()[3]


def demo_ensemble(config=None, *, random_state=0, n_rounds=1):
    """The in-process ensemble with the strategy ``config`` names, and the test rows.

    ``config`` holds the run config's strategy keys
    (:func:`~skcoop.flower.public.task.make_distiller`; default FedMD).

    Examples
    --------
    >>> from skcoop.flower.public import demo_ensemble
    >>> ens, (X_test, y_test) = demo_ensemble({"method": "feddf"})
    >>> type(ens.distiller).__name__, sorted(ens.named_estimators_)
    ('FedDFDistiller', ['logreg', 'nb', 'tree'])
    """
    X, y, site, X_public, X_test, y_test = demo_data()
    ens = CooperativeDistillationEnsemble(
        demo_members(),
        distiller=make_distiller(config or {}, X_public),
        n_rounds=n_rounds,
        random_state=random_state,
    ).fit(X, y, site=site)
    return ens, (X_test, y_test)
