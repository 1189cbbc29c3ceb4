"""The settings of cooperative distillation, written once.

Each :class:`Setting` holds a name, its default, its constraints (in
scikit-learn's ``_parameter_constraints`` vocabulary) and a one-line doc.
The estimators' ``_parameter_constraints``, :class:`CounterfactualDistiller`,
:func:`skcoop.silo.teach` and :func:`skcoop.silo.learn` take their
constraints from here, :class:`Settings` (what the steps receive) takes its
defaults from here, and ``tests/test_settings.py`` fails when an explicit
``__init__`` (kept, as scikit-learn wants) drifts from this definition. A
command line builds its options from the same records (``name``,
``default``, ``doc``, and :func:`check` for a value).

The longer parameter docs that the estimators' docstrings share are here
too (:data:`SHARED_DOCS`), substituted by :class:`skcoop.utils.Substitution`.
"""

# SPDX-License-Identifier: BSD-3-Clause

import warnings
from dataclasses import dataclass, field

from sklearn.utils._param_validation import (
    HasMethods,
    StrOptions,
    validate_parameter_constraints,
)

from .privacy import ReleaseGuard
from .utils import count, number

__all__ = []


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, constraints and a one-line doc.

    Attributes
    ----------
    name : str
        The parameter's name, the same wherever it is taken.
    default : object
        Its default, the same wherever it is taken.
    constraints : tuple
        What a value may be (scikit-learn's parameter constraints).
    doc : str
        One line saying what it does (a command line's help).
    """

    name: str
    default: object
    constraints: tuple
    doc: str

    def check(self, value, caller="skcoop"):
        """Raise scikit-learn's ``InvalidParameterError`` for a bad value."""
        validate_parameter_constraints(
            {self.name: list(self.constraints)}, {self.name: value}, caller
        )
        return value


COUNTERFACTUAL_SEARCHES = (
    "auto",
    "blackbox",
    "gradient",
    "linear",
    "trees",
    "bisection",
    "exact",
)

SETTINGS = (
    Setting(
        "alpha",
        0.5,
        (number(0, 1),),
        "How far the counterfactual's target output moves from the teacher's "
        "output toward the true label (or value).",
    ),
    Setting(
        "pool",
        "site",
        (StrOptions({"site", "union"}),),
        "Where expertise is measured: each teacher's own rows, or every row "
        "(simulations only).",
    ),
    Setting(
        "scope",
        "expertise",
        (StrOptions({"deficiency", "expertise"}),),
        "The rows a teacher teaches: all it gets right, or only those where "
        "the student errs.",
    ),
    Setting(
        "expertise",
        "oof",
        (StrOptions({"in_sample", "oof"}),),
        "How a teacher's own correctness is judged: out-of-fold, or in-sample "
        "(the paper).",
    ),
    Setting(
        "oof_folds",
        3,
        (count(2),),
        'Folds of expertise="oof".',
    ),
    Setting(
        "guard",
        "auto",
        (StrOptions({"auto"}), None, HasMethods(["release"])),
        "Release guard: 'auto' releases draws like the 20 nearest site rows "
        "of a class or label (None: off).",
    ),
    Setting(
        "prototype_k",
        None,
        (count(1), None),
        "Deprecated (use guard): release the mean of each counterfactual's k "
        "nearest site rows of its class.",
    ),
    Setting(
        "min_distance",
        None,
        (number(0, None, closed="neither"), None),
        "Deprecated (use guard): keep released rows this many median "
        "neighbour distances from every site row.",
    ),
    Setting(
        "acceptance",
        None,
        (number(0, 0.5, closed="right"), None),
        "Hold out this fraction of each site; keep distillation only where "
        "the pooled holdout agrees (None: always).",
    ),
    Setting(
        "dedupe",
        True,
        ("boolean",),
        "Drop duplicate virtual rows a student receives, across teachers and rounds.",
    ),
    Setting(
        "virtual_weight",
        1.0,
        (number(0, None, closed="neither"),),
        "Sample weight of virtual rows for members whose fit takes sample_weight.",
    ),
    Setting(
        "warm_refit",
        True,
        ("boolean",),
        "Refit students that can (convex and iterative learners) from their "
        "fitted state; False: cold refits.",
    ),
    Setting(
        "counterfactual",
        "auto",
        (StrOptions(set(COUNTERFACTUAL_SEARCHES)), HasMethods(["fit", "generate"])),
        "How teachers search counterfactuals: a backend name, or a search object.",
    ),
    Setting(
        "fill",
        "impute",
        (StrOptions({"mean", "median", "impute", "zero"}),),
        "How a student's columns its teacher lacks are filled in a virtual row.",
    ),
    Setting(
        "tolerance",
        "auto",
        (number(0, None, closed="neither"), StrOptions({"auto"})),
        "Regression: the error under which a member is right ('auto': from "
        "the teacher's own errors).",
    ),
    Setting(
        "tolerance_quantile",
        0.5,
        (number(0, 1, closed="neither"),),
        "Regression: the quantile of a teacher's errors that 'auto' takes.",
    ),
)

BY_NAME = {s.name: s for s in SETTINGS}

# Who takes which settings. The strategy (and so both ensembles) takes
# STRATEGY; the ensembles add ``fill``, the regressor the REGRESSION ones;
# a site's teach step takes TEACH, its learn step LEARN.
STRATEGY = (
    "alpha",
    "pool",
    "scope",
    "expertise",
    "oof_folds",
    "guard",
    "prototype_k",
    "min_distance",
    "acceptance",
    "dedupe",
    "virtual_weight",
    "warm_refit",
    "counterfactual",
)
REGRESSION = ("tolerance", "tolerance_quantile")
TEACH = (
    "alpha",
    "counterfactual",
    "scope",
    "expertise",
    "oof_folds",
    "guard",
    "prototype_k",
    "min_distance",
    "tolerance",
    "tolerance_quantile",
    "fill",
    "dedupe",
)
LEARN = ("virtual_weight", "fill", "dedupe", "warm_refit")


def constraints(names):
    """``_parameter_constraints`` entries of the named settings (new lists)."""
    return {name: list(BY_NAME[name].constraints) for name in names}


def defaults(names):
    """The defaults of the named settings."""
    return {name: BY_NAME[name].default for name in names}


def changed(values):
    """Names of the settings in ``values`` (name -> value) not at their default."""
    return [name for name, value in values.items() if value != BY_NAME[name].default]


def _default(name):
    return field(default=BY_NAME[name].default)


@dataclass(frozen=True)
class Settings:
    """How cooperative distillation teaches and learns, as the steps receive it.

    The same object drives the in-process ensemble and the per-site steps of
    :mod:`skcoop.silo`; its defaults are those of :data:`SETTINGS`.
    """

    alpha: float = _default("alpha")
    counterfactual: object = _default("counterfactual")
    scope: str = _default("scope")
    expertise: str = _default("expertise")
    oof_folds: int = _default("oof_folds")
    dedupe: bool = _default("dedupe")
    virtual_weight: float = _default("virtual_weight")
    warm_refit: bool = _default("warm_refit")
    fill: str = _default("fill")
    guard: object = _default("guard")
    prototype_k: object = _default("prototype_k")
    min_distance: object = _default("min_distance")

    def __post_init__(self):
        warn_deprecated_guard(self.prototype_k, self.min_distance)

    def release_guard(self):
        """The guard released rows pass (``ReleaseGuard``-like), or None."""
        return resolve_guard(self.guard, self.prototype_k, self.min_distance)


# Parameter and attribute docs the classifier, the regressor and the strategy
# share, written once and substituted into their docstrings
# (``skcoop.utils.Substitution``).
DISTILLATION_PARAMS = """scope : {"expertise", "deficiency"}, default="expertise"
        The rows a teacher teaches each student. ``"expertise"``: every row
        of its own where it is right, so that a student also learns where it
        already agrees; ``"deficiency"``: only the rows where the student is
        wrong (the paper's ``R_{i->j}``). On sites that see the same classes
        with a shifted mix (real silos), rows only where a student errs teach
        it to flip its answer there and make members worse; see
        :ref:`real_sites`.
    expertise : {"oof", "in_sample"}, default="oof"
        How a teacher's own correctness is judged on its rows: out-of-fold
        predictions (``oof_folds``-fold cross-validation inside its site, so
        that a teacher is not called right where it merely overfits), or its
        predictions after fitting on them (the paper). Students are judged on
        the teacher's rows, which they never saw. The paper's settings are
        ``scope="deficiency", expertise="in_sample"``.
    oof_folds : int >= 2, default=3
        Folds of ``expertise="oof"``.
    guard : "auto", None or :class:`~skcoop.privacy.ReleaseGuard`, \
default="auto"
        The release guard, applied to each teacher's virtual rows before
        they leave its site. ``"auto"`` is ``ReleaseGuard()``: instead of
        each counterfactual, a random row drawn like the 20 rows of its
        class nearest to it on the teacher's site (their mean and spread
        per column; a class with fewer than 20 rows on the site releases
        nothing), kept only if the teacher predicts its label. On the
        digits demo setting it takes membership-inference attacks on the
        released rows from ROC AUC 0.998 to at most 0.59 and costs the
        median member about a twentieth of its gain; ``None`` releases the
        counterfactuals as found, near-copies of the site's records (see
        :ref:`privacy`; not differential privacy). A regressor's draw is
        drawn like the 20 site rows nearest the counterfactual in features
        and label together, and labelled with the teacher's prediction at
        the draw plus the counterfactual's residual toward its label; on
        experiment H's Ames house prices (2 seeds) the strongest attack
        reaches AUC 0.60 (0.95 unguarded) and every member keeps a mean R2
        gain over alone of at least +0.036 (the linear member's +0.21
        unguarded came mostly from a few rare records, houses with pools,
        that the guard hides). Guarded and dropped rows are counted in
        ``transfer_report_``.
    prototype_k : int, default=None
        Deprecated: use ``guard=ReleaseGuard(prototype_k=k,
        prototype="mean")``. Given, the guard releases the mean of each
        counterfactual's ``k`` nearest rows of its class, as before.
    min_distance : float, default=None
        Deprecated: use ``guard=ReleaseGuard(min_distance=m)``. Given, the
        guard pushes released rows ``m`` median neighbour distances from the
        site's rows (see :func:`skcoop.privacy.guard_release`), as before.
    acceptance : float in (0, 0.5] or None, default=None
        The acceptance step: each site holds out this fraction of its rows;
        after the rounds, each member keeps distillation only if, distilled,
        it scores at least as well as alone on every site's holdout pooled
        (each site reports a score, never a row), and is then refitted on
        all its own rows. ``acceptance_`` says what each member kept and
        why. None: every member keeps distillation."""
VIRTUAL_WEIGHT_PARAM = """virtual_weight : float > 0, default=1.0
        Sample weight of virtual rows for members whose ``fit`` takes
        ``sample_weight``."""
WARM_REFIT_PARAM = """warm_refit : bool, default=True
        Whether a student whose learner can start from its fitted state does
        so when it is refitted on its own and virtual rows (``warm_start`` on
        a copy): logistic regression and the other convex linear models land
        within their solver's tolerance of a cold refit, SGD and MLPs within
        their seed spread (an MLP in far fewer iterations); a pipeline only
        when its last step is convex and the steps before it are scalers.
        Tree ensembles, naive Bayes and other learners are always refitted
        from a fresh clone. False: every refit starts cold, from a clone."""
FITTED_MEMBERS_ATTRS = """named_estimators_ : :class:`~sklearn.utils.Bunch`
        The distilled members by name.
    initial_estimators_ : list of estimators
        The members fitted on their own rows, before distillation.
    named_initial_estimators_ : :class:`~sklearn.utils.Bunch`
        The same, by name."""
FITTED_SITES_ATTRS = """acceptance_ : dict of ndarray or None
        With ``acceptance``: per member, its pooled held-out score
        ``alone`` and ``distilled`` (accuracy; minus the mean squared error
        for regression), the candidate ``kept``, the ``reason`` and
        ``n_holdout`` rows judged on. None without it.
    sat_out_ : list of str
        Members that owned no row in this fit.
    member_columns_ : :class:`~sklearn.utils.Bunch`
        Columns each member sees (None: all).
    n_rows_ : :class:`~sklearn.utils.Bunch`
        Rows each member owns."""
SHARED_DOCS = {
    "distillation_params": DISTILLATION_PARAMS,
    "virtual_weight_param": VIRTUAL_WEIGHT_PARAM,
    "warm_refit_param": WARM_REFIT_PARAM,
    "fitted_members_attrs": FITTED_MEMBERS_ATTRS,
    "fitted_sites_attrs": FITTED_SITES_ATTRS,
}


def resolve_guard(guard, prototype_k=None, min_distance=None):
    """The guard a fit uses: a ``ReleaseGuard``-like object, or None (off).

    ``guard="auto"`` is ``ReleaseGuard()``, for classifiers and regressors.
    The deprecated ``prototype_k`` and ``min_distance`` settings, when
    either is given, build the guard they meant before ``guard`` existed (a
    mean prototype, then a push) and take precedence.
    """
    if prototype_k is not None or min_distance is not None:
        return ReleaseGuard(
            prototype_k=prototype_k, prototype="mean", min_distance=min_distance
        )
    if guard is None:
        return None
    if isinstance(guard, str):  # "auto", checked by the settings' constraints
        return ReleaseGuard()
    return guard


def warn_deprecated_guard(prototype_k, min_distance):
    """FutureWarning for the settings ``prototype_k`` and ``min_distance``."""
    if prototype_k is None and min_distance is None:
        return
    given = ", ".join(
        f"{name}={value!r}"
        for name, value in (
            ("prototype_k", prototype_k),
            ("min_distance", min_distance),
        )
        if value is not None
    )
    warnings.warn(
        f"The settings prototype_k and min_distance are deprecated and will be "
        f"removed in a future release; the release guard is now the guard "
        f"setting, on by default (guard='auto'). Got {given}: pass "
        f"guard=ReleaseGuard(prototype_k={prototype_k!r}, prototype='mean', "
        f"min_distance={min_distance!r}) for the same rows.",
        FutureWarning,
        stacklevel=3,
    )
