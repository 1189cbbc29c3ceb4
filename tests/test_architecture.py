"""The package's architecture rules, checked (doc/architecture.rst).

- the import-linter contracts in ``pyproject.toml`` (layers; the engine, the
  strategies and the partitioners import nothing above them; nothing imports
  the benchmarks);
- no module imports another package's private module (a subpackage may use
  the private modules of a package above it, never a sibling's);
- no module of ``skcoop`` is over 600 lines.
"""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "skcoop"
MAX_LINES = 600


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            yield path, ".".join(parts[:-1]), True
        else:
            yield path, ".".join(parts), False


def _absolute(module, is_package, node):
    """The absolute module an ``ImportFrom`` names."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _private_imports():
    bad = []
    for path, module, is_package in _modules():
        own_package = module if is_package else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            target = _absolute(module, is_package, node)
            if not target.startswith("skcoop"):
                continue
            names = [target] + [f"{target}.{a.name}" for a in node.names]
            for name in names:
                parts = name.split(".")
                private = [
                    i
                    for i, p in enumerate(parts)
                    if p.startswith("_") and not p.startswith("__")
                ]
                if not private:
                    continue
                owner = ".".join(parts[: private[0]])  # the private module's package
                if own_package != owner and not own_package.startswith(owner + "."):
                    bad.append(f"{module} imports {name}")
    return sorted(set(bad))


def test_no_module_imports_another_packages_private_module():
    assert _private_imports() == []


def test_no_module_over_600_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for path, _, _ in _modules()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_import_contracts_are_kept():
    pytest.importorskip("importlinter")
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("lint-imports is not on the path of this interpreter")
    run = subprocess.run(
        [exe, "--config", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout
