"""Behaviour pins: three small fits whose virtual rows, transfer report and
predictions must not change when the code is restructured.

The expected values live in ``tests/data/pinned_*.npz`` (plain arrays, loaded
without pickle). They were written by ``python tests/test_pinned_behaviour.py
--write`` before the restructure of issue 10; a change in them is a change of
behaviour and needs its own reason in the commit that rewrites them.

The fits use the paper's settings (``scope="deficiency",
expertise="in_sample"``), the defaults when the pins were written.
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

from skcoop import CooperativeDistillationEnsemble, CooperativeDistillationRegressor

sys.path.insert(0, str(Path(__file__).parent))
from test_mixed_ensemble import mixed_frame, pipeline_member, tree_member  # noqa: E402

DATA = Path(__file__).parent / "data"
PAPER = {"scope": "deficiency", "expertise": "in_sample"}


def _classifier_fit():
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:300], y[:300]
    site = np.arange(len(y)) % 3
    ens = CooperativeDistillationEnsemble(
        [
            ("logreg", make_pipeline(StandardScaler(), LogisticRegression())),
            ("tree", DecisionTreeClassifier(max_depth=3, random_state=0)),
            ("nb", GaussianNB(), list(range(10))),
        ],
        random_state=0,
        **PAPER,
    ).fit(X, y, site=site)
    return ens, X


def _regressor_fit():
    X, y = load_diabetes(return_X_y=True)
    X, y = X[:240], y[:240]
    site = np.arange(len(y)) % 2
    ens = CooperativeDistillationRegressor(
        [
            ("ridge", Ridge(alpha=1.0)),
            ("tree", DecisionTreeRegressor(max_depth=3, random_state=0)),
        ],
        random_state=0,
        **PAPER,
    ).fit(X, y, site=site)
    return ens, X


def _mixed_fit():
    X, y = mixed_frame(240, 3)
    site = np.arange(len(y)) % 3
    ens = CooperativeDistillationEnsemble(
        [
            ("pipe", pipeline_member()),
            ("tree", tree_member()),
            ("nb", GaussianNB(), ["age", "hours"]),
        ],
        random_state=0,
        **PAPER,
    ).fit(X, y, site=site)
    return ens, X


FITS = {"classifier": _classifier_fit, "regressor": _regressor_fit, "mixed": _mixed_fit}


def _numeric(X):
    """Virtual rows as a float array: DataFrame columns in a stable encoding."""
    if hasattr(X, "iloc"):
        cols = []
        for name in X.columns:
            col = X[name]
            if col.dtype.kind in "biuf":
                cols.append(col.to_numpy(dtype=float, na_value=np.nan))
            else:
                codes = pd.Categorical(col.astype(object).where(col.notna(), None))
                cats = np.asarray(sorted(map(str, codes.categories)))
                values = col.astype(object).to_numpy()
                cols.append(
                    np.array(
                        [
                            np.nan if v is None or v != v else
                            float(np.searchsorted(cats, str(v)))
                            for v in values
                        ]
                    )
                )
        return np.column_stack(cols) if cols else np.zeros((len(X), 0))
    return np.asarray(X, dtype=float)


def snapshot(ens, X):
    out = {}
    for name, v in ens.virtual_instances_.items():
        out[f"virtual_X__{name}"] = _numeric(v["X"])
        out[f"virtual_y__{name}"] = np.asarray(v["y"], dtype=float)
        out[f"virtual_teacher__{name}"] = np.asarray(v["teacher"], dtype=str)
    report = ens.transfer_report_
    for key in ("round", "qualifying", "found", "kept"):
        out[f"report__{key}"] = np.asarray(report[key], dtype=int)
    for key in ("teacher", "student", "class"):
        out[f"report__{key}"] = np.asarray(report[key]).astype(str)
    out["predict"] = np.asarray(ens.predict(X), dtype=float)
    if hasattr(ens, "predict_proba"):
        out["predict_proba"] = ens.predict_proba(X)
    return out


@pytest.mark.parametrize("kind", sorted(FITS))
def test_pinned_fit(kind):
    expected = dict(np.load(DATA / f"pinned_{kind}.npz", allow_pickle=False))
    got = snapshot(*FITS[kind]())
    assert sorted(got) == sorted(expected)
    for key, want in expected.items():
        if want.dtype.kind in "US":
            np.testing.assert_array_equal(got[key], want, err_msg=key)
        else:
            np.testing.assert_allclose(
                got[key], want, rtol=1e-7, atol=1e-9, err_msg=key
            )


if __name__ == "__main__" and "--write" in sys.argv:
    DATA.mkdir(exist_ok=True)
    for kind, make in FITS.items():
        np.savez(DATA / f"pinned_{kind}.npz", **snapshot(*make()))
        print("wrote", kind)
