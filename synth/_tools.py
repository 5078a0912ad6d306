"""Tools as functions: specs generated from type hints and docstrings, and the one call path.

Sits under every agent: a gold solution, a model rollout and `synth verify` all reach an
environment through `ToolRuntime.call`, which takes the raw name and argument text a model wrote
and always returns a `ToolResult`. Guarantees:

- A bad call (non-JSON, unknown tool, wrong type, missing or unknown argument, a tool that raises)
  becomes a structured error result, never an exception.
- Argument text is read by the core's strict JSON reader within limits (`MAX_ARGUMENT_CHARS`
  characters, `MAX_NESTING` levels of lists and objects, `MAX_INT_DIGITS` digits a number, no NaN
  or Infinity, no key twice in one object); a call over a limit is a structured error, so no input
  a model writes can raise out of the runtime (RecursionError, the 4,300-digit int limit) or
  reach a tool ambiguous.
- Error messages are capped at `MAX_MESSAGE_CHARS` characters: a huge argument is never echoed
  whole. Text UTF-8 cannot encode (lone surrogates, raw or escaped) is replaced by U+FFFD in
  arguments, results and submissions, so whatever a call takes or returns can be journaled.
- An exception inside a tool is the model's to see (`tool_failure`) only while the environment is
  healthy: when the runtime's `probe` fails afterwards (a closed database, a dead container), the
  call raises `EnvironmentFault` and the episode ends as an infrastructure failure, unless the
  probe says the model's own calls broke it (`BrokenByModel`, raised by a tool or by the probe),
  which ends the episode `sandbox_broken_by_model`, graded fail.

Gold solutions get a `ToolClient`, which holds nothing but the call path: tool results reach it as
JSON text decoded afresh, never as live objects of the environment.
"""

from __future__ import annotations

import inspect
import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError, create_model
from pydantic.fields import FieldInfo

from ._errors import BrokenByModel, EnvironmentFault, SubmissionError, ToolError
from ._records import ToolSpec, clip, encodable
from ._strict import JsonLimits, strict_loads

_ARG_LINE = re.compile(r"^\s*(\w+)\s*(?:\([^)]*\))?\s*:\s*(.+)$")

MAX_ARGUMENT_CHARS = 256 * 1024
"""Longest argument text read; a longer call is refused unparsed."""
MAX_NESTING = 32
"""Deepest nesting of lists and objects in arguments."""
MAX_INT_DIGITS = 100
"""Most digits of one integer in arguments (Python refuses over 4,300 with a ValueError)."""
MAX_MESSAGE_CHARS = 500
"""Longest error message a call returns."""


def _parse_docstring(doc: str) -> tuple[str, dict[str, str]]:
    """Summary and per-argument descriptions of a Google-style docstring."""
    lines = inspect.cleandoc(doc or "").splitlines()
    summary: list[str] = []
    args: dict[str, str] = {}
    section = "summary"
    current = None
    for line in lines:
        stripped = line.strip()
        if stripped in ("Args:", "Arguments:", "Parameters:"):
            section = "args"
            continue
        if stripped in ("Returns:", "Raises:", "Example:", "Examples:"):
            section = "other"
            continue
        if section == "summary":
            summary.append(stripped)
        elif section == "args":
            match = _ARG_LINE.match(line)
            if match and line.startswith((" ", "\t")) and not line.startswith(("        ", "\t\t")):
                current = match.group(1)
                args[current] = match.group(2).strip()
            elif current and stripped:
                args[current] += " " + stripped
    return " ".join(s for s in summary if s).strip(), args


@dataclass(frozen=True)
class Tool:
    """A Python function exposed as a tool. The function's first parameter receives the
    environment context (e.g. a database) and is not part of the schema."""

    fn: Callable[..., Any]
    spec: ToolSpec
    args_model: type[BaseModel]
    submit: bool = False
    """Calling this tool submits an answer and ends the episode."""


