"""Bad input over the public API: a clear error, or handled well; inputs untouched.

Each *kind* of input below is one way a user can get a call wrong (or an
unusual input that must work). A kind that must fail names the exception and
a pattern the message must match: the offending parameter or value. Every
kind hashes its inputs before and after the call (nothing is modified in
place). Hypothesis draws the bad value where a family of values is bad (any
alpha outside [0, 1], any negative weight, ...); ``max_examples`` stays small
so that the whole suite runs in well under a minute.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils._param_validation import InvalidParameterError

from skcoop import CooperativeDistillationEnsemble, CooperativeDistillationRegressor
from skcoop.counterfactual import BisectionSearch, BlackBoxSearch
from skcoop.distill import SoftTargetDistiller
from skcoop.partition import (
    ClassExclusionPartitioner,
    DirichletPartitioner,
    FeatureViewPartitioner,
    IIDPartitioner,
    QuantitySkewPartitioner,
)
from skcoop.utils.estimator_checks import input_digest
from skcoop.views import ColumnMapper

RNG = np.random.RandomState(0)
X = RNG.normal(size=(40, 3))
Y = (np.arange(40) // 2) % 2  # both classes on each site
YR = X[:, 0] + 0.1 * RNG.normal(size=40)
SITE = np.arange(40) % 2
FRAME = pd.DataFrame(X, columns=["a", "b", "c"])

E = CooperativeDistillationEnsemble
R = CooperativeDistillationRegressor
IPE = InvalidParameterError


def _members():
    return [("lr", LogisticRegression()), ("nb", GaussianNB())]


def _rmembers():
    return [("ridge", Ridge()), ("tree", DecisionTreeRegressor(max_depth=2))]


def _ens(**params):
    params = {"estimators": _members(), "random_state": 0, **params}
    return E(**params)


def _reg(**params):
    params = {"estimators": _rmembers(), "random_state": 0, **params}
    return R(**params)


def fit(est, X=X, y=Y, **kw):
    """A fit call and the inputs it must leave untouched."""
    kw.setdefault("site", SITE)
    return (lambda: est.fit(X, y, **kw)), (X, y, *kw.values(), est)


def call(f, *inputs):
    return f, inputs


_FITTED = {}


def fitted(kind="clf", frame=False):
    key = (kind, frame)
    if key not in _FITTED:
        est = _ens() if kind == "clf" else _reg()
        if kind == "hard":
            est = _ens(voting="hard")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(FRAME if frame else X, Y if kind != "reg" else YR, site=SITE)
        _FITTED[key] = est
    return _FITTED[key]


# kind name -> (builder(draw) -> (callable, inputs), exception or None, pattern)
KINDS = {}


def kind(name, exc=None, match=None):
    def register(builder):
        assert name not in KINDS, name
        KINDS[name] = (builder, exc, match)
        return builder

    return register


def param_kind(name, make, param, value_strategy, exc=IPE):
    """A constructor parameter with a bad value: raises naming it at fit."""
    kind(name, exc, rf"'{param}' parameter")(
        lambda draw: fit(
            make(**{param: draw(value_strategy)}), y=Y if make is _ens else YR
        )
    )


outside01 = st.one_of(st.floats(-1e6, -1e-6), st.floats(1.000001, 1e6))
# ---------------------------------------------------------------- parameters
for make, tag in ((_ens, "clf"), (_reg, "reg")):
    param_kind(f"{tag}-alpha-out-of-range", make, "alpha", outside01)
    param_kind(f"{tag}-alpha-string", make, "alpha", st.just("half"))
    param_kind(f"{tag}-n_rounds-negative", make, "n_rounds", st.integers(-99, -1))
    param_kind(f"{tag}-n_rounds-float", make, "n_rounds", st.just(1.5))
    param_kind(f"{tag}-pool", make, "pool", st.sampled_from(["all", "Site", ""]))
    param_kind(f"{tag}-scope", make, "scope", st.just("everything"))
    param_kind(f"{tag}-expertise", make, "expertise", st.just("oracle"))
    param_kind(f"{tag}-oof_folds", make, "oof_folds", st.integers(-5, 1))
    param_kind(f"{tag}-prototype_k", make, "prototype_k", st.integers(-5, 0))
    param_kind(f"{tag}-min_distance", make, "min_distance", st.floats(-9, 0))
    param_kind(f"{tag}-dedupe", make, "dedupe", st.just("yes"))
    param_kind(f"{tag}-virtual_weight", make, "virtual_weight", st.floats(-9, 0))
    param_kind(f"{tag}-counterfactual-name", make, "counterfactual", st.just("magic"))
    param_kind(f"{tag}-counterfactual-object", make, "counterfactual", st.just(3))
    param_kind(f"{tag}-fill", make, "fill", st.just("max"))
    param_kind(f"{tag}-partition", make, "partition", st.just("iid"))
    param_kind(f"{tag}-weights-scalar", make, "weights", st.just(3))
    param_kind(f"{tag}-n_jobs", make, "n_jobs", st.just("all"))
    param_kind(f"{tag}-random_state", make, "random_state", st.just("seed"))
    param_kind(f"{tag}-verbose", make, "verbose", st.just("loud"))
    param_kind(f"{tag}-acceptance", make, "acceptance", st.floats(0.51, 5))
    param_kind(f"{tag}-estimators-not-list", make, "estimators", st.just("lr"))
param_kind("clf-voting", _ens, "voting", st.just("majority"))
param_kind("clf-distiller-name", _ens, "distiller", st.just("kd"))
param_kind("clf-distiller-object", _ens, "distiller", st.just(object()))
param_kind("reg-tolerance-negative", _reg, "tolerance", st.floats(-9, 0))
param_kind("reg-tolerance-name", _reg, "tolerance", st.just("big"))
param_kind("reg-tolerance_quantile", _reg, "tolerance_quantile", outside01)


@kind("reg-bisection-search", ValueError, "counterfactual='bisection'")
def _(draw):
    return fit(_reg(counterfactual="bisection"), y=YR)


@kind("reg-bisection-search-object", ValueError, "classification only")
def _(draw):
    return fit(_reg(counterfactual=BisectionSearch()), y=YR)


@kind("kd-with-cooperative-setting", ValueError, "alpha=0.3.*only apply")
def _(draw):
    return fit(_ens(distiller=SoftTargetDistiller(), alpha=0.3))


# ------------------------------------------------------------------- members
def member_kind(name, members, exc, match, make=E, y=Y):
    kind(name, exc, match)(lambda draw: fit(make(members(), random_state=0), y=y))


member_kind("members-empty", lambda: [], ValueError, r"non-empty list.*Got \[\]")
member_kind("member-not-tuple", lambda: ["lr", "nb"], ValueError, "Got 'lr'")
member_kind(
    "member-1-tuple", lambda: [("lr",), ("nb", GaussianNB())], ValueError, r"\('lr',\)"
)
member_kind(
    "member-4-tuple",
    lambda: [("lr", LogisticRegression(), None, 1), ("nb", GaussianNB())],
    ValueError,
    "Got",
)
member_kind(
    "member-name-int",
    lambda: [(1, LogisticRegression()), ("nb", GaussianNB())],
    ValueError,
    "non-empty strings. Got 1",
)
member_kind(
    "member-name-empty",
    lambda: [("", LogisticRegression()), ("nb", GaussianNB())],
    ValueError,
    "non-empty strings. Got ''",
)
member_kind(
    "member-names-duplicate",
    lambda: [("a", LogisticRegression()), ("a", GaussianNB())],
    ValueError,
    "unique.*'a'",
)
member_kind(
    "member-name-dunder",
    lambda: [("a__b", LogisticRegression()), ("nb", GaussianNB())],
    ValueError,
    "a__b",
)
member_kind(
    "member-name-is-a-parameter",
    lambda: [("alpha", LogisticRegression()), ("nb", GaussianNB())],
    ValueError,
    "alpha",
)
member_kind(
    "member-drop",
    lambda: [("lr", "drop"), ("nb", GaussianNB())],
    ValueError,
    "Member 'lr' is 'drop'",
)
member_kind(
    "member-not-an-estimator",
    lambda: [("lr", 3), ("nb", GaussianNB())],
    TypeError,
    r"Member 'lr' \(int\)",
)
member_kind(
    "member-without-predict_proba",
    lambda: [("svc", SVC()), ("nb", GaussianNB())],
    TypeError,
    "Member 'svc'.*predict_proba",
)
member_kind(
    "clf-regressor-member",
    lambda: [("ridge", Ridge()), ("nb", GaussianNB())],
    TypeError,
    "Member 'ridge' \\(Ridge\\) is a regressor",
)
member_kind(
    "reg-classifier-member",
    lambda: [("ridge", Ridge()), ("lr", LogisticRegression())],
    TypeError,
    "Member 'lr' \\(LogisticRegression\\) is a classifier",
    make=R,
    y=YR,
)
member_kind(
    "member-columns-out-of-range",
    lambda: [("lr", LogisticRegression(), [7]), ("nb", GaussianNB())],
    (ValueError, IndexError),
    "7",
)
member_kind(
    "member-columns-mask-length",
    lambda: [("lr", LogisticRegression(), [True, False]), ("nb", GaussianNB())],
    (ValueError, IndexError),
    "mask|boolean|2",
)


@kind("member-columns-unknown-name", (ValueError, KeyError), "zzz")
def _(draw):
    est = E([("lr", LogisticRegression(), ["a", "zzz"]), ("nb", GaussianNB())])
    return fit(est, X=FRAME)


@kind("member-knn-fewer-rows-than-neighbors", ValueError, "Member 'knn'.*n_neighbors")
def _(draw):
    k = draw(st.integers(21, 60))
    est = E([("knn", KNeighborsClassifier(n_neighbors=k)), ("nb", GaussianNB())])
    return fit(est)


@kind("member-knn-unequal-sample-weight", TypeError, "Member 'knn'.*sample_weight")
def _(draw):
    est = E([("knn", KNeighborsClassifier(n_neighbors=3)), ("nb", GaussianNB())])
    return fit(est, sample_weight=np.arange(1.0, 41.0))


# ------------------------------------------------------------------- weights
weights_bad = {
    "weights-negative": (
        st.tuples(st.floats(-9, -0.01), st.floats(0, 9)).map(list),
        "non-negative",
    ),
    "weights-all-zero": (st.just([0, 0]), "not be all zero"),
    "weights-strings": (st.just(["a", "b"]), "must be numbers"),
    "weights-nan": (st.just([1.0, np.nan]), "must be finite"),
    "weights-inf": (st.just([np.inf, 1.0]), "must be finite"),
    "weights-too-many": (
        st.lists(st.floats(0.1, 9), min_size=3, max_size=5),
        "one entry per member",
    ),
    "weights-too-few": (st.just([1.0]), "one entry per member"),
    "weights-2d": (st.just([[1.0], [2.0]]), "one entry per member"),
    "weights-ragged": (st.just([[1.0], [2.0, 3.0]]), "weights"),
}
for name, (strategy, match) in weights_bad.items():
    for make, tag, y in ((_ens, "clf", Y), (_reg, "reg", YR)):
        kind(f"{tag}-{name}", ValueError, rf"weights.*{match}|{match}")(
            lambda draw, make=make, y=y, strategy=strategy: fit(
                make(weights=draw(strategy)), y=y
            )
        )


@kind(
    "weights-zero-on-members-that-take-part", ValueError, "weights must not be all zero"
)
def _(draw):
    est = E(
        [
            ("lr", LogisticRegression()),
            ("nb", GaussianNB()),
            ("tree", DecisionTreeClassifier()),
        ],
        weights=[0, 0, 1],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
    return fit(est)  # member 'tree' owns no row (SITE has 0 and 1 only)


# ---------------------------------------------------------------------- site
site_bad = {
    "site-fraction": (
        st.floats(0.01, 0.99).map(lambda f: np.where(SITE == 0, f, SITE)),
        ValueError,
        "non-integer numbers",
    ),
    "site-nan": (st.just(np.where(SITE == 0, np.nan, SITE)), ValueError, "NaN"),
    "site-inf": (st.just(np.where(SITE == 0, np.inf, SITE)), ValueError, "infinity"),
    "site-bool": (st.just(SITE == 0), ValueError, "booleans"),
    "site-mixed": (
        st.just(np.array(["lr", 1] * 20, dtype=object)),
        ValueError,
        "mixes member names and numbers",
    ),
    "site-int-out-of-range": (
        st.integers(2, 99).map(lambda k: np.full(40, k)),
        ValueError,
        "match no member",
    ),
    "site-int-negative": (
        st.integers(-99, -1).map(lambda k: np.full(40, k)),
        ValueError,
        "match no member",
    ),
    "site-unknown-name": (
        st.just(np.full(40, "zz")),
        ValueError,
        r"\['zz'\] match no member",
    ),
    "site-too-short": (
        st.integers(0, 39).map(lambda n: SITE[:n]),
        ValueError,
        "site must be a 1d array|one entry per row",
    ),
    "site-2d": (st.just(SITE.reshape(20, 2)), ValueError, "site must be a 1d array"),
    "site-one-member": (
        st.just(np.zeros(40, dtype=int)),
        ValueError,
        "at least two members with rows",
    ),
}
for name, (strategy, exc, match) in site_bad.items():
    kind(name, exc, match)(
        lambda draw, strategy=strategy: fit(_ens(), site=draw(strategy))
    )


@kind("site-ambiguous-integer-names", ValueError, "names or positions unambiguously")
def _(draw):
    est = E([("1", LogisticRegression()), ("0", GaussianNB())])
    return fit(est)


# ------------------------------------------------------------------------ X
x_bad = {
    "X-none": (None, ValueError, "X|None|array"),
    "X-1d": (X[:, 0], ValueError, "2D array"),
    "X-3d": (X.reshape(40, 3, 1), ValueError, "dim 3|3-dimensional|2D"),
    "X-nan": (np.where(X > 1.5, np.nan, X), ValueError, "NaN"),
    "X-inf": (np.where(X > 1.5, np.inf, X), ValueError, "infinity"),
    "X-strings": (np.full((40, 3), "a"), ValueError, "string|float|could not convert"),
    "X-complex": (X + 1j, ValueError, "[Cc]omplex"),
    "X-no-rows": (X[:0], ValueError, "0 sample"),
    "X-no-features": (X[:, :0], ValueError, "0 feature"),
    "X-sparse": (sparse.csr_matrix(X), TypeError, "[Ss]parse"),
    "X-frame-all-missing-column": (
        FRAME.assign(d=np.nan),
        ValueError,
        "Column 'd' is missing in every row",
    ),
    "X-frame-mixed-object-column": (
        FRAME.assign(d=pd.Series(["a", 1] * 20, dtype=object)),
        ValueError,
        "Column 'd' mixes value types",
    ),
}
for name, (Xb, exc, match) in x_bad.items():
    kind(name, exc, match)(
        lambda draw, Xb=Xb: fit(
            _ens(), X=Xb, site=SITE[: 40 if Xb is None or Xb.shape[0] else 0]
        )
    )


# ------------------------------------------------------------------------ y
y_bad = {
    "y-none": (_ens, None, ValueError, "requires y"),
    "y-too-short": (_ens, Y[:30], ValueError, "inconsistent numbers of samples"),
    "y-mixed-str-int": (
        _ens,
        np.array(["a", 1] * 20, dtype=object),
        ValueError,
        "y mixes string and number",
    ),
    "y-continuous": (_ens, YR, ValueError, "continuous"),
    "y-2d": (_ens, np.c_[Y, Y], ValueError, "1d array|y should be a 1d"),
    "y-one-class": (_ens, np.zeros(40, dtype=int), ValueError, "only one class"),
    "y-nan-clf": (_ens, np.where(Y == 0, np.nan, 1.0), ValueError, "NaN|continuous"),
    "reg-y-strings": (_reg, np.array(["a", "b"] * 20), ValueError, "numeric target"),
    "reg-y-nan": (_reg, np.where(Y == 0, np.nan, YR), ValueError, "y contains NaN"),
    "reg-y-inf": (
        _reg,
        np.where(Y == 0, np.inf, YR),
        ValueError,
        "y contains NaN or infinity",
    ),
}
for name, (make, yb, exc, match) in y_bad.items():
    kind(name, exc, match)(lambda draw, make=make, yb=yb: fit(make(), y=yb))


# ------------------------------------------------------------ sample_weight
sw_bad = {
    "sample_weight-too-short": (
        st.integers(1, 39).map(lambda n: np.ones(n)),
        "sample_weight.shape|shape",
    ),
    "sample_weight-negative": (
        st.floats(-9, -0.01).map(lambda v: np.where(SITE == 0, v, 1.0)),
        "[Nn]egative",
    ),
    "sample_weight-nan": (st.just(np.where(SITE == 0, np.nan, 1.0)), "NaN"),
    "sample_weight-strings": (
        st.just(np.array(["a"] * 40)),
        "could not convert|float|string",
    ),
    "sample_weight-2d": (st.just(np.ones((40, 2))), "1D|1 or 2|shape"),
}
for name, (strategy, match) in sw_bad.items():
    kind(name, ValueError, match)(
        lambda draw, strategy=strategy: fit(_ens(), sample_weight=draw(strategy))
    )


@kind("fit-param-unknown-without-routing", ValueError, "groups")
def _(draw):
    return fit(_ens(), groups=np.zeros(40))


@kind(
    "one-class-site-with-no-round",
    ValueError,
    "Member 'nb' owns rows of only one class",
)
def _(draw):
    return fit(_ens(n_rounds=0), y=np.where(SITE == 1, 0, Y))


@kind("partition-n_sites-mismatch", ValueError, "partition has n_sites=3")
def _(draw):
    est = _ens(partition=IIDPartitioner(n_sites=3))
    return fit(est, site=None)


# ------------------------------------------------------------------- predict
@kind("predict-before-fit", NotFittedError, "not fitted")
def _(draw):
    est = _ens()
    return call(lambda: est.predict(X), X, est)


@kind("predict-wrong-n-features", ValueError, "3 features")
def _(draw):
    est = fitted()
    Xb = X[:, :2]
    return call(lambda: est.predict(Xb), Xb)


@kind("predict-renamed-columns", ValueError, "feature names")
def _(draw):
    est = fitted(frame=True)
    Xb = FRAME.rename(columns={"a": "z"})
    return call(lambda: est.predict(Xb), Xb)


@kind("predict-changed-dtype", ValueError, "dtype of some columns differs")
def _(draw):
    est = fitted(frame=True)
    Xb = FRAME.assign(a=FRAME["a"].astype(str))
    return call(lambda: est.predict(Xb), Xb)


@kind("predict-nan", ValueError, "NaN")
def _(draw):
    est = fitted()
    Xb = np.where(X > 1.5, np.nan, X)
    return call(lambda: est.predict(Xb), Xb)


@kind("predict_proba-with-hard-voting", AttributeError, "no attribute 'predict_proba'")
def _(draw):
    est = fitted("hard")
    return call(lambda: est.predict_proba(X), X)


@kind("reg-predict-wrong-n-features", ValueError, "3 features")
def _(draw):
    est = fitted("reg")
    Xb = X[:, :1]
    return call(lambda: est.predict(Xb), Xb)


@kind("weights-set-after-fit-are-checked", ValueError, "weights must be finite")
def _(draw):
    est = E(_members(), weights=[1.0, np.nan])
    return fit(est)


# ---------------------------------------------------------------- partition
def part_kind(name, make, match, exc=IPE, X_in=X, y_in=Y):
    kind(name, exc, match)(
        lambda draw: call(lambda: make(draw).split(X_in, y_in), X_in, y_in)
    )


for cls in (IIDPartitioner, QuantitySkewPartitioner, ClassExclusionPartitioner):
    part_kind(
        f"{cls.__name__}-n_sites-zero",
        lambda draw, cls=cls: cls(n_sites=draw(st.integers(-5, 0))),
        "'n_sites' parameter",
    )
    part_kind(
        f"{cls.__name__}-n_sites-float",
        lambda draw, cls=cls: cls(n_sites=2.5),
        "'n_sites' parameter",
    )
part_kind(
    "DirichletPartitioner-alpha",
    lambda draw: DirichletPartitioner(n_sites=2, alpha=draw(st.floats(-9, 0))),
    "'alpha' parameter",
)
part_kind(
    "DirichletPartitioner-random_state",
    lambda draw: DirichletPartitioner(n_sites=2, alpha=1.0, random_state="x"),
    "'random_state' parameter",
)
part_kind(
    "ClassExclusionPartitioner-no-y",
    lambda draw: ClassExclusionPartitioner(n_sites=2),
    "y",
    exc=(ValueError, TypeError),
    y_in=None,
)
part_kind(
    "FeatureViewPartitioner-n_sites",
    lambda draw: FeatureViewPartitioner(n_sites=0),
    "'n_sites' parameter",
)
part_kind(
    "IIDPartitioner-more-sites-than-rows",
    lambda draw: IIDPartitioner(n_sites=draw(st.integers(41, 99))),
    "n_sites|rows",
    exc=ValueError,
)


# ------------------------------------------------------ ColumnMapper, search
@kind("ColumnMapper-fill", IPE, "'fill' parameter")
def _(draw):
    m = ColumnMapper([0, 1], [0, 2], fill="max")
    return call(lambda: m.fit(X[:, :2]), X)


@kind("ColumnMapper-estimator", IPE, "'estimator' parameter")
def _(draw):
    m = ColumnMapper([0, 1], [0, 2], fill="impute", estimator="ridge")
    return call(lambda: m.fit(X[:, :2]), X)


@kind("ColumnMapper-transform-wrong-width", ValueError, "2|columns|features")
def _(draw):
    m = ColumnMapper([0, 1], [0, 2]).fit(X[:, :2])
    return call(lambda: m.transform(X), X)


@kind("search-alpha", IPE, "'alpha' parameter")
def _(draw):
    s = BlackBoxSearch(alpha=draw(outside01))
    return call(lambda: s.fit(X, Y), X, Y)


@kind("search-scale", (IPE, ValueError), "scale")
def _(draw):
    s = BisectionSearch(scale="iqr")
    return call(lambda: s.fit(X, Y), X, Y)


@kind("search-generate-before-fit", NotFittedError, "not fitted")
def _(draw):
    s, model = BlackBoxSearch(), LogisticRegression().fit(X, Y)
    return call(lambda: s.generate(model, X, Y), X, Y)


@kind("search-y_ref-length", ValueError, "same number of rows")
def _(draw):
    s = BisectionSearch()
    return call(lambda: s.fit(X, Y[:10]), X, Y)


# --------------------------------------------- unusual input, handled well
HANDLED = {}


def handled(name):
    def register(builder):
        HANDLED[name] = builder
        return builder

    return register


handled("site-names-object-array")(
    lambda draw: fit(_ens(), site=np.array(["lr", "nb"] * 20, dtype=object))
)
handled("site-names-series")(
    lambda draw: fit(_ens(), site=pd.Series(["lr", "nb"] * 20))
)
handled("site-integral-floats")(lambda draw: fit(_ens(), site=SITE.astype(float)))
handled("site-list")(lambda draw: fit(_ens(), site=SITE.tolist()))
handled("weights-tuple")(lambda draw: fit(_ens(weights=(1, 2))))
handled("weights-zero-for-one")(lambda draw: fit(_ens(weights=[0, 1])))
handled("y-strings")(lambda draw: fit(_ens(), y=np.array(["no", "yes"])[Y]))
handled("y-series-categorical")(
    lambda draw: fit(_ens(), y=pd.Series(Y).astype("category"))
)
handled("X-list-of-lists")(lambda draw: fit(_ens(), X=X.tolist()))
handled("X-float32")(lambda draw: fit(_ens(), X=X.astype(np.float32)))
handled("X-frame-int-column-names")(lambda draw: fit(_ens(), X=pd.DataFrame(X)))
handled("sample_weight-integers")(
    lambda draw: fit(
        _ens(),
        sample_weight=draw(st.lists(st.integers(1, 3), min_size=40, max_size=40)),
    )
)
handled("sample_weight-some-zero")(
    lambda draw: fit(_ens(), sample_weight=np.where(np.arange(40) < 4, 0.0, 1.0))
)
# 40 rows: the default guard releases nothing from a class with < 20 site rows
handled("one-class-site-learns")(
    lambda draw: fit(_ens(guard=None), y=np.where(SITE == 1, 0, Y))
)
handled("reg-y-integers")(lambda draw: fit(_reg(), y=np.round(YR * 10).astype(int)))
handled("member-sits-out")(
    lambda draw: fit(
        E(_members() + [("tree", DecisionTreeClassifier())], random_state=0)
    )
)


def _check_kind(builder, exc, match, data):
    f, inputs = builder(data.draw)
    before = input_digest(*[_state(v) for v in inputs])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if exc is None:
            f()
        else:
            with pytest.raises(exc, match=match):
                f()
    after = input_digest(*[_state(v) for v in inputs])
    assert before == after, "an input was modified in place"


def _state(value):
    """What must not change: an estimator's parameters, else the value."""
    if hasattr(value, "get_params"):
        return repr(sorted(value.get_params(deep=False).items(), key=str))
    if isinstance(value, list):
        return repr(value)
    return value


FAST = settings(
    max_examples=3,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize("name", sorted(KINDS))
@FAST
@given(data=st.data())
def test_bad_input_gives_a_clear_error(name, data):
    builder, exc, match = KINDS[name]
    _check_kind(builder, exc, match, data)


@pytest.mark.parametrize("name", sorted(HANDLED))
@FAST
@given(data=st.data())
def test_unusual_input_is_handled(name, data):
    _check_kind(HANDLED[name], None, None, data)


def test_at_least_a_hundred_kinds():
    assert len(KINDS) + len(HANDLED) >= 100
    assert len(KINDS) >= 100
