"""The models a search calls: counting wrapper, torch adapter, model checks.

Every backend calls the model through :class:`_CountingModel`, which counts
calls, rows and time and gives the model the input form it was fitted on; a
torch module or skorch net is first wrapped in :class:`TorchModel`. torch is
imported on first use only: ``import skcoop`` works without it.
"""

# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import sys
import time

import numpy as np
from sklearn.base import is_regressor

from ..utils import import_optional, is_torch_model, stable_argmax

__all__ = [
    "TorchModel",
    "check_methods",
    "check_raw_model",
    "model_to_call",
]


def _safe_is_regressor(model):
    """``is_regressor`` that also answers for objects without sklearn tags."""
    try:
        return is_regressor(model)
    except (AttributeError, TypeError):
        return bool(getattr(model, "regression", False))


class _CountingModel:
    """Wraps a fitted model: counts calls, rows and time, restores the input form.

    The search works on a float matrix; the model is called with what it was
    fitted on (a DataFrame with the reference columns when the reference rows
    were a DataFrame).
    """

    def __init__(self, model, columns=None, dtypes=None, decode=None):
        self.model = model
        self.decode = decode
        self.columns = None
        self.cast = None
        if columns is not None:
            import pandas as pd

            self.columns = pd.Index(columns)
            if dtypes is not None:
                self.cast = {c: t for c, t in dtypes.items() if t != np.float64} or None
        self.n_calls = 0
        self.n_rows = 0
        self.time = 0.0

    def to_input(self, Z):
        if self.decode is not None:
            return self.decode(Z)
        if self.columns is None:
            return Z
        import pandas as pd

        frame = pd.DataFrame(Z, columns=self.columns, copy=False)
        if self.cast is not None:
            frame = frame.astype(self.cast)
        return frame

    def record(self, n_rows, seconds):
        """Count a model evaluation made outside ``predict``/``predict_proba``."""
        self.n_calls += 1
        self.n_rows += int(n_rows)
        self.time += seconds

    def _call(self, method, Z):
        X = self.to_input(Z)
        start = time.perf_counter()
        out = getattr(self.model, method)(X)
        self.record(Z.shape[0], time.perf_counter() - start)
        return np.asarray(out, dtype=float)

    def predict_proba(self, Z):
        return self._call("predict_proba", Z)

    def predict(self, Z):
        return self._call("predict", Z).reshape(Z.shape[0], -1)[:, 0]


