"""A skorch net as files without pickle: weights as npz, parameters as JSON.

skops cannot store torch tensors, and ``torch.save`` is a pickle. A fitted
skorch net is written instead as its modules' ``state_dict`` arrays in an
``.npz`` (read back with ``allow_pickle=False``) plus its ``__init__``
parameters as JSON, where classes, functions and small objects (callbacks,
``ValidSplit``) are written as import paths with their parameters. Loading
checks every import path against the trusted packages before importing it,
rebuilds the net, initializes it and loads the weights.
"""

# SPDX-License-Identifier: BSD-3-Clause

import importlib
import inspect
import io

import numpy as np

from ..utils import import_optional
from ._trust import UntrustedModelError, _check_trusted_arg, is_default_trusted

#: skorch's defaults that live outside the trusted packages (a callback's sink).
SKORCH_DEFAULTS = frozenset({"builtins.print"})


def is_skorch_net(estimator):
    """Whether ``estimator`` is a skorch net (without importing skorch)."""
    return any(
        cls.__module__.startswith("skorch.") and cls.__name__ == "NeuralNet"
        for cls in type(estimator).__mro__
    )


def _is_fitted(estimator):
    from sklearn.utils.validation import _is_fitted

    try:
        return _is_fitted(estimator)
    except TypeError:
        return False


def _path_of(obj):
    return {"module": obj.__module__, "qualname": obj.__qualname__}


def _encode(value, where):
    """A parameter value as JSON, or a ValueError saying why it cannot be."""
    torch = import_optional("torch")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        key = "__list__" if isinstance(value, list) else "__tuple__"
        return {key: [_encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError(f"{where}: a dict with non-string keys cannot be stored.")
        return {
            "__dict__": {k: _encode(v, f"{where}[{k!r}]") for k, v in value.items()}
        }
    if isinstance(value, torch.device):
        return str(value)
    if inspect.isclass(value) or inspect.isfunction(value) or inspect.isbuiltin(value):
        if "<lambda>" in value.__qualname__ or "<locals>" in value.__qualname__:
            raise ValueError(
                f"{where} is {value!r}, which has no import path; define it at "
                "module level so the receiving site can import it."
            )
        tag = "__type__" if inspect.isclass(value) else "__function__"
        return {tag: _path_of(value)}
    if isinstance(value, torch.nn.Module):
        raise ValueError(
            f"{where} is a torch module instance ({type(value).__name__}); give the "
            "net its module as a class with module__ parameters so it can be "
            "rebuilt from JSON."
        )
    if hasattr(value, "fit") and _is_fitted(value):
        raise ValueError(
            f"{where} holds a fitted object ({type(value).__name__}); set it to None "
            "before exporting the net."
        )
    params = {}
    for pname, param in inspect.signature(type(value).__init__).parameters.items():
        if pname == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if not hasattr(value, pname):
            raise ValueError(
                f"{where} is a {type(value).__name__} that does not keep its "
                f"parameter {pname!r} as an attribute, so it cannot be stored."
            )
        params[pname] = _encode(getattr(value, pname), f"{where}.{pname}")
    return {"__object__": _path_of(type(value)), "params": params}


def _paths(value):
    """Every import path an encoded value refers to."""
    if isinstance(value, dict):
        for tag in ("__type__", "__function__", "__object__"):
            if tag in value:
                yield "{module}.{qualname}".format(**value[tag])
        for key, inner in value.items():
            if key in ("__type__", "__function__", "__object__"):
                continue
            yield from _paths(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _paths(inner)


def _resolve(path):
    obj = importlib.import_module(path["module"])
    for part in path["qualname"].split("."):
        obj = getattr(obj, part)
    return obj


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__list__" in value:
        return [_decode(v) for v in value["__list__"]]
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: _decode(v) for k, v in value["__dict__"].items()}
    if "__type__" in value:
        return _resolve(value["__type__"])
    if "__function__" in value:
        return _resolve(value["__function__"])
    if "__object__" in value:
        params = {k: _decode(v) for k, v in value["params"].items()}
        return _resolve(value["__object__"])(**params)
    raise ValueError(f"Unknown encoded value {value!r}.")


def save_skorch_net(net, path):
    """Write a fitted net's weights to ``path`` (npz); return its JSON metadata."""
    params = {
        k: v for k, v in net.get_params(deep=False).items() if not k.startswith("_")
    }
    encoded = {k: _encode(v, f"parameter {k!r}") for k, v in params.items()}
    arrays = {}
    for name in net._modules:
        for key, tensor in getattr(net, name + "_").state_dict().items():
            array = tensor.detach().cpu().numpy()
            if array.dtype == object:
                raise ValueError(f"{name}.{key} is not a numeric tensor.")
            arrays[f"{name}.{key}"] = array
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    with open(path, "wb") as fh:
        fh.write(buf.getvalue())
    return {
        "net_class": _path_of(type(net)),
        "init_params": encoded,
        "modules": list(net._modules),
        "torch_version": import_optional("torch").__version__,
    }


def load_skorch_net(path, meta, trusted):
    """Rebuild a net from its metadata and load its weights without pickle."""
    torch = import_optional("torch", "skorch model files")
    trusted = set(_check_trusted_arg(trusted))
    net_path = "{module}.{qualname}".format(**meta["net_class"])
    found = sorted({net_path, *_paths(list(meta["init_params"].values()))})
    untrusted = [
        p
        for p in found
        if not is_default_trusted(p) and p not in trusted | SKORCH_DEFAULTS
    ]
    if untrusted:
        raise UntrustedModelError(
            f"The model file {str(path)!r} refers to code outside numpy, scipy, "
            "scikit-learn, skorch, torch and skcoop that you have not trusted: "
            f"{', '.join(map(repr, untrusted))}. Loading it imports and runs that "
            f"code; if you trust it, pass trusted={untrusted!r} to import_model "
            f"(on the command line: --trust {' '.join(untrusted)})."
        )
    params = {k: _decode(v) for k, v in meta["init_params"].items()}
    net = _resolve(meta["net_class"])(**params)
    net.initialize()
    with np.load(path, allow_pickle=False) as arrays:
        states = {}
        for key in arrays.files:
            module, _, rest = key.partition(".")
            states.setdefault(module, {})[rest] = torch.from_numpy(arrays[key].copy())
    for module, state in states.items():
        getattr(net, module + "_").load_state_dict(state)
    if meta["task"] == "classifier" and params.get("classes") is None:
        from ._trust import labels_from_json

        net.classes_inferred_ = labels_from_json(meta["classes"])
    return net
