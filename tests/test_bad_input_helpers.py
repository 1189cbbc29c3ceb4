"""Helpers validate too: counts, federated helpers, privacy, metrics, partitioners,
dataset loaders, searches and the Flower apps' entry points.

A bool is never a count: every constraint built with ``skcoop.utils.count``
(or ``number``) refuses ``True``, which scikit-learn's ``Interval`` lets
through; the table below is collected from the estimators themselves, so a
new count parameter is covered without editing this file.
"""

import numpy as np
import pytest
from _bad import expect
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.utils._param_validation import InvalidParameterError

from skcoop import (
    CooperativeDistillationEnsemble,
    CooperativeDistillationRegressor,
    CounterfactualDistiller,
)
from skcoop.counterfactual import (
    BisectionSearch,
    BlackBoxSearch,
    ExactSearch,
    make_search,
)
from skcoop.distill import MutualLearningDistiller, SoftTargetDistiller
from skcoop.federated import (
    CooperativeConsolidator,
    KDConsolidator,
    count_rounds,
    fedavg_average,
    rounds_to_target,
    teacher_proba,
)
from skcoop.metrics import plausibility, proximity, sparsity, validity
from skcoop.partition import (
    ClassExclusionPartitioner,
    DirichletPartitioner,
    FeatureViewPartitioner,
    IIDPartitioner,
    QuantitySkewPartitioner,
)
from skcoop.privacy import (
    audit_release,
    distance_to_closest_record,
    guard_release,
    membership_inference,
    reconstruction_risk,
    site_scale,
    tpr_at_fpr,
)
from skcoop.utils._constraints import _NoBoolInterval

