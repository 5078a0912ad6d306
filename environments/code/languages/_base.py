"""What every language of the code family provides, and the result streams they share.

Sits under the language modules (`go.py`, `javascript.py`, ...) and over the code verifier's
`TestRun`/`judge`: a `Language` says how to recognise a project (manifest files), which Debian
packages make its toolchain image, how dependencies are installed at environment build (host
network), which files are tests, how a set of test processes is started (one process per test
package or file, so a test can be run by id), how each process's machine-readable stream reads
(`Case`s), and which added lines of a diff are tampering. `_run.py` executes those plans in a
sandbox; nothing here starts a process.

Guarantees: a `Case` list becomes the JUnit XML that `judge` reads through `to_run`, which is a
pure function of the streams and exit codes; every test process carries synth's canary test (a
test that must fail with a per-run nonce): a process that exits 0, or whose stream lacks the
canary's failure with the nonce, makes the whole run invalid (no JUnit XML), so an exit(0) at
process start, a skipped suite or a stream that reports every test passed is never a pass.
"""

from __future__ import annotations

import re
import secrets
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import ClassVar, Literal

from synth.verifiers.code import RUNNERS, Runner, TestRun
from synth.verifiers.code._junit import Summary

Outcome = Literal["passed", "failed", "error", "skipped"]
CANARY = "synth-canary"
"""Name stem of the canary test each test process carries."""
SUMMARY = re.compile(r"^synth-(\w[\w-]*): (\d+) passed, (\d+) failed, (\d+) errors, (\d+) skipped$")


@dataclass(frozen=True)
class Case:
    """One test's outcome in one process's stream."""

    id: str
    outcome: Outcome
    message: str = ""


@dataclass
class Process:
    """One test process of a reading: a shell command (run as the unprivileged user, in the
    run's copy of the tree) whose stream the root supervisor keeps out of the test user's reach."""

    name: str
    """Short name (a package path or test file) used in file names and ids."""
    command: str
    """Shell command; `$SRC` is the tree copy, `$OUT` the stream file's folder (root's)."""
    cwd: str = "."
    """Folder of the tree copy the command runs in."""
    build: str = ""
    """Optional build command run first as the test user (its failure errors the process's tests)."""
    expected: list[str] = field(default_factory=list)
    """Test ids this process should report (for build failures: each then counts as an error)."""


@dataclass
class Plan:
    """The test processes of one reading and the canary files they need."""

    processes: list[Process]
    files: dict[str, str] = field(default_factory=dict)
    """Files written into the tree copy before the run (relative path -> text): the canaries."""
    nonce: str = ""
    private: bool = False
    """The canary files are read by root alone (a build that runs as root): the test process
    cannot read the nonce from them."""


