"""The parameter contract, checked where scikit-learn's full suite does not apply.

:func:`sklearn.utils.estimator_checks.parametrize_with_checks` runs on
classifiers, regressors and transformers that take ``fit(X, y)`` and predict
on rows like those. Some public objects of skcoop keep the estimator contract
for their parameters but not that shape: a
:class:`~skcoop.views.ColumnMapper` is fitted on a student's rows and
transforms rows of another column set, a partitioner has ``split`` and no
``fit``, a counterfactual search has ``generate(model, X, y)``. For them
:func:`contract_checks` yields the checks that hold for every skcoop object,
after imbalanced-learn's own check generator
(``imblearn/utils/estimator_checks.py``):

- scikit-learn's parameter checks (cloneable, ``repr``, nothing set in
  ``__init__``, ``get_params``/``set_params`` invariance, defaults);
- every parameter validated where the work starts (not in ``__init__``, not
  in ``set_params``), with scikit-learn's wording naming the parameter;
- the work leaves the parameters and the inputs unchanged (hashed before and
  after).

Each check takes the estimator, as scikit-learn's checks do. ``call(est,
*data)`` runs the object's work (``fit``, ``split``, ``fit`` then
``generate``) on ``data``, small valid inputs.
"""

# SPDX-License-Identifier: BSD-3-Clause

import hashlib
import pickle
import re
from functools import partial

import numpy as np
from sklearn.base import clone
from sklearn.utils._param_validation import (
    InvalidParameterError,
    generate_invalid_param_val,
    make_constraint,
)
from sklearn.utils.estimator_checks import (
    check_estimator_cloneable,
    check_estimator_repr,
    check_get_params_invariance,
    check_no_attributes_set_in_init,
    check_parameters_default_constructible,
    check_set_params,
)

__all__ = ["contract_checks", "input_digest"]

_BAD_TYPE = type("BadType", (), {})()


def input_digest(*values):
    """A digest of the given inputs: equal digests mean unmodified inputs.

    Arrays are hashed by dtype, shape and bytes; DataFrames and Series by
    their values, index and dtypes; anything else by its pickle.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((2, 2))
    >>> before = input_digest(X, [1, 2])
    >>> X[0, 0] = 1.0
    >>> before == input_digest(X, [1, 2])
    False
    """
    digest = hashlib.sha256()
    for value in values:
        if hasattr(value, "iloc"):
            import pandas as pd

            digest.update(
                pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes()
            )
            dtypes = value.dtypes if hasattr(value, "dtypes") else value.dtype
            digest.update(repr(dtypes).encode())
        elif isinstance(value, np.ndarray):
            digest.update(str((value.dtype, value.shape)).encode())
            if value.dtype == object:
                digest.update(pickle.dumps(value.tolist()))
            else:
                digest.update(np.ascontiguousarray(value).tobytes())
        else:
            digest.update(pickle.dumps(value))
    return digest.hexdigest()


def _sklearn_check(check):
    def run(estimator):
        check(type(estimator).__name__, estimator)

    run.__name__ = check.__name__
    return run


def check_call_keeps_params(estimator, call, data):
    """The work leaves every parameter as given (``get_params`` unchanged)."""
    est = clone(estimator)
    before = {k: repr(v) for k, v in est.get_params(deep=False).items()}
    call(est, *data)
    after = {k: repr(v) for k, v in est.get_params(deep=False).items()}
    changed = sorted(k for k in before if before[k] != after.get(k))
    assert not changed, f"{type(est).__name__} changed parameters {changed}"


def check_call_leaves_inputs(estimator, call, data):
    """The work never modifies its inputs in place."""
    before = input_digest(*data)
    call(clone(estimator), *data)
    assert input_digest(*data) == before, (
        f"{type(estimator).__name__} modified its input in place"
    )


def check_call_is_deterministic(estimator, call, data):
    """Two calls with ``random_state=0`` give equal results."""
    params = estimator.get_params(deep=False)
    est = clone(estimator)
    if "random_state" in params:
        est.set_params(random_state=0)
    first = call(clone(est), *data)
    second = call(clone(est), *data)
    assert input_digest(first) == input_digest(second)


def check_params_validated_at_call(estimator, call, data):
    """Each parameter is validated when the work starts, naming it.

    An invalid type, then an invalid value of each constraint, raises
    :class:`~sklearn.utils._param_validation.InvalidParameterError` with
    scikit-learn's wording (``The 'p' parameter of Name must be ... Got ...
    instead.``); ``set_params`` never raises.
    """
    name = type(estimator).__name__
    constraints = getattr(estimator, "_parameter_constraints", None)
    assert constraints is not None, f"{name} declares no _parameter_constraints"
    params = estimator.get_params(deep=False)
    assert set(constraints) == set(params), (
        f"{name}: _parameter_constraints {sorted(constraints)} and parameters "
        f"{sorted(params)} differ"
    )
    for param, options in constraints.items():
        if options == "no_validation":
            continue
        match = (
            rf"The '{re.escape(param)}' parameter of {name} must be .* Got .* instead."
        )
        bad_values = [_BAD_TYPE]
        for constraint in (make_constraint(c) for c in options):
            try:
                bad_values.append(generate_invalid_param_val(constraint))
            except NotImplementedError:
                continue
        for bad in bad_values:
            est = clone(estimator).set_params(**{param: bad})  # never raises
            try:
                call(est, *data)
            except InvalidParameterError as exc:
                assert re.search(match, str(exc)), (
                    f"{name}: the error for {param}={bad!r} does not follow "
                    f"scikit-learn's wording: {exc}"
                )
            else:
                raise AssertionError(f"{name} accepted {param}={bad!r}")


def contract_checks(estimator, call, data):
    """Checks of the parameter contract for one object.

    Parameters
    ----------
    estimator : object
        An unfitted skcoop object with ``get_params``/``set_params``.
    call : callable
        ``call(est, *data)`` runs its work and returns what it gives.
    data : tuple
        Small valid inputs of ``call``.

    Yields
    ------
    check : callable
        ``check(estimator)``; its ``__name__`` (or the wrapped function's)
        names it.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.partition import IIDPartitioner
    >>> from skcoop.utils.estimator_checks import contract_checks
    >>> X = np.arange(20.0).reshape(10, 2)
    >>> part = IIDPartitioner(n_sites=2, random_state=0)
    >>> for check in contract_checks(part, lambda p, X: p.split(X), (X,)):
    ...     check(part)
    """
    for check in (
        check_estimator_cloneable,
        check_estimator_repr,
        check_no_attributes_set_in_init,
        check_get_params_invariance,
        check_set_params,
        check_parameters_default_constructible,
    ):
        yield _sklearn_check(check)
    for check in (
        check_params_validated_at_call,
        check_call_keeps_params,
        check_call_leaves_inputs,
        check_call_is_deterministic,
    ):
        bound = partial(check, call=call, data=data)
        bound.__name__ = check.__name__
        yield bound
