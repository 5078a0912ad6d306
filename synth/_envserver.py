"""Episodes for RL trainers: synth's environments served live, one session per episode.

Sits beside rollout (generate -> verify -> rollout | serve -> export): where `synth rollout` drives a
model through the tuples itself, a trainer drives its own model and asks synth for the environment.
An episode is `Session`: `reset` picks a served task (by key, the next task of a filter, or a seeded
sample) and opens the family's live environment (`Family.open`, containers for code, interpreter
and synthesized tasks); `call` runs one tool call through `Environment.call`, the path `synth
verify` and `synth rollout` take; the submit tool (or `submit` with a completion as a model wrote
it, read by `synth._grading.read_completion`) ends the episode with the task's own verdict, graded
by `grade_trajectory` from the episode as a trajectory, exactly as a rollout is graded. With a
`Recorder` every served episode is appended to the run's trajectories.jsonl (model "serve:NAME"),
so `synth report` and `synth view` show it like any rollout: a graded one with its verdict; one its
trainer left before an answer (closed, disconnected, reaped idle, reset to another task) as
`abandoned`, one whose environment broke as `environment_error`, both without a verdict.
Nothing a client sends raises: a step before reset, an unknown tool, malformed arguments, a second
submit each come back as an observation with `error` {type, message}.

`synth._openenv` puts sessions behind the OpenEnv protocol (`synth serve RUN`) and gives the
`RemoteSession` client.

Only sound tuples are served, and of them not the easy ones (a baseline solved them), unless the
server is started with `keep_easy` / `unsound`.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from . import _registry as registry
from ._errors import ConfigError, StoreError
from ._records import Message, TerminationReason, ToolCall, Trajectory, TupleRecord, clip
from ._store import Run

DEFAULT_MODEL = "served"
"""Model name of recorded episodes when the client names none (recorded as "serve:served")."""


class ServeError(Exception):
    """A request the session refuses (no episode, unknown task, episode over): `kind` names it."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def _error(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "message": clip(message, 500)}


# -- which tasks are served -------------------------------------------------------------------
class Catalog:
    """The tasks of a run a server offers: sound ones without the easy ones, unless asked."""

    def __init__(self, run: Run, *, keep_easy: bool = False, unsound: bool = False) -> None:
        from ._verify import easy_keys, sound_keys

        self.run = run
        tuples = {t.key: t for t in run.tuples()}
        if not tuples:
            raise StoreError(f"run {run.path} holds no tuples; run synth generate first")
        if unsound:
            keys = set(tuples)
        else:
            if run.stage("verify") is None:
                raise StoreError(f"run {run.path} has not been verified; run synth verify first (or serve --unsound)")
            keys = sound_keys(run)
        if not keep_easy:
            keys -= easy_keys(run)
        self.records: dict[str, TupleRecord] = {k: t for k, t in tuples.items() if k in keys}
        self.withheld = len(tuples) - len(self.records)
        self._cursors: dict[tuple[Any, ...], itertools.count[int]] = {}
        self._lock = threading.Lock()
        self.sessions = 0
        """Sessions alive (`Session` objects not closed)."""
        self.environments = 0
        """Live environments (opened by a reset, not closed yet): containers for container families."""
        if not self.records:
            raise ConfigError(f"run {run.path} has no task to serve ({self.withheld} unsound or easy; --keep-easy / --unsound serve them)")
        # the families are resolved and prepared here, in the thread that builds the catalog (the
        # server's main thread): the registry loads its plug-ins on first use, not safely from
        # many session threads at once, and `prepare` installs signal handlers (main thread only)
        for name in self.families():
            registry.family(name).prepare()

    def count(self, what: str, change: int) -> None:
        with self._lock:
            setattr(self, what, getattr(self, what) + change)

    def families(self) -> list[str]:
        return sorted({r.environment.family for r in self.records.values()})

    def pick(self, task_key: str | None = None, seed: int | None = None, family: str | None = None,
             category: str | None = None, difficulty: int | None = None) -> TupleRecord:
        """The task of a reset: `task_key`; else among the tasks matching the filter, a sample of
        `seed`, or the next one in run order (round robin, shared by all sessions)."""
        if task_key is not None:
            record = self.records.get(str(task_key))
            if record is None:
                raise ServeError("unknown_task", f"this server serves no task {str(task_key)[:80]!r} "
                                 "(unknown, unsound or easy; the server's --keep-easy/--unsound serve the last two)")
            return record
        chosen = [r for r in self.records.values()
                  if (family is None or r.environment.family == family)
                  and (category is None or r.environment.category == category)
                  and (difficulty is None or r.environment.difficulty == difficulty)]
        if not chosen:
            raise ServeError("no_task", f"no served task matches family={family!r} category={category!r} difficulty={difficulty!r}")
        if seed is not None:
            return random.Random(seed).choice(chosen)
        with self._lock:
            cursor = self._cursors.setdefault((family, category, difficulty), itertools.count())
            return chosen[next(cursor) % len(chosen)]


