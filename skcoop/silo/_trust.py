"""Which types a model file may contain, and JSON-safe labels and columns.

A model file that crosses a site boundary is data, not code: it is loaded
with skops, which builds only the types it is told to trust. Types defined
by numpy, scipy, scikit-learn, skorch, torch and skcoop are trusted by
default; any other type must be named by the receiving site.
"""

# SPDX-License-Identifier: BSD-3-Clause

import importlib
import inspect
import sys

import numpy as np

#: Top-level packages whose types a model file may hold without being named.
TRUSTED_PACKAGES = ("numpy", "scipy", "sklearn", "skorch", "torch", "skcoop")


class UntrustedModelError(ValueError):
    """A model file holds a type the receiving site has not trusted."""


class ModelIntegrityError(ValueError):
    """A model file does not match the SHA-256 its metadata records."""


def _check_trusted_arg(trusted):
    if trusted is None:
        return []
    if isinstance(trusted, str):
        trusted = [trusted]
    trusted = list(trusted)
    bad = [t for t in trusted if not isinstance(t, str)]
    if bad:
        raise TypeError(
            "trusted must be a list of type names such as "
            f"'mypackage.module.MyClass'. Got {bad!r} instead."
        )
    return trusted


def _resolve(name):
    """The object ``name`` (``package.module.Attr``) names, or None."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for part in parts[cut:]:
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj
    return None


def _top(module):
    return (module or "").split(".", 1)[0]


def is_default_trusted(type_name):
    """Whether ``type_name`` is loaded without being named in ``trusted``.

    It must live in a package of :data:`TRUSTED_PACKAGES` and be defined
    there (not re-exported from elsewhere); it must be a class, a numpy
    ufunc, or a function of scikit-learn, skorch or skcoop. A numpy, scipy or
    torch function (``numpy.load`` unpickles) must be named.

    Examples
    --------
    >>> from skcoop.silo._trust import is_default_trusted
    >>> is_default_trusted("sklearn.tree._tree.Tree")
    True
    >>> is_default_trusted("numpy.log1p")
    True
    >>> is_default_trusted("numpy.load"), is_default_trusted("builtins.eval")
    (False, False)
    >>> is_default_trusted("sklearnx.Evil")
    False
    """
    if _top(type_name) not in TRUSTED_PACKAGES or "." not in type_name:
        return False
    obj = _resolve(type_name)
    if obj is None:
        return False
    if inspect.isclass(obj):
        return _top(obj.__module__) in TRUSTED_PACKAGES
    np_ufunc = getattr(sys.modules.get("numpy"), "ufunc", ())
    if np_ufunc and isinstance(obj, np_ufunc):
        return True
    if inspect.isroutine(obj):
        return _top(getattr(obj, "__module__", None)) in {"sklearn", "skorch", "skcoop"}
    return False


def refuse_untrusted(found, trusted, path):
    """Raise :class:`UntrustedModelError` for types neither default nor trusted."""
    trusted = set(_check_trusted_arg(trusted))
    untrusted = sorted(
        t for t in found if not is_default_trusted(t) and t not in trusted
    )
    if untrusted:
        listed = ", ".join(repr(t) for t in untrusted)
        raise UntrustedModelError(
            f"The model file {str(path)!r} holds types that are not trusted by "
            "default (classes of numpy, scipy, scikit-learn, skorch, torch and "
            "skcoop; functions of scikit-learn, skorch and skcoop) and that you "
            f"have not trusted: "
            f"{listed}. Loading a type runs its code; if you trust the site that "
            f"sent the file and these types, pass trusted={untrusted!r} to "
            "import_model (on the command line: --trust "
            f"{' '.join(untrusted)})."
        )
    return untrusted


def labels_to_json(values):
    """Labels (classes) as a JSON-safe dict: values and their numpy dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from skcoop.silo import labels_to_json, labels_from_json
    >>> labels_to_json(np.array([0, 2]))
    {'dtype': 'int64', 'values': [0, 2]}
    >>> labels_from_json(labels_to_json(np.array(["a", "b"], dtype=object)))
    array(['a', 'b'], dtype=object)
    """
    arr = np.asarray(values)
    if arr.dtype.kind not in "biufUO":
        raise ValueError(
            "Labels must be booleans, integers, floats or strings to be written "
            f"to a model's metadata. Got dtype {arr.dtype} instead."
        )
    items = [v.item() if isinstance(v, np.generic) else v for v in arr.tolist()]
    bad = [v for v in items if not isinstance(v, (bool, int, float, str))]
    if bad:
        raise ValueError(
            "Labels must be booleans, integers, floats or strings to be written "
            f"to a model's metadata. Got {bad[:3]!r} instead."
        )
    return {
        "dtype": arr.dtype.str if arr.dtype.kind == "U" else str(arr.dtype),
        "values": items,
    }


def labels_from_json(spec):
    """The inverse of :func:`labels_to_json`."""
    if spec is None:
        return None
    return np.asarray(spec["values"], dtype=np.dtype(spec["dtype"]))
