"""Typed answers: what an interpreter task expects, and the comparison that grades a submission.

Sits under the interpreter verifier (and the family, which builds `Answer`s and asks them for the
answer schema and the prompt's wording); imports only pydantic and the core. An `Answer` is stored
in the tuple (verifier args), so grading is a pure function of the record and the submission.

The comparison is strict on purpose, since a policy is trained to find what a lax one accepts:

- A submission is the JSON value given to `submit`. A string is read once as strict JSON text
  (the final-answer text of a model that replied instead of calling submit, or a model that
  quoted its JSON): NaN, Infinity and anything that is not one JSON value are refused.
- number: a JSON number (never a bool, never a string that merely looks like one), finite, within
  max(rel_tol * |expected|, abs_tol) of the expected value, compared in exact rational arithmetic
  (no float overflow on huge integers, no rounding at the boundary).
- integer: exactly the expected integer (an integral float such as 42.0 is the same number).
- string_set: the same set of strings (Unicode NFKC, surrounding whitespace dropped, case folded
  unless `case_sensitive`); order and repeats do not matter.
- list: the same length and, position by position, the same item (numbers by the tolerance,
  integers exactly, strings normalized as above, nested lists recursively).
- table: the same number of rows, each with the same number of cells, every cell the same item.
"""

from __future__ import annotations

import json
import math
import unicodedata
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synth import Check

