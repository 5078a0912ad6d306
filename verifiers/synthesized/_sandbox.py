"""Running generated environment code: the sandbox image, file placement and the harness protocol.

Sits between `synth.sandbox` (the core's contract) and everything that executes code a model wrote:
the `synthesized.sandbox` verifier here and the synthesized family above. The image is a layer on
the base image holding the harness (`_harness.py`, copied to /opt/synth/harness.py), three
unprivileged users (tools 1001, solver 1002, agent 1003) and no directory any of them can write
(only the container's 64 MB /dev/shm, which the harness refuses to generated code). Its tag is the
hash of its recipe, harness included, so a changed harness gives a new image. Guarantees of
`run_harness`: the generated code runs with no network, as the given user, under a timeout per
piece of work, over files owned by root that no user of generated code can change (`place`); the
result is read from the last line carrying a per-run secret mark that only the harness's parent
process (which never loads generated code) writes; a run that hangs, crashes, prints no result or
attempts a forbidden action comes back as an `Outcome` that says so, never as an exception; the
bytes generated code printed are counted (`Outcome.output_bytes`, and `metered()` for a whole gate).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import secrets
import tarfile
import threading
from collections import defaultdict, deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from synth import SandboxError
from synth.sandbox import Limits, Sandbox, build_layer, ensure_base, start_sandbox

HARNESS = Path(__file__).with_name("_harness.py")
TOOLS_USER = "1001:1001"
"""Runs the database build, tool calls, the verifier and the perturbations (reads the database)."""
SOLVER_USER = "1002:1002"
"""Runs the reference solution, alone in its container, without the database."""
AGENT_USER = "1003:1003"
"""Runs the synthesis agent's bash commands (reads the environment files, writes nothing)."""
LIMITS = Limits(network="none", user=TOOLS_USER, memory="1g", pids=64, cpus=1.0)
OUTPUT_CAP = 48 << 20
"""Output kept of one harness run (a built database comes back on the result line; what generated
code prints never reaches it: the harness's children print into a pipe the parent counts)."""
CLOCK = 1767225600.0
"""The fixed clock generated code sees (2026-01-01T00:00:00Z; the harness's default)."""
CLOCK_SHIFT = 400 * 86400.0
"""How far the gate's second grading moves the fixed clock (verify.py must not notice)."""
FILES_OWNER = "0:0"
"""Generated files and inputs belong to root, read-only to everybody: no user of generated code can change them."""
PYTHON = "/usr/bin/python3 -S -s /opt/synth/harness.py"
"""No site module: generated code gets the standard library and nothing else, and starts faster."""

log = logging.getLogger(__name__)

_SETUP = r"""
set -eu
for spec in 1001:synth-tools 1002:synth-solver 1003:synth-agent; do
  uid=${spec%%:*}; name=${spec#*:}
  getent group "$name" >/dev/null || groupadd --gid "$uid" "$name"
  id -u "$name" >/dev/null 2>&1 || useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    --uid "$uid" --gid "$uid" "$name"
done
mkdir -p /env /state /io /opt/synth
chmod 0755 /env /io /opt/synth
chmod 0711 /state
# no world-writable place on disk: generated code can fill only /dev/shm (a 64 MB tmpfs)
find / -xdev \( -path /proc -o -path /sys -o -path /dev \) -prune -o -perm -0002 ! -type l -print0 | xargs -0r chmod o-w
"""


def image_recipe() -> dict[str, Any]:
    """What the image's tag is the hash of (with its parent, the base image)."""
    return {"harness": hashlib.sha256(HARNESS.read_bytes()).hexdigest(), "setup": _SETUP, "layout": 1}


@functools.cache
def sandbox_image() -> str:
    """Tag of the image generated code runs in, built (offline, from the base image) when absent;
    checked once per process."""

    def steps(box: Sandbox) -> None:
        result = box.exec(_SETUP, user="0:0", timeout=300)
        if result.exit_code != 0:
            raise SandboxError(f"preparing the synthesized image failed: {result.output[-800:]}")
        box.write_file("/opt/synth/harness.py", HARNESS.read_bytes(), mode=0o644, user="0:0")

    base = ensure_base(log=log.info)
    return build_layer("synthesized", base, image_recipe(), steps)


