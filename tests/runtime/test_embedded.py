"""End to end against the real embedded model server (SmolLM2-135M-Instruct on llama-cpp-python):
the protocol and the records, never whether a 135M model solves a task. The server starts once per
session; `synth rollout` without a base URL starts and stops its own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import synth
from synth import TerminationReason, Trajectory
from synth import RolloutConfig
from synth._dsv32 import BOS
from synth._export import rl_lines, sft_lines
from synth import rollout_run
from synth import embedded_server

from synth.cli import app

from .conftest import make_run

pytestmark = pytest.mark.model

FINISHED = {t for t in TerminationReason if not t.infrastructure}


@pytest.fixture(scope="session")
def embedded() -> str:
    server = embedded_server()
    with server.start(timeout=180):
        yield server.base_url


def model_trajectories(run: synth.Run) -> list[Trajectory]:
    return [t for t in run.trajectories() if t.source == "model"]


def assert_protocol(trajectory: Trajectory) -> None:
    """Every tool result answers a call the assistant made just before it, in order."""
    assert trajectory.termination in FINISHED, trajectory.extra.get("error")
    assert trajectory.verdict is not None and trajectory.verdict.status in ("pass", "fail")
    assert trajectory.usage["prompt_tokens"] > 0 and trajectory.usage["completion_tokens"] > 0
    pending: list[str] = []
    for message in trajectory.messages[2:]:
        if message.role == "assistant":
            assert not pending, "tool calls left unanswered"
            pending = [c.id for c in message.tool_calls or []]
        elif message.role == "tool":
            assert pending and message.tool_call_id == pending.pop(0)
            json.loads(message.content)  # results are JSON text


def test_rollout_over_the_embedded_model_is_graded_and_exported(tmp_path: Path, embedded: str) -> None:
    run = make_run(tmp_path / "run", 2)
    config = RolloutConfig(base_url=embedded, model="SmolLM2-135M-Instruct", max_tokens=48, max_steps=3, context_window=8192, concurrency=1, seed=7)
    stats = asyncio.run(rollout_run(run, config))
    got = model_trajectories(run)
    assert stats.done == 2 and len(got) == 2 and stats.infrastructure == 0
    for trajectory in got:
        assert trajectory.model == "SmolLM2-135M-Instruct" and trajectory.sampling["seed"] == 7
        assert_protocol(trajectory)
    assert any(m.tool_calls for t in got for m in t.messages)  # the server's grammar makes real calls
    passing = sum(t.verdict.status == "pass" for t in got)
    assert len(list(sft_lines(run, "model"))) == passing
    facts = [line.rollouts["SmolLM2-135M-Instruct"] for line in rl_lines(run)]
    assert [f["samples"] for f in facts] == [1, 1]


def test_completions_endpoint_keeps_the_exact_v32_prompt(tmp_path: Path, embedded: str) -> None:
    run = make_run(tmp_path / "run", 1)
    config = RolloutConfig(base_url=embedded, model="SmolLM2-135M-Instruct", endpoint="completions", max_tokens=24, max_steps=2, context_window=8192)
    asyncio.run(rollout_run(run, config))
    (trajectory,) = model_trajectories(run)
    prompt = trajectory.extra["prompt_text"]
    assert prompt.startswith(BOS + "You are a helpful assistant with tools.\n\n## Tools")
    assert '"name": "lookup"' in prompt
    assert prompt.endswith("</think>")  # non-thinking mode: every turn the model continues opens after </think>
    assert trajectory.termination in FINISHED and trajectory.verdict is not None


def test_cli_rollout_starts_and_stops_its_own_embedded_server_on_general_tasks(tmp_path: Path) -> None:
    runner = CliRunner()
    run = tmp_path / "general"
    made = runner.invoke(app, ["generate", "general", "--category", "meeting_scheduling", "--n", "1", "--out", str(run)])
    assert made.exit_code == 0, made.output
    assert runner.invoke(app, ["verify", str(run)]).exit_code == 0
    result = runner.invoke(app, ["rollout", str(run), "--max-steps", "2", "--max-tokens", "48"])
    assert result.exit_code == 0, result.output
    assert "1 episodes run" in result.output and "graded episodes pass over 1 tasks" in result.output
    base_url = re.search(r"embedded model at (\S+)", result.output).group(1)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base_url}/models", timeout=2)
    (trajectory,) = model_trajectories(synth.Run.open(run))
    assert_protocol(trajectory)
    assert trajectory.tools and trajectory.tools[-1].name == "submit_result"
    out = tmp_path / "gold.sft.jsonl"
    assert runner.invoke(app, ["export", str(run), "--keep-easy", "--format", "sft", "--source", "gold", "--out", str(out)]).exit_code == 0
    (gold,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert gold["source"] == "gold" and gold["reward"] == 1.0
    assert any(m.get("tool_calls") for m in gold["messages"]) and any(m["role"] == "tool" for m in gold["messages"])


def test_embedded_tool_calls_stop_at_the_requested_max_tokens(embedded: str) -> None:
    # llama-cpp's tool-call handler generates with no limit of its own; synth's launcher caps it
    tool = {"type": "function", "function": {"name": "note", "description": "Write a note.",
            "parameters": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}}  # fmt: skip
    body = {"messages": [{"role": "user", "content": "Write a very long note about the sea with the note tool."}],
            "tools": [tool], "tool_choice": {"type": "function", "function": {"name": "note"}}, "max_tokens": 8}  # fmt: skip
    data = httpx.post(f"{embedded}/chat/completions", json=body, timeout=120).json()
    assert data["usage"]["completion_tokens"] <= 8
    assert data["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "note"


def _server_pid(port: int) -> int:
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"synth._serve" in argv and str(port).encode() in argv:
            return int(proc.name)
    raise AssertionError(f"no embedded server process on port {port}")


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_rollout_leaves_no_embedded_server_behind(tmp_path: Path, how: signal.Signals) -> None:
    # killed in the middle of a generation, the server used to finish it first (minutes on a busy
    # CPU) while holding both cores
    run = synth.Run.create(tmp_path / "run")
    synth.generate(run, "general", {"category": ["meeting_scheduling"], "n": 1, "seed": 2})
    synth.verify(run)
    rollout = subprocess.Popen([sys.executable, "-m", "synth.cli", "rollout", str(run.path), "--tasks", "1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert rollout.stderr is not None
    for line in rollout.stderr:
        found = re.search(r"embedded model at (\S+)", line)
        if found:
            break
    else:
        pytest.fail(f"the rollout ended before its server answered (exit {rollout.wait()})")
    url = found.group(1)
    server = _server_pid(int(url.rsplit(":", 1)[1].split("/")[0]))
    long_story = {"messages": [{"role": "user", "content": "Tell a very long story."}], "max_tokens": 6000}

    def ask_for_a_long_story() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server is killed under it
            httpx.post(f"{url}/chat/completions", json=long_story, timeout=600)

    busy = threading.Thread(target=ask_for_a_long_story, daemon=True)
    busy.start()
    time.sleep(2)  # let the long generation start (the kill must find the server busy)
    rollout.send_signal(how)
    rollout.wait()
    deadline = time.monotonic() + 60
    while Path(f"/proc/{server}").exists() and (Path(f"/proc/{server}/stat").read_text().split()[2] != "Z"):
        assert time.monotonic() < deadline, "the embedded server outlived the rollout that started it"
        time.sleep(0.1)
