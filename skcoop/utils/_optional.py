"""Optional dependencies, imported on first use with an error that names the extra."""

# SPDX-License-Identifier: BSD-3-Clause

import importlib

_EXTRAS = {
    "torch": "torch",
    "skorch": "torch",
    "matplotlib": "plot",
    "pandas": "pandas",
    "skops": "silo",
    "pyarrow": "silo",
    "flwr": "flower",
    "dask": "dask",
    "distributed": "dask",
    "tqdm": "progress",
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
        provides it, run from the skcoop checkout.

    Examples
    --------
    >>> import_optional("json").__name__
    'json'
    >>> import_optional("skops_not_there")
    Traceback (most recent call last):
    ...
    ImportError: 'skops_not_there' is required but is not installed. ...
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        top = name.split(".")[0]
        extra = _EXTRAS.get(top)
        # the form that works from a checkout of skcoop (doc/install.rst)
        fix = f'pip install -e ".[{extra}]"' if extra else f"pip install {top}"
        what = f" for {purpose}" if purpose else ""
        raise ImportError(
            f"{top!r} is required{what} but is not installed. Install it with: {fix}"
        ) from exc


def is_installed(name):
    """Return True if ``name`` can be imported, without importing it fully."""
    return importlib.util.find_spec(name) is not None
