"""The layering holds in the code: cli -> stages -> families -> verifiers -> core, imports pointing
down only. Verifiers never import a family (a reward function is read alone); the core names no
family, verifier or CLI module; families never reach up into the stages or the CLI. Importing the
core, or asking the CLI for help, loads no family."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"synth": "synth", "environments": "synth.environments", "verifiers": "synth.verifiers", "cli": "synth.cli"}


def imports(path: Path, package: str) -> set[str]:
    """Absolute names of every module `path` imports, relative imports resolved, plus the string
    arguments of importlib.import_module calls."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1] if path.name == "__init__.py" else base[: len(base) - node.level]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args:
            if isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def modules(folder: str) -> list[tuple[Path, str]]:
    out = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT / folder).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        out.append((path, ".".join([PACKAGES[folder], *parts])))
    return out


FORBIDDEN = {
    "verifiers": ("synth.environments", "synth.cli", "synth._stages"),
    "environments": ("synth.cli", "synth._stages"),
    "synth": ("synth.environments", "synth.verifiers", "synth.cli"),
}


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_imports_point_down_only(folder: str) -> None:
    bad = []
    for path, package in modules(folder):
        for name in imports(path, package):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[folder]):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "\n".join(bad)


def test_the_core_and_the_cli_help_load_no_family() -> None:
    code = ("import sys, synth; synth.Run; synth.Family; from synth.cli import app; "
            "print(sorted(m for m in sys.modules if m.startswith(('synth.environments', 'synth.verifiers'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    help_out = subprocess.run([sys.executable, "-m", "synth.cli", "--help"], capture_output=True, text=True)
    assert help_out.returncode == 0 and "generate" in help_out.stdout
