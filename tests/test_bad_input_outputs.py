"""Members' outputs are checked where they enter, and errors name the member.

Every entry point that takes a member's probabilities or predictions (the
ensembles' fit and predict, a KD strategy, ``silo.teach`` for the site's
model and its peers', the federated teachers, ``member_output`` itself)
refuses NaN, infinity, values outside [0, 1], rows that do not sum to 1 and
the wrong shape, naming the member and the method; an exception raised
inside a member's method is re-raised with the member's name.
"""

import numpy as np
import pytest
from _bad import (
    PREDICT_KINDS,
    PROBA_KINDS,
    ScriptedProba,
    ScriptedRegressor,
    exc_of,
    expect,
)
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeRegressor

from skcoop import CooperativeDistillationEnsemble, CooperativeDistillationRegressor
from skcoop.distill import SoftTargetDistiller
from skcoop.federated import teacher_proba
from skcoop.utils import aligned_proba, member_output, name_member

rng = np.random.RandomState(0)
X = rng.normal(size=(30, 3))
Y = (np.arange(30) // 2) % 2
YR = X[:, 0] + 0.1 * rng.normal(size=30)
SITE = np.arange(30) % 2


def _ens(kind, **params):
    members = [("bad", ScriptedProba(kind)), ("nb", GaussianNB())]
    return CooperativeDistillationEnsemble(members, random_state=0, **params)


def _reg(kind, **params):
    members = [("bad", ScriptedRegressor(kind)), ("tree", DecisionTreeRegressor())]
    return CooperativeDistillationRegressor(members, random_state=0, **params)


NAMED = r"Member 'bad' \(Scripted\w+\)\."


@pytest.mark.parametrize("kind", sorted(PROBA_KINDS))
def test_ensemble_fit_checks_member_proba(kind):
    est = _ens(kind)
    expect(
        lambda: est.fit(X, Y, site=SITE),
        exc_of(kind),
        NAMED + PROBA_KINDS[kind],
        X,
        Y,
        SITE,
        est,
    )


@pytest.mark.parametrize("kind", sorted(PROBA_KINDS))
def test_ensemble_predict_proba_checks_member_proba(kind):
    est = _ens(kind, n_rounds=0).fit(X, Y, site=SITE)
    expect(lambda: est.predict_proba(X), exc_of(kind), NAMED + PROBA_KINDS[kind], X)


@pytest.mark.parametrize("kind", sorted(PROBA_KINDS))
def test_ensemble_predict_and_score_check_member_proba(kind):
    est = _ens(kind, n_rounds=0).fit(X, Y, site=SITE)
    expect(lambda: est.predict(X), exc_of(kind), NAMED + PROBA_KINDS[kind], X)
    expect(lambda: est.score(X, Y), exc_of(kind), NAMED + PROBA_KINDS[kind], X, Y)


@pytest.mark.parametrize("kind", sorted(PROBA_KINDS))
def test_kd_strategy_checks_teacher_proba(kind):
    est = _ens(kind, distiller=SoftTargetDistiller(method="replicate"))
    expect(
        lambda: est.fit(X, Y, site=SITE),
        exc_of(kind),
        NAMED + PROBA_KINDS[kind],
        X,
        Y,
        est,
    )


@pytest.mark.parametrize("role", ["site", "peer"])
@pytest.mark.parametrize("kind", sorted(PROBA_KINDS))
def test_silo_teach_checks_both_models(kind, role):
    from skcoop.silo import teach

    bad = ScriptedProba(kind).fit(X, Y)
    good = GaussianNB().fit(X, Y)
    model, peers = (bad, {"b": good}) if role == "site" else (good, {"b": bad})
    who = "a" if role == "site" else "b"
    expect(
        lambda: teach(model, X, Y, peers, name="a", random_state=0),
        exc_of(kind),
        rf"Member '{who}' \(\w+\)\." + PROBA_KINDS[kind],
        X,
        Y,
    )


@pytest.mark.parametrize("kind", sorted(PROBA_KINDS))
def test_federated_teacher_proba_names_the_teacher(kind):
    teachers = [GaussianNB().fit(X, Y), ScriptedProba(kind).fit(X, Y)]
    expect(
        lambda: teacher_proba(teachers, X, 2),
        exc_of(kind),
        r"Member 'teachers\[1\]' \(ScriptedProba\)\." + PROBA_KINDS[kind],
        X,
    )


@pytest.mark.parametrize("kind", sorted(PROBA_KINDS))
def test_member_output_and_aligned_proba(kind):
    member = name_member(ScriptedProba(kind).fit(X, Y), "bad")
    expect(
        lambda: aligned_proba(member, X, np.array([0, 1])),
        exc_of(kind),
        NAMED + PROBA_KINDS[kind],
        X,
    )
    if kind != "columns":  # member_output alone does not know the classes
        expect(
            lambda: member_output(member, X, "predict_proba"),
            exc_of(kind),
            NAMED + PROBA_KINDS[kind],
            X,
        )


@pytest.mark.parametrize("kind", sorted(PREDICT_KINDS))
def test_regressor_fit_checks_member_predictions(kind):
    est = _reg(kind)
    expect(
        lambda: est.fit(X, YR, site=SITE),
        exc_of(kind),
        NAMED + PREDICT_KINDS[kind],
        X,
        YR,
        est,
    )


@pytest.mark.parametrize("kind", sorted(PREDICT_KINDS))
def test_regressor_predict_checks_member_predictions(kind):
    est = _reg("none", n_rounds=0).fit(X, YR, site=SITE)
    est.named_estimators_["bad"].kind = kind  # goes bad after the fit
    expect(lambda: est.predict(X), exc_of(kind), NAMED + PREDICT_KINDS[kind], X)


class _Labels(ScriptedProba):
    def predict(self, X):
        return np.full(len(X), 7)


def test_hard_vote_refuses_labels_the_member_was_not_fitted_on():
    est = CooperativeDistillationEnsemble(
        [("bad", _Labels("unnormalised")), ("nb", GaussianNB())],
        voting="hard",
        n_rounds=0,
    ).fit(X, Y, site=SITE)
    expect(
        lambda: est.predict(X),
        ValueError,
        r"Member 'bad' \(_Labels\)\.predict returned labels \[7\] that are not "
        r"classes of the ensemble \(\[0, 1\]\)",
        X,
    )


def test_good_outputs_pass_unchanged():
    nb = GaussianNB().fit(X, Y)
    np.testing.assert_array_equal(
        member_output(nb, X, "predict_proba"), nb.predict_proba(X)
    )
    np.testing.assert_array_equal(
        aligned_proba(nb, X, np.array([0, 1, 2]))[:, :2], nb.predict_proba(X)
    )


def test_unnamed_member_is_still_described():
    expect(
        lambda: member_output(ScriptedProba("nan").fit(X, Y), X, "predict_proba"),
        ValueError,
        r"A member \(ScriptedProba\)\.predict_proba returned NaN",
    )
