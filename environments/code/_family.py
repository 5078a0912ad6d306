"""The code family: a repository in a container, the issue text as the prompt, its tests as verifier.

Sits on the core contract, `synth.sandbox` and the code verifier (cli -> stages -> families ->
verifiers -> core). Generate: `settings` is `CodeSettings` (one source: --git, --git --mutate,
--sdist or --github) and `generator()` a `CodeGenerator` whose candidates are keyed by instance id.
Episodes: `open()` starts a container of the task image (no network, uid 1000, limits) and offers
four tools (`_tools.py`): `bash` (timeout, capped output), `view`, `edit` (str_replace style) and
`submit`; the submission is the agent's diff against the task's single base commit. `finalize()`
grades that diff in a fresh container (`_exec.grading_run`) and returns the artifacts the
`code.tests` verifier reads, so grading needs no container afterwards. The gold solution applies
the gold patch through `bash` and submits, like an agent would. Null controls: the empty patch
(added by verify) and one exploit patch per known way to fool the grader that can be written for
any task (`exploit_patches`), each of which must fail on the check it targets. Nothing happens at
import: `prepare()` checks the engine and installs the signal handlers that remove containers.
"""

from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any, ClassVar

from synth import (
    AssetRef,
    Control,
    Family,
    FamilySettings,
    Run,
    RuntimeEnvironment,
    ToolClient,
    ToolRuntime,
    TupleRecord,
    Verdict,
    grade,
    register_family,
)
from synth.sandbox import engine, install_signal_handlers, start_sandbox

from synth.verifiers.code import Harness

from ._exec import TEST_LIMITS, derive_patches, ensure_images, grading_run
from . import _exploits as exploits
from ._generate import CodeGenerator
from ._mine import open_repo
from ._patch import parse
from ._settings import CodeSettings
from ._tools import TOOLS, Workspace


def _source(record: TupleRecord, run: Run) -> tuple[bytes, str]:
    state = record.environment.state
    tree = run.read_asset(state["repo"])
    start = run.read_asset(state["start_patch"]).decode() if "start_patch" in state else ""
    return tree, start


def images_for(record: TupleRecord, run: Run) -> dict[str, str]:
    """Tags of the record's images, building any that is missing from the run's assets."""
    meta = record.environment.metadata
    tree, start = _source(record, run)
    if meta.get("language", "python") != "python":
        from .languages import _run, language

        return _run.images(language(meta["language"]), tree, meta["setup_script"], start)
    return ensure_images(meta["suite"], tree, meta["setup_script"], start)


def test_patch_of(record: TupleRecord, run: Run) -> str:
    ref = record.verifier.args.get("test_patch")
    return run.read_asset(AssetRef.model_validate(ref)).decode() if ref else ""


def gold_patch_of(record: TupleRecord, run: Run) -> str:
    return run.read_asset(AssetRef.model_validate(record.verifier.args["gold_patch"])).decode()


def harness_of(record: TupleRecord) -> Harness | None:
    """The harness the task was validated with (None for tasks validated before it was pinned)."""
    stored = record.verifier.args.get("harness")
    return Harness.model_validate(stored) if stored else None


def execute_submission(record: TupleRecord, run: Run, submission: Any, task_image: str | None = None) -> dict[str, Any]:
    """Grading execution of one submission (a diff); returns its artifacts."""
    args = record.verifier.args
    image = task_image or images_for(record, run)["task"]
    if args.get("language", "python") != "python":
        from .languages import _run, language

        return _run.grading_run(image, language(args["language"]), submission if isinstance(submission, str) else "",
                                test_patch_of(record, run), list(args.get("fail_to_pass", [])),
                                list(args.get("pass_to_pass", [])), float(args.get("timeout", 300)))
    return grading_run(image, submission if isinstance(submission, str) else "", test_patch_of(record, run),
                       harness_of(record), list(args.get("test_files", [])), list(args.get("fail_to_pass", [])),
                       list(args.get("pass_to_pass", [])), float(args.get("timeout", 300)))


class CodeEnvironment(RuntimeEnvironment):
    """One episode: a live container of the task image and the tool runtime over it."""

    def __init__(self, record: TupleRecord, run: Run) -> None:
        self.record, self.run = record, run
        self.images = images_for(record, run)
        self.box = start_sandbox(self.images["task"], limits=TEST_LIMITS, kind="agent")
        # a tool's exception is infrastructure when the container no longer runs commands
        probe = lambda: self.box.exec("true", timeout=30)  # noqa: E731
        super().__init__(ToolRuntime.of(TOOLS, Workspace(self.box), probe=probe), on_close=self.box.close)

    def finalize(self) -> dict[str, Any]:
        self.close()  # the agent's container is done; grading starts from a fresh one
        if not self.submitted:
            return {}
        return execute_submission(self.record, self.run, self.submission, self.images["task"])


