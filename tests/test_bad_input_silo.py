"""``skcoop.silo.teach``, ``learn`` and ``site_seeds``: inputs checked at entry.

A ``y`` shorter than ``X``, labels outside the agreed classes or of another
type, virtual rows that share no column with the site, a repeated member
name: each is named before any work, instead of failing deep in the judge,
or worse, giving a silently wrong model.
"""

import numpy as np
import pytest
from _bad import expect
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils._param_validation import InvalidParameterError

from skcoop.silo import VirtualRows, learn, site_seeds, teach
from skcoop.views import NoSharedColumnsWarning

pd = pytest.importorskip("pandas")

rng = np.random.RandomState(0)
X = rng.normal(size=(40, 3))
Y = (X[:, 0] > 0).astype(int)
YR = X[:, 0] + 0.1 * rng.normal(size=40)
FRAME = pd.DataFrame(X, columns=["a", "b", "c"])
NB = GaussianNB().fit(X, Y)
LR = LogisticRegression().fit(X, Y)
RIDGE = Ridge().fit(X, YR)
TREE = DecisionTreeRegressor(max_depth=2).fit(X, YR)


def _teach(**kw):
    args = {"model": NB, "X": X, "y": Y, "peers": {"lr": LR}, "name": "nb"}
    args.update(kw)
    model, Xa, ya, peers = (args.pop(k) for k in ("model", "X", "y", "peers"))
    kw = {"random_state": 0, **args}
    return (lambda: teach(model, Xa, ya, peers, **kw)), (Xa, ya)


TEACH_BAD = {
    "y-too-short": (dict(y=Y[:20]), "X has 40 rows but y has 20"),
    "y-too-long": (dict(y=np.r_[Y, Y]), "X has 40 rows but y has 80"),
    "y-2d": (dict(y=np.c_[Y, Y]), "y must be 1-D"),
    "y-nan": (dict(y=np.where(Y == 0, np.nan, 1.0)), "y contains NaN or infinity"),
    "X-1d": (dict(X=X[:, 0]), "X must be 2-D"),
    "X-empty": (dict(X=X[:0], y=Y[:0]), "0 rows"),
    "sample_weight-short": (
        dict(sample_weight=np.ones(5)),
        "inconsistent numbers of samples",
    ),
    "sample_weight-negative": (
        dict(sample_weight=-np.ones(40)),
        "Negative values in data passed to `sample_weight`",
    ),
    "classes-missing-a-label": (
        dict(classes=[0]),
        r"y holds labels \[1\] that are not among classes \[0\]",
    ),
    "classes-repeated": (dict(classes=[0, 1, 1]), "list each label once"),
    "classes-strings": (dict(classes=["a", "b"]), "are strings"),
    "classes-empty": (dict(classes=[]), "non-empty list of labels"),
    "name-empty": (dict(name=""), "name must be this site's non-empty name"),
    "name-in-peers": (dict(name="lr"), "must not hold this site's own name 'lr'"),
    "peers-empty": (dict(peers={}), "at least one other site's model"),
    "peers-unnamed": (dict(peers={"": LR}), "keyed by the peers' names"),
    "regressor-string-y": (
        dict(model=RIDGE, peers={"tree": TREE}, y=np.array(["a", "b"] * 20)),
        "A regressor's y must hold numbers",
    ),
    "received-not-rows": (dict(received=[X]), "received must hold VirtualRows"),
    "received-string-labels": (
        dict(received=[VirtualRows(X[:2], ["x", "y"], teacher="lr", student="nb")]),
        r"labels of the virtual rows from 'lr' \(round 0\) are strings",
    ),
    "received-unknown-label": (
        dict(
            classes=[0, 1],
            received=[VirtualRows(X[:2], [0, 7], teacher="lr", student="nb")],
        ),
        r"carry labels \[7\] that are not among classes \[0, 1\]",
    ),
}


@pytest.mark.parametrize("key", sorted(TEACH_BAD))
def test_teach_refuses_bad_input(key):
    kw, match = TEACH_BAD[key]
    call, inputs = _teach(**kw)
    expect(call, (ValueError, TypeError), match, *inputs)


