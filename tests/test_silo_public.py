"""FedMD and FedDF across silos equal the in-process fit (issue 29).

Each site scores the public rows with its own model and writes an ``.npz``
file; the consensus of the files is learnt at each site. With the seeds of
:func:`skcoop.silo.public_seeds` the students are those of the in-process
ensemble, for classifiers (replicated and resampled students, a member
with its own columns) and for the regressor.
"""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.tree import DecisionTreeRegressor

from skcoop import CooperativeDistillationEnsemble, CooperativeDistillationRegressor
from skcoop.distill import FedDFDistiller, FedMDDistiller

silo = pytest.importorskip("skcoop.silo")


def _sites_round(members, X, y, site, Xp, distiller, seed, n_rounds, tmp_path, classes):
    """The silo protocol: scores files, consensus, learn, for n_rounds."""
    names = [m[0] for m in members]
    own = {}
    models = {}
    for j, (name, template, *cols) in enumerate(members):
        rows = np.flatnonzero(site == j)
        Xj = X.iloc[rows] if hasattr(X, "iloc") else X[rows]
        if cols:
            Xj = Xj[cols[0]]
        own[name] = (Xj, y[rows])
        models[name] = clone(template).fit(Xj, y[rows])
    seeds = silo.public_seeds(seed, names, n_rounds)
    for r in range(n_rounds):
        files = []
        for name in names:
            path = tmp_path / f"{name}_{r}.npz"
            silo.public_scores(
                models[name],
                Xp,
                name=name,
                distiller=distiller,
                classes=classes,
                path=path,
            )
            files.append(path)
        consensus = silo.public_consensus(files, distiller=distiller)
        models = {
            name: silo.public_learn(
                template,
                *own[name],
                Xp,
                consensus,
                name=name,
                distiller=distiller,
                classes=classes,
                random_state=seeds[r][name],
                fitted=models[name],
            )
            for name, template, *_ in members
        }
    return models


def _iris_frame():
    X, y = load_iris(return_X_y=True, as_frame=True)
    X.columns = ["sl", "sw", "pl", "pw"]
    public = np.arange(len(y)) % 5 == 0
    Xs, ys = X[~public].reset_index(drop=True), y[~public].to_numpy()
    return Xs, ys, np.arange(len(ys)) % 3, X[public].reset_index(drop=True)


@pytest.mark.parametrize("cls", [FedMDDistiller, FedDFDistiller])
@pytest.mark.parametrize("n_rounds", [1, 2])
def test_silo_public_set_round_equals_the_in_process_fit(cls, n_rounds, tmp_path):
    X, y, site, Xp = _iris_frame()
    members = [
        ("nb", GaussianNB(), ["sl", "pl"]),
        ("knn", KNeighborsClassifier(3)),  # resampled: seeds matter
        ("logreg", LogisticRegression(max_iter=500)),
    ]
    distiller = cls(Xp, temperature=2.0)
    ens = CooperativeDistillationEnsemble(
        members, distiller=distiller, n_rounds=n_rounds, random_state=7
    ).fit(X, y, site=site)
    models = _sites_round(
        members, X, y, site, Xp, distiller, 7, n_rounds, tmp_path, ens.classes_
    )
    for name, _, *cols in members:
        Xc = X[cols[0]] if cols else X
        np.testing.assert_allclose(
            models[name].predict_proba(Xc),
            ens.named_estimators_[name].predict_proba(Xc),
            atol=1e-8,
        )


def test_silo_public_set_regression_equals_the_in_process_fit(tmp_path):
    X, y = load_diabetes(return_X_y=True)
    public = np.arange(len(y)) % 4 == 0
    Xs, ys, Xp = X[~public], y[~public], X[public]
    site = (Xs[:, 0] > 0).astype(int)
    members = [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=3))]
    distiller = FedMDDistiller(Xp)
    reg = CooperativeDistillationRegressor(
        members, distiller=distiller, random_state=0
    ).fit(Xs, ys, site=site)
    models = _sites_round(members, Xs, ys, site, Xp, distiller, 0, 1, tmp_path, None)
    for name, _ in members:
        np.testing.assert_allclose(
            models[name].predict(Xs),
            reg.named_estimators_[name].predict(Xs),
            rtol=1e-10,
        )


def test_scores_files_hold_only_scores_and_load_without_pickle(tmp_path):
    X, y, site, Xp = _iris_frame()
    nb = GaussianNB().fit(X, y)
    path = tmp_path / "nb.npz"
    silo.public_scores(
        nb,
        Xp,
        name="nb",
        distiller=FedMDDistiller(Xp),
        classes=[0, 1, 2],
        path=path,
    )
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["meta", "scores"]
        assert data["scores"].shape == (len(Xp), 3)
    back = silo.PublicScores.load(path)
    np.testing.assert_allclose(back.scores, nb.predict_proba(Xp))
    np.testing.assert_array_equal(back.classes, [0, 1, 2])


def test_bad_scores_files_are_refused(tmp_path):
    bad = tmp_path / "obj.npz"
    np.savez(bad, scores=np.array([{"a": 1}], dtype=object), meta=np.array("{}"))
    with pytest.raises(silo.PublicScoresFormatError, match="not a public-scores"):
        silo.PublicScores.load(bad)
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(2))
    with pytest.raises(silo.PublicScoresFormatError, match=r"\['x'\]"):
        silo.PublicScores.load(other)


def test_consensus_refuses_scores_on_other_public_rows():
    X, y, site, Xp = _iris_frame()
    nb = GaussianNB().fit(X, y)
    d = FedMDDistiller(Xp)
    a = silo.public_scores(nb, Xp, name="a", distiller=d, classes=[0, 1, 2])
    b = silo.public_scores(nb, Xp.iloc[::-1], name="b", distiller=d, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="other public rows"):
        silo.public_consensus([a, b], distiller=d)
