"""The interpreter family's kernel: one persistent Python process per sandbox (standard library only).

Runs inside the kernel container as uid 1000; synth never imports it. The host mounts this file
in read-only and starts it with `Sandbox.spawn`, so its stdin and stdout are a channel to the
host: one JSON object per line in, one frame per reply out (b"\\x00SYNTH-FRAME ", the token the
host gave in SYNTH_KERNEL_TOKEN, a space, the JSON's length in 10 digits, a newline, the JSON), so
the host finds replies among whatever else the cell's code writes to the same descriptor. It
announces itself with {"ready": true, ...}; then every request {"id", "code", "timeout"} gets
exactly one reply {"id", "stdout", "stderr", "result", "error", "timed_out", ...}. Guarantees:

- State persists across executions: one namespace (a real `__main__` module), the random state,
  open files, imported modules, threads.
- Seeds are fixed at start: `random` at once, numpy's global generator the moment numpy is first
  imported (before any code can draw from it; importing numpy up front would cost most of a
  kernel's start), and the host sets PYTHONHASHSEED.
- stdout and stderr are captured at the file-descriptor level (prints, C extensions and
  subprocesses alike) through pipes drained by threads, each capped (head and tail kept); the
  protocol uses private duplicates of the original descriptors, and stdin reads as empty.
- The value of a final expression comes back as its repr (capped), as a notebook shows it.
- An exception comes back as its name, message and traceback (the kernel's frames removed).
- A cell that runs past its timeout is interrupted by SIGALRM with `ExecutionTimeout` (a
  BaseException, so `except Exception` does not swallow it; re-raised every second if caught);
  the namespace survives. A cell that cannot be interrupted (C code, signals masked) is the host's
  business: it kills and restarts the kernel.
"""

import ast
import importlib.abc
import importlib.util
import json
import linecache
import os
import random
import signal
import sys
import threading
import traceback
import types

SEED = int(os.environ.get("SYNTH_KERNEL_SEED", "0"))
CAP = int(os.environ.get("SYNTH_KERNEL_CAP", "16384"))
TOKEN = os.environ.pop("SYNTH_KERNEL_TOKEN", "").encode()
RESULT_CAP = CAP
TRACEBACK_CAP = CAP


class ExecutionTimeout(BaseException):
    """The execution ran past its timeout and was interrupted."""


class Capture:
    """One output stream (fd 1 or 2) going to a pipe drained by a thread, kept head and tail."""

    def __init__(self, fd):
        self.fd = fd
        read_end, self.write_end = os.pipe()
        self.read_end = read_end
        self.lock = threading.Lock()
        self.seen = threading.Event()
        self.marker = b"\x00\x1bSYNTH-" + os.urandom(8).hex().encode() + b"\x00"
        self.reset()
        threading.Thread(target=self._drain, daemon=True).start()

    def reset(self):
        with self.lock:
            self.head, self.tail, self.total = bytearray(), bytearray(), 0

    def attach(self):
        """Point the descriptor at the pipe again (a cell may have redirected it)."""
        os.dup2(self.write_end, self.fd)

    def _feed(self, chunk):
        # synth.sandbox.OutputCap's rule; this program runs in the container, where synth is not
        # installed, so it keeps its own copy
        with self.lock:
            self.total += len(chunk)
            half = CAP // 2
            room = half - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                if len(self.tail) > half:
                    del self.tail[: len(self.tail) - half]

    def _drain(self):
        pending = b""
        keep = len(self.marker) - 1
        while True:
            try:
                data = os.read(self.read_end, 65536)
            except OSError:
                return
            if not data:
                return
            pending += data
            while True:
                at = pending.find(self.marker)
                if at < 0:
                    break
                self._feed(pending[:at])
                pending = pending[at + len(self.marker):]
                self.seen.set()
            if len(pending) > keep:
                self._feed(pending[:-keep])
                pending = pending[-keep:]

    def collect(self):
        """Everything written so far: a marker written after it comes out of the pipe last."""
        self.seen.clear()
        try:
            os.write(self.write_end, self.marker)
            self.seen.wait(2.0)
        except OSError:
            pass
        with self.lock:
            head, tail, total = bytes(self.head), bytes(self.tail), self.total
        if total > len(head) + len(tail):
            text = (head.decode("utf-8", "replace") + f"\n[... {total - len(head) - len(tail)} bytes of output truncated ...]\n"
                    + tail.decode("utf-8", "replace"))
        else:
            text = (head + tail).decode("utf-8", "replace")
        return text, total


