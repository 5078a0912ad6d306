"""The sandbox contract: one small synchronous interface every sandbox implementation provides.

Sits under the families that execute code (today the code family): they start sandboxes with
`synth.sandbox.start_sandbox` and run commands and move files through `Sandbox` only, never through
an engine's API, so a second implementation (local process, another engine) passes the same
conformance suite (tests/sandbox/test_conformance.py) and plugs in unchanged.

Guarantees every implementation gives: a command never outlives its timeout (it is killed and the
result says `timed_out`), output is capped (head and tail kept, `truncated` set), a command's
background processes do not outlive it, and `close()` releases everything the sandbox holds on
every path (idempotent, never raises; a context manager calls it). Beside one-shot commands, a
sandbox runs long-lived processes (`spawn`) whose stdin and stdout are a byte channel: what a
persistent interpreter needs to answer in a millisecond instead of paying a process start per
request. A spawned process dies with its sandbox; `Process.kill()` ends it and everything its
user started.

The contract is synchronous on purpose: every caller is synchronous code (tool calls, image
layers, validation), and the rollout runtime already runs blocking environments in worker
threads, so an async twin of each method would only be a second way to say the same thing.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Literal

DEFAULT_OUTPUT_CAP = 64 * 1024
CHANNEL_BUFFER = 4 * 1024 * 1024
"""Most unread stdout bytes a spawned process's channel holds on the host: a process that writes
faster than its reader reads waits, so no flood fills the host's memory."""


