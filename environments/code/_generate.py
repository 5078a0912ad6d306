"""Code generation on the Generator contract: candidates -> filters -> images -> validation -> tuples.

Sits between the miners and the generate stage (`synth.generate`), which iterates `candidates()`,
skips keys the run already holds (tuples by instance id, rejections by key), calls `build()` and
appends what it returns. A candidate becomes a tuple only when its gold patch makes at least one
failing test pass and breaks none (F2P > 0, P2F = 0) in k reruns of both states (tests whose
outcome changes between reruns are dropped and counted as flaky); any other candidate becomes a
core `Rejection` with its reason (rejections.jsonl). Guarantees: candidates come in a
deterministic order (git history newest first, PRs newest first, mutants in seeded order), so a
re-run resumes; nothing starts before a candidate needs building (a resumed run whose work is done
fetches nothing and starts no container or image); `close()` removes every container it holds.

Validation and record building are apart: `work()` validates one candidate (images, test runs) and
depends on nothing but the candidate and the settings, so an executor runs it on its workers (Ray
included) in any order; `finish()` turns its result into the tuple on the stage's single writer, in
candidate order, and numbers it there. A mutation's project (its environment and the k readings of
its unmutated suite) is made once per process and kept for that process's later mutants.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from synth import (
    EnvironmentSpec,
    Generator,
    Message,
    ModelError,
    Rejection,
    Run,
    SandboxError,
    SynthError,
    TaskSpec,
    TupleRecord,
    VerifierSpec,
    render,
)
from synth.sandbox import Sandbox, ensure_base
from synth.verifiers.code import Harness, TestRun, judge, problems, runner_tampering

from ._exec import USER, Validation, env_image, probe, run_tests, start_test_box, task_image, validate
from ._github import GitHubClient, GitHubMiner
from ._tools import tool_specs
from .languages import detect, language, manifest_of
from ._install import setup_script
from ._mine import Candidate, mine_history, open_repo, tree_from_dir
from ._mutate import Mutant, checkout_head, diff, fetch_debian, fetch_npm, fetch_sdist, mutants, ts_mutants
from ._patch import parse, size
from ._settings import MAX_FILES, MAX_LINES, MIN_WORDS, CodeSettings

log = logging.getLogger(__name__)

PROMPT = """\
<issue>
{{ problem }}
</issue>

The repository {{ repo }} is checked out at /testbed. Change its source code so that the issue above \
is resolved. {{ tests_note }} Do not edit the tests: changes to test files are discarded before grading.
"""
SYSTEM_PROMPT = (
    "You are a software engineer working in a repository checked out at /testbed inside a sandbox "
    "with no network access. Use the tools to explore the code, reproduce the problem, and change "
    "the source so the problem is fixed. Do not modify the tests: test files are restored before "
    "grading, and hidden tests decide whether your fix is correct. Call submit when you are done."
)
HIDDEN_TESTS = "Tests that check the fix exist but are not in the repository."
VISIBLE_TESTS = "The failing tests are in the repository; run them to reproduce the problem."

MUTATION_PROBLEM = """\
{{ count }} test{{ "s" if count != 1 else "" }} of {{ repo }} fail{{ "" if count != 1 else "s" }}:

{{ listing }}

