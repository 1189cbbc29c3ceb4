"""How the ensembles show and reach their members, as scikit-learn's do.

- ``_sk_visual_block_``: the HTML repr draws the members as parallel blocks
  (as ``VotingClassifier`` and ``StackingClassifier`` do), with the
  distillation strategy below them;
- ``named_estimators``: the members by name before fit (a Bunch);
- ``set_output``: passed through to the members that have it (a Pipeline
  with a scaler, a ColumnTransformer).
"""

# SPDX-License-Identifier: BSD-3-Clause

from sklearn.utils import Bunch

try:  # scikit-learn >= 1.7
    from sklearn.utils._repr_html.estimator import _VisualBlock
except ImportError:  # scikit-learn 1.6
    from sklearn.utils._estimator_html_repr import _VisualBlock

__all__ = []


def _columns_label(columns):
    """A short text naming a member's own columns."""
    if callable(columns):
        return f"columns: {getattr(columns, '__name__', type(columns).__name__)}"
    try:
        shown = list(columns)
    except TypeError:
        return f"columns: {columns!r}"
    more = f", ... ({len(shown)} in all)" if len(shown) > 8 else ""
    return f"columns: {shown[:8]!r}"[:-1] + more + "]"


class _MembersView:
    """Members in the HTML repr, by name, and ``set_output`` (a mixin)."""

    def _sk_visual_block_(self):
        items = list(self.estimators)
        names = [item[0] for item in items]
        estimators = [item[1] for item in items]
        details = [
            (
                f"{est}\n{_columns_label(item[2])}"
                if len(item) == 3 and item[2] is not None
                else str(est)
            )
            for item, est in zip(items, estimators)
        ]
        members = _VisualBlock(
            "parallel",
            estimators,
            names=names,
            name_details=details,
            dash_wrapped=False,
        )
        if isinstance(self.distiller, str):
            # built from the ensemble's own parameters (no prefix)
            strategy = self._shown_strategy()
        else:  # a strategy object: its parameters are ``distiller__*``
            strategy = self.distiller
            strategy = _VisualBlock(
                "parallel",
                [strategy],
                names=[f"distiller: {type(strategy).__name__}"],
                name_details=[str(strategy)],
                dash_wrapped=False,
            )
        return _VisualBlock("serial", (members, strategy), dash_wrapped=False)

    def _shown_strategy(self):
        """The strategy the fit runs (built from the ensemble's settings)."""
        try:
            return self._strategy()
        except Exception:  # invalid settings: show what was given
            return self.distiller

    @property
    def named_estimators(self):
        """The members by name, before fit (unfitted templates).

        The fitted members are in ``named_estimators_``.

        Returns
        -------
        :class:`~sklearn.utils.Bunch`
        """
        return Bunch(**{item[0]: item[1] for item in self.estimators})

    def set_output(self, *, transform=None):
        """Set the output container of the members' transformers.

        The ensemble itself has no ``transform``; the setting goes to every
        member that has ``set_output`` (a Pipeline sets its steps), fitted
        members included, as ``Pipeline.set_output`` does.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, default=None
            Output of the members' ``transform`` and ``fit_transform``;
            ``None`` leaves it unchanged.

        Returns
        -------
        self : estimator instance
            The ensemble.
        """
        if transform is None:
            return self
        members = [item[1] for item in self.estimators]
        for attr in ("initial_estimators_", "estimators_"):
            members.extend(getattr(self, attr, []))
        for est in members:
            if hasattr(est, "set_output") and not isinstance(est, str):
                est.set_output(transform=transform)
        return self
