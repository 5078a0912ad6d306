"""The heuristic installer: reads a Python project's files and writes its setup script.

Sits between mining and the environment image. Reads pyproject.toml, setup.cfg, setup.py and
requirements files (test extras first) and the test sources (pytest plugins they use), and writes a
bash script that runs as root in /testbed with the host network. Guarantees: the script is a pure
function of the tree (same tree, same script, so the same image tag), installs into /opt/venv, falls
back from `pip install -e .[extra]` to plain and non-isolated installs, and ends by checking that
the test suite collects (its exit status is the script's).
"""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

TEST_EXTRAS = ("test", "tests", "testing", "dev")
REQUIREMENT_FILES = (
    "requirements.txt", "requirements-test.txt", "requirements_test.txt", "test-requirements.txt",
    "requirements-dev.txt", "requirements_dev.txt", "dev-requirements.txt", "requirements/test.txt",
    "requirements/tests.txt", "requirements/dev.txt",
)
# pytest plugins recognised from what tests use: (regex over test sources and config, package)
PLUGINS = (
    (r"pytest\.mark\.asyncio|pytest_asyncio|asyncio_mode", "pytest-asyncio"),
    (r"\bmocker\b|pytest_mock", "pytest-mock"),
    (r"^\s*(from|import) hypothesis", "hypothesis"),
    (r"--cov\b|pytest_cov", "pytest-cov"),
    (r"pytest\.mark\.timeout|--timeout\b", "pytest-timeout"),
    (r"\s-n\s+(auto|\d+)|xdist", "pytest-xdist"),
    (r"pytest_benchmark|\bbenchmark\(", "pytest-benchmark"),
)


def _extras(root: Path) -> list[str]:
    found: list[str] = []
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8", errors="replace"))
            found += list((data.get("project", {}).get("optional-dependencies") or {}).keys())
        except tomllib.TOMLDecodeError:
            pass
    cfg = root / "setup.cfg"
    if cfg.is_file():
        parser = configparser.RawConfigParser()
        try:
            parser.read(cfg, encoding="utf-8")
            if parser.has_section("options.extras_require"):
                found += [k for k, _ in parser.items("options.extras_require")]
        except configparser.Error:
            pass
    setup_py = root / "setup.py"
    if setup_py.is_file():
        text = setup_py.read_text(encoding="utf-8", errors="replace")
        block = re.search(r"extras_require\s*=\s*\{(.*?)\}", text, re.S)
        if block:
            found += re.findall(r"['\"]([\w.-]+)['\"]\s*:", block.group(1))
    return [e for e in TEST_EXTRAS if e in found]


def _test_text(root: Path, limit: int = 2_000_000) -> str:
    chunks, total = [], 0
    candidates = [p for p in sorted(root.rglob("*.py")) if "test" in p.as_posix().lower()]
    candidates += [root / n for n in ("pytest.ini", "tox.ini", "setup.cfg", "pyproject.toml") if (root / n).is_file()]
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        chunks.append(text)
        total += len(text)
        if total > limit:
            break
    return "\n".join(chunks)


def plugins(root: Path) -> list[str]:
    text = _test_text(root)
    return [package for pattern, package in PLUGINS if re.search(pattern, text, re.M)]


def setup_script(root: Path) -> str:
    """The setup script for the project checked out at `root`."""
    lines = [
        "#!/usr/bin/env bash",
        "# written by synth's heuristic installer; runs as root in /testbed with the host network",
        "set -euxo pipefail",
        "cd /testbed",
        "export PIP_NO_INPUT=1",
    ]
    for name in REQUIREMENT_FILES:
        if (root / name).is_file():
            lines.append(f"python -m pip install --quiet -r {name} || echo 'synth: {name} did not install fully' >&2")
    if any((root / n).is_file() for n in ("pyproject.toml", "setup.py", "setup.cfg")):
        extras = _extras(root)
        attempts = [f"python -m pip install --quiet -e '.[{e}]'" for e in extras]
        attempts += ["python -m pip install --quiet -e .", "python -m pip install --quiet --no-build-isolation -e ."]
        lines.append("python -m pip install --quiet --upgrade 'setuptools<81' wheel || true")
        lines.append(" || ".join(attempts))
    extra = plugins(root)
    if extra:
        lines.append("python -m pip install --quiet " + " ".join(extra))
    lines.append("python -m pytest --collect-only -q -p no:cacheprovider > /tmp/synth-collect.log 2>&1 "
                 "|| { tail -n 40 /tmp/synth-collect.log; exit 1; }")
    lines.append("tail -n 1 /tmp/synth-collect.log; rm -f /tmp/synth-collect.log")
    return "\n".join(lines) + "\n"
