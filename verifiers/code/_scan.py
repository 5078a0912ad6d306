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
from collections import Counter
from typing import Iterator

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
BUILTIN_CALLS = {"compile": "compile/exec/eval", "exec": "compile/exec/eval", "eval": "compile/exec/eval",
                 "__import__": "import machinery", "globals": "namespaces", "vars": "namespaces",
                 "breakpoint": "tracing"}
NAMED = {"_ShouldStop": "test framework exceptions", "SkipTest": "test framework exceptions",
         "KeyboardInterrupt": "control-flow exceptions", "SystemExit": "control-flow exceptions",
         "GeneratorExit": "control-flow exceptions", "BaseException": "control-flow exceptions"}


def _constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant)


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
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute):
            if node.attr in FRAME_ATTRS:
                yield line, f"frame access ({node.attr})"
            elif node.attr in CODE_ATTRS:
                yield line, f"function or class internals ({node.attr})"
            base = node.value
            if isinstance(base, ast.Name) and base.id == "sys" and node.attr in SYS_NAMES:
                yield line, f"{SYS_NAMES[node.attr]} (sys.{node.attr})"
            if isinstance(base, ast.Name) and base.id == "os" and node.attr in OS_NAMES:
                yield line, f"{OS_NAMES[node.attr]} (os.{node.attr})"
            if node.attr in ("currentframe", "stack", "trace", "getouterframes", "walk_stack") and \
                    isinstance(base, ast.Name) and base.id in ("inspect", "traceback", "logging"):
                yield line, f"frames ({base.id}.{node.attr})"
            if isinstance(base, ast.Name) and base.id == "object" and node.attr in ("__setattr__", "__delattr__"):
                yield line, "object.__setattr__"
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for name in names:
                top = name.split(".")[0]
                kind = MODULES.get(top)
                if kind:
                    yield line, f"{kind} (import {name})"
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if (node.module or "").split(".")[0] == "sys" and alias.name in SYS_NAMES:
                        yield line, f"{SYS_NAMES[alias.name]} (sys.{alias.name})"
                    if (node.module or "").split(".")[0] == "os" and alias.name in OS_NAMES:
                        yield line, f"{OS_NAMES[alias.name]} (os.{alias.name})"
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                if func.id in BUILTIN_CALLS:
                    yield line, f"{BUILTIN_CALLS[func.id]} ({func.id})"
                if func.id in ("getattr", "setattr", "delattr", "hasattr") and len(node.args) > 1 \
                        and not _constant(node.args[1]) and _module_like(node.args[0], modules):
                    yield line, f"computed attribute name on a module ({func.id})"
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


def scan_python(before: str | None, after: str) -> list[tuple[int, str]]:
    """The constructs `after` adds over `before` (None: a new file): (line in `after`, construct),
    one line per construct whose count grew."""
    try:
        new = list(constructs(ast.parse(after)))
    except (SyntaxError, ValueError):
        return [(0, "a file that does not parse")]
    try:
        old = Counter(c for _, c in constructs(ast.parse(before))) if before is not None else Counter()
    except (SyntaxError, ValueError):
        old = Counter()
    counts = Counter(c for _, c in new)
    grown = {c for c, n in counts.items() if n > old.get(c, 0)}
    found, seen = [], set()
    for line, construct in new:
        if construct in grown and construct not in seen:
            seen.add(construct)
            found.append((line, construct))
    return sorted(found)
