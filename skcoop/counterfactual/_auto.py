"""Pick a search backend for a model."""

# SPDX-License-Identifier: BSD-3-Clause

from sklearn.base import clone

from ..utils import is_torch_model
from ._bisection import BisectionSearch
from ._blackbox import BlackBoxSearch
from ._exact import ExactSearch
from ._knn import NeighborsSearch
from ._linear_model import LinearModelSearch, is_linear_model
from ._naive_bayes import NaiveBayesSearch, is_naive_bayes
from ._torch import GradientSearch
from ._trees import TreeSearch, is_single_tree

__all__ = ["make_search"]

_BACKENDS = {
    "blackbox": BlackBoxSearch,
    "gradient": GradientSearch,
    "bisection": BisectionSearch,
    "exact": ExactSearch,
    "linear": LinearModelSearch,
    "trees": TreeSearch,
    "naive_bayes": NaiveBayesSearch,
    "neighbors": NeighborsSearch,
}


def _is_search(obj):
    """A search object: anything with ``fit`` and ``generate`` (not a class)."""
    return (
        not isinstance(obj, (str, type))
        and callable(getattr(obj, "fit", None))
        and callable(getattr(obj, "generate", None))
    )


def make_search(search="auto", model=None, **params):
    """Return an unfitted counterfactual search for ``model``.

    Parameters
    ----------
    search : {"auto", "blackbox", "gradient", "linear", "trees", \
"naive_bayes", "neighbors", "bisection", "exact"} or search object, \
default="auto"
        ``"auto"`` picks by model family:

        - a torch module or a skorch net: :class:`GradientSearch`;
        - a scikit-learn linear model (``LogisticRegression``,
          ``SGDClassifier``, ``LinearRegression``, ``Ridge``, ...), alone or
          after scalers in a ``Pipeline``: :class:`LinearModelSearch`
          (closed form, one evaluation per row for binary classifiers and
          regressors; it hands multi-class models, and rows it cannot
          serve, to the black-box search);
        - a decision tree (``DecisionTreeClassifier``,
          ``DecisionTreeRegressor``), alone or after scalers:
          :class:`TreeSearch` (the cheapest leaf that meets the target, one
          evaluation per row);
        - ``GaussianNB``, alone or after scalers: :class:`NaiveBayesSearch`
          (the cheapest move to the target log-odds from the fitted
          parameters, one evaluation per row);
        - anything else: :class:`BlackBoxSearch` (a ``Pipeline`` ending in
          a skorch net included: its preprocessing is not differentiable;
          forests and boosting included: :class:`TreeSearch`, ``"trees"``,
          is offered for them but not picked: it takes 2 evaluations per
          row, but more CPU time per row than the black-box search; kNN
          included: :class:`NeighborsSearch`, ``"neighbors"``, takes 1.8-3.4
          times fewer evaluations but its rows are 1.07-1.45 times farther).

        ``"exact"`` gives :class:`ExactSearch` (linear models and tree
        ensembles, never picked by ``"auto"``). A
        search object (any object with ``fit`` and
        ``generate``, such as a :class:`BaseCounterfactualSearch`) is cloned:
        with :func:`sklearn.base.clone` when it has ``get_params``, else
        copied.
    model : estimator, default=None
        The model the search will explain; needed for ``"auto"``.
    **params
        Parameters set on the search (for example ``alpha``, ``immutable``);
        a search object without ``set_params`` takes none.

    Returns
    -------
    search : object
        An unfitted clone: ``make_search(...).fit(X_ref, y_ref).generate(model,
        X, y)``.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skcoop.counterfactual import make_search
    >>> from sklearn.linear_model import LogisticRegression
    >>> make_search("auto", RandomForestClassifier(), alpha=0.3)
    BlackBoxSearch(alpha=0.3)
    >>> make_search("auto", LogisticRegression())
    LinearModelSearch()
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> make_search("auto", DecisionTreeClassifier())
    TreeSearch()
    >>> from sklearn.naive_bayes import GaussianNB
    >>> make_search("auto", GaussianNB())
    NaiveBayesSearch()
    >>> make_search("neighbors")
    NeighborsSearch()
    >>> make_search("trees", alpha=0.3)
    TreeSearch(alpha=0.3)
    """
    if _is_search(search):
        search = clone(search, safe=False)
        if params:
            if not hasattr(search, "set_params"):
                raise TypeError(
                    f"{type(search).__name__} has no set_params, so make_search "
                    f"cannot set {sorted(params)} on it. Set them on the object "
                    "before passing it, or give it get_params/set_params."
                )
            search.set_params(**params)
        return search
    if isinstance(search, str) and search == "auto":
        if is_torch_model(model):
            search = "gradient"
        elif is_linear_model(model):
            search = "linear"
        elif is_single_tree(model):
            search = "trees"
        elif is_naive_bayes(model):
            search = "naive_bayes"
        else:
            search = "blackbox"
    if not isinstance(search, str) or search not in _BACKENDS:
        raise ValueError(
            "search must be 'auto', one of "
            f"{sorted(_BACKENDS)} or an object with fit and generate (a "
            f"BaseCounterfactualSearch); got {search!r}."
        )
    return _BACKENDS[search](**params)
