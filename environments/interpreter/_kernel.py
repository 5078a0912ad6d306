"""The host side of the notebook: the kernel image and `Kernel`, a persistent Python in a sandbox.

Sits between the interpreter family's tools and `synth.sandbox`. The kernel image is one layer on
the sandbox base image (Debian, Python 3.11): numpy, pandas and sympy installed from the package
index at pinned versions, built once per machine on the host network and tagged by the hash of its
recipe (`synth-kernel:<hash>`), so every test run and every episode shares it. The kernel program
(`_kernel_main.py`, standard library only) is copied in at start with the task's files, not baked
in, so editing it never rebuilds the image (copied, not bind-mounted: a bind mount would show the
host's folders in /proc/self/mountinfo).

Why not ipykernel + jupyter_client: jupyter_client speaks ZeroMQ over TCP (or IPC sockets inside
the container), which a container with no network cannot offer the host without a bridge process
inside it; IPython's import alone takes most of the 1 s start budget on these CPUs. A small kernel
speaking JSON lines over the attached stdin/stdout of one process gives the same persistent
namespace, a millisecond round trip and a ~0.5 s start, and stays within the sandbox contract.

The channel is the one thing the model's code shares with the host, and it can write to it (it
runs in the kernel's process): replies are frames (a marker with a per-kernel token, a length, the
JSON) that the host finds in whatever else arrives and reads within bounds, so bytes the code
writes there (a flood without a newline, garbage, forged or truncated frames) cost nothing but a
wait; a frame never comes, the execution times out and the kernel is restarted, a tool error the
model reads.

Guarantees of `Kernel`: the container runs with no network, as uid 1000, under memory, pids, CPU,
open-file and disk limits, with the task's files read-only under /data and a writable /work (a
tmpfs of `KernelSettings.disk`, 1 GiB by default, inside the memory limit: writing past it fails
with "No space left on device", which the python tool explains); executions keep state;
an execution that overruns its timeout is interrupted in the kernel (state kept) and, if it does
not stop within `GRACE` seconds more, the kernel is killed and restarted; a kernel that dies (an
exit, a crash, the memory limit) is restarted; both raise `KernelRestarted`, which the python tool
turns into a structured tool error telling the model its state is gone; a kernel the model's code
killed is reported as such, one the memory limit killed as that. A kernel that cannot start again
in a container that still runs is `BrokenByModel` (what the code left behind broke it: the
episode is the model's failure); when the container is gone or the engine does not answer, it is
a `SandboxError` (infrastructure). `close()` removes the container (the sandbox also removes it at
exit, on Ctrl-C and SIGTERM).
"""

from __future__ import annotations

import io
import json
import secrets
import signal
import tarfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from synth import BrokenByModel, SandboxError, ToolError
from synth.sandbox import Limits, ProcessExited, Sandbox, build_layer, ensure_base, size_bytes, start_sandbox

PACKAGES = ("numpy==2.2.6", "pandas==2.3.3", "sympy==1.14.0")
"""What the kernel image adds to the base image (pinned, so an image is one fixed set of libraries)."""
KERNEL_MAIN = Path(__file__).with_name("_kernel_main.py")
INSIDE = "/opt/synth-kernel/kernel.py"
DATA = "/data"
WORK = "/work"
PYTHON = "/opt/venv/bin/python"
GRACE = 5.0
"""Seconds an interrupted execution gets to stop before the kernel is killed and restarted."""
START_TIMEOUT = 120.0
"""Seconds a kernel (re)start may take before the sandbox counts as broken."""
IMAGE_VERSION = 1
TMP_SIZE = "64m"
"""Size of /tmp (a tmpfs like /work, counted in the memory limit)."""
FRAME = b"\x00SYNTH-FRAME "
"""Start of a reply frame: FRAME, the kernel's token, a space, 10 digits of length, a newline, the JSON."""
FRAME_LIMIT = 64 * 1024 * 1024
"""Largest reply frame read; a longer length is taken for bytes the code wrote, not a reply."""

_image_lock = threading.Lock()
_images: dict[tuple[str, ...], str] = {}


