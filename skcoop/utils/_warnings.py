"""Warnings that point at the user's line, not at skcoop's internals."""

# SPDX-License-Identifier: BSD-3-Clause

import os
import sys
import warnings

import joblib
import sklearn


def _package_dir(module):
    return os.path.dirname(os.path.abspath(module.__file__)) + os.sep


# skcoop, and the libraries a fit passes through on its way from the user's
# line: scikit-learn (a search, cross-validation, a Pipeline) and joblib
# (``sklearn.utils.parallel.Parallel``, run in the calling thread)
_INTERNAL = tuple(_package_dir(mod) for mod in (sys.modules["skcoop"], sklearn, joblib))
_OWN = _INTERNAL[0]


def _is_under(frame, prefixes):
    return os.path.abspath(frame.f_code.co_filename).startswith(prefixes)


def warn_at_caller(message, category):
    """Warn with the stack level of the first frame outside skcoop, sklearn, joblib.

    A warning raised deep in a fit (a member without rows, two members that
    share no column) then names the line of the user's code that called
    ``fit``, ``cross_val_score`` or ``GridSearchCV.fit``, as ``stacklevel``
    cannot when the depth of the call varies (Python 3.12's
    ``skip_file_prefixes`` does the same). In a worker thread, where no frame
    is the user's, the warning names the first frame outside skcoop. (A
    worker process of joblib's ``loky`` backend prints its warnings there.)

    Parameters
    ----------
    message : str
        The warning's text.
    category : type of Warning
        The warning's class.
    """
    frame, level = sys._getframe(1), 1
    first_outside, first_level = None, None
    while frame is not None and _is_under(frame, _INTERNAL):
        if first_outside is None and not _is_under(frame, (_OWN,)):
            first_outside, first_level = frame, level
        frame, level = frame.f_back, level + 1
    if frame is None:  # no user frame on this thread's stack
        level = first_level if first_outside is not None else 1
    warnings.warn(message, category, stacklevel=level + 1)