AnswerType = Literal["number", "integer", "string_set", "list", "table"]
ANSWER_TYPES: tuple[str, ...] = ("number", "integer", "string_set", "list", "table")
MAX_ITEMS = 100_000
"""Longest list, set or table a submission may be; longer ones fail `answer_type` without a look."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value: Any) -> bool:
    return isinstance(value, int) or math.isfinite(value)


def _text(value: str, case_sensitive: bool) -> str:
    value = unicodedata.normalize("NFKC", value).strip()
    return value if case_sensitive else value.casefold()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def read_submission(submission: Any) -> tuple[bool, Any, str]:
    """(readable, the value, why not): a string is read once as strict JSON text."""
    if not isinstance(submission, str):
        return True, submission, ""
    try:
        return True, json.loads(submission, parse_constant=_refuse_constant), ""
    except ValueError as exc:  # JSONDecodeError, NaN/Infinity, an integer with too many digits
        return False, None, f"the answer is a string that is not JSON text ({str(exc)[:120]})"


class Answer(BaseModel):
    """The expected answer of one task, its type and its tolerance (stored in the tuple)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    type: AnswerType
    """number, integer, string_set, list or table."""
    value: Any
    """The expected value, of the type's JSON shape."""
    rel_tol: float = Field(1e-6, ge=0, le=1)
    """Relative tolerance of numbers (number answers, and floats inside lists and tables)."""
    abs_tol: float = Field(1e-9, ge=0)
    """Absolute tolerance of numbers; a number passes within max(rel_tol * |expected|, abs_tol)."""
    case_sensitive: bool = False
    """Compare strings with their case (they are always NFKC-normalized and stripped)."""

    @model_validator(mode="after")
    def _value_fits(self) -> "Answer":
        problem = self.shape_problem(self.value)
        if problem:
            raise ValueError(f"a {self.type} answer cannot be {json.dumps(self.value)[:80]}: {problem}")
        if not math.isfinite(self.abs_tol):
            raise ValueError("abs_tol must be finite")
        if self.type == "string_set":
            seen = [_text(s, self.case_sensitive) for s in self.value]
            if len(set(seen)) != len(seen):
                raise ValueError("a string_set answer has members that are equal once normalized")
        return self

    # -- shape --------------------------------------------------------------------------------------
    def shape_problem(self, value: Any) -> str | None:
        """Why `value` is not of this answer's JSON shape, or None."""
        if self.type == "number":
            if not _is_number(value):
                return f"a JSON number is expected, not {_kind(value)}"
            return None if _finite(value) else "the number is not finite"
        if self.type == "integer":
            if not _is_number(value) or (isinstance(value, float) and not (math.isfinite(value) and value.is_integer())):
                return f"a JSON integer is expected, not {_kind(value)}"
            return None
        if not isinstance(value, list):
            return f"a JSON array is expected, not {_kind(value)}"
        if len(value) > MAX_ITEMS:
            return f"the array has {len(value)} items (at most {MAX_ITEMS})"
        if self.type == "string_set":
            bad = next((v for v in value if not isinstance(v, str)), None)
            return None if bad is None and all(isinstance(v, str) for v in value) else f"every member must be a string, not {_kind(bad)}"
        if self.type == "list":
            return _item_problem(value)
        for row in value:
            if not isinstance(row, list):
                return f"every row must be a JSON array, not {_kind(row)}"
            problem = _item_problem(row)
            if problem:
                return problem
        return None

    def schema(self) -> dict[str, Any]:
        """JSON Schema of the answer (the task's answer_schema)."""
        item = {"type": ["number", "string", "array", "null"]}
        return {
            "number": {"type": "number"},
            "integer": {"type": "integer"},
            "string_set": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "list": {"type": "array", "items": item},
            "table": {"type": "array", "items": {"type": "array", "items": item}},
        }[self.type]

    def describe(self) -> str:
        """How the prompt tells the model what to submit: exactly how `same` compares each kind of
        value the expected answer holds (integers exactly, other numbers by the tolerance, strings
        with or without case)."""
        within = f"within a relative error of {self.rel_tol:g} or an absolute error of {self.abs_tol:g}"
        case = "case-sensitive" if self.case_sensitive else "case ignored"
        strings = f"strings compared after trimming surrounding spaces, {case}"
        if self.type == "number":
            return f"a JSON number (accepted {within})"
        if self.type == "integer":
            return "a JSON integer (it must be exact)"
        if self.type == "string_set":
            return f"a JSON array of strings (order and repeats do not matter; {strings})"
        kinds = []
        if _has(self.value, int):
            kinds.append("integers must be exact")
        if _has(self.value, float):
            kinds.append(f"other numbers are accepted {within}")
        if _has(self.value, str):
            kinds.append(strings)
        how = f" ({'; '.join(kinds)})" if kinds else ""
        if self.type == "list":
            return f"a JSON array, items in the order asked for{how}"
        return f"a JSON array of rows, each row a JSON array of cells, rows in the order asked for{how}"

    # -- grading ------------------------------------------------------------------------------------
    def same(self, expected: Any, given: Any) -> bool:
        """One item compared: numbers by tolerance (integers exactly), strings normalized, lists
        item by item."""
        if isinstance(expected, bool) or expected is None:
            return given is expected
        if isinstance(expected, int):
            return _is_number(given) and _finite(given) and Fraction(given) == expected
        if isinstance(expected, float):
            return self.close(expected, given)
        if isinstance(expected, str):
            return isinstance(given, str) and _text(given, self.case_sensitive) == _text(expected, self.case_sensitive)
        if isinstance(expected, list):
            return isinstance(given, list) and len(given) == len(expected) and all(map(self.same, expected, given))
        return False

    def close(self, expected: float | int, given: Any) -> bool:
        """`given` is a finite JSON number within the tolerance of `expected` (exact arithmetic)."""
        if not _is_number(given) or not _finite(given):
            return False
        target = Fraction(expected)
        allowed = max(Fraction(self.rel_tol) * abs(target), Fraction(self.abs_tol))
        return abs(Fraction(given) - target) <= allowed

    def checks(self, submission: Any) -> list[Check]:
        """The verdict's checks: `answer_type`, then the type's comparisons."""
        readable, value, why = read_submission(submission)
        problem = why if not readable else self.shape_problem(value)
        names = {"number": ["value"], "integer": ["value"], "string_set": ["members"], "list": ["length", "items"],
                 "table": ["shape", "cells"]}[self.type]
        if self.type == "number" and readable and _is_number(value) and not _finite(value):
            return [Check(name="answer_type", passed=True, expected="a JSON number", actual=str(value)),
                    Check(name="finite", passed=False, expected="a finite number", actual=str(value),
                          message="NaN and infinities are never an answer")] + [
                    Check(name=n, passed=False, message="not compared: the number is not finite") for n in names]
        if problem:
            shown = value if readable else submission
            return [Check(name="answer_type", passed=False, expected=self.describe(), actual=_short(shown), message=problem)] + [
                Check(name=n, passed=False, message="not compared: the answer has the wrong type") for n in names]
        out = [Check(name="answer_type", passed=True, expected=self.describe())]
        return out + getattr(self, f"_{self.type}")(value)

    def _number(self, value: Any) -> list[Check]:
        ok = self.close(self.value, value)
        return [Check(name="finite", passed=True),
                Check(name="value", passed=ok, expected=self.value, actual=value,
                      message="" if ok else f"not within max({self.rel_tol:g} * |expected|, {self.abs_tol:g})")]

    def _integer(self, value: Any) -> list[Check]:
        ok = Fraction(value) == Fraction(self.value)
        return [Check(name="value", passed=ok, expected=self.value, actual=_short(value),
                      message="" if ok else "not the expected integer")]

    def _string_set(self, value: list[str]) -> list[Check]:
        want = {_text(s, self.case_sensitive) for s in self.value}
        got = {_text(s, self.case_sensitive) for s in value}
        missing, extra = sorted(want - got), sorted(got - want)
        parts = ([f"missing {len(missing)}: {', '.join(missing[:5])}"] if missing else []) + (
            [f"unexpected {len(extra)}: {', '.join(extra[:5])}"] if extra else [])
        return [Check(name="members", passed=not parts, expected=len(want), actual=len(got), message="; ".join(parts))]

    def _list(self, value: list[Any]) -> list[Check]:
        same_length = len(value) == len(self.value)
        wrong = [i for i, (e, g) in enumerate(zip(self.value, value)) if not self.same(e, g)]
        ok = same_length and not wrong
        return [Check(name="length", passed=same_length, expected=len(self.value), actual=len(value)),
                Check(name="items", passed=ok, expected=_short(self.value), actual=_short(value),
                      message="" if ok else (f"first difference at position {wrong[0]}" if wrong else "lengths differ"))]

    def _table(self, value: list[list[Any]]) -> list[Check]:
        shape = [len(r) for r in self.value]
        given = [len(r) for r in value]
        same_shape = shape == given
        wrong = [(i, j) for i, (er, gr) in enumerate(zip(self.value, value)) for j, (e, g) in enumerate(zip(er, gr))
                 if not self.same(e, g)]
        ok = same_shape and not wrong
        return [Check(name="shape", passed=same_shape, expected=f"{len(shape)} rows", actual=f"{len(given)} rows",
                      message="" if same_shape else "a different number of rows or of cells in a row"),
                Check(name="cells", passed=ok, expected=_short(self.value), actual=_short(value),
                      message="" if ok else (f"first difference at row {wrong[0][0]}, cell {wrong[0][1]}" if wrong else "shapes differ"))]


def _item_problem(items: list[Any]) -> str | None:
    for item in items:
        if isinstance(item, bool) or isinstance(item, dict):
            return f"items must be numbers, strings, arrays or null, not {_kind(item)}"
        if isinstance(item, float) and not math.isfinite(item):
            return "a number in the answer is not finite"
        if isinstance(item, list):
            problem = _item_problem(item)
            if problem:
                return problem
    return None


def _has(value: Any, kind: type) -> bool:
    """`value` is, or holds at any depth, a value of exactly `kind` (bools are not integers)."""
    if type(value) is kind:
        return True
    return isinstance(value, list) and any(_has(v, kind) for v in value)


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return {str: "a string", int: "an integer", float: "a number", list: "an array", dict: "an object"}.get(type(value), type(value).__name__)


def _short(value: Any, limit: int = 300) -> Any:
    """A value as a check shows it: itself when small, else its JSON text cut to `limit` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return str(value)[:limit]
    return value if len(text) <= limit else text[:limit] + "..."