class KernelSettings(BaseModel):
    """How a task's kernel runs (stored with every tuple under environment.metadata["kernel"])."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    timeout: float = Field(120.0, gt=0, le=3600)
    """Seconds one execution may run before it is interrupted (the report: 120)."""
    max_executions: int = Field(20, ge=1, le=1000)
    """Executions of the python tool allowed in one episode (the report: 20)."""
    output_cap: int = Field(16384, ge=256, le=1 << 20)
    """Bytes kept of each of stdout and stderr per execution (head and tail), and of a result's repr."""
    seed: int = Field(0, ge=0)
    """Seed of `random` and numpy's global generator at kernel start (PYTHONHASHSEED is 0)."""
    memory: str = "2g"
    """Memory limit of the kernel's container."""
    cpus: float = Field(1.0, gt=0)
    """CPU share of the kernel's container, in cores."""
    pids: int = Field(256, ge=16)
    """Most processes at once in the kernel's container."""
    disk: str = "1g"
    """Size of the writable /work folder (a tmpfs inside the memory limit; docker size syntax)."""
    nofile: int = Field(4096, ge=64, le=1 << 20)
    """Most open files per process in the kernel's container."""
    inodes: int | None = Field(None, ge=64, le=1 << 24)
    """Most files and folders in the kernel's writable storage (None: the sandbox default, 65536)."""

    @field_validator("disk")
    @classmethod
    def _size(cls, value: str) -> str:
        size_bytes(value)
        return value
    packages: tuple[str, ...] = PACKAGES
    """Python packages of the kernel image (pinned); the image is rebuilt from this list if missing."""


def kernel_image(packages: tuple[str, ...] = PACKAGES, log: Any = None) -> str:
    """Tag of the kernel image with `packages`, built on the base image once per machine (the tag
    is the hash of the recipe, so a built image is reused by every later run and test)."""
    key = tuple(packages)
    with _image_lock:
        if key in _images:
            return _images[key]
        base = ensure_base(log=log)
        install = " ".join(f"'{p}'" for p in packages)

        def steps(box: Sandbox) -> None:
            if log:
                log(f"building the interpreter kernel image ({', '.join(packages)}; once per machine)")
            script = (f"set -e; {PYTHON} -m pip install --quiet --no-cache-dir {install}; "
                      f"mkdir -p {WORK} {DATA} && chown 1000:1000 {WORK}; "
                      f"{PYTHON} -c 'import numpy, pandas, sympy'")
            result = box.exec(script, timeout=1800, user="0:0")
            if result.exit_code != 0:
                raise SandboxError(f"building the kernel image failed (exit {result.exit_code}): {result.output[-1500:]}")

        tag = build_layer("kernel", base, {"version": IMAGE_VERSION, "packages": list(packages)}, steps, network="host")
        _images[key] = tag
        return tag