class Language:
    """One language's rules (see the module docstring). Subclasses set the class variables."""

    name: ClassVar[str]
    runners: ClassVar[tuple[str, ...]]
    """Test runners this language can drive, first the default."""
    manifests: ClassVar[tuple[str, ...]]
    """Files whose presence at the project root says it is this language."""
    packages: ClassVar[tuple[str, ...]]
    """Debian packages of the toolchain image."""
    toolchain: ClassVar[str] = ""
    """The language whose toolchain image this one shares ("": its own)."""
    extensions: ClassVar[tuple[str, ...]]
    """Source file extensions (for mutation)."""
    grammar: ClassVar[str]
    """The tree-sitter grammar module (PyPI tree-sitter-NAME)."""
    test_patterns: ClassVar[tuple[str, ...]]
    """Test files (PurePosixPath.match patterns); folders named in TEST_DIRS count too."""
    config_patterns: ClassVar[tuple[str, ...]] = ()
    """Files that change how tests run or build: protected like tests."""
    test_dirs: ClassVar[frozenset[str]] = frozenset({"test", "tests", "__tests__", "testdata", "spec"})
    dependency_files: ClassVar[frozenset[str]] = frozenset()
    """Root files the dependencies are installed from; when set, the environment image is built
    from these alone and shared by every commit whose copies of them are the same (empty: from
    the whole tree)."""
    tamper_rules: ClassVar[tuple[tuple[str, str], ...]] = ()
    """(name, regex) flagged on added lines of non-test files."""

    def runner(self, manifest: dict) -> str:
        """The runner of a project (its package.json for JavaScript); the first one by default."""
        return self.runners[0]

    # -- project --------------------------------------------------------------------------------
    def detect(self, root: Path) -> bool:
        return any((root / m).exists() for m in self.manifests)

    def is_test_path(self, path: str) -> bool:
        pure = PurePosixPath(path)
        if any(part in self.test_dirs for part in pure.parts[:-1]):
            return True
        return any(pure.match(p) for p in self.test_patterns)

    def is_protected_path(self, path: str) -> bool:
        """Tests, test configuration and build configuration: an agent's diff may not change them."""
        pure = PurePosixPath(path)
        return self.is_test_path(path) or any(pure.match(p) for p in self.config_patterns)

    def source_files(self, root: Path) -> list[Path]:
        skip = {"node_modules", "vendor", "target", "build", "dist", "examples", "example", "docs", ".git", "bin"}
        out = []
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root).as_posix()
            if not path.is_file() or path.suffix not in self.extensions or self.is_test_path(rel):
                continue
            if any(part in skip or part.startswith(".") for part in rel.split("/")[:-1]):
                continue
            out.append(path)
        return out

    def setup_script(self, root: Path) -> str:
        """Shell run as root at /testbed with the host network when the environment image is built."""
        raise NotImplementedError

    def plan(self, listing: list[str], tests: dict[str, str], ids: list[str] | None, nonce: str,
             manifest: dict | None = None) -> Plan:
        """The test processes of one reading over the tree whose files are `listing` (`tests`:
        the text of its test files; `manifest`: package.json or None), all tests or only `ids`."""
        raise NotImplementedError

    def test_files(self, listing: list[str]) -> list[str]:
        """The test files of a tree (whose text `plan` is given)."""
        return sorted(p for p in listing if self.is_test_path(p))

    def read(self, process: Process, stream: str) -> tuple[list[Case], str]:
        """The cases of one process's stream and the runner's own closing line ('' when absent)."""
        raise NotImplementedError

    def tamper(self, diff: str) -> list[str]:
        """Names of the tamper rules that added lines of non-test files in `diff` trip."""
        from synth.verifiers.code import parse

        flags: list[str] = []
        try:
            sections = parse(diff)
        except Exception:  # the strict reader refuses it elsewhere
            return flags
        for section in sections:
            if self.is_test_path(section.path):
                continue
            added = "\n".join(section.added_lines)
            for name, pattern in self.tamper_rules:
                if re.search(pattern, added, re.M) and name not in flags:
                    flags.append(name)
        return flags

    # -- exploits -----------------------------------------------------------------------------
    def exploit_text(self, old: str, code: str) -> str:
        """The text of a source file with an exploit's `code` added (at its end by default)."""
        return old + code

    def exploits(self, target: str) -> list[tuple[str, str]]:
        """(control name, text appended to the source file `target`) that attack the runner:
        each must fail grading on a task of this language."""
        return []


def new_nonce() -> str:
    return secrets.token_hex(12)


class StreamRunner(Runner):
    """A language runner whose JUnit XML synth wrote from the processes' streams: exit 1 is the
    only valid exit (the canary always fails), and its summary is the log's last line."""

    def __init__(self, name: str) -> None:
        self.name = name  # type: ignore[misc]

    def exit_meaning(self, code: int) -> Literal["all_passed", "some_failed", "invalid"]:
        return "some_failed" if code == 1 else "invalid"

    def summary(self, log: str) -> Summary | None:
        lines = log.rstrip("\n").splitlines()
        match = SUMMARY.match(lines[-1]) if lines else None
        if match is None or match.group(1) != self.name:
            return None
        return Summary(passed=int(match.group(2)), failed=int(match.group(3)), errors=int(match.group(4)))


def register_runner(name: str) -> None:
    """Make `judge` read runs of this language runner (idempotent)."""
    if name not in RUNNERS:
        RUNNERS[name] = StreamRunner(name)


def junit(cases: list[Case]) -> str:
    root = ET.Element("testsuites")
    suite = ET.SubElement(root, "testsuite", name="synth", tests=str(len(cases)))
    for case in cases:
        classname, _, name = case.id.rpartition("::")
        element = ET.SubElement(suite, "testcase", classname=classname, name=name)
        if case.outcome in ("failed", "error"):
            ET.SubElement(element, "failure" if case.outcome == "failed" else "error",
                          message=case.message[:300]).text = case.message[:2000]
        elif case.outcome == "skipped":
            ET.SubElement(element, "skipped")
    return ET.tostring(root, encoding="unicode")


