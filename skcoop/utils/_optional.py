"""Optional dependencies, imported on first use with an error that names the extra."""

# SPDX-License-Identifier: BSD-3-Clause

import importlib

_EXTRAS = {
    "torch": "torch",
    "skorch": "torch",
    "matplotlib": "plot",
    "pandas": "test",
    "skops": "silo",
    "pyarrow": "silo",
}


def import_optional(name, purpose=None):
    """Import an optional dependency or raise an ImportError naming the extra.

    Parameters
    ----------
    name : str
        Module name, for example ``"torch"``.
    purpose : str, default=None
        What the caller needs the module for, shown in the error message.

    Returns
    -------
    module : module
        The imported module.

    Raises
    ------
    ImportError
        If the module is not installed, with the ``pip install`` command that
        provides it.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        top = name.split(".")[0]
        extra = _EXTRAS.get(top)
        fix = f"pip install 'skcoop[{extra}]'" if extra else f"pip install {top}"
        what = f" for {purpose}" if purpose else ""
        raise ImportError(
            f"{top!r} is required{what} but is not installed. Install it with: {fix}"
        ) from exc


def is_installed(name):
    """Return True if ``name`` can be imported, without importing it fully."""
    return importlib.util.find_spec(name) is not None
