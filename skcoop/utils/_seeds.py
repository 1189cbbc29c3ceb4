"""Seeds drawn for the steps of a fit, within the int32 range every backend takes."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import check_random_state

__all__ = []

SEED_MAX = np.iinfo(np.int32).max


def draw_seed(random_state, size=None):
    """A seed (or ``size`` seeds) drawn from ``random_state``, below ``SEED_MAX``.

    Examples
    --------
    >>> from skcoop.utils import draw_seed
    >>> draw_seed(0, size=2).shape
    (2,)
    """
    return check_random_state(random_state).randint(SEED_MAX, size=size)


def offset_seed(seed, offset):
    """Another step's seed derived from ``seed``: ``(seed + offset) % SEED_MAX``.

    Examples
    --------
    >>> from skcoop.utils import offset_seed
    >>> offset_seed(5, 1)
    6
    """
    return (int(seed) + offset) % SEED_MAX
