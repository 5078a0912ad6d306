"""The notebook's tools: `python(code)` runs a cell in the task's kernel, `submit(answer)` ends the task.

Sits between the interpreter family's environment and its kernel (`_kernel.Kernel`). Every call
goes through the core's `ToolRuntime`, so bad calls are structured errors. Guarantees: a call
beyond the task's execution budget is the error `execution_limit` and runs nothing; a kernel that
died or would not stop is the error `kernel_restarted` (its message says the state is gone and
why); a write past /work's disk quota comes back with a `note` naming the quota. A sandbox that
cannot serve again is kept in `Notebook.broken` for the environment to raise: `BrokenByModel`
when the container still runs (what the code did broke it: the episode is the model's failure),
a plain `SandboxError` when the container or the engine is gone (an environment error, never
blamed on the model). A result carries only what the code produced (no timings), so the same code
gives the same result text.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from synth import SandboxError, ToolError, tool_from_function

from ._kernel import TMP_SIZE, Kernel, KernelSettings


class Notebook:
    """What the tools act on: one kernel and the episode's execution count."""

    def __init__(self, settings: KernelSettings, files: dict[str, Path]) -> None:
        self.settings = settings
        self.kernel = Kernel(settings, files)
        self.executions = 0
        self.broken: SandboxError | None = None

    def close(self) -> None:
        self.kernel.close()


def python(notebook: Notebook, code: str) -> dict[str, Any]:
    """Run Python code in a stateful notebook kernel. Variables, imports, open files and random state persist between calls; the value of a final expression is shown. Data files are read-only in /data; /work is writable; numpy, pandas and sympy are installed; there is no network.

    Args:
        code: Python source to execute, like a notebook cell.
    """
    limit = notebook.settings.max_executions
    if notebook.executions >= limit:
        raise ToolError(f"all {limit} executions of this task are used; submit your answer", "execution_limit")
    notebook.executions += 1
    try:
        run = notebook.kernel.execute(code)
    except SandboxError as exc:
        notebook.broken = exc
        raise
    out: dict[str, Any] = {"execution": notebook.executions, "executions_left": limit - notebook.executions}
    said = f"{run.stdout}{run.stderr}{(run.error or {}).get('message', '')}"
    if "No space left on device" in said or "File too large" in said:
        out["note"] = (f"/work (and each file) is limited to {notebook.settings.disk} by the task's disk quota, /tmp to "
                       f"{TMP_SIZE}; delete files you do not need to free space")
    if run.stdout:
        out["stdout"] = run.stdout
    if run.stderr:
        out["stderr"] = run.stderr
    if run.result is not None:
        out["result"] = run.result
    if run.error is not None:
        out["error"] = run.error
    return out


def _finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(map(_finite, value))
    if isinstance(value, dict):
        return all(map(_finite, value.values()))
    return True


def submit(notebook: Notebook, answer: Any) -> Any:
    """Submit your final answer. This ends the task.

    Args:
        answer: The answer as a JSON value of the type the task asks for: a number, an integer, an array of strings, an array, or a table as an array of rows.
    """
    # JSON records cannot hold NaN or infinities: keep such an answer as its text, so the stored
    # submission grades exactly as the live one did (both fail)
    return answer if _finite(answer) else json.dumps(answer)


TOOLS = [tool_from_function(python), tool_from_function(submit, submit=True)]
