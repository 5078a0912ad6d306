"""What every general checker shares: the rule a prompt states and a check grades, strict reading
of the answer text, a JSON-Schema shape check, and the `check` constructor. Sits under the
per-category checkers; imports only the core."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from synth import Check, JsonLimits, SubmissionError, strict_loads

LIMITS = JsonLimits(chars=20_000, digits=15, depth=8)
"""What a general answer's JSON text may hold (stated in every prompt by `ANSWER_RULES`)."""


@dataclass(frozen=True)
class Rule:
    """One rule of a task: the sentence the prompt states and the check that grades it, from one
    place, so that every check is stated and every stated rule is checked."""

    check: str
    """Name of the check grading returns for this rule."""
    text: str
    """jinja2 template of the sentence the prompt states, rendered with the task params and
    `limits` (the answer's JSON limits)."""
    when: Callable[[dict[str, Any]], Any] | None = None
    """Stated, and checked, only for tasks whose params make this true (None: every task)."""

    def applies(self, params: dict[str, Any]) -> bool:
        return self.when is None or bool(self.when(params))


ANSWER_RULES = (
    Rule("format.size", "The JSON text is at most {{ limits.chars }} characters long."),
    Rule("format.keys", "No object in it repeats a key."),
    Rule("format.numbers", "Its numbers have at most {{ limits.digits }} digits (no NaN or Infinity)."),
    Rule("format.depth", "Its arrays and objects nest at most {{ limits.depth }} levels deep."),
    Rule("format.text", "Its text holds no lone surrogate (\\ud800-\\udfff)."),
)
"""How the JSON text of every general answer is read (`synth.strict_loads`); each category's own
`format` rule (the answer's shape) comes before them."""


def check(name: str, passed: bool, expected: Any = None, actual: Any = None, message: str = "") -> Check:
    """One named check of a verdict."""
    return Check(name=name, passed=bool(passed), expected=expected, actual=actual, message=message)


def parse_answer(submission: Any, schema: dict[str, Any]) -> tuple[Any, Check | None]:
    """(the parsed answer, None), or (None, the failing check): the submission must be non-empty
    strict JSON text (`LIMITS`; the check names the limit broken) whose value matches `schema`
    (else `format`)."""
    if not isinstance(submission, str) or not submission.strip():
        return None, check("format", False, "JSON text", submission if isinstance(submission, (str, type(None))) else
                           type(submission).__name__, "no answer was submitted")
    try:
        answer = strict_loads(submission, LIMITS)
    except SubmissionError as exc:
        return None, check(exc.check, False, "JSON text within the stated limits", None, str(exc))
    problem = shape_problem(answer, schema)
    if problem:
        return None, check("format", False, "answer matching the schema", None, problem)
    return answer, None


def shape_problem(value: Any, schema: dict[str, Any], where: str = "answer") -> str | None:
    """A minimal JSON-Schema shape check (type, properties, required, items, enum); first problem or None."""
    kind = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{where} must be an integer"
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{where} must be a number"
    elif kind in types and not isinstance(value, types[kind]):
        return f"{where} must be {'an' if kind[0] in 'aeiou' else 'a'} {kind}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where} must be one of {schema['enum']}"
    if kind == "object":
        for name in schema.get("required", []):
            if name not in value:
                return f"{where} is missing {name!r}"
        props = schema.get("properties", {})
        if schema.get("additionalProperties") is False:
            extra = sorted(set(value) - set(props))
            if extra:
                return f"{where} has unknown field {extra[0]!r}"
        for name, sub in props.items():
            if name in value:
                problem = shape_problem(value[name], sub, f"{where}.{name}")
                if problem:
                    return problem
    if kind == "array":
        if "minItems" in schema and len(value) < schema["minItems"]:
            return f"{where} needs at least {schema['minItems']} items"
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return f"{where} allows at most {schema['maxItems']} items"
        if "items" in schema:
            for i, item in enumerate(value):
                problem = shape_problem(item, schema["items"], f"{where}[{i}]")
                if problem:
                    return problem
    return None
