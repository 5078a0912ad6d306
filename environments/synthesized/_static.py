"""Static refusals of generated Python: what the gate rejects by reading the source, before any run.

Sits under `_files.problems()` (the gate's first stage). Guarantees, each one line naming its flaw
class in brackets:

- [forbidden code]: `eval`, `exec`, `compile`, `__import__`, `breakpoint`, `globals`, `locals`,
  `vars`; `getattr`/`setattr`/`delattr`/`hasattr` with a name that is not a plain string literal
  (or is a dunder); dunder attributes but `__name__`, `__doc__`, `__init__`; imports of
  `__main__`, of the environment's own files, of native code and process modules (`ctypes`,
  `_posixsubprocess`, `_posixshmem`, `gc`, `posix`, `subprocess`, `importlib`, `inspect`,
  `builtins`, ...); `sys.modules`, `sys._getframe` and the interpreter's hooks; sqlite3's
  guards (`set_authorizer`, `set_trace_callback`, `setlimit`, load_extension, deserialize); imports
  outside `ALLOWED_MODULES`; `operator.attrgetter`/`methodcaller`/`itemgetter` aliased or with a
  computed name, or naming a dunder, guard or clock; any string constant naming a dunder or a
  guard (reflection by name). [sandbox violation] for the database's guards named that way.
- [clock or entropy]: the real clock (`time.time`, `datetime...now/today/utcnow`, ...) and
  entropy (`os.urandom`, `secrets`, `uuid`, `SystemRandom`, `random.seed()` without a seed).
- [sql injection] (tools.py and verify.py): SQL text that is not a string literal. Names are
  resolved per scope: a name passed to `execute` must be a module constant bound exactly once
  (never rebound or shadowed anywhere); `execute` may only be called, never aliased or fetched by
  `getattr`; the SQL may not come as a keyword, `*args` or a method on a string.

The harness enforces the same at run time (audit hook, fixed clock, SQL trace): these refusals
give the author a line number before anything runs.
"""

from __future__ import annotations

import ast

from synth._syntax import parse as parse_python

FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "breakpoint", "globals", "locals", "vars", "input",
                   "memoryview", "open_code"}
NAMED_ACCESS = {"getattr", "setattr", "delattr", "hasattr"}
ALLOWED_DUNDERS = {"__name__", "__doc__", "__init__"}
FORBIDDEN_MODULES = {"__main__", "ctypes", "_ctypes", "cffi", "_posixsubprocess", "_posixshmem", "gc", "posix", "nt",
                     "subprocess", "multiprocessing", "_multiprocessing", "importlib", "inspect", "builtins", "pty",
                     "mmap", "faulthandler", "tracemalloc", "resource", "fcntl", "signal", "_signal", "threading",
                     "_thread", "code", "codeop", "marshal", "pickle", "shelve", "runpy", "pkgutil", "zipimport",
                     "socket", "ssl", "urllib", "http", "ftplib", "smtplib", "asyncio", "concurrent", "sys", "_testcapi",
                     "_xxsubinterpreters", "types", "dis", "traceback", "pdb", "shutil", "tempfile", "io", "_io",
                     "secrets", "uuid", "site", "sysconfig", "_sqlite3"}
GENERATED = {"tools", "solution", "verify", "perturb", "data", "harness"}
CLOCK_ATTRIBUTES = {"now", "today", "utcnow", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
                    "process_time", "process_time_ns", "thread_time", "localtime", "gmtime", "ctime", "asctime",
                    "urandom", "getrandom", "SystemRandom", "getrandbits_os", "clock_gettime", "clock_gettime_ns"}
GUARDS = {"set_authorizer", "set_trace_callback", "set_progress_handler", "setlimit", "enable_load_extension",
          "load_extension", "deserialize", "modules", "_getframe", "settrace", "setprofile", "addaudithook",
          "_current_frames", "f_back", "f_globals", "f_locals", "tb_frame", "gi_frame", "cr_frame", "f_builtins",
          "fork", "forkpty", "system", "popen", "execv", "execve", "spawnv", "posix_spawn", "kill", "dup2"}
"""Attributes generated code may not touch (the harness's guards, frames, processes)."""
SQL_CALLS = {"execute", "executemany", "executescript"}
GUARD_NAMES = GUARDS - {"modules", "system", "kill", "fork", "popen"}
"""Guards no plain data string names: a string constant equal to one of these is refused anywhere."""
SQLITE_GUARDS = {"set_authorizer", "set_trace_callback", "set_progress_handler", "setlimit", "enable_load_extension",
                 "load_extension", "deserialize"}
