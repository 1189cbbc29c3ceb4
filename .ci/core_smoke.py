"""Smoke test of a core-only install (numpy, scipy, scikit-learn, joblib).

Run by .ci/run in a fresh venv with ``pip install -e .`` alone: no pandas,
no test tools. It runs the README's usage example (the default fit, its
transfer report and a grid search over member and distillation settings)
and checks that an optional part names the extra to install.
"""

import importlib.util
import re
from pathlib import Path

for extra in ("pandas", "torch", "skops", "pytest"):
    assert importlib.util.find_spec(extra) is None, f"{extra} is installed"

readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
usage = re.findall(r"```python\n(.*?)```", readme, re.S)[0]
namespace = {}
exec(compile(usage, "README.md", "exec"), namespace)
assert namespace["grid"].best_score_ > 0.9, namespace["grid"].best_score_
assert len(namespace["ens"].transfer_report_["teacher"]) > 0

from skcoop.utils import import_optional  # noqa: E402

try:
    import_optional("skops.io", "model files")
except ImportError as exc:
    assert 'pip install -e ".[silo]"' in str(exc), exc
else:
    raise AssertionError("skops should not be installed in the core venv")
print("core smoke test: README example fitted, best grid score "
      f"{namespace['grid'].best_score_:.3f}; optional imports name their extra")