@dataclass
class Stream:
    """What the supervisor kept of one process: its exit status and its stream (root's file)."""

    process: Process
    exit_code: int
    text: str
    built: bool = True
    build_log: str = ""


def to_run(language: Language, runner: str, streams: list[Stream], nonce: str, *, command: str, duration: float,
           timed_out: bool) -> TestRun:
    """The `TestRun` of one reading: JUnit XML from every process's cases, or none (and why, in
    the log) when a process exited 0 or its canary did not fail with the nonce."""
    register_runner(runner)
    cases: list[Case] = []
    problems: list[str] = []
    logs: list[str] = []
    for s in streams:
        logs.append(f"--- {s.process.name} (exit {s.exit_code})\n{s.build_log[-2000:]}{s.text[-6000:]}")
        if not s.built:
            cases += [Case(t, "error", "the tests did not build") for t in s.process.expected]
            continue
        found, closing = language.read(s.process, s.text)
        if closing == "build-failed" and not found:
            cases += [Case(t, "error", "the tests did not build") for t in s.process.expected]
            continue
        canary = [c for c in found if CANARY in c.id]
        if s.exit_code == 0:
            problems.append(f"{s.process.name}: the test process exited 0 although synth's canary test must fail")
        elif not canary or any(c.outcome not in ("failed", "error") or nonce not in c.message for c in canary):
            problems.append(f"{s.process.name}: synth's canary test did not fail with this run's nonce")
        cases += [c for c in found if CANARY not in c.id]
    log = "\n".join(logs)[-200_000:]
    if timed_out:
        return TestRun(runner=runner, exit_code=124, timed_out=True, log=log, duration=duration, command=command)
    if problems:
        return TestRun(runner=runner, exit_code=1, junit_xml=None, log=log + "\nsynth: run invalid: " + "; ".join(problems),
                       duration=duration, command=command)
    seen: dict[str, Case] = {}
    order = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
    for case in cases:
        if case.id not in seen or order[case.outcome] > order[seen[case.id].outcome]:
            seen[case.id] = case
    final = list(seen.values()) + [Case(f"synth::{CANARY}", "failed", "the canary test fails by design")]
    counts = {o: sum(1 for c in final if c.outcome == o) for o in order}
    line = f"synth-{runner}: {counts['passed']} passed, {counts['failed']} failed, {counts['error']} errors, {counts['skipped']} skipped"
    return TestRun(runner=runner, exit_code=1, junit_xml=junit(final), log=log + "\n" + line, duration=duration,
                   command=command)


# -- TAP (tape, node:test, mocha --reporter tap) -------------------------------------------------------
_TAP_LINE = re.compile(r"^(\s*)(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*?)(?:\s+#\s*(SKIP|TODO)\b.*)?$", re.I)


def read_tap_grouped(file: str, text: str) -> list[Case]:
    """tape: `# name` opens a test, its assertions follow; a test fails when one assertion does."""
    cases: dict[str, Case] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("# ") and not re.match(r"^# (tests|pass|fail|ok|skip|todo)\b", line):
            current = f"{file}::{line[2:].strip()}"
            cases.setdefault(current, Case(current, "passed"))
            continue
        match = _TAP_LINE.match(line)
        if match is None or current is None or match.group(1):
            continue
        if match.group(2).lower() == "not ok" and not match.group(5):
            if cases[current].outcome == "passed":
                cases[current] = Case(current, "failed", match.group(4).strip())
    return list(cases.values())


def read_tap_flat(file: str, text: str) -> list[Case]:
    """node:test and mocha: each top-level `ok`/`not ok` line is one test (subtests are indented)."""
    cases: list[Case] = []
    for line in text.splitlines():
        match = _TAP_LINE.match(line)
        if match is None or match.group(1):
            continue
        name = match.group(4).strip()
        ident = f"{file}::{name}"
        if match.group(5):
            cases.append(Case(ident, "skipped"))
        elif match.group(2).lower() == "ok":
            cases.append(Case(ident, "passed"))
        else:
            cases.append(Case(ident, "failed", name))
    return cases
