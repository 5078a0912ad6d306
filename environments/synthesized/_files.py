"""The files of a synthesized environment, and the tools synth reads out of tools.py without running it.

Sits at the bottom of the synthesized family: the agent writes these files, the gate checks them,
the tuple stores them (`files` asset, {name: text}). Guarantees: `problems()` finds what can be
found without executing anything (missing or unknown files, sizes, Python syntax, tool
signatures, rules.json against task.md, and the static refusals of `_static.py`: forbidden code,
the real clock and entropy, SQL text built at run time in tools.py or verify.py, where a model's
arguments or answer could be injected into it); tool specs come from tools.py's source through `ast` (never by importing generated
code in synth's process), and argument types are mapped from a fixed set (str, int, float, bool,
None, Any, list[...], dict[str, ...], Optional/Union/`|`, Literal[...]), so a call is validated by
synth's own tool path before it reaches the sandbox, exactly as the gate validated it.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field

from synth import Tool, tool_from_function
from synth._syntax import parse as parse_python

from ._proof import read_rules, rule_failures
from ._static import static_problems

FILES: dict[str, str] = {
    "schema.sql": "CREATE TABLE statements of the SQLite database",
    "data.sql": "optional: INSERT statements that fill it",
    "data.py": "optional: def fill(db): fills it with Python (deterministic: seeded randomness only)",
    "tools.py": "the tools: top-level functions def name(db, arg: type, ...) with a docstring; db is read-only",
    "task.md": "the task as the solver reads it: every requirement and the exact JSON answer format",
    "solution.py": "def solve(tools): the reference solution; calls tools.NAME(arg=value) only and returns the answer",
    "verify.py": "def verify(db, answer) -> dict[str, bool]: one named check per requirement of task.md",
    "perturb.py": "def perturb(db, answer) -> list of {'name', 'breaks', 'answer'}: wrong answers, each failing the check it names",
    "rules.json": "{rule text, word for word from task.md: name of the verify.py check that holds it}, one entry per rule; "
                  "every sentence of task.md but the answer format is a requirement: map each of its rules, or map a "
                  "sentence that states none to \"context\"",
}
REQUIRED = ("schema.sql", "tools.py", "task.md", "solution.py", "verify.py", "perturb.py", "rules.json")
MAX_FILE = 512 * 1024
"""Largest file, in bytes."""
MAX_TOTAL = 2 * 1024 * 1024
"""Largest environment, all files together, in bytes."""
MAX_TOOLS = 40
RESERVED = ("submit_result",)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


class Param(BaseModel):
    """One argument of a tool, as tools.py's source states it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """Argument name."""
    annotation: str
    """The type hint's source text, e.g. list[str]."""
    default: Any = None
    """Default value (JSON), when `optional`."""
    optional: bool = False
    """The argument has a default."""


class Signature(BaseModel):
    """One tool of tools.py: what synth needs to describe and validate its calls."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """Function name (the tool's name)."""
    doc: str
    """Docstring: its first paragraph is the description, its Args: section the argument help."""
    params: list[Param] = Field(default_factory=list)
    """Arguments after the database."""


class FileProblem(ValueError):
    """A file that cannot be used as written; the message is one line for the agent."""


# -- types ----------------------------------------------------------------------------------------
_SIMPLE: dict[str, Any] = {"str": str, "int": int, "float": float, "bool": bool, "None": type(None), "Any": Any,
                           "list": list, "dict": dict, "List": list, "Dict": dict}
ALLOWED = "str, int, float, bool, None, Any, list[...], dict[str, ...], Optional[...], X | Y, Literal[...]"


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "typing":
        return node.attr
    return None


def _type(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant) and node.value is None:
        return type(None)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):  # a quoted hint
        return _type(parse_python(node.value, mode="eval").body)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return Union[_type(node.left), _type(node.right)]
    name = _name(node)
    if name in _SIMPLE:
        return _SIMPLE[name]
    if isinstance(node, ast.Subscript):
        base = _name(node.value)
        items = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base in ("list", "List") and len(items) == 1:
            return list[_type(items[0])]  # type: ignore[misc]
        if base in ("dict", "Dict") and len(items) == 2 and _type(items[0]) is str:
            return dict[str, _type(items[1])]  # type: ignore[misc,valid-type]
        if base == "Optional" and len(items) == 1:
            return Optional[_type(items[0])]
        if base == "Union":
            return Union[tuple(_type(i) for i in items)]
        if base == "Literal" and all(isinstance(i, ast.Constant) and isinstance(i.value, (str, int, bool)) for i in items):
            return Literal[tuple(i.value for i in items)]  # type: ignore[index]
    raise FileProblem(f"unsupported type {ast.unparse(node)!r} (use {ALLOWED})")


def annotation_type(text: str) -> Any:
    """The Python type of a tool argument's hint text, from the allowed set only (no evaluation)."""
    try:
        return _type(parse_python(text, mode="eval").body)
    except SyntaxError:
        raise FileProblem(f"unreadable type {text!r}") from None


# -- reading tools.py -----------------------------------------------------------------------------
def signatures(source: str) -> list[Signature]:
    """The tools of tools.py: every top-level `def` whose name does not start with `_`."""
    try:
        tree = parse_python(source)
    except SyntaxError as exc:
        raise FileProblem(f"tools.py line {exc.lineno}: {exc.msg}") from None
    found = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef) or node.name.startswith("_"):
            if isinstance(node, ast.AsyncFunctionDef) and not node.name.startswith("_"):
                raise FileProblem(f"tools.py: {node.name} is async; tools are plain functions")
            continue
        found.append(_signature(node))
    if not found:
        raise FileProblem("tools.py defines no tool (a top-level def whose name does not start with _)")
    if len(found) > MAX_TOOLS:
        raise FileProblem(f"tools.py defines {len(found)} tools (at most {MAX_TOOLS})")
    return found


