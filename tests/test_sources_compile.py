"""Every Python file in the checkout parses, not only the ones the suite imports.

The benchmarks, examples, apps and CI scripts are run by hand or by slow jobs, so a
syntax error there (an edit that broke a string's quotes, say) would otherwise go
unnoticed until someone runs them.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_DIRS = ("benchmarks", "examples", "apps", ".ci", "doc", "skcoop", "tests")
_SOURCES = sorted(
    p for d in _DIRS if (ROOT / d).is_dir() for p in (ROOT / d).rglob("*.py")
)


def test_the_checkout_has_sources():
    assert len(_SOURCES) > 100


@pytest.mark.parametrize(
    "path", _SOURCES, ids=[str(p.relative_to(ROOT)) for p in _SOURCES]
)
def test_source_parses(path):
    compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)
