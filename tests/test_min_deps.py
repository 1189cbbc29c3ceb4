"""The minimum versions CI installs are the ones setup.cfg declares."""

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _declared():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    lines = cfg["options"]["install_requires"].split("\n")
    for extra in cfg["options.extras_require"].values():
        lines += [line for line in extra.split("\n") if line.startswith("pandas")]
    found = {}
    for line in lines:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*>=\s*([0-9.]+)\s*", line)
        if match:
            found.setdefault(match[1].lower(), set()).add(match[2])
    return found


def _pinned():
    pins = {}
    for line in (ROOT / ".ci" / "min-deps.txt").read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9.]+)", line.strip())
        if match:
            pins[match[1].lower()] = match[2]
    return pins


def test_ci_installs_exactly_the_declared_minimums():
    declared, pinned = _declared(), _pinned()
    # every core requirement and pandas has one minimum, and CI installs it
    assert set(declared) == {"numpy", "scipy", "scikit-learn", "joblib", "pandas"}
    for name, minimums in declared.items():
        assert len(minimums) == 1, f"{name} has several minimums: {minimums}"
        (minimum,) = minimums
        want = minimum if minimum.count(".") == 2 else minimum + ".0"
        assert pinned.get(name) == want, (name, pinned.get(name), minimum)
