"""Fixtures of the model runtime tests: a tiny registered family ("toy": look a word up, submit it),
a verified run of its tuples, and a scripted OpenAI-compatible model behind httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import synth
from synth import (
    Check,
    Control,
    EnvironmentSpec,
    Family,
    RuntimeEnvironment,
    TaskSpec,
    ToolRuntime,
    TupleRecord,
    VerifierSpec,
    register_family,
    register_verifier,
    tool_from_function,
)
from synth import verify

WORDS = ["apple", "river", "cloud", "stone", "amber", "maple", "ember", "frost"]


def lookup(table: dict[str, str], key: str) -> str:
    """Look up the secret word stored under a key.

    Args:
        key: The key to look up, e.g. k0.
    """
    if key not in table:
        raise synth.ToolError(f"no key {key!r}; keys are {', '.join(sorted(table))}", "not_found")
    return table[key]


def submit_result(table: dict[str, str], answer: str) -> str:
    """Submit the final answer (the secret word).

    Args:
        answer: The word.
    """
    return answer


TOOLS = [tool_from_function(lookup), tool_from_function(submit_result, submit=True)]


@register_verifier("toy.exact")
def _exact(record: TupleRecord, submission: Any, run: Any, *, trajectory: Any = None, expected: str) -> list[Check]:
    return [Check(name="answer", passed=submission == expected, expected=expected, actual=submission)]


@register_family
class ToyFamily(Family):
    """Look up the word under a key and submit it."""

    name = "toy"
    description = "look up a word and submit it (runtime tests)"
    blocking = False

    def open(self, record: TupleRecord, run: Any) -> RuntimeEnvironment:
        return RuntimeEnvironment(ToolRuntime.of(TOOLS, dict(record.environment.metadata["table"])))

    def solve_gold(self, record: TupleRecord, run: Any, client: Any) -> None:
        word = client.lookup(key=record.task.metadata["key"])
        client.submit_result(answer=word)

    def controls(self, record: TupleRecord, run: Any, gold_submission: Any) -> list[Control]:
        return [Control("wrong_word", gold_submission + "x", "answer")]


def toy_tuple(index: int) -> TupleRecord:
    table = {f"k{i}": WORDS[(index + i) % len(WORDS)] for i in range(3)}
    env = EnvironmentSpec(
        family="toy", category="lookup", seed=0, index=index, difficulty=1,
        tools=[t.spec for t in TOOLS], metadata={"table": table},
    )  # fmt: skip
    task = TaskSpec(
        family="toy",
        category="lookup",
        environment_key=env.key,
        prompt="Call lookup with key k1, then call submit_result with the word it returns.",
        system_prompt="You are a helpful assistant with tools.",
        metadata={"key": "k1"},
    )
    return TupleRecord.build(env, task, VerifierSpec(name="toy.exact", args={"expected": table["k1"]}))


def make_run(path: Path, n: int = 2) -> synth.Run:
    """A verified run of `n` toy tuples."""
    run = synth.Run.create(path)
    with run.tuples() as journal:
        for index in range(n):
            journal.append(toy_tuple(index))
    summary = verify(run)
    assert summary.ok
    return run


@pytest.fixture
def toy_run(tmp_path: Path) -> synth.Run:
    return make_run(tmp_path / "run", 2)


# -- a scripted model ----------------------------------------------------------------------------
from fakes import FakeServer, Scripted, call, completion  # noqa: E402,F401  (re-exported for the runtime tests)


def solver(body: dict[str, Any], n: int) -> dict[str, Any]:
    """A model that solves toy tasks: lookup k1, then submit what came back."""
    messages = body["messages"]
    results = [m for m in messages if m["role"] == "tool"]
    if not results:
        return completion(tool_calls=[call("lookup", {"key": "k1"}, f"c{n}")])
    return completion(tool_calls=[call("submit_result", {"answer": json.loads(results[-1]["content"])}, f"c{n}")])


class Sleeps(list):
    """An asyncio.sleep stand-in that records the delays asked for."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


