"""`synth view`: a local, read-only web viewer of a run's tasks, controls and trajectories.

Sits after the stages, beside the report; it only reads the run, through `RunIndex` (summaries and
byte offsets; one record is read from disk when a page asks for it), so a run of 10,000 tasks opens
at once and the page holds one page of rows at a time. The page is static (packaged under
`synth/_static/viewer/`) and asks a small JSON API:

    GET /api/summary                       counts and filter values
    GET /api/tasks?offset&limit&family&category&difficulty&soundness&verdict&ending&q
    GET /api/task?key=KEY                  the tuple, its controls, its episodes (summaries)
    GET /api/trajectory?key=KEY&n=N        one trajectory, whole

Guarantees:
- Read-only: only GET and HEAD are served; nothing in the run is written.
- Bound to 127.0.0.1 unless told otherwise; on a loopback address, requests naming another Host
  are refused (a web page cannot reach the viewer through DNS rebinding).
- Run contents are untrusted text: the page builds every element with `textContent` (never HTML
  from data), and a Content-Security-Policy allows only the viewer's own script, so markup a model
  wrote is shown, never run.
- Appended records appear on the next request (a rollout can be watched as it runs).
"""

from __future__ import annotations

import ipaddress
import json
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from ._errors import ConfigError, StoreError
from ._runindex import RunIndex, TaskRow
from ._store import Run

DEFAULT_PORT = 8321
PAGE_LIMIT = 500
"""The most rows one /api/tasks answer holds."""
STATIC = {"/": ("index.html", "text/html; charset=utf-8"), "/static/app.js": ("app.js", "text/javascript; charset=utf-8"),
          "/static/app.css": ("app.css", "text/css; charset=utf-8")}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
FILTERS = ("family", "category", "difficulty", "soundness", "verdict", "ending")


def _static(name: str) -> bytes:
    return (resources.files("synth") / "_static" / "viewer" / name).read_bytes()


def task_facets(row: TaskRow) -> dict[str, set[str]]:
    """The filter values a task matches (a task with several endings matches each)."""
    return {
        "family": {row.family},
        "category": {row.category},
        "difficulty": {str(row.difficulty)},
        "soundness": {row.soundness} | ({"easy"} if row.easy else set()),
        "verdict": row.verdicts() or {"none"},
        "ending": set(row.endings()) or {"none"},
    }


def task_summary(row: TaskRow) -> dict[str, Any]:
    graded, passed = row.model_stats()
    gold = next((c.status for c in row.controls if c.control == "gold"), None)
    return {"key": row.key, "family": row.family, "category": row.category, "difficulty": row.difficulty,
            "soundness": row.soundness, "easy": row.easy, "gold": gold, "graded": graded, "passed": passed,
            "endings": dict(sorted(row.endings().items()))}