They passed before a recent change to the library. Find the faulty code and fix it so these tests \
pass again without breaking any other test."""


def quality_problem(cand: Candidate) -> str | None:
    """Why a candidate fails the cheap filters, or None."""
    if not cand.gold_patch.strip():
        return "no source change (gold patch is empty)"
    if cand.source != "mutation" and not cand.test_patch.strip():
        return "no test change (test patch is empty)"
    files = parse(cand.gold_patch)
    if len(files) > MAX_FILES:
        return f"gold patch touches {len(files)} files (limit {MAX_FILES})"
    lines = size(cand.gold_patch)
    if lines > MAX_LINES:
        return f"gold patch changes {lines} lines (limit {MAX_LINES})"
    if any(f.binary for f in files):
        return "gold patch changes binary files"
    flags = runner_tampering(cand.gold_patch)
    if flags:
        return f"the gold patch names test-runner internals ({', '.join(flags)}): grading could not tell it from tampering"
    refused = problems(cand.gold_patch)
    if refused:
        return f"the gold patch would be refused at grading: {refused[0]}"
    if cand.source != "mutation":
        words = cand.problem.split()
        if len(words) < MIN_WORDS or len(cand.problem) < 15:
            return f"problem statement too short ({len(words)} words)"
    return None


def mutation_problem(cand: Candidate, validation: Validation) -> str:
    """The problem statement of a mutation task, written from its failing tests."""
    listing = "\n".join(f"- `{t}`" + (f": {validation.messages[t]}" if validation.messages.get(t) else "")
                        for t in validation.fail_to_pass[:10])
    return render(MUTATION_PROBLEM, count=len(validation.fail_to_pass), repo=cand.repo, listing=listing)


def difficulty(gold_patch: str) -> int:
    lines = size(gold_patch)
    files = len(parse(gold_patch))
    score = 1 + (lines > 2) + (lines > 8) + (lines > 30) + (files > 2 or lines > 100)
    return min(5, score)


def unpack(tree: bytes, into: Path) -> Path:
    with tarfile.open(fileobj=io.BytesIO(tree)) as tar:
        tar.extractall(into, filter="data")
    return into


@dataclass
class Mutation:
    """A mutation candidate: the task it would be, and the mutant that makes it."""

    candidate: Candidate
    mutant: Mutant
    original: str
    """The mutated file's text before the mutation."""
    project: "_Project | None" = None
    """The unmutated project (tree only): a worker tests it once for every mutant it screens."""

    @property
    def key(self) -> str:
        return self.candidate.instance_id


@dataclass
class _Project:
    """The unmutated project of a mutation source, tested once when the first mutant is built."""

    repo: str
    commit: str
    tree: bytes
    box: Sandbox | None = None
    """A test container of the environment image: mutants are screened in it one after another."""
    env: str = ""
    harness: Harness | None = None
    """The project's test harness, found on its unmutated tree (every mutant shares it)."""
    original: list[TestRun] | None = None
    """k runs of the unmutated suite (the 'after the fix' runs of every mutant)."""
    failing: frozenset[str] = frozenset()
    """Tests that fail before any mutation (a mutant breaking only these breaks nothing)."""

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "box": None, "harness": None, "original": None, "failing": frozenset(), "env": ""}


_PROJECTS: dict[tuple[Any, ...], _Project] = {}
"""Tested projects of this process (the writer's, or an executor worker's), by project and settings:
their screening container lives as long as the process or the generator that made it (close())."""


@dataclass
class Validated:
    """What `work()` found for an accepted candidate (picklable: it comes back from a worker)."""

    cand: Candidate
    lang: str
    script: str
    images: dict[str, str]
    validation: Validation


