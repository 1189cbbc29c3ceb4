"""The documentation: its examples run, it covers the public API, it builds.

- The user guide's ``>>>`` examples are doctests, run here (fast).
- Every name in a documented module's ``__all__`` has an entry in
  ``doc/api.rst``, so a new public name cannot go undocumented.
- ``sphinx-build -W`` (warnings are errors) succeeds, and runs every
  gallery example (``examples/plot_*.py``, sphinx-gallery): marked slow.
"""

import doctest
import re
import subprocess
import sys
import warnings
from importlib import import_module
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "doc"
GALLERY = sorted((DOC.parent / "examples").glob("plot_*.py"))
USER_GUIDE = sorted((DOC / "user_guide").glob("*.rst"))
API_MODULES = [
    "skcoop",
    "skcoop.counterfactual",
    "skcoop.datasets",
    "skcoop.distill",
    "skcoop.federated",
    "skcoop.flower",
    "skcoop.inspection",
    "skcoop.metrics",
    "skcoop.partition",
    "skcoop.silo",
    "skcoop.privacy",
    "skcoop.utils",
    "skcoop.utils.estimator_checks",
    "skcoop.views",
]


# pages whose examples need an extra beyond pandas
PAGE_NEEDS = {"inspection.rst": ("matplotlib",)}


@pytest.mark.parametrize("page", USER_GUIDE, ids=lambda p: p.name)
def test_user_guide_examples_run(page):
    pytest.importorskip("pandas")
    for name in PAGE_NEEDS.get(page.name, ()):
        pytest.importorskip(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        result = doctest.testfile(
            str(page),
            module_relative=False,
            optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
            report=True,
            verbose=False,
        )
    assert result.failed == 0, f"{result.failed} example(s) failed in {page.name}"


def _documented_names(module):
    """Names listed under ``.. currentmodule:: module`` in api.rst."""
    text = (DOC / "api.rst").read_text()
    names, current, in_table = set(), None, False
    for line in text.splitlines():
        match = re.match(r"\.\. currentmodule:: (\S+)", line)
        if match:
            current = match.group(1)
            continue
        if line.startswith(".. autosummary::"):
            in_table = True
            continue
        if in_table and line and not line.startswith(" "):
            in_table = False
        entry = line.strip()
        if in_table and current == module and entry and not entry.startswith(":"):
            names.add(entry)
    return names


@pytest.mark.parametrize("module", API_MODULES)
def test_api_page_lists_every_public_name(module):
    exported = import_module(module).__all__
    public = {name for name in exported if not name.startswith("__")}
    documented = _documented_names(module)
    assert public - documented == set(), (
        f"doc/api.rst lacks public names of {module}; add them to its autosummary"
    )
    assert documented - public == set(), (
        f"doc/api.rst lists names that {module}.__all__ does not export"
    )


def test_gallery_has_its_examples():
    """At least 8 runnable examples, each a titled script that draws."""
    assert len(GALLERY) >= 8
    assert (DOC.parent / "examples" / "README.txt").exists()
    for script in GALLERY:
        text = script.read_text()
        assert text.startswith('"""\n='), f"{script.name} has no title"
        assert "plt." in text or "Display" in text, f"{script.name} draws nothing"


def test_demo_page_shows_the_command():
    text = (DOC / "examples" / "demo.rst").read_text()
    assert "python -m skcoop demo" in text
    assert "ensemble (soft vote)" in text


@pytest.mark.slow
def test_sphinx_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    out = tmp_path / "html"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            "-d",
            str(tmp_path / "doctrees"),
            str(DOC),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    assert (out / "index.html").exists()
    for page in ["api", "install", "user_guide/cooperative", "examples/demo"]:
        assert (out / f"{page}.html").exists(), page
    assert (out / "generated" / "skcoop.CooperativeDistillationEnsemble.html").exists()
    # every gallery example ran and drew at least one figure
    for script in GALLERY:
        assert (out / "auto_examples" / f"{script.stem}.html").exists(), script.name
        images = list((out / "_images").glob(f"sphx_glr_{script.stem}_*.png"))
        assert images, f"{script.name} drew no figure"
