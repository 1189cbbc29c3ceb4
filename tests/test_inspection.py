"""Displays of a cooperative fit: artists and labels, not pixels (Agg)."""

import sys

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop import CooperativeDistillationEnsemble
from skcoop.inspection import (
    CounterfactualDisplay,
    MemberScoresDisplay,
    PrivacyFrontierDisplay,
    TransferMatrixDisplay,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _members():
    return [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
        ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
    ]


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    X = X[:, :6]
    train, test = np.arange(400), np.arange(400, len(y))
    site = (X[train, 0] > 14).astype(int)
    return X[train], y[train], X[test], y[test], site


@pytest.fixture(scope="module")
def fitted(data):
    X, y, _, _, site = data
    return CooperativeDistillationEnsemble(_members(), random_state=0).fit(
        X, y, site=site
    )


def _texts(labels):
    return [t.get_text() for t in labels]


# ------------------------------------------------------------------ transfer
def test_transfer_matrix_counts_match_the_report(fitted):
    display = TransferMatrixDisplay.from_estimator(fitted)
    report = fitted.transfer_report_
    for t, teacher in enumerate(["logreg", "tree"]):
        for s, student in enumerate(["logreg", "tree"]):
            text = display.text_[t, s].get_text()
            if t == s:
                assert text == "-"
                continue
            pair = (report["teacher"] == teacher) & (report["student"] == student)
            kept, found = report["kept"][pair].sum(), report["found"][pair].sum()
            assert text == f"{kept}\nof {found}"
    assert display.ax_.get_xlabel() == "student"
    assert display.ax_.get_ylabel() == "teacher"
    assert _texts(display.ax_.get_yticklabels()) == ["logreg", "tree"]
    assert display.figure_ is display.ax_.figure
    assert display.im_ in display.ax_.get_images()


def test_transfer_matrix_shows_acceptance_and_draws_on_given_axes(data):
    X, y, _, _, site = data
    ens = CooperativeDistillationEnsemble(
        _members(), acceptance=0.2, random_state=0
    ).fit(X, y, site=site)
    fig, ax = plt.subplots()
    display = TransferMatrixDisplay.from_estimator(
        ens, what="found", ax=ax, colorbar=False
    )
    assert display.ax_ is ax and display.figure_ is fig
    kept = dict(zip(ens.acceptance_["member"], ens.acceptance_["kept"]))
    assert _texts(ax.get_xticklabels()) == [
        f"{name}\n({kept[name]})" for name in ["logreg", "tree"]
    ]
    assert "found" in ax.get_title()


def test_transfer_matrix_rejects_unfitted_and_bad_count(fitted):
    with pytest.raises(NotFittedError, match="Call fit first"):
        TransferMatrixDisplay.from_estimator(
            CooperativeDistillationEnsemble(_members())
        )
    with pytest.raises(ValueError, match="what must be one of"):
        TransferMatrixDisplay.from_estimator(fitted, what="taught")


# -------------------------------------------------------------------- scores
def test_member_scores_from_estimator(fitted, data):
    _, _, X_test, y_test, _ = data
    display = MemberScoresDisplay.from_estimator(fitted, X_test, y_test, pooled=0.95)
    assert set(display.lines_) == {"logreg", "tree"}
    alone = fitted.named_initial_estimators_["tree"].score(X_test, y_test)
    after = fitted.named_estimators_["tree"].score(X_test, y_test)
    np.testing.assert_allclose(display.lines_["tree"].get_ydata(), [alone, after])
    assert display.pooled_line_.get_ydata()[0] == pytest.approx(0.95)
    assert _texts(display.ax_.get_xticklabels()) == [
        "alone",
        "distilled (1 round)",
    ]
    legend = _texts(display.ax_.get_legend().get_texts())
    assert "pooled" in legend


def test_member_scores_from_rounds(fitted, data):
    X, y, X_test, y_test, site = data
    pooled = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    display = MemberScoresDisplay.from_rounds(
        fitted, X, y, X_test, y_test, site=site, n_rounds=2, pooled=pooled
    )
    assert display.scores.shape == (3, 2)
    assert _texts(display.ax_.get_xticklabels()) == ["alone", "round 1", "round 2"]
    alone = fitted.named_initial_estimators_["logreg"].score(X_test, y_test)
    assert display.scores[0, 0] == pytest.approx(alone)
    # round 1 of the curve is the fit itself (same random_state)
    one = fitted.named_estimators_["logreg"].score(X_test, y_test)
    assert display.scores[1, 0] == pytest.approx(one)
    assert len(display.lines_["ensemble"].get_ydata()) == 3
    assert display.pooled_line_.get_ydata()[0] == pytest.approx(
        pooled.score(X_test, y_test)
    )


# ------------------------------------------------------------ counterfactual
def test_counterfactual_display(fitted, data):
    X = data[0]
    display = CounterfactualDisplay.from_estimator(fitted, X, student="logreg")
    v = fitted.virtual_instances_["logreg"]
    source = X[v.source_index[0]]
    changed = {f"x{j}" for j in np.flatnonzero(~np.isclose(source, v.X[0]))}
    assert set(display.changed_) == changed
    assert len(display.bars_) == len(changed)
    title = display.ax_.get_title()
    assert f"{v.teacher[0]} -> logreg" in title and "teacher's P(" in title
    assert 0.0 <= display.before <= 1.0 and 0.0 <= display.after <= 1.0
    labels = _texts(display.ax_.get_yticklabels())
    assert all("->" in label for label in labels)


def test_counterfactual_display_errors(fitted, data):
    X = data[0]
    with pytest.raises(ValueError, match="student must be one of"):
        CounterfactualDisplay.from_estimator(fitted, X, student="nobody")
    n = len(fitted.virtual_instances_["tree"].y)
    with pytest.raises(ValueError, match="index must be in"):
        CounterfactualDisplay.from_estimator(fitted, X, student="tree", index=n)


def test_counterfactual_display_of_a_frame():
    pd = pytest.importorskip("pandas")
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    df = X.iloc[:300, :5].assign(clinic=np.where(X["mean radius"][:300] > 14, 1, 0))
    ens = CooperativeDistillationEnsemble(
        _members(), site_column="clinic", random_state=0
    ).fit(df, y[:300])
    display = CounterfactualDisplay.from_estimator(ens, df)
    assert set(display.changed_) <= set(df.columns[:5])
    assert isinstance(display.feature_names, list) and len(display.feature_names) == 5
    assert pd is not None


# ------------------------------------------------------------------- privacy
def test_privacy_frontier_from_arrays():
    display = PrivacyFrontierDisplay.from_arrays(
        [0.99, 0.7, 0.8, 0.6], [0.98, 0.9, 0.5, 0.4], labels=list("abcd")
    )
    # c is beaten by b (lower AUC, higher gap): off the frontier
    np.testing.assert_allclose(display.frontier_line_.get_xdata(), [0.6, 0.7, 0.99])
    assert _texts(display.annotations_) == list("abcd")
    assert len(display.points_.get_offsets()) == 4
    assert "AUC" in display.ax_.get_xlabel()


def test_privacy_frontier_from_frame_and_errors():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {"auc": [0.9, 0.6], "gap_closed": [0.9, 0.3], "setting": ["off", "k=50"]}
    )
    display = PrivacyFrontierDisplay.from_frame(frame, label="setting")
    assert _texts(display.annotations_) == ["off", "k=50"]
    with pytest.raises(ValueError, match="is not a column"):
        PrivacyFrontierDisplay.from_frame(frame, x="worst_auc")
    with pytest.raises(ValueError, match="one value per setting"):
        PrivacyFrontierDisplay.from_arrays([0.5], [0.1, 0.2])


def test_privacy_frontier_from_estimators(data):
    from skcoop.privacy import ReleaseGuard

    X, y, X_test, y_test, site = data
    off = CooperativeDistillationEnsemble(_members(), guard=None, random_state=0)
    off.fit(X, y, site=site)
    guarded = CooperativeDistillationEnsemble(
        _members(), guard=ReleaseGuard(prototype_k=10), random_state=0
    ).fit(X, y, site=site)
    display = PrivacyFrontierDisplay.from_estimators(
        {"off": off, "k=10": guarded},
        X,
        y,
        X_test,
        X_test,
        y_test,
        site=site,
        pooled=0.95,
    )
    assert _texts(display.annotations_) == ["off", "k=10"]
    assert np.all((display.attack_auc >= 0.5) & (display.attack_auc <= 1))
    # the prototype guard releases draws like 10 rows: an attack does worse
    assert display.attack_auc[1] < display.attack_auc[0]


def test_matplotlib_missing_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[plot\]"'):
        PrivacyFrontierDisplay([0.5], [0.1]).plot()


def test_counterfactual_display_of_a_regressor():
    from sklearn.linear_model import Ridge
    from sklearn.tree import DecisionTreeRegressor

    from skcoop import CooperativeDistillationRegressor

    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:300, :5], X[:300, 5]
    reg = CooperativeDistillationRegressor(
        [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3))],
        random_state=0,
    ).fit(X, y, site=np.arange(300) % 2)
    display = CounterfactualDisplay.from_estimator(reg, X)
    assert "teacher's prediction (y = " in display.ax_.get_title()
    scores = MemberScoresDisplay.from_estimator(reg, X, y)
    assert set(scores.lines_) == {"ridge", "tree"}
    assert TransferMatrixDisplay.from_estimator(reg).text_.shape == (2, 2)