class TorchModel:
    """A skorch net or torch module seen as a classifier or regressor.

    Gives ``predict_proba``/``predict`` on arrays (batched, without
    gradients, on the model's device) and :meth:`output`, the differentiable
    probability (or prediction) on tensors that the gradient search uses.

    A skorch net is used through ``net.module_`` and ``net.device`` with the
    net's own output nonlinearity (``predict_nonlinearity``), so the
    probabilities are those of ``net.predict_proba``; a plain
    :class:`torch.nn.Module` must return logits (softmax is applied; one
    output column is a binary logit, sigmoid applied) and is a classifier
    with classes ``0 .. n_outputs - 1``.

    Parameters
    ----------
    model : skorch.NeuralNet or torch.nn.Module
        A fitted net (initialized) or a module.
    n_features : int, default=None
        Input width, used to probe a plain module's number of outputs.
    batch_size : int, default=65536
        Rows per forward pass in ``predict_proba``/``predict``.
    """

    def __init__(self, model, n_features=None, batch_size=65536):
        self.torch = import_optional("torch", purpose="searching torch models")
        torch = self.torch
        skorch = sys.modules.get("skorch")
        self.model = model
        self.batch_size = batch_size
        if skorch is not None and isinstance(model, skorch.NeuralNet):
            if not getattr(model, "initialized_", False):
                from sklearn.exceptions import NotFittedError

                raise NotFittedError(
                    f"This {type(model).__name__} is not initialized yet; fit it "
                    "before searching it for counterfactuals."
                )
            self.net = model
            self.module = model.module_
            self.device = torch.device(model.device)
            self._nonlin = model._get_predict_nonlinearity()
            self.regression = bool(_safe_is_regressor(model))
            if not self.regression:
                self.classes_ = np.asarray(model.classes_)
        else:
            self.net = None
            self.module = model
            params = list(model.parameters())
            self.device = params[0].device if params else torch.device("cpu")
            self.dtype = params[0].dtype if params else torch.float32
            self._nonlin = None
            self.regression = False
            if n_features is not None:
                with self._eval(), torch.no_grad():
                    probe = model(
                        torch.zeros(1, n_features, dtype=self.dtype, device=self.device)
                    )
                n_out = 1 if probe.ndim == 1 else probe.shape[1]
                self.classes_ = np.arange(max(n_out, 2))
        params = list(self.module.parameters())
        self.dtype = params[0].dtype if params else torch.float32

    @contextlib.contextmanager
    def _eval(self):
        """Context: module in eval mode (dropout, batch norm), restored after."""
        was = self.module.training
        self.module.train(False)
        try:
            yield
        finally:
            self.module.train(was)

    def forward(self, Z):
        """Probabilities (n, n_classes) or predictions (n,) for a tensor ``Z``."""
        torch = self.torch
        if self.net is not None:
            out = self.net.infer(Z)
            if isinstance(out, tuple):
                out = out[0]
            if self.regression:
                return out.reshape(out.shape[0], -1)[:, 0]
            out = self._nonlin(out)
            if out.ndim == 1 or out.shape[1] == 1:
                p = out.reshape(-1)
                out = torch.stack([1 - p, p], dim=1)
            return out
        out = self.module(Z)
        if out.ndim == 1 or out.shape[1] == 1:
            p = torch.sigmoid(out.reshape(-1))
            return torch.stack([1 - p, p], dim=1)
        return torch.softmax(out, dim=1)

    def to_tensor(self, Z):
        return self.torch.as_tensor(np.asarray(Z), dtype=self.dtype, device=self.device)

    def _numpy(self, Z):
        torch = self.torch
        Z = np.asarray(Z)
        outs = []
        with self._eval(), torch.no_grad():
            for start in range(0, max(Z.shape[0], 1), self.batch_size):
                chunk = self.to_tensor(Z[start : start + self.batch_size])
                outs.append(self.forward(chunk).double().cpu().numpy())
        return np.concatenate(outs) if outs else np.zeros(0)

    def predict_proba(self, Z):
        """Class probabilities of the rows ``Z`` (numpy in, numpy out)."""
        return self._numpy(Z)

    def predict(self, Z):
        """Predictions (regression) or most probable classes."""
        out = self._numpy(Z)
        if self.regression:
            return out
        return self.classes_[stable_argmax(out, scale=1.0)]


def check_raw_model(model, tabular):
    """A torch model cannot take the raw columns of a mixed DataFrame."""
    if tabular and is_torch_model(model):
        raise TypeError(
            f"{type(model).__name__} takes numeric tensors, but the search was "
            "fitted on a DataFrame with categorical, boolean or missing "
            "values. Encode the columns first, or wrap the net in a Pipeline "
            "that encodes them (searched as a black box)."
        )


def model_to_call(model, n_features):
    """Return the model to call (torch models get a :class:`TorchModel`)."""
    if is_torch_model(model):
        return TorchModel(model, n_features=n_features)
    return model


def check_methods(model, regression):
    """Raise a TypeError when the model lacks what the search calls."""
    needed = ["predict"] if regression else ["predict_proba", "classes_"]
    missing = [m for m in needed if not hasattr(model, m)]
    if missing:
        kind = "regressor" if regression else "classifier"
        raise TypeError(
            f"The model must be a fitted {kind} with {' and '.join(needed)} to be "
            f"searched for counterfactuals; {type(model).__name__} has no "
            f"{', '.join(missing)}. Fit it first, or pass a model with "
            "probabilities (for SVC: CalibratedClassifierCV(SVC()))."
        )