TEACH_PARAMS = {
    "alpha": (1.5, "'alpha' parameter"),
    "alpha-bool": (True, "'alpha' parameter"),
    "oof_folds": (1, "'oof_folds' parameter"),
    "oof_folds-bool": (True, r"'oof_folds' parameter .*\(not a bool\)"),
    "prototype_k": (0, "'prototype_k' parameter"),
    "prototype_k-bool": (True, "'prototype_k' parameter"),
    "round": (-1, "'round' parameter"),
    "round-bool": (True, "'round' parameter"),
    "min_distance": (0.0, "'min_distance' parameter"),
    "scope": ("all", "'scope' parameter"),
    "expertise": ("oracle", "'expertise' parameter"),
    "counterfactual": ("magic", "'counterfactual' parameter"),
    "fill": ("max", "'fill' parameter"),
    "tolerance": (-1.0, "'tolerance' parameter"),
    "tolerance_quantile": (1.0, "'tolerance_quantile' parameter"),
    "random_state": ("seed", "'random_state' parameter"),
    "trusted": ("mypkg.Model", "'trusted' parameter"),
    "dedupe": ("yes", "'dedupe' parameter"),
}


@pytest.mark.parametrize("key", sorted(TEACH_PARAMS))
def test_teach_refuses_bad_settings(key):
    value, match = TEACH_PARAMS[key]
    call, inputs = _teach(**{key.split("-")[0]: value})
    expect(call, InvalidParameterError, match, *inputs)


def test_teach_warns_when_the_site_is_smaller_than_oof_folds():
    call, inputs = _teach(oof_folds=50)
    sent = expect(call, None, "fewer than oof_folds=50", *inputs, warning=UserWarning)
    assert set(sent) == {"lr"}


def _learn(est=None, X_site=X, y=Y, received=None, **kw):
    est = GaussianNB() if est is None else est
    if received is None:
        received = [VirtualRows(X[:3] + 0.1, Y[:3], teacher="t", student="s")]
    return (lambda: learn(est, X_site, y, received, **kw)), (X_site, y, est)


LEARN_BAD = {
    "y-too-short": (dict(y=Y[:10]), "X has 40 rows but y has 10"),
    "y-2d": (dict(y=np.c_[Y, Y]), "y must be 1-D"),
    "X-empty": (dict(X_site=X[:0], y=Y[:0]), "0 rows"),
    "label-7-not-in-classes": (
        dict(
            classes=[0, 1],
            received=[VirtualRows(X[:3], [7, 7, 7], teacher="t", student="s")],
        ),
        r"from 't' \(round 0\) carry labels \[7\] that are not among classes \[0, 1\]",
    ),
    "string-labels-into-int-site": (
        dict(received=[VirtualRows(X[:3], list("aba"), teacher="t", student="s")]),
        r"are strings \(\['a', 'b', 'a'\] \.\.\.\), but this site's y holds numbers",
    ),
    "int-labels-into-string-site": (
        dict(
            y=np.array(["n", "y"])[Y],
            received=[VirtualRows(X[:3], [0, 1, 0], teacher="t", student="s")],
        ),
        "are numbers .* but this site's y holds strings",
    ),
    "classes-missing-own-label": (dict(classes=[1]), r"y holds labels \[0\]"),
    "received-not-rows": (dict(received=[(X, Y)]), "received must hold VirtualRows"),
    "received-width": (
        dict(received=[VirtualRows(X[:2, :2], Y[:2], teacher="t", student="s")]),
        "have 2 unnamed columns, but this site's rows have 3",
    ),
    "regressor-string-y": (
        dict(est=Ridge(), y=np.array(["a", "b"] * 20)),
        "A regressor's y must hold numbers",
    ),
    "received-infinity": (
        dict(
            received=[
                VirtualRows(
                    np.where(X[:3] > 1, np.inf, X[:3]), Y[:3], teacher="t", student="s"
                )
            ]
        ),
        r"virtual rows from 't' \(round 0\) hold infinity in the columns \[0",
    ),
    "received-frame-infinity": (
        dict(
            X_site=FRAME,
            received=[
                VirtualRows(
                    pd.DataFrame({"a": [1.0, np.inf]}), [0, 1], teacher="t", student="s"
                )
            ],
        ),
        r"hold infinity in the columns \['a'\]",
    ),
    "sample_weight-short": (
        dict(sample_weight=np.ones(3)),
        "inconsistent numbers of samples",
    ),
}


