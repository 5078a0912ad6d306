"""Host-side Python parsing goes through `synth._syntax.parse` (one process-wide lock).

CPython 3.11 raises "SystemError: AST constructor recursion depth mismatch" when two threads build
ASTs at once (python/cpython#106905); it failed a red-team grading run beside another in threads, and
`synth serve` grades and builds concurrently the same way. A new direct `ast.parse` would bring it
back on whichever path it lands, so this test names any."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

from synth._syntax import parse

ROOT = Path(__file__).resolve().parents[2]
IN_SANDBOX = {
    "verifiers/code/_launcher.py": "runs inside the code task's container, one thread",
    "environments/interpreter/_kernel_main.py": "the notebook kernel's own process inside its sandbox",
    "synth/_syntax.py": "the lock itself",
}


def _direct_parses(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "parse"
            and isinstance(node.func.value, ast.Name) and node.func.value.id == "ast"]


def test_no_host_module_parses_python_outside_the_lock():
    found = {}
    for folder in ("synth", "verifiers", "environments", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name not in IN_SANDBOX and (lines := _direct_parses(path)):
                found[name] = lines
    assert found == {}, f"ast.parse outside synth._syntax.parse (thread-unsafe on 3.11): {found}"


def test_parse_is_ast_parse_and_serialises_threads():
    assert ast.dump(parse("x = f(1)")) == ast.dump(ast.parse("x = f(1)"))
    assert ast.dump(parse("a + 1", mode="eval")) == ast.dump(ast.parse("a + 1", mode="eval"))
    assert ast.dump(parse(b"# -*- coding: latin-1 -*-\ns = '\xe9'\n")) == ast.dump(ast.parse("s = 'é'\n"))
    source = (ROOT / "verifiers/code/_launcher.py").read_text(encoding="utf-8")
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                parse(source)
        except BaseException as exc:  # noqa: BLE001 - any error in a thread is the finding
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
