"""Performance at scale (issue 16): evaluations, chunks, parallel backends, progress."""

import io

import numpy as np
import pytest
from joblib import parallel_config
from sklearn import config_context
from sklearn.datasets import load_breast_cancer, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from skcoop import CooperativeDistillationEnsemble
from skcoop.counterfactual import BisectionSearch, BlackBoxSearch
from skcoop.counterfactual._chunks import chunk_rows
from skcoop.utils._progress import SearchProgress


class Recording:
    """A classifier double that records every row it is asked about."""

    def __init__(self, model):
        self.model = model
        self.classes_ = model.classes_
        self.batches = []

    def predict_proba(self, X):
        self.batches.append(np.array(X, dtype=float))
        return self.model.predict_proba(X)


@pytest.fixture(scope="module")
def problem():
    X, y = make_classification(400, 6, n_informative=4, n_redundant=0, random_state=0)
    model = LogisticRegression().fit(X, y)
    return X, y, model


def _run(X, y, model, search=None, **kwargs):
    rec = Recording(model)
    search = (search or BlackBoxSearch()).fit(X, y)
    return search.generate(rec, X[:120], y[:120], **kwargs), rec


def test_outputs_given_save_evaluations_and_change_nothing(problem):
    X, y, model = problem
    plain, rec_plain = _run(X, y, model)
    given, rec_given = _run(
        X,
        y,
        model,
        initial_output=model.predict_proba(X[:120]),
        reference_output=model.predict_proba(X),
    )
    np.testing.assert_array_equal(plain.X, given.X)
    np.testing.assert_array_equal(plain.success, given.success)
    # the source rows (120) and the reference rows (400) cost nothing now
    assert plain.n_rows_evaluated - given.n_rows_evaluated == 120 + 400
    np.testing.assert_array_equal(plain.n_evaluations - 1, given.n_evaluations)
    assert given.n_rows_evaluated == given.n_evaluations.sum()
    assert sum(len(b) for b in rec_given.batches) == given.n_rows_evaluated


def test_no_candidate_is_evaluated_twice(problem):
    X, y, model = problem
    result, rec = _run(X, y, model, initial_output=model.predict_proba(X[:120]))
    rows = np.vstack(rec.batches)
    assert np.unique(rows, axis=0).shape[0] == rows.shape[0]
    # the returned rows were evaluated during the search: no final call
    assert result.summary()["median_evaluations"] == np.median(result.n_evaluations)


def test_bisection_evaluations_per_row_are_few(problem):
    X, y, model = problem
    result, _ = _run(
        X,
        y,
        model,
        search=BisectionSearch(n_iter=8),
        initial_output=model.predict_proba(X[:120]),
        reference_output=model.predict_proba(X),
    )
    assert result.success.mean() > 0.95
    # the anchor end is known valid: at most n_iter evaluations a row
    assert result.n_evaluations.max() <= 8


def test_chunks_bound_the_batch_and_keep_the_rows(problem):
    X, y, model = problem
    one, rec_one = _run(X, y, model)
    size = chunk_rows(120, 6, 2, working_memory=0.3)
    assert 1 < size < 120
    with config_context(working_memory=0.3):
        many, rec_many = _run(X, y, model)
    np.testing.assert_allclose(one.X, many.X, atol=1e-9)
    np.testing.assert_array_equal(one.success, many.success)
    # after the sources' and the reference rows' outputs
    biggest = max(len(b) for b in rec_many.batches[2:])
    assert biggest < max(len(b) for b in rec_one.batches[2:]) / 3


def test_chunk_rows_examples():
    assert chunk_rows(10, 20, 4) == 10
    assert chunk_rows(10**6, 20, 4, working_memory=1) == 2
    # a measured share per row replaces the estimate
    assert chunk_rows(10**6, 20, 4, working_memory=1, per_row=2**10) == 128
    assert chunk_rows(10**6, 784, 10, working_memory=1) == 1


def test_progress_calls_back_per_chunk(problem):
    X, y, model = problem
    seen = []
    with config_context(working_memory=0.3):
        _run(X, y, model, progress=seen.append)
    size = chunk_rows(120, 6, 2, working_memory=0.3)
    # the first chunk from the estimate, the next ones from what it held
    assert seen[0] == size and seen[-1] == 120 and len(seen) > 1
    assert np.all(np.diff(seen) > 0)


