"""Decisions that do not hinge on the last bit of a float.

Another CPU's BLAS kernel computes a matrix product with other roundings, so
a member's outputs differ there in the last bits (about ``1e-16`` relative).
Every decision skcoop takes on such values (right or wrong, a target met, a
tie between classes, a weight a tree sums) goes through one of these helpers,
so that a difference of a few ulps never changes it:

- a comparison with a threshold has a margin of :data:`RTOL` relative to the
  values' scale (:func:`at_most`);
- a tie between classes within that margin goes to the first class, a stable
  key, not to whichever sum came out larger (:func:`stable_argmax`);
- numbers handed from one model to another model's ``fit`` as weights are
  rounded to a grid of ``2**-GRID_BITS`` of their scale (:func:`snap`): their
  noise is gone, and sums of them are exact, so that a learner that breaks
  ties on such sums (a decision tree choosing between two splits that cut
  the rows alike) breaks them the same way wherever it runs, and whether a
  row is given with weight 3 or three times.

``RTOL`` is far above the noise of a few ulps (``1e-16``) and far below any
difference that means something in a model's output.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np

__all__ = ["GRID_BITS", "RTOL", "at_most", "snap", "snap_columns", "stable_argmax"]

RTOL = 1e-9
GRID_BITS = 30


def _scale(values, scale):
    if scale is not None:
        return np.abs(np.asarray(scale, dtype=float))
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return float(np.abs(finite).max()) if finite.size else 0.0


def stable_argmax(values, axis=1, scale=None):
    """Index of the first maximum, counting values within ``RTOL`` as tied.

    ``np.argmax`` returns the first exact maximum, so two classes whose
    probabilities are equal in exact arithmetic but differ in the last bit
    (a soft vote of two members that disagree symmetrically, say) are told
    apart by rounding noise. Here every value within ``RTOL * scale`` of the
    maximum counts as the maximum, and the first of them wins.

    Parameters
    ----------
    values : array-like
        Scores, for example probabilities of shape (n_samples, n_classes).
    axis : int, default=1
        Axis along which to take the maximum.
    scale : float, default=None
        Scale of the values; the largest finite absolute value when None
        (1 for probabilities that reach 1).

    Returns
    -------
    index : ndarray of int
        Position of the first value within the margin of the maximum.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.5, 0.5 + 1e-16], [0.2, 0.8]])
    >>> np.argmax(p, axis=1)
    array([1, 1])
    >>> stable_argmax(p)
    array([0, 1])
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return np.argmax(values, axis=axis) if values.shape[axis] else np.zeros(
            np.delete(values.shape, axis), dtype=np.intp
        )
    top = np.max(values, axis=axis, keepdims=True)
    margin = RTOL * _scale(values, scale)
    return np.argmax(values >= top - margin, axis=axis)


def at_most(values, bound, scale=None):
    """``values <= bound`` with a margin of ``RTOL`` of the scale.

    A value that meets ``bound`` in exact arithmetic (the bound is often one
    of the values: a quantile of errors) meets it whatever its last bits.

    Parameters
    ----------
    values : array-like
        Values to compare, for example absolute errors.
    bound : float or array-like
        The threshold.
    scale : float, default=None
        Scale of the comparison; the larger of ``|bound|`` and the largest
        finite ``|values|`` when None.

    Returns
    -------
    mask : ndarray of bool

    Examples
    --------
    >>> import numpy as np
    >>> errors = np.array([0.1, 0.3 + 5e-17, 0.30001])
    >>> errors <= 0.3
    array([ True, False, False])
    >>> at_most(errors, 0.3)
    array([ True,  True, False])
    """
    values = np.asarray(values, dtype=float)
    bound = np.asarray(bound, dtype=float)
    if scale is None:
        finite = np.abs(bound[np.isfinite(bound)])
        scale = max(_scale(values, None), float(finite.max()) if finite.size else 0.0)
    return values <= bound + RTOL * np.asarray(scale, dtype=float)


def snap(values, scale=None, bits=GRID_BITS):
    """Round to multiples of ``2**-bits`` of the scale's power of two.

    Parameters
    ----------
    values : array-like
        Values to round, for example sample weights made from probabilities.
    scale : float, default=None
        Their scale; the largest finite absolute value when None.
    bits : int, default=GRID_BITS
        Bits of the grid below the scale.

    Returns
    -------
    snapped : ndarray of float64
        A new array; values that are already on the grid (integers, halves)
        are unchanged, and sums of up to ``2**(52 - bits)`` of them are exact.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([0.1, 0.1 + 2e-17, 0.7, 3.0])
    >>> s = snap(w)
    >>> bool(s[0] == s[1]), float(s[3]), float(abs(s[2] - 0.7)) < 1e-8
    (True, 3.0, True)
    """
    values = np.asarray(values, dtype=np.float64)
    top = _scale(values, scale)
    top = float(np.max(top)) if np.ndim(top) else float(top)
    if not np.isfinite(top) or top <= 0:
        return values.copy()
    step = np.ldexp(1.0, int(np.ceil(np.log2(top))) - bits)
    return np.round(values / step) * step


def snap_columns(X):
    """Each float of ``X`` rounded to ``GRID_BITS`` significant bits.

    The key by which rows are found equal (deduplication, the folds of the
    out-of-fold judge): rows a few ulps apart are one row, so a search that
    returns the same row twice with other last bits, or an input computed on
    another machine, groups alike. Each value is rounded on its own (its
    significand to ``2**-GRID_BITS``), so a row's key does not depend on the
    other rows it comes with. NaN and infinities stay; non-float columns (of
    a DataFrame) are left as they are.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or DataFrame

    Returns
    -------
    X_snapped : ndarray or DataFrame
        A new float64 array (a copy of the frame); ``X`` is not modified.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 10.0], [np.nextafter(1.0, 2.0), 10.0]])
    >>> Z = snap_columns(X)
    >>> bool((Z[0] == Z[1]).all())
    True
    """
    if hasattr(X, "iloc"):
        frame = X.copy()
        for name in frame.columns:
            if frame[name].dtype.kind == "f":
                frame[name] = _round_significand(frame[name].to_numpy(np.float64))
        return frame
    return _round_significand(np.asarray(X, dtype=np.float64))


def _round_significand(values, bits=GRID_BITS):
    with np.errstate(invalid="ignore"):
        mantissa, exponent = np.frexp(values)
        return np.ldexp(np.round(np.ldexp(mantissa, bits)), exponent - bits)
