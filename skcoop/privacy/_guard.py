"""The release guard: make virtual rows leak less before they leave a site."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import StrOptions, validate_params
from sklearn.utils.multiclass import type_of_target

from ..utils import at_most, count, in_dtype_of, is_frame, number, snap
from ._prototype import neighbourhood_mean, neighbourhood_sample, restore_dtypes
from ._space import _Space

__all__ = ["guard_release"]

REASONS = ("class_too_small", "too_close", "misclassified")


@validate_params(
    {
        "X_virtual": ["array-like"],
        "y_virtual": ["array-like"],
        "X_site": ["array-like"],
        "y_site": ["array-like"],
        "prototype_k": [count(1), None],
        "prototype": [StrOptions({"mean", "sample"})],
        "min_distance": [number(0, None, closed="left"), None],
        "model": [None, object],
        "classes": ["array-like", None],
        "tolerance": [number(0, None, closed="left"), None],
        "target": ["array-like", None],
        "scale": ["array-like", None],
        "n_steps": [count(1)],
        "spread": [number(0, None, closed="left")],
        "random_state": ["random_state"],
        "distances": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def guard_release(
    X_virtual,
    y_virtual,
    X_site,
    y_site,
    *,
    prototype_k=None,
    prototype="mean",
    min_distance=None,
    model=None,
    classes=None,
    tolerance=None,
    target=None,
    scale=None,
    n_steps=20,
    spread=0.25,
    random_state=None,
    distances=True,
):
    """Guard virtual rows before they leave the teacher's site.

    Two steps, each off by default, applied in this order:

    1. ``prototype_k``: each row is replaced by the mean of its ``k`` nearest
       rows of the same class on the site (classification), or of its ``k``
       nearest site rows with their mean ``y`` as the new label
       (regression; with ``prototype="sample"``, the ``k`` nearest in the
       features and the label together: the smallest distance over the
       site's median nearest-neighbour distance plus ``|y - y_site|`` over
       the MAD of ``y_site``). A row whose class has fewer than ``k`` site rows is
       dropped (``class_too_small``). With ``prototype="sample"``, the row
       is instead a random draw like those ``k`` rows: each numeric column
       from a normal distribution with their mean and standard deviation
       (clipped to the site's range, rounded where the site's values are
       whole numbers), each categorical column the value of a random one of
       them. A mean has ``1 / k`` of the rows' variance, so students that
       learn from means see blurred rows; a draw keeps the spread (on the
       digits demo setting the median member closes 0.94 of its gap with
       draws against 0.77 with means, at the same attack rates; see
       :ref:`privacy`).
    2. ``min_distance``: every row closer than ``min_distance * nn`` to a site
       row (``nn``: the median nearest-neighbour distance among the site's
       rows) is moved along the straight line toward its class's centroid
       (classification: the mean of the class's site rows; regression: of
       the site rows whose ``y`` is within ``tolerance`` of the row's label)
       and stops at the first of ``n_steps`` points that lies at least a
       radius away from every site row. The radius is ``min_distance * nn *
       (1 + u)``, ``u`` uniform on ``[0, spread]`` per row, so that pushed
       rows do not all sit on the same shell around their source (a
       guard-aware attacker measures that shell). A row that the centroid
       direction cannot take far enough has its numeric columns pushed
       straight away from its nearest site row, up to 3 radii, within the
       range the site's rows span; a row that
       still is too close is dropped (``too_close``).

    When ``model`` is given, every row the guard changed is checked with it:
    a classifier must predict the row's label, a regressor must predict
    within ``tolerance`` of ``target`` (default: the label); others are
    dropped (``misclassified``). A regressor's sampled prototypes
    (``prototype="sample"``) are instead labelled with its prediction at
    the draw plus the row's residual toward its label, ``y_virtual -
    model(X_virtual)``, and never dropped.

    Distances are those of the counterfactual search on the site's rows
    (:func:`site_scale`): scaled L1 on arrays, Gower-style on mixed-type
    DataFrames (on a DataFrame, a categorical or boolean column switches to
    the centroid's value half-way along the line; integer columns are
    rounded).

    Parameters
    ----------
    X_virtual : array-like or DataFrame of shape (n_virtual, n_features)
        The counterfactuals a teacher found, in its own columns.
    y_virtual : array-like of shape (n_virtual,)
        Their labels.
    X_site : array-like or DataFrame of shape (n_site, n_features)
        The teacher's own rows (the records to protect).
    y_site : array-like of shape (n_site,)
        Their labels.
    prototype_k : int, default=None
        None: off. Release the mean of ``k`` neighbouring site rows instead.
    prototype : {"mean", "sample"}, default="mean"
        What the prototype step releases: the mean of the ``k`` rows, or a
        random draw with their mean and spread.
    min_distance : float, default=None
        None: off. Smallest distance to any site row, as a multiple of the
        site's median nearest-neighbour distance.
    model : estimator, default=None
        The teacher, to drop changed rows it no longer predicts right.
    classes : array-like, default=None
        The class labels; given, the task is classification. None: the task
        is regression when ``tolerance`` is given or ``y_site`` is continuous
        (``sklearn.utils.multiclass.type_of_target``; whole-number targets
        read as classes there), classification otherwise.
    tolerance : float, default=None
        Regression: how far a prediction may miss ``target`` (needed with a
        ``model``), and the ``y`` window of a row's region when pushing
        (default: the MAD of ``y_site``).
    target : array-like of shape (n_virtual,), default=None
        Regression: the value the teacher must predict for each row; None:
        ``y_virtual`` (after the prototype step, the prototype's label).
    scale : array-like of shape (n_features,), default=None
        Distance unit per column; None: :func:`site_scale` of ``X_site``.
    n_steps : int, default=20
        Points tried on the line toward the centroid.
    spread : float, default=0.25
        Random extra of the radius per row, as a fraction of it.
    random_state : int, RandomState instance or None, default=None
        Draws the prototypes (``prototype="sample"``) and the extra radius
        per row.
    distances : bool, default=True
        Compute ``nn_distance`` and ``distance`` for the report. Without
        ``min_distance`` they are two scans of every released row and every
        site row against the site's rows, which grow with the square of the
        rows (at 100,000 x 20 with four members, about two thirds of the
        guard's time); ``False`` skips them there and leaves both NaN. The
        ensembles' fit, which reads neither, passes ``False``. With
        ``min_distance`` they are needed and always computed.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch`
        - ``X``, ``y``: the kept rows, guarded, in the form of ``X_virtual``
          (a DataFrame keeps its columns, dtypes and categories);
        - ``keep``: boolean mask over the input rows;
        - ``prototype``, ``pushed``: boolean masks over the input rows;
        - ``n_input``, ``n_kept``, ``n_prototype``, ``n_pushed``,
          ``n_dropped`` and ``dropped`` (count per reason:
          ``class_too_small``, ``too_close``, ``misclassified``);
        - ``nn_distance``: the site's median nearest-neighbour distance;
          ``distance``: each kept row's distance to its nearest site row.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.privacy import guard_release
    >>> X_site = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [5.0, 5.0]])
    >>> y_site = np.array([0, 0, 0, 1])
    >>> out = guard_release(X_site[:1] + 0.01, [0], X_site, y_site, prototype_k=3)
    >>> out.X, out.n_prototype
    (array([[0.33333333, 0.33333333]]), 1)
    >>> out = guard_release(
    ...     X_site[:1] + 0.01, [0], X_site, y_site, min_distance=0.2, random_state=0
    ... )
    >>> bool(out.distance.min() >= 0.2 * out.nn_distance), out.n_pushed
    (True, 1)
    """
    n_site = X_site.shape[0] if hasattr(X_site, "shape") else len(X_site)
    if n_site < 2 and (prototype_k is not None or min_distance is not None):
        # no neighbourhood to draw from, no distance to keep: nothing leaves
        return _nothing(X_virtual, y_virtual, prototype_k)
    space = _Space(X_site, scale, what="X_site")
    frame_out = space.frame
    Xv = space.rows(X_virtual, "X_virtual")
    y_site = np.asarray(y_site)
    y_virtual = np.asarray(y_virtual)
    n = space.n_rows(Xv)
    if y_virtual.shape != (n,):
        raise ValueError(
            f"y_virtual must have one label per row of X_virtual ({n}). Got "
            f"shape {y_virtual.shape} instead."
        )
    if y_site.shape != (space.n_rows(space.X_site),):
        raise ValueError(
            f"y_site must have one label per row of X_site "
            f"({space.n_rows(space.X_site)}). Got shape {y_site.shape} instead."
        )
    regression = classes is None and (
        tolerance is not None or type_of_target(y_site) == "continuous"
    )
    if regression:
        y_site = y_site.astype(float)
        if tolerance is None:
            mad = 1.4826 * np.median(np.abs(y_site - np.median(y_site)))
            tolerance_region = mad if mad > 0 else float(np.std(y_site)) or 1.0
        else:
            tolerance_region = float(tolerance)
        if model is not None and tolerance is None:
            raise ValueError(
                "tolerance is required to check a regressor model: how far its "
                "prediction may miss the target. Got tolerance=None."
            )
    target = None if target is None else np.asarray(target, dtype=float)
    if target is not None and target.shape != (n,):
        raise ValueError(
            f"target must have one value per row of X_virtual ({n}). Got shape "
            f"{target.shape} instead."
        )
    rng = check_random_state(random_state)
    keep = np.ones(n, dtype=bool)
    dropped = dict.fromkeys(REASONS, 0)
    is_proto = np.zeros(n, dtype=bool)
    is_pushed = np.zeros(n, dtype=bool)
    y_out = y_virtual.copy()
    X = Xv.copy() if frame_out else np.array(Xv, dtype=float)
    distances = distances or min_distance is not None  # the push needs them
    # a regressor's draws take their neighbours in features and label: the
    # unit weighs the two
    joint_draws = regression and prototype == "sample" and prototype_k is not None
    unit = float("nan")
    if distances or (joint_draws and n):
        try:
            unit = space.unit()
        except ValueError:
            if min_distance is not None:  # the unit of min_distance is needed
                raise

    if prototype_k is not None and n:
        joint = None
        if joint_draws and np.isfinite(unit):
            joint = (unit, _label_unit(y_site))
        X, y_out, ok = _prototypes(
            space, X, y_out, y_site, prototype_k, regression, prototype, rng, joint
        )
        is_proto = ok.copy()
        dropped["class_too_small"] += int((~ok).sum())
        keep &= ok

    distance = np.full(n, np.nan)
    if n and distances:
        distance[keep] = space.nearest(
            space.take(X, np.flatnonzero(keep)), space.X_site, "X_virtual"
        )
    if min_distance is not None and n:
        radius = min_distance * unit * (1.0 + spread * rng.uniform(size=n))
        todo = np.flatnonzero(keep & (distance < radius))
        if todo.size:
            moved, reached, dist = _push(
                space,
                X,
                y_out,
                todo,
                radius[todo],
                y_site,
                regression,
                tolerance_region if regression else None,
                n_steps,
            )
            X = _assign(space, X, todo[reached], moved)
            distance[todo[reached]] = dist
            is_pushed[todo[reached]] = True
            dropped["too_close"] += int((~reached).sum())
            keep[todo[~reached]] = False

    if model is not None and n:
        check = np.flatnonzero(keep & (is_proto | is_pushed))
        if check.size:
            rows = _like_input(space, space.take(X, check), X_virtual, check)
            # the teacher was fitted on the site's rows: their float dtype
            rows = in_dtype_of(rows, X_site, floats_only=True)
            pred = np.asarray(model.predict(rows))
            if regression and prototype == "sample" and prototype_k is not None:
                # a draw is no record's row: the teacher labels it, plus the
                # residual its counterfactual carried toward the label
                source = _like_input(space, space.take(Xv, check), X_virtual, check)
                source = in_dtype_of(source, X_site, floats_only=True)
                f_source = np.asarray(model.predict(source), dtype=float)
                residual = y_virtual[check].astype(float) - f_source
                # the label goes to a student's fit: on the grid of
                # utils.snap (2**-30 of the site's label scale), so that
                # the teacher's last bits (another BLAS kernel) never reach
                # a tree student's choice between splits that cut alike
                y_out[check] = snap(
                    pred.astype(float) + residual,
                    scale=float(np.max(np.abs(y_site), initial=0.0)) or None,
                )
                bad = np.zeros(check.size, dtype=bool)
            elif regression:
                goal = y_out[check] if target is None else target[check]
                if target is not None and prototype_k is not None:
                    goal = y_out[check]
                error = np.abs(pred.astype(float) - goal.astype(float))
                bad = ~at_most(error, tolerance)
            else:
                bad = pred != y_out[check]
            dropped["misclassified"] += int(bad.sum())
            keep[check[bad]] = False

    idx = np.flatnonzero(keep)
    X_kept = _like_input(space, space.take(X, idx), X_virtual, idx)
    return Bunch(
        X=X_kept,
        y=y_out[idx],
        keep=keep,
        prototype=is_proto & keep,
        pushed=is_pushed & keep,
        n_input=int(n),
        n_kept=int(keep.sum()),
        n_prototype=int((is_proto & keep).sum()),
        n_pushed=int((is_pushed & keep).sum()),
        n_dropped=int(n - keep.sum()),
        dropped=dropped,
        nn_distance=unit if distances else float("nan"),
        distance=distance[idx],
    )


def _nothing(X_virtual, y_virtual, prototype_k):
    """The result of a guard that releases none of the rows."""
    n = X_virtual.shape[0] if hasattr(X_virtual, "shape") else len(X_virtual)
    dropped = dict.fromkeys(REASONS, 0)
    dropped["class_too_small" if prototype_k is not None else "too_close"] = n
    none = np.zeros(n, dtype=bool)
    X = X_virtual.iloc[:0] if is_frame(X_virtual) else np.asarray(X_virtual)[:0]
    return Bunch(
        X=X,
        y=np.asarray(y_virtual)[:0],
        keep=none,
        prototype=none.copy(),
        pushed=none.copy(),
        n_input=int(n),
        n_kept=0,
        n_prototype=0,
        n_pushed=0,
        n_dropped=int(n),
        dropped=dropped,
        nn_distance=float("nan"),
        distance=np.zeros(0),
    )


def _like_input(space, rows, X_virtual, idx):
    """``rows`` in the form of ``X_virtual``: its type, columns, dtypes, index."""
    if is_frame(X_virtual):
        if not space.frame:
            import pandas as pd

            rows = pd.DataFrame(np.asarray(rows), columns=X_virtual.columns)
        rows = restore_dtypes(rows.reset_index(drop=True), X_virtual)
        rows.index = X_virtual.index[idx]
        return rows
    dtype = getattr(X_virtual, "dtype", None)
    if dtype is not None and dtype != rows.dtype and dtype.kind in "iub":
        return np.rint(rows).astype(dtype)
    return rows if dtype is None or dtype.kind not in "f" else rows.astype(dtype)


def _assign(space, X, rows, values):
    """``X`` with ``rows`` replaced by ``values`` (a copy for DataFrames)."""
    if rows.size == 0:
        return X
    if space.frame:
        X = X.copy()
        for j in range(X.shape[1]):
            X.iloc[rows, j] = values.iloc[:, j].to_numpy()
        return X
    X[rows] = values
    return X


def _label_unit(y_site):
    """The spread of a site's labels: their MAD (std, or 1, if that is 0)."""
    mad = 1.4826 * np.median(np.abs(y_site - np.median(y_site)))
    return float(mad) if mad > 0 else (float(np.std(y_site)) or 1.0)


def _joint_neighbours(space, X, y, y_site, k, unit, y_unit):
    """The ``k`` site rows nearest each row in its features and label together.

    Among the ``max(5 k, 100)`` rows nearest in the features, the ``k``
    smallest ``distance / unit + |y - y_site| / y_unit``: the regression
    analogue of "the rows of its class", so that a draw's neighbourhood
    holds rows with labels like the row's.
    """
    kc = min(space.n_rows(space.X_site), max(5 * k, 100))
    d, ind = space.kneighbors(X, space.X_site, kc, "X_virtual")
    joint = d / unit + np.abs(y_site[ind] - np.asarray(y, float)[:, None]) / y_unit
    order = np.argsort(joint, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(ind, order, axis=1)


def _prototypes(space, X, y, y_site, k, regression, how="mean", rng=None, joint=None):
    """Replace each row by the mean (or a draw) of its ``k`` nearest site rows.

    Classification: the nearest rows of the row's class. Regression with
    ``joint=(unit, y_unit)``: the nearest in features and label together
    (:func:`_joint_neighbours`).
    """

    def make(R, ind):
        if how == "sample":
            return neighbourhood_sample(space, R, ind, rng)
        return neighbourhood_mean(space, R, ind)

    n = space.n_rows(X)
    ok = np.ones(n, dtype=bool)
    y_new = y.astype(float) if regression else y.copy()
    if regression:
        if k > space.n_rows(space.X_site):
            ok[:] = False
            return X, y_new, ok
        if joint is None:
            _, ind = space.kneighbors(X, space.X_site, k, "X_virtual")
        else:
            ind = _joint_neighbours(space, X, y, y_site, k, *joint)
        proto = make(space.X_site, ind)
        y_new = y_site[ind].mean(axis=1)
        return _assign(space, X, np.arange(n), proto), y_new, ok
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        members = np.flatnonzero(y_site == label)
        if members.size < k:
            ok[rows] = False
            continue
        pool = space.take(space.X_site, members)
        _, ind = space.kneighbors(space.take(X, rows), pool, k, "X_virtual")
        proto = make(pool, ind)
        X = _assign(space, X, rows, proto)
    return X, y_new, ok


def _centroids(space, y_rows, y_site, regression, window):
    """Per row, the centroid of its class (or ``y`` window) on the site.

    Also a mask of the rows whose region holds at least one site row.
    """
    if regression:
        near = np.abs(y_site[None, :] - y_rows[:, None].astype(float)) <= window
        groups = [np.flatnonzero(m) for m in near]
        which = np.arange(len(groups))
    else:
        labels, which = np.unique(y_rows, return_inverse=True)
        groups = [np.flatnonzero(y_site == label) for label in labels]
    has = np.array([g.size > 0 for g in groups])
    everything = np.arange(space.n_rows(space.X_site))
    groups = [g if g.size else everything for g in groups]
    if space.frame:
        import pandas as pd

        parts = [neighbourhood_mean(space, space.X_site, g[None, :]) for g in groups]
        cent = pd.concat(parts, ignore_index=True)
    else:
        site = np.asarray(space.X_site)
        cent = np.array([site[g].mean(axis=0) for g in groups])
    return space.take(cent, which), has[which]


def _line(space, start, end, s):
    """Points ``start + s (end - start)``; DataFrames switch categories at 0.5."""
    if not space.frame:
        return start + s[:, None] * (end - start)
    import pandas as pd

    from ..utils import column_kind

    data = {}
    for j, dtype in enumerate(start.dtypes):
        a, b = start.iloc[:, j], end.iloc[:, j]
        if column_kind(dtype) == "num":
            av = a.to_numpy(dtype=float, na_value=np.nan)
            bv = b.to_numpy(dtype=float, na_value=np.nan)
            v = np.where(np.isnan(bv) | np.isnan(av), av, av + s * (bv - av))
            if pd.api.types.is_integer_dtype(dtype):
                v = np.rint(v)
            data[j] = v
        else:
            av, bv = a.to_numpy(dtype=object), b.to_numpy(dtype=object)
            data[j] = np.where(s >= 0.5, bv, av)
    return restore_dtypes(pd.DataFrame(data), start)


def _push(space, X, y, todo, radius, y_site, regression, window, n_steps):
    """Move rows ``todo`` toward their centroid until ``radius`` away from the site.

    Returns the moved rows of those that got there, the mask of those, and
    their distances to the site.
    """
    start = space.take(X, todo)
    cent, has_region = _centroids(space, y[todo], y_site, regression, window)
    m = todo.size
    steps = np.arange(1, n_steps + 1) / n_steps
    s = np.repeat(steps[None, :], m, axis=0).ravel()  # row-major: row, step
    rep = np.repeat(np.arange(m), n_steps)
    pts = _line(space, space.take(start, rep), space.take(cent, rep), s)
    d = space.nearest(pts, space.X_site, "X_virtual").reshape(m, n_steps)
    good = (d >= radius[:, None]) & has_region[:, None]
    reached = good.any(axis=1)
    first = good.argmax(axis=1)
    pick = np.arange(m) * n_steps + first
    moved = space.take(pts, pick[reached])
    dist = d[np.arange(m), first][reached]
    if not reached.all():
        moved, reached, dist = _push_away(space, start, radius, moved, reached, dist)
    return moved, reached, dist


def _numeric_columns(space):
    if not space.frame:
        return np.arange(space.X_site.shape[1])
    return np.flatnonzero([k == "num" for k in space.kinds])


def _numeric_values(space, X, cols):
    if not space.frame:
        return np.asarray(X, dtype=float)[:, cols]
    return X.iloc[:, cols].to_numpy(dtype=float, na_value=np.nan)


def _with_numeric(space, X, cols, values):
    """``X`` with its numeric columns ``cols`` set to ``values``."""
    if not space.frame:
        X = np.array(X, dtype=float)
        X[:, cols] = values
        return X
    frame = X.reset_index(drop=True).copy()
    for k, j in enumerate(cols):
        frame[frame.columns[j]] = values[:, k]
    return restore_dtypes(frame, space.X_site)


def _push_away(space, start, radius, moved, reached, dist):
    """Fallback: numeric columns straight away from the nearest site row."""
    rest = np.flatnonzero(~reached)
    cols = _numeric_columns(space)
    if rest.size == 0 or cols.size == 0:
        return moved, reached, dist
    pts0 = space.take(start, rest)
    _, ind = space.kneighbors(pts0, space.X_site, 1, "X_virtual")
    A = _numeric_values(space, pts0, cols)
    B = _numeric_values(space, space.take(space.X_site, ind[:, 0]), cols)
    scale = space.scale[cols]
    direction = np.nan_to_num((A - B) / scale)
    norm = np.abs(direction).sum(axis=1, keepdims=True)
    direction = np.where(norm > 0, direction / np.maximum(norm, 1e-300), 0.0)
    mult = np.linspace(0.25, 3.0, 12)
    step = mult[None, :, None] * radius[rest, None, None] * direction[:, None, :]
    site_num = _numeric_values(space, space.X_site, cols)
    low, high = np.nanmin(site_num, axis=0), np.nanmax(site_num, axis=0)
    cand_num = np.clip(A[:, None, :] + step * scale, low, high)  # observed range
    cand_num = cand_num.reshape(-1, cols.size)
    rep = np.repeat(np.arange(rest.size), mult.size)
    cand = _with_numeric(space, space.take(pts0, rep), cols, cand_num)
    d = space.nearest(cand, space.X_site, "X_virtual").reshape(rest.size, mult.size)
    good = d >= radius[rest, None]
    got = good.any(axis=1)
    pick = np.flatnonzero(got) * mult.size + good.argmax(axis=1)[got]
    new_rows = space.take(cand, pick)
    positions = np.r_[np.flatnonzero(reached), rest[got]]
    order = np.argsort(positions, kind="stable")
    if space.frame:
        import pandas as pd

        both = pd.concat(
            [moved.reset_index(drop=True), new_rows.reset_index(drop=True)],
            ignore_index=True,
        )
    else:
        both = np.vstack([np.asarray(moved).reshape(-1, A.shape[1]), new_rows])
    reached = reached.copy()
    reached[rest[got]] = True
    return space.take(both, order), reached, np.r_[dist, d.ravel()[pick]][order]
