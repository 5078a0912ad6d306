"""Strict JSON: the one reader of JSON text a model wrote when it is graded.

Sits in the core under the verifiers (any verifier may use it; tool-argument parsing can too).
`json.loads` accepts things a grader must not: a key repeated in one object (the last one wins, so
a reader of the data and the grader can see different answers), NaN and Infinity, numbers of any
length (an integer over 4,300 digits raises ValueError while it is converted), nesting deep enough
to raise RecursionError, and escaped lone surrogates that no encoder can write (they break the
journal and every JSONL consumer). `strict_loads` refuses each with a `SubmissionError` whose
`check` names the limit broken, so a grader fails the answer on a named check instead of crashing:

    format          not JSON at all
    format.size     more than `JsonLimits.chars` characters
    format.keys     a key repeated within one object
    format.numbers  a number of more than `JsonLimits.digits` digits, NaN or Infinity
    format.depth    arrays and objects nested more than `JsonLimits.depth` deep
    format.text     a lone surrogate (escaped or raw) anywhere in the text
"""

from __future__ import annotations

import json
import math
from typing import Any, NamedTuple

from ._errors import SubmissionError
from ._records import encodable


class JsonLimits(NamedTuple):
    """What strict JSON text may hold."""

    chars: int = 20_000
    """Characters of the whole text."""
    digits: int = 15
    """Digits of one number (integer or decimal)."""
    depth: int = 8
    """Arrays and objects nested inside one another (a flat list of objects is 2)."""


class _Refused(Exception):
    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check


def _number_reader(limits: JsonLimits, convert: Any) -> Any:
    def read(literal: str) -> Any:
        if not literal.isascii():  # the pure-Python scanner matches numbers with `\d` (any Unicode digit)
            raise _Refused("format", f"number {literal[:20]!r} is not JSON: its digits must be ASCII")
        digits = sum(ch.isdigit() for ch in literal) if len(literal) > limits.digits else 0
        if digits > limits.digits:
            raise _Refused("format.numbers", f"a number has {digits} digits; at most {limits.digits}")
        value = convert(literal)
        if isinstance(value, float) and not math.isfinite(value):
            raise _Refused("format.numbers", f"number {literal[:20]} is not finite")
        return value

    return read


def _constant(name: str) -> Any:
    raise _Refused("format.numbers", f"{name} is not a JSON number")


def _pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(items)
    if len(value) != len(items):
        seen: set[str] = set()
        repeated = next(k for k, _ in items if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _Refused("format.keys", f"key {repeated[:40]!r} appears twice in one object")
    return value


def _depth_over(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` deep (iterative, stops early)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (list, dict)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _strings(value: Any) -> Any:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            yield from item.keys()
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def strict_loads(text: str, limits: JsonLimits = JsonLimits(), *, what: str = "answer", replace_surrogates: bool = False) -> Any:
    """The value of JSON `text`, or a SubmissionError naming the limit it breaks (see the module);
    `what` names the text in messages (the tool runtime reads "argument text"). With
    `replace_surrogates`, lone surrogates are replaced by U+FFFD instead of refused (tool arguments:
    the call goes on, and what it returns stays storable)."""
    if len(text) > limits.chars:
        raise SubmissionError("format.size", f"{what} is {len(text)} characters; at most {limits.chars}")
    if not text.isascii() and not _encodable(text):
        if not replace_surrogates:
            raise SubmissionError("format.text", f"{what} holds a lone surrogate character")
        text = encodable(text)
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_int=_number_reader(limits, int),
                           parse_float=_number_reader(limits, float), parse_constant=_constant)
    except _Refused as exc:
        raise SubmissionError(exc.check, str(exc)) from None
    except RecursionError:
        raise SubmissionError("format.depth", f"{what} nests deeper than {limits.depth} levels") from None
    except json.JSONDecodeError as exc:
        raise SubmissionError("format", f"{what} is not JSON: {exc.msg} at position {exc.pos}") from None
    if _depth_over(value, limits.depth):
        raise SubmissionError("format.depth", f"{what} nests deeper than {limits.depth} levels")
    if "\\u" in text and not all(s.isascii() or _encodable(s) for s in _strings(value)):
        if replace_surrogates:
            return encodable(value)
        raise SubmissionError("format.text", f"{what} escapes a lone surrogate (\\ud800-\\udfff)")
    return value
