"""What every general checker shares: strict reading of the answer text, a JSON-Schema shape
check, and the `check` constructor. Sits under the per-category checkers; imports only the core."""

from __future__ import annotations

import json
from typing import Any

from synth import Check


def check(name: str, passed: bool, expected: Any = None, actual: Any = None, message: str = "") -> Check:
    """One named check of a verdict."""
    return Check(name=name, passed=bool(passed), expected=expected, actual=actual, message=message)


def parse_answer(submission: Any, schema: dict[str, Any]) -> tuple[Any, Check]:
    """(the parsed answer or None, the `format` check): the submission must be non-empty JSON
    text whose value matches `schema`."""
    if not isinstance(submission, str) or not submission.strip():
        return None, check("format", False, "JSON text", submission, "no answer was submitted")
    try:
        answer = json.loads(submission)
    except json.JSONDecodeError as exc:
        return None, check("format", False, "JSON text", submission[:200], f"answer is not JSON: {exc.msg}")
    problem = shape_problem(answer, schema)
    if problem:
        return None, check("format", False, "answer matching the schema", None, problem)
    return answer, check("format", True)


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