def size_bytes(size: str) -> int:
    """Bytes of a docker-style size ("1g", "512m", "64k", "1048576"); ValueError when unreadable."""
    text = size.strip().lower().removesuffix("b")
    scale = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}.get(text[-1:], 1)
    number = text[:-1] if scale != 1 else text
    value = float(number)
    if not value > 0:
        raise ValueError(f"a size must be positive, got {size!r}")
    return int(value * scale)


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandbox."""

    memory: str = "2g"
    """Memory limit (docker syntax, e.g. 2g); swap is capped at the same value."""
    pids: int = 256
    """Most processes at once (a fork bomb stops here)."""
    cpus: float = 1.0
    """CPU share in cores."""
    network: Literal["none", "host"] = "none"
    """none for agent and test steps; host only for setup steps that must reach package indexes."""
    user: str = "1000:1000"
    """uid:gid commands run as unless a call says otherwise."""
    disk: str = "1g"
    """Writable storage of the sandbox (docker size syntax): each scratch folder the sandbox is
    started with is a tmpfs of at most this size, the container's own writable layer is watched
    against it (past it, the user's processes are killed and the command's output says why), and no
    one file may grow beyond it. Applies when commands run as an unprivileged user; root steps that
    build images are bounded by the image instead."""
    nofile: int = 4096
    """Most open files per process."""
    inodes: int = 65536
    """Most files and folders in the sandbox's writable storage: each scratch tmpfs holds at most
    this many (nr_inodes), and the watch of the writable layer counts them (empty files cost the
    host's inode table, not bytes). Past it, as past `disk`."""
    open_files: int = 16384
    """Most files open at once across all the sandbox's processes (`nofile` is per process: 256
    processes could otherwise hold a million of the host's file table). Past it, the user's
    processes are killed and the command's output says why."""

    def __post_init__(self) -> None:
        size_bytes(self.disk)  # refuse an unreadable size when the limits are made, not when a container starts
        if self.nofile < 16:
            raise ValueError(f"nofile must be at least 16, got {self.nofile}")
        if self.inodes < 64 or self.open_files < self.nofile:
            raise ValueError(f"inodes must be at least 64 and open_files at least nofile ({self.nofile}), got "
                             f"{self.inodes} and {self.open_files}")

    @property
    def quota_applies(self) -> bool:
        """Whether disk quotas bound this sandbox (its commands run as an unprivileged user)."""
        return self.user.split(":")[0] not in ("0", "root")


@dataclass(frozen=True)
class ExecResult:
    """What one command gave."""

    exit_code: int
    """The command's exit code; 124 (and timed_out) when the timeout killed it."""
    output: str
    """stdout and stderr interleaved, capped: head and tail kept around a truncation marker."""
    timed_out: bool = False
    truncated: bool = False
    """The output exceeded the cap; `output_bytes` says how much there was."""
    output_bytes: int = 0
    duration: float = 0.0
    quota_exceeded: bool = False
    """The sandbox's writable storage passed its disk quota while the command ran; its processes
    were killed (the output ends with a line saying so)."""


@dataclass
class OutputCap:
    """Keeps the first and last halves of at most `cap` bytes of a stream; counts the rest."""

    cap: int = DEFAULT_OUTPUT_CAP
    head: bytearray = field(default_factory=bytearray)
    tail: bytearray = field(default_factory=bytearray)
    total: int = 0

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        half = self.cap // 2
        room = half - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            if len(self.tail) > half:
                del self.tail[: len(self.tail) - half]

    @property
    def truncated(self) -> bool:
        return self.total > len(self.head) + len(self.tail)

    def text(self) -> str:
        head = self.head.decode("utf-8", "replace")
        if not self.truncated:
            return head + self.tail.decode("utf-8", "replace")
        dropped = self.total - len(self.head) - len(self.tail)
        return f"{head}\n[... {dropped} bytes of output truncated ...]\n{self.tail.decode('utf-8', 'replace')}"


class ProcessExited(Exception):
    """A spawned process ended (or its channel closed) while a caller waited for its output."""

    def __init__(self, exit_code: int | None) -> None:
        super().__init__(f"the process exited (exit code {exit_code})")
        self.exit_code = exit_code


class Process(abc.ABC):
    """A long-lived process in a sandbox: bytes go to its stdin, lines come from its stdout. Its
    stderr is kept apart, capped (`stderr()`), for diagnostics. Close it (or use `with`)."""

    @abc.abstractmethod
    def send(self, data: bytes) -> None:
        """Write `data` to the process's stdin; ProcessExited when it is gone."""

    @abc.abstractmethod
    def readline(self, timeout: float, *, limit: int = 64 * 1024 * 1024) -> bytes:
        """The next line of stdout, newline included. TimeoutError when none is complete within
        `timeout` seconds (the partial line is kept for the next call); ProcessExited when the
        process ended first (lines it completed before are still returned first); SandboxError
        when a line exceeds `limit` bytes or the channel's buffer (`CHANNEL_BUFFER`)."""

    @abc.abstractmethod
    def read(self, timeout: float, max_bytes: int = 1 << 20) -> bytes:
        """Whatever stdout bytes have arrived (at least one, at most `max_bytes`), waiting up to
        `timeout` seconds: TimeoutError when none arrive, ProcessExited once the process ended and
        all it wrote was read. For callers that frame their own messages (a channel the process's
        own code may also write to); never raises for what the bytes are."""

    @abc.abstractmethod
    def stderr(self) -> str:
        """What the process wrote to stderr so far (capped, head and tail)."""

    @property
    @abc.abstractmethod
    def exit_code(self) -> int | None:
        """The exit code once the process ended, else None."""

    @abc.abstractmethod
    def kill(self) -> None:
        """End the process and every process its user runs in the sandbox; idempotent, never raises."""

    def close(self) -> None:
        """Same as `kill()`."""
        self.kill()

    def __enter__(self) -> "Process":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Sandbox(abc.ABC):
    """A running, isolated machine to run commands in. Use `with` or call `close()`."""

    @abc.abstractmethod
    def exec(
        self,
        command: str,
        *,
        timeout: float = 60.0,
        user: str | None = None,
        workdir: str | None = None,
        env: dict[str, str] | None = None,
        output_cap: int = DEFAULT_OUTPUT_CAP,
    ) -> ExecResult:
        """Run `command` with bash as `user` (default: the limits' user); never raises for a
        failing or hanging command. SandboxError only when the sandbox itself is unusable."""

    @abc.abstractmethod
    def write_file(self, path: str, data: bytes, *, mode: int = 0o644, user: str | None = None) -> None:
        """Create or replace the file at absolute `path`, owned by `user` (parents must exist)."""

    @abc.abstractmethod
    def read_file(self, path: str, *, limit: int = 16 * 1024 * 1024) -> bytes:
        """Bytes of the file at absolute `path`; SandboxError when missing or larger than `limit`."""

    @abc.abstractmethod
    def put_tree(self, folder: str, tar_bytes: bytes) -> None:
        """Unpack a tar archive (optionally gzipped) into the existing absolute `folder`;
        SandboxError when it cannot."""

    @abc.abstractmethod
    def spawn(
        self, argv: list[str], *, user: str | None = None, workdir: str | None = None, env: dict[str, str] | None = None,
    ) -> Process:
        """Start `argv` (no shell) as `user` and keep it running, its stdin and stdout a channel to
        the caller; SandboxError when it cannot start. It runs until it exits, `Process.kill()`,
        or `close()` of the sandbox. One-shot commands as the same user (`exec`) end it: their
        clean-up kills every process of that user."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop and remove everything this sandbox holds; safe to call twice, never raises."""

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
