"""Mean rows of neighbourhoods, on arrays and on mixed-type DataFrames."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

from ..utils import column_kind

__all__ = []


#: Floats of the neighbourhoods gathered at once (16 MB).
_BLOCK = 2_000_000


def neighbourhood_mean(space, R, ind, first=None, like=None):
    """Per row of ``ind``, the mean of the rows ``R[ind[r]]`` (and ``first[r]``).

    On a DataFrame: numeric columns are averaged ignoring missing values
    (integer columns rounded), a categorical or boolean column takes its most
    frequent value (ties: the value met first, nearest neighbour first). The
    result has the columns and dtypes of ``like`` (default ``R``).
    """
    if not space.frame:
        R = np.asarray(R)
        first = None if first is None else np.asarray(first)
        # a block of rows at a time (see _BLOCK)
        step = max(1, _BLOCK // max(1, (ind.shape[1] + 1) * R.shape[1]))
        out = [np.zeros((0, R.shape[1]))]  # no row: no neighbourhood
        for lo in range(0, ind.shape[0], step):
            block = R[ind[lo : lo + step]]
            if first is not None:
                block = np.concatenate([first[lo : lo + step, None, :], block], axis=1)
            out.append(block.mean(axis=1))
        return out[0] if len(out) == 1 else np.concatenate(out[1:])
    import pandas as pd

    like = R if like is None else like
    data = {}
    for j, dtype in enumerate(R.dtypes):
        col = R.iloc[:, j]
        head = None if first is None else first.iloc[:, j]
        if column_kind(dtype) == "num":
            vals = col.to_numpy(dtype=float, na_value=np.nan)[ind]
            if head is not None:
                h = head.to_numpy(dtype=float, na_value=np.nan)[:, None]
                vals = np.concatenate([h, vals], axis=1)
            with np.errstate(invalid="ignore"):
                present = ~np.isnan(vals)
                total = np.where(present, vals, 0.0).sum(axis=1)
                count = present.sum(axis=1)
                mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
            if pd.api.types.is_integer_dtype(like.dtypes.iloc[j]):
                mean = np.rint(mean)
            data[j] = mean
        else:
            values = col.to_numpy(dtype=object)
            if head is not None:
                values = np.concatenate([head.to_numpy(dtype=object), values])
                offset = head.shape[0]
                block = np.concatenate(
                    [np.arange(ind.shape[0])[:, None], ind + offset], axis=1
                )
            else:
                block = ind
            data[j] = _mode(values, block)
    return restore_dtypes(pd.DataFrame(data), like)


def neighbourhood_sample(space, R, ind, rng):
    """Per row of ``ind``, a random row drawn like the rows ``R[ind[r]]``.

    Each numeric column is drawn from a normal distribution with the
    neighbourhood's mean and standard deviation (missing values ignored),
    clipped to the range of ``R``'s column, and rounded where every value of
    ``R``'s column is a whole number (or the column has an integer dtype); a
    categorical or boolean column takes the value of a random neighbour. A
    mean of ``k`` rows has ``1 / k`` of their variance; a draw keeps it, so
    that a student learns from rows that look like the site's rows.
    """
    k = ind.shape[1]
    if not space.frame:
        R = np.asarray(R, dtype=float)
        draw = rng.standard_normal((ind.shape[0], R.shape[1]))
        # the neighbourhoods a block of rows at a time: all at once they
        # held n x k x d floats twice (30,000 rows, k=20, d=20: 190 MB)
        step = max(1, _BLOCK // max(1, k * R.shape[1]))
        for lo in range(0, ind.shape[0], step):
            block = R[ind[lo : lo + step]]
            mean = block.mean(axis=1)
            sd = block.std(axis=1, ddof=1) if k > 1 else np.zeros_like(mean)
            draw[lo : lo + step] = mean + sd * draw[lo : lo + step]
        draw = np.clip(draw, R.min(axis=0), R.max(axis=0))
        whole = np.all(R == np.round(R), axis=0)
        draw[:, whole] = np.round(draw[:, whole])
        return draw
    import pandas as pd

    data = {}
    for j, dtype in enumerate(R.dtypes):
        col = R.iloc[:, j]
        if column_kind(dtype) == "num":
            values = col.to_numpy(dtype=float, na_value=np.nan)
            vals = values[ind]
            with np.errstate(invalid="ignore", divide="ignore"):
                present = ~np.isnan(vals)
                n = present.sum(axis=1)
                mean = np.where(
                    n > 0, np.nansum(vals, axis=1) / np.maximum(n, 1), np.nan
                )
                dev = np.where(present, vals - mean[:, None], 0.0)
                var = (dev**2).sum(axis=1) / np.maximum(n - 1, 1)
            draw = mean + np.sqrt(var) * rng.standard_normal(mean.shape)
            seen = values[~np.isnan(values)]
            if seen.size:
                draw = np.clip(draw, seen.min(), seen.max())
                if pd.api.types.is_integer_dtype(dtype) or np.all(
                    seen == np.round(seen)
                ):
                    draw = np.round(draw)
            data[j] = draw
        else:
            pick = rng.randint(k, size=ind.shape[0])
            data[j] = col.to_numpy(dtype=object)[ind[np.arange(ind.shape[0]), pick]]
    return restore_dtypes(pd.DataFrame(data), R)


def _mode(values, block):
    """Most frequent value of ``values[block[r]]`` per row (ties: first met)."""
    import pandas as pd

    missing = pd.isna(values)
    codes = np.full(values.size, -1, dtype=np.int64)
    if (~missing).any():
        codes[~missing] = pd.factorize(values[~missing])[0]
    uniques = np.empty(codes.max() + 2, dtype=object)
    uniques[-1] = None
    for c, v in zip(codes[~missing], values[~missing]):
        uniques[c] = v
    sub = codes[block]  # -1 (missing) maps to the last slot
    n_codes = uniques.size
    counts = np.zeros((block.shape[0], n_codes), dtype=float)
    rows = np.repeat(np.arange(block.shape[0]), block.shape[1])
    np.add.at(counts, (rows, sub.ravel()), 1.0)
    # tie-break: earlier position (nearer neighbour) wins
    position = np.full((block.shape[0], n_codes), np.inf)
    pos = np.tile(np.arange(block.shape[1], dtype=float), block.shape[0])
    np.minimum.at(position, (rows, sub.ravel()), pos)
    key = counts - position / (block.shape[1] + 1.0)
    best = key.argmax(axis=1)
    return uniques[best]


def restore_dtypes(frame, like):
    """``frame`` with the columns, order and dtypes of ``like``."""
    import pandas as pd

    frame.columns = like.columns
    for j, dtype in enumerate(like.dtypes):
        col = frame.iloc[:, j]
        if isinstance(dtype, pd.CategoricalDtype):
            new = pd.Categorical(col.to_numpy(dtype=object), dtype=dtype)
        elif column_kind(dtype) == "bool":
            new = col.to_numpy(dtype=bool)
        elif pd.api.types.is_integer_dtype(dtype) and isinstance(dtype, np.dtype):
            values = col.to_numpy(dtype=float)
            new = (
                pd.array(np.rint(values), dtype="Int64")
                if np.isnan(values).any()
                else np.rint(values).astype(dtype)
            )
        else:
            new = (
                col.to_numpy(dtype=object)
                if pd.api.types.is_object_dtype(dtype)
                else col.astype(dtype)
            )
        frame[frame.columns[j]] = new
    return frame
