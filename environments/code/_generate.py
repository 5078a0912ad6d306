"""Code generation: candidates -> filters -> environment image -> validation -> tuples.

Sits between the miners and the run store. A candidate becomes a tuple only when its gold patch
makes at least one failing test pass and breaks none (F2P > 0, P2F = 0) in k reruns of both states
(tests whose outcome changes between reruns are dropped and counted as flaky). Every candidate that
does not become a tuple is recorded with its reason in `code_rejections.jsonl`, so a re-run of the
same command resumes: accepted and rejected candidates are skipped by instance id.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from pydantic import BaseModel, ConfigDict

from synth import (
    SCHEMA_VERSION,
    EnvironmentSpec,
    ModelError,
    Run,
    SandboxError,
    SynthError,
    TaskSpec,
    TupleRecord,
    VerifierSpec,
    render,
)
from synth.sandbox import DEFAULT_SUITE, Sandbox, ensure_base

from ._exec import USER, Validation, classify, env_image, run_tests, start_test_box, task_image, validate
from ._family import SYSTEM_PROMPT, tool_specs
from ._install import setup_script
from ._mine import Candidate
from ._mutate import Mutant, diff, mutants
from ._patch import parse, size
from synth.verifiers.code import TestRun, judge

TUPLES = "tuples.jsonl"
REJECTIONS = "code_rejections.jsonl"

PROMPT = """\
<issue>
{{ problem }}
</issue>

The repository {{ repo }} is checked out at /testbed. Change its source code so that the issue above \
is resolved. {{ tests_note }} Do not edit the tests: changes to test files are discarded before grading.
"""
HIDDEN_TESTS = "Tests that check the fix exist but are not in the repository."
VISIBLE_TESTS = "The failing tests are in the repository; run them to reproduce the problem."

MUTATION_PROBLEM = """\
{{ count }} test{{ "s" if count != 1 else "" }} of {{ repo }} fail{{ "" if count != 1 else "s" }}:

{{ listing }}

They passed before a recent change to the library. Find the faulty code and fix it so these tests \
pass again without breaking any other test."""


class Rejection(BaseModel):
    """One line of code_rejections.jsonl: a candidate that did not become a tuple, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = SCHEMA_VERSION
    key: str
    """The candidate's instance id."""
    source: str
    """git, github or mutation."""
    repo: str
    reason: str
    """One line: which filter or validation step refused it."""
    details: dict[str, Any] = {}


@dataclass
class Settings:
    """Filters and validation settings of a code generation run."""

    k: int = 3
    """Reruns of each state during validation (flaky tests are dropped)."""
    timeout: float = 300
    """Seconds per test run."""
    max_lines: int = 400
    """Largest gold patch, in changed lines."""
    max_files: int = 10
    """Most files the gold patch may touch."""
    min_words: int = 3
    """Shortest acceptable problem statement, in words."""
    suite: str = DEFAULT_SUITE
    """Debian suite of the base image (its Python)."""
    seed: int = 0

    def config(self) -> dict[str, Any]:
        return dict(self.__dict__)


def quality_problem(cand: Candidate, settings: Settings) -> str | None:
    """Why a candidate fails the cheap filters, or None."""
    if not cand.gold_patch.strip():
        return "no source change (gold patch is empty)"
    if cand.source != "mutation" and not cand.test_patch.strip():
        return "no test change (test patch is empty)"
    files = parse(cand.gold_patch)
    if len(files) > settings.max_files:
        return f"gold patch touches {len(files)} files (limit {settings.max_files})"
    lines = size(cand.gold_patch)
    if lines > settings.max_lines:
        return f"gold patch changes {lines} lines (limit {settings.max_lines})"
    if any("Binary files" in f.text or "GIT binary patch" in f.text for f in files):
        return "gold patch changes binary files"
    if cand.source != "mutation":
        words = cand.problem.split()
        if len(words) < settings.min_words or len(cand.problem) < 15:
            return f"problem statement too short ({len(words)} words)"
    return None


def difficulty(gold_patch: str) -> int:
    lines = size(gold_patch)
    files = len(parse(gold_patch))
    score = 1 + (lines > 2) + (lines > 8) + (lines > 30) + (files > 2 or lines > 100)
    return min(5, score)


def unpack(tree: bytes, into: Path) -> Path:
    with tarfile.open(fileobj=io.BytesIO(tree)) as tar:
        tar.extractall(into, filter="data")
    return into


