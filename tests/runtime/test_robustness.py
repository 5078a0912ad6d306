"""What a model or a server sends can neither crash a rollout nor leave an episode ungraded: each
fault found by trying the runtime as an attacker has a regression test here, named after it. Also
the early stop on consecutive infrastructure failures, and an environment that breaks under a
tool call (an infrastructure failure, never a tool error the model is blamed for)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import httpx
import pytest

import synth
from synth import Control, EnvironmentSpec, Family, RuntimeEnvironment, TaskSpec, TerminationReason, ToolRuntime, Trajectory
from synth import TupleRecord, VerifierSpec, register_family, tool_from_function
from synth._records import encodable
from synth._tools import MAX_ARGUMENT_CHARS

from .conftest import Scripted, call, completion, solver
from .test_rollout import model_trajectories, roll


def recovering(body: dict, n: int) -> dict:
    """A model that solves toy tasks whatever errors came before: lookup k1 until a word comes
    back, then submit it."""
    words = [json.loads(m["content"]) for m in body["messages"] if m["role"] == "tool" and '"error"' not in m["content"]]
    if not words:
        return completion(tool_calls=[call("lookup", {"key": "k1"}, f"c{n}")])
    return completion(tool_calls=[call("submit_result", {"answer": words[-1]}, f"c{n}")])


def raw(body: dict) -> httpx.Response:
    """A response whose JSON escapes what UTF-8 cannot hold (a lone surrogate travels as "\\ud800")."""
    return httpx.Response(200, content=json.dumps(body).encode(), headers={"content-type": "application/json"})


def journal_is_clean(run: synth.Run) -> None:
    """Every line of the journal reads back, encodes, and re-serializes (what export does)."""
    for trajectory in run.trajectories():
        trajectory.model_dump_json().encode("utf-8")


def test_tool_calls_given_as_a_number_is_a_malformed_reply_not_an_environment_error(toy_run: synth.Run) -> None:
    def model(body: dict, n: int) -> dict:
        if n == 0:
            reply = completion("calling")
            reply["choices"][0]["message"]["tool_calls"] = 7
            return reply
        return recovering(body, n)

    scripted = Scripted(model)
    roll(toy_run, scripted, concurrency=1, samples=1)
    first = model_trajectories(toy_run)[0]
    assert first.termination is TerminationReason.SUBMITTED and first.verdict.status == "pass"
    feedback = json.loads(first.messages[3].content)["error"]
    assert first.messages[3].role == "user" and feedback["type"] == "malformed_reply" and "tool_calls" in feedback["message"]
    assert first.extra["malformed_replies"] == 1 and first.tool_errors == 1


def test_a_non_object_among_tool_calls_is_malformed_and_every_call_is_answered_unrun(toy_run: synth.Run) -> None:
    def model(body: dict, n: int) -> dict:
        if n == 0:
            reply = completion(tool_calls=[call("submit_result", {"answer": "apple"}, "s1")])
            reply["choices"][0]["message"]["tool_calls"].append("not a call")
            return reply
        return recovering(body, n)

    scripted = Scripted(model)
    roll(toy_run, scripted, concurrency=1, samples=1)
    first = model_trajectories(toy_run)[0]
    # the submit call in the malformed reply was not run: the episode went on and submitted later
    assert first.messages[3].role == "tool" and first.messages[3].tool_call_id == "s1"
    assert json.loads(first.messages[3].content)["error"]["type"] == "malformed_reply"
    assert first.termination is TerminationReason.SUBMITTED and first.verdict.status == "pass"
    # the next request answered the call before anything else (a valid conversation)
    assert [m["role"] for m in scripted.requests[1]["messages"][-2:]] == ["assistant", "tool"]


def test_a_4mb_reply_is_cut_fed_back_and_never_stored_whole(toy_run: synth.Run) -> None:
    def model(body: dict, n: int) -> dict:
        return completion("x" * 4_000_000) if n == 0 else recovering(body, n)

    roll(toy_run, Scripted(model), concurrency=1, samples=1)
    first = model_trajectories(toy_run)[0]
    assert len(first.messages[2].content) < 100_000 and "more characters cut" in first.messages[2].content
    assert "4000000 characters" in json.loads(first.messages[3].content)["error"]["message"]
    assert first.termination is TerminationReason.SUBMITTED
    assert (toy_run.path / "trajectories.jsonl").stat().st_size < 1_000_000


def test_a_100k_argument_is_answered_too_large_and_stored_cut(toy_run: synth.Run) -> None:
    huge = json.dumps({"key": "k" * (MAX_ARGUMENT_CHARS + 10)})

    def model(body: dict, n: int) -> dict:
        return completion(tool_calls=[call("lookup", huge, "big")]) if n == 0 else recovering(body, n)

    scripted = Scripted(model)
    roll(toy_run, scripted, concurrency=1, samples=1, max_tokens=20_000)  # a reply may then hold 320K characters
    first = model_trajectories(toy_run)[0]
    assert json.loads(first.messages[3].content)["error"]["type"] == "arguments_too_large"
    assert len(first.messages[2].tool_calls[0].function.arguments) < 3000
    assert len(json.dumps(scripted.requests[1])) < 20_000  # the whole text is not sent back either
    assert first.termination is TerminationReason.SUBMITTED and first.verdict.status == "pass"


@pytest.mark.parametrize("where", ["submitted", "answered", "reasoning", "tool_name", "arguments", "raw_arguments"])
def test_a_lone_surrogate_anywhere_in_a_reply_never_crashes_the_rollout(toy_run: synth.Run, where: str) -> None:
    # "\ud800" crashed the whole `synth rollout` (a serialization error in Journal.append)
    def model(body: dict, n: int) -> Any:
        if n > 0:
            return recovering(body, n)
        if where == "submitted":
            return raw(completion(tool_calls=[call("submit_result", '{"answer": "app\\ud800le"}', "s")]))
        if where == "answered":
            return raw(completion("the word is app\ud800le"))
        if where == "reasoning":
            return raw(completion(tool_calls=[call("lookup", {"key": "k1"}, "r")], reasoning="hm\udfff"))
        if where == "tool_name":
            return raw(completion(tool_calls=[call("look\ud800up", {"key": "k1"}, "t")]))
        if where == "raw_arguments":  # the character itself inside the argument text (replaced on arrival)
            return raw(completion(tool_calls=[call("lookup", '{"key": "k\ud800"}', "a")]))
        return raw(completion(tool_calls=[call("lookup", '{"key": "k\\ud800"}', "a")]))

    stats = roll(toy_run, Scripted(model), concurrency=1, samples=1)
    journal_is_clean(toy_run)
    first = model_trajectories(toy_run)[0]
    assert first.verdict is not None and first.verdict.status in ("pass", "fail")  # graded, never lost
    assert stats.infrastructure == 0 and stats.graded == stats.done
    assert encodable(first.model_dump()) == first.model_dump()  # no lone surrogate left anywhere
    for message in first.messages:  # nor escaped in argument text: whoever decodes it (an export) gets encodable text
        for made in message.tool_calls or []:
            decoded = json.loads(made.function.arguments) if made.function.arguments.startswith("{") else None
            assert encodable(decoded) == decoded, made.function.arguments
    if where == "submitted":
        assert first.submission == "app\ufffdle"
    if where == "arguments":
        assert "k\\ufffd" in first.messages[2].tool_calls[0].function.arguments


# -- an environment that breaks under a call --------------------------------------------------------
OPENED: list[sqlite3.Connection] = []


def fetch(db: sqlite3.Connection, key: str) -> str:
    """Fetch the word under a key.

    Args:
        key: The key.
    """
    row = db.execute("SELECT word FROM words WHERE key = ?", (key,)).fetchone()
    if row is None:
        raise synth.ToolError(f"no key {key!r}", "not_found")
    return row[0]


def answer(db: sqlite3.Connection, word: str) -> str:
    """Submit the word.

    Args:
        word: The word.
    """
    return word


FRAGILE_TOOLS = [tool_from_function(fetch), tool_from_function(answer, submit=True)]


@register_family
class FragileFamily(Family):
    """Tools over an SQLite connection the test can break mid-episode."""

    name = "fragile"
    description = "a database that can go away (runtime tests)"
    blocking = False

    def open(self, record: TupleRecord, run: Any) -> RuntimeEnvironment:
        db = sqlite3.connect(":memory:")
        db.execute("CREATE TABLE words (key, word)")
        db.execute("INSERT INTO words VALUES ('k1', 'river')")
        OPENED.append(db)
        return RuntimeEnvironment(ToolRuntime.of(FRAGILE_TOOLS, db, probe=lambda: db.execute("SELECT 1")), on_close=db.close)

    def solve_gold(self, record: TupleRecord, run: Any, client: Any) -> None:
        client.answer(word=client.fetch(key="k1"))

    def controls(self, record: TupleRecord, run: Any, gold_submission: Any) -> list[Control]:
        return [Control("wrong", "lake", "answer")]


@synth.register_verifier("fragile.exact")
def _exact(record: Any, submission: Any, run: Any, *, trajectory: Any = None) -> list[synth.Check]:
    return [synth.Check(name="answer", passed=submission == "river")]


def fragile_run(path) -> synth.Run:  # type: ignore[no-untyped-def]
    run = synth.Run.create(path)
    env = EnvironmentSpec(family="fragile", category="db", seed=0, index=0, difficulty=1, tools=[t.spec for t in FRAGILE_TOOLS])
    task = TaskSpec(family="fragile", category="db", environment_key=env.key, prompt="Fetch k1 and answer it.")
    with run.tuples() as journal:
        journal.append(TupleRecord.build(env, task, VerifierSpec(name="fragile.exact")))
    assert synth.verify(run).ok
    return run


def test_a_connection_closed_under_a_live_episode_ends_it_as_environment_error_not_a_tool_error(tmp_path) -> None:
    run = fragile_run(tmp_path / "run")

    def model(body: dict, n: int) -> dict:
        if n == 1:
            OPENED[-1].close()  # the environment's connection goes away between two calls
        return completion(tool_calls=[call("fetch", {"key": "k1"}, f"f{n}")])

    stats = roll(run, Scripted(model), concurrency=1)
    (episode,) = model_trajectories(run)
    assert episode.termination is TerminationReason.ENVIRONMENT_ERROR and episode.verdict is None
    assert "closed database" in episode.extra["error"] and stats.infrastructure == 1
    assert episode.tool_errors == 0
    assert not any("closed" in (m.content or "") for m in episode.messages if m.role == "tool")


def test_a_general_connection_lives_exactly_as_long_as_the_environments_using_it(tmp_path) -> None:
    run = synth.Run.create(tmp_path / "trips")
    synth.generate(run, "general", {"category": ["trip_planning"], "n": 1, "seed": 3})
    (record,) = run.tuples().read()
    general = synth.family("general")
    first, second = general.open(record, run), general.open(record, run)
    db = second.runtime.context  # type: ignore[attr-defined]
    first.close()
    first.close()  # closing twice releases once
    assert json.loads(second.call("get_all_cities", "{}").content)  # one episode ending never closes another's
    second.close()
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):  # the last one's close closes it
        db.execute("SELECT 1")
    third = general.open(record, run)
    assert json.loads(third.call("get_all_cities", "{}").content)
    third.runtime.context.close()  # type: ignore[attr-defined]  # broken under a live environment
    with pytest.raises(synth.EnvironmentFault):
        third.call("get_all_cities", "{}")
    fourth = general.open(record, run)  # opened while the broken one is still open: a working connection
    assert json.loads(fourth.call("get_all_cities", "{}").content)
    third.close(), fourth.close()


# -- the early stop -----------------------------------------------------------------------------
def test_consecutive_infrastructure_failures_stop_the_rollout_and_mark_it_aborted(tmp_path) -> None:
    from .conftest import make_run

    run = make_run(tmp_path / "run", 4)
    down = Scripted(lambda body, n: httpx.Response(503, text="down"))
    stats = roll(run, down, samples=5, concurrency=2, max_consecutive_failures=3, retries=0)
    assert stats.aborted and "episodes in a row" in stats.aborted and "HTTP 503" in stats.aborted
    assert stats.done < 20 and len(down.requests) < 20
    entry = synth.Run.open(run.path).stage("rollout:scripted")
    assert entry["complete"] is False and "in a row" in entry["aborted"]
    # the server is back: a re-run resumes every episode that did not finish, and completes the stage
    again = roll(synth.Run.open(run.path), Scripted(solver), samples=5, concurrency=2, max_consecutive_failures=3, retries=0)
    assert again.aborted is None and again.passed == again.done == 20
    entry = synth.Run.open(run.path).stage("rollout:scripted")
    assert entry["complete"] is True and "aborted" not in entry


def test_resume_finds_the_episodes_of_a_model_with_any_name(toy_run: synth.Run) -> None:
    name = 'modèle "x"/é\tv2'
    roll(toy_run, Scripted(solver), model=name, samples=2)
    again = Scripted(solver)
    stats = roll(synth.Run.open(toy_run.path), again, model=name, samples=2)
    assert stats.skipped == 4 and again.requests == []


def test_reasoning_before_a_new_user_message_is_dropped_from_the_spliced_request(toy_run: synth.Run) -> None:
    # requests reuse the JSON of earlier turns: a turn whose reasoning must go is encoded afresh
    def model(body: dict, n: int) -> dict:
        if n == 0:
            return completion(tool_calls=[call("lookup", {"key": "k1"}, "a")], reasoning="first thought", reasoning_field="reasoning")
        if n == 1:
            return completion("")  # malformed: feedback arrives as a new user message
        return recovering(body, n)

    scripted = Scripted(model)
    roll(toy_run, scripted, flavor="vllm", thinking=True, concurrency=1, samples=1)
    assert scripted.requests[1]["messages"][2]["reasoning_content"] == "first thought"  # kept within the turn
    assert "reasoning_content" not in scripted.requests[2]["messages"][2]  # dropped after the new user message
    assert [m["role"] for m in scripted.requests[2]["messages"]] == ["system", "user", "assistant", "tool", "assistant", "user"]
    assert scripted.requests[2]["tools"] == scripted.requests[0]["tools"] and scripted.requests[2]["model"] == "scripted"


def test_a_reply_of_a_thousand_calls_with_huge_ids_and_names_is_bounded(toy_run: synth.Run) -> None:
    flood = [call("n" * 50_000, {"key": "k" * 5_000}, "i" * 50_000 + str(i)) for i in range(1_000)]

    def model(body: dict, n: int) -> dict:
        return completion(tool_calls=flood) if n == 0 else recovering(body, n)

    scripted = Scripted(model)
    roll(toy_run, scripted, concurrency=1, samples=1)
    first = model_trajectories(toy_run)[0]
    error = json.loads(first.messages[3].content)["error"]
    assert error["type"] == "malformed_reply" and "1000 tool calls" in error["message"]  # none was run
    assert len(first.messages[2].tool_calls) == 64 and first.messages[4].role == "tool"
    assert first.termination is TerminationReason.SUBMITTED and first.verdict.status == "pass"
    assert len(first.model_dump_json()) < 300_000 and len(json.dumps(scripted.requests[1])) < 300_000


def test_a_response_nested_too_deep_to_read_is_a_model_error_not_an_environment_error(toy_run: synth.Run) -> None:
    deep = b'{"choices": [{"message": {"role": "assistant", "content": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}]}"
    stats = roll(toy_run, Scripted(lambda body, n: httpx.Response(200, content=deep)), concurrency=1, samples=1)
    assert stats.infrastructure == 2 and model_trajectories(toy_run)[0].termination is TerminationReason.MODEL_ERROR


# -- what the model's calls break is the model's --------------------------------------------------
def smash(box: dict, key: str) -> str:
    """Look a key up in a sandbox the model can break.

    Args:
        key: The key; "rm -rf" breaks the sandbox beyond repair, "crash" makes the tool fail and
            the health check blame the model.
    """
    if key == "rm -rf":
        raise synth.BrokenByModel("the command removed what the sandbox needs")
    if key == "crash":
        box["broken"] = True
        raise RuntimeError("the tool's process died")
    return "river"


SMASH_TOOLS = [tool_from_function(smash), tool_from_function(answer, submit=True)]


@register_family
class BreakableFamily(Family):
    """A sandbox the model can break (runtime tests)."""

    name = "breakable"
    description = "a sandbox a model's calls can break (runtime tests)"
    blocking = False

    def open(self, record: TupleRecord, run: Any) -> RuntimeEnvironment:
        box: dict = {}

        def probe() -> None:
            if box.get("broken"):
                raise synth.BrokenByModel("the sandbox no longer runs commands after the model's call")

        return RuntimeEnvironment(ToolRuntime.of(SMASH_TOOLS, box, probe=probe))

    def solve_gold(self, record: TupleRecord, run: Any, client: Any) -> None:
        client.answer(word=client.smash(key="k1"))

    def controls(self, record: TupleRecord, run: Any, gold_submission: Any) -> list[Control]:
        return [Control("wrong", "lake", "answer")]


@pytest.mark.parametrize("how", ["rm -rf", "crash"])
def test_a_sandbox_the_model_breaks_is_a_graded_failure_that_never_stops_the_rollout(tmp_path, how: str) -> None:
    run = synth.Run.create(tmp_path / "run")
    env = EnvironmentSpec(family="breakable", category="box", seed=0, index=0, difficulty=1, tools=[t.spec for t in SMASH_TOOLS])
    task = TaskSpec(family="breakable", category="box", environment_key=env.key, prompt="Look up k1 and answer it.")
    with run.tuples() as journal:
        journal.append(TupleRecord.build(env, task, VerifierSpec(name="fragile.exact")))
    assert synth.verify(run).ok

    def model(body: dict, n: int) -> dict:
        return completion(tool_calls=[call("smash", {"key": how}, f"s{n}")])

    stats = roll(run, Scripted(model), samples=12, concurrency=1, max_consecutive_failures=3)
    episodes = model_trajectories(run)
    assert len(episodes) == 12 and stats.aborted is None and stats.infrastructure == 0
    for episode in episodes:
        assert episode.termination is TerminationReason.SANDBOX_BROKEN_BY_MODEL and not episode.termination.infrastructure
        assert episode.verdict is not None and episode.verdict.status == "fail" and episode.verdict.reward == 0
        assert episode.submission is None and episode.extra["error"]
    assert stats.graded == 12 and stats.passed == 0