def test_progress_log_lines():
    lines = []
    bar = SearchProgress(
        100, "round 1, teacher 'a'", log=lines.append, use_tqdm=False, interval=3600
    )
    bar.update(10)
    bar.update(40)  # within the interval: no line
    bar.update(100)
    bar.close()
    assert len(lines) == 2
    assert lines[0].startswith("round 1, teacher 'a': 10 of 100 rows searched (")
    assert "rows/s" in lines[1] and "left)" in lines[1]


def test_progress_bar_through_tqdm():
    pytest.importorskip("tqdm")
    out = io.StringIO()
    with SearchProgress(1000, "round 2, teacher 'b'", use_tqdm=True, file=out) as bar:
        bar.update(500)
        bar.update(1000)
    text = out.getvalue()
    assert "round 2, teacher 'b'" in text and "1.00k/1.00k" in text
    assert "rows/s" in text


def _ensemble(**kwargs):
    return CooperativeDistillationEnsemble(
        [
            ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
            ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
            ("nb", GaussianNB()),
        ],
        random_state=0,
        **kwargs,
    )


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:240], y[:240]
    return X, y, np.arange(len(y)) % 3


def _same_fit(a, b):
    for name in a.named_estimators_:
        va, vb = a.virtual_instances_[name], b.virtual_instances_[name]
        np.testing.assert_array_equal(va["X"], vb["X"])
        np.testing.assert_array_equal(va["y"], vb["y"])


def test_verbose_fit_logs_search_progress_without_tqdm(cancer, capsys, monkeypatch):
    import skcoop.utils._progress as progress

    monkeypatch.setattr(progress, "is_installed", lambda name: False)
    X, y, site = cancer
    _ensemble(verbose=1).fit(X, y, site=site)
    out = capsys.readouterr().out
    assert "round 1, teacher 'logreg':" in out and "rows searched" in out


def test_verbose_fit_shows_tqdm_bars(cancer, capsys):
    pytest.importorskip("tqdm")
    X, y, site = cancer
    _ensemble(verbose=1).fit(X, y, site=site)
    err = capsys.readouterr().err
    assert "round 1, teacher 'tree'" in err and "rows/s" in err


def test_threads_equal_one_job(cancer):
    X, y, site = cancer
    one = _ensemble(n_jobs=1).fit(X, y, site=site)
    with parallel_config(backend="threading", n_jobs=2):
        threads = _ensemble().fit(X, y, site=site)
    _same_fit(one, threads)


@pytest.mark.slow
def test_dask_local_cluster_equals_one_job(cancer):
    distributed = pytest.importorskip("dask.distributed")
    X, y, site = cancer
    one = _ensemble(n_jobs=1).fit(X, y, site=site)
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
    ):
        with parallel_config(backend="dask"):
            spread = _ensemble().fit(X, y, site=site)
    _same_fit(one, spread)
    for name, est in one.named_estimators_.items():
        np.testing.assert_allclose(
            est.predict_proba(X), spread.named_estimators_[name].predict_proba(X)
        )


def test_outputs_of_the_wrong_shape_are_refused(problem):
    X, y, model = problem
    search = BlackBoxSearch().fit(X, y)
    with pytest.raises(ValueError, match=r"initial_output must be .* 120 rows.*Got"):
        search.generate(model, X[:120], y[:120], initial_output=np.zeros((119, 2)))
    with pytest.raises(ValueError, match="reference_output must be finite"):
        search.generate(
            model, X[:120], y[:120], reference_output=np.full((400, 2), np.nan)
        )
    with pytest.raises(ValueError, match="one column per class"):
        search.generate(model, X[:120], y[:120], initial_output=np.zeros((120, 3)))


# ------------------------------------------- evaluations of the default search
@pytest.fixture(scope="module")
def smooth_problem():
    X, y = make_classification(
        1500, 10, n_informative=6, n_redundant=2, n_classes=3, random_state=0
    )
    models = {
        "logreg": make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y),
        "naive_bayes": GaussianNB().fit(X, y),
    }
    return X, y, models