class CodeGenerator(Generator):
    """One generation session of the code family over a run (see the module docstring)."""

    parallel = True  # work() is independent per candidate; finish() numbers tuples on the writer

    def __init__(self, run: Run, settings: CodeSettings) -> None:
        self.run = run
        self.settings = settings
        self.target = settings.n
        self.accepted = sum(1 for _ in run.tuples())
        """Tuples in the run: the index of the next tuple."""
        self._scripts: dict[str, str] = {}
        self._env_failures: dict[str, str] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._project: _Project | None = None
        self._miner: Any = None
        self._seconds = 0.0
        self._total = 0.0
        self._languages: dict[str, str] = {}
        """Language of each candidate tree (by digest), detected once."""
        self._made: list[tuple[Any, ...]] = []
        """Keys of the tested projects this generator made in this process (closed by close())."""

    def __getstate__(self) -> dict[str, Any]:
        """What an executor's worker gets: the settings and the run, no session state."""
        return {**self.__dict__, "_tmp": None, "_project": None, "_miner": None, "_made": []}

    # -- candidates ----------------------------------------------------------------------------
    def candidates(self) -> Iterator[Candidate | Mutation | Rejection]:
        s = self.settings
        if self.accepted >= s.n:
            return  # the work is done: fetch nothing, start nothing
        if s.sdist:
            root = fetch_sdist(s.sdist, self._folder())
            yield from self._mutations(root, s.sdist, s.sdist.split("==")[1])
        elif s.npm:
            root = fetch_npm(s.npm, self._folder())
            yield from self._mutations(root, s.npm, s.npm.rsplit("@", 1)[1])
        elif s.debian:
            root, version = fetch_debian(s.debian, self._folder())
            yield from self._mutations(root, s.debian, version)
        elif s.git is not None and s.mutate:
            root, commit = checkout_head(s.git, self._folder() / "tree")
            yield from self._mutations(root, open_repo(s.git).name, commit)
        elif s.git is not None:
            yield from mine_history(s.git, max_commits=s.max_candidates)
        else:
            self._miner = GitHubMiner(GitHubClient(), s.github or "", max_pulls=s.max_candidates)
            yield from self._miner.candidates()

    def _folder(self) -> Path:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="synth-code-")
        return Path(self._tmp.name)

    def _mutations(self, root: Path, repo: str, commit: str) -> Iterator[Mutation]:
        """One mutation candidate per mutant, in seeded order, at most `max_candidates`."""
        tree = tree_from_dir(root)
        self._project = _Project(repo, commit, tree)
        name = self._language(tree)
        found = mutants(root, self.settings.seed) if name == "python" else ts_mutants(root, language(name), self.settings.seed)
        for count, mutant in enumerate(found):
            if count >= self.settings.max_candidates:
                break
            ident = f"{repo}:{mutant.path}:{mutant.function}:{mutant.operator}:{mutant.line}"
            # tree-sitter mutants keep the file's bytes (CRLF line ends too: json-simple's sources),
            # so the starting patch is made from the same bytes
            old = (root / mutant.path).read_text(encoding="utf-8") if name == "python" else \
                (root / mutant.path).read_bytes().decode("utf-8")
            start, gold = diff(mutant.path, old, mutant.mutated_source), diff(mutant.path, mutant.mutated_source, old)
            cand = Candidate("mutation", repo, ident, commit, tree, gold, "", "", [], start,
                             {"function": mutant.function, "operator": mutant.operator})
            yield Mutation(cand, mutant, old, self._project)

    def _language(self, tree: bytes) -> str:
        """The language of a candidate tree: --language, or detected from its manifest."""
        if self.settings.language != "auto":
            return self.settings.language
        digest = hashlib.sha256(tree).hexdigest()
        if digest not in self._languages:
            with tempfile.TemporaryDirectory(prefix="synth-tree-") as tmp:
                self._languages[digest] = detect(unpack(tree, Path(tmp)))
        return self._languages[digest]

    # -- building ------------------------------------------------------------------------------
    def build(self, candidate: Candidate | Mutation) -> TupleRecord | Rejection:
        return self.finish(self.work(candidate))

    def work(self, candidate: Candidate | Mutation) -> tuple[Validated | Rejection, float]:
        """Validate one candidate (any worker, any order): what was found and the seconds of test runs."""
        self._seconds = 0.0
        found = self._build_mutation(candidate) if isinstance(candidate, Mutation) else self._build(candidate)
        return found, self._seconds

    def finish(self, done: tuple[Validated | Rejection, float] | Rejection) -> TupleRecord | Rejection:
        """The tuple of a validated candidate, numbered in candidate order (the stage's writer)."""
        if isinstance(done, Rejection):
            return done
        found, seconds = done
        self._total += seconds
        if isinstance(found, Rejection):
            return found
        cand, validation = found.cand, found.validation
        if cand.source == "mutation":
            cand.problem = mutation_problem(cand, validation)
        record = self._record(cand, found.script, found.images, validation, found.lang)
        self.accepted += 1
        log.info("accepted %s: F2P %d, P2P %d, flaky %d, %.1f s of test runs", cand.instance_id,
                 len(validation.fail_to_pass), len(validation.pass_to_pass), len(validation.flaky), validation.seconds)
        return record

    def _reject(self, cand: Candidate, reason: str, **details: Any) -> Rejection:
        log.info("rejected %s: %s", cand.instance_id, reason)
        return Rejection(key=cand.instance_id, family="code", reason=reason,
                         details={"source": cand.source, "repo": cand.repo, **details})

    def _build(self, cand: Candidate, validation: Validation | None = None) -> Validated | Rejection:
        """Filter, build images and validate one candidate (`validation` when already made)."""
        problem = quality_problem(cand) or self._judge(cand)
        if problem:
            return self._reject(cand, problem)
        if self._language(cand.tree) != "python":
            return self._build_other(cand, validation)
        built = self._environment(cand)
        if isinstance(built, str):
            return self._reject(cand, built)
        env, script = built
        try:
            task = task_image(env, cand.start_patch)
            if validation is None:
                validation = validate(task, cand.test_patch, cand.gold_patch, cand.test_files, k=self.settings.k,
                                      timeout=self.settings.timeout)
        except SandboxError as exc:
            return self._reject(cand, f"validation could not run: {' '.join(str(exc).split())[:300]}")
        self._seconds += validation.seconds
        if not validation.accepted:
            return self._reject(cand, validation.reason, **validation.facts())
        return Validated(cand, "python", script, {"env": env, "task": task}, validation)

    def _build_other(self, cand: Candidate, validation: Validation | None) -> Validated | Rejection:
        """`_build` for a language of the language layer (`languages/`): its toolchain image, its
        readings with the canary test, its tamper scan."""
        from .languages import _run

        lang = language(self._language(cand.tree))
        try:
            imgs = self._other_images(cand, lang)
        except SandboxError as exc:
            return self._reject(cand, f"environment setup failed: {' '.join(str(exc).split())[:400]}")
        try:
            if validation is None:
                validation = _run.validate(imgs["task"], lang, cand.test_patch, cand.gold_patch, k=self.settings.k,
                                           timeout=self.settings.timeout)
        except SandboxError as exc:
            return self._reject(cand, f"validation could not run: {' '.join(str(exc).split())[:300]}")
        self._seconds += validation.seconds
        if not validation.accepted:
            return self._reject(cand, validation.reason, **validation.facts())
        return Validated(cand, lang.name, imgs["script"], {"env": imgs["env"], "task": imgs["task"]}, validation)

    def _other_images(self, cand: Candidate, lang: Any) -> dict[str, str]:
        from .languages import _run

        digest = hashlib.sha256(cand.tree).hexdigest()
        if digest not in self._scripts:
            with tempfile.TemporaryDirectory(prefix="synth-tree-") as tmp:
                self._scripts[digest] = lang.setup_script(unpack(cand.tree, Path(tmp)))
        script = self._scripts[digest]
        imgs = _run.images(lang, cand.tree, script, cand.start_patch, log=log.info)
        return {**imgs, "script": script}

    def _build_mutation_other(self, mutation: Mutation) -> Validated | Rejection:
        """`_build_mutation` for the language layer: screen in the project's shared container."""
        from .languages import _run

        cand, mutant = mutation.candidate, mutation.mutant
        lang = language(self._language(cand.tree))
        project = self._tested_other(lang, mutation)
        assert project.box is not None and project.original is not None
        path = f"/testbed/{mutant.path}"
        project.box.write_file(path, mutant.mutated_source.encode(), user=USER)
        try:
            screen = _run.reading(project.box, lang, self.settings.timeout)
        finally:
            project.box.write_file(path, mutation.original.encode(), user=USER)
        judged = judge(screen)
        if not judged.valid:
            return self._reject(cand, f"the mutant's test run is invalid: {judged.reason}")
        if any(m == "the tests did not build" for m in judged.messages.values()):
            return self._reject(cand, "the mutant does not build")
        if not any(o in ("failed", "error") for t, o in judged.results.items() if t not in project.failing):
            return self._reject(cand, "the mutant breaks no test")
        try:
            imgs = self._other_images(cand, lang)
            validation = _run.validate(imgs["task"], lang, "", cand.gold_patch, k=self.settings.k,
                                       timeout=self.settings.timeout, before_runs=[screen], after_runs=project.original)
        except SandboxError as exc:
            return self._reject(cand, f"validation could not run: {' '.join(str(exc).split())[:300]}")
        return self._build_other(cand, validation)

    def _tested(self, mutation: Mutation, name: str) -> tuple[_Project, bool]:
        """This process's tested copy of a mutation's project (made: False when it must be tested)."""
        given = mutation.project or self._project
        assert given is not None
        s = self.settings
        key = (given.repo, given.commit, hashlib.sha256(given.tree).hexdigest(), name, s.k, s.timeout, s.suite,
               s.setup_base_url)
        if key not in _PROJECTS or _PROJECTS[key].original is None:
            stale = _PROJECTS.get(key)
            if stale is not None and stale.box is not None:
                stale.box.close()
            _PROJECTS[key] = _Project(given.repo, given.commit, given.tree)
            self._made.append(key)
            return _PROJECTS[key], False
        return _PROJECTS[key], True

    def _tested_other(self, lang: Any, mutation: Mutation) -> _Project:
        from .languages import _run

        project, ready = self._tested(mutation, lang.name)
        if ready:
            return project
        unmutated = Candidate("mutation", project.repo, f"{project.repo}#original", project.commit, project.tree, "", "", "")
        try:
            imgs = self._other_images(unmutated, lang)
        except SandboxError as exc:
            raise SynthError(f"{project.repo}: environment setup failed: {' '.join(str(exc).split())[:400]}") from None
        project.env = imgs["env"]
        project.box = start_test_box(imgs["task"])
        original = [_run.reading(project.box, lang, self.settings.timeout) for _ in range(self.settings.k)]
        bad = [judged for judged in map(judge, original) if not judged.valid]
        if bad:
            raise SynthError(f"{project.repo}: its test suite does not run cleanly: {bad[0].reason}")
        project.original = original
        project.failing = frozenset(t for r in original for t, o in judge(r).results.items() if o in ("failed", "error"))
        log.info("%s: %d tests, %d failing before any mutation", project.repo, len(judge(original[0]).results),
                 len(project.failing))
        return project

    def _build_mutation(self, mutation: Mutation) -> Validated | Rejection:
        """Screen the mutant in the project's shared test container; a mutant that breaks a test
        that passed before is validated (its k - 1 further runs) and built."""
        if self._language(mutation.candidate.tree) != "python":
            return self._build_mutation_other(mutation)
        project = self._tested_project(mutation)
        assert project.box is not None and project.original is not None
        cand, mutant = mutation.candidate, mutation.mutant
        assert project.harness is not None
        screen = self._screen(project.box, project.harness, mutant, mutation.original)
        judged = judge(screen)
        if not judged.valid:
            return self._reject(cand, f"the mutant's test run is invalid: {judged.reason}")
        if not any(o in ("failed", "error") for t, o in judged.results.items() if t not in project.failing):
            return self._reject(cand, "the mutant breaks no test")
        try:
            validation = self._validate_mutant(cand, project, screen)
        except SandboxError as exc:
            return self._reject(cand, f"validation could not run: {' '.join(str(exc).split())[:300]}")
        return self._build(cand, validation)

    def _tested_project(self, mutation: Mutation) -> _Project:
        """The mutation source's environment, a test container of it and k runs of its unmutated
        suite (made once per process, when its first mutant is built). A project that cannot be set
        up, or whose suite does not run cleanly, ends generation with one line."""
        project, ready = self._tested(mutation, "python")
        if ready:
            return project
        unmutated = Candidate("mutation", project.repo, f"{project.repo}#original", project.commit, project.tree, "", "", "")
        built = self._environment(unmutated)
        if isinstance(built, str):
            raise SynthError(f"{project.repo}: {built}")
        project.env = built[0]
        project.box = start_test_box(project.env)
        project.harness = probe(project.box, [])
        original = [run_tests(project.box, project.harness, [], self.settings.timeout) for _ in range(self.settings.k)]
        bad = [judged for judged in map(judge, original) if not judged.valid]
        if bad:
            raise SynthError(f"{project.repo}: its test suite does not run cleanly: {bad[0].reason}")
        project.original = original
        project.failing = frozenset(t for r in original for t, o in judge(r).results.items() if o in ("failed", "error"))
        log.info("%s: %d tests, %d failing before any mutation", project.repo, len(judge(original[0]).results),
                 len(project.failing))
        return project

    def _screen(self, box: Sandbox, harness: Harness, mutant: Mutant, old: str) -> TestRun:
        path = f"/testbed/{mutant.path}"
        box.write_file(path, mutant.mutated_source.encode(), user=USER)
        try:
            return run_tests(box, harness, [], self.settings.timeout)
        finally:
            box.write_file(path, old.encode(), user=USER)

    def _validate_mutant(self, cand: Candidate, project: _Project, screen: TestRun) -> Validation:
        task = task_image(project.env, cand.start_patch)
        return validate(task, "", cand.gold_patch, [], k=self.settings.k, timeout=self.settings.timeout,
                        before_runs=[screen], after_runs=project.original, harness=project.harness)

    # -- environment images --------------------------------------------------------------------
    def _script_for(self, tree: bytes) -> str:
        digest = hashlib.sha256(tree).hexdigest()
        if digest not in self._scripts:
            with tempfile.TemporaryDirectory(prefix="synth-tree-") as tmp:
                self._scripts[digest] = setup_script(unpack(tree, Path(tmp)))
        return self._scripts[digest]

    def _environment(self, cand: Candidate) -> tuple[str, str] | str:
        """(environment image, setup script), or the reason it cannot be built."""
        digest = hashlib.sha256(cand.tree).hexdigest()
        if digest in self._env_failures:
            return self._env_failures[digest]
        script = self._script_for(cand.tree)
        try:
            base = ensure_base(self.settings.suite, log=log.info)
            if self.settings.setup_base_url:
                try:
                    agent = self._agent_script(base, cand.tree, script)
                    return env_image(base, cand.tree, agent, log=log.info), agent
                except (SandboxError, ModelError) as exc:
                    log.warning("setup agent failed (%s); using the heuristic script", " ".join(str(exc).split())[:200])
            return env_image(base, cand.tree, script, log=log.info), script
        except SandboxError as exc:
            self._env_failures[digest] = f"environment setup failed: {' '.join(str(exc).split())[:400]}"
            return self._env_failures[digest]

    # -- model helpers -------------------------------------------------------------------------
    def _model(self, base_url: str, model: str | None, **sampling: Any) -> Any:
        from synth import ModelClient, RolloutConfig

        return ModelClient(RolloutConfig(base_url=base_url, model=model, temperature=0.0, **sampling))

    def _judge(self, cand: Candidate) -> str | None:
        """The optional LLM judge of text quality: why the problem statement is unusable, or None."""
        s = self.settings
        if not s.judge_base_url or cand.source == "mutation":
            return None
        question = (
            "Below is an issue from a software repository. Could a competent engineer who has the "
            "repository but not the fix understand what behaviour is wrong and what to change? "
            "Answer with one word, yes or no.\n\n<issue>\n" + cand.problem[:6000] + "\n</issue>")

        async def ask() -> str:
            async with self._model(s.judge_base_url, s.judge_model, max_tokens=8) as client:
                reply = await client.chat([Message(role="user", content=question)], [])
                return (reply.message.content or "").strip().lower()

        try:
            answer = asyncio.run(ask())
        except ModelError as exc:
            log.warning("LLM judge unavailable (%s); keeping the heuristic filters only", exc)
            return None
        return None if answer.startswith("yes") else f"LLM judge: the problem statement is unclear ({answer[:40]!r})"

    def _agent_script(self, base: str, tree: bytes, heuristic: str) -> str:
        from ._setup_agent import agent_setup

        s = self.settings

        async def go() -> str:
            async with self._model(s.setup_base_url or "", s.setup_model) as client:
                return await agent_setup(client, base, tree, heuristic)

        log.info("asking the setup agent for a setup script")
        return asyncio.run(go())

    # -- the tuple -----------------------------------------------------------------------------
    def _record(self, cand: Candidate, script: str, images: dict[str, str], validation: Validation,
                lang: str = "python") -> TupleRecord:
        run, s = self.run, self.settings
        from .languages._run import SUITE as other_suite

        runner_name = "pytest"
        if lang != "python":
            with tempfile.TemporaryDirectory(prefix="synth-tree-") as tmp:
                root = unpack(cand.tree, Path(tmp))
                manifest = manifest_of((root / "package.json").read_text("utf-8", "replace")) if (root / "package.json").exists() else {}
            chosen = language(lang)
            runner_name = chosen.runner(manifest)
        state = {"repo": run.write_asset("code", cand.tree, ".tar.gz", "application/gzip")}
        if cand.start_patch:
            state["start_patch"] = run.write_asset("code", cand.start_patch.encode(), ".patch", "text/x-diff")
        gold = run.write_asset("code", cand.gold_patch.encode(), ".patch", "text/x-diff")
        tests = run.write_asset("code", cand.test_patch.encode(), ".patch", "text/x-diff") if cand.test_patch else None
        environment = EnvironmentSpec(
            family="code", category=cand.source, seed=s.seed, index=self.accepted,
            difficulty=difficulty(cand.gold_patch), state=state, tools=tool_specs(),
            metadata={"repo": cand.repo, "commit": cand.commit, "language": lang,
                      "suite": s.suite if lang == "python" else other_suite, "setup_script": script,
                      "runner": runner_name, "images": images},
        )
        task = TaskSpec(
            family="code", category=cand.source, environment_key=environment.key,
            prompt=render(PROMPT, problem=cand.problem, repo=cand.repo,
                          tests_note=VISIBLE_TESTS if cand.source == "mutation" else HIDDEN_TESTS),
            system_prompt=SYSTEM_PROMPT,
            answer_schema={"type": "string", "description": "a git diff of the repository (made by the submit tool)"},
            metadata={"instance_id": cand.instance_id, "source": cand.source, "repo": cand.repo},
        )
        extra = {"language": lang} if lang != "python" else {}
        verifier = VerifierSpec(name="code.tests", args={
            **extra,
            "runner": runner_name,
            "test_files": list(cand.test_files),
            "fail_to_pass": validation.fail_to_pass,
            "pass_to_pass": validation.pass_to_pass,
            "timeout": s.timeout,
            "gold_patch": gold.model_dump(mode="json"),
            "test_patch": tests.model_dump(mode="json") if tests else None,
            "validation": validation.facts(),
            "harness": validation.harness.model_dump(mode="json") if validation.harness else None,
        })
        return TupleRecord.build(environment, task, verifier)

    # -- lifetime ------------------------------------------------------------------------------
    def facts(self) -> dict[str, Any]:
        """Seconds this call spent in validation test runs (kept out of the tuples: not reproducible)."""
        return {"validation_seconds": round(self._total, 2)}

    def close(self) -> None:
        """Remove the screening container, close the GitHub client, delete fetched sources."""
        for key in self._made:
            project = _PROJECTS.pop(key, None)
            if project is not None and project.box is not None:
                project.box.close()
        self._made = []
        if self._miner is not None:
            self._miner.close()
            self._miner = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
