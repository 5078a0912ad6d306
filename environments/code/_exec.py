"""Execution of code tasks in Docker: image layers, test runs, validation, grading runs.

Sits between the code family's generator/environment and `synth.sandbox`. Guarantees:

- The environment image holds the repository at one commit with its dependencies (one image per
  repository@commit+setup script, shared by all its tasks); the task image holds the task's
  starting tree as a fresh single-commit git repository at /testbed: no history, no reflog, no
  remote, no object of the fix, and never the test patch or gold patch.
- Every test run is in a container with no network, as uid 1000, with memory/pids/CPU limits and a
  timeout; JUnit XML is written to a fresh random path outside the repository and read back as
  the run's artifact (with the capped log and the exit code).
- A grading run starts from the task image, applies the submission without its test and test
  configuration files, applies the test patch afresh, and runs the tests: its artifacts are all
  that grading reads. Containers are removed in `finally` on every path.
"""

from __future__ import annotations

import hashlib
import secrets
import shlex
from dataclasses import dataclass, field
from typing import Any, Callable

from synth import SandboxError
from synth.sandbox import Limits, Sandbox, build_layer, ensure_base, start_sandbox
from synth.verifiers.code import MAX_JUNIT_BYTES, GradingArtifacts, TestRun, judge, runner

from ._patch import drop_protected

TEST_LIMITS = Limits(network="none", user="1000:1000", memory="2g", pids=256, cpus=1.0)
USER = "1000:1000"
LOG_CAP = 256 * 1024

_EXCLUDE = "*.egg-info/\n__pycache__/\n*.pyc\n.pytest_cache/\nbuild/\ndist/\n.eggs/\n.tox/\n.hypothesis/\n"


def env_image(base: str, tree_tar: bytes, setup_script: str, *, log: Callable[[str], None] | None = None) -> str:
    """The environment image: the repository tree with its dependencies installed (host network)."""
    tree_digest = hashlib.sha256(tree_tar).hexdigest()

    def steps(box: Sandbox) -> None:
        if log:
            log(f"building the environment image for tree {tree_digest[:12]} (setup script, host network)")
        box.put_tree("/testbed", tree_tar)
        box.write_file("/tmp/synth-setup.sh", setup_script.encode(), mode=0o755, user="0:0")
        result = box.exec("cd /testbed && bash /tmp/synth-setup.sh", timeout=1800, user="0:0", output_cap=LOG_CAP)
        if result.exit_code != 0:
            raise SandboxError(f"setup script failed (exit {result.exit_code}): {result.output[-1200:]}")
        box.exec("rm -f /tmp/synth-setup.sh && chown -R 1000:1000 /testbed", user="0:0")

    return build_layer("env", base, {"tree": tree_digest, "setup": setup_script}, steps, network="host")


def task_image(env: str, start_patch: str) -> str:
    """The task image: a fresh single-commit repository of the starting tree at /testbed."""

    def steps(box: Sandbox) -> None:
        if start_patch:
            box.write_file("/tmp/synth-start.patch", start_patch.encode(), user="0:0")
            result = box.exec("cd /testbed && git apply --whitespace=nowarn /tmp/synth-start.patch", user="0:0")
            box.exec("rm -f /tmp/synth-start.patch", user="0:0")
            if result.exit_code != 0:
                raise SandboxError(f"the task's starting patch does not apply: {result.output[-600:]}")
        script = (
            "set -e; cd /testbed; rm -rf .git; git init -q; "
            f"printf %s {shlex.quote(_EXCLUDE)} > .git/info/exclude; "
            "git add -A; git commit -q --no-verify -m 'Task repository'; "
            "rm -rf .git/logs .git/hooks/* .git/COMMIT_EDITMSG .git/ORIG_HEAD .git/description"
        )
        box.exec("chown -R 1000:1000 /testbed", user="0:0")
        result = box.exec(script, user=USER)
        if result.exit_code != 0:
            raise SandboxError(f"making the task repository failed: {result.output[-600:]}")

    return build_layer("task", env, {"start_patch": start_patch, "layout": 1}, steps)


