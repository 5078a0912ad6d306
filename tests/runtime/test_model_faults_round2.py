"""Issue 20, round 2 (an independent attacker): a model that wants its loss not to count, played
against the rollout loop and the client with servers that answer as real ones do. Each test is
named after the class of its attack. One the system still loses to is a strict xfail that says what
wins; one it handles asserts the verdict a user expects (the model's fault, graded, reward 0, the
run goes on, nothing lost). The container attacks are in tests/interpreter/test_model_faults_round2.py.

Why a server's refusal matters: a request the server refuses because of what the model itself wrote
earlier in the conversation ends the episode `model_error` (infrastructure: never graded, retried by
a re-run, ten in a row abort the rollout), so a policy that writes such text turns every losing
episode into one that never counts, and can stop the whole run.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

import synth
from synth import TerminationReason

from .conftest import Scripted, call, completion, make_run
from .test_rollout import model_trajectories, roll


def graded_fail(trajectory: synth.Trajectory) -> None:
    assert not trajectory.termination.infrastructure, (trajectory.termination, trajectory.extra.get("error"))
    assert trajectory.verdict is not None and trajectory.verdict.status == "fail" and trajectory.verdict.reward == 0


# -- a poisoned history ---------------------------------------------------------------------------
def vllm_like(model: Any) -> Any:
    """A server that prepares the conversation as vLLM's chat_utils._postprocess_messages does:
    every replayed assistant tool call's `arguments` is decoded with json.loads (chat templates
    iterate it with `|items`, so it must be an object); a failure is a 400 BadRequestError naming
    the JSON error, as vLLM's OpenAI server returns it. Otherwise `model` answers."""

    def reply(body: dict[str, Any], n: int) -> Any:
        for message in body["messages"]:
            for item in message.get("tool_calls") or []:
                text = item["function"].get("arguments")
                if not text:
                    continue
                try:
                    value = json.loads(text)
                    if not isinstance(value, dict):
                        raise TypeError(f"'{type(value).__name__}' object has no attribute 'items'")
                except (ValueError, TypeError) as exc:
                    return httpx.Response(400, json={"object": "error", "message": str(exc), "type": "BadRequestError",
                                                     "param": None, "code": 400})
        return model(body, n)

    return reply


@pytest.mark.parametrize("arguments", ["{\"key\": \"k1\"", "[\"k1\"]", "not json at all"], ids=["torn", "array", "prose"])
def test_poisoned_history_arguments_a_server_cannot_replay_are_the_model_s(tmp_path, arguments: str) -> None:
    run = make_run(tmp_path / "run", 1)

    def model(body: dict[str, Any], n: int) -> dict[str, Any]:
        if n == 0:
            return completion(tool_calls=[call("lookup", arguments, "c0")])
        return completion(tool_calls=[call("submit_result", {"answer": "wrong"}, f"c{n}")])

    roll(run, Scripted(vllm_like(model)), samples=1, concurrency=1, retries=0)
    [trajectory] = model_trajectories(run)
    assert trajectory.tool_errors >= 1  # the bad call was answered as a tool error the model read
    graded_fail(trajectory)


def test_poisoned_history_a_policy_that_always_poisons_stops_the_run(tmp_path) -> None:
    run = make_run(tmp_path / "run", 3)

    def model(body: dict[str, Any], n: int) -> dict[str, Any]:
        if not any(m["role"] == "tool" for m in body["messages"]):
            return completion(tool_calls=[call("lookup", "{", f"c{n}")])
        return completion(tool_calls=[call("submit_result", {"answer": "wrong"}, f"c{n}")])

    stats = roll(run, Scripted(vllm_like(model)), samples=2, concurrency=1, retries=0, max_consecutive_failures=3)
    assert stats.aborted is None
    assert stats.graded == 6 and stats.infrastructure == 0


def test_poisoned_history_valid_arguments_pass_the_same_server(tmp_path) -> None:
    """The control of the two above: the vLLM-like server itself is not what fails."""
    run = make_run(tmp_path / "run", 1)

    def model(body: dict[str, Any], n: int) -> dict[str, Any]:
        if n == 0:
            return completion(tool_calls=[call("lookup", {"key": "nope"}, "c0")])
        return completion(tool_calls=[call("submit_result", {"answer": "wrong"}, f"c{n}")])

    roll(run, Scripted(vllm_like(model)), samples=1, concurrency=1, retries=0)
    [trajectory] = model_trajectories(run)
    assert trajectory.termination is TerminationReason.SUBMITTED and trajectory.tool_errors == 1
    graded_fail(trajectory)


