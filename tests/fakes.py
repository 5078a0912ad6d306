"""Fakes shared by the tests: a scripted model behind httpx.MockTransport (`Scripted`), a real
OpenAI-compatible HTTP server on 127.0.0.1 for commands that make their own connections
(`FakeServer`), and the response bodies they send (`completion`, `call`). Importable from any test
as `fakes` (pytest's pythonpath includes tests/)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx


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


class FakeServer:
    """A real OpenAI-compatible HTTP server on 127.0.0.1 (a thread) answering POSTs with
    `reply(body, n)` and GETs with `get`, for commands that make their own connections (CLI runs,
    subprocesses)."""

    def __init__(self, reply: Callable[[dict[str, Any], int], Any], delay: float = 0.0,
                 get: tuple[int, Any] = (200, {"object": "list", "data": [{"id": "fake"}]})) -> None:
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

            def do_GET(self) -> None:  # GET /models (the rollout's probe); `get` says what it answers
                self._send(*get)

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
