"""The paper's smallest steps, on plain arrays of one teacher's site.

Expertise (the rows a teacher is right on and may teach from), deficiency
(where a student is wrong among them), the rows a teacher searches under a
teaching scope, and the deduplication of virtual rows. The teacher's step
(``_teach.teach_at_site``) and the student's (``_learn.py``) chain them.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from .utils import snap_columns

__all__ = []


def expertise(right, teaching=None):
    """Expertise set S_i: the site's rows the teacher is right on and may teach.

    Parameters
    ----------
    right : ndarray of shape (n_rows,), dtype=bool
        Whether the teacher is right on each row of its site.
    teaching : ndarray of shape (n_rows,), dtype=bool, default=None
        Rows that may teach (rows of weight 0 may not); all when None.

    Returns
    -------
    expert : ndarray of shape (n_rows,), dtype=bool

    Examples
    --------
    >>> import numpy as np
    >>> expertise(np.array([1, 1, 0, 1], dtype=bool)).astype(int)
    array([1, 1, 0, 1])
    >>> expertise(np.array([1, 1, 0, 1], dtype=bool),
    ...           np.array([1, 0, 1, 1], dtype=bool)).astype(int)
    array([1, 0, 0, 1])
    """
    right = np.asarray(right, dtype=bool)
    return right.copy() if teaching is None else right & np.asarray(teaching, bool)


def deficiency(expert, student_right):
    """Rows of R_{i -> j} = S_i minus S_j, among the teacher's site rows.

    The teacher is an expert there and the student is wrong, judged on the
    teacher's own rows (site-locally: the teacher's site runs the student's
    model on its own rows).

    Returns
    -------
    rows : ndarray of int
        Positions among the site's rows.

    Examples
    --------
    >>> import numpy as np
    >>> expert = np.array([1, 1, 0, 1], dtype=bool)
    >>> deficiency(expert, np.array([0, 1, 1, 0], dtype=bool))
    array([0, 3])
    """
    return np.flatnonzero(np.asarray(expert) & ~np.asarray(student_right))


def teaching_sets(expert, right, teacher, scope="deficiency"):
    """The rows teacher ``teacher`` teaches each student, and their union.

    Parameters
    ----------
    expert : ndarray of shape (n_rows,), dtype=bool
        The teacher's expertise set on its site.
    right : ndarray of shape (n_members, n_rows), dtype=bool
        Who is right on each row, judged by the teacher's bound.
    teacher : int
        Row of ``right`` that is the teacher.
    scope : {"deficiency", "expertise"}, default="deficiency"
        ``"deficiency"``: student ``j`` is taught ``R_{i->j}``, the rows where
        it is wrong (the paper); ``"expertise"``: every student is taught the
        teacher's whole expertise set.

    Returns
    -------
    pairs : dict of int -> ndarray of int
        Rows taught to each student.
    query : ndarray of int
        Rows the teacher searches (the union of ``pairs``), sorted.

    Examples
    --------
    >>> import numpy as np
    >>> right = np.array([[1, 1, 0, 1], [0, 1, 1, 0], [1, 1, 1, 0]], dtype=bool)
    >>> pairs, query = teaching_sets(right[0], right, 0)
    >>> pairs, query
    ({1: array([0, 3]), 2: array([3])}, array([0, 3]))
    >>> teaching_sets(right[0], right, 0, scope="expertise")[1]
    array([0, 1, 3])
    """
    k = right.shape[0]
    students = [j for j in range(k) if j != teacher]
    if scope == "expertise":
        rows = np.flatnonzero(expert)
        return {j: rows for j in students}, rows
    pairs = {j: deficiency(expert, right[j]) for j in students}
    others_wrong = (
        np.any(~right[students], axis=0) if students else np.zeros_like(expert)
    )
    return pairs, np.flatnonzero(expert & others_wrong)


def first_occurrence(X, y):
    """Mask keeping the first of each group of identical (row, label) pairs.

    Floats are compared rounded to 30 significant bits
    (:func:`skcoop.utils.snap_columns`): the same source row searched twice
    in one batch can come out a few ulps apart (a model's output on a row
    moves by an ulp with the other rows of its batch), and those two are
    one row.

    Parameters
    ----------
    X : ndarray or DataFrame of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)

    Returns
    -------
    keep : ndarray of shape (n_samples,), dtype=bool

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [2.0, 3.0]])
    >>> first_occurrence(X, np.array([0, 0, 1, 0]))
    array([ True, False,  True,  True])
    """
    n = len(y)
    if n == 0:
        return np.zeros(0, dtype=bool)
    if hasattr(X, "iloc"):
        frame = snap_columns(X.reset_index(drop=True))
        frame["__skcoop_label__"] = np.asarray(y)
        return ~frame.duplicated(keep="first").to_numpy()
    X = np.asarray(X)
    _, codes = np.unique(np.asarray(y), return_inverse=True)
    if X.dtype.kind in "fiub":
        key = np.column_stack([snap_columns(X), codes.astype(float)])
        _, first = np.unique(key, axis=0, return_index=True)
    else:
        seen = {}
        for i, row in enumerate(map(tuple, X.tolist())):
            seen.setdefault((row, codes[i]), i)
        first = np.fromiter(seen.values(), dtype=int)
    keep = np.zeros(n, dtype=bool)
    keep[first] = True
    return keep

