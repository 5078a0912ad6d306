"""`synth serve RUN`: the run's environments over the OpenEnv protocol, driven by openenv-core's own
WebSocket client (`EnvClient`, through synth's `RemoteSession`). A served episode's reward is the
task verifier's verdict, the same one `--record` writes to the run; what a client sends wrong comes
back as a structured error and the server goes on serving."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import synth
from synth import ConfigError, Run
from synth._openenv import RemoteSession

from serve_helpers import gold_answers, serving


def _hard(run: Path) -> int:
    """Sound tasks that no baseline (built-in or white-box) solves: what `synth serve` serves by default."""
    return len(synth.sound_keys(Run.open(run)) - synth.easy_keys(Run.open(run)))


def test_a_gold_and_a_wrong_episode_get_the_verifiers_verdicts_and_are_recorded(general_run: Path, tmp_path: Path) -> None:
    import shutil

    run = tmp_path / "run"
    shutil.copytree(general_run, run)
    gold = gold_answers(run)
    rewards = []
    with serving(run, record=True) as (url, _app):
        session = RemoteSession(url)
        try:
            for answer in ("gold", "wrong", "gold"):
                first = session.reset(category="trip_planning", model="tester")
                assert first["done"] is False and first["prompt"][-1]["role"] == "user"
                names = [t["function"]["name"] for t in first["tools"]]
                assert names[-1] == "submit_result"
                looked = session.call(names[0], {})
                assert looked["done"] is False and "error" not in looked
                text = gold[first["task_key"]] if answer == "gold" else "[]"
                done = session.call("submit_result", {"answer_text": text})
                assert done["done"] is True and done["verdict"]["status"] == ("pass" if answer == "gold" else "fail")
                rewards.append((first["task_key"], done["reward"]))
                state = session.state()
                assert state["task_key"] == first["task_key"] and state["reward"] == done["reward"] and state["done"]
        finally:
            session.close()
    assert [r for _, r in rewards] == [1.0, 0.0, 1.0]
    assert rewards[0][0] != rewards[1][0] and rewards[2][0] == rewards[0][0]  # round robin over the 2 trip tasks
    served = [t for t in Run.open(run).trajectories() if t.model == "serve:tester"]
    assert [(t.task_key, t.verdict.reward) for t in served] == rewards
    assert all(t.termination.value == "submitted" and t.messages[-1].role == "tool" for t in served)
    report = subprocess.run([sys.executable, "-m", "synth.cli", "report", str(run)], capture_output=True, text=True)
    assert report.returncode == 0, report.stderr


def test_reset_by_task_key_seed_and_a_completion_submit(general_run: Path) -> None:
    gold = gold_answers(general_run)
    key = sorted(set(gold) - synth.easy_keys(Run.open(general_run)))[0]  # a served task (easy ones are not)
    with serving(general_run) as (url, _app):
        session = RemoteSession(url)
        try:
            assert session.reset(task_key=key)["task_key"] == key
            done = session.submit(f"<think>let me see</think>Final:\n```json\n{gold[key]}\n```")
            assert done["done"] and done["reward"] == 1.0
            a = session.reset(seed=7)["task_key"]
            assert session.reset(seed=7)["task_key"] == a
            session.reset(task_key=key)
            assert session.submit("I could not find a schedule.")["reward"] == 0.0
        finally:
            session.close()


def test_bad_input_is_a_structured_error_and_the_server_goes_on(general_run: Path) -> None:
    with serving(general_run) as (url, app):
        session = RemoteSession(url)
        try:
            assert session.call("list_rooms", {})["error"]["type"] == "no_episode"
            assert session.submit("[]")["error"]["type"] == "no_episode"
            assert session.reset(task_key="f" * 64)["error"]["type"] == "unknown_task"
            assert session.reset(family="nope")["error"]["type"] == "no_task"
            assert session.reset(seed=[1])["error"]["type"] == "invalid_reset"
            assert session.reset(difficulty="three")["error"]["type"] == "invalid_reset"
            assert session.call("list_rooms", {})["error"]["type"] == "no_episode"  # a refused reset starts nothing
            first = session.reset(category="shopping")
            assert session.call("rm_rf", {})["error"]["type"] == "unknown_tool"
            tool = first["tools"][0]["function"]["name"]
            assert session.call(tool, "{not json")["error"]["type"] == "invalid_json"
            assert session.call(tool, '{"a": 1, "a": 2}')["error"]["type"] in ("invalid_json", "invalid_arguments")
            assert session.call(tool, {"no_such_argument": 1})["error"]["type"] == "invalid_arguments"
            with pytest.raises(RuntimeError, match="VALIDATION_ERROR"):  # not an object nor text: refused by the action schema
                session._client.step({"type": "call_tool", "tool_name": tool, "arguments": [1, 2]})
            done = session.call("submit_result", {"answer_text": "[]"})
            assert done["done"] and done["reward"] == 0.0
            again = session.call("submit_result", {"answer_text": "[]"})
            assert again["error"]["type"] == "episode_over" and again["done"]
            assert session.submit("[]")["error"]["type"] == "episode_over"
            assert session.state()["step_count"] == 5  # the calls the environment ran (the list was refused before)
        finally:
            session.close()

        async def raw() -> list[dict]:
            from websockets.asyncio.client import connect

            async with connect(url.replace("http", "ws") + "/ws") as ws:
                out = []
                for text in ("not json", json.dumps({"type": "launch"}), json.dumps({"type": "step", "data": {"type": "explode"}})):
                    await ws.send(text)
                    out.append(json.loads(await ws.recv()))
                return out

        codes = [m["data"]["code"] for m in asyncio.run(raw())]
        assert codes == ["INVALID_JSON", "UNKNOWN_TYPE", "VALIDATION_ERROR"]
        one_shot = httpx.post(url + "/reset", json={"seed": 3}).json()  # OpenEnv's one-shot HTTP reset
        assert one_shot["observation"]["task_key"] and one_shot["done"] is False
        assert httpx.get(url + "/health").status_code == 200
        assert _sessions(url) == {"sessions": 0, "environments": 0, "served_tasks": _hard(general_run)}


def _sessions(url: str) -> dict[str, int]:
    """The server's live sessions and environments, once closing sessions have gone (or after 5 s)."""
    for _ in range(100):
        counts = httpx.get(url + "/synth/sessions").json()
        if counts["sessions"] == 0 and counts["environments"] == 0:
            break
        time.sleep(0.05)
    return counts