GETTERS = {"attrgetter", "methodcaller", "itemgetter"}
"""operator's reflection helpers: their names must be string literals naming no dunder, guard or clock."""
ALLOWED_MODULES = {"json", "math", "re", "itertools", "functools", "collections", "datetime", "time", "random", "statistics",
                   "string", "decimal", "fractions", "heapq", "bisect", "operator", "typing", "dataclasses", "enum",
                   "sqlite3", "os", "calendar", "textwrap", "unicodedata", "difflib", "hashlib", "copy", "numbers",
                   "__future__", "abc", "contextlib", "zoneinfo", "csv", "base64", "binascii", "struct", "array",
                   "pprint", "locale", "ipaddress", "zlib", "posixpath", "os.path", "collections.abc", "cmath"}
"""The modules generated code may import (an allowlist: the standard library's pure, process-free modules)."""


def _module_constants(tree: ast.Module) -> set[str]:
    """Names bound once, at module level, to a string literal, and never bound again anywhere."""
    bound: dict[str, int] = {}
    literal: set[str] = set()
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
            targets = [node.target]
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
        elif isinstance(node, ast.NamedExpr):
            targets = [node.target]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if a is not None:
                    bound[a.arg] = bound.get(a.arg, 0) + 1
            if not isinstance(node, ast.Lambda):
                bound[node.name] = bound.get(node.name, 0) + 1
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                name = (alias.asname or alias.name).split(".")[0]
                bound[name] = bound.get(name, 0) + 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                bound[name] = bound.get(name, 0) + 2
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound[node.name] = bound.get(node.name, 0) + 1
        for target in targets:
            for leaf in ast.walk(target):
                if isinstance(leaf, ast.Name):
                    bound[leaf.id] = bound.get(leaf.id, 0) + 1
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and _literal(node.value, set()):
            literal.add(node.targets[0].id)
    return {name for name in literal if bound.get(name) == 1}


def _literal(node: ast.expr, constants: set[str]) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literal(node.left, constants) and _literal(node.right, constants)
    return isinstance(node, ast.Name) and node.id in constants


