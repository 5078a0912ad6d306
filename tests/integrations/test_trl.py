"""synth's environments for TRL: the factories GRPOTrainer takes as `environment_factory`, driven as
its tool loop drives them (`reset(**row)` with a row of the hf export, tool methods called with the
model's arguments, `get_reward()`), in process and against `synth serve`; the tool schemas TRL
renders from the methods are the tasks' own; rewards are the verifier's verdicts and are recorded.
The GRPO run itself (a real model, real optimizer steps) is tests/integrations/test_grpo.py."""

from __future__ import annotations

import inspect
import json
import shutil
from pathlib import Path

import pytest

import synth
from synth import Run

pytest.importorskip("trl", reason="scripts/setup.d/50-train.sh installs TRL")

from serve_helpers import gold_answers, serving  # noqa: E402


@pytest.fixture(scope="module")
def run_and_rows(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict]]:
    from datasets import load_from_disk

    run = tmp_path_factory.mktemp("trl") / "run"
    # seed 7: its 2 trips and 2 shopping tasks are hard (exported); planted ones may be easy (white-box gate)
    synth.generate(run, "general", {"n": 2, "seed": 7, "difficulty": 3})
    assert synth.verify(Run.open(run)).ok
    synth.export(Run.open(run), synth.ExportSettings(format="hf", out=run.parent / "tasks.hf"))
    return run, list(load_from_disk(str(run.parent / "tasks.hf")))


def episode(factories: dict, row: dict, answer: str | None) -> float:
    """One rollout as GRPOTrainer makes it: the row's factory, reset with the row minus `environment`."""
    env = factories[row["environment"]]()
    env.reset(**{k: v for k, v in row.items() if k != "environment"})
    tools = [m for name, m in inspect.getmembers(type(env), predicate=inspect.isfunction)
             if name not in ("reset", "get_reward") and not name.startswith("_")]
    first = next(t for t in tools if t.__name__ != "submit_result")
    required = [p for p in inspect.signature(first).parameters.values() if p.name != "self" and p.default is inspect.Parameter.empty]
    if not required:
        json.loads(getattr(env, first.__name__)())  # a tool result is the tool's JSON text
    if answer is not None:
        assert json.loads(env.submit_result(answer_text=answer)) == {"status": "submitted"}
    return env.get_reward()


def test_every_exported_row_has_its_factory_and_the_schemas_are_the_tasks(run_and_rows: tuple[Path, list[dict]]) -> None:
    from transformers.utils import get_json_schema

    from synth.integrations.trl import environment_factories

    run, rows = run_and_rows
    factories = environment_factories(run=run)
    assert {row["environment"] for row in rows} == set(factories)
    for row in rows:
        env = factories[row["environment"]]()
        methods = {name: getattr(env, name) for name, _ in inspect.getmembers(type(env), predicate=inspect.isfunction)
                   if name not in ("reset", "get_reward") and not name.startswith("_")}
        expected = {t["function"]["name"]: t["function"] for t in json.loads(row["tools"])}
        assert set(methods) == set(expected)
        for name, method in methods.items():
            schema = get_json_schema(method)["function"]  # what TRL puts in the prompt
            assert schema["description"] == expected[name]["description"]
            assert set(schema["parameters"]["properties"]) == set(expected[name]["parameters"].get("properties", {}))
            assert set(schema["parameters"].get("required", [])) == set(expected[name]["parameters"].get("required", []))


def test_in_process_rewards_are_the_verdicts_and_are_recorded(run_and_rows: tuple[Path, list[dict]], tmp_path: Path) -> None:
    from synth.integrations.trl import environment_factories

    source, rows = run_and_rows
    run = tmp_path / "run"
    shutil.copytree(source, run)
    gold = gold_answers(run)
    factories = environment_factories(run=run, record=True, model="trl-test")
    rewards = [episode(factories, rows[0], gold[rows[0]["task_key"]]), episode(factories, rows[1], "[]"),
               episode(factories, rows[2], None)]
    assert rewards == [1.0, 0.0, 0.0]
    recorded = [t for t in Run.open(run).trajectories() if t.model == "serve:trl-test"]
    assert [(t.task_key, t.verdict.reward) for t in recorded] == [(rows[i]["task_key"], rewards[i]) for i in range(3)]
    assert recorded[2].verdict.checks[0].name in ("submitted", "format")  # no answer: graded, not dropped


def test_against_synth_serve_over_the_openenv_client(run_and_rows: tuple[Path, list[dict]], tmp_path: Path) -> None:
    from synth.integrations.trl import environment_factories

    source, rows = run_and_rows
    run = tmp_path / "run"
    shutil.copytree(source, run)
    gold = gold_answers(run)
    with serving(run, record=True) as (url, _app):
        factories = environment_factories(url=url, model="remote")
        assert set(factories) == {row["environment"] for row in rows}
        rewards = [episode(factories, row, gold[row["task_key"]] if i % 2 == 0 else "[]") for i, row in enumerate(rows)]
    assert rewards == [1.0 if i % 2 == 0 else 0.0 for i in range(len(rows))] and len(rows) >= 4
    recorded = [t for t in Run.open(run).trajectories() if t.model == "serve:remote"]
    assert [t.verdict.reward for t in recorded] == rewards


def test_an_episode_that_ends_in_text_is_graded_from_that_text(run_and_rows: tuple[Path, list[dict]], tmp_path: Path) -> None:
    """The model answers in text (or writes a submit call TRL did not parse) instead of calling the
    submit tool: `read_text_answers`, a reward function TRL runs before the environments' get_reward,
    hands the text over and the episode is graded by synth's completion reader."""
    from synth.integrations.trl import environment_factories, read_text_answers

    source, rows = run_and_rows
    run = tmp_path / "run"
    shutil.copytree(source, run)
    gold = gold_answers(run)
    factories = environment_factories(run=run, record=True, model="text")
    row = rows[0]
    answer = gold[row["task_key"]]
    call = json.dumps({"name": "submit_result", "arguments": {"answer_text": answer}})
    texts = {
        "fenced after reasoning": f"<think>the cheapest first</think>Here it is:\n```json\n{answer}\n```",
        "an unparsed submit call": f"<tool_call>\n{call}\n</tool_call>",
        "prose": "I could not find an answer.",
        "after a tool result": None,
    }
    rewards = {}
    for what, text in texts.items():
        env = factories[row["environment"]]()
        env.reset(**{k: v for k, v in row.items() if k != "environment"})
        completion = [{"role": "assistant", "content": text}] if text is not None else \
            [{"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "list_rooms", "arguments": {}}}]},
             {"role": "tool", "name": "list_rooms", "content": "[]"}]
        assert read_text_answers(completions=[completion], environments=[env], prompts=[row["prompt"]]) == [None]
        rewards[what] = env.get_reward()
    assert rewards == {"fenced after reasoning": 1.0, "an unparsed submit call": 1.0, "prose": 0.0, "after a tool result": 0.0}
    recorded = [t for t in Run.open(run).trajectories() if t.model == "serve:text"]
    assert [(t.verdict.reward, t.termination.value) for t in recorded] == [(1.0, "answered"), (1.0, "answered"),
                                                                           (0.0, "answered"), (0.0, "answered")]
