"""What every Display shares: matplotlib imported on first use, the axes."""

# SPDX-License-Identifier: BSD-3-Clause

from ..utils import import_optional

__all__ = []


def pyplot(caller):
    """``matplotlib.pyplot``, or an ImportError naming the ``plot`` extra."""
    return import_optional("matplotlib.pyplot", purpose=caller)


def axes(ax, caller):
    """``(figure, ax)``: the given axes, or a new figure's."""
    plt = pyplot(caller)
    if ax is None:
        fig, ax = plt.subplots()
    else:
        fig = ax.figure
    return fig, ax


def check_fitted_ensemble(estimator, attributes, caller):
    """A fitted cooperative ensemble, with the attributes a Display reads."""
    missing = [a for a in attributes if not hasattr(estimator, a)]
    if missing:
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(
            f"{caller} needs a fitted cooperative ensemble "
            "(CooperativeDistillationEnsemble or CooperativeDistillationRegressor); "
            f"{type(estimator).__name__} has no {missing[0]}. Call fit first."
        )
