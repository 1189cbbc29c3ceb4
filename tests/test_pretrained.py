"""Pre-trained members (FrozenEstimator): used as they are, then continued."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.preprocessing import StandardScaler

from skcoop import CooperativeDistillationEnsemble
from skcoop.distill import SoftTargetDistiller


@pytest.fixture(scope="module")
def digits_sites():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    Xtr, Xte, ytr, yte = train_test_split(
        X, y, test_size=0.3, random_state=0, stratify=y
    )
    # site 0 holds digits 0-4, site 1 digits 5-9, site 2 everything
    site = np.where(ytr < 5, 0, 1)
    site[::3] = 2
    return Xtr, Xte, ytr, yte, site


def _pretrained(X, y, rows, est):
    return FrozenEstimator(est.fit(X[rows], y[rows]))


def test_pretrained_members_are_used_as_they_are_then_continued(digits_sites):
    Xtr, Xte, ytr, yte, site = digits_sites
    # pre-trained elsewhere on a little of every class, then deployed at sites
    # whose own rows are skewed
    seen = np.arange(len(ytr)) % 10 == 0
    sgd = _pretrained(Xtr, ytr, seen, SGDClassifier(loss="log_loss", random_state=0))
    forest = _pretrained(Xtr, ytr, seen, RandomForestClassifier(20, random_state=0))
    sgd_coef = sgd.estimator.coef_.copy()
    ens = CooperativeDistillationEnsemble(
        [("sgd", sgd), ("forest", forest), ("nb", GaussianNB())], random_state=0
    ).fit(Xtr, ytr, site=site)
    # the first step uses the pre-trained members untouched
    assert ens.named_initial_estimators_["sgd"] is sgd
    np.testing.assert_array_equal(sgd.estimator.coef_, sgd_coef)
    # distillation continued them: the forest grew as many new trees as it
    # had, sgd went on from its coefficients
    new_forest = ens.named_estimators_["forest"]
    assert len(new_forest.estimators_) == 40
    assert new_forest.estimators_[0] is not forest.estimator.estimators_[0]
    assert not np.allclose(ens.named_estimators_["sgd"].coef_, sgd_coef)
    assert len(forest.estimator.estimators_) == 20


def test_pretrained_member_meeting_new_classes_is_refitted_with_a_warning(digits_sites):
    Xtr, Xte, ytr, yte, site = digits_sites
    site2 = np.where(site == 0, 0, 1)
    lr = _pretrained(Xtr, ytr, site2 == 0, LogisticRegression(max_iter=500))
    ens = CooperativeDistillationEnsemble(
        [("lr", lr), ("nb", GaussianNB())], random_state=0
    )
    with pytest.warns(
        UserWarning, match=r"'lr' .* never saw the classes \[5, 6, 7, 8, 9\]"
    ):
        ens.fit(Xtr, ytr, site=site2)
    assert set(ens.named_estimators_["lr"].classes_) == set(range(10))
    assert ens.named_estimators_["lr"].score(Xte, yte) > lr.score(Xte, yte) + 0.2


def test_pretrained_members_with_soft_target_kd(digits_sites):
    Xtr, Xte, ytr, yte, site = digits_sites
    seen = np.arange(len(ytr)) % 10 == 0
    lr = _pretrained(Xtr, ytr, seen, LogisticRegression(max_iter=500, warm_start=True))
    coef = lr.estimator.coef_.copy()
    ens = CooperativeDistillationEnsemble(
        [("lr", lr), ("nb", GaussianNB())],
        distiller=SoftTargetDistiller(warm_start=True),
        random_state=0,
    ).fit(Xtr, ytr, site=np.where(site == 0, 0, 1))
    student = ens.named_estimators_["lr"]
    assert student is not lr.estimator and not np.allclose(student.coef_, coef)
    np.testing.assert_array_equal(lr.estimator.coef_, coef)


def test_one_policy_for_pretrained_members_under_every_strategy(digits_sites):
    # issue 10: a pre-trained member goes on learning from where it is under
    # a KD strategy too (warm_start or not), as under cooperative distillation
    Xtr, Xte, ytr, yte, site = digits_sites
    seen = np.arange(len(ytr)) % 10 == 0
    forest = _pretrained(Xtr, ytr, seen, RandomForestClassifier(10, random_state=0))
    nb = _pretrained(Xtr, ytr, seen, GaussianNB())
    ens = CooperativeDistillationEnsemble(
        [("forest", forest), ("nb", nb)],
        distiller=SoftTargetDistiller(),
        random_state=0,
    ).fit(Xtr, ytr, site=np.where(site == 0, 0, 1))
    # the forest grew as many trees as it had, fitted on the soft targets
    student = ens.named_estimators_["forest"]
    assert len(student.estimators_) == 20
    assert student.estimators_[0] is not forest.estimator.estimators_[0]
    assert len(forest.estimator.estimators_) == 10
    # naive Bayes went on counting (partial_fit), its pre-training kept
    counted = ens.named_estimators_["nb"].class_count_.sum()
    assert counted > nb.estimator.class_count_.sum()


def test_pretrained_member_kd_cannot_continue_warns(digits_sites):
    Xtr, Xte, ytr, yte, site = digits_sites
    site2 = np.where(site == 0, 0, 1)
    lr = _pretrained(Xtr, ytr, site2 == 0, LogisticRegression(max_iter=500))
    ens = CooperativeDistillationEnsemble(
        [("lr", lr), ("nb", GaussianNB())],
        distiller=SoftTargetDistiller(),
        random_state=0,
    )
    with pytest.warns(
        UserWarning, match=r"'lr' .* never saw the classes \[5, 6, 7, 8, 9\]"
    ):
        ens.fit(Xtr, ytr, site=site2)
    assert set(ens.named_estimators_["lr"].classes_) == set(range(10))