class Generator:
    """Turns candidates into validated tuples in one run directory."""

    def __init__(self, run: Run, settings: Settings, log: Callable[[str], None] | None = None,
                 setup_model: Any = None, judge_model: Any = None) -> None:
        """`setup_model`: a RolloutConfig (or a factory of ModelClients); when given, the LLM setup agent writes setup scripts
        (the heuristic installer's script is the fallback)."""
        self.run = run
        self.setup_model = setup_model
        self.judge_model = judge_model
        self.settings = settings
        self.log = log or (lambda message: None)
        self.tuples = run.journal(TUPLES, TupleRecord)
        self.rejections = run.journal(REJECTIONS, Rejection)
        self.done = {t.task.metadata.get("instance_id") for t in self.tuples} | self.rejections.keys()
        self.accepted = sum(1 for _ in self.tuples)
        self._scripts: dict[str, str] = {}
        self._env_failures: dict[str, str] = {}

    def close(self) -> None:
        self.tuples.close()
        self.rejections.close()

    def reject(self, cand: Candidate, reason: str, **details: Any) -> None:
        self.rejections.append(Rejection(key=cand.instance_id, source=cand.source, repo=cand.repo, reason=reason,
                                         details=details))
        self.done.add(cand.instance_id)
        self.log(f"rejected {cand.instance_id}: {reason}")

    def script_for(self, tree: bytes) -> str:
        digest = hashlib.sha256(tree).hexdigest()
        if digest not in self._scripts:
            with tempfile.TemporaryDirectory(prefix="synth-tree-") as tmp:
                self._scripts[digest] = setup_script(unpack(tree, Path(tmp)))
        return self._scripts[digest]

    def environment(self, cand: Candidate) -> tuple[str, str] | str:
        """(environment image, setup script), or the reason it cannot be built."""
        digest = hashlib.sha256(cand.tree).hexdigest()
        if digest in self._env_failures:
            return self._env_failures[digest]
        script = self.script_for(cand.tree)
        try:
            base = ensure_base(self.settings.suite, log=self.log)
            if self.setup_model is not None:
                try:
                    agent = self._agent_script(base, cand.tree, script)
                    return env_image(base, cand.tree, agent, log=self.log), agent
                except (SandboxError, ModelError) as exc:
                    self.log(f"setup agent failed ({' '.join(str(exc).split())[:200]}); using the heuristic script")
            return env_image(base, cand.tree, script, log=self.log), script
        except SandboxError as exc:
            self._env_failures[digest] = f"environment setup failed: {' '.join(str(exc).split())[:400]}"
            return self._env_failures[digest]

    def _client(self, config: Any) -> Any:
        from synth._client import ModelClient

        # a factory (e.g. a client over a test transport) or a RolloutConfig
        return config() if callable(config) else ModelClient(config)

    def judge(self, cand: Candidate) -> str | None:
        """The optional LLM judge of text quality: why the problem statement is unusable, or None."""
        if self.judge_model is None or cand.source == "mutation":
            return None
        import asyncio

        from synth import Message

        question = (
            "Below is an issue from a software repository. Could a competent engineer who has the "
            "repository but not the fix understand what behaviour is wrong and what to change? "
            "Answer with one word, yes or no.\n\n<issue>\n" + cand.problem[:6000] + "\n</issue>")

        async def ask() -> str:
            async with self._client(self.judge_model) as client:
                reply = await client.chat([Message(role="user", content=question)], [])
                return (reply.message.content or "").strip().lower()

        try:
            answer = asyncio.run(ask())
        except ModelError as exc:
            self.log(f"LLM judge unavailable ({exc}); keeping the heuristic filters only")
            return None
        return None if answer.startswith("yes") else f"LLM judge: the problem statement is unclear ({answer[:40]!r})"

    def _agent_script(self, base: str, tree: bytes, heuristic: str) -> str:
        import asyncio

        from ._setup_agent import agent_setup

        async def go() -> str:
            async with self._client(self.setup_model) as client:
                return await agent_setup(client, base, tree, heuristic)

        self.log("asking the setup agent for a setup script")
        return asyncio.run(go())

    def consider(self, cand: Candidate, validation: Validation | None = None) -> bool:
        """Filter, build and validate one candidate; append its tuple or its rejection."""
        if cand.instance_id in self.done:
            return False
        problem = quality_problem(cand, self.settings) or self.judge(cand)
        if problem:
            self.reject(cand, problem)
            return False
        built = self.environment(cand)
        if isinstance(built, str):
            self.reject(cand, built)
            return False
        env, script = built
        try:
            task = task_image(env, cand.start_patch)
            if validation is None:
                validation = validate(task, cand.test_patch, cand.gold_patch, "pytest", cand.test_files,
                                      k=self.settings.k, timeout=self.settings.timeout)
        except SandboxError as exc:
            self.reject(cand, f"validation could not run: {' '.join(str(exc).split())[:300]}")
            return False
        if not validation.accepted:
            self.reject(cand, validation.reason, **validation.facts())
            return False
        if cand.source == "mutation":
            listing = "\n".join(
                f"- `{t}`" + (f": {validation.messages[t]}" if validation.messages.get(t) else "")
                for t in validation.fail_to_pass[:10])
            cand.problem = render(MUTATION_PROBLEM, count=len(validation.fail_to_pass), repo=cand.repo, listing=listing)
        record = self.build_tuple(cand, script, {"env": env, "task": task}, validation)
        self.tuples.append(record)
        self.done.add(cand.instance_id)
        self.accepted += 1
        self.log(f"accepted {cand.instance_id}: F2P {len(validation.fail_to_pass)}, P2P {len(validation.pass_to_pass)}, "
                 f"flaky {len(validation.flaky)}")
        return True

    def build_tuple(self, cand: Candidate, script: str, images: dict[str, str], validation: Validation) -> TupleRecord:
        run = self.run
        state = {"repo": run.write_asset("code", cand.tree, ".tar.gz", "application/gzip")}
        if cand.start_patch:
            state["start_patch"] = run.write_asset("code", cand.start_patch.encode(), ".patch", "text/x-diff")
        gold = run.write_asset("code", cand.gold_patch.encode(), ".patch", "text/x-diff")
        tests = run.write_asset("code", cand.test_patch.encode(), ".patch", "text/x-diff") if cand.test_patch else None
        environment = EnvironmentSpec(
            family="code", category=cand.source, seed=self.settings.seed, index=self.accepted,
            difficulty=difficulty(cand.gold_patch), state=state, tools=tool_specs(),
            metadata={"repo": cand.repo, "commit": cand.commit, "language": "python", "suite": self.settings.suite,
                      "setup_script": script, "runner": "pytest", "images": images},
        )
        task = TaskSpec(
            family="code", category=cand.source, environment_key=environment.key,
            prompt=render(PROMPT, problem=cand.problem, repo=cand.repo,
                          tests_note=VISIBLE_TESTS if cand.source == "mutation" else HIDDEN_TESTS),
            system_prompt=SYSTEM_PROMPT,
            answer_schema={"type": "string", "description": "a git diff of the repository (made by the submit tool)"},
            metadata={"instance_id": cand.instance_id, "source": cand.source, "repo": cand.repo},
        )
        verifier = VerifierSpec(name="code.tests", args={
            "runner": "pytest",
            "test_files": list(cand.test_files),
            "fail_to_pass": validation.fail_to_pass,
            "pass_to_pass": validation.pass_to_pass,
            "timeout": self.settings.timeout,
            "gold_patch": gold.model_dump(mode="json"),
            "test_patch": tests.model_dump(mode="json") if tests else None,
            "validation": validation.facts(),
        })
        return TupleRecord.build(environment, task, verifier)

    def from_candidates(self, candidates: Iterable[Candidate], n: int) -> int:
        """Consider candidates until n tuples exist in the run; returns how many are there."""
        for cand in candidates:
            if self.accepted >= n:
                break
            self.consider(cand)
        return self.accepted

    def from_mutations(self, root: Path, repo: str, commit: str, tree: bytes, n: int,
                       max_mutants: int = 200) -> int:
        """Mutation tasks from the project at `root` (its tree is `tree`)."""
        probe = Candidate("mutation", repo, f"{repo}#original", commit, tree, "", "", "")
        built = self.environment(probe)
        if isinstance(built, str):
            raise SynthError(f"{repo}: {built}")
        env, _ = built
        k, timeout = self.settings.k, self.settings.timeout
        box = start_test_box(env)
        try:
            original = [run_tests(box, "pytest", [], timeout) for _ in range(k)]
            bad = [judge(r) for r in original if not judge(r).valid]
            if bad:
                raise SynthError(f"{repo}: its test suite does not run cleanly: {bad[0].reason}")
            failing = {t for r in original for t, o in judge(r).results.items() if o in ("failed", "error")}
            self.log(f"{repo}: {len(judge(original[0]).results)} tests, {len(failing)} failing before any mutation")
            for count, mutant in enumerate(mutants(root, self.settings.seed)):
                if self.accepted >= n or count >= max_mutants:
                    break
                ident = f"{repo}:{mutant.path}:{mutant.function}:{mutant.operator}:{mutant.line}"
                if ident in self.done:
                    continue
                old = (root / mutant.path).read_text(encoding="utf-8")
                start, gold = diff(mutant.path, old, mutant.mutated_source), diff(mutant.path, mutant.mutated_source, old)
                cand = Candidate("mutation", repo, ident, commit, tree, gold, "", "", [], start,
                                 {"function": mutant.function, "operator": mutant.operator})
                screen = self._screen(box, mutant, old, timeout)
                if not judge(screen).valid or not any(
                        o in ("failed", "error") for t, o in judge(screen).results.items() if t not in failing):
                    self.reject(cand, "the mutant breaks no test" if judge(screen).valid
                                else f"the mutant's test run is invalid: {judge(screen).reason}")
                    continue
                self.consider(cand, self._validate_mutant(cand, env, screen, original))
        finally:
            box.close()
        return self.accepted

    def _screen(self, box: Sandbox, mutant: Mutant, old: str, timeout: float) -> TestRun:
        path = f"/testbed/{mutant.path}"
        box.write_file(path, mutant.mutated_source.encode(), user=USER)
        try:
            return run_tests(box, "pytest", [], timeout)
        finally:
            box.write_file(path, old.encode(), user=USER)

    def _validate_mutant(self, cand: Candidate, env: str, screen: TestRun, original: list[TestRun]) -> Validation:
        task = task_image(env, cand.start_patch)
        remaining = self.settings.k - 1
        if remaining <= 0:
            return classify([screen], original, self.settings.k)
        return validate(task, "", cand.gold_patch, "pytest", [], k=self.settings.k, timeout=self.settings.timeout,
                        before_runs=[screen], after_runs=original)
