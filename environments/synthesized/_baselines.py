"""Baseline solvers of synthesized environments: tool-only agents a sound task must defeat.

Sits beside the reference solution, under the gate. A baseline holds nothing but a `ToolClient`
(the path a model's calls take) and the shape of the answer (its keys, list lengths and value
types, as the task states them; never its values). It explores once: every tool that needs no
argument, then every other tool with arguments filled from what earlier results showed (a value
under a key of the same name first). Then:

- `first_choice` fills every slot of the answer with the first value seen under that key;
- `greedy` fills the slots of a key in turn with distinct values, in the order seen (first-fit,
  no repeats, no backtracking).

A task either of them solves is too easy to train on (or its verifier ignores the answer): the
gate rejects it. These are written against the tool client only, like the baselines of the
procedural categories (issue 8), so a Family hook that runs baselines at verify can run them.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from synth import ToolClient, ToolError

EXPLORE_CALLS = 24
"""Most tool calls one exploration makes."""

Seen = list[tuple[str | None, Any]]
"""(key, scalar value) pairs in the order tool results showed them."""


def shape_of(answer: Any) -> Any:
    """The answer's shape: dicts and lists kept, every scalar replaced by its JSON type name."""
    if isinstance(answer, dict):
        return {k: shape_of(v) for k, v in answer.items()}
    if isinstance(answer, list):
        return [shape_of(v) for v in answer]
    if isinstance(answer, bool):
        return "boolean"
    if isinstance(answer, int):
        return "integer"
    if isinstance(answer, float):
        return "number"
    if isinstance(answer, str):
        return "string"
    return "null"


def _fits(value: Any, kind: str) -> bool:
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    return value is None


_EMPTY = {"boolean": False, "integer": 0, "number": 0, "string": "", "null": None}


def _harvest(value: Any, seen: Seen, key: str | None = None) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _harvest(v, seen, str(k))
    elif isinstance(value, list):
        for v in value:
            _harvest(v, seen, key)
    else:
        seen.append((key, value))


def _candidates(seen: Seen, key: str | None, kind: str) -> list[Any]:
    same = [v for k, v in seen if k == key and _fits(v, kind)]
    return same or [v for _, v in seen if _fits(v, kind)]


def _argument(seen: Seen, name: str, schema: dict[str, Any]) -> Any:
    kinds = [schema.get("type")] + [s.get("type") for s in schema.get("anyOf", [])]
    if "enum" in schema:
        return schema["enum"][0]
    for kind in kinds:
        if kind in _EMPTY:
            found = _candidates(seen, name, kind)
            if found:
                return found[0]
    for kind in kinds:
        if kind in _EMPTY:
            return _EMPTY[kind]
        if kind == "array":
            return []
    return None


def explore(client: ToolClient, budget: int = EXPLORE_CALLS) -> Seen:
    """Call every tool once (no-argument tools first) and keep what the results show."""
    seen: Seen = []
    specs = [s for s in client.specs if s.name != "submit_result"]
    for spec in sorted(specs, key=lambda s: bool(s.parameters.get("required")))[:budget]:
        properties = spec.parameters.get("properties", {})
        arguments = {name: _argument(seen, name, properties.get(name, {})) for name in spec.parameters.get("required", [])}
        try:
            _harvest(client.call(spec.name, **arguments), seen)
        except ToolError:
            continue
    return seen


def _fill(shape: Any, seen: Seen, pick: Callable[[list[Any], str | None], Any], key: str | None = None) -> Any:
    if isinstance(shape, dict):
        return {k: _fill(v, seen, pick, k) for k, v in shape.items()}
    if isinstance(shape, list):
        return [_fill(v, seen, pick, key) for v in shape]
    found = _candidates(seen, key, shape)
    return pick(found, key) if found else _EMPTY.get(shape)


def first_choice(seen: Seen, shape: Any) -> Any:
    """Every slot gets the first value seen under its key."""
    return _fill(shape, seen, lambda found, key: found[0])


def greedy(seen: Seen, shape: Any) -> Any:
    """The slots of one key get distinct values in the order seen (first-fit, no repeats)."""
    used: dict[str | None, int] = {}

    def pick(found: list[Any], key: str | None) -> Any:
        distinct = list(dict.fromkeys(json.dumps(v) for v in found))
        at = used.get(key, 0)
        used[key] = at + 1
        return json.loads(distinct[at % len(distinct)])

    return _fill(shape, seen, pick)


BASELINES: dict[str, Callable[[Seen, Any], Any]] = {"first_choice": first_choice, "greedy": greedy}


def baseline_answers(client: ToolClient, shape: Any) -> dict[str, str]:
    """Every baseline's answer text after one exploration through `client`."""
    seen = explore(client)
    return {name: json.dumps(fn(seen, shape), ensure_ascii=False) for name, fn in BASELINES.items()}


def baseline_solver(name: str, shape: Any) -> Callable[[ToolClient], None]:
    """One baseline as a solver: explore, then submit its answer through the client."""

    def solve(client: ToolClient) -> None:
        client.submit_result(answer_text=json.dumps(BASELINES[name](explore(client), shape), ensure_ascii=False))

    return solve
