"""The model client: async httpx against OpenAI-compatible servers (vLLM, SGLang, DeepSeek API, ...).

Sits between the rollout loop and the model server. `ModelClient.chat` turns a conversation and its
tools into one request, and the response into a `Reply` (an OpenAI-format `Message` plus usage,
logprobs and token ids when the server returns them). Guarantees:

- Transient faults are retried (through the core's one retry loop, `_retry.py`) with exponential
  backoff and jitter: HTTP 429 (honouring Retry-After), 5xx, timeouts, dropped connections and
  unreadable bodies. What survives the retries is a `ModelError` (an infrastructure failure; the rollout labels the episode model_error).
- A request the server refuses because the prompt is too long is a `ContextOverflow`, so the
  rollout can manage its context instead of failing.
- Whatever the model wrote comes back as a `Message`, never an exception: tool calls with missing
  ids, non-string arguments or missing names are normalized so the tool runtime can answer them
  with structured errors; an empty reply, an unparseable raw completion, `tool_calls` that are not
  a list of objects, or text over `text_limit` characters (cut to it) sets `Reply.malformed`, which
  the rollout feeds back to the model. Text UTF-8 cannot encode (lone surrogates) is replaced.
- The flavor decides how thinking is switched on (vLLM/SGLang: chat_template_kwargs; DeepSeek API:
  thinking.type) and which field reasoning is read from (`reasoning` or `reasoning_content`).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import random
import re
import ssl
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import certifi
import httpx

from ._config import RolloutConfig
from ._errors import BrokenByModel, ModelError, SynthError
from ._records import Message, ToolSpec, clip, encodable
from ._tools import replace_escaped_surrogates
from ._retry import Attempt, Retry, RetryPolicy, aretrying

_CONTEXT_LIMIT = re.compile(
    r"context[ _-]?length|context window|maximum context|too many tokens|prompt is too long"
    r"|exceeds? the (?:model'?s? )?(?:maximum|context)"
    r"|exceeds? the available context|exceed_context_size"  # llama.cpp's llama-server
    r"|`?inputs`? tokens \+ `?max_new_tokens`? must be",  # Hugging Face text-generation-inference (422)
    re.IGNORECASE,
)


class ConversationBroken(BrokenByModel):
    """synth could not turn the conversation into a request, or the server's answer into a
    message, because of data in it (a value no encoder takes, a shape the prompt format cannot
    hold). The conversation holds only what the model wrote and what its tools answered, so this is
    the model's failure (`sandbox_broken_by_model`); the server and the network are not involved
    (their faults are `ModelError`)."""


def wire_arguments(text: str) -> str:
    """A tool call's argument text as it is replayed to a server: a JSON object as it is, anything
    else (torn JSON, an array, prose: the model's own writing, already answered with a tool error)
    as "{}". Servers decode replayed arguments as an object (vLLM: json.loads then `|items` in the
    chat template) and refuse the whole request otherwise; the record keeps the text as written."""
    stripped = text.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        try:
            if isinstance(json.loads(stripped), dict):
                return text
        except (ValueError, RecursionError):
            pass
    return "{}"


class ContextOverflow(ModelError):
    """The server refused a request because the conversation no longer fits its context."""


@dataclass
class Reply:
    """One model turn as the rollout needs it."""

    message: Message
    """The assistant message (content, reasoning_content, tool_calls)."""
    finish_reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    """prompt_tokens and completion_tokens of this call, when the server reports them."""
    malformed: str | None = None
    """Why the reply cannot be used as it is (empty, unparseable); the model is told."""
    logprobs: list[list[Any]] | None = None
    """[token, logprob] per completion token, when asked for and returned."""
    token_ids: list[int] | None = None
    """Completion token ids, when the server returns them."""
    prompt_token_ids: list[int] | None = None
    prompt_text: str | None = None
    """The exact prompt text (completions endpoint: rendered by synth)."""
    seconds: float = 0.0


def retry_after(response: httpx.Response) -> float | None:
    """Seconds asked for by a Retry-After header (delta seconds or an HTTP date), if any."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


WireCache = dict[int, tuple[Any, bytes]]
"""Per-conversation memo of request JSON: each message's by position, the tools list's under -1; an
entry counts only for the very same object, so a replaced or copied one is serialized afresh."""
_TOOLS = -1


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def wire_message(message: Message, flavor: str) -> dict[str, Any]:
    """A message as request JSON. Reasoning goes back to servers that read it (DeepSeek requires it
    on tool-call turns); plain OpenAI servers never see the field. Tool messages carry only their
    call id, as the OpenAI schema has it."""
    data = message.openai()
    for item in data.get("tool_calls") or []:
        function = item.get("function")
        if isinstance(function, dict) and isinstance(function.get("arguments"), str):
            function["arguments"] = wire_arguments(function["arguments"])
    if flavor == "openai":
        data.pop("reasoning_content", None)
    if message.role == "tool":
        data.pop("name", None)
    if message.role == "assistant" and "content" not in data:
        data["content"] = ""  # servers differ on null and absent content; all take ""
    return data


def _cached(cache: WireCache | None, index: int, value: Any, encode: Callable[[], bytes]) -> bytes:
    if cache is not None:
        hit = cache.get(index)
        if hit is not None and hit[0] is value:
            return hit[1]
    data = encode()
    if cache is not None:
        cache[index] = (value, data)
    return data


MAX_CALLS = 64
"""Most tool calls one reply may hold; a reply with more is malformed (none is run)."""


def text_limit(max_tokens: int) -> int:
    """Most characters kept of a reply's content (and of its reasoning): far more than
    `max_tokens` tokens can hold, so only a server that ignores the limit reaches it."""
    return max(65536, 16 * max_tokens)


def _text(value: Any, limit: int, what: str, problems: list[str]) -> str:
    text = encodable(value)
    if len(text) > limit:
        problems.append(f"your {what} was {len(text)} characters; only {limit} are kept: write less")
        return clip(text, limit)
    return text


def normalize_message(raw: dict[str, Any], flavor: str, limit: int = text_limit(1024)) -> tuple[Message, str | None]:
    """An assistant message from response JSON, whatever shape the model's calls came in, and
    what is wrong with it for the model to be told (None when nothing is)."""
    problems: list[str] = []
    fields = ("reasoning", "reasoning_content") if flavor == "vllm" else ("reasoning_content", "reasoning")
    reasoning = next((raw[f] for f in fields if isinstance(raw.get(f), str) and raw[f]), None)
    if reasoning is not None:
        reasoning = _text(reasoning, limit, "reasoning", problems)
    content = raw.get("content")
    if content is not None:
        content = _text(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False), limit, "reply", problems)
    items = raw.get("tool_calls")
    if items is not None and not isinstance(items, list):
        problems.append(f"tool_calls must be a list of calls, not {type(items).__name__}; no tool was called")
        items = None
    calls = []
    for number, item in enumerate(items or []):
        if not isinstance(item, dict):
            problems.append(f"tool_calls[{number}] is {type(item).__name__}, not a call object; it was not run")
            continue
        function = item.get("function") if isinstance(item.get("function"), dict) else {}
        arguments = function.get("arguments")
        if arguments is None:
            arguments = ""
        elif not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        name = function.get("name")
        calls.append({
            "id": clip(encodable(str(item.get("id") or f"call_{uuid.uuid4().hex[:16]}")), 100),  # never a tool's name or
            "type": "function",                                                                 # id is longer than this
            "function": {"name": clip(encodable(name), 100) if isinstance(name, str) else "", "arguments": replace_escaped_surrogates(encodable(arguments))},
        })
    size = sum(len(c["function"]["arguments"]) for c in calls)
    if len(calls) > MAX_CALLS or size > limit:
        problems.append(f"your reply holds {len(calls)} tool calls with {size} characters of arguments; at most {MAX_CALLS}"
                        f" calls and {limit} characters are read: none of them was run")
        del calls[MAX_CALLS:]  # kept: the first ones, cut, each answered with this error
        for c in calls:
            c["function"]["arguments"] = cut_arguments(c["function"]["arguments"])
    # every field is type-checked above, so validation cannot fail; one validation of the whole
    # message (in pydantic-core) costs half of building its three models with model_construct
    message = Message.model_validate({"role": "assistant", "content": content, "reasoning_content": reasoning,
                                      "tool_calls": calls or None})
    return message, "; ".join(problems) or None


