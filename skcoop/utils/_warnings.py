"""Warnings that point at the user's line, not at skcoop's internals."""

# SPDX-License-Identifier: BSD-3-Clause

import os
import sys
import warnings

import sklearn

_INTERNAL = tuple(
    os.path.dirname(os.path.abspath(mod.__file__)) + os.sep
    for mod in (sys.modules["skcoop"], sklearn)
)


def warn_at_caller(message, category):
    """Warn with the stack level of the first frame outside skcoop and sklearn.

    A warning raised deep in a fit (a member without rows, two members that
    share no column) then names the line of the user's code that called
    ``fit``, as ``stacklevel`` cannot when the depth of the call varies
    (Python 3.12's ``skip_file_prefixes`` does the same).
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(
        _INTERNAL
    ):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1)
