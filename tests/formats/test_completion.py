"""`synth.score` reads a completion as a model writes it (`read_completion`): a reasoning block
removed, then the last submit call written as JSON, else the last fenced or bare JSON value; prose
alone still fails `format`. Each shape is graded by the real general verifier of a sample run, gold
answer and wrong answer side by side, so a reader that passed everything would fail here."""

from __future__ import annotations

import json

import pytest

import synth
from synth import Run
from synth._grading import completion_submission, read_completion, strip_reasoning

from sample_runs import shared_sample_run


def _gold() -> tuple[str, str, str]:
    """(run, task key, gold answer text) of a task of the shared sample run."""
    run = Run.open(shared_sample_run())
    gold = next(t for t in run.trajectories() if t.source == "gold")
    return str(run.path), gold.task_key, gold.submission


def _call(answer: str, name: str = "submit_result") -> str:
    return json.dumps({"name": name, "arguments": {"answer_text": answer}})


SHAPES = {
    "bare": lambda a: a,
    "think then bare": lambda a: f"<think>The rooms... maybe [1, 2]?</think>\n{a}",
    "closing tag only (the template opened it)": lambda a: f"Let me check {{\"x\": 1}}.</think>\n\n{a}",
    "fenced json": lambda a: f"Here is my schedule:\n```json\n{a}\n```\nDone.",
    "fenced without language": lambda a: f"```\n{a}\n```",
    "prose around bare json": lambda a: f"My final answer is {a} as requested.",
    "tool_call tags": lambda a: f"<think>ok</think>I will submit.\n<tool_call>\n{_call(a)}\n</tool_call>",
    "submit call with string arguments": lambda a: json.dumps({"name": "submit_result", "arguments": json.dumps({"answer_text": a})}),
    "openai function object": lambda a: json.dumps({"type": "function", "function": {"name": "submit_result", "arguments": {"answer_text": a}}}),
    "a later fenced draft does not beat the submit call": lambda a: f"{_call(a)}\n```json\n[]\n```",
    "the last fenced block wins": lambda a: f"```json\n[]\n```\nno wait:\n```json\n{a}\n```",
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_each_accepted_shape_grades_like_the_submission(shape: str) -> None:
    run, key, gold = _gold()
    assert synth.score(run, key, SHAPES[shape](gold)).reward == 1.0
    wrong = json.dumps([]) if gold.strip() != "[]" else "{}"
    assert synth.score(run, key, SHAPES[shape](wrong)).reward == 0.0


@pytest.mark.parametrize("text", [
    "I think the answer is the blue room at nine.",
    "<think>[the gold would be here]</think>Sorry, I cannot tell.",
    "<think>never closed ... ",
    "",
])
def test_prose_alone_or_an_unclosed_reasoning_block_fails_format(text: str) -> None:
    run, key, _gold_text = _gold()
    verdict = synth.score(run, key, text)
    assert verdict.reward == 0.0 and verdict.checks[0].name == "format" and not verdict.checks[0].passed


def test_the_answer_inside_the_reasoning_block_does_not_count() -> None:
    run, key, gold = _gold()
    assert synth.score(run, key, f"<think>{gold}</think>I am not sure.").reward == 0.0
    assert synth.score(run, key, f"<think>{gold}</think>").reward == 0.0


def test_the_strict_reader_still_sees_the_text_as_written() -> None:
    """The JSON span is passed on as written: a repeated key fails `format.keys`, not laundered by a re-dump."""
    run, key, gold = _gold()
    value = json.loads(gold)
    assert isinstance(value, (list, dict))
    doubled = '[{"a": 1, "a": 2}]' if isinstance(value, list) else '{"a": 1, "a": 2}'
    verdict = synth.score(run, key, f"```json\n{doubled}\n```")
    assert verdict.reward == 0.0 and any(c.name == "format.keys" and not c.passed for c in verdict.checks)


def test_raw_grades_the_text_exactly() -> None:
    run, key, gold = _gold()
    assert synth.score(run, key, f"<think>x</think>{gold}").reward == 1.0
    assert synth.score(run, key, f"<think>x</think>{gold}", raw=True).reward == 0.0


def test_read_completion_reports_how_it_found_the_answer() -> None:
    assert read_completion('<think>a</think> {"name": "submit", "arguments": {"answer": 3}}').how == "submit_call"
    assert read_completion("x ```json\n[1]\n``` y").how == "fenced_json"
    assert read_completion("so [1, 2] it is").text == "[1, 2]"
    assert read_completion("42").value == 42
    assert read_completion("Paris").how == "text"
    assert read_completion("```python\nprint(1)\n```").how == "text"
    assert strip_reasoning("<think>unclosed") is None


def test_the_submit_parameter_decides_the_shape() -> None:
    """Search answers are text (a JSON string gives its value); interpreter answers any JSON value."""
    run = Run.open(shared_sample_run())
    record = next(iter(run.tuples()))

    def like(params: dict, answer_schema: dict):  # type: ignore[no-untyped-def,type-arg]
        tools = [synth.ToolSpec(name="submit", description="Submit.", parameters={"type": "object", "properties": params, "required": list(params)})]
        env = record.environment.model_copy(update={"tools": tools})
        return record.model_copy(update={"environment": env, "task": record.task.model_copy(update={"answer_schema": answer_schema})})

    search = like({"answer": {"type": "string"}}, {"type": "string"})
    assert completion_submission("<think>hm</think>Paris", search) == "Paris"
    assert completion_submission('```json\n"Paris"\n```', search) == "Paris"
    interpreter = like({"answer": {}}, {"type": "number"})
    assert completion_submission("<think>2+2</think>```json\n4.5\n```", interpreter) == 4.5
    assert completion_submission('{"name": "submit", "arguments": {"answer": [1, "a"]}}', interpreter) == [1, "a"]
    code = like({}, {"type": "string"})
    assert completion_submission("diff --git a/x b/x", code) == "diff --git a/x b/x"