@pytest.mark.parametrize("name", ["logreg", "naive_bayes"])
def test_default_search_needs_few_evaluations(smooth_problem, name):
    X, y, models = smooth_problem
    model = models[name]
    proba = model.predict_proba(X)
    right = np.flatnonzero(proba.argmax(1) == y)[:300]
    kwargs = {"initial_output": proba[right], "reference_output": proba}
    fast = BlackBoxSearch().fit(X, y).generate(model, X[right], y[right], **kwargs)
    slow = (
        BlackBoxSearch(slopes="differences")
        .fit(X, y)
        .generate(model, X[right], y[right], **kwargs)
    )
    # as valid (the few rows missed are missed by both)
    assert fast.success.mean() >= slow.success.mean() >= 0.99
    assert np.median(fast.n_evaluations) <= 12
    assert np.median(fast.n_evaluations) < np.median(slow.n_evaluations) / 5
    # as close and as sparse, within 10%
    assert np.median(fast.distance) <= 1.1 * np.median(slow.distance)
    assert np.median(fast.n_changed) <= np.median(slow.n_changed)
    # every evaluation is counted against its row
    assert fast.n_rows_evaluated == fast.n_evaluations.sum()


def _threshold_goal(lower):
    """A one-class goal: each row's output must reach its ``lower``."""
    from skcoop.counterfactual._goal import Goal

    n = lower.size
    return Goal(
        initial=np.zeros(n),
        target=lower,
        lower=lower,
        upper=np.full(n, np.inf),
        class_index=np.zeros(n, dtype=int),
        classes=np.array([0]),
    )


def test_tree_anchors_are_the_nearest_qualifying_rows():
    from skcoop.counterfactual._neighbors import ReferenceIndex

    rng = np.random.default_rng(0)
    X_ref = rng.normal(size=(300, 3))
    out_c = rng.uniform(size=300)
    X = rng.normal(size=(60, 3))
    X[0] = X_ref[5]  # a copy of a reference row is never its own anchor
    # thresholds from easy to met by three rows only (the scan) or none
    lower = np.concatenate([rng.uniform(0, 0.99, 57), [0.995, 0.999, 1.5]])
    goal = _threshold_goal(lower)
    search = BisectionSearch(scale=np.ones(3)).fit(X_ref)
    index = ReferenceIndex(search)
    candidates = np.arange(300)
    best, ok = index.anchors(goal, X, 3, out_c, candidates, "all")
    dist = np.abs(X[:, None, :] - X_ref[None, :, :]).sum(axis=2)
    for i in range(60):
        qualify = np.flatnonzero((out_c >= lower[i]) & (dist[i] > 1e-12))
        want = qualify[np.argsort(dist[i, qualify])][:3]
        np.testing.assert_array_equal(best[i, : want.size], want)
        assert ok[i, : want.size].all() and not ok[i, want.size :].any()
    assert 5 not in best[0]
    # no qualifying row at all: the most confident ones, flagged
    np.testing.assert_array_equal(best[-1], np.argsort(-out_c)[:3])


def test_chunks_follow_the_memory_each_row_needs(problem):
    from sklearn.ensemble import RandomForestClassifier

    X, y, model = problem
    forest = RandomForestClassifier(20, random_state=0).fit(X, y)
    chunks = {}
    for name, teacher in {"logreg": model, "forest": forest}.items():
        seen = []
        with config_context(working_memory=0.8):
            BlackBoxSearch().fit(X, y).generate(
                teacher, X[:120], y[:120], progress=seen.append
            )
        chunks[name] = len(seen)
    # the forest needs many evaluations (a large cache) per row: more chunks
    assert chunks["forest"] > chunks["logreg"] >= 1


def test_output_cache_finds_rows_by_their_bits():
    from skcoop.counterfactual._goal import OutputCache

    cache = OutputCache(regression=True)

    class Model:
        calls = []

        def predict(self, Z):
            self.calls.append(len(Z))
            return Z.sum(axis=1)

    model = Model()
    Z = np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]])
    out, fresh = cache.lookup(model, Z)
    np.testing.assert_array_equal(out, [3.0, 7.0, 3.0])
    assert model.calls == [2] and fresh.tolist() == [0, 1]
    # -0.0 and 0.0 differ in their bits: evaluated apart, both kept
    out, fresh = cache.lookup(model, np.array([[3.0, 4.0], [0.0, 1.0], [-0.0, 1.0]]))
    np.testing.assert_array_equal(out, [7.0, 1.0, 1.0])
    assert model.calls == [2, 2] and fresh.tolist() == [1, 2]
    assert cache.size == 4 and cache.nbytes >= 4 * (2 + 1 + 2) * 8