def ensure_images(base_suite: str, tree_tar: bytes, setup_script: str, start_patch: str,
                  log: Callable[[str], None] | None = None) -> dict[str, str]:
    base = ensure_base(base_suite, log=log)
    env = env_image(base, tree_tar, setup_script, log=log)
    return {"base": base, "env": env, "task": task_image(env, start_patch)}


def start_test_box(image: str) -> Sandbox:
    return start_sandbox(image, limits=TEST_LIMITS, kind="test")


def apply_patch(box: Sandbox, patch: str) -> tuple[bool, str]:
    """Apply a git diff inside /testbed as the unprivileged user."""
    if not patch.strip():
        return True, ""
    path = f"/tmp/synth-{secrets.token_hex(8)}.patch"
    box.write_file(path, patch.encode(), user=USER)
    result = box.exec(f"cd /testbed && git apply --whitespace=nowarn {path}; code=$?; rm -f {path}; exit $code",
                               user=USER, timeout=60)
    return result.exit_code == 0, result.output[-2000:]


def run_tests(box: Sandbox, runner_name: str, test_files: list[str], timeout: float) -> TestRun:
    """Run the tests once; the JUnit XML goes to a fresh random path outside the repository."""
    folder = f"/tmp/synth-run-{secrets.token_hex(12)}"
    box.exec(f"mkdir -m 700 {folder}", user=USER)
    junit = f"{folder}/junit.xml"
    command = f"cd /testbed && {runner(runner_name).command(test_files, junit)}"
    result = box.exec(command, timeout=timeout, user=USER, output_cap=LOG_CAP)
    xml: str | None = None
    if not result.timed_out:
        try:
            xml = box.read_file(junit, limit=MAX_JUNIT_BYTES).decode("utf-8", "replace")
        except SandboxError:
            xml = None
    return TestRun(runner=runner_name, exit_code=result.exit_code, timed_out=result.timed_out, junit_xml=xml,
                   log=result.output, duration=round(result.duration, 3))


def grading_run(task: str, submission: str, test_patch: str, runner_name: str, test_files: list[str],
                timeout: float) -> dict[str, Any]:
    """Execute one submission for grading; returns the `GradingArtifacts` the verifier reads, as
    stored (`model_dump(mode="json")`)."""
    return _grade(task, submission or "", test_patch, runner_name, test_files, timeout).model_dump(mode="json")


def _grade(task: str, submission: str, test_patch: str, runner_name: str, test_files: list[str],
           timeout: float) -> GradingArtifacts:
    digest = hashlib.sha256(submission.encode()).hexdigest()
    try:
        kept, dropped = drop_protected(submission)
    except Exception as exc:  # a malformed submission is the submitter's failure, recorded as such
        return GradingArtifacts(submission_sha256=digest, apply_log=f"the submission is not a git diff: {exc}")
    with start_test_box(task) as box:
        applied, log = apply_patch(box, kept)
        if not applied:
            return GradingArtifacts(submission_sha256=digest, dropped_paths=dropped, apply_log=log)
        tests_applied, tests_log = apply_patch(box, test_patch)
        if not tests_applied:
            return GradingArtifacts(submission_sha256=digest, dropped_paths=dropped, patch_applied=True,
                                    apply_log=tests_log)
        return GradingArtifacts(submission_sha256=digest, dropped_paths=dropped, patch_applied=True,
                                test_patch_applied=True, apply_log=log,
                                runs=[run_tests(box, runner_name, test_files, timeout)])


def derive_patch(task: str, patch: str, script: str) -> str:
    """The diff of the task repository after applying `patch` and running `script` (as uid 1000)."""
    box = start_test_box(task)
    try:
        ok, output = apply_patch(box, patch)
        if not ok:
            raise SandboxError(f"patch does not apply: {output[-300:]}")
        done = box.exec(f"cd /testbed && {script}", user=USER, timeout=60)
        if done.exit_code != 0:
            raise SandboxError(f"deriving a patch failed: {done.output[-300:]}")
        result = box.exec("cd /testbed && git add -A && git diff --cached --binary --no-color --no-renames HEAD", user=USER,
                                   timeout=60, output_cap=32 * 1024 * 1024)
        return result.output
    finally:
        box.close()