def cut_arguments(text: str, keep: int = 2000) -> str:
    """Argument text over a limit as it is stored and replayed: always a JSON object,
    {"_cut": "<the first `keep` characters>... [N more characters cut]"}, never a plain clip (which
    is not JSON, so no server or prompt format could take the conversation back)."""
    return json.dumps({"_cut": clip(text, keep)}, ensure_ascii=False)


_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


class ModelClient:
    """Connections to one server; `async with ModelClient(config) as client: ...`."""

    def __init__(
        self,
        config: RolloutConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if config.base_url is None:
            raise ModelError("no base_url: start a server (synth serve) or let synth rollout start the embedded one")
        self.config = config
        headers = {"Content-Type": "application/json"}
        key = config.api_key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        self._base = config.base_url.rstrip("/") + "/"
        self._headers = headers
        self._timeout = httpx.Timeout(config.timeout, connect=min(config.timeout, 30.0))
        self._transport = transport
        # with a proxy configured, requests go through httpx's client, which honours it; otherwise
        # straight to a transport: the client layer costs about a quarter of a request's CPU
        self._direct = not any(os.environ.get(name) for name in _PROXY_VARIABLES)
        self._urls: dict[str, httpx.URL] = {}
        self._verify: ssl.SSLContext | bool | None = None
        self._idle: list[Any] = []
        self._lanes: list[Any] = []
        self._sleep = sleep
        self._rng = rng or random.Random()

    async def __aenter__(self) -> "ModelClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for lane in self._lanes:
            await lane.aclose()
        self._lanes.clear()
        self._idle.clear()

    async def _send(self, path: str, body: dict[str, Any] | bytes) -> httpx.Response:
        """One POST (of JSON, or of JSON text already encoded) on an idle lane. A lane holds one
        keep-alive connection: one shared pool of hundreds of connections spends most of its time
        in pool bookkeeping (measured: 87 vs 820 requests/s at 256 in flight), so each request in
        flight gets its own."""
        content = body if isinstance(body, bytes) else _dumps(body)
        lane = self._idle.pop() if self._idle else self._new_lane()
        try:
            if not self._direct:
                return await lane.post(path, content=content)
            url = self._urls.get(path) or self._urls.setdefault(path, httpx.URL(self._base + path))
            request = httpx.Request("POST", url, headers=self._headers, content=content,
                                    extensions={"timeout": self._timeout.as_dict()})
            response = await lane.handle_async_request(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
            return response
        finally:
            self._idle.append(lane)

    def _new_lane(self) -> Any:
        if self._verify is None:  # one TLS context for every lane: building one costs ~50 ms (CA bundle parsing)
            self._verify = ssl.create_default_context(cafile=certifi.where()) if self._base.startswith("https") else False
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        if self._direct:
            if self._transport is not None:
                return self._transport  # an injected transport (tests) serves every lane
            lane: Any = httpx.AsyncHTTPTransport(verify=self._verify, limits=limits)
        else:
            lane = httpx.AsyncClient(base_url=self._base, headers=self._headers, timeout=self._timeout, limits=limits,
                                     transport=self._transport, verify=self._verify)
        self._lanes.append(lane)
        return lane

    # -- requests ------------------------------------------------------------------------------
    def chat_body(
        self, messages: list[Message], tools: list[ToolSpec], *, seed: int | None = None, cache: WireCache | None = None
    ) -> bytes:
        """The JSON text of a chat request, with the flavor's thinking switch. With `cache` (one per
        conversation) the JSON of earlier turns and of the tools is spliced in as it was encoded
        before: a request costs the encoding of its new turns only, not of the whole conversation
        again (which grows with every step)."""
        cfg = self.config
        head: dict[str, Any] = {"model": cfg.model_name, "temperature": cfg.temperature, "top_p": cfg.top_p,
                                "max_tokens": cfg.max_tokens}
        parts = [b'{"messages":[',
                 b",".join(_cached(cache, i, m, lambda m=m: _dumps(wire_message(m, cfg.flavor))) for i, m in enumerate(messages)),
                 b"]"]
        if tools:
            parts += [b',"tools":', _cached(cache, _TOOLS, tools, lambda: _dumps([t.openai() for t in tools]))]
            head["tool_choice"] = cfg.tool_choice
        self._thinking(head)
        if cfg.logprobs:
            head["logprobs"] = True
            if cfg.flavor == "vllm":
                head["return_token_ids"] = True
        if seed is not None:
            head["seed"] = seed
        parts += [b",", _dumps(head)[1:]]
        return b"".join(parts)

    def _thinking(self, body: dict[str, Any]) -> None:
        cfg = self.config
        if cfg.flavor in ("vllm", "sglang"):
            body["chat_template_kwargs"] = {"thinking": cfg.thinking}
        elif cfg.flavor == "deepseek":
            body["thinking"] = {"type": "enabled" if cfg.thinking else "disabled"}

    async def chat(
        self, messages: list[Message], tools: list[ToolSpec], *, seed: int | None = None, cache: WireCache | None = None
    ) -> Reply:
        """One model turn over /chat/completions (or /completions with the V3.2 encoding). Pass the
        same `cache` for every turn of one conversation to skip re-serializing earlier turns."""
        if self.config.endpoint == "completions":
            return await self._raw(messages, tools, seed=seed)
        started = time.monotonic()
        with _conversation("encode the conversation as a request"):
            body = self.chat_body(messages, tools, seed=seed, cache=cache)
        data = await self.post("chat/completions", body)
        choice = data["choices"][0]
        raw = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        with _conversation("read the model's reply"):
            message, problem = normalize_message(raw, self.config.flavor, text_limit(self.config.max_tokens))
        reply = Reply(
            message=message,
            finish_reason=_finish(choice),
            usage=_usage(data),
            malformed=problem,
            seconds=time.monotonic() - started,
        )
        if problem is None and not message.tool_calls and not (message.content or "").strip():
            reply.malformed = "empty reply: call a tool or give your final answer"
        with _conversation("read the reply's logprobs"):
            _attach_tokens(reply, data, choice)
        return reply

    async def _raw(self, messages: list[Message], tools: list[ToolSpec], *, seed: int | None) -> Reply:
        from . import _dsv32 as dsv32

        cfg = self.config
        with _conversation("render the conversation as a V3.2 prompt"):
            prompt = dsv32.render(messages, tools, thinking=cfg.thinking)
        body: dict[str, Any] = {
            "model": cfg.model_name,
            "prompt": prompt,
            "temperature": cfg.temperature,
            "top_p": cfg.top_p,
            "max_tokens": cfg.max_tokens,
            "stop": [dsv32.EOS],
        }
        if cfg.logprobs:
            body["logprobs"] = 1
        if seed is not None:
            body["seed"] = seed
        started = time.monotonic()
        data = await self.post("completions", body)
        choice = data["choices"][0]
        problems: list[str] = []
        text = _text(choice.get("text") if isinstance(choice.get("text"), str) else "", text_limit(cfg.max_tokens), "reply", problems)
        reply = Reply(
            message=Message(role="assistant", content=text),
            finish_reason=_finish(choice),
            usage=_usage(data),
            prompt_text=prompt,
            seconds=time.monotonic() - started,
        )
        with _conversation("read the model's reply"):
            try:
                reply.message = _encodable_message(dsv32.parse(text, thinking=cfg.thinking))
            except dsv32.ParseError as exc:
                problems.append(f"your reply could not be parsed: {clip(str(exc), 300)}")
        if problems:
            reply.malformed = "; ".join(problems)
        elif not reply.message.tool_calls and not (reply.message.content or "").strip():
            reply.malformed = "empty reply: call a tool or give your final answer"
        with _conversation("read the reply's logprobs"):
            lp = choice.get("logprobs")
            if isinstance(lp, dict) and isinstance(lp.get("tokens"), list):
                reply.logprobs = [[encodable(t), p] for t, p in zip(lp["tokens"], lp.get("token_logprobs") or [])]
            _attach_tokens(reply, data, choice)
        return reply

    async def post(self, path: str, body: dict[str, Any] | bytes) -> dict[str, Any]:
        """POST with retries; returns the decoded JSON of a usable answer or raises ModelError."""
        cfg = self.config

        async def attempt(at: Attempt) -> dict[str, Any] | Retry:
            try:
                response = await self._send(path, body)
            except httpx.TimeoutException:
                return Retry(f"request timed out after {cfg.timeout:g}s")
            except httpx.TransportError as exc:
                return Retry(f"connection failed ({type(exc).__name__}: {exc})")
            status = response.status_code
            if status == 200:
                try:
                    data = response.json()
                    if not isinstance(data["choices"][0], dict):
                        raise TypeError("choices[0] is not an object")
                    return data
                except (ValueError, KeyError, IndexError, TypeError, RecursionError) as exc:
                    return Retry(f"unreadable response body ({type(exc).__name__}: {clip(str(exc), 200)})")
            if status == 429:
                wait = retry_after(response)
                return Retry("rate limited (HTTP 429)", None if wait is None else min(wait, cfg.backoff_max))
            if status >= 500:
                return Retry(f"server error HTTP {status}: {_snippet(response)}")
            text = _snippet(response)
            if status in (400, 413, 422) and _CONTEXT_LIMIT.search(text):
                raise ContextOverflow(f"the conversation exceeds the server's context: {text}")
            raise ModelError(f"server refused the request: HTTP {status}: {text}")

        policy = RetryPolicy(attempts=cfg.retries + 1, base=cfg.backoff, cap=cfg.backoff_max, jitter=0.5)
        return await aretrying(
            attempt, policy, sleep=self._sleep, rng=self._rng,
            give_up=lambda last: ModelError(f"{last.reason}; gave up after {cfg.retries + 1} attempts to {cfg.base_url}"),
        )


def _root_cause(exc: BaseException) -> str:
    """The innermost reason of a transport error (httpx says "All connection attempts failed";
    the socket said "Connection refused")."""
    seen, inner = set(), exc
    while (inner.__cause__ or inner.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        inner = inner.__cause__ or inner.__context__  # type: ignore[assignment]
    if isinstance(inner, OSError) and isinstance(inner.errno, int) and inner.errno > 0:
        return os.strerror(inner.errno)  # "Connection refused", not asyncio's "Connect call failed (...)"
    if isinstance(inner, OSError) and inner.strerror:
        return inner.strerror
    return str(inner) or str(exc) or type(exc).__name__


def _snippet(response: httpx.Response) -> str:
    try:
        text = response.text
    except Exception:  # a body that cannot be decoded still gets a one-line report
        text = ""
    return " ".join(text.split())[:300] or "(empty body)"


def _finish(choice: dict[str, Any]) -> str | None:
    reason = choice.get("finish_reason")
    return reason if isinstance(reason, str) else None


def _usage(data: dict[str, Any]) -> dict[str, int]:
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return {k: int(usage[k]) for k in ("prompt_tokens", "completion_tokens") if isinstance(usage.get(k), int)}


class _conversation:
    """Context manager: a data error (ValueError, TypeError, KeyError, RecursionError,
    UnicodeError) raised while synth encodes the conversation or decodes the model's reply is
    `ConversationBroken` (the model's); nothing in this block talks to the server."""

    def __init__(self, doing: str) -> None:
        self.doing = doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> bool:
        if exc is not None and isinstance(exc, (ValueError, TypeError, KeyError, IndexError, RecursionError, UnicodeError)) \
                and not isinstance(exc, SynthError):
            raise ConversationBroken(f"could not {self.doing}: {type(exc).__name__}: {clip(str(exc), 300)}") from exc
        return False


def _encodable_message(message: Message) -> Message:
    """A parsed message with every lone surrogate replaced, raw or escaped (a V3.2 string="false"
    parameter is decoded with json.loads, so an escaped one arrives raw)."""
    data = message.model_dump(exclude_none=True)
    fixed = encodable(data)
    for call in fixed.get("tool_calls") or []:
        call["function"]["arguments"] = replace_escaped_surrogates(call["function"]["arguments"])
    return message if fixed == data else Message.model_validate(fixed)


def _token_text(value: Any) -> Any:
    return encodable(value) if isinstance(value, str) else value


def _attach_tokens(reply: Reply, data: dict[str, Any], choice: dict[str, Any]) -> None:
    lp = choice.get("logprobs")
    if reply.logprobs is None and isinstance(lp, dict) and isinstance(lp.get("content"), list):
        reply.logprobs = [[_token_text(t.get("token")), t.get("logprob")] for t in lp["content"] if isinstance(t, dict)]
    ids = choice.get("token_ids")
    if isinstance(ids, list):
        reply.token_ids = ids
    prompt_ids = data.get("prompt_token_ids") or choice.get("prompt_token_ids")
    if isinstance(prompt_ids, list):
        reply.prompt_token_ids = prompt_ids


BUSY = frozenset({429, 502, 503, 504})
"""HTTP statuses of a server that is there but busy: the probe lets them through (retries follow)."""


async def probe(config: RolloutConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> str | None:
    """Ask `config.base_url` once, before a rollout starts, whether it is a live OpenAI-compatible
    server: GET /models (and, when that path is missing, a one-token request). A dead or wrong
    server is a `ModelError` of one line naming the URL and the cause, so a rollout fails at once
    instead of spending every episode's retries. Returns a note for the user (the model is not
    listed), else None. Only an OpenAI API passes: a model list on /models, or (where /models is
    missing) a chat completion with `choices`; anything else (a web server that is not an API, a
    404/501 on both paths) is refused. A server that says it is busy (429, 502, 503, 504) passes:
    the rollout's retries are for that."""
    url = (config.base_url or "").rstrip("/")
    key = config.api_key()
    wait = min(config.timeout, 30.0)
    async with httpx.AsyncClient(
        base_url=url + "/", timeout=wait, transport=transport, headers={"Authorization": f"Bearer {key}"} if key else {},
        verify=ssl.create_default_context(cafile=certifi.where()),
    ) as http:

        async def ask(method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
            try:
                return await http.request(method, path, json=body)
            except httpx.TimeoutException:
                raise ModelError(f"the model server at {url} did not answer within {wait:g}s") from None
            except httpx.TransportError as exc:
                raise ModelError(f"cannot reach the model server at {url}: {_root_cause(exc)}") from None

        def refused(response: httpx.Response, path: str) -> ModelError | None:
            if response.status_code in (401, 403):
                return ModelError(f"the model server at {url} refused the API key (HTTP {response.status_code} on /{path}): "
                                  f"{_snippet(response)}; check api_key_env")
            return None

        listing = await ask("GET", "models")
        if (error := refused(listing, "models")) is not None:
            raise error
        if listing.status_code in (404, 405):
            path = "completions" if config.endpoint == "completions" else "chat/completions"
            body: dict[str, Any] = {"model": config.model_name, "max_tokens": 1}
            body.update({"prompt": "ping"} if config.endpoint == "completions" else {"messages": [{"role": "user", "content": "ping"}]})
            answer = await ask("POST", path, body)
            if (error := refused(answer, path)) is not None:
                raise error
            if answer.status_code in (400, 422):
                raise ModelError(f"the model server at {url} refused a one-token request for model {config.model_name!r}: "
                                 f"HTTP {answer.status_code}: {_snippet(answer)}")
            if answer.status_code in BUSY:
                return None  # busy now; the rollout's retries handle that
            try:
                completed = answer.status_code == 200 and isinstance(answer.json().get("choices"), list)
            except (ValueError, AttributeError):
                completed = False
            if not completed:
                raise ModelError(f"{url} answers HTTP {listing.status_code} on /models and HTTP {answer.status_code} on /{path}"
                                 " without a completion: it is not an OpenAI-compatible API root (which usually ends in /v1)")
            return None
        if listing.status_code in BUSY:
            return None  # busy now; the rollout's retries handle that
        if listing.status_code != 200:
            raise ModelError(f"{url}/models answers HTTP {listing.status_code} ({_snippet(listing)}): not an OpenAI-compatible"
                             " API root (which usually ends in /v1)")
        try:
            data = listing.json()
            served = [item["id"] for item in data["data"] if isinstance(item, dict) and isinstance(item.get("id"), str)]
        except (ValueError, KeyError, TypeError):
            raise ModelError(f"{url}/models did not answer with an OpenAI model list: is {url} the API root (usually ending in /v1)?") from None
        if served and config.model_name not in served:
            shown = ", ".join(served[:5]) + (", ..." if len(served) > 5 else "")
            return f"note: {url} lists the models {shown}; {config.model_name!r} is not among them (requests may be refused)"
        return None
