"""One module per experiment: ``NAME``, ``TITLE`` and ``tasks(seed, quick)``.

``tasks`` yields :class:`harness.Task` objects (one per data distribution) and
raises :class:`skcoop.datasets.DatasetNotAvailableError` when an optional
data package is missing, which skips the experiment.
"""

ORDER = [
    "a_kd_comparison",
    "b_fashion_semi_experts",
    "c_algorithms",
    "d_german_credit",
    "e_heart_hospitals",
    "f_car_prices",
    "g_feature_overlap",
    "h_natural_sites",
    "i_public_set",
]
