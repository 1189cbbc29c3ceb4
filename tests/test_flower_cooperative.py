"""The cooperative Flower app under Flower's simulation runtime.

Three sites (breast cancer split by ``np.arange(n) % 3``; Gaussian naive
Bayes, a depth-3 tree, a scaled logistic regression) run two rounds through
the Message API; the sites' final members equal the in-process ensemble's
for the same seed, no routed row equals a raw row of its teacher, and a site
that fails does not block the others.
"""

import numpy as np
import pytest
from sklearn.base import BaseEstimator

pytest.importorskip("flwr")
pytest.importorskip("skops")
pytest.importorskip("pyarrow")

from flwr.app import Context, Error, Message, RecordDict  # noqa: E402
from flwr.serverapp import Grid  # noqa: E402

from skcoop.flower.cooperative import (  # noqa: E402
    Site,
    demo_ensemble,
    demo_site,
    make_client_app,  # noqa: E402
    run_cooperative,
)
from skcoop.flower.cooperative.server_app import run_rounds  # noqa: E402
from skcoop.flower.cooperative.task import (  # noqa: E402
    check_no_raw_row,
    model_from_bytes,
    model_to_bytes,
    rows_from_bytes,
    rows_to_bytes,
)
from skcoop.silo import ModelIntegrityError, VirtualRows  # noqa: E402

N_ROUNDS = 2


@pytest.fixture(scope="module")
def history():
    return run_cooperative(demo_site, 3, n_rounds=N_ROUNDS, random_state=0)


@pytest.fixture(scope="module")
def in_process():
    """The in-process ensemble on the demo's sites, same seed and rounds."""
    return demo_ensemble(random_state=0, n_rounds=N_ROUNDS)


def test_members_equal_the_in_process_ensemble(history, in_process):
    ens, (X_test, _) = in_process
    models = history.final_models()
    assert history.names == ["nb", "tree", "logreg"]
    for name, member in ens.named_estimators_.items():
        np.testing.assert_allclose(
            models[name].predict_proba(X_test),
            member.predict_proba(X_test),
            atol=1e-12,
        )


def test_no_routed_row_equals_a_raw_row_of_its_teacher(history):
    raw = {
        demo_site({"partition-id": i}).name: demo_site({"partition-id": i}).X
        for i in range(3)
    }
    routed = history.virtual_rows()
    assert sum(len(rows) for rows in routed) > 0
    for rows in routed:
        own = {tuple(r) for r in raw[rows.teacher].tolist()}
        assert not any(tuple(r) in own for r in np.asarray(rows.X).tolist())


def test_report_counts_rows_bytes_and_time(history):
    table = history.table
    assert [e["round"] for e in table] == [0] * 3 + [1] * 3 + [2] * 3
    assert [r["round"] for r in history.rounds] == [0, 1, 2]
    for n_round in range(N_ROUNDS + 1):
        assert history.missing(n_round) == []
        entries = [e for e in table if e["round"] == n_round]
        assert all(0.8 < e["score"] <= 1 for e in entries)
        assert sum(e["rows_sent"] for e in entries) == sum(
            e["rows_received"] for e in entries
        )
        assert history.rounds[n_round]["seconds"] > 0
    routed = history.virtual_rows()
    for n_round in (1, 2):
        entries = {e["site"]: e for e in table if e["round"] == n_round}
        sent = [r for (k, _), r in zip(history.sent_rows, routed) if k == n_round]
        for name, e in entries.items():
            assert e["rows_sent"] == sum(len(r) for r in sent if r.teacher == name)
            assert e["rows_received"] == sum(len(r) for r in sent if r.student == name)
            # it received its two peers' models, and sent rows and its model
            assert e["bytes_received"] > 2 * 1000
            assert e["bytes_sent"] > 1000
    assert all(e["bytes_sent"] > 1000 for e in table if e["round"] == 0)
    assert all(e["site_seconds"] > 0 for e in table)
    text = history.format_table()
    assert "logreg" in text.splitlines()[-1]


class _BrokenSearch(BaseEstimator):
    """A counterfactual engine that fails: the site's teaching step raises."""

    def fit(self, X, y=None):
        return self

    def generate(self, *args, **kwargs):
        raise RuntimeError("site down")


def failing_tree_site(node_config):
    site = demo_site(node_config)
    if site.name == "tree":
        site.teach_params = {"counterfactual": _BrokenSearch()}
    return site


@pytest.fixture
def task_identity():
    """Flower's Message needs the process's run id, which a runtime sets."""
    from flwr.supercore.task_identity import TaskIdentity

    keys = ("_task_id", "_run_id", "_node_id")
    saved = [getattr(TaskIdentity, k) for k in keys]
    for k in keys:
        setattr(TaskIdentity, k, 1)
    yield
    for k, v in zip(keys, saved):
        setattr(TaskIdentity, k, v)