def test_capped_trees_keep_anchors_qualifying(monkeypatch):
    """Past the cap, anchors come from a sample of the qualifying rows."""
    from skcoop.counterfactual import _neighbors
    from skcoop.counterfactual._neighbors import ReferenceIndex

    sizes = []

    class CountingTree(_neighbors.KDTree):
        def __init__(self, data, *args, **kwargs):
            sizes.append(len(data))
            super().__init__(data, *args, **kwargs)

    monkeypatch.setattr(_neighbors, "KDTree", CountingTree)
    monkeypatch.setattr(_neighbors, "_MAX_TREE_ROWS", 50)
    rng = np.random.default_rng(0)
    X_ref = rng.normal(size=(600, 3))
    out_c = rng.uniform(size=600)
    X = rng.normal(size=(80, 3))
    lower = np.concatenate([rng.uniform(0, 0.9, 77), [0.998, 0.999, 1.5]])
    goal = _threshold_goal(lower)
    search = BisectionSearch(scale=np.ones(3)).fit(X_ref)
    index = ReferenceIndex(search)
    best, ok = index.anchors(goal, X, 3, out_c, np.arange(600), "all")
    again = ReferenceIndex(search).anchors(goal, X, 3, out_c, np.arange(600), "all")
    np.testing.assert_array_equal(best, again[0])  # a fixed sample
    assert sizes and max(sizes) <= 50
    n_qualify = (out_c[None, :] >= lower[:, None]).sum(axis=1)
    # every row with three qualifying rows gets three, all qualifying
    has = n_qualify >= 3
    assert ok[has].all()
    assert (out_c[best[has]] >= lower[has, None]).all()
    # rare high thresholds are answered exactly: the scan keeps the top rows
    dist = np.abs(X[:, None, :] - X_ref[None, :, :]).sum(axis=2)
    for i in np.flatnonzero((n_qualify < 3) & (n_qualify > 0)):
        qualify = np.flatnonzero(out_c >= lower[i])
        want = qualify[np.argsort(dist[i, qualify])]
        np.testing.assert_array_equal(best[i, : want.size], want)
    np.testing.assert_array_equal(best[-1], np.argsort(-out_c)[:3])


def test_capped_reference_rows_keep_the_search_close(problem, monkeypatch):
    """A tenth of the reference rows in the trees: as valid, a little farther."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.neighbors import KNeighborsClassifier

    from skcoop.counterfactual import _neighbors

    X, y, _ = problem
    for model in [
        RandomForestClassifier(20, random_state=0).fit(X, y),
        KNeighborsClassifier().fit(X, y),
    ]:
        full = BlackBoxSearch().fit(X, y).generate(model, X[:120], y[:120])
        with monkeypatch.context() as patch:
            patch.setattr(_neighbors, "_MAX_TREE_ROWS", 40)
            patch.setattr(_neighbors, "_MAX_SLOPE_ROWS", 100)
            capped = BlackBoxSearch().fit(X, y).generate(model, X[:120], y[:120])
        assert (capped.X != full.X).any()  # the cap is in force
        assert capped.success.all() and full.success.all()
        assert np.median(capped.distance) <= 1.35 * np.median(full.distance)
        assert np.median(capped.n_evaluations) <= np.median(full.n_evaluations) + 5


def test_nearest_centre_is_the_euclidean_argmin_in_blocks():
    from skcoop.counterfactual._neighbors import _nearest_centre

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(50, 4))
    Q = rng.normal(size=(300, 4))
    want = np.argmin(((Q[:, None, :] - centres[None]) ** 2).sum(axis=2), axis=1)
    np.testing.assert_array_equal(_nearest_centre(Q, centres), want)
    # blocks of a few rows (a tiny working memory) give the same answer
    with config_context(working_memory=0.001):
        np.testing.assert_array_equal(_nearest_centre(Q, centres), want)


def test_row_groups_over_several_blocks():
    """Equal rows share a group, distinct rows do not, across check blocks."""
    from skcoop.counterfactual._weights import _row_groups

    rng = np.random.default_rng(0)
    base = rng.integers(0, 50, size=(1000, 7)).astype(float)
    X = base[rng.integers(0, 1000, size=320_000)]  # > one 16 MB block at d=7
    X[::1000, 0] = -0.0 * X[::1000, 0]  # -0.0 and 0.0 are one value
    group = _row_groups(X)
    _, want = np.unique(X + 0.0, axis=0, return_inverse=True)
    want = want.reshape(-1)
    # the same partition: a one-to-one map between the two labellings
    pairs = np.unique(np.column_stack([group, want]), axis=0)
    assert len(pairs) == len(np.unique(group)) == len(np.unique(want))