rng = np.random.RandomState(0)
X = rng.normal(size=(40, 3))
Y = (np.arange(40) // 2) % 2
HOLD = rng.normal(size=(20, 3)) + 5.0  # never equal to a row of X
NB = GaussianNB().fit(X, Y)
LR = LogisticRegression().fit(X, Y)
EMPTY = np.zeros((0, 3))
IPE = InvalidParameterError

# ------------------------------------------------------------ bools as counts
ESTIMATORS = {
    "ensemble": lambda: CooperativeDistillationEnsemble([("nb", GaussianNB())]),
    "regressor": lambda: CooperativeDistillationRegressor([("nb", GaussianNB())]),
    "distiller": CounterfactualDistiller,
    "blackbox": BlackBoxSearch,
    "bisection": BisectionSearch,
    "exact": ExactSearch,
    "soft_target": SoftTargetDistiller,
    "mutual": MutualLearningDistiller,
    "kd_consolidator": lambda: KDConsolidator([NB], 2),
    "coop_consolidator": lambda: CooperativeConsolidator([("nb", GaussianNB())]),
    "iid": lambda: IIDPartitioner(n_sites=2),
    "dirichlet": lambda: DirichletPartitioner(n_sites=2, alpha=1.0),
    "quantity": lambda: QuantitySkewPartitioner(n_sites=2),
    "exclusion": lambda: ClassExclusionPartitioner(n_sites=2),
    "views": lambda: FeatureViewPartitioner(n_sites=2),
}


def _count_params():
    cases = []
    for key, make in ESTIMATORS.items():
        for param, constraints in type(make())._parameter_constraints.items():
            if any(isinstance(c, _NoBoolInterval) for c in constraints):
                cases.append(f"{key}.{param}")
    return sorted(cases)


COUNT_PARAMS = _count_params()


def test_every_count_of_the_main_estimators_is_covered():
    for name in ("ensemble.n_rounds", "ensemble.oof_folds", "ensemble.prototype_k"):
        assert name in COUNT_PARAMS


@pytest.mark.parametrize("case", COUNT_PARAMS)
def test_a_bool_is_not_a_count(case):
    key, param = case.split(".")
    est = ESTIMATORS[key]().set_params(**{param: True})
    expect(
        est._validate_params, IPE, rf"'{param}' parameter .*\(not a bool\).* Got True"
    )


# ---------------------------------------------------------------- federated
FEDAVG_BAD = {
    "missing-param": (
        [{"w": np.ones(2), "b": np.ones(1)}, {"w": np.ones(2)}],
        [1, 1],
        r"Client 1 lacks \['b'\]",
    ),
    "extra-param": (
        [{"w": np.ones(2)}, {"w": np.ones(2), "b": np.ones(1)}],
        [1, 1],
        r"has \['b'\] that client 0 does not",
    ),
    "shapes": (
        [{"w": np.ones(2)}, {"w": np.ones((3, 2))}],
        [1, 1],
        r"'w' has shape \(3, 2\) at client 1 but \(2,\) at client 0",
    ),
    "nan": ([{"w": np.ones(2)}, {"w": np.array([np.nan, 1])}], [1, 1], "NaN"),
    "strings": ([{"w": np.ones(2)}, {"w": ["a", "b"]}], [1, 1], "array of numbers"),
    "no-clients": ([], [], "at least one client"),
    "counts-short": ([{"w": np.ones(2)}] * 2, [1], "one row count per client"),
    "counts-negative": ([{"w": np.ones(2)}] * 2, [1, -1], "non-negative"),
    "counts-zero": ([{"w": np.ones(2)}] * 2, [0, 0], "positive total"),
    "counts-nan": ([{"w": np.ones(2)}] * 2, [1, np.nan], "non-negative"),
    "counts-strings": ([{"w": np.ones(2)}] * 2, ["a", "b"], "must be numbers"),
    "client-not-mapping": ([{"w": np.ones(2)}, [1, 2]], [1, 1], "must be a mapping"),
    "clients-a-dict": ({"w": np.ones(2)}, [1], "must be a list"),
}


@pytest.mark.parametrize("key", sorted(FEDAVG_BAD))
def test_fedavg_average_refuses(key):
    clients, counts, match = FEDAVG_BAD[key]
    expect(lambda: fedavg_average(clients, counts), (ValueError, TypeError), match)


TEACHER_BAD = {
    "weights-negative": ([NB, LR], [2, -1], "finite and non-negative"),
    "weights-one-for-two": ([NB, LR], [1], r"one entry per teacher \(2\)"),
    "weights-three-for-two": ([NB, LR], [1, 1, 1], "one entry per teacher"),
    "weights-zero": ([NB, LR], [0, 0], "not be all zero"),
    "weights-nan": ([NB, LR], [np.nan, 1], "finite"),
    "weights-strings": ([NB, LR], ["a", "b"], "must be numbers"),
    "no-teachers": ([], None, "non-empty list"),
    "teachers-not-list": (NB, None, "non-empty list"),
}


@pytest.mark.parametrize("key", sorted(TEACHER_BAD))
def test_teacher_proba_refuses(key):
    teachers, weights, match = TEACHER_BAD[key]
    expect(lambda: teacher_proba(teachers, X, 2, weights=weights), ValueError, match)


def test_teacher_proba_with_good_weights_is_a_probability():
    p = teacher_proba([NB, LR], X, 2, weights=[2, 1])
    assert p.min() >= 0 and p.max() <= 1
    np.testing.assert_allclose(p.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "curve,target,match",
    [
        ([], 0.5, "non-empty 1-D"),
        ([[0.1, 0.2]], 0.5, "non-empty 1-D"),
        ([0.1, np.nan], 0.5, "must not hold NaN"),
        (["a"], 0.5, "must be numbers"),
        ([0.1], "high", "target must be a number"),
        ([0.1], True, "target must be a number"),
    ],
)
def test_rounds_to_target_refuses(curve, target, match):
    expect(lambda: rounds_to_target(curve, target), ValueError, match)


@pytest.mark.parametrize(
    "rounds,match",
    [(-1, "non-negative integer. Got -1"), (True, "bool"), (1.5, "Got 1.5")],
)
def test_count_rounds_refuses(rounds, match):
    expect(
        lambda: count_rounds([0.1], 0.5, consolidation_rounds=rounds), ValueError, match
    )


def test_kd_consolidator_checks_teacher_weights():
    kd = KDConsolidator([NB, LR], 2, teacher_weights=[2, -1], random_state=0)
    expect(lambda: kd.fit(X), ValueError, "finite and non-negative", X)


# ------------------------------------------------------------------ privacy
PRIVACY_BAD = {
    "mia-radius-negative": (
        lambda: membership_inference(X[:5], X, HOLD, radius=-1.0),
        "radius must be a positive, finite distance .* Got -1.0",
    ),
    "mia-radius-zero": (
        lambda: membership_inference(X[:5], X, HOLD, radius=0.0),
        "radius must be a positive",
    ),
    "mia-radius-inf": (
        lambda: membership_inference(X[:5], X, HOLD, radius=np.inf),
        "radius must be a positive, finite",
    ),
    "mia-radius-bool": (
        lambda: membership_inference(X[:5], X, HOLD, radius=True),
        "radius must be",
    ),
    "mia-prototype_k-zero": (
        lambda: membership_inference(X[:5], X, HOLD, prototype_k=0),
        "prototype_k must be a positive integer",
    ),
    "mia-prototype_k-bool": (
        lambda: membership_inference(X[:5], X, HOLD, prototype_k=True),
        "A bool is not a count",
    ),
    "mia-empty-members": (
        lambda: membership_inference(X[:5], EMPTY, HOLD),
        "X_members needs at least 2 rows",
    ),
    "mia-empty-released": (
        lambda: membership_inference(EMPTY, X, HOLD),
        "released has 0 rows",
    ),
    "mia-labels-short": (
        lambda: membership_inference(
            X[:5], X, HOLD, y_members=Y[:3], y_nonmembers=np.zeros(20)
        ),
        "one label per candidate",
    ),
    "audit-radius-negative": (
        lambda: audit_release(X[:5], X, HOLD, radius=-0.5),
        "radius must be a positive, finite distance .* Got -0.5",
    ),
    "audit-prototype_k-bool": (
        lambda: audit_release(X[:5], X, HOLD, prototype_k=True),
        "A bool is not a count",
    ),
    "audit-holdout-overlaps": (
        lambda: audit_release(X[:5], X, X),
        "X_holdout must be records the site never used",
    ),
    "dcr-empty-released": (
        lambda: distance_to_closest_record(EMPTY, X, HOLD),
        "released has 0 rows",
    ),
    "dcr-empty-site": (
        lambda: distance_to_closest_record(X[:5], EMPTY, HOLD),
        "X_site needs at least 2 rows",
    ),
    "dcr-nan": (
        lambda: distance_to_closest_record(np.where(X > 1, np.nan, X), X, HOLD),
        "Input released contains NaN",
    ),
    "dcr-width": (
        lambda: distance_to_closest_record(X[:, :2], X, HOLD),
        "released must have the 3 columns of X_site. Got 2",
    ),
    "dcr-scale-negative": (
        lambda: distance_to_closest_record(X[:5], X, HOLD, scale=-np.ones(3)),
        "scale must be positive and finite",
    ),
    "dcr-scale-length": (
        lambda: distance_to_closest_record(X[:5], X, HOLD, scale=np.ones(2)),
        r"scale must hold one unit per feature \(3\)",
    ),
    "reconstruction-width": (
        lambda: reconstruction_risk(X[:5, :2], X),
        "released must have the 3 columns",
    ),
    "tpr-one-class": (
        lambda: tpr_at_fpr([1, 1, 1], [0.1, 0.2, 0.3], 0.1),
        r"both members \(1\) and non-members \(0\) to give rates. Got the labels \[1\]",
    ),
    "tpr-empty": (lambda: tpr_at_fpr([], [], 0.1), "Got the labels \\[\\]"),
    "tpr-other-labels": (
        lambda: tpr_at_fpr([0, 2], [0.1, 0.2], 0.1),
        r"Got the labels \[0, 2\]",
    ),
    "tpr-fpr-out": (lambda: tpr_at_fpr([0, 1], [0.1, 0.2], 1.5), "fpr must be in"),
    "tpr-fpr-bool": (lambda: tpr_at_fpr([0, 1], [0.1, 0.2], True), "fpr must be in"),
    "tpr-lengths": (
        lambda: tpr_at_fpr([0, 1, 0], [0.1, 0.2], 0.1),
        r"inconsistent numbers of samples: \[3, 2\]",
    ),
    "site_scale-empty": (lambda: site_scale(EMPTY), "0 sample"),
    "site_scale-nan": (
        lambda: site_scale(np.where(X > 1, np.nan, X)),
        "X_site contains NaN",
    ),
    "guard-prototype_k-zero": (
        lambda: guard_release(X[:5], Y[:5], X, Y, prototype_k=0),
        "'prototype_k' parameter",
    ),
    "guard-prototype_k-bool": (
        lambda: guard_release(X[:5], Y[:5], X, Y, prototype_k=True),
        r"'prototype_k' parameter .*\(not a bool\)",
    ),
    "guard-min_distance": (
        lambda: guard_release(X[:5], Y[:5], X, Y, min_distance=-1.0),
        "'min_distance' parameter",
    ),
    "guard-labels-short": (
        lambda: guard_release(X[:5], Y[:3], X, Y, prototype_k=2),
        r"one label per row of X_virtual \(5\)",
    ),
    "guard-width": (
        lambda: guard_release(X[:5, :2], Y[:5], X, Y, prototype_k=2),
        "X_virtual must have the 3 columns of X_site",
    ),
    "guard-n_steps-bool": (
        lambda: guard_release(X[:5], Y[:5], X, Y, min_distance=0.5, n_steps=True),
        "'n_steps' parameter",
    ),
}


@pytest.mark.parametrize("key", sorted(PRIVACY_BAD))
def test_privacy_refuses(key):
    call, match = PRIVACY_BAD[key]
    expect(call, ValueError, match, X, Y, HOLD)


def test_guard_release_with_a_single_class_works():
    y1 = np.zeros(40, dtype=int)
    out = guard_release(X[:5], y1[:5], X, y1, prototype_k=3)
    assert out.X.shape[1] == 3 and set(out.y.tolist()) <= {0}


# ------------------------------------------------------------------ metrics
METRIC_BAD = {
    "validity-lengths": (lambda: validity(LR, X, Y[:5]), "one target per row of X_cf"),
    "validity-confidence": (
        lambda: validity(LR, X, Y, confidence=2.0),
        "'confidence' parameter",
    ),
    "validity-unknown-class": (
        lambda: validity(LR, X[:2], [5, 5], confidence=0.5),
        r"y_target holds \[5\], not classes of the model",
    ),
    "validity-reduce": (lambda: validity(LR, X, Y, reduce="avg"), "'reduce' parameter"),
    "proximity-shapes": (lambda: proximity(X, X[:5]), "must have the same shape"),
    "proximity-nan": (
        lambda: proximity(X, np.where(X > 1, np.nan, X)),
        "Input X_cf contains NaN",
    ),
    "proximity-scale-length": (
        lambda: proximity(X, X, scale=np.ones(2)),
        r"one unit per feature \(3\)",
    ),
    "proximity-scale-zero": (
        lambda: proximity(X, X, scale=np.zeros(3)),
        "scale must be positive",
    ),
    "sparsity-atol": (lambda: sparsity(X, X, atol=-1), "'atol' parameter"),
    "sparsity-shapes": (lambda: sparsity(X, X[:, :2]), "same shape"),
    "plausibility-lengths": (
        lambda: plausibility(X, Y[:5], X, Y),
        "one label per row of X_cf and X_ref",
    ),
    "plausibility-class-without-reference": (
        lambda: plausibility(X[:2], [7, 7], X, Y),
        r"y_target holds the classes \[7\], of which X_ref has no row",
    ),
    "plausibility-width": (
        lambda: plausibility(X[:, :2], Y, X, Y),
        "X_cf has 2 features but X_ref has 3",
    ),
}


@pytest.mark.parametrize("key", sorted(METRIC_BAD))
def test_metrics_refuse(key):
    call, match = METRIC_BAD[key]
    expect(call, ValueError, match, X, Y)


def test_plausibility_per_row_keeps_inf_for_a_class_without_reference():
    d = plausibility(X[:2], [7, 0], X, Y, reduce=None)
    assert np.isinf(d[0]) and np.isfinite(d[1])


# ------------------------------------------------------------- partitioners
PARTITION_BAD = {
    "iid-n_sites-bool": (lambda: IIDPartitioner(n_sites=True), X, Y, "'n_sites'"),
    "iid-more-sites-than-rows": (
        lambda: IIDPartitioner(n_sites=50),
        X,
        Y,
        "Cannot give each of n_sites=50 sites",
    ),
    "iid-no-rows": (lambda: IIDPartitioner(n_sites=2), EMPTY, Y[:0], "only 0 rows"),
    "dirichlet-alpha-bool": (
        lambda: DirichletPartitioner(n_sites=2, alpha=True),
        X,
        Y,
        "'alpha' parameter",
    ),
    "dirichlet-alpha-zero": (
        lambda: DirichletPartitioner(n_sites=2, alpha=0.0),
        X,
        Y,
        "'alpha' parameter",
    ),
    "dirichlet-min-size-bool": (
        lambda: DirichletPartitioner(n_sites=2, alpha=1.0, min_partition_size=True),
        X,
        Y,
        "'min_partition_size'",
    ),
    "dirichlet-max-tries-zero": (
        lambda: DirichletPartitioner(n_sites=2, alpha=1.0, max_tries=0),
        X,
        Y,
        "'max_tries'",
    ),
    "quantity-alpha-negative": (
        lambda: QuantitySkewPartitioner(n_sites=2, alpha=-1),
        X,
        Y,
        "'alpha' parameter",
    ),
    "quantity-too-many-sites": (
        lambda: QuantitySkewPartitioner(n_sites=30),
        X,
        Y,
        "at least 300 needed",
    ),
    "exclusion-more-sites-than-classes": (
        lambda: ClassExclusionPartitioner(n_sites=5),
        X,
        Y,
        "needs as many sites as classes; got n_sites=5 and 2 classes",
    ),
    "views-n_sites-zero": (
        lambda: FeatureViewPartitioner(n_sites=0),
        X,
        Y,
        "'n_sites' parameter",
    ),
}


@pytest.mark.parametrize("key", sorted(PARTITION_BAD))
def test_partitioners_refuse(key):
    make, X_in, y_in, match = PARTITION_BAD[key]
    part = make()
    expect(lambda: part.split(X_in, y_in), ValueError, match, X_in, y_in)


def test_feature_view_with_more_sites_than_columns():
    part = FeatureViewPartitioner(n_sites=5)
    expect(lambda: part.split_columns(X), ValueError, r"Sites \[3, 4\] get no column")


# ---------------------------------------------------------------- datasets
def _datasets():
    from skcoop import datasets

    return datasets


DATASET_BAD = {
    "cars-threshold-without-binarize": (
        lambda d: d.load_car_prices(threshold=3.0),
        "threshold=3.0 only applies with binarize=True",
    ),
    "cars-threshold-nan": (
        lambda d: d.load_car_prices(binarize=True, threshold=float("nan")),
        "threshold must be a finite price",
    ),
    "cars-threshold-str": (
        lambda d: d.load_car_prices(binarize=True, threshold="x"),
        "'threshold' parameter",
    ),
    "heart-return_X_y": (
        lambda d: d.load_heart_disease(return_X_y="yes"),
        "'return_X_y' parameter",
    ),
    "german-raw": (lambda d: d.load_german_credit(raw="no"), "'raw' parameter"),
    "ames-as_frame": (lambda d: d.load_ames(as_frame=2), "'as_frame' parameter"),
    "mnist-n_samples-bool": (
        lambda d: d.load_fashion_mnist(n_samples=True),
        r"'n_samples' parameter .*\(not a bool\)",
    ),
    "mnist-subset": (lambda d: d.load_fashion_mnist(subset="val"), "'subset'"),
    "hospital-n_sites": (lambda d: d.hospital_sites(100, n_sites=5), "'n_sites'"),
    "hospital-X-bool": (lambda d: d.hospital_sites(True), "'X' parameter"),
    "hospital-proportions-nan": (
        lambda d: d.hospital_sites(100, proportions=[np.nan, 1, 1, 1]),
        "4 finite non-negative numbers",
    ),
    "hospital-proportions-length": (
        lambda d: d.hospital_sites(100, proportions=[1, 1]),
        "4 finite non-negative numbers",
    ),
}


@pytest.mark.parametrize("key", sorted(DATASET_BAD))
def test_dataset_loaders_refuse(key):
    call, match = DATASET_BAD[key]
    expect(lambda: call(_datasets()), ValueError, match)


# ----------------------------------------------------------------- searches
SEARCH_BAD = {
    "make_search-name": (lambda: make_search("magic", LR), "got 'magic'"),
    "make_search-int": (lambda: make_search(3, LR), "got 3"),
    "exact-not-fitted": (
        lambda: ExactSearch().generate(LR, X, Y),
        "This ExactSearch instance is not fitted",
    ),
    "exact-n_iter-bool": (lambda: ExactSearch(n_iter=True).fit(X, Y), "'n_iter'"),
    "exact-max_cuts": (lambda: ExactSearch(max_cuts=-1).fit(X, Y), "'max_cuts'"),
    "blackbox-empty-reference": (
        lambda: BlackBoxSearch().fit(EMPTY, Y[:0]),
        "0 sample",
    ),
    "blackbox-nan-reference": (
        lambda: BlackBoxSearch().fit(np.where(X > 1, np.nan, X), Y),
        "X_ref contains NaN",
    ),
    "blackbox-generate-width": (
        lambda: BlackBoxSearch().fit(X, Y).generate(LR, X[:, :2], Y),
        "X has 2 features, but BlackBoxSearch was fitted with 3",
    ),
    "blackbox-generate-lengths": (
        lambda: BlackBoxSearch().fit(X, Y).generate(LR, X, Y[:3]),
        "same number of rows. Got 40 and 3",
    ),
    "blackbox-unknown-class": (
        lambda: BlackBoxSearch().fit(X, Y).generate(LR, X[:2], np.array([5, 5])),
        r"Target classes \[5\] are not classes of the model "
        r"\(model.classes_ = \[0, 1\]\)",
    ),
    "bisection-n_iter-bool": (
        lambda: BisectionSearch(n_iter=True).fit(X, Y),
        "'n_iter'",
    ),
}


@pytest.mark.parametrize("key", sorted(SEARCH_BAD))
def test_searches_refuse(key):
    call, match = SEARCH_BAD[key]
    expect(call, ValueError, match, X, Y)


# ------------------------------------------------------------ Flower apps
def _flower():
    pytest.importorskip("flwr")
    pytest.importorskip("skops")
    from skcoop.flower.cooperative import Site, make_server_app
    from skcoop.flower.fedavg import FedAvgJob

    return Site, make_server_app, FedAvgJob


SITE_BAD = {
    "name-empty": (dict(name=""), "Site name must be a non-empty str"),
    "estimator": (dict(estimator="nb"), "estimator must be an estimator with fit"),
    "y-short": (dict(y=Y[:5]), r"y must hold one label per row of X \(40\)"),
    "X-1d": (dict(X=X[:, 0]), "X must be 2-D"),
    "test-half": (dict(X_test=X), "give both X_test and y_test"),
    "test-short": (dict(X_test=X, y_test=Y[:3]), "y_test must hold one label"),
    "columns-on-array": (dict(columns=["a"]), "X is not a DataFrame"),
    "teach_params-unknown": (
        dict(teach_params={"alhpa": 0.3}),
        r"teach_params holds \['alhpa'\], which are not settings of teach",
    ),
    "teach_params-fixed": (
        dict(teach_params={"round": 2}),
        r"must not set \['round'\]",
    ),
}


@pytest.mark.parametrize("key", sorted(SITE_BAD))
def test_flower_site_refuses(key):
    Site, _, _ = _flower()
    kw = {"name": "a", "estimator": GaussianNB(), "X": X, "y": Y, **SITE_BAD[key][0]}
    expect(lambda: Site(**kw), (ValueError, TypeError), SITE_BAD[key][1])


SERVER_BAD = {
    "n_rounds-zero": (dict(n_rounds=0), "n_rounds must be a positive integer"),
    "n_rounds-bool": (dict(n_rounds=True), "A bool is not a count"),
    "min_sites": (dict(min_sites=0), "min_sites must be a positive integer"),
    "timeout": (dict(timeout=-1.0), "timeout must be a positive finite number"),
    "random_state": (dict(random_state=-3), "random_state must be a non-negative"),
    "teach_params-type": (dict(teach_params=[1]), "teach_params must be a dict"),
    "teach_params-unknown": (
        dict(teach_params={"alhpa": 0.3}),
        r"holds \['alhpa'\], which are not settings of teach",
    ),
    "teach_params-not-json": (
        dict(teach_params={"counterfactual": BlackBoxSearch()}),
        "travels to the sites as JSON",
    ),
    "learn_params-unknown": (
        dict(learn_params={"weight": 2.0}),
        r"holds \['weight'\], which are not settings of learn",
    ),
}


@pytest.mark.parametrize("key", sorted(SERVER_BAD))
def test_flower_server_app_refuses(key):
    _, make_server_app, _ = _flower()
    kw, match = SERVER_BAD[key]
    expect(lambda: make_server_app(**kw), ValueError, match)


def _job(**kw):
    weights = {"hidden.weight": np.zeros((4, 3)), "out.weight": np.zeros((2, 4))}
    args = dict(
        name="j",
        client_data=[(X[:20], Y[:20]), (X[20:], Y[20:])],
        initial_weights=weights,
        X_test=X,
        y_test=Y,
    )
    args.update(kw)
    return args


JOB_BAD = {
    "name": (dict(name=""), "FedAvgJob name must be a non-empty str"),
    "client_data-empty": (dict(client_data=[]), "non-empty list of \\(X, y\\)"),
    "client_data-not-pairs": (
        dict(client_data=[X]),
        r"client_data\[0\] must be a pair",
    ),
    "client-y-short": (
        dict(client_data=[(X, Y[:3])]),
        r"client 0's y must hold one label per row",
    ),
    "weights": (
        dict(initial_weights={}),
        r"they lack \['hidden.weight', 'out.weight'\]",
    ),
    "n_rounds-bool": (dict(n_rounds=True), "A bool is not a count"),
    "local_epochs": (dict(local_epochs=0), "local_epochs must be a positive"),
    "batch_size": (dict(batch_size=0), "batch_size must be a positive"),
    "lr": (dict(lr=0.0), "lr must be a positive finite number"),
    "seed": (dict(seed=-1), "seed must be a non-negative"),
    "stop_at": (dict(stop_at=1.5), r"stop_at must be an accuracy in \[0, 1\]"),
    "test-short": (dict(y_test=Y[:3]), "y_test must hold one label"),
}


@pytest.mark.parametrize("key", sorted(JOB_BAD))
def test_flower_fedavg_job_refuses(key):
    _, _, FedAvgJob = _flower()
    kw, match = JOB_BAD[key]
    expect(lambda: FedAvgJob(**_job(**kw)), ValueError, match)


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(n_sites=1), "n_sites must be an integer >= 2"),
        (dict(n_sites=True), "A bool is not a count"),
        (dict(timeout=0.0), "timeout must be a positive"),
        (dict(site_fn="site"), "site_fn must be a function"),
    ],
)
def test_flower_run_cooperative_refuses_before_starting(kw, match):
    _flower()
    from skcoop.flower.cooperative import run_cooperative

    args = {"site_fn": lambda config: None, "n_sites": 2, **kw}
    site_fn = args.pop("site_fn")
    expect(lambda: run_cooperative(site_fn, **args), (ValueError, TypeError), match)
