"""The rollout loop against a scripted model: episodes end with the right termination and verdict,
bad output becomes error messages the model sees, server faults end one episode only, reasoning is
kept within a turn, each context strategy cuts what it says, and re-runs resume by key."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

import synth
from synth import Message, StoreError, TerminationReason, Trajectory
from synth import ModelClient
from synth import RolloutConfig
from synth._context import SUMMARY_HEADER, discard_tool_history
from synth._grading import pass_at_k, regrade_run, task_stats
from synth._rollout import bounded, rollout_run


from .conftest import Scripted, Sleeps, call, completion, solver


def roll(run: synth.Run, scripted: Scripted, **settings: Any):
    config = RolloutConfig(**{"base_url": "http://model.test/v1", "model": "scripted", "retries": 1, **settings})

    async def go():
        async with ModelClient(config, transport=scripted.transport(), sleep=Sleeps()) as client:
            return await rollout_run(run, config, client=client)

    return asyncio.run(go())


def model_trajectories(run: synth.Run) -> list[Trajectory]:
    return [t for t in run.trajectories() if t.source == "model"]


def test_a_solving_model_submits_and_passes(toy_run: synth.Run) -> None:
    scripted = Scripted(solver)
    stats = roll(toy_run, scripted, samples=2, concurrency=4)
    got = model_trajectories(toy_run)
    assert len(got) == 4 and stats.passed == 4
    assert {(t.model, t.sample) for t in got} == {("scripted", 0), ("scripted", 1)}
    for t in got:
        assert t.termination is TerminationReason.SUBMITTED
        assert t.verdict is not None and t.verdict.status == "pass"
        assert [m.role for m in t.messages] == ["system", "user", "assistant", "tool", "assistant", "tool"]
        assert t.messages[3].tool_call_id == t.messages[2].tool_calls[0].id
        assert t.usage == {"prompt_tokens": 200, "completion_tokens": 20}
        assert t.sampling["temperature"] == 1.0 and t.sampling["top_p"] == 0.95
        assert [tool.name for tool in t.tools] == ["lookup", "submit_result"]
    assert all(s.pass_at(2) == 1.0 for s in task_stats(toy_run, "scripted").values())


def test_bad_calls_come_back_as_tool_errors_and_the_episode_goes_on(toy_run: synth.Run) -> None:
    def model(body: dict, n: int) -> dict:
        turn = sum(1 for m in body["messages"] if m["role"] == "assistant")
        bad = [
            [call("lookup", "{key: k1", "a")],  # not JSON
            [call("fly", {}, "b")],  # unknown tool
            [call("lookup", {"key": 3, "extra": 1}, "c")],  # schema violation
        ]
        if turn < 3:
            return completion(tool_calls=bad[turn])
        if turn == 3:
            return completion("")  # empty reply
        if turn == 4:
            return completion(tool_calls=[call("lookup", {"key": "k1"}, "d")])
        word = json.loads(body["messages"][-1]["content"])
        return completion(tool_calls=[call("submit_result", {"answer": word}, "e")])

    scripted = Scripted(model)
    roll(toy_run, scripted, concurrency=1)
    first = model_trajectories(toy_run)[0]
    errors = [json.loads(m.content)["error"]["type"] for m in first.messages if m.role == "tool" and '"error"' in (m.content or "")]
    assert errors == ["invalid_json", "unknown_tool", "invalid_arguments"]
    feedback = [m for m in first.messages if m.role == "user"][1]
    assert json.loads(feedback.content)["error"]["type"] == "malformed_reply"
    assert first.tool_errors == 4 and first.extra["malformed_replies"] == 1
    assert first.termination is TerminationReason.SUBMITTED and first.verdict.status == "pass"
    # the model saw the error results in the tool role, answering its own call ids
    later = scripted.requests[3]["messages"]
    assert [m["role"] for m in later[-2:]] == ["assistant", "tool"] and later[-1]["tool_call_id"] == "c"


def test_server_faults_end_one_episode_as_model_error_and_the_run_goes_on(toy_run: synth.Run) -> None:
    def model(body: dict, n: int) -> Any:
        if body["seed"] == 100:  # sample 0: the server keeps failing
            return httpx.Response(503, text="down")
        return solver(body, n)

    stats = roll(toy_run, Scripted(model), samples=2, seed=100)
    got = {(t.task_key, t.sample): t for t in model_trajectories(toy_run)}
    assert len(got) == 4 and stats.infrastructure == 2 and stats.passed == 2
    for (key, sample), t in got.items():
        if sample == 0:
            assert t.termination is TerminationReason.MODEL_ERROR and t.verdict is None
            assert "HTTP 503" in t.extra["error"]
        else:
            assert t.verdict.status == "pass"
    assert all(s.n == 1 for s in task_stats(toy_run, "scripted").values())  # infra failures are not graded
    # a re-run retries only the failed episodes; the newer record supersedes the failure
    scripted = Scripted(solver)
    roll(toy_run, scripted, samples=2, seed=100)
    assert len(scripted.requests) == 4
    assert all(s == (2, 2) for s in task_stats(toy_run, "scripted").values())


def test_answer_without_tool_call_and_max_steps(toy_run: synth.Run) -> None:
    roll(toy_run, Scripted(lambda body, n: completion("apple")), concurrency=1)
    answered = model_trajectories(toy_run)
    assert {t.termination for t in answered} == {TerminationReason.ANSWERED}
    assert answered[0].submission == "apple"
    looping = Scripted(lambda body, n: completion(tool_calls=[call("lookup", {"key": "k0"}, f"x{n}")]))
    roll(synth.Run.open(toy_run.path), looping, model="looper", max_steps=3)
    stuck = [t for t in model_trajectories(toy_run) if t.model == "looper"]
    assert {t.termination for t in stuck} == {TerminationReason.MAX_STEPS}
    assert stuck[0].verdict.status == "fail" and stuck[0].verdict.checks[0].name == "submitted"
    assert len(looping.requests) == 6


def test_reasoning_is_kept_across_tool_calls_within_the_turn(toy_run: synth.Run) -> None:
    def model(body: dict, n: int) -> dict:
        reply = solver(body, n)
        reply["choices"][0]["message"]["reasoning"] = f"thought {n}"
        return reply

    scripted = Scripted(model)
    roll(toy_run, scripted, flavor="vllm", thinking=True, concurrency=1)
    second = scripted.requests[1]
    assert second["chat_template_kwargs"] == {"thinking": True}
    assistant = [m for m in second["messages"] if m["role"] == "assistant"]
    assert assistant[0]["reasoning_content"] == "thought 0"
    stored = model_trajectories(toy_run)[0]
    assert [m.reasoning_content for m in stored.messages if m.role == "assistant"] == ["thought 0", "thought 1"]


# -- context management ----------------------------------------------------------------------
def history(rounds: int) -> list[Message]:
    out = [Message(role="system", content="s"), Message(role="user", content="u")]
    for i in range(rounds):
        out.append(Message(role="assistant", content=None, tool_calls=[synth.ToolCall(id=f"c{i}", function=synth.FunctionCall(name="lookup", arguments="{}"))]))
        out.append(Message(role="tool", tool_call_id=f"c{i}", content=f"r{i}"))
    return out


def test_discard_strategies_drop_exactly_their_share_of_tool_rounds() -> None:
    messages = history(4) + [Message(role="assistant", content="note")]
    kept, dropped = discard_tool_history(messages, 1.0)
    assert [m.content for m in kept] == ["s", "u", "note"] and dropped == 8
    kept, dropped = discard_tool_history(messages, 0.75)
    assert [m.tool_call_id for m in kept if m.role == "tool"] == ["c3"] and dropped == 6
    kept, dropped = discard_tool_history(history(1), 0.75)
    assert dropped == 2  # at least one round goes
    assert discard_tool_history(history(0), 1.0) == (history(0), 0)


def lookup_forever(tokens_at: dict[int, int]) -> Scripted:
    """Calls lookup every turn; reports `tokens_at[n]` prompt tokens on request n (else 100)."""
    def model(body: dict, n: int) -> dict:
        if not body.get("tools"):
            return completion("SUMMARY: k0 holds a word")
        return completion(tool_calls=[call("lookup", {"key": "k0"}, f"x{n}")], usage=(tokens_at.get(n, 100), 10))

    return Scripted(model)


@pytest.mark.parametrize("strategy", ["discard-all", "discard-75"])
def test_discard_strategies_shrink_the_next_request(toy_run: synth.Run, strategy: str) -> None:
    scripted = lookup_forever({3: 900})  # over 80% of 1000 after the 4th reply
    roll(toy_run, scripted, context_window=1000, context_strategy=strategy, max_steps=6, concurrency=1)
    before, after = scripted.requests[3]["messages"], scripted.requests[4]["messages"]
    assert sum(m["role"] == "tool" for m in before) == 3
    # 4 rounds when the strategy ran (the 4th reply's results were appended)
    assert sum(m["role"] == "tool" for m in after) == (0 if strategy == "discard-all" else 1)
    assert [m["role"] for m in after[:2]] == ["system", "user"]
    events = model_trajectories(toy_run)[0].extra["context_events"]
    assert events[0]["strategy"] == strategy and events[0]["step"] == 4


def test_summary_strategy_restarts_from_the_summary(toy_run: synth.Run) -> None:
    scripted = lookup_forever({2: 900})
    roll(toy_run, scripted, context_window=1000, context_strategy="summary", max_steps=5, concurrency=1)
    summary_request, restarted = scripted.requests[3], scripted.requests[4]
    assert "tools" not in summary_request and "Summarize" in summary_request["messages"][-1]["content"]
    assert [m["role"] for m in restarted["messages"]] == ["system", "user"]
    assert restarted["messages"][1]["content"].endswith(f"{SUMMARY_HEADER}\nSUMMARY: k0 holds a word")


def test_no_strategy_ends_the_episode_as_context_exhausted(toy_run: synth.Run) -> None:
    scripted = lookup_forever({1: 900})
    roll(toy_run, scripted, context_window=1000, context_strategy="none", max_steps=9, concurrency=1)
    first = model_trajectories(toy_run)[0]
    assert first.termination is TerminationReason.CONTEXT_EXHAUSTED and first.extra["steps"] == 2


def test_server_refusing_the_length_triggers_the_strategy(toy_run: synth.Run) -> None:
    def model(body: dict, n: int) -> Any:
        if sum(m["role"] == "tool" for m in body["messages"]) >= 2:
            return httpx.Response(400, json={"error": {"message": "maximum context length exceeded"}})
        return completion(tool_calls=[call("lookup", {"key": "k0"}, f"x{n}")])

    scripted = Scripted(model)
    roll(toy_run, scripted, context_strategy="discard-all", max_steps=4, concurrency=1)
    first = model_trajectories(toy_run)[0]
    assert first.termination is TerminationReason.MAX_STEPS
    assert first.extra["context_events"][0]["reason"] == "server refused the length"


# -- resume, regrade, stats ------------------------------------------------------------------
def test_rerun_skips_finished_episodes_and_more_samples_add_only_new_ones(toy_run: synth.Run) -> None:
    roll(toy_run, Scripted(solver), samples=2)
    again = Scripted(solver)
    stats = roll(toy_run, again, samples=2)
    assert again.requests == [] and stats.skipped == 4
    more = Scripted(solver)
    roll(toy_run, more, samples=3)
    got = model_trajectories(toy_run)
    assert len(more.requests) == 4 and len(got) == 6 and len({t.key for t in got}) == 6
    with pytest.raises(StoreError, match="temperature"):
        roll(toy_run, Scripted(solver), samples=2, temperature=0.2)


def test_unverified_run_is_refused(tmp_path) -> None:
    from .conftest import toy_tuple

    run = synth.Run.create(tmp_path / "raw")
    with run.journal("tuples.jsonl", synth.TupleRecord) as journal:
        journal.append(toy_tuple(0))
    with pytest.raises(StoreError, match="synth verify"):
        roll(run, Scripted(solver))


def test_regrade_rescores_from_the_stored_trajectory_alone(toy_run: synth.Run) -> None:
    roll(toy_run, Scripted(solver))
    journal = toy_run.trajectories()
    tampered = [t.model_copy(update={"verdict": synth.Verdict.crashed("lost")}) if t.source == "model" else t for t in journal]
    journal.rewrite(tampered)
    counts = regrade_run(toy_run)
    assert counts == {"regraded": 4, "changed": 2}  # 2 gold (unchanged) + 2 model
    assert all(t.verdict.status == "pass" for t in model_trajectories(toy_run))


def test_pass_at_k() -> None:
    assert pass_at_k(10, 0, 5) == 0.0
    assert pass_at_k(10, 10, 1) == 1.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)  # 1 - C(3,2)/C(4,2)
    assert pass_at_k(4, 2, 3) == 1.0


def test_bounded_never_exceeds_its_limit() -> None:
    live, peak = 0, 0

    async def work(i: int) -> None:
        nonlocal live, peak
        live += 1
        peak = max(peak, live)
        await asyncio.sleep(0.001 * (i % 3))
        live -= 1

    asyncio.run(bounded(range(200), work, 7))
    assert peak == 7
