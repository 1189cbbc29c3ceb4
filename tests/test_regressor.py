"""CooperativeDistillationRegressor: tolerance decides who teaches whom."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import load_diabetes
from sklearn.linear_model import RidgeCV
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.validation import validate_data

from skcoop import CooperativeDistillationRegressor
from skcoop.partition import DirichletPartitioner


class ColumnRegressor(RegressorMixin, BaseEstimator):
    """Predicts ``slope * x[feature]`` whatever it is fitted on."""

    def __init__(self, feature=0, slope=1.0):
        self.feature = feature
        self.slope = slope

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y)
        self.fit_rows_ = len(y)
        return self

    def predict(self, X):
        X = validate_data(self, X, reset=False)
        return self.slope * X[:, self.feature]


#               x0    x1     y   site   |a err| |b err|   (a predicts x0, b x1)
ROWS = np.array(
    [
        [1.1, 1.1, 1.1, 0],  #      0      0   (non-integers: features stay continuous)
        [2.0, 5.0, 2.2, 0],  #    0.2    2.8     -> a right, b wrong (tol 0.5)
        [3.0, 3.1, 3.0, 0],  #      0    0.1
        [0.0, 4.0, 1.0, 0],  #      1      3     a wrong
        [5.0, 4.0, 4.1, 1],  #    0.9    0.1     -> b right, a wrong
        [6.1, 6.1, 6.1, 1],  #      0      0
        [1.0, 9.0, 8.8, 1],  #    7.8    0.2     -> b right, a wrong
        [2.0, 2.0, 9.0, 1],  #      7      7     both wrong
    ]
)
X, Y, SITE = ROWS[:, :2], ROWS[:, 2], ROWS[:, 3].astype(int)


def _reg(**params):
    """The two column members with the paper's settings (unless overridden)."""
    paper = {"scope": "deficiency", "expertise": "in_sample", "guard": None}
    return CooperativeDistillationRegressor(
        [("a", ColumnRegressor(feature=0)), ("b", ColumnRegressor(feature=1))],
        **{**paper, **params},
    )


def test_absolute_tolerance_decides_expertise_exactly():
    reg = _reg(tolerance=0.5, random_state=0).fit(X, Y, site=SITE)
    assert reg.virtual_instances_["b"].source_index.tolist() == [1]
    assert reg.virtual_instances_["a"].source_index.tolist() == [4, 6]
    np.testing.assert_array_equal(reg.virtual_instances_["a"].y, [4.1, 8.8])
    assert dict(reg.tolerances_) == {"a": 0.5, "b": 0.5}
    rep = reg.transfer_report_
    assert rep["class"].tolist() == ["all", "all"]
    assert rep["qualifying"].tolist() == [1, 2]


def test_auto_tolerance_is_each_members_median_own_error():
    reg = _reg(random_state=0).fit(X, Y, site=SITE)
    # a's own errors: 0, .2, 0, 1 -> median (inverted cdf) 0; b's: .1, 0, .2, 7 -> 0.1
    assert reg.tolerances_["a"] == pytest.approx(0.0)
    assert reg.tolerances_["b"] == pytest.approx(0.1)
    # a right (error <= 0) only on rows 0 and 2 of its site; b wrong there by
    # a's bound on row 2 (0.1 > 0). b right (error <= 0.1) on rows 4 and 5;
    # a wrong there by b's bound on row 4 (0.9 > 0.1)
    rep = reg.transfer_report_
    assert dict(zip(rep["teacher"], rep["qualifying"])) == {"a": 1, "b": 1}
    assert reg.virtual_instances_["a"].source_index.tolist() == [4]


def test_virtual_rows_move_teacher_prediction_toward_truth():
    reg = _reg(tolerance=0.5, random_state=0).fit(X, Y, site=SITE)
    teacher = reg.named_initial_estimators_["b"]
    v = reg.virtual_instances_["a"]
    src = v.source_index
    before = np.abs(teacher.predict(X[src]) - Y[src])
    after = np.abs(teacher.predict(v.X) - Y[src])
    assert np.all(after <= before)


def test_nan_target_is_rejected():
    y = Y.copy()
    y[3] = np.nan
    with pytest.raises(ValueError, match="y contains NaN or infinity: 1 of 8"):
        _reg().fit(X, y, site=SITE)


def test_non_numeric_target_is_rejected():
    with pytest.raises(ValueError, match="numeric target"):
        _reg().fit(X, np.array(list("abcdefgh"), dtype=object), site=SITE)


def test_member_without_predict_is_named():
    class NoPredict(BaseEstimator):
        def fit(self, X, y):
            return self

    with pytest.raises(TypeError, match="Member 'np' .* does not implement predict"):
        CooperativeDistillationRegressor(
            [("a", ColumnRegressor()), ("np", NoPredict())]
        ).fit(X, Y)


@pytest.mark.parametrize("seed", range(3))
def test_members_gain_on_skewed_diabetes(seed):
    Xd, yd = load_diabetes(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(Xd, yd, test_size=0.3, random_state=seed)
    # sites skewed on the target: each holds mostly low, mid or high values
    band = np.digitize(ytr, np.quantile(ytr, [1 / 3, 2 / 3]))
    site = DirichletPartitioner(
        3, alpha=0.3, min_partition_size=30, random_state=seed
    ).split(Xtr, band)
    reg = CooperativeDistillationRegressor(
        [
            ("ridge", make_pipeline(StandardScaler(), RidgeCV())),
            ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
            ("knn", KNeighborsRegressor(10)),
        ],
        random_state=seed,
    ).fit(Xtr, ytr, site=site)
    before = [e.score(Xte, yte) for e in reg.initial_estimators_]
    after = [e.score(Xte, yte) for e in reg.estimators_]
    assert np.mean(after) > np.mean(before) + 0.05, (before, after)