@dataclass
class Validation:
    """Outcome of validating a task: F2P/P2P over k reruns of both states."""

    accepted: bool
    reason: str = ""
    fail_to_pass: list[str] = field(default_factory=list)
    pass_to_pass: list[str] = field(default_factory=list)
    pass_to_fail: list[str] = field(default_factory=list)
    flaky: list[str] = field(default_factory=list)
    flake_rate: float = 0.0
    """Share of tests whose outcome changed between reruns of one state."""
    k: int = 3
    seconds: float = 0.0
    """Wall-clock seconds of the test runs (reported, never stored in a tuple: it differs run to run)."""
    messages: dict[str, str] = field(default_factory=dict)
    """Failure messages of the F2P tests before the fix (for written problem statements)."""

    def facts(self) -> dict[str, Any]:
        """What the tuple's verifier args (or a rejection) record of the validation: a pure
        function of the test outcomes, so the same candidate always gives the same tuple."""
        return {
            "k": self.k, "flaky": self.flaky, "flake_rate": round(self.flake_rate, 4),
            "fail_to_pass": len(self.fail_to_pass), "pass_to_pass": len(self.pass_to_pass),
        }


def classify(before: list[TestRun], after: list[TestRun], k: int) -> Validation:
    """F2P = failed in every run before and passed in every run after; P2F rejects; flaky dropped."""
    judged_before = [judge(r) for r in before]
    judged_after = [judge(r) for r in after]
    for label, runs in (("before the fix", judged_before), ("after the fix", judged_after)):
        for j in runs:
            if not j.valid:
                return Validation(False, f"invalid test run {label}: {j.reason}", k=k)
    tests = set().union(*(j.results for j in judged_before + judged_after))
    flaky, f2p, p2p, p2f = [], [], [], []
    for test in sorted(tests):
        b = {("pass" if j.results.get(test) == "passed" else "fail" if j.results.get(test) in ("failed", "error") else "other")
             for j in judged_before}
        a = {("pass" if j.results.get(test) == "passed" else "fail" if j.results.get(test) in ("failed", "error") else "other")
             for j in judged_after}
        if len(b) > 1 or len(a) > 1:
            flaky.append(test)
            continue
        (sb,), (sa,) = b, a
        if sb == "fail" and sa == "pass":
            f2p.append(test)
        elif sb == "pass" and sa == "pass":
            p2p.append(test)
        elif sb == "pass" and sa == "fail":
            p2f.append(test)
    messages = {}
    for j in judged_before:
        for test in f2p:
            if test in j.messages and test not in messages:
                messages[test] = j.messages[test]
    rate = len(flaky) / len(tests) if tests else 0.0
    seconds = sum(r.duration for r in before + after)
    v = Validation(True, "", f2p, p2p, p2f, flaky, rate, k, seconds, messages)
    if p2f:
        v.accepted, v.reason = False, f"the gold patch breaks {len(p2f)} passing test(s), e.g. {p2f[0]}"
    elif not f2p:
        v.accepted, v.reason = False, "no test fails before the fix and passes after it (F2P = 0)"
    return v


def validate(task: str, test_patch: str, gold_patch: str, runner_name: str, test_files: list[str], *, k: int = 3,
             timeout: float = 300, before_runs: list[TestRun] | None = None,
             after_runs: list[TestRun] | None = None) -> Validation:
    """Run the tests k times on task+test patch and k times on task+test patch+gold patch, in one
    container. Runs already made (e.g. a mutation screen) can be passed in and are reused."""
    box = start_test_box(task)
    try:
        ok, output = apply_patch(box, test_patch)
        if not ok:
            return Validation(False, f"the test patch does not apply: {output[-300:]}", k=k)
        before = list(before_runs or [])
        while len(before) < k:
            before.append(run_tests(box, runner_name, test_files, timeout))
            if not judge(before[-1]).valid:
                break
        after = list(after_runs or [])
        if len(after) < k:
            ok, output = apply_patch(box, gold_patch)
            if not ok:
                return Validation(False, f"the gold patch does not apply: {output[-300:]}", k=k)
            while len(after) < k:
                after.append(run_tests(box, runner_name, test_files, timeout))
                if not judge(after[-1]).valid:
                    break
    finally:
        box.close()
    return classify(before, after, k)