class ViewerState:
    """The index of one run and the answers of the API (no HTTP here: tests call it directly)."""

    def __init__(self, run_dir: str | Path, log: Callable[[str], None] | None = None) -> None:
        self.index = RunIndex.open(run_dir, log)

    def summary(self) -> dict[str, Any]:
        with self.index.lock:
            self.index.refresh()
            return self._summary()

    def _summary(self) -> dict[str, Any]:
        facets: dict[str, dict[str, int]] = {name: {} for name in FILTERS}
        for row in self.index.rows():
            for name, values in task_facets(row).items():
                for value in values:
                    facets[name][value] = facets[name].get(value, 0) + 1
        return {"run": str(self.index.run.path.resolve()), "name": self.index.run.path.name, "tasks": len(self.index.order),
                "models": self.index.models(), "facets": {k: dict(sorted(v.items())) for k, v in facets.items()},
                "version": self.index.version}

    def tasks(self, query: dict[str, str]) -> dict[str, Any]:
        with self.index.lock:
            self.index.refresh()
            return self._tasks(query)

    def _tasks(self, query: dict[str, str]) -> dict[str, Any]:
        try:
            offset = max(0, int(query.get("offset", 0)))
            limit = min(PAGE_LIMIT, max(1, int(query.get("limit", 50))))
        except ValueError:
            raise ConfigError("offset and limit must be integers") from None
        wanted = {name: query[name] for name in FILTERS if query.get(name)}
        text = query.get("q", "").strip().lower()
        matched = []
        for row in self.index.rows():
            if text and not (row.key.startswith(text) or text in row.category.lower()):
                continue
            if wanted:
                facets = task_facets(row)
                if any(value not in facets[name] for name, value in wanted.items()):
                    continue
            matched.append(row)
        return {"total": len(matched), "offset": offset, "limit": limit,
                "rows": [task_summary(r) for r in matched[offset: offset + limit]]}

    def _row(self, key: str) -> TaskRow:
        self.index.refresh()
        row = self.index.tasks.get(key)
        if row is None:
            raise KeyError(key)
        return row

    def episodes(self, row: TaskRow) -> list[Any]:
        """Episodes in display order: gold first, then by model and sample."""
        return sorted(row.episodes.values(), key=lambda e: (e.source != "gold", e.model or "", e.sample))

    def task(self, key: str) -> dict[str, Any]:
        with self.index.lock:
            return self._task(key)

    def _task(self, key: str) -> dict[str, Any]:
        row = self._row(key)
        record = self.index.read(Run.TUPLES, row.offset)
        controls = [self.index.read(Run.VERDICTS, c.offset) for c in row.controls]
        episodes = [{"n": n, "source": e.source, "model": e.model, "sample": e.sample, "termination": e.termination,
                     "status": e.status, "tool_calls": e.tool_calls, "tool_errors": e.tool_errors,
                     "completion_tokens": e.completion_tokens} for n, e in enumerate(self.episodes(row))]
        return {"summary": task_summary(row), "record": record, "controls": controls, "episodes": episodes}

    def trajectory(self, key: str, n: int) -> dict[str, Any]:
        with self.index.lock:
            episodes = self.episodes(self._row(key))
            if not 0 <= n < len(episodes):
                raise KeyError(f"{key}/{n}")
            offset = episodes[n].offset
        return self.index.read(Run.TRAJECTORIES, offset)


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def make_handler(state: ViewerState, allowed_hosts: set[str] | None) -> type[BaseHTTPRequestHandler]:
    """The request handler; `allowed_hosts` (None: any) are the Host headers answered."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "synth-view"
        sys_version = ""

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str, *, head: bool = False) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if not head:
                self.wfile.write(body)

        def _json(self, status: int, payload: Any, head: bool = False) -> None:
            # ensure_ascii: lone surrogates and control characters a model wrote travel escaped
            self._send(status, json.dumps(payload, ensure_ascii=True).encode("ascii"), "application/json", head=head)

        def do_HEAD(self) -> None:
            self.do_GET(head=True)

        def do_GET(self, head: bool = False) -> None:
            if allowed_hosts is not None and (self.headers.get("Host") or "").lower() not in allowed_hosts:
                return self._json(HTTPStatus.FORBIDDEN, {"error": "unknown Host header"}, head)
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            routes: dict[str, Callable[[], Any]] = {
                "/api/summary": state.summary,
                "/api/tasks": lambda: state.tasks(query),
                "/api/task": lambda: state.task(query.get("key", "")),
                "/api/trajectory": lambda: state.trajectory(query.get("key", ""), int(query.get("n", "-1"))),
            }
            if url.path in STATIC:
                name, content_type = STATIC[url.path]
                return self._send(HTTPStatus.OK, _static(name), content_type, head=head)
            if url.path not in routes:
                return self._json(HTTPStatus.NOT_FOUND, {"error": "not found"}, head)
            try:
                return self._json(HTTPStatus.OK, routes[url.path](), head)
            except KeyError:
                return self._json(HTTPStatus.NOT_FOUND, {"error": "no such task or trajectory"}, head)
            except (ConfigError, ValueError) as exc:
                return self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)}, head)
            except StoreError as exc:
                return self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": str(exc)}, head)

        def _refuse(self) -> None:
            self._json(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "the viewer is read-only"})

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse  # noqa: N815

    return Handler


class Viewer:
    """A viewer of one run on (host, port); `start()` serves in a thread, `serve_forever()` here."""

    def __init__(self, run_dir: str | Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 log: Callable[[str], None] | None = None) -> None:
        self.state = ViewerState(run_dir, log)
        try:
            self.httpd = ThreadingHTTPServer((host, port), None)  # type: ignore[arg-type]
        except OSError as exc:
            hint = f"; pick another with --port" if port else ""
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}{hint}") from None
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/"
        allowed = None
        if _loopback(host):
            allowed = {f"{name}:{self.port}" for name in ("127.0.0.1", "localhost", "[::1]", shown.lower())}
        self.httpd.RequestHandlerClass = make_handler(self.state, allowed)
        self._thread: threading.Thread | None = None

    def start(self) -> "Viewer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def close(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "Viewer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
