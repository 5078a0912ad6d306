"""Rollout: run a model through the tuples of a run and keep every episode as a graded trajectory.

Sits after verify and before export (generate -> verify -> rollout -> export). For each sound tuple
and sample it opens the family's environment, gives the model the prompt and the tools, executes
every tool call through `Environment.call` (the path `synth verify` takes for gold solutions), and
appends the result in the `tool` role, until the model submits, answers without a tool call, or a
limit ends the episode. Guarantees:

- Every episode ends as a `Trajectory` with a termination reason; nothing the model writes crashes
  the run. Bad calls (non-JSON arguments, unknown tools, schema violations, arguments over the
  runtime's limits) come back as tool error results; a malformed reply (empty, unparseable,
  `tool_calls` that are not a list of calls, text over the client's limit) comes back as an error
  in the tool role when it holds calls (none of them is run), else in the user role. Both are
  counted in `tool_errors`. Arguments over the runtime's size limit are stored cut, never whole.
- A server that fails after the client's retries ends that episode with `model_error`, and an
  environment that breaks for a reason outside the model's reach (`EnvironmentFault`: a closed
  connection, a vanished container, an engine that does not answer) with `environment_error`:
  infrastructure failures, never graded, never exported, retried by a re-run. What the model's own
  calls break (`BrokenByModel`: a kernel that cannot start again after its code, a sandbox whose
  processes would not die) ends it `sandbox_broken_by_model`: the model's failure, graded fail
  (reward 0), so no policy can turn a losing episode into one that never counts. So does a data
  error while synth encodes the conversation or reads a reply (`ConversationBroken`); what the
  model wrote is replayed in a form every server takes (arguments that are not a JSON object go
  out as "{}", arguments over the limit are stored as {"_cut": ...}), overflow in any server's
  words is context_exhausted, and an overflowing summary request falls back to discard-all.
- A trajectory that cannot be written as it is has its lone surrogates replaced; if it still
  cannot, that episode alone is kept as environment_error: one record never stops the rollout.
  After `max_consecutive_failures` of them in a row the rollout stops (episodes in flight are
  cancelled and left for the re-run) and the stage is marked aborted in the manifest.
- One writer per stage: the rollout runs inside `Run.writing`, so a second process rolling the
  same model through the same run is refused, naming the first one's pid.
- Thinking with tools: requests carry the reasoning of the current user turn across its tool calls;
  reasoning before the last user message is dropped; tool calls and results always stay.
- Context management above `context_threshold` of the window: discard-all, discard-75, summary or
  none (the episode ends with context_exhausted), recorded under extra["context_events"].
- Trajectories are appended to `trajectories.jsonl` one line each as episodes finish, keyed by
  `Trajectory.key`; a re-run (also after SIGKILL) skips finished keys, so nothing is lost or
  duplicated. Fan-out is bounded by one helper (`bounded`); families of in-process tools
  run on the event loop, anything that may block (containers) in worker threads.
- Grading is a pure function of the stored trajectory (`grade_trajectory`), so `regrade_run`
  rescores a run without a model.
"""

from __future__ import annotations

import asyncio
import gc
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Iterable, NamedTuple, TypeVar

from . import _registry as registry
from ._client import ContextOverflow, ModelClient, Reply, cut_arguments
from ._config import RolloutConfig
from ._dsv32 import drop_thinking
from ._errors import BrokenByModel, ModelError, StoreError
from ._family import Environment, Family
from ._records import Message, TerminationReason, ToolCall, Trajectory, TupleRecord, clip, content_key, encodable
from ._store import Run, StageSession
from ._tools import MAX_ARGUMENT_CHARS
from ._verify import sound_keys
from ._context import SUMMARY_REQUEST, discard_tool_history, estimate_tokens, restart_from_summary
from ._grading import grade_trajectory

T = TypeVar("T")

