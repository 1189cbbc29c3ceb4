"""Heart disease (Cleveland, via scikit-lego) and simulated hospitals."""

# SPDX-License-Identifier: BSD-3-Clause

from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import validate_params

from ..utils import count
from ._base import _bunch, _pandas, _require

HEART_FEATURES = [
    "age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang",
    "oldpeak", "slope", "ca", "thal",
]  # fmt: skip
HEART_CATEGORICAL = ["sex", "cp", "fbs", "restecg", "exang", "slope", "thal"]

_HEART_DESCR = """\
Heart disease, Cleveland Clinic (Detrano et al. 1989, UCI), as packaged by
scikit-lego (sklego.datasets.load_hearts): 303 patients, 13 attributes.

Target ("target", int64): 1 = heart disease, 0 = none, as coded in this
packaged copy (83 of 303 positive). NB: this copy differs from the UCI
processed.cleveland.data file, where about 45% have num > 0; cp also takes
the value 0 in 4 rows (UCI: 1-4), ca has no missing values (UCI: 4 missing),
and thal holds the undocumented codes "1" and "2" in one row each (UCI: 2
rows missing). Results are not directly comparable with those on the UCI file.

Columns, kept in their raw form: age (years, int), sex (1 male, 0 female), cp
(chest pain type: 1 typical angina, 2 atypical angina, 3 non-anginal, 4
asymptomatic), trestbps (resting blood pressure, mm Hg), chol (serum
cholesterol, mg/dl), fbs (fasting blood sugar > 120 mg/dl, 1/0), restecg
(resting ECG: 0 normal, 1 ST-T abnormality, 2 left ventricular hypertrophy),
thalach (maximum heart rate), exang (exercise-induced angina, 1/0), oldpeak
(ST depression by exercise, float), slope (of the peak exercise ST segment: 1
up, 2 flat, 3 down), ca (major vessels coloured by fluoroscopy, 0-3), thal
(pandas category: "normal", "fixed" defect, "reversible" defect, and the
stray "1", "2"). All but oldpeak and thal are int64. categorical_features
lists the nominal columns (sex, cp, fbs, restecg, exang, slope, thal).

The UCI heart-disease collection has three more hospitals (Hungarian
Institute of Cardiology, University Hospitals Zurich and Basel, V.A. Long
Beach) that do not ship offline; hospital_sites() simulates them.
"""


@validate_params(
    {"return_X_y": ["boolean"], "as_frame": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_heart_disease(return_X_y=False, as_frame=True):
    """Load the Cleveland heart-disease data (303 rows, 13 attributes).

    Install it with ``pip install scikit-lego``. See ``DESCR`` for the columns
    and for how this copy differs from the UCI file. Use
    :func:`hospital_sites` to split it into simulated hospitals.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=True
        Return ``data`` as a DataFrame and ``target`` as a Series. With
        ``as_frame=False``, ``data`` is an object array (``thal`` is text).

    Returns
    -------
    data : Bunch or tuple
        ``data`` (303, 13), ``target`` int64 (1 = disease), ``feature_names``,
        ``target_names`` ``["no disease", "disease"]``, ``categorical_features``,
        ``frame``, ``DESCR``.
    """
    pd = _pandas("heart_disease")
    sklego_datasets = _require("sklego.datasets", "heart_disease")
    frame = sklego_datasets.load_hearts(as_frame=True).copy()
    frame["thal"] = pd.Categorical(frame["thal"].astype(str))
    frame["target"] = frame["target"].astype(np.int64)
    return _bunch(
        frame,
        "target",
        return_X_y,
        as_frame,
        target_names=["no disease", "disease"],
        categorical_features=list(HEART_CATEGORICAL),
        DESCR=_HEART_DESCR,
    )


# Simulated hospitals: (name, size in the UCI collection, columns the site lacks).
HEART_HOSPITALS = [
    ("cleveland", 303, []),
    ("hungarian", 294, ["ca", "thal", "slope"]),
    ("va_long_beach", 200, ["ca", "thal", "slope"]),
    ("switzerland", 123, ["ca", "chol", "fbs"]),
]


@validate_params(
    {
        "X": ["array-like", count(1)],
        "n_sites": [count(2, 4, closed="both")],
        "proportions": ["array-like", None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def hospital_sites(X, n_sites=4, proportions=None, random_state=None):
    """Assign heart-disease rows to simulated hospitals with missing columns.

    The UCI heart-disease collection comes from four hospitals; only
    Cleveland's records ship offline, and the other three recorded some
    attributes for few or none of their patients. This simulation splits the
    Cleveland rows at random among ``n_sites`` hospitals and gives each site
    the columns its real counterpart mostly had:

    ============== ===== ==================================================
    site           size  columns it lacks (mostly missing in the UCI files)
    ============== ===== ==================================================
    cleveland      303   none
    hungarian      294   ca, thal, slope
    va_long_beach  200   ca, thal, slope
    switzerland    123   ca, chol (recorded as 0 for every patient), fbs
    ============== ===== ==================================================

    ``n_sites=3`` drops Switzerland, ``n_sites=2`` keeps Cleveland and
    Hungarian. Rows are split in proportion to the real hospital sizes unless
    ``proportions`` is given; each site gets at least one row.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features) or int
        The rows to assign (a DataFrame from :func:`load_heart_disease`), or
        their number. Columns a site lacks are listed whether or not ``X``
        has them.
    n_sites : {2, 3, 4}, default=4
        Number of hospitals.
    proportions : array-like of shape (n_sites,), default=None
        Share of the rows per site, in the table's order; normalised to sum
        to 1. None uses the real hospital sizes.
    random_state : int, RandomState instance or None, default=None
        Seeds the assignment.

    Returns
    -------
    site : ndarray of shape (n_samples,), dtype=object
        The site name of each row.
    site_columns : dict of str to list of str
        Columns each site holds: the columns of ``X`` (or of the Cleveland
        data if ``X`` has none) minus those it lacks.
    """
    hospitals = HEART_HOSPITALS[:n_sites]
    n = X if isinstance(X, Integral) else len(X)
    if proportions is None:
        shares = np.array([size for _, size, _ in hospitals], dtype=float)
    else:
        shares = np.asarray(proportions, dtype=float)
        bad = shares.shape != (n_sites,) or not np.isfinite(shares).all()
        if bad or np.any(shares < 0) or shares.sum() <= 0:
            raise ValueError(
                f"proportions must be {n_sites} finite non-negative numbers with a "
                f"positive sum, one per site; got {proportions!r}."
            )
    if n < n_sites:
        raise ValueError(f"Cannot split {n} rows among {n_sites} sites.")
    counts = np.maximum(np.floor(shares / shares.sum() * n).astype(int), 1)
    counts[np.argmax(counts)] += n - counts.sum()
    names = np.array([name for name, _, _ in hospitals], dtype=object)
    site = check_random_state(random_state).permutation(np.repeat(names, counts))
    columns = list(getattr(X, "columns", HEART_FEATURES))
    site_columns = {
        name: [c for c in columns if c not in lacks] for name, _, lacks in hospitals
    }
    return site, site_columns