class LocalGrid(Grid):
    """Flower's Message API in one process: each node runs the ClientApp inline.

    ``silent`` maps a node to the message types it never answers (the
    server's timeout runs out); an exception
    in a handler becomes an error reply, as Flower's runtimes send it.
    """

    def __init__(self, site_fn, n_sites, silent=None):
        self.app = make_client_app(site_fn)
        self.contexts = {
            100 + i: Context(
                run_id=1,
                node_id=100 + i,
                node_config={"partition-id": i, "num-partitions": n_sites},
                state=RecordDict(),
                run_config={},
            )
            for i in range(n_sites)
        }
        self.silent = dict(silent or {})

    def set_run(self, run):
        self._run = run

    @property
    def run(self):
        return self._run

    def create_message(self, content, message_type, dst_node_id, group_id, ttl=None):
        return Message(content, dst_node_id=dst_node_id, message_type=message_type)

    def get_node_ids(self):
        return list(self.contexts)

    def push_messages(self, messages):
        raise NotImplementedError

    def pull_messages(self, message_ids):
        raise NotImplementedError

    def send_and_receive(self, messages, *, timeout=None):
        replies = []
        for msg in messages:
            node = msg.metadata.dst_node_id
            if msg.metadata.message_type in self.silent.get(node, ()):
                continue
            try:
                reply = self.app(msg, self.contexts[node])
            except Exception as exc:
                reply = Message(Error(code=0, reason=repr(exc)), reply_to=msg)
            reply.metadata.__dict__["_src_node_id"] = node
            replies.append(reply)
        return replies


def test_the_protocol_in_one_process_equals_the_in_process_ensemble(
    task_identity, in_process
):
    history = run_rounds(LocalGrid(demo_site, 3), {"num-rounds": N_ROUNDS})
    ens, (X_test, _) = in_process
    models = history.final_models()
    for name, member in ens.named_estimators_.items():
        np.testing.assert_allclose(
            models[name].predict_proba(X_test),
            member.predict_proba(X_test),
            atol=1e-12,
        )


def test_a_failing_site_does_not_block_the_round_in_one_process(task_identity):
    history = run_rounds(LocalGrid(failing_tree_site, 3), {"num-rounds": 1})
    info = history.rounds[1]
    assert info["missing"] == {"teach": ["tree"], "learn": []}
    assert "site down" in info["errors"]["teach tree"]
    entries = {e["site"]: e for e in history.table if e["round"] == 1}
    assert entries["tree"]["rows_sent"] == 0
    assert entries["tree"]["rows_received"] > 0
    routed = history.virtual_rows()
    assert {r.teacher for r in routed} == {"nb", "logreg"}
    assert all(0.8 < e["score"] <= 1 for e in entries.values())


def test_a_silent_site_is_named_missing_and_the_others_go_on(task_identity):
    # "tree" sends its model, then never answers again (the server's timeout)
    grid = LocalGrid(demo_site, 3, silent={101: {"train.teach", "train.learn"}})
    history = run_rounds(grid, {"num-rounds": 1, "timeout": 0.1})
    assert history.rounds[1]["missing"] == {"teach": ["tree"], "learn": ["tree"]}
    entries = {e["site"]: e for e in history.table if e["round"] == 1}
    assert np.isnan(entries["tree"]["score"])
    assert entries["tree"]["rows_received"] == entries["tree"]["bytes_received"] == 0
    assert all(0.8 < entries[n]["score"] <= 1 for n in ("nb", "logreg"))
    assert {r.teacher for r in history.virtual_rows()} == {"nb", "logreg"}
    # a node silent from the start is named by its node id; the run goes on
    grid = LocalGrid(demo_site, 3, silent={101: {"query.model"}})
    history = run_rounds(grid, {"num-rounds": 1, "timeout": 0.1})
    assert history.names == ["nb", "logreg"]
    assert history.rounds[0]["missing"] == {"model": ["node 101"]}
    assert history.missing(1) == []


def test_unknown_settings_are_refused(task_identity):
    with pytest.raises(ValueError, match="Unknown settings"):
        run_rounds(LocalGrid(demo_site, 3), {"rounds": 1})


@pytest.mark.slow
def test_a_failing_site_does_not_block_the_round():
    history = run_cooperative(failing_tree_site, 3, n_rounds=1, random_state=0)
    info = history.rounds[1]
    assert info["missing"] == {"teach": ["tree"], "learn": []}
    assert history.missing(1) == ["tree"]
    assert "site down" in info["errors"]["teach tree"]
    entries = {e["site"]: e for e in history.table if e["round"] == 1}
    assert entries["tree"]["rows_sent"] == 0
    routed = history.virtual_rows()
    assert {r.teacher for r in routed} == {"nb", "logreg"}
    assert {r.student for r in routed} == {"nb", "tree", "logreg"}
    assert all(0.8 < e["score"] <= 1 for e in entries.values())


def test_payloads_round_trip_and_tampered_models_are_refused():
    site = demo_site({"partition-id": 0})
    model = site.estimator.fit(site.X, site.y)
    data, meta = model_to_bytes(model, name="nb")
    back = model_from_bytes(data, meta)
    np.testing.assert_array_equal(
        back.predict_proba(site.X), model.predict_proba(site.X)
    )
    tampered = bytearray(data)
    tampered[len(tampered) // 2] ^= 1
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        model_from_bytes(bytes(tampered), meta)
    rows = VirtualRows(site.X[:3] + 0.5, site.y[:3], teacher="nb", student="tree")
    again = rows_from_bytes(rows_to_bytes(rows))
    np.testing.assert_array_equal(again.X, rows.X)
    assert (again.teacher, again.student) == ("nb", "tree")


def test_a_raw_row_is_never_sent():
    site = demo_site({"partition-id": 0})
    X = site.X[:4].copy()
    X[1] += 0.25
    rows = VirtualRows(X, site.y[:4], teacher="nb", student="tree")
    with pytest.raises(RuntimeError, match="3 virtual row"):
        check_no_raw_row(rows, site.X)
    check_no_raw_row(VirtualRows(X[1:2], site.y[:1], teacher="nb", student="t"), site.X)


def test_site_scores_its_held_out_rows():
    site = Site("a", None, None, None)
    assert np.isnan(site.score(None))
