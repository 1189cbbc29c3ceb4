"""Searching a batch in chunks sized from a memory budget.

A batch of any size is searched a chunk of rows at a time: each chunk has its
own :class:`~skcoop.counterfactual._goal.SearchContext` and output cache, so
memory stays within scikit-learn's ``working_memory`` however many rows there
are, and a million rows never allocate candidates for all rows at once.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn import get_config

from ._goal import OutputCache, SearchContext
from ._neighbors import ReferenceIndex

__all__ = ["check_output", "chunk_rows", "search_in_chunks"]


def chunk_rows(n_rows, n_features, n_outputs, working_memory=None, per_row=None):
    """Rows searched together so that one chunk stays within a memory budget.

    The budget is an eighth of ``working_memory`` MiB (scikit-learn's
    ``sklearn.get_config()["working_memory"]`` by default, 1024, so 128
    MiB): the rest is left to the model's own temporaries on a batch of
    candidates (a forest's per-tree outputs, kNN's distance blocks) and to
    the caller, so that a search holds about as much as the model's fit. A
    row's share is ``per_row`` bytes when given (measured on the previous
    chunk), else an estimate: its candidate matrices (forward differences
    and reversions: about ``3 * d * (d + 16)`` floats) and its output cache
    (about ``4 * d + 64`` evaluated rows of ``d + n_outputs`` floats plus
    their index).

    Examples
    --------
    >>> from skcoop.counterfactual._chunks import chunk_rows
    >>> chunk_rows(1_000_000, 20, 4, working_memory=64)
    177
    >>> chunk_rows(100, 20, 4)
    100
    """
    if working_memory is None:
        working_memory = get_config()["working_memory"]
    d = max(int(n_features), 1)
    if per_row is None:
        per_row = 8 * (3 * d * (d + 16) + (4 * d + 64) * (d + n_outputs + 2))
    budget = int(working_memory * 2**20) // 8
    return int(max(1, min(n_rows, budget // max(int(per_row), 1))))


def check_output(output, n_rows, regression, name):
    """A model output given by the caller, as floats of the expected shape."""
    if output is None:
        return None
    output = np.asarray(output, dtype=float)
    if regression:
        output = output.reshape(output.shape[0], -1)[:, 0] if output.ndim else output
    ok = output.ndim == (1 if regression else 2) and output.shape[0] == n_rows
    if not ok:
        want = "(n_rows,)" if regression else "(n_rows, n_classes)"
        raise ValueError(
            f"{name} must be the model's output on each of the {n_rows} rows, "
            f"of shape {want}. Got shape {output.shape} instead."
        )
    if not np.all(np.isfinite(output)):
        raise ValueError(f"{name} must be finite; got NaN or infinity.")
    return output


def search_in_chunks(search, oracle, Z, goal, raw, ref_raw, progress=None):
    """Search the rows chunk by chunk, each chunk within the memory budget.

    Chunks hold :func:`chunk_rows` rows (from scikit-learn's
    ``working_memory``): the first from an estimate, each next one from the
    bytes per row the previous one held (a forest that needs many
    evaluations per row gets smaller chunks than a logistic regression).
    Each has its own :class:`SearchContext` and output cache, so memory
    does not grow with the number of rows. The
    reference rows' outputs are computed (or taken) once for all chunks.

    Returns the counterfactual rows, the goal's output at them and the
    evaluations per row.
    """
    n = Z.shape[0]
    Z_cf = Z.copy()
    achieved = np.zeros(n)
    n_evaluations = np.zeros(n, dtype=np.int64)
    if n == 0:
        return Z_cf, achieved, n_evaluations
    n_out = 1 if goal.regression else len(goal.classes)
    d = Z.shape[1]
    size = chunk_rows(n, d, n_out)
    index = ReferenceIndex(search)  # its k-d trees serve every chunk
    entries = 4 * d + 64  # evaluated rows per row, measured after a chunk
    start = 0
    while start < n:
        idx = np.arange(start, min(n, start + size))
        start = idx[-1] + 1
        sub = goal.subset(idx)
        cache = OutputCache(goal.regression, capacity=idx.size * (1 + entries))
        cache.seed(Z[idx], raw[idx])
        ctx = SearchContext(
            search, oracle, Z[idx], sub, cache=cache, ref_output=ref_raw, index=index
        )
        Z_sub = search._search(ctx)
        if search._tabular is not None:
            Z_sub = search._tabular.reset_held(Z[idx], Z_sub)
        local = np.arange(idx.size)
        achieved[idx], _ = ctx.evaluate(np.ascontiguousarray(Z_sub), local)
        Z_cf[idx] = Z_sub
        n_evaluations[idx] = ctx.n_evaluations
        ref_raw = ctx.ref_output  # computed at most once
        if progress is not None:
            progress(int(idx[-1]) + 1)
        # the next chunk sized from what this one held: its cache (past the
        # source rows) and its candidate matrices, at most 4 times larger
        entries = 1.25 * (cache.size - idx.size) / idx.size + 1
        per_row = 8 * (entries * (d + n_out + 2) + 3 * d * (d + 16))
        size = min(4 * size, chunk_rows(n - start, d, n_out, per_row=per_row))
    return Z_cf, achieved, n_evaluations
