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
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from synth import ConfigError, GenerationError
from synth._syntax import parse as parse_python

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
            tree = parse_python(source)
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


# -- other languages: the same operators on tree-sitter syntax trees -------------------------------------
_TS_COMPARE = {"<": ">=", ">=": "<", ">": "<=", "<=": ">", "==": "!=", "!=": "==", "===": "!==", "!==": "==="}
_TS_ARITH = {"+": "-", "-": "+", "*": "/", "/": "*", "%": "/"}
_TS_BOOL = {"&&": "||", "||": "&&"}
_TS_FUNCTIONS = {"function_declaration", "method_declaration", "method_definition", "function_item",
                 "constructor_declaration", "function_expression", "arrow_function"}
_TS_INTEGERS = {"int_literal", "number", "integer_literal", "decimal_integer_literal"}
_TS_RETURN_NULL = {"javascript": "undefined", "typescript": "undefined", "java": "null"}
_TS_STATEMENTS = {"expression_statement", "inc_statement", "dec_statement"}


def _parser(language: str):  # type: ignore[no-untyped-def]
    """A tree-sitter parser for `language` (its grammar is a PyPI package: tree-sitter-NAME)."""
    import importlib

    from tree_sitter import Language as TSLanguage, Parser

    module = {"go": "tree_sitter_go", "javascript": "tree_sitter_javascript", "typescript": "tree_sitter_typescript",
              "rust": "tree_sitter_rust", "java": "tree_sitter_java"}[language]
    grammar = importlib.import_module(module)
    handle = grammar.language_typescript() if language == "typescript" else grammar.language()
    return Parser(TSLanguage(handle))


def _ts_name(node) -> str:  # type: ignore[no-untyped-def]
    name = node.child_by_field_name("name")
    if name is None and node.parent is not None and node.parent.type == "variable_declarator":
        name = node.parent.child_by_field_name("name")
    return name.text.decode("utf-8", "replace") if name is not None else ""


def _ts_mutations(node, language: str) -> Iterator[tuple[str, int, int, str]]:  # type: ignore[no-untyped-def]
    """(operator, start byte, end byte, replacement) for one syntax node."""
    kind = node.type
    if kind == "binary_expression":
        op = node.child_by_field_name("operator")
        text = op.text.decode() if op is not None else ""
        for name, table in (("compare_flip", _TS_COMPARE), ("binop_swap", _TS_ARITH), ("boolop_swap", _TS_BOOL)):
            if op is not None and text in table:
                yield name, op.start_byte, op.end_byte, table[text]
    elif kind in _TS_INTEGERS:
        text = node.text.decode()
        if text.isdigit() and int(text) < 1000:
            yield "off_by_one", node.start_byte, node.end_byte, str(int(text) + 1)
    elif kind in ("if_statement", "if_expression"):
        cond = node.child_by_field_name("condition")
        if cond is not None and b"\n" not in cond.text:
            body = cond.text.decode()
            inner = body[1:-1] if cond.type == "parenthesized_expression" else body
            replacement = f"!({inner})"
            if cond.type == "parenthesized_expression":
                replacement = f"({replacement})"
            yield "negate_condition", cond.start_byte, cond.end_byte, replacement
    elif kind == "return_statement" and language in _TS_RETURN_NULL:
        values = [c for c in node.named_children if c.type != "comment"]
        if len(values) == 1 and b"\n" not in values[0].text and values[0].type not in ("null", "undefined"):
            yield "return_null", values[0].start_byte, values[0].end_byte, _TS_RETURN_NULL[language]
    elif kind in _TS_STATEMENTS and b"\n" not in node.text and language in ("javascript", "typescript", "java"):
        yield "drop_statement", node.start_byte, node.end_byte, ";"