class KernelRestarted(ToolError):
    """The kernel died or could not be interrupted, and a fresh one replaced it: state is gone."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "kernel_restarted")


@dataclass(frozen=True)
class Execution:
    """What one execution gave (the kernel's reply)."""

    stdout: str
    stderr: str
    result: str | None
    """repr of the final expression's value, when the code ends with an expression that is not None."""
    error: dict[str, str] | None
    """name, message and traceback of the exception the code raised."""
    timed_out: bool
    stdout_bytes: int = 0
    stderr_bytes: int = 0


def _why(code: int | None, oom: bool | None, memory: str, quota: str = "") -> str:
    """What ended the kernel, as the model should read it: `oom` says whether the memory limit
    killed a process meanwhile (None: unknown); `quota` is the sandbox's note when its disk, inode
    or open-file watch killed the user's processes meanwhile ("" when it did not)."""
    if quota:
        return f"a quota of the sandbox killed it (exit code {code}) {quota}"
    if code is None:
        return "its process ended"
    if code == 137 and oom:
        return f"the {memory} memory limit killed it (exit code 137)"
    if code < 0 or code > 128:
        number = -code if code < 0 else code - 128
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        if oom is False:
            return f"it was killed by {name} (exit code {code}), sent by the code it ran, not by a limit"
        return f"it was killed by {name} (exit code {code})"
    return f"it exited with code {code}"


def _capped(text: str, cap: int) -> str:
    """`text` within `cap` characters (plus the kernel's own truncation line), head and tail kept."""
    if len(text) <= cap:
        return text
    half = cap // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} characters truncated ...]\n{text[-half:]}"


def _tar(files: dict[str, bytes]) -> bytes:
    """A tar of `files` (path inside -> bytes), owned by root and read-only, with their folders."""
    buffer = io.BytesIO()
    folders: set[str] = set()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for path, data in sorted(files.items()):
            parts = path.strip("/").split("/")
            for depth in range(1, len(parts)):
                folder = "/".join(parts[:depth])
                if folder not in folders:
                    folders.add(folder)
                    info = tarfile.TarInfo(folder)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
                    tar.addfile(info)
            info = tarfile.TarInfo("/".join(parts))
            info.size, info.mode, info.mtime = len(data), 0o444, int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Kernel:
    """A persistent Python kernel in its own sandbox. Close it (or use `with`)."""

    def __init__(self, settings: KernelSettings, files: dict[str, Path], *, log: Any = None) -> None:
        """Start a sandbox of the kernel image with `files` (name -> host path) read-only under
        /data, and a kernel in it. SandboxError when either cannot start."""
        self.settings = settings
        self.restarts = 0
        self._quotas_seen = 0
        self.token = secrets.token_hex(16)
        self._buffer = bytearray()
        copied = {f"{DATA}/{name}": Path(path).read_bytes() for name, path in files.items()}
        copied[INSIDE] = KERNEL_MAIN.read_bytes()
        limits = Limits(network="none", user="1000:1000", memory=settings.memory, pids=settings.pids, cpus=settings.cpus,
                        disk=settings.disk, nofile=settings.nofile,
                        **({} if settings.inodes is None else {"inodes": settings.inodes}))
        self.box = start_sandbox(kernel_image(settings.packages, log), limits=limits, kind="kernel",
                                 scratch={WORK: settings.disk, "/tmp": TMP_SIZE, "/var/tmp": TMP_SIZE})
        try:
            self.box.put_tree("/", _tar(copied))
            self._start()
        except BaseException:
            self.box.close()
            raise

    def _start(self) -> None:
        env = {"PYTHONHASHSEED": "0", "SYNTH_KERNEL_SEED": str(self.settings.seed),
               "SYNTH_KERNEL_CAP": str(self.settings.output_cap), "HOME": WORK, "MPLBACKEND": "Agg",
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1",
               "SYNTH_KERNEL_TOKEN": self.token}
        self._buffer.clear()
        # -s: no user site, so nothing the code leaves under HOME (/work) runs at the next start
        self.process = self.box.spawn([PYTHON, "-s", INSIDE], workdir=WORK, env=env)
        try:
            hello = self._frame(START_TIMEOUT)
        except (TimeoutError, ProcessExited) as exc:
            detail = self.process.stderr().strip()[-600:]
            self.process.kill()
            raise SandboxError(f"the kernel did not start ({type(exc).__name__}): {detail}") from None
        if not hello.get("ready"):
            self.process.kill()
            raise SandboxError(f"the kernel did not start: {hello}")
        self.pid = int(hello["pid"])

    def _frame(self, timeout: float) -> dict[str, Any]:
        """The next reply frame of this kernel, skipping every other byte on the channel (what the
        code wrote there). TimeoutError when none is complete in time; ProcessExited when the
        kernel ended first."""
        deadline = time.monotonic() + timeout
        start = FRAME + self.token.encode() + b" "
        head = len(start) + 11  # 10 digits and a newline
        buffer = self._buffer
        while True:
            at = buffer.find(start)
            if at < 0:
                del buffer[: max(0, len(buffer) - len(start) + 1)]  # junk: keep only a possible partial marker
            else:
                del buffer[:at]
                if len(buffer) >= head:
                    digits = bytes(buffer[len(start): head - 1])
                    size = int(digits) if digits.isdigit() and buffer[head - 1: head] == b"\n" else -1
                    if not 0 <= size <= FRAME_LIMIT:
                        del buffer[: len(start)]  # a forged or broken header: not a frame
                        continue
                    again = buffer.find(start, len(start), head + size)
                    if again >= 0:
                        # a marker inside the declared payload: a real reply never holds one (JSON
                        # escapes the NUL), so this header was forged; the real frame starts there
                        del buffer[:again]
                        continue
                    if len(buffer) >= head + size:
                        payload = bytes(buffer[head: head + size])
                        del buffer[: head + size]
                        try:
                            message = json.loads(payload)
                        except ValueError:
                            continue
                        if isinstance(message, dict):
                            return message
                        continue
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply from the kernel within {timeout:g}s")
            buffer += self.process.read(left)

    def restart(self) -> None:
        """Kill the kernel and everything it started; start a fresh one (files in /work stay).
        BrokenByModel when no kernel can start in a container that still runs."""
        self.process.kill()
        try:
            self._start()
        except BrokenByModel:
            raise
        except SandboxError as exc:
            if self.box.running():
                raise BrokenByModel(f"no kernel could start again after what the code did: {exc}") from None
            raise
        self.restarts += 1

    def execute(self, code: str, timeout: float | None = None) -> Execution:
        """Run `code` in the kernel. KernelRestarted when the kernel died or would not stop."""
        limit = self.settings.timeout if timeout is None else timeout
        ident = secrets.token_hex(8)
        request = json.dumps({"id": ident, "code": code, "timeout": limit}, ensure_ascii=False) + "\n"
        lost = "every variable, import and open file is gone; files in /work and /data remain"
        deadline = time.monotonic() + limit + GRACE
        ooms = self.box.oom_kills() if hasattr(self.box, "oom_kills") else None
        try:
            self.process.send(request.encode("utf-8"))
            while True:
                reply = self._frame(max(0.0, deadline - time.monotonic()))
                if reply.get("id") == ident:
                    break
        except TimeoutError:
            self.restart()
            raise KernelRestarted(f"the execution ran past its {limit:g} s limit and could not be interrupted (or its "
                                  f"reply never came); the kernel was restarted: {lost}") from None
        except ProcessExited as exc:
            after = self.box.oom_kills() if ooms is not None else None
            # a quota kill since the last execution ended (between calls too: a background writer)
            quota = getattr(self.box, "quota_note", "") if getattr(self.box, "quota_events", 0) != self._quotas_seen else ""
            self._quotas_seen = getattr(self.box, "quota_events", 0)
            why = _why(exc.exit_code, None if after is None or ooms is None else after > ooms, self.settings.memory, quota)
            self.restart()
            raise KernelRestarted(f"the kernel died ({why}); a fresh kernel was started: {lost}") from None
        self._quotas_seen = getattr(self.box, "quota_events", 0)
        return self._checked(reply)

    def _checked(self, reply: dict[str, Any]) -> Execution:
        """The reply as the host takes it: every field type-checked and cut to the output cap here,
        whatever the kernel claims (the code runs in the kernel's process and can write a frame of
        its own: the kernel's cap is not a promise the host relies on)."""
        cap = self.settings.output_cap + 256  # the kernel's own cap and its one truncation line pass unchanged
        stdout, stderr, result, error = (reply.get(k) for k in ("stdout", "stderr", "result", "error"))
        counts = [reply.get("stdout_bytes"), reply.get("stderr_bytes")]
        if not (isinstance(stdout, str) and isinstance(stderr, str) and (result is None or isinstance(result, str))
                and (error is None or (isinstance(error, dict) and all(isinstance(v, str) for v in error.values())))
                and isinstance(reply.get("timed_out"), bool)
                and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts)):
            raise ToolError("the execution's reply could not be read (a field of the wrong type: the code wrote on the "
                            "kernel's channel); the kernel goes on", "tool_failure")
        if error is not None:
            error = {key: _capped(value, cap if key == "traceback" else 2000) for key, value in error.items()
                     if key in ("name", "message", "traceback")}
            error.setdefault("name", "Error")
        stdout, stderr = _capped(stdout, cap), _capped(stderr, cap)
        return Execution(stdout=stdout, stderr=stderr, result=None if result is None else _capped(result, cap), error=error,
                         timed_out=reply["timed_out"], stdout_bytes=max(counts[0], len(stdout.encode("utf-8", "replace"))),
                         stderr_bytes=max(counts[1], len(stderr.encode("utf-8", "replace"))))

    def close(self) -> None:
        """Remove the kernel's sandbox (idempotent)."""
        self.box.close()

    def __enter__(self) -> "Kernel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
