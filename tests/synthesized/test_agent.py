"""The synthesis agent's loop with scripted model responses: what it keeps, what the gate refuses
and why, what is recorded. The model is `agent_script` behind httpx.MockTransport; the gate runs
for real in Docker."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import agent_script as script
import pytest

import synth
from synth import Run
from synth.sandbox import engine
from synth.verifiers.synthesized import drain, stored_files

from .helpers import AGENT, RUN_AGENTS, STUCK, scripted_model

pytestmark = pytest.mark.docker


def by_candidate(run: Run) -> dict[str, synth.TupleRecord]:
    return {t.environment.metadata["candidate"]: t for t in run.tuples()}


def conversation(run: Run, ref: dict) -> dict:
    return json.loads(run.read_asset(synth.AssetRef.model_validate(ref)))


def tool_results(messages: list[dict]) -> list[str]:
    return [m["content"] for m in messages if m["role"] == "tool"]


def test_a_tool_is_added_when_the_solution_needs_it(hotel_run):
    run, _ = hotel_run
    tuples = [t for t in run.tuples() if t.environment.metadata["description"] == "hotel booking"]
    level1, level2 = sorted(tuples, key=lambda t: t.environment.metadata["level"])
    assert [t.name for t in level1.environment.tools] == ["list_cities", "hotels_in", "submit_result"]
    assert [t.name for t in level2.environment.tools] == ["list_cities", "hotels_in", "amenities_of", "submit_result"]
    talk = conversation(run, level2.environment.state["conversation"].model_dump())["agent"]
    refused = [r for r in tool_results(talk) if '"passed": false' in r]
    assert len(refused) == 1 and "no tool named 'amenities_of'" in refused[0]
    assert "Both hotels must serve breakfast" in level2.task.prompt


def test_a_failing_verifier_is_repaired(hotel_run):
    run, _ = hotel_run
    tuples = [t for t in run.tuples() if t.environment.metadata["description"].endswith("broken verifier")]
    assert sorted(t.environment.metadata["level"] for t in tuples) == [1, 2]
    level1 = next(t for t in tuples if t.environment.metadata["level"] == 1)
    talk = conversation(run, level1.environment.state["conversation"].model_dump())["agent"]
    first_check = next(r for r in tool_results(talk) if '"passed"' in r)
    assert "the reference solution does not pass: budget" in first_check
    assert "<= 300" in stored_files(run, level1)["verify.py"]


def test_the_difficulty_chain_is_recorded(hotel_run):
    run, model = hotel_run
    for description in script.HOTEL_AGENTS:
        chain = sorted((t for t in run.tuples() if t.environment.metadata["description"] == description),
                       key=lambda t: t.environment.metadata["level"])
        assert [t.environment.difficulty for t in chain] == [1, 2]
        assert chain[0].environment.metadata["chain"] == [] and chain[1].environment.metadata["chain"] == [chain[0].key]
        before, after = (t.environment.metadata["gate"] for t in chain)
        assert after["checks"] > before["checks"] and after["rows"] > before["rows"] and after["tools"] > before["tools"]
        assert after["gold_calls"] > before["gold_calls"] and after["binding_checks"] >= before["binding_checks"]
    assert run.stage("generate")["model_calls"] == len(model.requests)


def test_a_level_that_is_not_harder_is_rejected_and_ends_its_chain(hotel_run):
    run, _ = hotel_run
    kept = [t for t in run.tuples() if t.environment.metadata["description"] == STUCK]
    assert [t.environment.metadata["level"] for t in kept] == [1]
    (rejection,) = [r for r in run.rejections() if r.details["category"] == STUCK]
    assert rejection.key.endswith(":L2") and rejection.reason.startswith(
        "level 2: [not harder] level is not harder than the level before on what the gold needs: gold_calls 2, "
        "binding_checks 3, search_effort 21 (before: gold_calls 2, binding_checks 3, search_effort 21)")
    assert rejection.details["gate_runs"] == 2 and rejection.details["model_calls"] == 21  # 1 + the 20 turns of level 2


def test_kept_environments_are_verified_rolled_out_and_exported(hotel_run, tmp_path: Path):
    run, _ = hotel_run
    copy = Run.open(shutil.copytree(run.path, tmp_path / "copy"))
    record = next(t for t in copy.tuples() if t.environment.metadata["level"] == 2)

    def solver(body, n):  # a model that solves level 2 the way the reference solution does
        from fakes import call, completion

        done = [m for m in body["messages"] if m["role"] == "tool"]
        if not done:
            return completion(tool_calls=[call("hotels_in", {"city": "Rome"}, "a"), call("hotels_in", {"city": "Oslo"}, "b")])
        return completion(tool_calls=[call("submit_result", {"answer_text": '{"Rome": "Hotel Colosseo", "Oslo": "Nordlys"}'}, "c")])

    with scripted_model(solver) as model:
        config = synth.RolloutConfig(base_url="http://scripted.invalid/v1", model="scripted", max_steps=4)
        client = synth.ModelClient(config, transport=synth.family("synthesized").transport)
        report = synth.rollout(copy, config, client=client, tasks=None)
    assert report.stats.done == len(copy.tuples().read()) and len(model.requests) >= report.stats.done
    episode = next(t for t in copy.trajectories() if t.source == "model" and t.task_key == record.key)
    assert episode.verdict.status == "pass"
    assert [c.name for c in episode.verdict.checks][-1] == "verify"
    sft = tmp_path / "sft.jsonl"
    assert synth.export(copy, synth.ExportSettings(format="sft", source="model", out=sft)) >= 1
    rl = tmp_path / "rl.jsonl"
    assert synth.export(copy, synth.ExportSettings(format="rl", out=rl)) == len(copy.tuples().read())
    line = next(json.loads(x) for x in rl.read_text().splitlines() if json.loads(x)["task_key"] == record.key)
    assert line["verifier"]["name"] == "synthesized.sandbox" and line["environment"]["family"] == "synthesized"
    assert {"db", "files", "conversation"} <= set(line["environment"]["state"])
    regraded = synth.regrade(copy)
    assert regraded.changed == 0


def test_a_killed_chain_resumes_from_the_stored_conversation(hotel_run, tmp_path: Path):
    """Level 2 lost (as a kill before its line was written would lose it) is rebuilt from level 1's
    stored conversation and files, to the same bytes."""
    run, _ = hotel_run
    copy = Run.open(shutil.copytree(run.path, tmp_path / "copy"))
    lines = (copy.path / Run.TUPLES).read_bytes().splitlines(keepends=True)
    kept = [line for line in lines if not (b'"level":2' in line and b'"description":"hotel booking"' in line)]
    assert len(kept) == len(lines) - 1
    (copy.path / Run.TUPLES).write_bytes(b"".join(kept))
    with scripted_model(script.by_category(RUN_AGENTS)) as model:
        report = synth.generate(copy, "general", {**AGENT, "category": list(RUN_AGENTS), "n": 1, "difficulty": 2})
    assert report.new == 1 and len(model.requests) == 2  # the lost level's two turns, nothing else
    assert sorted((copy.path / Run.TUPLES).read_bytes().splitlines()) == sorted(line.rstrip(b"\n") for line in lines)


@pytest.mark.parametrize("flaw, reason", [
    ("opens the database", "solution.py attempted what generated code may not do (database; first: sqlite3.connect"),
    ("peeks at the database", "solution.py attempted what generated code may not do (database"),
    ("reads the data file", "solution.py attempted what generated code may not do (file access; first: open: /env/data.sql"),
    ("verifier the initial state satisfies", "passes every check of verify.py: the verifier accepts a wrong answer"),
    ("verifier crashes on wrong types", "verify.py could not grade the"),
    ("tool loops forever", "hotels_in did not finish within 3 s"),
    ("solution forks", "[forbidden code] solution.py line 5: os.fork is not allowed in generated code"),
    ("data fills the disk", "the database build attempted what generated code may not do (file write; first: open: /dev/shm/fill"),
    ("verifier tries the network", "[forbidden code] verify.py line 1: import of urllib.request is not allowed"),
    ("tools that change between runs", "[clock or entropy] tools.py line 18: time.time_ns: generated code sees no real clock"),
    ("data that changes between builds", "[clock or entropy] data.py line 6: os.urandom: generated code sees no real clock"),
    ("verifier builds SQL from the answer", "verify.py line 7: the SQL of execute() is built at run time"),
    ("solution that knows the answer", "the reference solution calls no tool: the task must need the tools"),
    ("too easy", "[too easy] too easy: the first_choice baseline"),
])
def test_a_flawed_environment_is_rejected_with_its_reason_and_conversation(flawed_run, flaw, reason):
    rejection = next(r for r in flawed_run.rejections() if r.details["category"] == flaw)
    assert rejection.family == "synthesized" and rejection.reason.startswith("level 1: ")
    assert reason in rejection.reason, rejection.reason
    assert rejection.details["gate_runs"] == 1 and rejection.details["failures"][0] in rejection.reason
    talk = conversation(flawed_run, rejection.details["conversation"])["agent"]
    assert [m["role"] for m in talk[:3]] == ["system", "user", "assistant"]
    assert reason in tool_results(talk)[-1]  # the agent was told the very reason
    assert not any(t.environment.metadata["description"] == flaw for t in flawed_run.tuples())


def test_no_flawed_environment_is_kept_and_no_container_is_left(flawed_run):
    assert flawed_run.tuples().read() == []
    assert len(flawed_run.rejections().read()) == len(script.FLAWED)
    drain()
    mine = engine().containers.list(all=True, filters={"label": f"synth.pid={os.getpid()}"})
    assert [c for c in mine if c.labels.get("synth.kind") == "agent"] == []
