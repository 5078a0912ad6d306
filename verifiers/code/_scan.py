"""The static tamper scan of a submission: constructs a fix to a library never needs, read from the
AST of every changed Python file (no code runs, so names built at run time are read as what they
are: computed names).

Sits in the code verifier beside the strict diff reader: the grading run reads each changed file
before and after the diff in its container and stores what `scan_python` finds in the artifacts
(`GradingArtifacts.tamper`); `code.tests` fails the check `tamper_scan` on any construct the task's
gold did not add itself (`Harness.scan_allow`, recorded at validation). A construct counts when the
diff **adds** it: its count in the file after the diff is higher than before, so code the project
already had is never flagged. A file that does not parse is flagged as such (Python would not
import it either, except through tricks the scan cannot read).
"""

from __future__ import annotations

import ast
import codecs
import re
from collections import Counter
from typing import Iterator

from synth._syntax import parse as parse_python

FRAME_ATTRS = {"f_back", "f_locals", "f_globals", "f_code", "f_builtins", "tb_frame", "tb_next", "gi_frame", "cr_frame",
               "ag_frame", "f_trace"}
CODE_ATTRS = {"__code__", "__closure__", "__globals__", "__builtins__", "cell_contents", "__wrapped__", "co_code",
              "__defaults__", "__kwdefaults__", "__subclasses__"}
MODULES = {"gc": "gc", "ctypes": "ctypes", "_ctypes": "ctypes", "marshal": "marshal", "builtins": "builtins",
           "_imp": "import machinery", "_signal": "signal", "signal": "signal", "_thread": "threads",
           "unittest": "test framework", "_pytest": "test framework", "pytest": "test framework", "pluggy": "test framework",
           "sys": None, "os": None}
"""Modules whose import by library code is a construct (None: only some of their names are)."""
SYS_NAMES = {"_getframe": "frames", "_current_frames": "frames", "settrace": "tracing", "setprofile": "tracing",
             "modules": "sys.modules", "meta_path": "import hooks", "path_hooks": "import hooks",
             "path_importer_cache": "import hooks", "addaudithook": "audit hooks", "monitoring": "tracing",
             "exit": "process exit", "excepthook": "exception hooks", "unraisablehook": "exception hooks",
             "argv": "the test process's arguments"}
OS_NAMES = {"_exit": "process exit", "write": "raw descriptors", "dup": "raw descriptors", "dup2": "raw descriptors",
            "fdopen": "raw descriptors", "fork": "processes", "forkpty": "processes", "kill": "processes",
            "killpg": "processes", "setsid": "processes", "execv": "processes", "execve": "processes"}
FRAME_NAMES = {"currentframe", "stack", "trace", "getouterframes", "getinnerframes", "walk_stack", "walk_tb",
               "extract_stack", "getclosurevars", "getgeneratorlocals", "getcoroutinelocals", "capture_locals"}
"""Names (on any object, or as a keyword) that hand out frames, frame locals or closure cells."""
LOADERS = {"SourceFileLoader": "loading code from a file", "SourcelessFileLoader": "loading code from a file",
           "ExtensionFileLoader": "loading code from a file", "load_module": "loading code from a file",
           "exec_module": "loading code from a file", "spec_from_file_location": "loading code from a file",
           "spec_from_loader": "loading code from a file", "run_path": "loading code from a file",
           "run_module": "loading code from a file", "load_source": "loading code from a file"}
"""Names that run a file as code whatever its name (a .txt the scan would not read as Python)."""
LOADER_MODULES = {"runpy": "loading code from a file", "importlib.machinery": "loading code from a file",
                  "imp": "loading code from a file", "zipimport": "loading code from a file"}
BUILTIN_CALLS = {"compile": "compile/exec/eval", "exec": "compile/exec/eval", "eval": "compile/exec/eval",
                 "__import__": "import machinery", "globals": "namespaces", "vars": "namespaces",
                 "breakpoint": "tracing"}
NAMED = {"_ShouldStop": "test framework exceptions", "SkipTest": "test framework exceptions",
         "KeyboardInterrupt": "control-flow exceptions", "SystemExit": "control-flow exceptions",
         "GeneratorExit": "control-flow exceptions", "BaseException": "control-flow exceptions"}


SPELLED = FRAME_ATTRS | CODE_ATTRS | FRAME_NAMES | {"_getframe", "_current_frames", "pluginmanager", "__closure__",
                                                  "cell_contents", "f_back", "f_locals"}
"""Names whose string a fix has no reason to hold: `getattr(f, "__closure__")`, or the same name
spelled in pieces ("__clo" + "sure__", "".join([...]), an f-string of constants)."""
OS_MODULES = ("os", "posix", "nt")
"""`os` and the modules it re-exports (posix._exit is os._exit)."""