def tree(files: dict[str, bytes], owner: str, mode: int = 0o400) -> bytes:
    """A tar of absolute paths (e.g. /env/tools.py) owned by `owner` (uid:gid), to unpack at /."""
    uid, gid = (int(part) for part in owner.split(":"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, data in sorted(files.items()):
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode, info.uid, info.gid, info.mtime = len(data), mode, uid, gid, 0
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def place(box: Sandbox, files: dict[str, bytes], owner: str = FILES_OWNER, mode: int = 0o444) -> None:
    """Put files (absolute paths under existing folders) into the sandbox, owned by root and
    read-only (`owner` says who runs them; ownership stays root's so they cannot be changed)."""
    if files:
        box.put_tree("/", tree(files, FILES_OWNER, 0o444 if mode & 0o444 else mode))


class _Pool:
    """Fresh containers started ahead of need and removed behind it, in two worker threads: each
    container is used once, but a gate (a dozen sandboxes one after another) no longer waits for
    every start and removal. Containers waiting here are removed at exit like any other (they are
    live sandboxes of this process) or by `drain()`."""

    DEPTH = 2

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ready: dict[tuple[str, str], deque[Future[Sandbox]]] = defaultdict(deque)
        self._closing: set[Future[None]] = set()
        self._workers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="synth-sandbox")

    def _start(self, image: str, limits: Limits, kind: str) -> Sandbox:
        return start_sandbox(image, limits=limits, kind=kind)

    def take(self, kind: str) -> Sandbox:
        image = sandbox_image()
        with self._lock:
            waiting = self._ready[(image, kind)]
            ahead = waiting.popleft() if waiting else None
            while len(waiting) < self.DEPTH:
                waiting.append(self._workers.submit(self._start, image, LIMITS, kind))
        return ahead.result() if ahead is not None else self._start(image, LIMITS, kind)

    def release(self, box: Sandbox) -> None:
        closing = self._workers.submit(box.close)
        with self._lock:
            self._closing.add(closing)
        closing.add_done_callback(self._closed)

    def _closed(self, future: Future[None]) -> None:
        with self._lock:
            self._closing.discard(future)

    def drain(self) -> None:
        """Remove every container started ahead and wait for the removals under way."""
        with self._lock:
            waiting = [f for queue in self._ready.values() for f in queue]
            self._ready.clear()
            closing = list(self._closing)
        for future in waiting:
            try:
                future.result().close()
            except SandboxError:
                pass
        for future in closing:
            future.result()


_pool = _Pool()
drain = _pool.drain


@contextmanager
def fresh_sandbox(files: dict[str, bytes] | None = None, owner: str = TOOLS_USER, kind: str = "test") -> Iterator[Sandbox]:
    """A container of the image never used before, with `files` placed; it is removed on leaving
    (every path)."""
    box = _pool.take(kind)
    try:
        place(box, files or {}, owner)
        yield box
    finally:
        _pool.release(box)


@dataclass(frozen=True)
class Outcome:
    """What one harness run gave."""

    value: dict[str, Any] = field(default_factory=dict)
    """The result payload (e.g. {"checks": [...]}, {"result": ...}); empty on failure."""
    error: str | None = None
    """Why the run gave no usable result: the generated code failed, hung, or printed no result."""
    violations: list[dict[str, str]] = field(default_factory=list)
    """Forbidden actions the generated code attempted (network, process, file write, database, native code)."""
    timed_out: bool = False
    seconds: float = 0.0
    output_bytes: int = 0
    """Bytes the generated code printed (all of them, counted by the harness)."""
    reads: list[str] = field(default_factory=list)
    """Database columns the generated code read (table.column), as SQLite's authorizer saw them."""

    @property
    def ok(self) -> bool:
        return self.error is None and not self.violations

    def problem(self, what: str) -> str:
        """One line naming what went wrong in `what` (e.g. 'verify.py'), or ''."""
        if self.violations:
            first = self.violations[0]
            kinds = ", ".join(sorted({v["kind"] for v in self.violations}))
            detail = f": {first['detail']}" if first.get("detail") else ""
            return f"{what} attempted what generated code may not do ({kinds}; first: {first['event']}{detail})"
        if self.error:
            return f"{what}: {self.error}"
        return ""


def _violations(output: str, mark: str, listed: Any) -> list[dict[str, str]]:
    """Attempts written out as they happened, and those listed with the result (either alone can
    be hidden by the code that made them; both together cannot be), without repeats."""
    found: list[dict[str, str]] = []
    at = output.find(f"{mark}! ")
    while at >= 0:
        try:
            found.append(json.loads(output[at + len(mark) + 2:].split("\n", 1)[0]))
        except json.JSONDecodeError:
            pass
        at = output.find(f"{mark}! ", at + 1)
    found += listed if isinstance(listed, list) else []
    unique = {json.dumps(v, sort_keys=True): v for v in found if isinstance(v, dict) and "kind" in v and "event" in v}
    return [{k: str(v.get(k, "")) for k in ("kind", "event", "detail")} for v in unique.values()]


_meter_lock = threading.Lock()
_meters: list[list[tuple[str, int]]] = []


@contextmanager
def metered() -> Iterator[list[tuple[str, int]]]:
    """Inside the block, every harness run appends (command, bytes printed) to the list yielded."""
    seen: list[tuple[str, int]] = []
    with _meter_lock:
        _meters.append(seen)
    try:
        yield seen
    finally:
        with _meter_lock:
            _meters.remove(seen)


def run_harness(box: Sandbox, command: str, *args: str, user: str = TOOLS_USER, timeout: float = 10.0,
                budget: float | None = None, clock: float | None = None) -> Outcome:
    """One `harness.py COMMAND ARGS` in `box` as `user`; never raises for what the code does.
    `timeout` bounds each piece of generated work, `budget` the whole run (default timeout + 5 s);
    `clock` moves the fixed clock generated code sees (the harness's default when None)."""
    import shlex

    mark = secrets.token_hex(16)
    line = " ".join([PYTHON, command, *(shlex.quote(a) for a in args)])
    env = {"SYNTH_MARK": mark, "SYNTH_TIMEOUT": f"{timeout:g}", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    if clock is not None:
        env["SYNTH_CLOCK"] = repr(float(clock))
    outer = budget if budget is not None else timeout + 5.0
    result = box.exec(line, user=user, timeout=outer, workdir="/env", output_cap=OUTPUT_CAP, env=env)
    outcome = _outcome(result, mark, outer)
    with _meter_lock:
        for meter in _meters:
            meter.append((command, outcome.output_bytes))
    return outcome


def _outcome(result: Any, mark: str, timeout: float) -> Outcome:
    seconds = round(result.duration, 3)
    if result.timed_out:
        return Outcome(error=f"did not finish within {timeout:g} s (killed)", timed_out=True, seconds=seconds,
                       violations=_violations(result.output, mark, []))
    at = result.output.rfind(f"{mark} ")
    if at < 0:
        tail = " ".join(result.output.split())[-300:]
        return Outcome(error=f"ended without a result (exit code {result.exit_code}){': ' + tail if tail else ''}",
                       seconds=seconds, violations=_violations(result.output, mark, []))
    try:
        payload = json.loads(result.output[at + len(mark) + 1:].splitlines()[0])
    except (json.JSONDecodeError, IndexError) as exc:
        return Outcome(error=f"gave an unreadable result ({exc})", seconds=seconds)
    violations = _violations(result.output, mark, payload.pop("violations", []))
    error = payload.pop("error", None)
    timed_out = bool(payload.pop("timed_out", False))
    output = int(payload.pop("output_bytes", 0) or 0)
    reads = [str(r) for r in payload.pop("reads", []) or []]
    return Outcome(value=payload, error=str(error) if error is not None else None, violations=violations,
                   seconds=seconds, timed_out=timed_out, output_bytes=output, reads=reads)