# -- context filled by the model, refused in a server's own words ---------------------------------
OVERFLOW = {
    # llama.cpp's llama-server (exceed_context_size_error)
    "llama.cpp": (400, {"error": {"code": 400, "message": "the request exceeds the available context size, try increasing it",
                                  "type": "exceed_context_size_error", "n_prompt_tokens": 9000, "n_ctx": 8192}}),
    # Hugging Face text-generation-inference
    "tgi": (422, {"error": "Input validation error: `inputs` tokens + `max_new_tokens` must be <= 8192. Given: 9000 "
                           "`inputs` tokens and 1024 `max_new_tokens`", "error_type": "validation"}),
    # LM Studio
    "lmstudio": (400, {"error": "tokens to keep from the initial prompt is greater than the context length"}),
    # vLLM's OpenAI server (the control: already read as an overflow)
    "vllm": (400, {"object": "error", "message": "This model's maximum context length is 8192 tokens. However, you requested "
                   "10024 tokens (9000 in the messages, 1024 in the completion).", "type": "BadRequestError", "code": 400}),
}


def overflowing(server: str) -> Any:
    """A server with an 8k context: a conversation over 30,000 characters is refused in its words."""
    status, body = OVERFLOW[server]

    def reply(request: dict[str, Any], n: int) -> Any:
        if len(json.dumps(request["messages"])) > 30_000:
            return httpx.Response(status, json=body)
        return completion(tool_calls=[call("lookup", {"key": "k1", "padding": "x" * 40_000}, f"c{n}")])

    return reply


@pytest.mark.parametrize("server", [
    "llama.cpp",
    "tgi",
    "lmstudio",
    "vllm",
])
def test_context_filled_by_the_model_is_context_exhausted_in_every_server_s_words(tmp_path, server: str) -> None:
    run = make_run(tmp_path / "run", 1)
    roll(run, Scripted(overflowing(server)), samples=1, concurrency=1, retries=0, context_strategy="none")
    [trajectory] = model_trajectories(run)
    assert trajectory.termination is TerminationReason.CONTEXT_EXHAUSTED, (trajectory.termination, trajectory.extra.get("error"))
    graded_fail(trajectory)


# -- the summary request itself overflows ---------------------------------------------------------
def small_window(request: dict[str, Any], n: int) -> Any:
    """A vLLM-like server whose context holds 30,000 characters; the model's first call carries
    40,000 characters of arguments (its own writing), then it submits a wrong word."""
    if len(json.dumps(request["messages"])) > 30_000:
        return httpx.Response(400, json=OVERFLOW["vllm"][1])
    if request["messages"][-1]["role"] == "user" and "summar" in request["messages"][-1]["content"].lower():
        return completion("I looked up k1 with a long argument; it failed.")
    if not any(m["role"] == "tool" for m in request["messages"]):
        return completion(tool_calls=[call("lookup", {"key": "k1", "padding": "x" * 40_000}, f"c{n}")])
    return completion(tool_calls=[call("submit_result", {"answer": "wrong"}, f"c{n}")])


@pytest.mark.parametrize("strategy", [
    "summary",
    "discard-all", "discard-75", "none",
])
def test_context_overflow_inside_the_summary_is_the_model_s(tmp_path, strategy: str) -> None:
    run = make_run(tmp_path / "run", 1)
    roll(run, Scripted(small_window), samples=1, concurrency=1, retries=0, context_strategy=strategy)
    [trajectory] = model_trajectories(run)
    assert not trajectory.termination.infrastructure, (trajectory.termination, trajectory.extra.get("error"))
    graded_fail(trajectory)


# -- a manifest edited by hand ----------------------------------------------------------------------
def test_a_manifest_whose_n_was_edited_by_hand_is_refused(tmp_path) -> None:
    from typer.testing import CliRunner

    from synth.cli import app

    run = tmp_path / "run"
    synth.generate(run, "general", {"category": ["trip_planning"], "n": 2, "seed": 4})
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["stages"]["generate"]["config"]["n"] = 5
    (run / "manifest.json").write_text(json.dumps(manifest))
    result = CliRunner().invoke(app, ["verify", str(run)])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and "n=5" in lines[0], result.output


