"""Mutation mining (as SWE-smith does): break one function of a real project at a time.

Sits beside the other miners: it takes a real project with tests (a git repository at HEAD or a
PyPI sdist), and for each function of its source (never its tests) applies one AST mutation
(flipped comparison, swapped arithmetic or boolean operator, off-by-one constant, negated
condition, dropped `not`, returned None). The mutated text is spliced into the original source at
the node's exact position, so the diff is one line. The mutation is the task's starting patch and
its inverse is the gold patch; `_generate.py` keeps mutants that break at least one test and writes
the problem statement from the failing tests. Guarantees: mutants are a pure function of (tree,
seed); each compiles; each changes exactly one node in one function.
"""

from __future__ import annotations

import ast
import difflib
import random
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from synth import ConfigError, GenerationError

from ._patch import is_test_path


@dataclass(frozen=True)
class Mutant:
    path: str
    """File (relative, posix) that is mutated."""
    function: str
    """Qualified name of the mutated function."""
    operator: str
    """Which mutation, e.g. compare_flip."""
    line: int
    mutated_source: str
    """The whole file after mutation."""


_COMPARE_FLIP = {ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE, ast.LtE: ast.Gt, ast.Eq: ast.NotEq,
                 ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_BINOP_SWAP = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.FloorDiv, ast.FloorDiv: ast.Mult, ast.Mod: ast.FloorDiv}


def _single_line(node: ast.AST) -> bool:
    return getattr(node, "lineno", None) is not None and node.lineno == getattr(node, "end_lineno", None)  # type: ignore[attr-defined]


def _mutations(node: ast.AST) -> Iterator[tuple[str, ast.AST, str]]:
    """(operator, node whose text is replaced, replacement text) for one AST node."""
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPARE_FLIP:
        new = ast.Compare(left=node.left, ops=[_COMPARE_FLIP[type(node.ops[0])]()], comparators=node.comparators)
        yield "compare_flip", node, ast.unparse(new)
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINOP_SWAP:
        new = ast.BinOp(left=node.left, op=_BINOP_SWAP[type(node.op)](), right=node.right)
        yield "binop_swap", node, ast.unparse(new)
    elif isinstance(node, ast.BoolOp):
        new = ast.BoolOp(op=ast.Or() if isinstance(node.op, ast.And) else ast.And(), values=node.values)
        yield "boolop_swap", node, ast.unparse(new)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "drop_not", node, "(" + ast.unparse(node.operand) + ")"
    elif isinstance(node, ast.Constant) and type(node.value) is int and 0 <= node.value < 1000:
        yield "off_by_one", node, str(node.value + 1)
    elif isinstance(node, ast.If) and _single_line(node.test):
        yield "negate_condition", node.test, f"not ({ast.unparse(node.test)})"
    elif isinstance(node, ast.Return) and node.value is not None and not (
        isinstance(node.value, ast.Constant) and node.value.value is None
    ):
        yield "return_none", node.value, "None"


def _splice(source: str, node: ast.AST, text: str) -> str | None:
    if not _single_line(node):
        return None
    lines = source.splitlines(keepends=True)
    line = lines[node.lineno - 1]  # type: ignore[attr-defined]
    # ast offsets are UTF-8 byte offsets
    raw = line.encode("utf-8")
    start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    new_line = (raw[:start] + text.encode("utf-8") + raw[end:]).decode("utf-8")
    lines[node.lineno - 1] = new_line  # type: ignore[attr-defined]
    return "".join(lines)


def _functions(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    def walk(node: ast.AST, prefix: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{child.name}"
                yield name, child
                yield from walk(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, f"{prefix}{child.name}.")

    yield from walk(tree, "")


def source_files(root: Path) -> list[Path]:
    """Python source files of the project that are not tests, setup or docs."""
    out = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        parts = rel.split("/")
        if is_test_path(rel) or parts[0] in ("docs", "doc", "examples", "benchmarks", "bench", "scripts", "build"):
            continue
        if path.name in ("setup.py", "conftest.py", "versioneer.py", "_version.py", "noxfile.py"):
            continue
        out.append(path)
    return out


def mutants(root: Path, seed: int) -> Iterator[Mutant]:
    """At most one mutant per function, in a seeded order; each compiles and differs in one node."""
    rng = random.Random(f"mutate:{seed}")
    functions: list[tuple[Path, str, ast.AST, str]] = []
    for path in source_files(root):
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        for name, fn in _functions(tree):
            functions.append((path, name, fn, source))
    rng.shuffle(functions)
    for path, name, fn, source in functions:
        body_nodes = [n for stmt in fn.body for n in ast.walk(stmt)]  # type: ignore[attr-defined]
        options = [m for n in body_nodes for m in _mutations(n)]
        # docstrings are constants too: never mutate them
        options = [o for o in options if not (isinstance(o[1], ast.Constant) and isinstance(o[1].value, str))]
        rng.shuffle(options)
        for operator, node, text in options:
            mutated = _splice(source, node, text)
            if mutated is None or mutated == source:
                continue
            try:
                compile(mutated, str(path), "exec")
            except SyntaxError:
                continue
            yield Mutant(path.relative_to(root).as_posix(), name, operator, node.lineno, mutated)  # type: ignore[attr-defined]
            break


def diff(path: str, old: str, new: str) -> str:
    """A git-style diff of one file."""
    body = "".join(difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                        f"a/{path}", f"b/{path}", n=3))
    return f"diff --git a/{path} b/{path}\n{body}" if body else ""


def fetch_sdist(spec: str, into: Path) -> Path:
    """Download and unpack the sdist NAME==VERSION with pip; returns the project root."""
    if "==" not in spec or not spec.split("==")[0] or not spec.split("==")[1]:
        raise ConfigError(f"--sdist {spec!r}: give NAME==VERSION, e.g. toolz==0.12.1")
    into.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary=:all:", "--no-deps",
               "--dest", str(into), spec]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise ConfigError(f"--sdist {spec}: pip could not download it: {(done.stderr or done.stdout).strip()[-300:]}")
    archives = [p for p in into.iterdir() if p.name.endswith((".tar.gz", ".zip", ".tar.bz2"))]
    if not archives:
        raise ConfigError(f"--sdist {spec}: pip downloaded no source archive")
    archive_path = archives[0]
    target = into / "src"
    if archive_path.name.endswith(".zip"):
        import zipfile

        with zipfile.ZipFile(archive_path) as zf:
            zf.extractall(target)
    else:
        with tarfile.open(archive_path) as tar:
            tar.extractall(target, filter="data")
    roots = [p for p in target.iterdir() if p.is_dir()]
    if len(roots) != 1:
        raise GenerationError(f"--sdist {spec}: unexpected archive layout")
    return roots[0]


def checkout_head(repo: Path, into: Path) -> tuple[Path, str]:
    """The tracked files of a git repository at HEAD, unpacked; returns (root, commit)."""
    from ._mine import archive, git, open_repo

    top = open_repo(repo)
    commit = str(git(top, "rev-parse", "HEAD")).strip()
    data = archive(top, commit)
    import io

    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into, commit
