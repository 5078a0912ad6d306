"""`synth serve` for the container families, over openenv-core's WebSocket client: code tasks (a
container per session, plus the grading container of its submission) and synthesized tasks (their
sandbox image). The gold episode is the family's own gold solution (`Family.solve_gold`, the path
`synth verify` takes) whose every tool call goes through the server; a wrong answer scores 0; a
client that disconnects mid-episode or goes idle leaves no container behind, and its episode is
recorded as `abandoned` (no verdict), which `synth report` counts.

The runs are generated once per module and served `--unsound` (verifying a code task runs its 14
controls in containers, a minute on two cores; serving does not need it)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

import synth
from synth import Run, ToolClient
from synth._openenv import RemoteSession
from synth.verifiers.synthesized import drain

from serve_helpers import serving

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _code(root: Path) -> dict[str, Any]:
    from code_repos import make_repo

    return {"git": str(make_repo(root / "origin")), "k": 2, "timeout": 60, "n": 1}


def _synthesized(root: Path) -> dict[str, Any]:
    from agent_script import agent_server

    return {"category": ["hotel booking"], "base_url": agent_server(), "model": "scripted", "n": 1, "difficulty": 1}


FAMILIES = {
    # (generate settings, a harmless first tool call, a wrong submit call)
    "code": (_code, ("bash", {"command": "ls"}), ("submit", {})),
    "synthesized": (_synthesized, None, ("submit_result", {"answer_text": "[]"})),
}


@pytest.fixture(scope="module", params=sorted(FAMILIES))
def family_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    name = request.param
    root = tmp_path_factory.mktemp(f"serve-{name}")
    synth.generate(root / "run", name, FAMILIES[name][0](root))
    assert Run.open(root / "run").tuples().read(), f"no {name} tuple generated"
    return name, root / "run"


@pytest.fixture
def run(family_run: tuple[str, Path], tmp_path: Path) -> Path:
    shutil.copytree(family_run[1], tmp_path / "run")
    return tmp_path / "run"


def mine() -> set[str]:
    """Containers synth started from this process (the server runs in a thread of it), by id: an
    earlier test's container still being removed must not count as one of this test's. Fresh
    sandboxes the synthesized family starts ahead of need (its pool) are removed first: they belong
    to no session."""
    import docker

    drain()
    return {c.id for c in docker.from_env().containers.list(
        all=True, sparse=True, filters={"label": ["synth.sandbox", f"synth.pid={os.getpid()}"]})}


def settle(url: str, before: set[str]) -> tuple[dict[str, int], int]:
    """(the server's sessions and environments, containers started since `before`) once both reach 0,
    or after 30 s."""
    deadline = time.monotonic() + 30
    while True:
        counts = httpx.get(url + "/synth/sessions").json()
        left = len(mine() - before)
        if (counts["sessions"] == 0 and counts["environments"] == 0 and left == 0) or time.monotonic() > deadline:
            return counts, left
        time.sleep(0.1)


def first_call(name: str, tools: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    call = FAMILIES[name][1]
    if call is not None:
        return call
    free = next(t["function"]["name"] for t in tools
                if not t["function"]["parameters"].get("required") and t["function"]["name"] not in ("submit", "submit_result"))
    return free, {}


def served(run: Path, model: str) -> list[synth.Trajectory]:
    return [t for t in Run.open(run).trajectories() if t.model == f"serve:{model}"]


def test_the_gold_solution_through_the_server_scores_1_and_a_wrong_answer_0(family_run: tuple[str, Path], run: Path) -> None:
    name = family_run[0]
    record = Run.open(run).tuples().read()[0]
    before = mine()
    with serving(run, record=True, unsound=True, keep_easy=True) as (url, _app):
        session = RemoteSession(url)
        try:
            first = session.reset(task_key=record.key, model="tester")
            assert first["done"] is False and first["family"] == name and not first.get("error")
            calls: list[str] = []
            ended: list[dict[str, Any]] = []

            def send(tool: str, arguments: str) -> str:
                calls.append(tool)
                observation = session.call(tool, arguments)
                if observation.get("verdict"):
                    ended.append(observation)
                return observation["result"]

            synth.family(name).solve_gold(record, Run.open(run), ToolClient(send, list(record.environment.tools)))
            assert ended and ended[0]["reward"] == 1.0 and ended[0]["verdict"]["status"] == "pass", ended
            assert httpx.get(url + "/synth/sessions").json()["environments"] == 0  # graded: its containers are gone

            session.reset(task_key=record.key, model="tester")
            tool, arguments = FAMILIES[name][2]
            wrong = session.call(tool, arguments)
            assert wrong["done"] and wrong["reward"] == 0.0 and wrong["verdict"]["status"] == "fail"
        finally:
            session.close()
        assert settle(url, before) == ({"sessions": 0, "environments": 0, "served_tasks": 1}, 0)
    recorded = served(run, "tester")
    assert [(t.verdict.reward, t.termination.value) for t in recorded] == [(1.0, "submitted"), (0.0, "submitted")]
    assert [c.function.name for m in recorded[0].messages for c in (m.tool_calls or [])] == calls


def test_a_disconnect_mid_episode_removes_the_containers_and_is_recorded_abandoned(family_run: tuple[str, Path], run: Path) -> None:
    name = family_run[0]
    before = mine()
    with serving(run, record=True, unsound=True, keep_easy=True) as (url, _app):
        async def gone_mid_episode() -> int:
            from websockets.asyncio.client import connect

            async with connect(url.replace("http", "ws") + "/ws") as ws:
                await ws.send(json.dumps({"type": "reset", "data": {"model": "dropped"}}))
                first = json.loads(await ws.recv())["data"]["observation"]
                assert first["task_key"] and not first.get("error")
                tool, arguments = first_call(name, first["tools"])
                await ws.send(json.dumps({"type": "step", "data": {"type": "call_tool", "tool_name": tool, "arguments": arguments}}))
                step = json.loads(await ws.recv())["data"]["observation"]
                assert not step.get("error"), step
                return len(mine() - before)  # the session's container is up; then the socket goes, no close message

        assert asyncio.run(gone_mid_episode()) >= 1
        assert settle(url, before) == ({"sessions": 0, "environments": 0, "served_tasks": 1}, 0)
    (abandoned,) = served(run, "dropped")
    assert abandoned.termination.value == "abandoned" and abandoned.verdict is None
    assert abandoned.extra["abandoned"] == "session closed" and abandoned.extra["steps"] == 1
    from synth._runindex import RunIndex

    endings = [(e.termination, e.graded) for e in RunIndex.open(run).episodes("model")]  # synth report's Endings table
    assert endings == [("abandoned", False)]


def test_an_idle_session_is_reaped_with_its_containers(family_run: tuple[str, Path], run: Path) -> None:
    name = family_run[0]
    before = mine()
    with serving(run, record=True, unsound=True, keep_easy=True, idle_timeout=1.0) as (url, _app):
        session = RemoteSession(url)
        first = session.reset(model="idle")
        tool, arguments = first_call(name, first["tools"])
        assert not session.call(tool, arguments).get("error")
        assert len(mine() - before) >= 1
        # OpenEnv's reaper looks every 5 s at least
        assert settle(url, before) == ({"sessions": 0, "environments": 0, "served_tasks": 1}, 0)
        session.close()
    (abandoned,) = served(run, "idle")
    assert abandoned.termination.value == "abandoned" and abandoned.verdict is None
