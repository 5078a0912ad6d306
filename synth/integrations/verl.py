"""synth's tools for verl's multi-turn rollouts: `SynthTool`, a `verl.tools.base_tool.BaseTool`.

`synth export --format verl --out NAME.parquet` writes NAME.tools.yaml, one `SynthTool` per tool schema
(pass it as `actor_rollout_ref.rollout.multi_turn.tool_config_path`; a name two categories give
different schemas becomes NAME__CATEGORY, `config.tool` naming the task's tool), and gives every row
`extra_info.tools_kwargs` = {tool: {create_kwargs: {run, task_key}}} and `tool_selection` (the task's
own tools). verl (0.9.1) calls `create(create_kwargs=...)`, `execute(instance_id, parameters,
agent_data=...)` and `release(instance_id)` around every tool call of its `ToolAgentLoop`; an
episode's state therefore lives in a synth session keyed by the trajectory (`agent_data.request_id`,
else the instance id), opened at its first call and closed once the submit tool ends it (or after
`idle_seconds` without a call). The submit call's step reward is the task verifier's reward, and
`calc_reward` gives the same for the instance's episode.

Config keys (the YAML's `config:` beside `type: native`): `tool` (the task's tool this one runs;
default: its own name), `url` (a `synth serve` server; default: in
process over the row's run), `record` (in process: append each episode to the run), `keep_easy`,
`idle_seconds` (default 900).

Each episode runs in a thread of its own (SQLite connections and containers stay with the thread
that opened them); verl's event loop never blocks on a tool.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Optional
from uuid import uuid4

from verl.tools.base_tool import BaseTool
from verl.tools.schemas import OpenAIFunctionToolSchema, ToolResponse


class _Episode:
    def __init__(self, session: Any) -> None:
        self.session = session
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synth-episode")
        self.touched = time.monotonic()
        self.reward: float | None = None
        self.done = False

    def close(self) -> None:
        try:
            self.thread.submit(self.session.close).result(timeout=300)
        except Exception:
            pass
        self.thread.shutdown(wait=False)


_episodes: dict[str, _Episode] = {}
_instances: dict[str, dict[str, Any]] = {}
_rewards: dict[str, tuple[float, float]] = {}
"""Graded episodes: key -> (reward, when); kept `idle_seconds` for calc_reward and late calls."""
_lock = threading.Lock()


class SynthTool(BaseTool):
    """One of a synth task's tools, run in that task's synth session (see the module docstring)."""

    def __init__(self, config: dict, tool_schema: OpenAIFunctionToolSchema) -> None:
        super().__init__(config, tool_schema)
        self.url: Optional[str] = config.get("url")
        self.record = bool(config.get("record", False))
        self.keep_easy = bool(config.get("keep_easy", False))
        self.idle_seconds = float(config.get("idle_seconds", 900))
        self.tool = str(config.get("tool") or self.name)
        """The task's own tool this one runs (its verl name is NAME__CATEGORY where two categories
        of the export give one name different schemas)."""

    async def create(self, instance_id: Optional[str] = None, **kwargs: Any) -> tuple[str, ToolResponse]:
        create = kwargs.get("create_kwargs", kwargs) or {}
        instance_id = instance_id or str(uuid4())
        with _lock:
            _instances[instance_id] = {"run": create.get("run"), "task_key": create.get("task_key")}
        await self._reap()
        return instance_id, ToolResponse()

    async def execute(self, instance_id: str, parameters: dict[str, Any], **kwargs: Any) -> tuple[ToolResponse, float, dict]:
        key = _episode_key(instance_id, kwargs.get("agent_data"))
        with _lock:
            spec = _instances.get(instance_id) or {}
        if not spec.get("task_key") or (not spec.get("run") and not self.url):
            return ToolResponse(text=json.dumps({"error": {"type": "no_task", "message": "this row names no synth task: "
                                                            "export with synth export --format verl (tools_kwargs)"}})), 0.0, {}
        with _lock:
            graded = key in _rewards
        if graded:
            return ToolResponse(text=json.dumps({"error": {"type": "episode_over", "message": "the answer was already submitted"}})), 0.0, {}
        episode = _episodes.get(key)
        if episode is None:
            episode = await self._open(key, spec)
            if isinstance(episode, ToolResponse):
                return episode, 0.0, {"synth_error": 1}
        episode.touched = time.monotonic()
        if episode.done:
            return ToolResponse(text=json.dumps({"error": {"type": "episode_over", "message": "the answer was already submitted"}})), 0.0, {}
        loop = asyncio.get_running_loop()
        observation = await loop.run_in_executor(episode.thread, episode.session.call, self.tool, parameters)
        metrics: dict[str, Any] = {"synth_tool_error": int(bool(observation.get("error")))}
        if observation.get("verdict"):
            reward = float(observation["reward"])
            episode.reward, episode.done = reward, True
            with _lock:
                _rewards[key] = (reward, time.monotonic())
                _episodes.pop(key, None)
            episode.close()
            metrics.update(synth_reward=reward, synth_status=observation["verdict"]["status"])
            return ToolResponse(text=json.dumps({"status": "submitted"})), reward, metrics
        return ToolResponse(text=observation.get("result") or json.dumps({"error": observation.get("error")})), 0.0, metrics

    async def calc_reward(self, instance_id: str, **kwargs: Any) -> float:
        key = _episode_key(instance_id, kwargs.get("agent_data"))
        with _lock:
            return _rewards.get(key, (0.0, 0.0))[0]

    async def release(self, instance_id: str, **kwargs: Any) -> None:
        """Forget the instance. An episode keyed by the instance itself (no trajectory id) ends with
        it; one keyed by its trajectory lives on for the trajectory's next call."""
        with _lock:
            _instances.pop(instance_id, None)
            episode = _episodes.pop(instance_id, None)
            _rewards.pop(instance_id, None)
        if episode is not None:
            await asyncio.get_running_loop().run_in_executor(None, episode.close)

    # internals
    async def _open(self, key: str, spec: dict[str, Any]) -> "_Episode | ToolResponse":
        from .._envserver import open_session

        def start() -> Any:
            session = open_session(None if self.url else spec["run"], url=self.url, record=self.record, keep_easy=self.keep_easy)
            return session, session.reset(task_key=spec["task_key"], model="verl")

        episode = _Episode(None)
        loop = asyncio.get_running_loop()
        try:
            session, first = await loop.run_in_executor(episode.thread, start)
        except Exception as exc:
            episode.thread.shutdown(wait=False)
            return ToolResponse(text=json.dumps({"error": {"type": "environment_error", "message": f"{type(exc).__name__}: {exc}"[:500]}}))
        episode.session = session
        if first.get("error"):
            episode.close()
            return ToolResponse(text=json.dumps({"error": first["error"]}))
        with _lock:
            _episodes[key] = episode
        return episode

    async def _reap(self) -> None:
        now = time.monotonic()
        with _lock:
            stale = [k for k, e in _episodes.items() if now - e.touched > self.idle_seconds]
            gone = [_episodes.pop(k) for k in stale]
            for k in [k for k, (_, when) in _rewards.items() if now - when > self.idle_seconds]:
                del _rewards[k]
        for episode in gone:
            await asyncio.get_running_loop().run_in_executor(None, episode.close)


def _episode_key(instance_id: str, agent_data: Any) -> str:
    request = getattr(agent_data, "request_id", None)
    return str(request) if request else instance_id


def open_episodes() -> int:
    """Episodes with a live session (for tests and leak checks)."""
    return len(_episodes)
