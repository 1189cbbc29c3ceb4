"""What a search returns, and the quintessential target it aims for."""

# SPDX-License-Identifier: BSD-3-Clause

import numpy as np
from sklearn.utils import Bunch

__all__ = ["CounterfactualResult", "quintessential_target"]


class CounterfactualResult(Bunch):
    """Counterfactuals for a batch of rows, with what it took to find them.

    A :class:`~sklearn.utils.Bunch`: fields are attributes and keys.

    Attributes
    ----------
    X : ndarray or DataFrame of shape (n_samples, n_features)
        One counterfactual per source row, in the form of the source rows.
    success : ndarray of shape (n_samples,), dtype=bool
        Whether the model's output at ``X`` meets the target (checked by
        calling the model on the returned rows).
    target_class : ndarray of shape (n_samples,) or None
        Class whose probability the search raised (classification); None for
        regression.
    target : ndarray of shape (n_samples,)
        Probability of ``target_class`` to reach (classification) or target
        value (regression).
    target_interval : ndarray of shape (n_samples, 2)
        Output interval that counts as success: ``[target, inf]`` for
        classification, ``[target - tolerance, target + tolerance]`` (or the
        interval asked for) for regression.
    initial : ndarray of shape (n_samples,)
        Model output at the source rows (probability of ``target_class``, or
        the prediction for regression).
    achieved : ndarray of shape (n_samples,)
        Model output at the counterfactual rows.
    already_at_target : ndarray of shape (n_samples,), dtype=bool
        Source rows that met the target before any search; the search still
        moves them (see ``min_step``) so that a counterfactual never repeats
        its source row.
    distance : ndarray of shape (n_samples,)
        L1 distance between source and counterfactual in scaled units (each
        feature divided by the search's ``scale_``).
    n_changed : ndarray of shape (n_samples,)
        Number of features whose value differs from the source row.
    n_evaluations : ndarray of shape (n_samples,)
        Model evaluations spent on each row: its candidates (each distinct
        candidate once), its source row's output unless ``generate`` got
        ``initial_output``, and the final check where the returned row was
        not evaluated before. The reference rows' outputs, when not given,
        are shared by all rows and counted only in ``n_rows_evaluated``.
    n_model_calls : int
        Number of calls to the model's ``predict_proba``/``predict`` (for the
        gradient backend, forward passes, with or without gradients).
    n_rows_evaluated : int
        Number of rows passed to the model over all calls.
    model_time : float
        Seconds spent inside the model's own calls.
    search_time : float
        Wall-clock seconds of the whole search, model calls included.
    """

    def __len__(self):
        return len(self["success"])

    @property
    def n_success(self):
        """Number of counterfactuals that reached their target."""
        return int(np.sum(self["success"]))

    @property
    def n_already_at_target(self):
        """Number of source rows that met their target before the search."""
        return int(np.sum(self["already_at_target"]))

    def summary(self):
        """Counts and costs of the batch, as a plain dict (for reports).

        Returns
        -------
        summary : dict
            ``n``, ``n_success``, ``n_already_at_target`` (and how many of
            those succeeded: ``n_already_success``), ``n_unchanged`` (rows
            returned equal to their source), ``validity``, ``median_distance``,
            ``median_changed``, ``median_evaluations`` (per row),
            ``n_model_calls``, ``n_rows_evaluated``,
            ``model_time``, ``search_time``.
        """
        n = len(self)
        already = np.asarray(self["already_at_target"], dtype=bool)
        success = np.asarray(self["success"], dtype=bool)
        changed = np.asarray(self["n_changed"])
        return {
            "n": n,
            "n_success": int(success.sum()),
            "n_already_at_target": int(already.sum()),
            "n_already_success": int((already & success).sum()),
            "n_unchanged": int((changed == 0).sum()),
            "validity": float(success.mean()) if n else float("nan"),
            "median_distance": float(np.median(self["distance"]))
            if n
            else float("nan"),
            "median_changed": float(np.median(changed)) if n else float("nan"),
            "median_evaluations": float(np.median(self["n_evaluations"]))
            if n and "n_evaluations" in self
            else float("nan"),
            "n_model_calls": int(self["n_model_calls"]),
            "n_rows_evaluated": int(self["n_rows_evaluated"]),
            "model_time": float(self["model_time"]),
            "search_time": float(self["search_time"]),
        }


def quintessential_target(initial, alpha, true=1.0):
    """Output target of a quintessential counterfactual.

    ``y' = f(x) + alpha * (y - f(x))``. For classification ``f(x)`` is the
    probability of the true class and ``y`` is 1, so the target probability
    moves ``alpha`` of the way from the current probability to certainty; for
    regression ``f(x)`` is the prediction and ``y`` the true value.

    Parameters
    ----------
    initial : array-like of shape (n_samples,)
        Model output at the source rows.
    alpha : float in [0, 1]
        Fraction of the way from the model's output to the true output.
    true : float or array-like of shape (n_samples,), default=1.0
        The true output: 1 for the probability of the true class, the true
        value for regression.

    Returns
    -------
    target : ndarray of shape (n_samples,)

    Examples
    --------
    >>> from skcoop.counterfactual import quintessential_target
    >>> quintessential_target([0.6, 0.9, 1.0], alpha=0.5)
    array([0.8 , 0.95, 1.  ])
    >>> quintessential_target([10.0, 4.0], alpha=0.5, true=[12.0, 0.0])
    array([11.,  2.])
    """
    initial = np.asarray(initial, dtype=float)
    return initial + alpha * (np.asarray(true, dtype=float) - initial)
