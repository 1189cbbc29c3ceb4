"""The teaching settings of a site, as command-line options and run-config keys.

Nothing here restates a setting: names, defaults, constraints and one-line
docs are the records of ``skcoop._settings`` (the estimators' and
:func:`skcoop.silo.teach`'s); options, their parsing and their validation
are built from them.
"""

# SPDX-License-Identifier: BSD-3-Clause

import argparse
from numbers import Integral

from sklearn.utils._param_validation import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)

from .._settings import BY_NAME, LEARN, TEACH, constraints, defaults

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

#: The settings a site teaches with (those of :func:`skcoop.silo.teach`).
TEACH_SETTINGS = TEACH
#: The settings a site learns with (those of :func:`skcoop.silo.learn`).
LEARN_SETTINGS = LEARN


def setting_constraints(names=TEACH_SETTINGS):
    """The estimators' constraints of ``names``."""
    return constraints(names)


def setting_defaults(names=TEACH_SETTINGS):
    """The defaults of ``names`` (the estimators', :func:`teach`'s)."""
    return defaults(names)


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
    if choices and parse is not str:
        # a number or a word ("auto"): the constraints check which
        parse, words = _number_or_word(parse, choices), choices
        parse.__name__ = f"{words[0]}|number"
        choices = None
    return parse, choices, none_ok


def _number_or_word(parse, words):
    def convert(text):
        return text if text in words else parse(text)

    return convert


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


def _help(name, constraints, default):
    off = " Give 'none' for None." if None in constraints else ""
    return f"{BY_NAME[name].doc}{off} (default: {default})"


def add_setting_options(parser, names=TEACH_SETTINGS):
    """Add ``--<setting>`` options to ``parser`` for each of ``names``."""
    group = parser.add_argument_group(
        "teaching settings",
        "the settings of CooperativeDistillationEnsemble, same defaults and rules",
    )
    rules, default = setting_constraints(names), setting_defaults(names)
    for name in names:
        parse, choices, none_ok = _kind(rules[name])
        metavar = None
        if choices and none_ok:  # 'none' parses to None, a choice too
            metavar = "{" + ",".join([*choices, "none"]) + "}"
            choices = [*choices, None]
        elif not choices:
            metavar = "{true,false}" if parse is _boolean else parse.__name__.upper()
        group.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            default=default[name],
            type=_option_type(name, parse, none_ok),
            choices=choices,
            metavar=metavar,
            # argparse formats help with %: keep a literal one
            help=_help(name, rules[name], default[name]).replace("%", "%%"),
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

    A setting that may be None (``guard``) is None at 0, ``""`` or
    ``"none"`` (TOML has no null). Keys not in ``config`` are left out.
    """
    constraints = setting_constraints(names)
    params = {}
    for name in names:
        key = name.replace("_", "-")
        if key not in config:
            continue
        value = config[key]
        off = isinstance(value, str) and value.lower() == "none"
        if None in constraints[name] and (off or value in (0, "")):
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