class Recorder:
    """Appends served episodes to the run's trajectories as model episodes "serve:NAME", numbered
    per (task, name) after those already recorded."""

    STAGE = "rollout:serve"
    """The run's manifest lists served episodes as this stage (a run holds trajectories only from
    verify or a rollout stage: an unverified run served --unsound must still open)."""

    def __init__(self, run: Run) -> None:
        run.begin(self.STAGE, {"source": "synth serve --record"})
        self.run = run
        self.recorded = 0
        self.journal = run.trajectories()
        self._lock = threading.Lock()
        self._next: dict[tuple[str, str | None], int] = {}
        for t in self.journal:
            slot = (t.task_key, t.model)
            self._next[slot] = max(self._next.get(slot, 0), t.sample + 1)

    def sample(self, task_key: str, model: str) -> int:
        with self._lock:
            slot = (task_key, model)
            number = self._next.get(slot, 0)
            self._next[slot] = number + 1
            return number

    def append(self, trajectory: Trajectory) -> None:
        self.journal.append(trajectory)
        with self._lock:
            self.recorded += 1

    def close(self) -> None:
        self.journal.close()
        self.run.finish(self.STAGE, last_served=self.recorded)


# -- one episode ------------------------------------------------------------------------------
@dataclass
class _Episode:
    record: TupleRecord
    env: Any
    messages: list[Message]
    model: str
    episode_id: str | None
    tools: list[Any]
    calls: int = 0
    tool_errors: int = 0
    verdict: Any = None
    done: bool = False
    answered: bool = False
    """The episode ends in a text answer (`submit`), put through the submit tool for the model."""
    facts: dict[str, Any] = field(default_factory=dict)


