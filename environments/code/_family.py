"""The code family: a repository in a container, the issue text as the prompt, its tests as verifier.

Sits on the core contract and `synth.sandbox`. `open()` starts a container of the task image (no
network, uid 1000, limits) and offers four tools: `bash` (timeout, capped output), `view`, `edit`
(str_replace style) and `submit`; the submission is the agent's diff against the task's single
base commit. `finalize()` grades that diff in a fresh container (`_exec.grading_run`) and returns
the artifacts the `code.tests` verifier reads, so grading needs no container afterwards. The gold
solution applies the gold patch through `bash` and submits, like an agent would. Null controls:
the empty patch (added by verify) and exploit patches (a conftest.py that skips everything, a fake
JUnit file with printed PASSED lines, a source file that forces exit 0), each of which must fail.
"""

from __future__ import annotations

import secrets
import shlex
from types import SimpleNamespace
from typing import Any

from synth import (
    Control,
    Family,
    Run,
    RuntimeEnvironment,
    ToolClient,
    ToolRuntime,
    ToolSpec,
    TupleRecord,
    Verdict,
    grade,
    register_family,
    tool_from_function,
)
from synth.sandbox import Sandbox, engine, install_signal_handlers, start_sandbox

from ._exec import TEST_LIMITS, USER, derive_patch, ensure_images, grading_run
from ._patch import parse

BASH_TIMEOUT = 120
BASH_OUTPUT_CAP = 16 * 1024
VIEW_CAP = 64 * 1024
WORKDIR = "/testbed"


