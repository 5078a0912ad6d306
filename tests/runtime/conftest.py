"""Fixtures of the model runtime tests: a tiny registered family ("toy": look a word up, submit it),
a verified run of its tuples, and a scripted OpenAI-compatible model behind httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

import synth
from synth import (
    Check,
    Control,
    EnvironmentSpec,
    Family,
    RuntimeEnvironment,
    TaskSpec,
    ToolRuntime,
    TupleRecord,
    VerifierSpec,
    register_family,
    register_verifier,
    tool_from_function,
)
from synth import verify

WORDS = ["apple", "river", "cloud", "stone", "amber", "maple", "ember", "frost"]


def lookup(table: dict[str, str], key: str) -> str:
    """Look up the secret word stored under a key.

    Args:
        key: The key to look up, e.g. k0.
    """
    if key not in table:
        raise synth.ToolError(f"no key {key!r}; keys are {', '.join(sorted(table))}", "not_found")
    return table[key]


def submit_result(table: dict[str, str], answer: str) -> str:
    """Submit the final answer (the secret word).

    Args:
        answer: The word.
    """
    return answer


TOOLS = [tool_from_function(lookup), tool_from_function(submit_result, submit=True)]


@register_verifier("toy.exact")
def _exact(record: TupleRecord, submission: Any, run: Any, *, trajectory: Any = None, expected: str) -> list[Check]:
    return [Check(name="answer", passed=submission == expected, expected=expected, actual=submission)]


@register_family
class ToyFamily(Family):
    """Look up the word under a key and submit it."""

    name = "toy"
    description = "look up a word and submit it (runtime tests)"
    blocking = False

    def open(self, record: TupleRecord, run: Any) -> RuntimeEnvironment:
        return RuntimeEnvironment(ToolRuntime.of(TOOLS, dict(record.environment.metadata["table"])))

    def solve_gold(self, record: TupleRecord, run: Any, client: Any) -> None:
        word = client.lookup(key=record.task.metadata["key"])
        client.submit_result(answer=word)

    def controls(self, record: TupleRecord, run: Any, gold_submission: Any) -> list[Control]:
        return [Control("wrong_word", gold_submission + "x", "answer")]


def toy_tuple(index: int) -> TupleRecord:
    table = {f"k{i}": WORDS[(index + i) % len(WORDS)] for i in range(3)}
    env = EnvironmentSpec(
        family="toy", category="lookup", seed=0, index=index, difficulty=1,
        tools=[t.spec for t in TOOLS], metadata={"table": table},
    )  # fmt: skip
    task = TaskSpec(
        family="toy",
        category="lookup",
        environment_key=env.key,
        prompt="Call lookup with key k1, then call submit_result with the word it returns.",
        system_prompt="You are a helpful assistant with tools.",
        metadata={"key": "k1"},
    )
    return TupleRecord.build(env, task, VerifierSpec(name="toy.exact", args={"expected": table["k1"]}))


def make_run(path: Path, n: int = 2) -> synth.Run:
    """A verified run of `n` toy tuples."""
    run = synth.Run.create(path)
    with run.tuples() as journal:
        for index in range(n):
            journal.append(toy_tuple(index))
    summary = verify(run)
    assert summary.ok
    return run


@pytest.fixture
def toy_run(tmp_path: Path) -> synth.Run:
    return make_run(tmp_path / "run", 2)


# -- a scripted model ----------------------------------------------------------------------------
def call(name: str, arguments: Any, call_id: str | None = None) -> dict[str, Any]:
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    item: dict[str, Any] = {"type": "function", "function": {"name": name, "arguments": args}}
    if call_id is not None:
        item["id"] = call_id
    return item


def completion(
    content: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
    *,
    reasoning: str | None = None,
    reasoning_field: str = "reasoning_content",
    usage: tuple[int, int] = (100, 10),
    finish: str | None = None,
    **extra_choice: Any,
) -> dict[str, Any]:
    """A /chat/completions response body."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls is not None:
        message["tool_calls"] = tool_calls
    if reasoning is not None:
        message[reasoning_field] = reasoning
    choice = {"index": 0, "message": message, "finish_reason": finish or ("tool_calls" if tool_calls else "stop"), **extra_choice}
    return {"id": "x", "object": "chat.completion", "choices": [choice], "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1]}}


class Scripted:
    """A model: `reply(request_json, n)` gives the n-th response (a dict body, an httpx.Response, or
    an exception to raise). Every request body is kept in `requests`."""

    def __init__(self, reply: Callable[[dict[str, Any], int], Any]) -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.headers: list[httpx.Headers] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        self.paths.append(request.url.path)
        self.headers.append(request.headers)
        out = self.reply(body, len(self.requests) - 1)
        if isinstance(out, BaseException):
            raise out
        if isinstance(out, httpx.Response):
            return out
        return httpx.Response(200, json=out)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def solver(body: dict[str, Any], n: int) -> dict[str, Any]:
    """A model that solves toy tasks: lookup k1, then submit what came back."""
    messages = body["messages"]
    results = [m for m in messages if m["role"] == "tool"]
    if not results:
        return completion(tool_calls=[call("lookup", {"key": "k1"}, f"c{n}")])
    return completion(tool_calls=[call("submit_result", {"answer": json.loads(results[-1]["content"])}, f"c{n}")])


class Sleeps(list):
    """An asyncio.sleep stand-in that records the delays asked for."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


class FakeServer:
    """A real OpenAI-compatible HTTP server on 127.0.0.1 (a thread) answering with `reply(body, n)`,
    for commands that make their own connections (CLI runs, subprocesses)."""

    def __init__(self, reply: Callable[[dict[str, Any], int], Any], delay: float = 0.0) -> None:
        import http.server
        import itertools
        import threading
        import time

        counter = itertools.count()
        lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._send(200, {"object": "list", "data": [{"id": "fake"}]})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with lock:
                    n = next(counter)
                if delay:
                    time.sleep(delay)
                out = reply(body, n)
                if isinstance(out, tuple):
                    self._send(*out)
                else:
                    self._send(200, out)

            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> "FakeServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