def ts_mutants(root: Path, language: object, seed: int) -> Iterator[Mutant]:
    """At most one mutant per function of a non-Python project (a `synth.environments.code.languages`
    Language), in seeded order; only functions whose name a test file mentions (the tests cover
    them), each mutant re-parses without syntax errors and differs in one node."""
    name = getattr(language, "name")
    parser = _parser(name)
    test_text = "\n".join(p.read_text("utf-8", "replace") for p in sorted(root.rglob("*"))
                          if p.is_file() and getattr(language, "is_test_path")(p.relative_to(root).as_posix())
                          and "node_modules" not in p.parts and p.suffix in getattr(language, "extensions"))
    rng = random.Random(f"mutate:{seed}")
    functions = []
    for path in getattr(language, "source_files")(root):
        source = path.read_bytes()
        tree = parser.parse(source)
        # a file the tests load (by its stem, or the package's index required as '..') is covered whole
        stem = path.stem
        whole = name in ("javascript", "typescript") and bool(re.search(rf"\b{re.escape(stem)}\b", test_text)) and stem not in ("main", "lib", "src") or (
            stem == "index" and re.search(r"require\(\s*['\"]\.\.?/?['\"]\s*\)|from\s+['\"]\.\.?/?['\"]", test_text))
        stack = [tree.root_node]
        while stack:
            node = stack.pop()
            stack.extend(reversed(node.children))
            if node.type in _TS_FUNCTIONS:
                fname = _ts_name(node)
                if whole or (fname and re.search(rf"\b{re.escape(fname)}\b", test_text)):
                    line = node.start_point[0] + 1
                    functions.append((path, fname or f"{stem}:{line}", node, source))
    rng.shuffle(functions)
    for path, fname, fn, source in functions:
        body = fn.child_by_field_name("body") or fn
        nodes, stack = [], [body]
        while stack:
            node = stack.pop()
            nodes.append(node)
            stack.extend(reversed(node.children))
        options = [m for n in nodes for m in _ts_mutations(n, name)]
        rng.shuffle(options)
        for operator, start, end, text in options:
            mutated = source[:start] + text.encode() + source[end:]
            if mutated == source or parser.parse(mutated).root_node.has_error:
                continue
            line = source[:start].count(b"\n") + 1
            yield Mutant(path.relative_to(root).as_posix(), fname, operator, line, mutated.decode("utf-8"))
            break


def fetch_npm(spec: str, into: Path) -> Path:
    """Download and unpack the npm package NAME@VERSION (`npm pack`); returns the project root."""
    into.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["npm", "pack", "--silent", "--pack-destination", str(into), spec], capture_output=True,
                              text=True, timeout=600, cwd=into)
    except FileNotFoundError:
        raise ConfigError(f"--npm {spec}: npm is not installed on this machine (apt-get install npm)") from None
    archives = sorted(into.glob("*.tgz"))
    if done.returncode != 0 or not archives:
        raise ConfigError(f"--npm {spec}: npm could not download it: {(done.stderr or done.stdout).strip()[-300:]}")
    target = into / "src"
    with tarfile.open(archives[0]) as tar:
        tar.extractall(target, filter="data")
    roots = [p for p in target.iterdir() if p.is_dir()]
    if len(roots) != 1:
        raise GenerationError(f"--npm {spec}: unexpected archive layout")
    return roots[0]


_GO_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "go.etcd.io")


def fetch_debian(package: str, into: Path) -> tuple[Path, str]:
    """Download a Debian binary package that ships a project's source with its tests
    (`apt-get download`, unpacked with dpkg-deb): a Go module (golang-*-dev, GOPATH layout: a
    go.mod is written when it has none) or a crate (librust-*-dev). Returns (root, version)."""
    into.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(["apt-get", "download", package], capture_output=True, text=True, timeout=600, cwd=into)
    except FileNotFoundError:
        raise ConfigError(f"--debian {package}: apt-get is not available on this machine") from None
    debs = sorted(into.glob("*.deb"))
    if done.returncode != 0 and "Unable to locate package" in (done.stderr or ""):
        from .languages._sources import fetch_debian_source  # a source package (Java: its jars ship no source)

        return fetch_debian_source(package, into)
    if done.returncode != 0 or not debs:
        raise ConfigError(f"--debian {package}: apt-get could not download it (run apt-get update?): "
                          f"{(done.stderr or done.stdout).strip()[-300:]}")
    version = debs[0].name.split("_")[1] if debs[0].name.count("_") >= 2 else "0"
    unpacked = into / "deb"
    subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(unpacked)], check=True, timeout=300)
    gocode, cargo = unpacked / "usr/share/gocode/src", unpacked / "usr/share/cargo/registry"
    if gocode.is_dir():
        root = gocode
        parts: list[str] = []
        while True:
            subdirs = [p for p in root.iterdir() if p.is_dir()]
            if (parts[:1] and parts[0] in _GO_HOSTS and len(parts) == 3) or any(root.glob("*.go")) or len(subdirs) != 1:
                break
            root = subdirs[0]
            parts.append(root.name)
        if not (root / "go.mod").exists():
            (root / "go.mod").write_text(f"module {'/'.join(parts)}\n\ngo 1.19\n")
        return root, version
    if cargo.is_dir():
        crates = [p for p in cargo.iterdir() if (p / "Cargo.toml").exists()]
        if len(crates) == 1:
            return crates[0], version
    raise ConfigError(f"--debian {package}: it ships no Go module (/usr/share/gocode) or crate (/usr/share/cargo)")
