"""Python source parsed on the host under one process-wide lock.

CPython 3.11's AST builder keeps its recursion depth in per-interpreter state, not per thread
(python/cpython#106905): two threads in `ast.parse` at once can fail with "SystemError: AST
constructor recursion depth mismatch". synth parses in threads wherever it grades or generates side
by side (`synth serve`'s concurrent sessions, the executor's workers), so every host-side parse goes
through `parse`."""

from __future__ import annotations

import ast
import threading

_LOCK = threading.Lock()


def parse(source: str | bytes, mode: str = "exec") -> ast.AST:
    """`ast.parse(source, mode=mode)`, one thread at a time (bytes honour a declared encoding)."""
    with _LOCK:
        return ast.parse(source, mode=mode)