async def bounded(items: Iterable[T], work: Callable[[T], Awaitable[None]], limit: int) -> None:
    """Run `work(item)` for every item with at most `limit` in flight (a semaphore and a task group).
    Tasks are created as slots free up, so a million items cost no more memory than `limit`."""
    slots = asyncio.Semaphore(limit)

    async def run(item: T) -> None:
        try:
            await work(item)
        finally:
            slots.release()

    async with asyncio.TaskGroup() as group:
        for item in items:
            await slots.acquire()
            group.create_task(run(item))


# -- one episode ------------------------------------------------------------------------------
@dataclass
class _Episode:
    """Mutable state of one episode while it runs."""

    messages: list[Message]
    prompt_len: int
    tool_errors: int = 0
    malformed: int = 0
    steps: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    context: int = 0
    """Tokens the conversation is believed to hold now."""
    wire: dict[int, Any] = field(default_factory=dict)
    """Request JSON of earlier turns (see `ModelClient.chat_body`)."""
    events: list[dict[str, Any]] = field(default_factory=list)
    logprobs: list[Any] = field(default_factory=list)
    token_ids: list[Any] = field(default_factory=list)
    prompt_text: str | None = None
    on_reply: Callable[[Reply], None] | None = None
    """Called after every model call (live progress)."""
    reasoning: bool = False
    """A reply carried reasoning (only then is there thinking to drop from requests)."""


class Episode(NamedTuple):
    """One (tuple, sample) to roll out."""

    record: TupleRecord
    sample: int


def episode_key(task_key: str, model: str, sample: int) -> str:
    """`Trajectory.key` of a model episode, known before it runs (for resume)."""
    return content_key([task_key, "model", model, sample])


async def _manage_context(client: ModelClient, cfg: RolloutConfig, state: _Episode, tools: list[Any], why: str) -> bool:
    """Shrink the conversation by the configured strategy; False when nothing can be shrunk."""
    before = len(state.messages)
    strategy = cfg.context_strategy
    if strategy == "none":
        return False
    if strategy in ("discard-all", "discard-75"):
        kept, dropped = discard_tool_history(state.messages, 1.0 if strategy == "discard-all" else 0.75)
        if not dropped:
            return False
        state.messages = kept
    else:
        if len(state.messages) <= state.prompt_len:
            return False
        request = drop_thinking(state.messages) + [Message(role="user", content=SUMMARY_REQUEST)]
        try:
            reply = await client.chat(request, [])
        except ContextOverflow:
            # the conversation is too long even to be summarized: discard every tool result instead
            kept, dropped = discard_tool_history(state.messages, 1.0)
            if not dropped:
                return False
            state.messages = kept
            state.context = estimate_tokens(state.messages)
            state.events.append({"step": state.steps, "strategy": "discard-all", "reason": f"{why}; the summary request overflowed too",
                                 "messages_before": before, "messages_after": len(state.messages)})
            return True
        summary = (reply.message.content or "").strip()
        state.completion_tokens += reply.usage.get("completion_tokens", 0)
        state.prompt_tokens += reply.usage.get("prompt_tokens", 0)
        if state.on_reply is not None:
            state.on_reply(reply)
        if not summary:
            return False
        state.messages = restart_from_summary(state.messages[: state.prompt_len], summary)
    state.context = estimate_tokens(state.messages)
    state.events.append(
        {"step": state.steps, "strategy": strategy, "reason": why, "messages_before": before, "messages_after": len(state.messages)}
    )
    return True


async def _env(offload: bool, fn: Callable[..., T], *args: Any) -> T:
    """Environment work: inline for in-process tools, in a worker thread for blocking ones."""
    if offload:
        return await asyncio.to_thread(fn, *args)
    return fn(*args)