def _dotted(node: ast.expr) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def static_problems(name: str, source: str, *, sql: bool) -> list[str]:
    """Every refusal of one generated file (see the module docstring); [] for a file that parses not."""
    try:
        tree = parse_python(source)
    except SyntaxError:
        return []
    found: list[str] = []

    def say(node: ast.AST, flaw: str, what: str) -> None:
        found.append(f"[{flaw}] {name} line {getattr(node, 'lineno', 0)}: {what}")

    constants = _module_constants(tree)
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for module in modules:
                top = module.split(".")[0]
                if node.__class__ is ast.ImportFrom and node.level:
                    say(node, "forbidden code", "relative imports of the environment's files are not allowed")
                elif top in FORBIDDEN_MODULES or top in GENERATED or module not in ALLOWED_MODULES and top not in ALLOWED_MODULES:
                    flaw = "clock or entropy" if top in ("secrets", "uuid") else "forbidden code"
                    say(node, flaw, f"import of {module} is not allowed in generated code (allowed: the standard library's "
                                    "data modules, e.g. json, math, re, itertools, collections, datetime)")
            if isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name in CLOCK_ATTRIBUTES or (node.module in ("time",) and alias.name == "time"):
                        say(node, "clock or entropy", f"{node.module}.{alias.name}: generated code sees no real clock and no entropy")
                    elif alias.name in GETTERS and alias.asname and alias.asname != alias.name:
                        say(node, "forbidden code", f"{node.module}.{alias.name} may not be renamed")
                    elif alias.name in GUARDS or (alias.name.startswith("__") and alias.name not in ALLOWED_DUNDERS):
                        say(node, "forbidden code", f"{node.module}.{alias.name} is not allowed in generated code")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and _reflective(node.value):
            say(node, "sandbox violation" if node.value in SQLITE_GUARDS else "forbidden code",
                f"the string {node.value[:40]!r} names an interpreter internal or a guard "
                "(reflection by name is not allowed in generated code)")
        elif isinstance(node, ast.Call) and (node.func.attr if isinstance(node.func, ast.Attribute) else
                                             getattr(node.func, "id", None)) in GETTERS:
            what = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
            named = node.args[:1] if what == "methodcaller" else node.args
            names = [a.value for a in named if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if what != "itemgetter" and (len(names) != len(named) or not names or node.keywords and what == "attrgetter"
                                         or any(isinstance(a, ast.Starred) for a in node.args)):
                say(node, "forbidden code", f"{what}() with a computed name is not allowed in generated code")
            elif what == "methodcaller" and names[:1] and names[0] in SQL_CALLS and sql:
                say(node, "sql injection",
                    f"{names[0]} called through methodcaller(): call db.{names[0]}(\"literal SQL\", params)")
            elif what != "itemgetter":
                parts = [p for n in (names if what == "attrgetter" else names[:1]) for p in n.split(".")]
                for part in parts:
                    if part in SQLITE_GUARDS:
                        say(node, "sandbox violation", f"{what}({part!r}) would remove a guard of the sandbox's database")
                    elif part.startswith("__") or part in GUARDS:
                        say(node, "forbidden code", f"{what}({part!r}) is not allowed in generated code")
                    elif part in CLOCK_ATTRIBUTES:
                        say(node, "clock or entropy", f"{what}({part!r}): no real clock and no entropy")
                    elif part in SQL_CALLS and sql:
                        say(node, "sql injection", f"{part} fetched with {what}(): call db.{part}(\"literal SQL\", params)")
        elif isinstance(node, (ast.Name, ast.Attribute)) and (node.id if isinstance(node, ast.Name) else node.attr) in GETTERS \
                and id(node) not in called:
            say(node, "forbidden code", f"{_dotted(node)} may only be called, with string literals (never aliased)")
        elif isinstance(node, ast.Name):
            if node.id in FORBIDDEN_CALLS or node.id in ("__builtins__", "__loader__", "__spec__"):
                say(node, "forbidden code", f"{node.id} is not allowed in generated code")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in NAMED_ACCESS:
            attr = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(attr, ast.Constant) and isinstance(attr.value, str)):
                say(node, "forbidden code", f"{node.func.id}() with a computed attribute name is not allowed")
            elif attr.value.startswith("__") or attr.value in GUARDS:
                say(node, "forbidden code", f"{node.func.id}(..., {attr.value!r}) is not allowed")
            elif attr.value in SQL_CALLS and sql:
                say(node, "sql injection", f"{attr.value} fetched with {node.func.id}(): call db.{attr.value}(\"literal SQL\", params)")
            elif attr.value in CLOCK_ATTRIBUTES:
                say(node, "clock or entropy", f"{node.func.id}(..., {attr.value!r}): no real clock and no entropy")
        elif isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if node.attr.startswith("__") and node.attr.endswith("__") and node.attr not in ALLOWED_DUNDERS:
                say(node, "forbidden code", f"the attribute {node.attr} is not allowed in generated code")
            elif node.attr in CLOCK_ATTRIBUTES or dotted in ("time.time",) or (
                    dotted in ("random.seed",) and id(node) in called and _no_args(tree, node)):
                say(node, "clock or entropy", f"{dotted or node.attr}: generated code sees no real clock and no entropy")
            elif node.attr in GUARDS:
                say(node, "forbidden code", f"{dotted or node.attr} is not allowed in generated code")
            elif node.attr in SQL_CALLS and sql and id(node) not in called:
                say(node, "sql injection", f"{dotted} is used without being called (an alias of execute hides its SQL)")
    if sql:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
                first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "sql"), None)
                starred = any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords)
                if first is None or starred or isinstance(first, ast.Starred) or not _literal(first, constants):
                    say(node, "sql injection", f"the SQL of {node.func.attr}() is built at run time (or bound to a name "
                                               "that changes); write it as a string literal and pass values as ? parameters")
    order = ("[sql injection]", "[clock or entropy]", "[sandbox violation]")  # the most specific class first
    return sorted(dict.fromkeys(found), key=lambda line: next((i for i, c in enumerate(order) if line.startswith(c)), len(order)))


def _reflective(text: str) -> bool:
    """A string that names a dunder (other than the allowed ones) or a guard: only reflection uses it."""
    return any((part.startswith("__") and part.endswith("__") and len(part) > 4 and part not in ALLOWED_DUNDERS)
               or part in GUARD_NAMES for part in text.split("."))


def _no_args(tree: ast.Module, attribute: ast.Attribute) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.func is attribute:
            return not node.args and not node.keywords
    return False


__all__ = ["static_problems"]