def tool_from_function(fn: Callable[..., Any], *, name: str | None = None, submit: bool = False) -> Tool:
    """Build a `Tool` whose `ToolSpec` comes from `fn`'s type hints and docstring."""
    signature = inspect.signature(fn)
    hints = get_type_hints(fn)
    summary, arg_docs = _parse_docstring(fn.__doc__ or "")
    params = list(signature.parameters.values())[1:]
    fields: dict[str, Any] = {}
    for param in params:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"tool {fn.__name__}: *args/**kwargs cannot be described to a model")
        annotation = hints.get(param.name)
        if annotation is None:
            raise TypeError(f"tool {fn.__name__}: parameter {param.name} has no type hint")
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (annotation, FieldInfo(default=default, description=arg_docs.get(param.name)))
    tool_name = name or fn.__name__
    model = create_model(  # type: ignore[call-overload]
        f"{tool_name}_args", __config__=ConfigDict(extra="forbid"), **fields
    )
    schema = model.model_json_schema()
    schema.pop("title", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    schema.setdefault("properties", {})
    schema.setdefault("required", [])
    if not summary:
        raise TypeError(f"tool {tool_name}: a docstring is required (it is the model's description)")
    spec = ToolSpec(name=tool_name, description=summary, parameters=schema)
    return Tool(fn=fn, spec=spec, args_model=model, submit=submit)


@dataclass(frozen=True)
class ToolResult:
    """What a tool call gave: `content` is what the caller sees (JSON text)."""

    content: str
    error: bool = False
    error_kind: str | None = None
    submitted: bool = False
    submission: Any = None


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))


def _error(kind: str, message: str) -> ToolResult:
    body = {"error": {"type": kind, "message": encodable(clip(message, MAX_MESSAGE_CHARS))}}
    return ToolResult(content=_dump(body), error=True, error_kind=kind)


ARGUMENT_LIMITS = JsonLimits(chars=MAX_ARGUMENT_CHARS, digits=MAX_INT_DIGITS, depth=MAX_NESTING)
"""How argument text is read (`synth.strict_loads`, the one strict JSON reader)."""
_KINDS = {"format": "invalid_json", "format.size": "arguments_too_large"}
"""Error kind of each strict-JSON check a call can break (the rest: invalid_arguments)."""


_ESCAPED = re.compile(r"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})")


def replace_escaped_surrogates(text: str) -> str:
    """`text` (JSON text a model wrote) with every escaped lone surrogate ("\\ud800" not paired
    with the low half that must follow it, or a low half alone) written as "\\ufffd", so that
    whoever decodes the text later (an export, a trainer) gets only text UTF-8 can encode. Escaped
    backslashes are told apart; valid pairs (an emoji) are left as they are."""
    if "u" not in text or not _ESCAPED.search(text):
        return text
    escapes = []  # (start of the \\uXXXX, end, value)
    for match in _ESCAPED.finditer(text):
        if len(match.group(1)) % 2:  # an odd run of backslashes: the last one starts an escape
            escapes.append((match.end(1) - 1, match.end(), int(match.group(2), 16)))
    lone = []
    i = 0
    while i < len(escapes):
        start, end, value = escapes[i]
        following = escapes[i + 1] if i + 1 < len(escapes) else None
        if value < 0xDC00 and following is not None and following[0] == end and following[2] >= 0xDC00:
            i += 2  # a valid pair
            continue
        lone.append((start, end))
        i += 1
    if not lone:
        return text
    out, last = [], 0
    for start, end in lone:
        out.append(text[last:start])
        out.append("\\ufffd")
        last = end
    out.append(text[last:])
    return "".join(out)


def parse_arguments(text: str) -> Any:
    """The JSON value of a model's argument text, read within the runtime's limits; raises
    `ToolError` (its kind says which limit) for text over a limit, not JSON, with a key repeated in
    one object, or with a lone surrogate."""
    try:
        return strict_loads(text, ARGUMENT_LIMITS, what="argument text", replace_surrogates=True)
    except SubmissionError as exc:
        raise ToolError(str(exc), _KINDS.get(exc.check, "invalid_arguments")) from None


