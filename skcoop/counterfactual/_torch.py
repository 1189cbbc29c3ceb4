"""Batched gradient search for torch modules and skorch nets, on their device.

torch is imported on first use only: ``import skcoop`` works without it.
"""

# SPDX-License-Identifier: BSD-3-Clause

import sys
import time

import numpy as np
from sklearn.utils._param_validation import StrOptions

from ..utils import Substitution, count, is_torch_model, number
from ._base import _SEARCH_PARAMS_DOC, BaseCounterfactualSearch
from ._linear import linear_search
from ._model import TorchModel
from ._steps import (
    anchor_search,
    keep_better,
    nearest_anchors,
    polish,
    step_toward_anchor,
)

__all__ = ["GradientSearch"]


@Substitution(search_params=_SEARCH_PARAMS_DOC)
class GradientSearch(BaseCounterfactualSearch):
    """Quintessential counterfactuals by gradient descent on the inputs.

    For skorch nets (``NeuralNetClassifier``, ``NeuralNetBinaryClassifier``,
    ``NeuralNetRegressor``) and plain :class:`torch.nn.Module` returning
    logits. All rows move together: one Adam optimiser over a
    ``(n_rows, n_features)`` tensor on the model's own device (GPU when the
    model is there), one forward and backward pass per step, no per-row
    Python loop. The loss per row is a hinge on the log-probability of the
    target class below its target (``loss="hinge"``; ``"ce"`` pulls the
    probability to the target itself, as the paper did) plus
    ``l1_weight`` times the L1 distance in scaled units. Every step projects
    into the constraints (ranges, immutable features, integers and one-hot
    groups, the last two with straight-through rounding), and the nearest
    valid point seen so far is kept per row.

    Adam's per-coordinate step moves every feature, so its points are dense;
    linear jumps along the exact gradient (``linearize``) give sparse ones,
    and the cheaper of the two (scaled L1 plus ``sparsity_weight`` per
    changed feature) is kept. Then, like :class:`BlackBoxSearch`, rows that
    never reached their target fall back to the anchor segment search
    (``fallback=True``) and valid rows are polished (``n_rounds``: reversion
    of unneeded features, then shrinking), with batched forward passes. Rows
    already at their target move ``min_step`` of the way toward their
    nearest anchor.

    The paper's own settings are ``GradientSearch(learning_rate=1e-5,
    max_iter=500, step_units="raw", loss="ce", tol=1e-3, n_rounds=0,
    linearize=False, fallback=False)``.

    Parameters
    ----------
    learning_rate : float, default=0.05
        Adam step size, in scaled units of each feature (``step_units``).
    max_iter : int, default=200
        Maximum Adam steps.
    l1_weight : float, default=0.01
        Weight of the scaled L1 distance in the loss.
    loss : {{"hinge", "ce"}}, default="hinge"
        ``"hinge"``: zero once the target probability is reached (aims 2%
        inside it). ``"ce"``: cross-entropy to the target probability.
    step_units : {{"scaled", "raw"}}, default="scaled"
        Whether the optimised offset is in units of ``scale_`` or of the raw
        features.
    tol : float, default=None
        Stop once every row's output is within ``tol`` of its target
        (the paper's criterion, with ``loss="ce"``). By default, stop when
        every row has reached its target and the nearest valid points have
        not improved for ``n_iter_no_change`` steps.
    n_iter_no_change : int, default=10
        Patience of the default stopping rule.
    n_rounds : int, default=1
        Polishing rounds after the gradient phase (0: none).
    linearize : bool, default=True
        Also take linear jumps with the exact input gradient (the
        L1 DeepFool of :class:`BlackBoxSearch`, one forward-backward pass per
        jump instead of forward differences): sparse, near L1-optimal points.
    n_linear : int, default=3
        Linear jumps per row.
    sparsity_weight : float, default=2.0
        Cost of one more changed feature, in units of scaled L1, when
        choosing between the Adam point and the linear jumps.
    fallback : bool, default=True
        Rows the gradient never brought to the target get the anchor
        segment search instead.
    n_anchors : int, default=3
        Anchors per row for the fallback.
    n_iter : int, default=8
        Bisection steps of the fallback and the already-at-target step.
    {search_params}

    Attributes
    ----------
    scale_ : ndarray of shape (n_features,)
        Robust feature scales (MAD, falling back to std).
    lower_, upper_ : ndarray of shape (n_features,)
        The box counterfactuals stay in.
    n_iter_ : int
        Adam steps taken by the last ``generate``.
    X_ref_, y_ref_, min_, max_, is_integer_, is_binary_, immutable_
        As in :class:`BlackBoxSearch`.
    one_hot_groups_, n_features_in_, feature_names_in_
        As in :class:`BlackBoxSearch`.

    See Also
    --------
    BlackBoxSearch : search for any model with ``predict_proba``.
    make_search : pick a backend for a model.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from skcoop.counterfactual import GradientSearch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> module = torch.nn.Linear(2, 2)  # logits of classes 0 and 1
    >>> X = np.random.RandomState(0).uniform(-3, 3, size=(50, 2))
    >>> search = GradientSearch().fit(X)
    >>> result = search.generate(module, X[:4], [1, 1, 1, 1], confidence=0.8)
    >>> result.success.tolist()
    [True, True, True, True]
    """

    _parameter_constraints: dict = {
        **BaseCounterfactualSearch._parameter_constraints,
        "learning_rate": [number(0, None, closed="neither")],
        "max_iter": [count(0)],
        "l1_weight": [number(0, None, closed="left")],
        "loss": [StrOptions({"hinge", "ce"})],
        "step_units": [StrOptions({"scaled", "raw"})],
        "tol": [number(0, None, closed="left"), None],
        "n_iter_no_change": [count(1)],
        "n_rounds": [count(0)],
        "linearize": ["boolean"],
        "n_linear": [count(1)],
        "sparsity_weight": [number(0, None, closed="left")],
        "fallback": ["boolean"],
        "n_anchors": [count(1)],
        "n_iter": [count(1)],
    }

    def __init__(
        self,
        learning_rate=0.05,
        max_iter=200,
        l1_weight=0.01,
        loss="hinge",
        step_units="scaled",
        tol=None,
        n_iter_no_change=10,
        n_rounds=1,
        linearize=True,
        n_linear=3,
        sparsity_weight=2.0,
        fallback=True,
        n_anchors=3,
        n_iter=8,
        *,
        alpha=0.5,
        min_step=0.1,
        immutable=None,
        one_hot_groups="auto",
        feature_range="observed",
        scale="mad",
    ):
        super().__init__(
            alpha=alpha,
            min_step=min_step,
            immutable=immutable,
            one_hot_groups=one_hot_groups,
            feature_range=feature_range,
            scale=scale,
        )
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.l1_weight = l1_weight
        self.loss = loss
        self.step_units = step_units
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.n_rounds = n_rounds
        self.linearize = linearize
        self.n_linear = n_linear
        self.sparsity_weight = sparsity_weight
        self.fallback = fallback
        self.n_anchors = n_anchors
        self.n_iter = n_iter

    def _check_model(self, model):
        if isinstance(model, TorchModel):
            return model
        if not is_torch_model(model):
            raise TypeError(
                "GradientSearch needs a torch.nn.Module or a skorch net; got "
                f"{type(model).__name__}. Use BlackBoxSearch (or "
                "make_search('auto', model)) for other models."
            )
        return TorchModel(model, n_features=self.n_features_in_)

    def _search(self, ctx):
        goal = ctx.goal
        Z = ctx.X.copy()
        anchors, _ = nearest_anchors(ctx, self.n_anchors)
        Z[goal.already] = step_toward_anchor(
            ctx, anchors[:, 0], self.min_step, self.n_iter
        )
        rows = np.flatnonzero(~goal.already)
        if rows.size == 0:
            return Z
        V, found = self._descend(ctx, rows)
        V_out, V_ok = ctx.evaluate(V, rows)
        V_ok &= found
        if self.linearize:
            ctx.gradient = lambda Z_, rows_: self._gradient(ctx, Z_, rows_)
            L = linear_search(
                ctx, rows, self.n_linear, sparsity_weight=self.sparsity_weight
            )
            keep_better(ctx, rows, (V, V_out, V_ok), L, self.sparsity_weight)
        miss = np.flatnonzero(~V_ok)
        if self.fallback and miss.size:
            A = anchor_search(ctx, rows[miss], anchors[rows[miss]], self.n_iter)
            keep_better(ctx, rows, (V, V_out, V_ok), A, self.sparsity_weight, miss)
        Z[rows] = polish(ctx, rows, V, V_out, V_ok, self.n_rounds)
        return Z

    def _gradient(self, ctx, Z, rows):
        """Score (logit of the target probability, or prediction) and its gradient."""
        model = ctx.oracle.model
        torch = model.torch
        tic = time.perf_counter()
        z = model.to_tensor(Z).requires_grad_(True)
        with model._eval():
            out = model.forward(z)
            if ctx.goal.regression:
                score = out
            else:
                index = torch.as_tensor(ctx.goal.class_index[rows], device=model.device)
                mine = torch.nn.functional.one_hot(index, out.shape[1]).bool()
                p = out.gather(1, index[:, None])[:, 0]
                rest = torch.where(mine, torch.zeros_like(out), out).sum(dim=1)
                score = torch.log(p.clamp_min(1e-30)) - torch.log(rest.clamp_min(1e-30))
            (grad,) = torch.autograd.grad(score.sum(), z)
        ctx.oracle.record(Z.shape[0], time.perf_counter() - tic)
        return score.detach().double().cpu().numpy(), grad.double().cpu().numpy()

    def _descend(self, ctx, rows):
        """Adam on all rows at once; the nearest valid projected point per row."""
        if self.max_iter == 0:
            self.n_iter_ = 0
            return ctx.X[rows].copy(), np.zeros(rows.size, dtype=bool)
        model = ctx.oracle.model
        torch = model.torch
        goal = ctx.goal
        dev, dtype = model.device, model.dtype

        T = model.to_tensor
        x = T(ctx.X[rows])
        scale = T(ctx.scale if self.step_units == "scaled" else np.ones(ctx.d))
        inv_scale = T(1.0 / ctx.scale)
        lower, upper = T(ctx.lower[rows]), T(ctx.upper[rows])
        lo_t, hi_t = T(goal.lower[rows]), T(goal.upper[rows])
        target = T(goal.target[rows])
        regression = goal.regression
        if not regression:
            cls = torch.as_tensor(goal.class_index[rows], device=dev)
            aim = torch.clamp(lo_t + 0.02 * (1 - lo_t), 1e-6, 1 - 1e-6)
        else:
            inner_lo = target - 0.5 * (target - lo_t)
            inner_hi = target + 0.5 * (hi_t - target)
        imm = torch.as_tensor(ctx.search.immutable_, device=dev)
        is_int = np.zeros(ctx.d, dtype=bool)
        is_int[ctx.integer] = True
        is_int = torch.as_tensor(is_int, device=dev)
        groups = [torch.as_tensor(g, device=dev) for g in ctx.groups]

        u = torch.zeros_like(x, requires_grad=True)
        opt = torch.optim.Adam([u], lr=self.learning_rate)
        best = x.clone()
        best_l1 = torch.full((x.shape[0],), float("inf"), dtype=dtype, device=dev)
        found = torch.zeros(x.shape[0], dtype=torch.bool, device=dev)
        stale = 0
        self.n_iter_ = 0
        oracle = ctx.oracle
        with model._eval():
            for _ in range(self.max_iter):
                tic = time.perf_counter()
                z = self._project(x + u * scale, x, lower, upper, imm, is_int, groups)
                out = model.forward(z)
                if not regression:
                    out = out.gather(1, cls[:, None])[:, 0]
                l1 = ((z - x).abs() * inv_scale).sum(dim=1)
                with torch.no_grad():
                    valid = (out >= lo_t) & (out <= hi_t)
                    better = valid & (l1 < best_l1)
                    best = torch.where(better[:, None], z.detach(), best)
                    best_l1 = torch.where(better, l1.detach(), best_l1)
                    found |= valid
                if regression:
                    miss = torch.relu(inner_lo - out) + torch.relu(out - inner_hi)
                    if self.loss == "ce":
                        miss = (out - target) ** 2
                elif self.loss == "hinge":
                    miss = torch.relu(torch.log(aim) - torch.log(out.clamp_min(1e-12)))
                else:
                    p = out.clamp(1e-7, 1 - 1e-7)
                    t = target.clamp(1e-7, 1 - 1e-7)
                    miss = -(t * torch.log(p) + (1 - t) * torch.log1p(-p))
                    miss = miss + t * torch.log(t) + (1 - t) * torch.log1p(-t)
                loss = miss.sum() + self.l1_weight * l1.sum()
                opt.zero_grad()
                loss.backward()
                oracle.record(x.shape[0], time.perf_counter() - tic)
                opt.step()
                self.n_iter_ += 1
                with torch.no_grad():
                    if self.tol is not None:
                        close = (out - target).abs() <= self.tol
                        if bool(close.all()):
                            break
                    else:
                        stale = 0 if bool(better.any()) else stale + 1
                        if bool(found.all()) and stale >= self.n_iter_no_change:
                            break
        return best.double().cpu().numpy(), found.cpu().numpy()

    @staticmethod
    def _project(z, x, lower, upper, imm, is_int, groups):
        """Constraints with straight-through gradients (rounding, one-hot)."""
        torch = sys.modules["torch"]
        z = torch.maximum(torch.minimum(z, upper), lower)
        if bool(is_int.any()):
            rounded = torch.where(z == x, x, torch.round(z))
            z = torch.where(is_int, z + (rounded - z).detach(), z)
        for g in groups:
            block = z[:, g]
            hot = torch.nn.functional.one_hot(block.argmax(dim=1), g.numel()).to(
                z.dtype
            )
            soft = torch.softmax(block, dim=1)
            z = z.clone()
            z[:, g] = hot + soft - soft.detach()
        return torch.where(imm, x, z)
