"""`synth verify` grades a tuple's null controls `Family.control_width` at a time (the code family's
controls are containers held to one CPU each), and the verdicts keep the controls' order."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

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


def answer_with(state: dict, word: str) -> str:
    """Submit the word.

    Args:
        word: The word.
    """
    return word


TOOLS = [tool_from_function(answer_with, submit=True)]
WATCH = {"now": 0, "most": 0, "order": []}
LOCK = threading.Lock()


@register_verifier("widthtoy.exact")
def _exact(record: TupleRecord, submission: Any, run: Any, *, trajectory: Any = None, expected: str) -> list[Check]:
    return [Check(name="answer", passed=submission == expected, expected=expected, actual=submission)]


@register_family
class WidthToy(Family):
    """Submit one word; six wrong words as controls, each graded slowly."""

    name = "widthtoy"
    description = "controls graded side by side (verify tests)"
    blocking = False
    control_width = 3

    def open(self, record: TupleRecord, run: Any) -> RuntimeEnvironment:
        return RuntimeEnvironment(ToolRuntime.of(TOOLS, {}))

    def solve_gold(self, record: TupleRecord, run: Any, client: Any) -> None:
        client.answer_with(word="amber")

    def controls(self, record: TupleRecord, run: Any, gold_submission: Any) -> list[Control]:
        return [Control(f"w{i}", f"wrong{i}", "answer") for i in range(6)]

    def evaluate(self, record: TupleRecord, run: Any, submission: Any):
        if submission == "amber":  # the gold, graded before the controls
            return super().evaluate(record, run, submission)
        with LOCK:
            WATCH["now"] += 1
            WATCH["most"] = max(WATCH["most"], WATCH["now"])
        time.sleep(0.1 if submission != "wrong0" else 0.8)  # the first control ends last
        with LOCK:
            WATCH["now"] -= 1
            WATCH["order"].append(submission)
        return super().evaluate(record, run, submission)


def _run(path: Path) -> synth.Run:
    env = EnvironmentSpec(family="widthtoy", category="word", seed=0, index=0, difficulty=1,
                          tools=[t.spec for t in TOOLS], metadata={})
    task = TaskSpec(family="widthtoy", category="word", environment_key=env.key, prompt="Submit amber.",
                    system_prompt="You are a helpful assistant with tools.", metadata={})
    run = synth.Run.create(path)
    with run.tuples() as journal:
        journal.append(TupleRecord.build(env, task, VerifierSpec(name="widthtoy.exact", args={"expected": "amber"})))
    return run


@pytest.mark.parametrize("width", [3, 1])
def test_controls_are_graded_width_at_a_time_and_recorded_in_order(tmp_path, monkeypatch, width):
    monkeypatch.setattr(WidthToy, "control_width", width)
    WATCH.update(now=0, most=0, order=[])
    run = _run(tmp_path / "run")
    assert synth.verify(run).ok
    assert WATCH["most"] == width
    names = [v.control for v in run.verdicts()]
    assert names == ["gold", "empty"] + [f"perturb:w{i}" for i in range(6)]
    if width > 1:
        assert WATCH["order"][-1] == "wrong0"  # graded side by side: it ended after the others, recorded first
    assert all(v.sound for v in run.verdicts())
