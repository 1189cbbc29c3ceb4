"""scikit-learn's estimator checks on KDNeuralNetClassifier (needs torch, skorch).

It is a skorch ``NeuralNetClassifier`` with three extra parameters, and
inherits skorch's design: torch tensors of one dtype, no scikit-learn input
validation, parameters checked when set. Those checks fail for skorch's own
``NeuralNetClassifier`` as well; each is listed with its reason.
"""

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402
from torch import nn  # noqa: E402

from skcoop.distill import KDNeuralNetClassifier  # noqa: E402


class _Linear(nn.Module):
    def __init__(self, n_out=3):
        super().__init__()
        self.layer = nn.LazyLinear(n_out)

    def forward(self, X):
        return self.layer(X.float())


_SKORCH = "inherited from skorch.NeuralNetClassifier: "
EXPECTED_FAILED_CHECKS = {
    "check_no_attributes_set_in_init": _SKORCH
    + "its __init__ sets history_, initialized_ and virtual parameters",
    "check_n_features_in_after_fitting": _SKORCH + "sets no n_features_in_",
    "check_n_features_in": _SKORCH + "sets no n_features_in_",
    "check_complex_data": _SKORCH + "hands complex data to torch, which fails there",
    "check_dtype_object": _SKORCH + "does not convert object arrays",
    "check_estimators_empty_data_messages": _SKORCH + "does not validate X",
    "check_estimators_nan_inf": _SKORCH + "does not check for NaN or inf",
    "check_estimator_sparse_tag": _SKORCH + "does not fail gracefully on sparse X",
    "check_estimator_sparse_array": _SKORCH + "does not fail gracefully on sparse X",
    "check_estimator_sparse_matrix": _SKORCH + "does not fail gracefully on sparse X",
    "check_classifier_data_not_an_array": _SKORCH + "takes arrays, tensors or dicts",
    "check_classifiers_one_label": _SKORCH + "trains on one class",
    "check_classifiers_classes": _SKORCH + "needs integer class positions as y",
    "check_estimators_partial_fit_n_features": (
        _SKORCH + "no width check in partial_fit"
    ),
    "check_classifiers_train": _SKORCH + "takes arrays, tensors or dicts",
    "check_classifiers_regression_target": _SKORCH + "does not check the target type",
    "check_supervised_y_no_nan": _SKORCH + "does not check y for NaN or inf",
    "check_supervised_y_2d": _SKORCH + "needs a 1d target",
    "check_set_params": _SKORCH + "validates parameters when they are set",
    "check_fit_idempotent": _SKORCH + "initialises weights from torch's global seed",
    "check_fit2d_predict1d": _SKORCH + "does not validate X",
    "check_requires_y_none": _SKORCH + "error message for y=None is torch's",
}


@parametrize_with_checks(
    [KDNeuralNetClassifier(_Linear, max_epochs=2, train_split=None, verbose=0)],
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
)
@pytest.mark.torch
def test_kd_net_estimator_checks(estimator, check):
    torch.set_num_threads(1)
    check(estimator)
