"""The host side of the notebook: the kernel image and `Kernel`, a persistent Python in a sandbox.

Sits between the interpreter family's tools and `synth.sandbox`. The kernel image is one layer on
the sandbox base image (Debian, Python 3.11): numpy, pandas and sympy installed from the package
index at pinned versions, built once per machine on the host network and tagged by the hash of its
recipe (`synth-kernel:<hash>`), so every test run and every episode shares it. The kernel program
(`_kernel_main.py`, standard library only) is mounted read-only at start, not baked in, so editing
it never rebuilds the image.

Why not ipykernel + jupyter_client: jupyter_client speaks ZeroMQ over TCP (or IPC sockets inside
the container), which a container with no network cannot offer the host without a bridge process
inside it; IPython's import alone takes most of the 1 s start budget on these CPUs. A small kernel
speaking JSON lines over the attached stdin/stdout of one process gives the same persistent
namespace, a millisecond round trip and a ~0.5 s start, and stays within the sandbox contract.

Guarantees of `Kernel`: the container runs with no network, as uid 1000, under memory, pids and CPU
limits, with the task's files read-only under /data and a writable /work; executions keep state;
an execution that overruns its timeout is interrupted in the kernel (state kept) and, if it does
not stop within `GRACE` seconds more, the kernel is killed and restarted; a kernel that dies (an
exit, a crash, the memory limit) is restarted; both raise `KernelRestarted`, which the python tool
turns into a structured tool error telling the model its state is gone. A kernel that cannot start
again is a `SandboxError` (an infrastructure failure, never the model's). `close()` removes the
container (the sandbox also removes it at exit, on Ctrl-C and SIGTERM).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from synth import SandboxError, ToolError
from synth.sandbox import Limits, ProcessExited, Sandbox, build_layer, ensure_base, start_sandbox

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


def _why(code: int | None) -> str:
    if code == 137:
        return "it was killed (exit code 137), most often by the memory limit"
    if code is None:
        return "its process ended"
    if code < 0 or code > 128:
        return f"it was ended by a signal (exit code {code})"
    return f"it exited with code {code}"


class Kernel:
    """A persistent Python kernel in its own sandbox. Close it (or use `with`)."""

    def __init__(self, settings: KernelSettings, files: dict[str, Path], *, log: Any = None) -> None:
        """Start a sandbox of the kernel image with `files` (name -> host path) read-only under
        /data, and a kernel in it. SandboxError when either cannot start."""
        self.settings = settings
        self.restarts = 0
        mounts = {str(Path(path).resolve()): f"{DATA}/{name}" for name, path in files.items()}
        mounts[str(KERNEL_MAIN.resolve())] = INSIDE
        limits = Limits(network="none", user="1000:1000", memory=settings.memory, pids=settings.pids, cpus=settings.cpus)
        self.box = start_sandbox(kernel_image(settings.packages, log), limits=limits, kind="kernel", mounts=mounts)
        try:
            self._start()
        except BaseException:
            self.box.close()
            raise

    def _start(self) -> None:
        env = {"PYTHONHASHSEED": "0", "SYNTH_KERNEL_SEED": str(self.settings.seed),
               "SYNTH_KERNEL_CAP": str(self.settings.output_cap), "HOME": WORK, "MPLBACKEND": "Agg",
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
        self.process = self.box.spawn([PYTHON, INSIDE], workdir=WORK, env=env)
        try:
            hello = json.loads(self.process.readline(START_TIMEOUT))
        except (TimeoutError, ProcessExited, ValueError) as exc:
            detail = self.process.stderr().strip()[-600:]
            self.process.kill()
            raise SandboxError(f"the kernel did not start ({type(exc).__name__}): {detail}") from None
        if not hello.get("ready"):
            self.process.kill()
            raise SandboxError(f"the kernel did not start: {hello}")
        self.pid = int(hello["pid"])

    def restart(self) -> None:
        """Kill the kernel and everything it started; start a fresh one (files in /work stay)."""
        self.process.kill()
        self._start()
        self.restarts += 1

    def execute(self, code: str, timeout: float | None = None) -> Execution:
        """Run `code` in the kernel. KernelRestarted when the kernel died or would not stop."""
        limit = self.settings.timeout if timeout is None else timeout
        ident = secrets.token_hex(8)
        request = json.dumps({"id": ident, "code": code, "timeout": limit}, ensure_ascii=False) + "\n"
        lost = "every variable, import and open file is gone; files in /work and /data remain"
        deadline = time.monotonic() + limit + GRACE
        try:
            self.process.send(request.encode("utf-8"))
            while True:
                line = self.process.readline(max(0.0, deadline - time.monotonic()))
                try:
                    reply = json.loads(line)
                except ValueError:
                    continue  # not the kernel's: code that wrote to the kernel's own channel
                if isinstance(reply, dict) and reply.get("id") == ident:
                    break
        except TimeoutError:
            self.restart()
            raise KernelRestarted(f"the execution ran past its {limit:g} s limit and could not be interrupted; "
                                  f"the kernel was restarted: {lost}") from None
        except ProcessExited as exc:
            self.restart()
            raise KernelRestarted(f"the kernel died ({_why(exc.exit_code)}); a fresh kernel was started: {lost}") from None
        return Execution(stdout=reply["stdout"], stderr=reply["stderr"], result=reply["result"], error=reply["error"],
                         timed_out=bool(reply["timed_out"]), stdout_bytes=int(reply["stdout_bytes"]),
                         stderr_bytes=int(reply["stderr_bytes"]))

    def close(self) -> None:
        """Remove the kernel's sandbox (idempotent)."""
        self.box.close()

    def __enter__(self) -> "Kernel":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