def _signature(node: ast.FunctionDef) -> Signature:
    where = f"tools.py: {node.name}"
    if not _NAME.fullmatch(node.name) or node.name in RESERVED:
        raise FileProblem(f"{where}: not a usable tool name" + (" (synth adds submit_result itself)" if node.name in RESERVED else ""))
    if node.decorator_list:
        raise FileProblem(f"{where}: tools take no decorators")
    args = node.args
    if args.vararg or args.kwarg or args.posonlyargs:
        raise FileProblem(f"{where}: *args, **kwargs and positional-only arguments cannot be described to a model")
    positional = list(args.args)
    if not positional:
        raise FileProblem(f"{where}: the first argument must be the database (def {node.name}(db, ...))")
    doc = ast.get_docstring(node)
    if not doc or not doc.strip():
        raise FileProblem(f"{where}: a docstring is required (it is the model's description of the tool)")
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    pairs = list(zip(positional, defaults))[1:] + list(zip(args.kwonlyargs, args.kw_defaults))
    if positional and defaults[0] is not None:
        raise FileProblem(f"{where}: the database argument takes no default")
    params = []
    for arg, default in pairs:
        if arg.annotation is None:
            raise FileProblem(f"{where}: argument {arg.arg} has no type hint")
        if arg.arg.startswith("_") or hasattr(BaseModel, arg.arg):
            raise FileProblem(f"{where}: argument name {arg.arg} is reserved; choose another")
        text = ast.unparse(arg.annotation)
        try:
            annotation_type(text)
        except FileProblem as exc:
            raise FileProblem(f"{where}: argument {arg.arg}: {exc}") from None
        value = None
        if default is not None:
            try:
                value = ast.literal_eval(default)
                json.dumps(value, allow_nan=False)
            except (ValueError, TypeError, SyntaxError):
                raise FileProblem(f"{where}: argument {arg.arg}: the default must be a JSON literal") from None
        params.append(Param(name=arg.arg, annotation=text, default=value, optional=default is not None))
    return Signature(name=node.name, doc=inspect.cleandoc(doc), params=params)


def remote_tool(signature: Signature) -> Tool:
    """A `Tool` whose spec comes from `signature` and whose function sends the validated call on:
    its context is any object with `call(name, arguments) -> value` (the sandboxed tool box)."""

    def call(context: Any, **arguments: Any) -> Any:
        return context.call(signature.name, arguments)

    params = [inspect.Parameter("db", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for p in signature.params:
        kind = annotation_type(p.annotation)
        params.append(inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, annotation=kind,
                                        default=p.default if p.optional else inspect.Parameter.empty))
    call.__name__ = call.__qualname__ = signature.name
    call.__doc__ = signature.doc
    call.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    call.__annotations__ = {p.name: p.annotation for p in params[1:]}
    try:
        return tool_from_function(call)
    except Exception as exc:  # e.g. an argument name pydantic reserves
        raise FileProblem(f"tools.py: {signature.name}: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}") from None


# -- the whole set --------------------------------------------------------------------------------
def problems(files: dict[str, str]) -> list[str]:
    """Everything wrong with the files that can be seen without running them (one line each)."""
    found = [f"{name} is missing ({FILES[name]})" for name in REQUIRED if not files.get(name, "").strip()]
    found += [f"{name} is not a file of the environment (files: {', '.join(FILES)})" for name in files if name not in FILES]
    sizes = {name: len(text.encode()) for name, text in files.items()}
    found += [f"{name} is {size} bytes (at most {MAX_FILE})" for name, size in sizes.items() if size > MAX_FILE]
    if sum(sizes.values()) > MAX_TOTAL:
        found.append(f"the files hold {sum(sizes.values())} bytes together (at most {MAX_TOTAL})")
    for name in ("data.py", "solution.py", "verify.py", "perturb.py", "tools.py"):
        if files.get(name):
            try:
                parse_python(files[name])
            except SyntaxError as exc:
                if name != "tools.py":  # signatures() says it for tools.py
                    found.append(f"{name} line {exc.lineno}: {exc.msg}")
                continue
            found += static_problems(name, files[name], sql=name in ("tools.py", "verify.py"))
    if files.get("tools.py", "").strip():
        try:
            for signature in signatures(files["tools.py"]):
                remote_tool(signature)
        except FileProblem as exc:
            found.append(str(exc))
    if files.get("rules.json", "").strip() and files.get("task.md", "").strip():
        rules, problem = read_rules(files["rules.json"])
        found += [f"[unchecked rule] {problem}"] if problem else rule_failures(files["task.md"], rules)
    return found


def tools_of(files: dict[str, str]) -> list[Signature]:
    """The signatures of tools.py (FileProblem when they cannot be read)."""
    return signatures(files["tools.py"])


def json_schema_of(value: Any) -> dict[str, Any]:
    """A JSON Schema of the shape of an answer (types and keys; never its values)."""
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if value is None:
        return {"type": "null"}
    if isinstance(value, list):
        return {"type": "array", "items": json_schema_of(value[0])} if value else {"type": "array"}
    if isinstance(value, dict):
        return {"type": "object", "properties": {k: json_schema_of(v) for k, v in value.items()}, "required": list(value)}
    raise TypeError(f"not a JSON value: {type(value).__name__}")


__all__ = ["FILES", "MAX_FILE", "MAX_TOTAL", "REQUIRED", "FileProblem", "Param", "Signature", "annotation_type",
           "json_schema_of", "problems", "remote_tool", "signatures", "tools_of"]