@dataclass
class ToolRuntime:
    """The environment's tools bound to its context; the one path every call takes. `probe`, when
    given, checks the context still works (it raises if not): it decides whether an exception in a
    tool is the model's to see or an infrastructure failure."""

    tools: dict[str, Tool]
    context: Any
    calls: int = 0
    errors: int = 0
    submission: Any = None
    submitted: bool = False
    probe: Callable[[], Any] | None = None
    _order: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, tools: list[Tool], context: Any, *, probe: Callable[[], Any] | None = None) -> "ToolRuntime":
        return cls(tools={t.spec.name: t for t in tools}, context=context, probe=probe, _order=[t.spec.name for t in tools])

    @property
    def specs(self) -> list[ToolSpec]:
        return [self.tools[name].spec for name in self._order]

    def call(self, name: str, arguments: str | dict[str, Any] | None) -> ToolResult:
        """Run one tool call as a model wrote it; every failure becomes an error result, except a
        broken environment, which raises `EnvironmentFault`."""
        self.calls += 1
        result = self._call(name, arguments)
        if result.error:
            self.errors += 1
        return result

    def _call(self, name: str, arguments: str | dict[str, Any] | None) -> ToolResult:
        tool = self.tools.get(name)
        if tool is None:
            known = ", ".join(self._order)
            return _error("unknown_tool", f"no tool named {clip(name, 100)!r}; available: {known}")
        if self.submitted:
            return _error("already_submitted", "an answer was already submitted; the episode is over")
        if arguments is None or arguments == "":
            raw: Any = {}
        elif isinstance(arguments, str):
            try:
                raw = parse_arguments(arguments)
            except ToolError as refused:
                return _error(refused.kind, str(refused))
        else:
            raw = encodable(arguments)
        if not isinstance(raw, dict):
            return _error("invalid_arguments", "arguments must be a JSON object")
        try:
            args = tool.args_model.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(clip(str(p), 60) for p in e['loc']) or '(arguments)'}: {e['msg']}" for e in exc.errors()[:5]
            )
            return _error("invalid_arguments", problems)
        try:
            value = tool.fn(self.context, **{k: getattr(args, k) for k in tool.args_model.model_fields})
        except ToolError as exc:
            return _error(exc.kind, str(exc))
        except (EnvironmentFault, BrokenByModel):
            raise
        except Exception as exc:  # a tool bug must not end the run; the caller sees a structured error
            self._check_health(name, exc)
            return _error("tool_failure", f"{type(exc).__name__}: {exc}")
        if tool.submit:
            self.submitted = True
            self.submission = encodable(value)
            return ToolResult(content=_dump({"status": "submitted"}), submitted=True, submission=self.submission)
        return ToolResult(content=encodable(_dump(value)))

    def _check_health(self, name: str, exc: Exception) -> None:
        """Raise EnvironmentFault when the context no longer works (the tool's exception was the
        environment's failure, not the model's)."""
        if self.probe is None:
            return
        try:
            self.probe()
        except BrokenByModel:
            raise
        except Exception as broken:
            raise EnvironmentFault(
                f"the environment failed during {name}: {type(exc).__name__}: {clip(str(exc), 200)}"
                f" (health check: {type(broken).__name__}: {clip(str(broken), 200)})"
            ) from exc


class ToolClient:
    """What a gold solution receives: only the call path, results as fresh JSON values.

    It holds a single callable taking (name, argument text) and returning result text; there is no
    attribute through which the environment's state can be reached.
    """

    __slots__ = ("_send", "specs")

    def __init__(self, send: Callable[[str, str], str], specs: list[ToolSpec]) -> None:
        object.__setattr__(self, "_send", send)
        object.__setattr__(self, "specs", tuple(specs))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("ToolClient is read-only")

    def call(self, tool_name: str, /, **arguments: Any) -> Any:
        """Call a tool; returns its decoded JSON result; raises ToolError on an error result."""
        text = self._send(tool_name, json.dumps(arguments, ensure_ascii=False))
        value = json.loads(text)
        if isinstance(value, dict) and set(value) == {"error"}:
            raise ToolError(value["error"]["message"], value["error"]["type"])
        return value

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda **arguments: self.call(name, **arguments)