class Session:
    """One trainer-side episode at a time over a catalog, in process. Every method returns an
    observation dict and never raises for what a client sends (errors come back under "error")."""

    def __init__(self, catalog: Catalog, recorder: Recorder | None = None) -> None:
        self.catalog = catalog
        self.recorder = recorder
        self.episode: _Episode | None = None
        self._closed = False
        catalog.count("sessions", 1)

    # the OpenEnv-shaped operations
    def reset(self, task_key: str | None = None, seed: int | None = None, family: str | None = None,
              category: str | None = None, difficulty: int | None = None, model: str | None = None,
              episode_id: str | None = None, **_ignored: Any) -> dict[str, Any]:
        """Start an episode (the one before, if unfinished, ends abandoned): the prompt messages and
        the tools as OpenAI schemas."""
        self._abandon("reset to another task")
        self.episode = None
        try:
            seed, difficulty = _integer("seed", seed), _integer("difficulty", difficulty)
            record = self.catalog.pick(None if task_key is None else str(task_key), seed,
                                       None if family is None else str(family), None if category is None else str(category), difficulty)
        except ServeError as exc:
            return {"done": True, "error": _error(exc.kind, str(exc))}
        model = clip(str(model), 200) if model is not None else None
        try:
            fam = registry.family(record.environment.family)
            env = fam.open(record, self.catalog.run)
        except Exception as exc:  # an engine that does not answer, an asset missing: infrastructure
            return {"done": True, "task_key": record.key, "error": _error("environment_error", f"{type(exc).__name__}: {exc}")}
        self.catalog.count("environments", 1)
        prompt = fam.prompt_messages(record)
        tools = list(env.tools)
        self.episode = _Episode(record=record, env=env, messages=list(prompt), model=model or DEFAULT_MODEL,
                                episode_id=episode_id, tools=tools)
        return {"done": False, "task_key": record.key, "family": record.environment.family,
                "category": record.environment.category, "prompt": [m.openai() for m in prompt],
                "tools": [t.openai() for t in tools]}

    def call(self, tool_name: Any, arguments: Any = None) -> dict[str, Any]:
        """Run one tool call as the model wrote it (arguments an object or JSON text)."""
        episode = self.episode
        if episode is None:
            return {"done": False, "error": _error("no_episode", "no episode: reset first")}
        if episode.done:
            return self._over(episode, tool_name)
        if not isinstance(tool_name, str) or not tool_name:
            return {"done": False, "error": _error("invalid_action", "call_tool needs a tool_name")}
        if arguments is not None and not isinstance(arguments, (str, dict)):
            return {"done": False, "tool_name": tool_name,
                    "error": _error("invalid_arguments", "arguments must be a JSON object or its text")}
        episode.calls += 1
        call_id = f"call_{episode.calls}"
        text = arguments if isinstance(arguments, str) else json.dumps(arguments or {}, ensure_ascii=False)
        episode.messages.append(Message(role="assistant", content=None, tool_calls=[
            ToolCall(id=call_id, function={"name": clip(tool_name, 200), "arguments": clip(text, 4000)})]))
        try:
            result = episode.env.call(tool_name, arguments)
        except Exception as exc:  # EnvironmentFault: the environment broke (infrastructure), not graded
            message = f"{type(exc).__name__}: {exc}"
            self._end_ungraded(episode, TerminationReason.ENVIRONMENT_ERROR, {"environment_error": clip(message, 2000)})
            return {"done": True, "tool_name": tool_name, "error": _error("environment_error", message)}
        episode.messages.append(Message(role="tool", tool_call_id=call_id, name=clip(tool_name, 200), content=result.content))
        observation: dict[str, Any] = {"done": False, "tool_name": tool_name, "result": result.content}
        if result.error:
            episode.tool_errors += 1
            observation["error"] = _error(result.error_kind or "tool_error", _message(result.content))
        if episode.env.submitted:
            observation.update(self._finish(episode, TerminationReason.SUBMITTED, episode.env.submission))
        return observation

    def submit(self, completion: str | None = None) -> dict[str, Any]:
        """End the episode with a completion as a model wrote it: its answer (`read_completion`) goes
        through the task's submit tool; nothing readable is graded as no answer."""
        from ._grading import SUBMIT_TOOLS, completion_submission

        episode = self.episode
        if episode is None:
            return {"done": False, "error": _error("no_episode", "no episode: reset first")}
        if episode.done:
            return self._over(episode, "submit")
        names = [t.name for t in episode.tools if t.name in SUBMIT_TOOLS]
        episode.messages.append(Message(role="assistant", content=clip(completion or "", 20000)))
        answer = completion_submission(completion or "", episode.record)
        if names and answer is not None:
            spec = next(t for t in episode.tools if t.name == names[0])
            params = list((spec.parameters.get("properties") or {}))
            episode.answered = True  # the model wrote its answer: the episode ends "answered", not "submitted"
            observation = self.call(names[0], {params[0]: answer} if params else {})
            if observation.get("done"):
                return observation
            return {**observation, **self._finish(episode, TerminationReason.ANSWERED, None)}
        return {"done": True, **self._finish(episode, TerminationReason.ANSWERED, answer if not names else None)}

    def state(self) -> dict[str, Any]:
        episode = self.episode
        if episode is None:
            return {"episode": None}
        verdict = episode.verdict
        return {"episode_id": episode.episode_id, "task_key": episode.record.key, "family": episode.record.environment.family,
                "category": episode.record.environment.category, "step_count": episode.calls, "tool_errors": episode.tool_errors,
                "done": episode.done, "reward": verdict.reward if verdict else None,
                "status": verdict.status if verdict else None, **episode.facts}

    def close(self) -> None:
        """End the session: an unfinished episode ends abandoned (recorded, not graded); its
        environment is closed (containers removed). Called on close, disconnect and idle reaping."""
        self._abandon("session closed")
        self.episode = None
        if not self._closed:
            self._closed = True
            self.catalog.count("sessions", -1)

    # internals
    def _over(self, episode: _Episode, tool_name: Any) -> dict[str, Any]:
        verdict = episode.verdict
        return {"done": True, "tool_name": tool_name if isinstance(tool_name, str) else None,
                "reward": verdict.reward if verdict else None,
                "error": _error("episode_over", "the episode is over (an answer was submitted): reset to start another")}

    def _finish(self, episode: _Episode, termination: TerminationReason, submission: Any) -> dict[str, Any]:
        """Grade the episode from its trajectory (as a rollout is graded), record it, close the env."""
        from ._grading import grade_trajectory

        if episode.answered:
            termination = TerminationReason.ANSWERED

        artifacts: dict[str, Any] = {}
        try:
            artifacts = episode.env.finalize()
        except Exception as exc:
            episode.facts["finalize_error"] = clip(f"{type(exc).__name__}: {exc}", 500)
        extra: dict[str, Any] = {"steps": episode.calls, "served": True, "finished": time.time()}
        if episode.episode_id:
            extra["episode_id"] = episode.episode_id
        if artifacts:
            extra["artifacts"] = artifacts
        model = f"serve:{episode.model}"
        trajectory = Trajectory(
            task_key=episode.record.key, source="model", model=model,
            sample=self.recorder.sample(episode.record.key, model) if self.recorder else 0,
            messages=episode.messages, tools=episode.tools, submission=submission if termination is not TerminationReason.SUBMITTED else episode.env.submission,
            termination=termination, tool_errors=episode.tool_errors, extra=extra,
        )
        verdict = grade_trajectory(episode.record, trajectory, self.catalog.run)
        episode.verdict, episode.done = verdict, True
        if self.recorder is not None:
            self.recorder.append(trajectory.model_copy(update={"verdict": verdict}))
        self._close_env()
        assert verdict is not None
        return {"done": True, "reward": verdict.reward,
                "verdict": {"reward": verdict.reward, "status": verdict.status,
                            "checks": [c.model_dump(mode="json") for c in verdict.checks]}}

    def _abandon(self, why: str) -> None:
        episode = self.episode
        if episode is not None and not episode.done:
            self._end_ungraded(episode, TerminationReason.ABANDONED, {"abandoned": why})
        self._close_env()

    def _end_ungraded(self, episode: _Episode, termination: TerminationReason, facts: dict[str, Any]) -> None:
        """End an episode without a verdict (abandoned, or its environment broke) and record it as
        such: `synth report` counts it under its termination, exports leave it out."""
        episode.done = True
        self._close_env()
        if self.recorder is None:
            return
        model = f"serve:{episode.model}"
        extra: dict[str, Any] = {"steps": episode.calls, "served": True, "finished": time.time(), **facts}
        if episode.episode_id:
            extra["episode_id"] = episode.episode_id
        try:
            self.recorder.append(Trajectory(
                task_key=episode.record.key, source="model", model=model, sample=self.recorder.sample(episode.record.key, model),
                messages=episode.messages, tools=episode.tools, submission=None, termination=termination,
                tool_errors=episode.tool_errors, extra=extra))
        except Exception:  # a closed journal (the server stopping): the episode is lost, the session still ends
            pass

    def _close_env(self) -> None:
        episode = self.episode
        if episode is not None and not isinstance(episode.env, _Closed):
            env, episode.env = episode.env, _Closed()
            self.catalog.count("environments", -1)
            try:
                env.close()
            except Exception:
                pass


