"""What a model submits to a general task is graded and counted, whatever it is: an answer that
would have crashed a lenient verifier is a failed episode (reward 0, the reason in its verdict),
never an ungraded one that drops out of the pass rates and the RL export."""

from __future__ import annotations

import asyncio
import json

import pytest
from fakes import Scripted, call, completion

import synth
from synth import ModelClient, RolloutConfig, Run


@pytest.fixture(scope="module")
def shop_run(tmp_path_factory):
    run = Run.create(tmp_path_factory.mktemp("shop") / "r")
    synth.generate(run, "general", {"category": ["shopping"], "n": 1, "seed": 2, "difficulty": 3})
    assert synth.verify(run).ok
    return run


def roll(run: Run, submission: str, model: str) -> None:
    def reply(body, n):
        if not any(m["role"] == "tool" for m in body["messages"]):
            return completion(tool_calls=[call("submit_result", {"answer_text": submission}, "c1")])
        return completion("done")

    config = RolloutConfig(base_url="http://model.test/v1", model=model, retries=1)

    async def go():
        async with ModelClient(config, transport=Scripted(reply).transport()) as client:
            return await synth.rollout_run(run, config, client=client)

    asyncio.run(go())


@pytest.mark.parametrize("name, submission, check", [
    ("huge_integer", '{"store": "X", "items": [{"product": "SKU-1", "qty": 1' + "0" * 5000 + '}], "coupons": []}',
     "format.numbers"),
    ("deep_nesting", "[" * 5000 + "]" * 5000, "format.depth"),
    ("repeated_key", '{"store": "X", "store": "Y", "items": [], "coupons": []}', "format.keys"),
])
def test_exploit_a_submission_that_used_to_crash_the_verifier_is_a_graded_failure(shop_run, tmp_path, name,
                                                                                  submission, check):
    roll(shop_run, submission, model=name)
    episode = next(t for t in shop_run.trajectories() if t.model == name)
    assert episode.termination.value == "submitted"
    assert (episode.verdict.status, episode.verdict.reward) == ("fail", 0.0)
    assert [c.name for c in episode.verdict.checks] == [check] and episode.verdict.checks[0].message
    stats = synth.task_stats(shop_run, name)
    assert [(s.n, s.passed) for s in stats.values()] == [(1, 0)], "graded and counted, not dropped"
    out = tmp_path / "rl.jsonl"
    synth.export(shop_run, synth.ExportSettings(format="rl", out=out, model=name, keep_easy=True))
    line = json.loads(out.read_text().splitlines()[0])
    assert line["rollouts"][name]["samples"] == 1 and line["rollouts"][name]["passed"] == 0
