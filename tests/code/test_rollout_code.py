"""A model rolled through a code task by the rollout runtime (scripted model, real Docker): its tool
calls reach the container, its diff is executed at the end, and the verdict comes from artifacts."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from synth import TerminationReason, family
from synth import ModelClient
from synth import RolloutConfig
from synth import grade_trajectory, run_episode

from .helpers import add_fix_task

pytestmark = pytest.mark.docker


def _reply(tool: str, arguments: dict, n: int) -> dict:
    call = {"id": f"c{n}", "type": "function", "function": {"name": tool, "arguments": json.dumps(arguments)}}
    return {"choices": [{"index": 0, "message": {"role": "assistant", "content": None, "tool_calls": [call]},
                         "finish_reason": "tool_calls"}], "usage": {"prompt_tokens": 10, "completion_tokens": 5}}


def _episode(calc_run, plan):
    requests = []

    def model(request: httpx.Request) -> httpx.Response:
        requests.append(json.loads(request.content))
        tool, arguments = plan[len(requests) - 1]
        return httpx.Response(200, json=_reply(tool, arguments, len(requests)))

    config = RolloutConfig(base_url="http://model.test/v1", model="scripted", max_steps=8)
    record = add_fix_task(calc_run)

    async def go():
        async with ModelClient(config, transport=httpx.MockTransport(model)) as client:
            return await run_episode(client, config, family("code"), record, calc_run, 0)

    return record, asyncio.run(go()), requests


def test_a_model_that_fixes_the_bug_passes(calc_run):
    record, trajectory, requests = _episode(calc_run, [
        ("edit", {"path": "calc/__init__.py", "old_str": "abs(a) + abs(b)", "new_str": "a + b"}),
        ("submit", {}),
    ])
    assert [t["function"]["name"] for t in requests[0]["tools"]] == ["bash", "view", "edit", "submit"]
    assert trajectory.termination is TerminationReason.SUBMITTED
    assert trajectory.verdict is not None and trajectory.verdict.status == "pass", trajectory.verdict
    assert trajectory.extra["artifacts"]["runs"][0]["junit_xml"]
    assert grade_trajectory(record, trajectory, calc_run).status == "pass"  # regrade from the stored record


def test_a_model_that_rewrites_the_tests_fails(calc_run):
    _, trajectory, _ = _episode(calc_run, [
        ("bash", {"command": "printf 'def test_add_negative():\\n    pass\\n' > tests/test_calc.py"}),
        ("submit", {}),
    ])
    assert trajectory.verdict is not None and trajectory.verdict.status == "fail"
    assert "tests/test_calc.py" in trajectory.extra["artifacts"]["dropped_paths"]


def test_a_container_that_dies_mid_episode_is_an_environment_error_not_a_tool_error(calc_run):
    # a dead container used to come back to the model as a tool_failure it was blamed for
    import os

    from synth.sandbox import engine

    def kill_my_agent_containers() -> None:
        for container in engine().containers.list(filters={"label": ["synth.kind=agent", f"synth.pid={os.getpid()}"]}):
            container.remove(force=True)

    requests = []

    def model(request: httpx.Request) -> httpx.Response:
        requests.append(json.loads(request.content))
        if len(requests) == 2:
            kill_my_agent_containers()
        return httpx.Response(200, json=_reply("bash", {"command": "ls"}, len(requests)))

    config = RolloutConfig(base_url="http://model.test/v1", model="scripted", max_steps=4)
    record = add_fix_task(calc_run)

    async def go():
        async with ModelClient(config, transport=httpx.MockTransport(model)) as client:
            return await run_episode(client, config, family("code"), record, calc_run, 0)

    trajectory = asyncio.run(go())
    assert trajectory.termination is TerminationReason.ENVIRONMENT_ERROR and trajectory.verdict is None
    assert "health check" in trajectory.extra["error"] and trajectory.tool_errors == 0


@pytest.mark.parametrize("name", ["calc/evil\n@@synth:boom.py", "calc/x\n@@synth:changed@@\ncalc/__init__.py"])
def test_a_file_name_holding_the_listings_section_marker_is_graded_not_an_environment_error(calc_run, name):
    # git's listing of a diff was parsed out of one mixed output, split on "\n@@synth:"; a path name is
    # the model's text, so a file named with the marker forged a section (a ValueError: every
    # episode ended environment_error, ten in a row stopped the rollout)
    _, trajectory, _ = _episode(calc_run, [
        ("bash", {"command": f"printf 'x = 1\\n' > $'{name.replace(chr(10), chr(92) + 'n')}'"}),
        ("submit", {}),
    ])
    assert trajectory.termination is TerminationReason.SUBMITTED, (trajectory.termination, trajectory.extra.get("error"))
    assert trajectory.verdict is not None and trajectory.verdict.status == "fail", trajectory.verdict