def _stored(message: Message) -> Message:
    """The assistant message as kept: tool-call arguments over the runtime's limit are cut (the
    call was refused; the whole text is neither stored nor sent back) to a JSON object
    ({"_cut": ...}), so the conversation can still be rendered and replayed."""
    calls = message.tool_calls or []
    if all(len(c.function.arguments) <= MAX_ARGUMENT_CHARS for c in calls):
        return message
    cut = [
        c if len(c.function.arguments) <= MAX_ARGUMENT_CHARS
        else ToolCall.model_construct(id=c.id, type="function", function=c.function.model_copy(update={"arguments": cut_arguments(c.function.arguments)}))
        for c in calls
    ]
    return message.model_copy(update={"tool_calls": cut})


async def run_episode(
    client: ModelClient,
    cfg: RolloutConfig,
    fam: Family,
    record: TupleRecord,
    run: Run,
    sample: int,
    *,
    on_reply: Callable[[Reply], None] | None = None,
) -> Trajectory:
    """Roll the model through one tuple once; always returns a graded (or infra-labelled) trajectory.
    `on_reply` is called after every model call (live progress)."""
    offload = fam.blocking  # the contract: blocking environments open, act and close in worker threads
    sampling = cfg.sampling()
    seed = None if cfg.seed is None else cfg.seed + sample
    if seed is not None:
        sampling["seed"] = seed
    prompt = fam.prompt_messages(record)
    state = _Episode(messages=list(prompt), prompt_len=len(prompt), on_reply=on_reply)
    termination = TerminationReason.MAX_STEPS
    submission: Any = None
    error: str | None = None
    artifacts: dict[str, Any] = {}
    env: Environment | None = None
    tools = list(record.environment.tools)
    try:
        env = await _env(offload, fam.open, record, run)  # may start a container
        tools = env.tools
        limit = cfg.context_threshold * cfg.context_window
        while True:
            if state.steps >= cfg.max_steps:
                termination = TerminationReason.MAX_STEPS
                break
            if state.context > limit and not await _manage_context(client, cfg, state, tools, "threshold"):
                termination = TerminationReason.CONTEXT_EXHAUSTED
                break
            try:
                request = drop_thinking(state.messages) if state.reasoning else state.messages
                reply = await client.chat(request, tools, seed=seed, cache=state.wire)
            except ContextOverflow:
                if await _manage_context(client, cfg, state, tools, "server refused the length"):
                    continue
                termination = TerminationReason.CONTEXT_EXHAUSTED
                break
            state.steps += 1
            _account(state, reply)
            message = reply.message
            state.messages.append(_stored(message))
            if reply.malformed:
                state.malformed += 1
                state.tool_errors += 1
                feedback = json.dumps({"error": {"type": "malformed_reply", "message": reply.malformed}}, ensure_ascii=False)
                # every call of a malformed reply is answered (none is run), so the conversation stays valid
                for call in message.tool_calls or []:
                    state.messages.append(Message(role="tool", tool_call_id=call.id, name=call.function.name, content=feedback))
                if not message.tool_calls:
                    state.messages.append(Message(role="user", content=feedback))
                state.context += (len(feedback) // 4 + 8) * max(1, len(message.tool_calls or []))
            elif message.tool_calls:
                for call in message.tool_calls:
                    result = await _env(offload, env.call, call.function.name, call.function.arguments)
                    if result.error:
                        state.tool_errors += 1
                    state.messages.append(
                        Message(role="tool", tool_call_id=call.id, name=call.function.name, content=result.content)
                    )
                    state.context += len(result.content) // 4 + 8
                if env.submitted:
                    termination = TerminationReason.SUBMITTED
                    submission = env.submission
                    break
            else:
                submission = message.content
                if reply.finish_reason == "length":
                    termination = TerminationReason.MAX_TOKENS
                else:
                    termination = TerminationReason.ANSWERED
                break
            if cfg.max_episode_tokens is not None and state.completion_tokens >= cfg.max_episode_tokens:
                termination = TerminationReason.MAX_TOKENS
                break
        artifacts = await _env(offload, env.finalize)
    except ModelError as exc:
        termination, error = TerminationReason.MODEL_ERROR, str(exc)
    except BrokenByModel as exc:  # before Exception: what the model's calls broke is the model's
        termination, error = TerminationReason.SANDBOX_BROKEN_BY_MODEL, clip(str(exc), 2000)
        submission = None
    except Exception as exc:  # the environment failed (EnvironmentFault, asset missing): infrastructure
        termination, error = TerminationReason.ENVIRONMENT_ERROR, clip(f"{type(exc).__name__}: {exc}", 2000)
    finally:
        if env is not None:
            try:
                await _env(offload, env.close)
            except Exception:  # closing must not turn a finished episode into a failure
                pass
    extra: dict[str, Any] = {"steps": state.steps}
    if error:
        extra["error"] = error
    if state.malformed:
        extra["malformed_replies"] = state.malformed
    if state.events:
        extra["context_events"] = state.events
    if artifacts:
        extra["artifacts"] = artifacts
    if state.logprobs:
        extra["logprobs"] = state.logprobs
    if state.token_ids:
        extra["token_ids"] = state.token_ids
    if state.prompt_text is not None:
        extra["prompt_text"] = state.prompt_text
    trajectory = Trajectory(
        task_key=record.key,
        source="model",
        model=cfg.model_name,
        sample=sample,
        sampling=sampling,
        messages=state.messages,
        tools=tools,
        submission=submission,
        termination=termination,
        tool_errors=state.tool_errors,
        usage={"prompt_tokens": state.prompt_tokens, "completion_tokens": state.completion_tokens},
        extra=extra,
    )
    verdict = await _env(offload, grade_trajectory, record, trajectory, run)
    return trajectory.model_copy(update={"verdict": verdict})


def _account(state: _Episode, reply: Reply) -> None:
    prompt = reply.usage.get("prompt_tokens")
    completion = reply.usage.get("completion_tokens")
    state.prompt_tokens += prompt or 0
    state.completion_tokens += completion or 0
    if prompt is not None and completion is not None:
        state.context = prompt + completion
    else:
        state.context = estimate_tokens(state.messages) + estimate_tokens([reply.message])
    if reply.logprobs is not None:
        state.logprobs.append(reply.logprobs)
    if reply.token_ids is not None:
        state.token_ids.append({"prompt": reply.prompt_token_ids, "completion": reply.token_ids})
    if reply.prompt_text is not None:
        state.prompt_text = reply.prompt_text
    if reply.message.reasoning_content:
        state.reasoning = True
    if state.on_reply is not None:
        state.on_reply(reply)


# -- a whole run ------------------------------------------------------------------------------
@dataclass
class RolloutStats:
    """Live and final figures of a rollout."""

    episodes: int = 0
    """Episodes this invocation runs."""
    skipped: int = 0
    """Episodes already finished by an earlier invocation."""
    done: int = 0
    passed: int = 0
    graded: int = 0
    infrastructure: int = 0
    steps: int = 0
    """Model calls so far (episodes still running included)."""
    completion_tokens: int = 0
    """Completion tokens so far (episodes still running included)."""
    started: float = field(default_factory=time.monotonic)
    terminations: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    aborted: str | None = None
    """Why the rollout stopped early (consecutive infrastructure failures), if it did."""

    @property
    def pass_rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0

    @property
    def tokens_per_second(self) -> float:
        elapsed = time.monotonic() - self.started
        return self.completion_tokens / elapsed if elapsed > 0 else 0.0

    def note(self) -> str:
        return (f"pass {self.pass_rate:.0%} of {self.graded}  {self.steps} calls  {self.tokens_per_second:.0f} tok/s"
                f"  infra {self.infrastructure}")


_INFRASTRUCTURE = {t.value for t in TerminationReason if t.infrastructure}


def finished_keys(run: Run, model: str | None = None) -> set[str]:
    """Keys of model episodes (of `model`, when given) whose latest record is not an
    infrastructure failure. Reads only the identity fields of each line, and skips lines of other
    models unparsed (full validation of a large journal would dominate a resume)."""
    path = run.path / Run.TRAJECTORIES
    if not path.exists():
        return set()
    mark = b'"model":' + json.dumps(model, ensure_ascii=False, separators=(",", ":")).encode() if model is not None else b""
    latest: dict[str, bool] = {}
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.endswith(b"\n"):
                break  # a torn tail is not a record
            if mark not in line:
                continue
            try:
                data = json.loads(line)
                if data["source"] != "model" or (model is not None and data["model"] != model):
                    continue
                key = episode_key(data["task_key"], data["model"], data["sample"])
                latest[key] = data["termination"] not in _INFRASTRUCTURE
            except (ValueError, KeyError, TypeError):
                raise StoreError(f"malformed JSONL: {Run.TRAJECTORIES} line {number} is not a trajectory") from None
    return {key for key, done in latest.items() if done}


def plan(run: Run, cfg: RolloutConfig, tasks: int | None = None) -> tuple[list[Episode], int]:
    """Episodes still to run (sound tuples x samples, minus finished keys) and how many are done;
    `tasks` limits the rollout to the first that many sound tuples in run order."""
    tuples = run.tuples().read()
    if not tuples:
        raise StoreError(f"run {run.path} holds no tuples; run synth generate first")
    if run.stage("verify") is None:
        raise StoreError(f"run {run.path} has not been verified; run synth verify first (only sound tuples are rolled out)")
    sound = sound_keys(run)
    finished = finished_keys(run, cfg.model_name)
    todo, skipped = [], 0
    chosen = [record for record in tuples if record.key in sound][:tasks]
    for record in chosen:
        for sample in range(cfg.samples):
            if episode_key(record.key, cfg.model_name, sample) in finished:
                skipped += 1
            else:
                todo.append(Episode(record, sample))
    return todo, skipped


_worker_clients: dict[str, ModelClient] = {}


async def remote_episode(shared: tuple[Run, RolloutConfig], episode: Episode) -> Trajectory:
    """One episode on an executor's worker, with that worker's own client of the model server."""
    run, cfg = shared
    key = json.dumps(cfg.model_dump(mode="json"), sort_keys=True)
    client = _worker_clients.get(key) or _worker_clients.setdefault(key, ModelClient(cfg))
    fam = registry.family(episode.record.environment.family)
    return await run_episode(client, cfg, fam, episode.record, run, episode.sample)


def _saved(journal: Any, trajectory: Trajectory) -> Trajectory:
    """Append `trajectory`; the record as written. A record that cannot be written as it is (text
    no encoder takes that slipped past the entry points) is written again with every lone surrogate
    replaced; if even that fails, the episode (only it) is kept as an environment_error naming the
    cause, so one episode never stops the rollout and a re-run does it again."""
    try:
        journal.append(trajectory)
        return trajectory
    except (ValueError, TypeError, UnicodeError) as first:
        cause = f"{type(first).__name__}: {clip(str(first), 300)}"
    try:
        fixed = Trajectory.model_validate(encodable(trajectory.model_dump()))
        journal.append(fixed)
        return fixed
    except (ValueError, TypeError, UnicodeError):
        pass
    failed = Trajectory(task_key=trajectory.task_key, source=trajectory.source, model=trajectory.model, sample=trajectory.sample,
                        sampling=encodable(trajectory.sampling), messages=[], tools=trajectory.tools,
                        termination=TerminationReason.ENVIRONMENT_ERROR,
                        extra={"error": f"the trajectory could not be saved ({cause})"})
    journal.append(failed)
    return failed


def stage_name(cfg: RolloutConfig) -> str:
    return f"rollout:{cfg.model_name}"


class _Stop(Exception):
    """Raised inside the task group to stop the rollout early."""


async def rollout_run(
    run: Run,
    cfg: RolloutConfig,
    todo: list[Episode] | None = None,
    skipped: int = 0,
    *,
    client: ModelClient | None = None,
    on_episode: Callable[[RolloutStats, Trajectory], None] | None = None,
    on_reply: Callable[[RolloutStats], None] | None = None,
    session: StageSession | None = None,
    executor: Any = None,
    setup: Callable[[], None] | None = None,
) -> RolloutStats:
    """Roll `cfg.model` through the planned episodes (the stage passes its `plan`; without one,
    every sound tuple x `cfg.samples` not yet finished); `skipped` episodes were finished by an
    earlier call. Resumable: each episode is appended as it finishes. Runs as the stage's one
    writer (`session`, else one taken here); `on_episode` follows every finished episode,
    `on_reply` every model call. With a remote `executor`, episodes run on its workers (`setup`
    first) and are appended in plan order; their model calls are counted as they come back."""
    if session is None:
        with run.writing(stage_name(cfg), cfg.identity()) as own:
            return await rollout_run(run, cfg, todo, skipped, client=client, on_episode=on_episode, on_reply=on_reply,
                                     session=own, executor=executor, setup=setup)
    if todo is None:
        todo, skipped = plan(run, cfg)
    stats = RolloutStats(episodes=len(todo), skipped=skipped)
    journal = run.trajectories()
    families: dict[str, Family] = {}
    streak, last_failure = 0, ""  # infrastructure failures in a row, and the last one's cause

    def replied(reply: Reply) -> None:
        stats.steps += 1
        stats.completion_tokens += reply.usage.get("completion_tokens", 0)
        if on_reply is not None:
            on_reply(stats)

    # everything alive now (tuples, plan, caches) lives as long as the rollout: keep the collector
    # from rescanning it on every full collection while hundreds of episodes allocate
    gc.freeze()
    remote = executor is not None and executor.remote
    owned = client is None and bool(todo) and not remote
    if owned:
        client = ModelClient(cfg)
    try:
        with journal:

            def record(trajectory: Trajectory) -> None:
                nonlocal streak, last_failure
                trajectory = _saved(journal, trajectory)
                stats.done += 1
                stats.terminations[trajectory.termination.value] += 1
                if trajectory.termination.infrastructure:
                    stats.infrastructure += 1
                    streak += 1
                    last_failure = f"{trajectory.termination.value}: {trajectory.extra.get('error', '')}"
                else:
                    streak = 0
                    if trajectory.verdict is not None and trajectory.verdict.status != "error":
                        stats.graded += 1
                        stats.passed += trajectory.verdict.status == "pass"
                if on_episode is not None:
                    on_episode(stats, trajectory)
                if cfg.max_consecutive_failures and streak >= cfg.max_consecutive_failures:
                    stats.aborted = (f"stopped after {streak} episodes in a row failed on infrastructure"
                                     f" (the last: {clip(last_failure, 300)})")
                    raise _Stop

            async def one(episode: Episode) -> None:
                name = episode.record.environment.family
                fam = families.get(name) or families.setdefault(name, registry.family(name))
                assert client is not None
                record(await run_episode(client, cfg, fam, episode.record, run, episode.sample, on_reply=replied))

            async def remotely() -> None:
                async for trajectory in executor.amap(remote_episode, todo, shared=(run, cfg), setup=setup,
                                                      concurrency=cfg.concurrency):
                    stats.steps += trajectory.extra.get("steps", 0)  # the episode's own count (context management may drop messages)
                    stats.completion_tokens += trajectory.usage.get("completion_tokens", 0)
                    record(trajectory)

            try:
                if remote:
                    await remotely()
                else:
                    await bounded(todo, one, cfg.concurrency)
            except* _Stop:
                pass  # episodes in flight were cancelled: nothing of theirs was written; a re-run does them
    finally:
        gc.unfreeze()
        if owned and client is not None:
            await client.aclose()
    previous = run.stage(stage_name(cfg)) or {}
    facts = {"samples": max(cfg.samples, previous.get("samples", 0)), "episodes": stats.skipped + stats.done - stats.infrastructure}
    if stats.aborted:
        session.abort(stats.aborted, **facts)
    else:
        session.finish(**facts)
    return stats
