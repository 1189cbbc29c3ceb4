"""Parameter constraints that scikit-learn's leave too loose.

scikit-learn's ``Interval(Integral, ...)`` accepts ``True`` and ``False``
(``bool`` is an ``int``), so ``n_rounds=True`` would run one round without a
word. :func:`count` is the one constraint for every parameter that means a
count (rounds, folds, neighbours, iterations, sites): an integer in a range,
never a boolean. :func:`number` does the same for real-valued settings.
"""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval


class _NoBoolInterval(Interval):
    """An :class:`~sklearn.utils._param_validation.Interval` that refuses bools."""

    def is_satisfied_by(self, val):
        if isinstance(val, (bool, np.bool_)):
            return False
        return super().is_satisfied_by(val)

    def __str__(self):
        return f"{super().__str__()} (not a bool)"


def count(left, right=None, closed="left"):
    """The constraint of a count: an int in ``[left, right)``, never a bool.

    Parameters
    ----------
    left, right : int or None
        Bounds of the interval (None: unbounded).
    closed : {"left", "right", "both", "neither"}, default="left"
        Which bounds belong to the interval.

    Examples
    --------
    >>> from skcoop.utils import count
    >>> c = count(0)
    >>> c.is_satisfied_by(3), c.is_satisfied_by(True), c.is_satisfied_by(-1)
    (True, False, False)
    >>> str(c)
    'an int in the range [0, inf) (not a bool)'
    """
    return _NoBoolInterval(Integral, left, right, closed=closed)


def number(left, right=None, closed="both"):
    """The constraint of a real-valued setting: a number, never a bool.

    Examples
    --------
    >>> from skcoop.utils import number
    >>> number(0, 1).is_satisfied_by(0.5), number(0, 1).is_satisfied_by(True)
    (True, False)
    """
    return _NoBoolInterval(Real, left, right, closed=closed)


def check_count(value, name, low=0, *, high=None):
    """``value`` as an int, if it is a count in ``[low, high]``; else raise.

    For functions that take a count without ``validate_params``.

    Examples
    --------
    >>> from skcoop.utils import check_count
    >>> check_count(2, "n_rounds", 1)
    2
    >>> check_count(True, "n_rounds", 1)
    Traceback (most recent call last):
    ...
    ValueError: n_rounds must be a positive integer. Got True instead. A bool ...
    """
    is_bool = isinstance(value, (bool, np.bool_))
    ok = (
        isinstance(value, Integral)
        and not is_bool
        and value >= low
        and (high is None or value <= high)
    )
    if not ok:
        rule = {0: "a non-negative integer", 1: "a positive integer"}.get(
            low, f"an integer >= {low}"
        )
        if high is not None:
            rule = f"an integer in [{low}, {high}]"
        raise ValueError(
            f"{name} must be {rule}. Got {value!r} instead."
            + (" A bool is not a count." if is_bool else "")
        )
    return int(value)
