"""Pick a search backend for a model."""

# SPDX-License-Identifier: BSD-3-Clause

from sklearn.base import clone

from ._base import BaseCounterfactualSearch, _is_torch_model
from ._bisection import BisectionSearch
from ._blackbox import BlackBoxSearch
from ._torch import GradientSearch

__all__ = ["make_search"]

_BACKENDS = {
    "blackbox": BlackBoxSearch,
    "gradient": GradientSearch,
    "bisection": BisectionSearch,
}


def make_search(search="auto", model=None, **params):
    """Return an unfitted counterfactual search for ``model``.

    Parameters
    ----------
    search : {"auto", "blackbox", "gradient", "bisection"} or search object, \
default="auto"
        ``"auto"`` gives :class:`GradientSearch` for a torch module or a
        skorch net and :class:`BlackBoxSearch` for anything else (a
        ``Pipeline`` ending in a skorch net included: its preprocessing is
        not differentiable). A search object is cloned.
    model : estimator, default=None
        The model the search will explain; needed for ``"auto"``.
    **params
        Parameters set on the search (for example ``alpha``, ``immutable``).

    Returns
    -------
    search : BaseCounterfactualSearch
        An unfitted clone: ``make_search(...).fit(X_ref, y_ref).generate(model,
        X, y)``.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from skcoop.counterfactual import make_search
    >>> make_search("auto", RandomForestClassifier(), alpha=0.3)
    BlackBoxSearch(alpha=0.3)
    """
    if isinstance(search, BaseCounterfactualSearch):
        return clone(search).set_params(**params)
    if search == "auto":
        search = "gradient" if _is_torch_model(model) else "blackbox"
    if not isinstance(search, str) or search not in _BACKENDS:
        raise ValueError(
            "search must be 'auto', one of "
            f"{sorted(_BACKENDS)} or a BaseCounterfactualSearch; got {search!r}."
        )
    return _BACKENDS[search](**params)
