"""The model client against a scripted server (httpx.MockTransport): retries, Retry-After, timeouts,
dropped connections, refusals, reasoning fields and thinking switches per flavor, odd tool calls."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from synth import Message, ModelError, ToolSpec
from synth import ContextOverflow, ModelClient
from synth import RolloutConfig

from .conftest import Scripted, Sleeps, call, completion

TOOL = ToolSpec(name="lookup", description="Look up.", parameters={"type": "object", "properties": {"key": {"type": "string"}}})
PROMPT = [Message(role="user", content="hi")]


def ask(scripted: Scripted, sleeps: Sleeps | None = None, messages: list[Message] = PROMPT, **settings):
    settings = {"base_url": "http://model.test/v1", "model": "m", "retries": 3, **settings}
    config = RolloutConfig(**settings)

    async def go():
        async with ModelClient(config, transport=scripted.transport(), sleep=sleeps if sleeps is not None else Sleeps()) as client:
            return await client.chat(messages, [TOOL])

    return asyncio.run(go())


def test_429_waits_as_long_as_retry_after_says_then_succeeds() -> None:
    scripted = Scripted(lambda body, n: httpx.Response(429, headers={"Retry-After": "7"}) if n == 0 else completion("ok"))
    sleeps = Sleeps()
    reply = ask(scripted, sleeps)
    assert reply.message.content == "ok"
    assert sleeps == [7.0]
    assert len(scripted.requests) == 2


def test_5xx_retried_with_growing_jittered_backoff() -> None:
    scripted = Scripted(lambda body, n: httpx.Response([502, 503, 500][n], text="busy") if n < 3 else completion("ok"))
    sleeps = Sleeps()
    reply = ask(scripted, sleeps, backoff=1.0)
    assert reply.message.content == "ok"
    assert len(sleeps) == 3
    for attempt, delay in enumerate(sleeps):
        assert 0.5 * 2**attempt <= delay <= 2**attempt  # exponential, with jitter in [50%, 100%]


def test_timeouts_and_dropped_connections_are_retried() -> None:
    faults = [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("peer closed"), httpx.ConnectError("refused")]
    scripted = Scripted(lambda body, n: faults[n] if n < 3 else completion("ok"))
    assert ask(scripted).message.content == "ok"
    assert len(scripted.requests) == 4


def test_faults_that_outlive_the_retries_are_a_model_error() -> None:
    scripted = Scripted(lambda body, n: httpx.Response(503, text="overloaded"))
    with pytest.raises(ModelError, match="HTTP 503.*gave up after 4 attempts"):
        ask(scripted)
    assert len(scripted.requests) == 4


def test_a_refused_request_is_not_retried_and_a_too_long_one_is_context_overflow() -> None:
    refused = Scripted(lambda body, n: httpx.Response(401, json={"error": "bad key"}))
    with pytest.raises(ModelError, match="HTTP 401") as info:
        ask(refused)
    assert not isinstance(info.value, ContextOverflow)
    assert len(refused.requests) == 1
    too_long = Scripted(
        lambda body, n: httpx.Response(400, json={"error": {"message": "This model's maximum context length is 8192 tokens"}})
    )
    with pytest.raises(ContextOverflow):
        ask(too_long)


def test_unreadable_body_is_retried() -> None:
    scripted = Scripted(lambda body, n: httpx.Response(200, text="<html>gateway</html>") if n == 0 else completion("ok"))
    assert ask(scripted).message.content == "ok"


@pytest.mark.parametrize("field", ["reasoning", "reasoning_content"])
@pytest.mark.parametrize("flavor", ["vllm", "sglang", "deepseek"])
def test_reasoning_is_read_from_either_field(flavor: str, field: str) -> None:
    scripted = Scripted(lambda body, n: completion("4", reasoning="2+2 is 4", reasoning_field=field))
    reply = ask(scripted, flavor=flavor, thinking=True)
    assert reply.message.reasoning_content == "2+2 is 4"
    assert reply.message.content == "4"


@pytest.mark.parametrize(
    ("flavor", "thinking", "expected"),
    [
        ("vllm", True, {"chat_template_kwargs": {"thinking": True}}),
        ("vllm", False, {"chat_template_kwargs": {"thinking": False}}),
        ("sglang", True, {"chat_template_kwargs": {"thinking": True}}),
        ("deepseek", True, {"thinking": {"type": "enabled"}}),
        ("deepseek", False, {"thinking": {"type": "disabled"}}),
        ("openai", False, {}),
    ],
)
def test_thinking_switch_per_flavor(flavor: str, thinking: bool, expected: dict) -> None:
    scripted = Scripted(lambda body, n: completion("ok"))
    ask(scripted, flavor=flavor, thinking=thinking)
    body = scripted.requests[0]
    switches = {k: body[k] for k in ("chat_template_kwargs", "thinking") if k in body}
    assert switches == expected
    assert body["temperature"] == 1.0 and body["top_p"] == 0.95 and body["model"] == "m"
    assert body["tools"][0]["function"]["name"] == "lookup" and body["tool_choice"] == "auto"


def test_reasoning_goes_back_to_deepseek_but_never_to_plain_openai_servers() -> None:
    history = [
        Message(role="user", content="hi"),
        Message(role="assistant", content=None, reasoning_content="think", tool_calls=None),
        Message(role="tool", content="r", tool_call_id="c1", name="lookup"),
    ]
    for flavor, kept in (("deepseek", True), ("openai", False)):
        scripted = Scripted(lambda body, n: completion("ok"))
        ask(scripted, messages=history, flavor=flavor)
        sent = scripted.requests[0]["messages"]
        assert ("reasoning_content" in sent[1]) is kept
        assert sent[1]["content"] == ""  # never null: some servers reject it
        assert sent[2] == {"role": "tool", "content": "r", "tool_call_id": "c1"}


def test_odd_tool_calls_are_normalized_not_fatal() -> None:
    calls = [
        {"type": "function", "function": {"name": "lookup", "arguments": {"key": "k1"}}},  # object, no id
        {"id": "x2", "type": "function", "function": {"arguments": "{}"}},  # no name
        call("lookup", "{not json", "x3"),
    ]
    reply = ask(Scripted(lambda body, n: completion(tool_calls=calls)))
    got = reply.message.tool_calls
    assert got is not None and len(got) == 3
    assert json.loads(got[0].function.arguments) == {"key": "k1"} and got[0].id.startswith("call_")
    assert got[1].function.name == "" and got[1].id == "x2"
    assert got[2].function.arguments == "{not json"
    assert reply.malformed is None


def test_empty_reply_is_flagged_and_no_tool_calls_list_is_none() -> None:
    reply = ask(Scripted(lambda body, n: completion("  ", tool_calls=[])))
    assert reply.malformed and "empty reply" in reply.malformed
    assert reply.message.tool_calls is None


def test_api_key_comes_from_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTH_TEST_KEY", "sk-123")
    scripted = Scripted(lambda body, n: completion("ok"))
    ask(scripted, api_key_env="SYNTH_TEST_KEY")
    assert scripted.headers[0]["authorization"] == "Bearer sk-123"


def test_logprobs_and_token_ids_are_kept_when_returned() -> None:
    body = completion("hi", logprobs={"content": [{"token": "hi", "logprob": -0.5}]}, token_ids=[42])
    body["prompt_token_ids"] = [1, 2]
    scripted = Scripted(lambda b, n: body)
    reply = ask(scripted, logprobs=True, flavor="vllm")
    assert scripted.requests[0]["logprobs"] is True
    assert reply.logprobs == [["hi", -0.5]] and reply.token_ids == [42] and reply.prompt_token_ids == [1, 2]


def test_completions_endpoint_sends_the_v32_prompt_and_parses_dsml() -> None:
    from synth._dsv32 import BOS, DSML, EOS

    text = f'\n\n<{DSML}function_calls>\n<{DSML}invoke name="lookup">\n<{DSML}parameter name="key" string="true">k1</{DSML}parameter>\n</{DSML}invoke>\n</{DSML}function_calls>'
    scripted = Scripted(lambda body, n: {"choices": [{"text": text, "finish_reason": "stop"}], "usage": {"prompt_tokens": 9, "completion_tokens": 5}})
    reply = ask(scripted, endpoint="completions")
    assert scripted.paths == ["/v1/completions"]
    prompt = scripted.requests[0]["prompt"]
    assert prompt.startswith(BOS) and prompt.endswith("<｜User｜>hi<｜Assistant｜></think>")
    assert scripted.requests[0]["stop"] == [EOS]
    assert reply.prompt_text == prompt
    assert reply.message.tool_calls[0].function.name == "lookup"
    assert json.loads(reply.message.tool_calls[0].function.arguments) == {"key": "k1"}
    broken = Scripted(lambda body, n: {"choices": [{"text": f"<{DSML}function_calls> oops", "finish_reason": "stop"}]})
    assert ask(broken, endpoint="completions").malformed is None  # no DSML opener at the right place: plain content
    unclosed = Scripted(lambda body, n: {"choices": [{"text": text.removesuffix(f"</{DSML}function_calls>"), "finish_reason": "length"}]})
    assert "not closed" in ask(unclosed, endpoint="completions").malformed


def test_with_a_proxy_configured_requests_take_httpx_clients_path_and_send_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    # without a proxy, requests go straight to a transport; with one, through httpx's client, which
    # honours it: both paths send the same request
    sent = []
    for proxy in (None, "http://proxy.invalid:3128"):
        if proxy:
            monkeypatch.setenv("HTTPS_PROXY", proxy)
        scripted = Scripted(lambda body, n: completion("ok"))
        assert ask(scripted).message.content == "ok"
        sent.append((scripted.paths, scripted.requests, scripted.headers[0]["content-type"]))
    assert sent[0] == sent[1] == (["/v1/chat/completions"], sent[0][1], "application/json")