DELIM = "SYNTH_GOLD_PATCH_EOF"


def exploit_patches(task_image: str, gold_patch: str) -> list[Control]:
    """Submissions that attack the grader, one per known exploit that can be written for any task
    (`_exploits.py`); a sound task fails every one of them on the check it targets."""
    controls = [Control(name, patch, breaks) for name, patch, breaks in exploits.static()]
    gold_files = [s.path for s in parse(gold_patch) if s.path.endswith(".py") and s.new_path != "/dev/null"]
    if gold_files:
        controls += [Control(name, patch, breaks) for name, patch, breaks in exploits.for_target(gold_files[0])]
        derived = exploits.derived(gold_files[0])
        diffs = derive_patches(task_image, [(gold_patch if d.with_fix else "", d.script, d.stage_all) for d in derived])
        controls += [Control(d.name, diff, d.breaks) for d, diff in zip(derived, diffs)]
    return controls


@register_family
class CodeFamily(Family):
    name = "code"
    description = ("Real repositories in Docker: issue text as the prompt, the repository's own tests (F2P/P2P) as the "
                   "verifier. Languages: Python (pytest, unittest), Go (go test), JavaScript and TypeScript (tape, node:test, mocha, jest), Rust (cargo test), Java (Maven Surefire).")
    settings: ClassVar[type[FamilySettings]] = CodeSettings
    examples = (
        "synth generate code --sdist toolz==0.12.1 --n 5 --out runs/code",
        "synth generate code --git ../myproject --n 10 --out runs/mine",
        "synth generate code --git ../myproject --mutate --n 10 --out runs/mutants",
        "synth generate code --github pallets/click --n 5 --out runs/click   (GITHUB_TOKEN raises rate limits)",
        "synth generate code --npm minimist@1.2.8 --n 2 --out runs/minimist   (JavaScript, mutation)",
        "synth generate code --debian golang-github-pmezard-go-difflib-dev --n 2 --out runs/difflib   (Go, mutation)",
        "synth generate code --debian librust-strsim-dev --n 2 --out runs/strsim   (Rust, mutation)",
        "synth generate code --debian json-simple --n 2 --out runs/json-simple   (Java, mutation of a Debian source package)",
    )
    blocking = True
    """Every tool call talks to a container: rollouts run this family's environments in worker threads."""
    control_width = max(1, min(4, os.cpu_count() or 1))
    """Each control's grading is test processes in a container held to one CPU (`TEST_LIMITS`) while
    this process waits: `synth verify` grades a task's controls one per core, up to four (2 GiB each)."""

    # -- generate ---------------------------------------------------------------------------------
    def stage_config(self, settings: FamilySettings) -> dict[str, Any]:
        assert isinstance(settings, CodeSettings)
        return settings.stage_config()

    def check_settings(self, settings: FamilySettings) -> None:
        """A --git path that is not a repository with commits fails before the run directory exists."""
        assert isinstance(settings, CodeSettings)
        if settings.git is not None:
            open_repo(settings.git)

    def generator(self, run: Run, settings: FamilySettings) -> CodeGenerator:
        assert isinstance(settings, CodeSettings)
        return CodeGenerator(run, settings)

    def candidate_key(self, record: TupleRecord) -> str:
        return str(record.task.metadata["instance_id"])

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

    def grades_text_answer(self, record: TupleRecord) -> bool:
        return False  # a patch is graded only as the submit tool made and the grader ran it

    def controls(self, record: TupleRecord, run: Run, gold_submission: Any) -> list[Control]:
        if record.verifier.args.get("language", "python") != "python":
            from .languages import exploit_controls, language

            gold = gold_submission if isinstance(gold_submission, str) else ""
            tree, start = _source(record, run)
            return [Control(name, patch, breaks) for name, patch, breaks in
                    exploit_controls(language(record.verifier.args["language"]), tree, start, gold)]
        return exploit_patches(images_for(record, run)["task"], gold_submission if isinstance(gold_submission, str) else "")

    def evaluate(self, record: TupleRecord, run: Run, submission: Any) -> Verdict:
        """Execute and grade a control submission (the verifier itself never runs containers)."""
        artifacts = execute_submission(record, run, submission)
        return grade(record, submission, run, SimpleNamespace(extra={"artifacts": artifacts}))