@pytest.mark.parametrize("key", sorted(LEARN_BAD))
def test_learn_refuses_bad_input(key):
    kw, match = LEARN_BAD[key]
    call, inputs = _learn(**kw)
    expect(call, (ValueError, TypeError), match, *inputs)


LEARN_PARAMS = {
    "virtual_weight": (0.0, "'virtual_weight' parameter"),
    "virtual_weight-bool": (True, r"'virtual_weight' parameter .*\(not a bool\)"),
    "fill": ("max", "'fill' parameter"),
    "dedupe": ("no", "'dedupe' parameter"),
    "received": ("rows.parquet", "'received' parameter"),
}


@pytest.mark.parametrize("key", sorted(LEARN_PARAMS))
def test_learn_refuses_bad_settings(key):
    value, match = LEARN_PARAMS[key]
    name = key.split("-")[0]
    if name == "received":
        call, inputs = _learn(received=value)
    else:
        call, inputs = _learn(**{name: value})
    expect(call, InvalidParameterError, match, *inputs)


def test_learn_warns_and_skips_rows_sharing_no_column():
    rows = VirtualRows(
        pd.DataFrame(rng.normal(size=(5, 2)), columns=["p", "q"]),
        [0, 1, 0, 1, 0],
        teacher="t",
        student="s",
    )
    call, inputs = _learn(X_site=FRAME, received=[rows])
    model = expect(
        call, None, "share no column", *inputs, warning=NoSharedColumnsWarning
    )
    assert model.class_count_.sum() == len(Y)  # no row made of filled-in values
    np.testing.assert_allclose(
        model.predict_proba(FRAME), GaussianNB().fit(FRAME, Y).predict_proba(FRAME)
    )


def test_learn_with_agreed_classes_learns_a_new_class():
    rows = VirtualRows(X[:3], [2, 2, 2], teacher="t", student="s")
    call, inputs = _learn(received=[rows], classes=[0, 1, 2])
    assert expect(call, None, None, *inputs).classes_.tolist() == [0, 1, 2]


SEEDS_BAD = {
    "repeated-name": ((0, ["a", "a"]), ValueError, r"\['a'\] appear more than once"),
    "empty": ((0, []), ValueError, "non-empty list"),
    "str-not-list": ((0, "ab"), ValueError, "list of the members' names"),
    "non-str-name": ((0, ["a", 1]), ValueError, r"Got \['a', 1\]"),
    "empty-name": ((0, ["a", ""]), ValueError, "non-empty member names"),
    "n_rounds-negative": (
        (0, ["a"], -1),
        ValueError,
        "n_rounds must be a non-negative",
    ),
    "n_rounds-bool": ((0, ["a"], True), ValueError, "A bool is not a count"),
    "n_rounds-float": ((0, ["a"], 1.5), ValueError, "n_rounds must be"),
    "random_state-bool": ((True, ["a"]), ValueError, "random_state must be"),
    "random_state-str": (("x", ["a"]), ValueError, "random_state|RandomState"),
    "names-none": ((0, None), ValueError, "list of the members' names"),
}


@pytest.mark.parametrize("key", sorted(SEEDS_BAD))
def test_site_seeds_refuses_bad_input(key):
    args, exc, match = SEEDS_BAD[key]
    expect(lambda: site_seeds(*args), exc, match)


def test_site_seeds_good_input():
    seeds = site_seeds(0, ("a", "b"), n_rounds=2)
    assert len(seeds) == 2 and all(sorted(s) == ["a", "b"] for s in seeds)
    assert site_seeds(0, ["a"], n_rounds=0) == []
    assert site_seeds(np.int64(3), ["a"]) == site_seeds(3, ["a"])