# -- arguments synth itself cuts ------------------------------------------------------------------
def dsml(name: str, params: dict[str, str]) -> str:
    """A V3.2 tool-call block (the completions endpoint's encoding) with string parameters."""
    from synth import _dsv32 as dsv32

    body = "".join(f'<{dsv32.DSML}parameter name="{k}" string="true">{v}</{dsv32.DSML}parameter>\n' for k, v in params.items())
    return f'{dsv32.CALLS_OPEN}<{dsv32.DSML}invoke name="{name}">\n{body}</{dsv32.DSML}invoke>{dsv32.CALLS_CLOSE}{dsv32.EOS}'


def long_call_then_wrong_word(body: dict[str, Any], n: int) -> dict[str, Any]:
    """A raw /completions model: first a lookup whose one parameter is 300,000 characters (within
    max_tokens 32768 at 10+ characters a token), then a wrong answer."""
    text = dsml("lookup", {"key": "k1", "padding": "x" * 300_000}) if n == 0 else dsml("submit_result", {"answer": "wrong"})
    return {"id": "x", "object": "text_completion", "choices": [{"index": 0, "text": text, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10}}


def test_arguments_cut_by_synth_still_render_in_the_next_prompt(tmp_path) -> None:
    run = make_run(tmp_path / "run", 1)
    roll(run, Scripted(long_call_then_wrong_word), samples=1, concurrency=1, retries=0, endpoint="completions",
         max_tokens=32768)
    [trajectory] = model_trajectories(run)
    graded_fail(trajectory)
    assert trajectory.termination is TerminationReason.SUBMITTED


def chat_long_call_then_wrong_word(body: dict[str, Any], n: int) -> dict[str, Any]:
    """A chat model whose first reply's arguments (70,000 characters: a file written through a tool,
    say) exceed the client's text limit at max_tokens 1024; then a wrong answer."""
    if n == 0:
        return completion(tool_calls=[call("lookup", {"key": "k1", "padding": "x" * 70_000}, "c0")])
    return completion(tool_calls=[call("submit_result", {"answer": "wrong"}, f"c{n}")])


def test_arguments_cut_by_synth_are_replayed_as_json_a_server_accepts(tmp_path) -> None:
    run = make_run(tmp_path / "run", 1)
    roll(run, Scripted(vllm_like(chat_long_call_then_wrong_word)), samples=1, concurrency=1, retries=0)
    [trajectory] = model_trajectories(run)
    graded_fail(trajectory)


# -- an escaped lone surrogate in a V3.2 tool call ------------------------------------------------
def surrogate_then_wrong_word(body: dict[str, Any], n: int) -> dict[str, Any]:
    """A raw /completions model whose first call passes a JSON parameter (string="false") holding an
    escaped lone surrogate, then a wrong answer."""
    from synth import _dsv32 as dsv32

    if n == 0:
        text = (f'{dsv32.CALLS_OPEN}<{dsv32.DSML}invoke name="lookup">\n'
                f'<{dsv32.DSML}parameter name="key" string="false">"k\\ud8001"</{dsv32.DSML}parameter>\n'
                f'</{dsv32.DSML}invoke>{dsv32.CALLS_CLOSE}{dsv32.EOS}')
    else:
        text = dsml("submit_result", {"answer": "wrong"})
    return {"id": "x", "object": "text_completion", "choices": [{"index": 0, "text": text, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10}}


def test_an_escaped_surrogate_in_a_v32_parameter_is_replaced_and_graded(tmp_path) -> None:
    run = make_run(tmp_path / "run", 1)
    roll(run, Scripted(surrogate_then_wrong_word), samples=1, concurrency=1, retries=0, endpoint="completions")
    [trajectory] = model_trajectories(run)
    graded_fail(trajectory)
    trajectory.model_dump_json().encode("utf-8")


# -- an emoji split across tokens, in the logprobs a server returns ----------------------------------
def split_emoji_logprobs(body: dict[str, Any], n: int) -> httpx.Response:
    """A chat model that answers with an emoji; the server gives the logprobs of its two byte-level
    tokens as JSON-escaped halves of a surrogate pair (as servers that slice UTF-16 strings do)."""
    reply = completion(tool_calls=[call("submit_result", {"answer": "wrong 😀"}, f"c{n}")])
    reply["choices"][0]["logprobs"] = {"content": [{"token": "\ud83d", "logprob": -0.1}, {"token": "\ude00", "logprob": -0.2}]}
    return httpx.Response(200, content=json.dumps(reply).encode(), headers={"content-type": "application/json"})


def test_logprob_tokens_holding_half_an_emoji_are_stored(tmp_path) -> None:
    run = make_run(tmp_path / "run", 1)
    roll(run, Scripted(split_emoji_logprobs), samples=1, concurrency=1, retries=0, logprobs=True)
    [trajectory] = model_trajectories(run)
    graded_fail(trajectory)
    assert len(trajectory.extra["logprobs"][0]) == 2


# -- what the fixes above rest on ----------------------------------------------------------------------
def test_a_trajectory_that_cannot_be_saved_ends_that_episode_only(tmp_path, monkeypatch) -> None:
    """Text no encoder takes that slips past every entry point (here put into one episode's record
    by hand) is replaced when that record is written; the rollout goes on with the other episodes."""
    from synth import _rollout

    real = _rollout.run_episode

    async def poisoned(*args: Any, **kwargs: Any) -> synth.Trajectory:
        trajectory = await real(*args, **kwargs)
        if trajectory.sample == 0:
            trajectory.extra["note"] = "half an emoji \ud83d"
        return trajectory

    monkeypatch.setattr(_rollout, "run_episode", poisoned)
    run = make_run(tmp_path / "run", 2)

    def model(body: dict[str, Any], n: int) -> dict[str, Any]:
        return completion(tool_calls=[call("submit_result", {"answer": "wrong"}, f"c{n}")])

    stats = roll(run, Scripted(model), samples=2, concurrency=2, retries=0)
    assert stats.aborted is None and stats.done == 4 and stats.graded == 4
    trajectories = model_trajectories(run)
    assert len(trajectories) == 4
    assert [t.extra["note"] for t in trajectories if "note" in t.extra] == ["half an emoji \ufffd"] * 2


def test_a_conversation_synth_cannot_encode_is_the_model_s_and_a_server_fault_stays_infrastructure(tmp_path, monkeypatch) -> None:
    """Where the exception comes from decides: a data error while synth encodes the conversation
    (which holds only the model's writing and its tools' answers) ends sandbox_broken_by_model,
    graded fail; an error out of the HTTP exchange itself stays infrastructure."""
    from synth import _client

    def model(body: dict[str, Any], n: int) -> dict[str, Any]:
        if n == 0:
            return completion(tool_calls=[call("lookup", {"key": "k1"}, "c0")])
        return completion(tool_calls=[call("submit_result", {"answer": "wrong"}, f"c{n}")])

    real = _client.wire_message

    def unencodable(message: Any, flavor: str) -> Any:
        if message.role == "tool":
            raise ValueError("a value this encoder cannot write")
        return real(message, flavor)

    monkeypatch.setattr(_client, "wire_message", unencodable)
    run = make_run(tmp_path / "run", 1)
    roll(run, Scripted(model), samples=1, concurrency=1, retries=0)
    [trajectory] = model_trajectories(run)
    assert trajectory.termination is TerminationReason.SANDBOX_BROKEN_BY_MODEL, trajectory.extra.get("error")
    assert "encode the conversation" in trajectory.extra["error"]
    graded_fail(trajectory)
    monkeypatch.undo()

    def broken_transport(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("the transport itself broke")

    run = make_run(tmp_path / "run2", 1)
    config = _client.RolloutConfig(base_url="http://model.test/v1", model="scripted", retries=0)

    async def go() -> Any:
        from synth._rollout import rollout_run

        async with _client.ModelClient(config, transport=httpx.MockTransport(broken_transport)) as client:
            return await rollout_run(run, config, client=client)

    import asyncio

    asyncio.run(go())
    [trajectory] = model_trajectories(run)
    assert trajectory.termination.infrastructure and trajectory.verdict is None  # never graded, redone by a re-run
