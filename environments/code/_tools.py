"""The agent's tools in a code environment: bash, view, edit (str_replace) and submit.

Sits between the code family's live environment and the sandbox: each tool is a plain function of
a `Workspace` (one container of the task image) run by the core's tool runtime, so a model's calls
and the gold solver's take the same path. Guarantees: bash runs as uid 1000 in /testbed with a
timeout (at most 120 s) and capped output; view and edit refuse what they cannot do with a
structured error (a missing file, an old_str that does not occur exactly once); edit writes as the
unprivileged user, so file permissions hold; submit returns the diff of the files git tracks (new
files the ignore rules allow, and whatever the agent forced into the index) against the task's base
commit (recorded when the workspace opens, so commits the agent makes are included), as text, and
refuses with a tool error the model reads a diff grading would refuse: binary files, bytecode,
packaging metadata, a new top-level module named like the test runner or the standard library.
"""

from __future__ import annotations

import secrets
import shlex
from typing import Any

from synth import ToolError, ToolSpec, tool_from_function
from synth.sandbox import ExecResult, Sandbox
from synth.verifiers.code import problems

from ._exec import USER

BASH_TIMEOUT = 120
BASH_OUTPUT_CAP = 16 * 1024
VIEW_CAP = 64 * 1024
WORKDIR = "/testbed"


class Workspace:
    """What the tools act on: one container of the task image."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box
        head = self.run("git rev-parse HEAD", timeout=30)
        self.base = head.output.strip() if head.exit_code == 0 else "HEAD"
        """The task's base commit: submissions are diffs against it."""

    def run(self, command: str, timeout: float = BASH_TIMEOUT, cap: int = BASH_OUTPUT_CAP, user: str = USER) -> ExecResult:
        return self.box.exec(command, timeout=timeout, user=user, workdir=WORKDIR, output_cap=cap)

    def resolve(self, path: str) -> str:
        return path if path.startswith("/") else f"{WORKDIR}/{path}"

    def diff(self) -> str:
        """The diff of the index (after `git add -A`) against the base commit."""
        base = shlex.quote(self.base)
        result = self.run(f"git add -A >/dev/null 2>&1; git -c core.quotePath=false diff --cached --no-color --no-ext-diff "
                          f"--no-textconv --no-renames {base}", timeout=60, cap=32 * 1024 * 1024)
        if result.exit_code != 0:
            return ""
        return result.output


def bash(ws: Workspace, command: str, timeout: int = 60) -> dict[str, Any]:
    """Run a bash command in the repository (/testbed). There is no network. Long output is truncated.

    Args:
        command: The command line, run with bash -c in /testbed.
        timeout: Seconds before the command is killed (at most 120).
    """
    result = ws.run(command, timeout=max(1, min(int(timeout), BASH_TIMEOUT)))
    return {"exit_code": result.exit_code, "output": result.output, "timed_out": result.timed_out,
            "truncated": result.truncated}


def view(ws: Workspace, path: str, start_line: int = 1, end_line: int = 0) -> str:
    """Show a file with line numbers, or list a directory.

    Args:
        path: File or directory, relative to /testbed or absolute.
        start_line: First line to show (1-based).
        end_line: Last line to show; 0 means the end of the file.
    """
    target = shlex.quote(ws.resolve(path))
    first = max(1, int(start_line))
    last = f"{int(end_line)}" if end_line and end_line > 0 else "$"
    command = (f"if [ -d {target} ]; then find {target} -maxdepth 2 -not -path '*/.git*' | sort | head -500; "
               f"elif [ -f {target} ]; then sed -n '{first},{last}p' {target} | "
               f"awk -v n={first} '{{printf \"%6d\\t%s\\n\", n++, $0}}'; "
               f"else echo 'no such file or directory: {path}' >&2; exit 2; fi")
    result = ws.run(command, timeout=30, cap=VIEW_CAP)
    if result.exit_code != 0:
        raise ValueError(result.output.strip() or f"cannot view {path}")
    return result.output


def edit(ws: Workspace, path: str, old_str: str, new_str: str) -> str:
    """Replace the one occurrence of old_str in a file with new_str; with an empty old_str, create the file.

    Args:
        path: File, relative to /testbed or absolute.
        old_str: Exact text to replace; must occur exactly once. Empty to create a new file.
        new_str: Replacement text.
    """
    target = ws.resolve(path)
    quoted = shlex.quote(target)
    if old_str == "":
        exists = ws.run(f"test -e {quoted}", timeout=10)
        if exists.exit_code == 0:
            raise ValueError(f"{path} exists; give old_str to edit it")
        content = new_str
    else:
        readable = ws.run(f"test -f {quoted} -a -r {quoted} -a -w {quoted}", timeout=10)
        if readable.exit_code != 0:
            raise ValueError(f"{path} is not a writable file")
        content = ws.box.read_file(target).decode("utf-8")
        count = content.count(old_str)
        if count != 1:
            raise ValueError(f"old_str occurs {count} times in {path}; it must occur exactly once")
        content = content.replace(old_str, new_str, 1)
    staging = f"/tmp/.synth-edit-{secrets.token_hex(8)}"
    ws.box.write_file(staging, content.encode("utf-8"), user=USER)
    # copy as the unprivileged user: the file keeps its mode and permissions are enforced
    done = ws.run(f"mkdir -p \"$(dirname {quoted})\" && cat {staging} > {quoted}; code=$?; rm -f {staging}; exit $code",
                  timeout=30)
    if done.exit_code != 0:
        raise ValueError(f"cannot write {path}: {done.output.strip()[:300]}")
    return f"edited {path}"


def submit(ws: Workspace) -> str:
    """Submit your changes to the repository as the solution. This ends the task."""
    diff = ws.diff()
    refused = problems(diff)
    if refused:
        raise ToolError("submit refused; only source text is graded, so remove these files (rm, or git rm --cached) "
                        "and submit again: " + "; ".join(refused)[:1500], kind="refused")
    return diff


TOOLS = [tool_from_function(bash), tool_from_function(view), tool_from_function(edit),
         tool_from_function(submit, submit=True)]


def tool_specs() -> list[ToolSpec]:
    return [t.spec for t in TOOLS]
