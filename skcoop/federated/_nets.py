"""The small torch model of the federated runs and its weights as numpy.

torch is imported here, so this module loads only on use (see the package's
``__getattr__``).
"""

# SPDX-License-Identifier: BSD-3-Clause

from collections import OrderedDict

import numpy as np
import torch

__all__ = ["MLPModule", "get_weights", "make_mlp_net", "set_weights"]


class MLPModule(torch.nn.Module):
    """One-hidden-layer perceptron returning logits.

    Parameters
    ----------
    n_features : int
        Input width.
    n_classes : int
        Output width (one logit per class).
    hidden : int, default=64
        Hidden units (ReLU).

    Examples
    --------
    >>> import torch
    >>> from skcoop.federated import MLPModule
    >>> MLPModule(4, 3, hidden=8)(torch.zeros(2, 4)).shape
    torch.Size([2, 3])
    """

    def __init__(self, n_features, n_classes, hidden=64):
        super().__init__()
        self.hidden = torch.nn.Linear(n_features, hidden)
        self.out = torch.nn.Linear(hidden, n_classes)

    def forward(self, X):
        return self.out(torch.relu(self.hidden(X)))


def make_mlp_net(
    n_features,
    n_classes,
    *,
    hidden=64,
    max_epochs=20,
    lr=0.01,
    batch_size=32,
    random_state=0,
    kd=False,
    **kwargs,
):
    """A skorch classifier around :class:`MLPModule`, ready to fit.

    Adam, cross-entropy on logits, no internal validation split, silent. The
    module's initial weights are drawn from ``random_state`` when the net is
    initialised, so two nets with the same seed start from the same weights.

    Parameters
    ----------
    n_features, n_classes : int
        Input and output widths.
    hidden : int, default=64
        Hidden units.
    max_epochs, lr, batch_size : int, float, int
        Training settings passed to skorch.
    random_state : int, default=0
        Seeds the initial weights (``torch.manual_seed`` before
        ``initialize``).
    kd : bool, default=False
        Return a :class:`~skcoop.distill.KDNeuralNetClassifier` (a student
        trained with the KD loss) instead of a ``NeuralNetClassifier``.
    **kwargs
        Passed to the skorch class (``temperature``, ``alpha`` for KD).

    Returns
    -------
    net : skorch.NeuralNetClassifier
        Initialised (``module_`` exists), not fitted.

    Examples
    --------
    >>> from skcoop.federated import make_mlp_net
    >>> net = make_mlp_net(4, 3, hidden=8, random_state=0)
    >>> sorted(net.module_.state_dict())
    ['hidden.bias', 'hidden.weight', 'out.bias', 'out.weight']
    """
    if kd:
        from ..distill import KDNeuralNetClassifier as cls
    else:
        from skorch import NeuralNetClassifier as cls

    net = cls(
        MLPModule,
        module__n_features=n_features,
        module__n_classes=n_classes,
        module__hidden=hidden,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=lr,
        max_epochs=max_epochs,
        batch_size=batch_size,
        train_split=None,
        verbose=0,
        **kwargs,
    )
    torch.manual_seed(random_state)
    return net.initialize()


def get_weights(module):
    """The module's parameters as an ordered dict of numpy arrays (copies)."""
    if hasattr(module, "module_"):
        module = module.module_
    return OrderedDict(
        (k, v.detach().cpu().numpy().copy()) for k, v in module.state_dict().items()
    )


def set_weights(module, weights):
    """Load numpy ``weights`` (a mapping by parameter name) into the module."""
    if hasattr(module, "module_"):
        module = module.module_
    state = OrderedDict((k, torch.as_tensor(np.asarray(v))) for k, v in weights.items())
    module.load_state_dict(state, strict=True)
    return module