class SeedNumpy(importlib.abc.MetaPathFinder):
    """Seeds numpy's global generator right after numpy's first import, whoever imports it."""

    def find_spec(self, fullname, path, target=None):
        if fullname != "numpy":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec("numpy")
        if spec is None or spec.loader is None:
            return spec
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            module.random.seed(SEED)

        spec.loader.exec_module = exec_module
        return spec


def capped(text, cap):
    if len(text) <= cap:
        return text
    half = cap // 2
    return f"{text[:half]}\n[... {len(text) - 2 * half} characters truncated ...]\n{text[-half:]}"


class Kernel:
    def __init__(self, proto_out):
        self.proto_out = proto_out
        self.module = types.ModuleType("__main__")
        self.module.__dict__["__builtins__"] = __builtins__
        sys.modules["__main__"] = self.module
        self.namespace = self.module.__dict__
        self.armed = False
        self.count = 0
        self.stdout = Capture(1)
        self.stderr = Capture(2)
        self.stdout.attach()
        self.stderr.attach()
        self._streams()
        signal.signal(signal.SIGALRM, self._alarm)

    def _streams(self):
        sys.stdout = open(1, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)
        sys.stderr = open(2, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)

    def _alarm(self, signum, frame):
        if self.armed:
            raise ExecutionTimeout()

    def _arm(self, timeout):
        self.armed = True
        signal.setitimer(signal.ITIMER_REAL, max(timeout, 0.001), 1.0)

    def _disarm(self):
        self.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)

    def reply(self, message):
        payload = json.dumps(message, ensure_ascii=False).encode("utf-8", "replace")
        # a newline first ends whatever partial line the cell's code left on the channel
        self.proto_out.write(b"\n\x00SYNTH-FRAME " + TOKEN + b" " + b"%010d\n" % len(payload) + payload)
        self.proto_out.flush()

    def _error(self, exc, timeout):
        if isinstance(exc, ExecutionTimeout):
            return {"name": "TimeoutError", "message": f"the execution exceeded its {timeout:g} s limit and was interrupted; "
                    "variables and imports are kept", "traceback": ""}
        tb = exc.__traceback__
        while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell-"):
            tb = tb.tb_next
        if isinstance(exc, SyntaxError):
            text = "".join(traceback.format_exception_only(type(exc), exc))
        else:
            text = "".join(traceback.format_exception(type(exc), exc, tb))
        try:
            message = str(exc)
        except BaseException:
            message = "<unprintable>"
        return {"name": type(exc).__name__, "message": capped(message, 2000), "traceback": capped(text, TRACEBACK_CAP)}

    def execute(self, code, timeout):
        self.count += 1
        filename = f"<cell-{self.count}>"
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        self.stdout.collect()
        self.stderr.collect()
        self.stdout.reset()
        self.stderr.reset()
        self.stdout.attach()
        self.stderr.attach()
        self._streams()
        result, error, timed_out = None, None, False
        try:
            try:
                self._arm(timeout)
                tree = ast.parse(code, filename, "exec")
                last = None
                if tree.body and isinstance(tree.body[-1], ast.Expr):
                    last = ast.Expression(tree.body.pop().value)
                exec(compile(tree, filename, "exec"), self.namespace)
                if last is not None:
                    value = eval(compile(last, filename, "eval"), self.namespace)
                    if value is not None:
                        self.namespace["_"] = value
                        result = capped(repr(value), RESULT_CAP)
            finally:
                self._disarm()
        except ExecutionTimeout as exc:
            timed_out, error = True, self._error(exc, timeout)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included: the kernel lives on
            error = self._error(exc, timeout)
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass
        stdout, stdout_bytes = self.stdout.collect()
        stderr, stderr_bytes = self.stderr.collect()
        return {"stdout": stdout, "stdout_bytes": stdout_bytes, "stderr": stderr, "stderr_bytes": stderr_bytes,
                "result": result, "error": error, "timed_out": timed_out}


def main():
    proto_in = os.fdopen(os.dup(0), "rb")
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdin = open(0, "r", closefd=False)
    sys.path[0] = ""
    random.seed(SEED)
    sys.meta_path.insert(0, SeedNumpy())
    kernel = Kernel(proto_out)
    kernel.reply({"ready": True, "pid": os.getpid(), "python": sys.version.split()[0], "seed": SEED})
    for line in proto_in:
        try:
            request = json.loads(line)
            code, ident, timeout = str(request["code"]), request["id"], float(request["timeout"])
        except (ValueError, KeyError, TypeError) as exc:
            kernel.reply({"id": None, "protocol_error": str(exc)})
            continue
        outcome = kernel.execute(code, timeout)
        outcome["id"] = ident
        kernel.reply(outcome)


if __name__ == "__main__":
    main()