def _folded(node: ast.AST) -> str | None:
    """The string an expression of constants spells, or None."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _folded(node.left), _folded(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.FormattedValue) and node.format_spec is None:
        return _folded(node.value)
    if isinstance(node, ast.JoinedStr):
        parts = [_folded(v) for v in node.values]
        return None if any(p is None for p in parts) else "".join(parts)  # type: ignore[arg-type]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join" \
            and len(node.args) == 1 and isinstance(node.args[0], (ast.List, ast.Tuple)):
        glue = _folded(node.func.value)
        parts = [_folded(e) for e in node.args[0].elts]
        return None if glue is None or any(p is None for p in parts) else glue.join(parts)  # type: ignore[arg-type]
    return None


def _constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant)


def _built(node: ast.AST) -> bool:
    """A string made by an expression (concatenation, f-string, a call, an index) rather than
    passed in: a name a fix has no reason to spell in pieces."""
    return isinstance(node, (ast.BinOp, ast.JoinedStr, ast.Call, ast.Subscript, ast.BoolOp, ast.IfExp))


def _ignores_other(func: ast.FunctionDef) -> bool:
    """A comparison method whose result does not depend on what it is compared with."""
    args = [a.arg for a in func.args.args]
    if len(args) < 2:
        return True
    other = args[1]
    used = any(isinstance(n, ast.Name) and n.id == other for n in ast.walk(func))
    returns = [n for n in ast.walk(func) if isinstance(n, ast.Return)]
    constant = bool(returns) and all(r.value is not None and _constant(r.value) for r in returns)
    return constant or not used


def _modules(tree: ast.AST) -> set[str]:
    """Names bound to modules by `import` statements (`import a.b` binds a, `import a as b` b)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
    return names


def _aliases(tree: ast.AST) -> dict[str, str]:
    """What each name bound by an import statement stands for: `import os as _o` -> {_o: os},
    `from os import path as p` -> {p: os.path}, `import a.b` -> {a: a}; so `_o._exit` is judged
    as `os._exit`."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The dotted name an expression spells, aliases resolved (`_o.path` -> os.path), or None."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id, node.id)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value, aliases)
        return None if base is None else f"{base}.{node.attr}"
    return None


def _module_like(node: ast.AST, modules: set[str]) -> bool:
    """An expression naming an imported module (or importing one)."""
    if isinstance(node, ast.Name):
        return node.id in modules
    if isinstance(node, ast.Attribute):
        return _module_like(node.value, modules)
    if isinstance(node, ast.Call):
        func = node.func
        return (isinstance(func, ast.Name) and func.id == "__import__") or \
            (isinstance(func, ast.Attribute) and func.attr == "import_module")
    if isinstance(node, ast.Subscript):
        return isinstance(node.value, ast.Attribute) and node.value.attr == "modules"
    return False


def constructs(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, construct) for every construct of the tree."""
    modules = _modules(tree)
    aliases = _aliases(tree)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, (ast.Constant, ast.BinOp, ast.JoinedStr, ast.Call)):
            spelled = _folded(node)
            if spelled is not None and spelled in SPELLED:
                yield line, f"a name of function, frame or runner internals as a string ({spelled})"
        if isinstance(node, ast.Attribute):
            if node.attr in FRAME_ATTRS:
                yield line, f"frame access ({node.attr})"
            elif node.attr in CODE_ATTRS:
                yield line, f"function or class internals ({node.attr})"
            base = node.value
            module = _dotted(base, aliases)
            if module == "sys" and node.attr in SYS_NAMES:
                yield line, f"{SYS_NAMES[node.attr]} (sys.{node.attr})"
            if module in OS_MODULES and node.attr in OS_NAMES:
                yield line, f"{OS_NAMES[node.attr]} (os.{node.attr})"
            if node.attr in FRAME_NAMES:
                yield line, f"frames or closures ({node.attr})"
            if node.attr in LOADERS:
                yield line, f"{LOADERS[node.attr]} ({node.attr})"
            if module in LOADER_MODULES or (module or "").rpartition(".")[0] in LOADER_MODULES:
                yield line, f"loading code from a file ({module})"
            if isinstance(base, ast.Name) and base.id == "object" and node.attr in ("__setattr__", "__delattr__"):
                yield line, "object.__setattr__"
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for name in names:
                top = name.split(".")[0]
                kind = MODULES.get(top)
                if kind:
                    yield line, f"{kind} (import {name})"
                if name in LOADER_MODULES:
                    yield line, f"{LOADER_MODULES[name]} (import {name})"
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name in LOADERS or alias.name in FRAME_NAMES:
                        yield line, f"{LOADERS.get(alias.name, 'frames or closures')} ({alias.name})"
                    if f"{node.module}.{alias.name}" in LOADER_MODULES:
                        yield line, f"loading code from a file (import {node.module}.{alias.name})"
                    if (node.module or "").split(".")[0] == "sys" and alias.name in SYS_NAMES:
                        yield line, f"{SYS_NAMES[alias.name]} (sys.{alias.name})"
                    if (node.module or "").split(".")[0] in OS_MODULES and alias.name in OS_NAMES:
                        yield line, f"{OS_NAMES[alias.name]} (os.{alias.name})"
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                if func.id in BUILTIN_CALLS:
                    yield line, f"{BUILTIN_CALLS[func.id]} ({func.id})"
                if func.id in ("getattr", "setattr", "delattr", "hasattr") and len(node.args) > 1 \
                        and not _constant(node.args[1]):
                    if _module_like(node.args[0], modules):
                        yield line, f"computed attribute name on a module ({func.id})"
                    elif _built(node.args[1]):  # a name spelled at run time ("plugin" + "manager")
                        yield line, f"computed attribute name on an object ({func.id})"
            for keyword in node.keywords:
                if keyword.arg in FRAME_NAMES:
                    yield line, f"frames or closures ({keyword.arg})"
            if isinstance(func, ast.Attribute) and func.attr in ("import_module", "attrgetter", "methodcaller") and \
                    node.args and not _constant(node.args[0]):
                yield line, f"computed name ({func.attr})"
        elif isinstance(node, ast.Name):
            if node.id in NAMED:
                yield line, f"{NAMED[node.id]} ({node.id})"
            if node.id == "__builtins__":
                yield line, "builtins (__builtins__)"
        elif isinstance(node, ast.Subscript):
            value = node.value
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in ("vars", "globals"):
                if not _constant(node.slice):
                    yield line, "computed attribute name (namespace subscript)"
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name in ("__eq__", "__ne__") and _ignores_other(item):
                    yield line, f"a class whose {item.name} ignores what it is compared with"


