"""The teaching settings of a site, as command-line options and run-config keys.

Nothing here restates a setting: the names are those of
:func:`skcoop.silo.teach`, the defaults its own (the estimators'), and the
constraints the estimators' ``_parameter_constraints``; options, their
parsing and their validation are built from them.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
import inspect
from numbers import Integral

from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)

__all__ = [
    "LEARN_SETTINGS",
    "TEACH_SETTINGS",
    "add_setting_options",
    "setting_constraints",
    "setting_defaults",
    "settings_from_args",
    "settings_from_config",
    "validate_settings",
]

#: The settings a site teaches with, in the order ``--help`` lists them.
TEACH_SETTINGS = (
    "scope",
    "expertise",
    "oof_folds",
    "alpha",
    "counterfactual",
    "prototype_k",
    "min_distance",
    "fill",
)
#: The settings a site learns with.
LEARN_SETTINGS = ("virtual_weight", "fill", "dedupe")


def setting_constraints(names=TEACH_SETTINGS):
    """The estimators' constraints of ``names``."""
    from .._base import _BaseCooperative

    constraints = _BaseCooperative._parameter_constraints
    return {name: constraints[name] for name in names}


def setting_defaults(names=TEACH_SETTINGS):
    """The defaults of ``names``: those of :func:`teach` and :func:`learn`."""
    from ._protocol import learn, teach

    defaults = {}
    for function in (teach, learn):
        for name, p in inspect.signature(function).parameters.items():
            if name in names and p.default is not inspect.Parameter.empty:
                defaults.setdefault(name, p.default)
    return {name: defaults[name] for name in names}


def validate_settings(params, caller="teach"):
    """Validate ``params`` as the estimators do; raise ``InvalidParameterError``."""
    validate_parameter_constraints(
        setting_constraints(list(params)), dict(params), caller_name=caller
    )
    return params


def _kind(constraints):
    """``(parse, choices, none_ok)`` of an option from its constraints."""
    choices, parse, none_ok = None, str, None in constraints
    for c in constraints:
        if isinstance(c, StrOptions):
            choices = sorted(c.options - set(getattr(c, "deprecated", ())))
        elif isinstance(c, Interval):
            parse = int if c.type is Integral else float
        elif c == "boolean":
            parse = _boolean
    return parse, choices, none_ok


def _boolean(text):
    value = {"true": True, "1": True, "false": False, "0": False}.get(text.lower())
    if value is None:
        raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")
    return value


def _option_type(name, parse, none_ok):
    def convert(text):
        if none_ok and text.lower() == "none":
            return None
        try:
            return parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"invalid {parse.__name__} value: {text!r}"
            ) from None

    convert.__name__ = name
    return convert


def _help(constraints, default, choices):
    if choices:
        return f"(default: {default})"
    text = " or ".join(
        str(c) if not isinstance(c, str) else c
        for c in constraints
        if c is not None and not hasattr(c, "methods")
    )
    off = "; 'none': off" if None in constraints else ""
    return f"{text}{off} (default: {default})"


def add_setting_options(parser, names=TEACH_SETTINGS):
    """Add ``--<setting>`` options to ``parser`` for each of ``names``."""
    group = parser.add_argument_group(
        "teaching settings",
        "the settings of CooperativeDistillationEnsemble, same defaults and rules",
    )
    constraints, defaults = setting_constraints(names), setting_defaults(names)
    for name in names:
        parse, choices, none_ok = _kind(constraints[name])
        group.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            default=defaults[name],
            type=_option_type(name, parse, none_ok),
            choices=choices,
            metavar=None if choices else parse.__name__.upper(),
            help=_help(constraints[name], defaults[name], choices),
        )
    return group


def settings_from_args(args, names=TEACH_SETTINGS, caller="silo teach"):
    """The settings parsed into ``args``, validated; ``ValueError`` if not valid."""
    params = {name: getattr(args, name) for name in names}
    try:
        return validate_settings(params, caller)
    except InvalidParameterError as exc:
        raise ValueError(_as_option(str(exc), names, caller)) from None


def _as_option(message, names, caller):
    for name in names:
        message = message.replace(
            f"The '{name}' parameter of {caller}", f"--{name.replace('_', '-')}"
        )
    return message


def settings_from_config(config, names=TEACH_SETTINGS, caller="the run config"):
    """Settings from a Flower config (``oof-folds = 3``), validated.

    A setting that may be None (``prototype-k``, ``min-distance``) is None
    at 0 (TOML has no null). Keys not in ``config`` are left out.
    """
    constraints = setting_constraints(names)
    params = {}
    for name in names:
        key = name.replace("_", "-")
        if key not in config:
            continue
        value = config[key]
        if None in constraints[name] and value in (0, ""):
            value = None
        elif isinstance(value, float) and value.is_integer():
            # TOML writes 3 as an int and 3.0 as a float; an int setting
            # written as a float is still that int
            parse, _, _ = _kind(constraints[name])
            value = int(value) if parse is int else value
        elif isinstance(value, int) and not isinstance(value, bool):
            parse, _, _ = _kind(constraints[name])
            value = float(value) if parse is float else value
        params[name] = value
    try:
        return validate_settings(params, caller)
    except InvalidParameterError as exc:
        message = str(exc)
        for name in names:
            key = name.replace("_", "-")
            message = message.replace(f"'{name}' parameter", f"'{key}' setting")
        raise ValueError(message) from None