def _integer(name: str, value: Any) -> int | None:
    if value is None:
        return None
    try:
        if isinstance(value, bool) or int(value) != float(value):
            raise ValueError
        return int(value)
    except (TypeError, ValueError):
        raise ServeError("invalid_reset", f"{name} must be an integer, not {clip(repr(value), 60)}") from None


class _Closed:
    """Stands for a closed environment in a finished episode."""

    submitted = True
    submission = None

    def close(self) -> None:
        pass


def _message(content: str) -> str:
    try:
        return str(json.loads(content)["error"]["message"])
    except Exception:
        return content


def open_session(run: str | Path | None = None, *, url: str | None = None, record: bool = False,
                 keep_easy: bool = False) -> "Session | RemoteSession":
    """A session in process over `run`'s tasks, or on the `synth serve` server at `url`."""
    if (run is None) == (url is None):
        raise ConfigError("give exactly one of a run (in process) or a server url (synth serve)")
    if url is not None:
        from ._openenv import RemoteSession

        return RemoteSession(url)
    return Session(_catalog(str(Path(run).resolve()), keep_easy), _recorder(str(Path(run).resolve())) if record else None)  # type: ignore[arg-type]


_catalogs: dict[tuple[str, bool], Catalog] = {}
_recorders: dict[str, Recorder] = {}
_shared = threading.Lock()


def _catalog(run: str, keep_easy: bool) -> Catalog:
    with _shared:
        if (run, keep_easy) not in _catalogs:
            _catalogs[(run, keep_easy)] = Catalog(Run.open(run), keep_easy=keep_easy)
        return _catalogs[(run, keep_easy)]


def _recorder(run: str) -> Recorder:
    with _shared:
        if run not in _recorders:
            _recorders[run] = Recorder(Run.open(run))
        return _recorders[run]


def served_families(records: Iterable[TupleRecord]) -> list[str]:
    return sorted({r.environment.family for r in records})
