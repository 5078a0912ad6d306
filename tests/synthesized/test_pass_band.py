"""--pass-at K: an environment that passes the gate is rolled out K times with the configured model
and kept only when its pass count is inside the band (the report kept tasks with non-zero pass@k).
The scripted model plays both the agent and the solver."""

from __future__ import annotations

import json

import agent_script as script
import pytest
from fakes import call, completion

import synth

from .helpers import AGENT, scripted_model

pytestmark = pytest.mark.docker

# the added sentence states no requirement, and rules.json says so (the gate refuses an unmapped sentence)
HARD = {**script.LEVEL1, "task.md": script.TASK + "Think carefully.\n",
        "rules.json": json.dumps({**script.RULES, "Think carefully.": "context"}, indent=1) + "\n"}
AGENTS = {"hotel booking": lambda: script.ScriptedAgent({1: [script.writes(script.LEVEL1)]}),
          "hotel booking no model solves": lambda: script.ScriptedAgent({1: [script.writes(HARD)]})}


def model(body, n):
    if body["messages"][0]["content"].startswith("You write environments"):
        return script.by_category(AGENTS)(body, n)
    prompt = next(m["content"] for m in body["messages"] if m["role"] == "user")
    if not any(m["role"] == "tool" for m in body["messages"]):
        return completion(tool_calls=[call("hotels_in", {"city": "Rome"}, "a")])
    answer = {"Rome": "Casa Vaticano" if "Think carefully" in prompt else "Pensione Tevere", "Oslo": "Nordlys"}
    return completion(tool_calls=[call("submit_result", {"answer_text": json.dumps(answer)}, "b")])


def test_the_pass_rate_band_keeps_what_the_model_solves_and_refuses_what_it_never_does(tmp_path, base_image):
    run = synth.Run.create(tmp_path / "run")
    with scripted_model(model):
        synth.generate(run, "general", {**AGENT, "category": list(AGENTS), "n": 1, "difficulty": 1, "max_turns": 1,
                                        "pass_at": 2})
    (kept,) = run.tuples().read()
    assert kept.environment.metadata["description"] == "hotel booking"
    assert kept.environment.metadata["gate"]["pass_at"] == {"k": 2, "passed": 2}
    episodes = json.loads(run.read_asset(kept.environment.state["conversation"]))["pass_at"]
    assert [e["status"] for e in episodes] == ["pass", "pass"] and all(e["messages"] for e in episodes)
    (refused,) = run.rejections().read()
    assert refused.reason == ("level 1: the model solved it 0 of 2 times, outside the band 1..2: "
                              "make it solvable from what the prompt and tools give")