def test_easy_and_unsound_tuples_are_served_only_when_asked(easy_run: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no task to serve"):
        with serving(easy_run):
            pass
    with serving(easy_run, keep_easy=True) as (url, _app):
        session = RemoteSession(url)
        assert session.reset(seed=1)["done"] is False
        session.close()
    import synth

    synth.generate(tmp_path / "raw", "general", {"n": 1, "seed": 1, "difficulty": 3, "category": ["shopping"]})
    with pytest.raises(Exception, match="not been verified"):
        with serving(tmp_path / "raw"):
            pass
    with serving(tmp_path / "raw", unsound=True, keep_easy=True) as (url, _app):
        session = RemoteSession(url)
        assert session.reset()["done"] is False
        session.close()


def test_max_sessions_refuses_one_more_and_frees_a_slot_on_disconnect(general_run: Path) -> None:
    with serving(general_run, max_sessions=2) as (url, _app):
        first, second = RemoteSession(url), RemoteSession(url)
        first.reset()
        second.reset()
        async def third() -> dict:
            from websockets.asyncio.client import connect

            async with connect(url.replace("http", "ws") + "/ws") as ws:
                return json.loads(await ws.recv())  # the server says why, then closes

        refused = asyncio.run(third())
        assert refused["type"] == "error" and refused["data"]["code"] == "CAPACITY_REACHED"
        first.close()  # a disconnect mid-episode ends that session
        for _ in range(100):
            try:
                fourth = RemoteSession(url)
                assert fourth.reset()["done"] is False
                break
            except Exception:
                time.sleep(0.05)
        else:
            raise AssertionError("the closed session's slot was not freed")
        fourth.close()
        second.close()


def test_the_command_line_serves_and_refuses_bad_input(general_run: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "synth.cli", "serve", str(general_run), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()  # type: ignore[union-attr]
        assert url.startswith("http://127.0.0.1:")
        session = RemoteSession(url)
        assert session.reset()["done"] is False
        session.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    missing = subprocess.run([sys.executable, "-m", "synth.cli", "serve", str(general_run.parent / "nope")], capture_output=True, text=True)
    assert missing.returncode == 2 and missing.stderr.startswith("synth: error: ") and missing.stderr.count("\n") == 1


@pytest.mark.docker
def test_a_container_familys_session_removes_its_container_on_disconnect(tmp_path: Path) -> None:
    """Interpreter tasks run a kernel container per episode: started by reset, removed when the
    client goes away mid-episode (no close message) and when an episode ends with its verdict."""
    import os

    import docker

    import synth

    run = tmp_path / "interpreter"
    synth.generate(run, "interpreter", {"n": 1, "seed": 1, "difficulty": 1, "category": ["math"]})
    assert synth.verify(Run.open(run)).ok
    gold = gold_answers(run)
    engine = docker.from_env()

    def mine() -> int:
        return len(engine.containers.list(all=True, sparse=True, filters={"label": ["synth.sandbox", f"synth.pid={os.getpid()}"]}))

    before = mine()
    with serving(run, record=True) as (url, _app):
        async def gone_mid_episode() -> int:
            from websockets.asyncio.client import connect

            async with connect(url.replace("http", "ws") + "/ws") as ws:
                await ws.send(json.dumps({"type": "reset", "data": {}}))
                first = json.loads(await ws.recv())["data"]["observation"]
                assert first["task_key"] and not first.get("error")
                await ws.send(json.dumps({"type": "step", "data": {"type": "call_tool", "tool_name": "python",
                                                                   "arguments": {"code": "x = 41"}}}))
                json.loads(await ws.recv())
                return mine() - before  # the kernel's container is up

        assert asyncio.run(gone_mid_episode()) >= 1
        assert _sessions(url) == {"sessions": 0, "environments": 0, "served_tasks": 1}
        session = RemoteSession(url)
        key = session.reset()["task_key"]
        assert session.call("python", {"code": "print(6 * 7)"})["result"]
        done = session.call("submit", {"answer": gold[key]})
        assert done["done"] and done["reward"] == 1.0
        assert _sessions(url)["environments"] == 0  # graded: its container is gone before the session ends
        session.close()
    for _ in range(100):
        if mine() == before:
            break
        time.sleep(0.1)
    assert mine() == before


def test_an_idle_session_is_reaped_with_its_environment(general_run: Path) -> None:
    """--idle-timeout: a session that stops talking is closed (OpenEnv's reaper looks every 5 s at least)."""
    with serving(general_run, idle_timeout=1.0) as (url, _app):
        session = RemoteSession(url)
        assert session.reset()["done"] is False
        assert httpx.get(url + "/synth/sessions").json()["environments"] == 1
        deadline = time.monotonic() + 30
        while httpx.get(url + "/synth/sessions").json() != {"sessions": 0, "environments": 0,
                                                            "served_tasks": _hard(general_run)}:
            assert time.monotonic() < deadline, "the idle session was not reaped"
            time.sleep(0.2)
        session.close()


@pytest.mark.docker
def test_concurrent_first_resets_of_a_fresh_server_all_start(tmp_path: Path) -> None:
    """A fresh `synth serve` process, 8 sessions resetting at once: each gets its kernel (before the
    families were resolved in the main thread, the registry's first load raced and most resets
    saw no family)."""
    from concurrent.futures import ThreadPoolExecutor

    import synth

    run = tmp_path / "interpreter"
    synth.generate(run, "interpreter", {"n": 2, "seed": 2, "difficulty": 1, "category": ["math"]})
    assert synth.verify(Run.open(run)).ok
    process = subprocess.Popen([sys.executable, "-m", "synth.cli", "serve", str(run), "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        url = process.stdout.readline().strip()  # type: ignore[union-attr]
        sessions = [RemoteSession(url) for _ in range(8)]
        with ThreadPoolExecutor(8) as pool:
            firsts = list(pool.map(lambda s: s.reset(), sessions))
        assert [f.get("error") for f in firsts] == [None] * 8 and all(f["task_key"] for f in firsts)
        for session in sessions:
            session.close()
        assert _sessions(url) == {"sessions": 0, "environments": 0, "served_tasks": 2}
    finally:
        process.terminate()
        process.wait(timeout=60)