_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def _source(text: str | bytes) -> bytes:
    """The file's bytes: Python reads a source file as bytes, honouring its coding declaration (a
    str is the file decoded with surrogateescape, or as UTF-8, which gives the same bytes back)."""
    return text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")


def encoding_of(data: str | bytes) -> str | None:
    """The encoding a coding declaration names (PEP 263: one of the first two lines), or None."""
    for line in _source(data).splitlines()[:2]:
        found = _COOKIE.match(line)
        if found:
            return found.group(1).decode("ascii", "replace")
        if line.strip() and not line.lstrip().startswith(b"#"):
            break
    return None


def _parse(data: str | bytes) -> ast.AST:
    return parse_python(_source(data))  # bytes: the declared encoding is honoured, as the import system does


def _odd_encoding(data: str | bytes) -> str | None:
    declared = encoding_of(data)
    if declared is None:
        return None
    try:
        name = codecs.lookup(declared).name
    except LookupError:
        return declared
    return None if name in ("utf-8", "ascii") else declared


def is_python(data: str | bytes) -> bool:
    """Whether a file of any name is Python source that does something (parses, and holds more than
    one bare expression or constant: a JSON or prose file is not)."""
    try:
        tree = _parse(data)
    except (SyntaxError, ValueError, LookupError, UnicodeDecodeError):
        return False
    body = getattr(tree, "body", [])
    return bool(body) and not (len(body) == 1 and isinstance(body[0], ast.Expr))


def scan_python(before: str | bytes | None, after: str | bytes) -> list[tuple[int, str]]:
    """The constructs `after` adds over `before` (None: a new file): (line in `after`, construct),
    one line per construct whose count grew. The file is read as Python reads it (as bytes, with its
    declared encoding); a declared encoding other than UTF-8 is itself a construct (`# coding:
    utf-7` makes `+AAo-` a newline, hiding code in what a UTF-8 reader sees as a comment)."""
    odd = _odd_encoding(after)
    if odd is not None and (before is None or _odd_encoding(before) != odd):
        return [(1, f"a source encoding other than UTF-8 ({odd})")]
    try:
        new = list(constructs(_parse(after)))
    except (SyntaxError, ValueError, LookupError, UnicodeDecodeError):
        return [(0, "a file that does not parse")]
    try:
        old = Counter(c for _, c in constructs(_parse(before))) if before is not None else Counter()
    except (SyntaxError, ValueError, LookupError, UnicodeDecodeError):
        old = Counter()
    counts = Counter(c for _, c in new)
    grown = {c for c, n in counts.items() if n > old.get(c, 0)}
    found, seen = [], set()
    for line, construct in new:
        if construct in grown and construct not in seen:
            seen.add(construct)
            found.append((line, construct))
    return sorted(found)