class Workspace:
    """What the tools act on: one container of the task image."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box

    def run(self, command: str, timeout: float = BASH_TIMEOUT, cap: int = BASH_OUTPUT_CAP, user: str = USER):
        return self.box.exec(command, timeout=timeout, user=user, workdir=WORKDIR, output_cap=cap)

    def resolve(self, path: str) -> str:
        return path if path.startswith("/") else f"{WORKDIR}/{path}"

    def diff(self) -> str:
        result = self.run("git add -A >/dev/null 2>&1; git diff --cached --binary --no-color --no-ext-diff --no-renames HEAD",
                          timeout=60, cap=32 * 1024 * 1024)
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
    return ws.diff()


TOOLS = [tool_from_function(bash), tool_from_function(view), tool_from_function(edit),
         tool_from_function(submit, submit=True)]


def tool_specs() -> list[ToolSpec]:
    return [t.spec for t in TOOLS]


def _source(record: TupleRecord, run: Run) -> tuple[bytes, str]:
    state = record.environment.state
    tree = run.read_asset(state["repo"])
    start = run.read_asset(state["start_patch"]).decode() if "start_patch" in state else ""
    return tree, start


def images_for(record: TupleRecord, run: Run) -> dict[str, str]:
    """Tags of the record's images, building any that is missing from the run's assets."""
    meta = record.environment.metadata
    tree, start = _source(record, run)
    return ensure_images(meta["suite"], tree, meta["setup_script"], start)


def test_patch_of(record: TupleRecord, run: Run) -> str:
    from synth import AssetRef

    ref = record.verifier.args.get("test_patch")
    return run.read_asset(AssetRef.model_validate(ref)).decode() if ref else ""


def gold_patch_of(record: TupleRecord, run: Run) -> str:
    from synth import AssetRef

    return run.read_asset(AssetRef.model_validate(record.verifier.args["gold_patch"])).decode()


def execute_submission(record: TupleRecord, run: Run, submission: Any, task_image: str | None = None) -> dict[str, Any]:
    """Grading execution of one submission (a diff); returns its artifacts."""
    args = record.verifier.args
    image = task_image or images_for(record, run)["task"]
    return grading_run(image, submission if isinstance(submission, str) else "", test_patch_of(record, run),
                       args["runner"], list(args.get("test_files", [])), float(args.get("timeout", 300)))


class CodeEnvironment(RuntimeEnvironment):
    """One episode: a live container of the task image and the tool runtime over it."""

    def __init__(self, record: TupleRecord, run: Run) -> None:
        self.record, self.run = record, run
        self.images = images_for(record, run)
        self.box = start_sandbox(self.images["task"], limits=TEST_LIMITS, kind="agent")
        super().__init__(ToolRuntime.of(TOOLS, Workspace(self.box)), on_close=self.box.close)

    def finalize(self) -> dict[str, Any]:
        self.close()  # the agent's container is done; grading starts from a fresh one
        if not self.submitted:
            return {}
        return execute_submission(self.record, self.run, self.submission, self.images["task"])


SYSTEM_PROMPT = (
    "You are a software engineer working in a repository checked out at /testbed inside a sandbox "
    "with no network access. Use the tools to explore the code, reproduce the problem, and change "
    "the source so the problem is fixed. Do not modify the tests: test files are restored before "
    "grading, and hidden tests decide whether your fix is correct. Call submit when you are done."
)
DELIM = "SYNTH_GOLD_PATCH_EOF"

# exploit patches used as null controls: each must fail
_CONFTEST_SKIP = (
    "import pytest\n\n\ndef pytest_collection_modifyitems(config, items):\n"
    "    for item in items:\n        item.add_marker(pytest.mark.skip(reason='skipped by the submission'))\n"
)
_FAKE_JUNIT = (
    '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" tests="1" failures="0">'
    '<testcase classname="fake" name="test_everything"/></testsuite></testsuites>\n'
)


def _new_file(path: str, text: str) -> str:
    body = "".join(f"+{line}\n" for line in text.splitlines())
    return (f"diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n"
            f"@@ -0,0 +1,{len(text.splitlines())} @@\n{body}")


def exploit_patches(task_image: str, gold_patch: str) -> list[Control]:
    """Submissions that attack the grader; a sound task fails every one of them."""
    controls = [
        # no fix; a conftest.py and pytest.ini that skip every test (test configuration is restored)
        Control("conftest_skips_all", _new_file("conftest.py", _CONFTEST_SKIP)
                + _new_file("pytest.ini", "[pytest]\naddopts = -p no:randomly\n"), "fail_to_pass"),
        # no fix; a JUnit file claiming success and printed PASSED lines (only synth's own XML is read)
        Control("fake_junit_and_passed_lines", _new_file("junit.xml", _FAKE_JUNIT)
                + _new_file("report.txt", "test_everything PASSED\n== 1 passed in 0.01s =="), "fail_to_pass"),
    ]
    gold_files = [s.path for s in parse(gold_patch) if s.path.endswith(".py") and s.new_path != "/dev/null"]
    if gold_files:
        # the fix, plus a line that ends the test process with status 0 when the module is imported
        target = shlex.quote(gold_files[0])
        patch = derive_patch(task_image, gold_patch, f"printf '\\nimport os as _o\\n_o._exit(0)\\n' >> {target}")
        controls.append(Control("forced_exit_zero", patch, "test_run_valid"))
    return controls


@register_family
class CodeFamily(Family):
    name = "code"
    description = "Real repositories in Docker: issue text as the prompt, the repository's own tests (F2P/P2P) as the verifier."
    blocking = True
    """Every tool call talks to a container: rollouts run this family's environments in worker threads."""

    def prepare(self) -> None:
        """Fail fast with one line when no Docker engine answers, and install the signal handlers
        that remove containers on SIGTERM/SIGHUP: stages call this in the main thread, while
        rollouts start containers from worker threads, where handlers cannot be installed."""
        engine()
        install_signal_handlers()

    def open(self, record: TupleRecord, run: Run) -> CodeEnvironment:
        return CodeEnvironment(record, run)

    def solve_gold(self, record: TupleRecord, run: Run, client: ToolClient) -> None:
        patch = gold_patch_of(record, run)
        if DELIM in patch:
            raise ValueError("gold patch contains the heredoc delimiter")
        result = client.bash(command=f"git apply --whitespace=nowarn - <<'{DELIM}'\n{patch}{DELIM}\n")
        if result["exit_code"] != 0:
            raise RuntimeError(f"gold patch does not apply: {result['output'][-300:]}")
        client.submit()

    def empty_submission(self, record: TupleRecord) -> Any:
        return ""

    def controls(self, record: TupleRecord, run: Run, gold_submission: Any) -> list[Control]:
        return exploit_patches(images_for(record, run)["task"], gold_submission if isinstance(gold_submission, str) else "")

    def evaluate(self, record: TupleRecord, run: Run, submission: Any) -> Verdict:
        """Execute and grade a control submission (the verifier itself never runs containers)."""
        artifacts = execute_submission(record, run, submission)
        return grade(record, submission, run, SimpleNamespace(extra={"artifacts": artifacts}))
