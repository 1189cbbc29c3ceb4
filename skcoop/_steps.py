"""The small steps of cooperative distillation, each on plain arrays.

Expertise, deficiency, deduplication and labelling of virtual instances;
the meta-estimators in ``_cooperative.py`` chain them.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

__all__ = []


def expertise(correct, rows, pool="site"):
    """Expertise sets S_i as a boolean matrix.

    Parameters
    ----------
    correct : ndarray of shape (n_members, n_samples), dtype=bool
        Whether member i predicts row n correctly.
    rows : list of ndarray of int
        Rows each member owns.
    pool : {"site", "union"}
        ``"site"``: S_i only holds rows the member owns (each site measures
        expertise on its own data); ``"union"``: any row.

    Returns
    -------
    expert : ndarray of shape (n_members, n_samples), dtype=bool

    Examples
    --------
    >>> import numpy as np
    >>> correct = np.array([[1, 1, 0, 1], [0, 1, 1, 1]], dtype=bool)
    >>> rows = [np.array([0, 1]), np.array([2, 3])]
    >>> expertise(correct, rows).astype(int)
    array([[1, 1, 0, 0],
           [0, 0, 1, 1]])
    >>> expertise(correct, rows, pool="union").astype(int)
    array([[1, 1, 0, 1],
           [0, 1, 1, 1]])
    """
    if pool == "union":
        return correct.copy()
    owned = np.zeros_like(correct)
    for m, r in enumerate(rows):
        owned[m, r] = True
    return correct & owned


def deficiency(expert, correct, teacher, student):
    """Rows of R_{teacher -> student} = S_teacher minus S_student.

    The teacher is an expert there (right, and on rows it may use) and the
    student is wrong. The student's wrongness is judged on every row, its own
    or not: site-locally, the teacher's site runs the student's model on the
    teacher's rows.

    Returns
    -------
    rows : ndarray of int

    Examples
    --------
    >>> import numpy as np
    >>> correct = np.array([[1, 1, 0, 1], [0, 1, 1, 0]], dtype=bool)
    >>> expert = correct.copy()
    >>> deficiency(expert, correct, 0, 1)
    array([0, 3])
    >>> deficiency(expert, correct, 1, 0)
    array([2])
    """
    return np.flatnonzero(expert[teacher] & ~correct[student])


def first_occurrence(X, y):
    """Mask keeping the first of each group of identical (row, label) pairs.

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
        frame = X.reset_index(drop=True).copy()
        frame["__skcoop_label__"] = np.asarray(y)
        return ~frame.duplicated(keep="first").to_numpy()
    X = np.asarray(X)
    _, codes = np.unique(np.asarray(y), return_inverse=True)
    if X.dtype.kind in "fiub":
        key = np.column_stack([X.astype(float), codes.astype(float)])
        _, first = np.unique(key, axis=0, return_index=True)
    else:
        seen = {}
        for i, row in enumerate(map(tuple, X.tolist())):
            seen.setdefault((row, codes[i]), i)
        first = np.fromiter(seen.values(), dtype=int)
    keep = np.zeros(n, dtype=bool)
    keep[first] = True
    return keep


def transfer_counts(teacher, student, labels, classes, n_round):
    """Count rows per (round, teacher, student, class) as report rows.

    Returns
    -------
    counts : dict of (round, teacher, student, class) -> int
    """
    out = {}
    if len(labels) == 0:
        return out
    for c in classes:
        n = int(np.sum(np.asarray(labels) == c))
        if n:
            out[(n_round, teacher, student, c)] = n
    return out
