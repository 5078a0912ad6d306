"""Test runners and their JUnit XML: the only evidence a code task is graded on.

Sits in the code verifier, under the code family's execution (validation, grading runs), which
imports `runner` and `TestRun` from here; it imports only the core. A runner says how to run a
project's tests so they write JUnit XML to a path synth chooses, and what its exit code means;
`judge` reads both, so the runner lives with it. `pytest` is built in, and jest-junit, gotestsum
(--junitfile) and maven surefire write the same XML, so other languages add a `Runner` and reuse
`judge`. `judge` is a pure function of a stored `TestRun`: it cross-checks the runner's exit code
against the XML and calls a run with no test results invalid, never a pass. Printed "PASSED" lines
are never read.
"""

from __future__ import annotations

import shlex
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from synth import register_record

Outcome = Literal["passed", "failed", "error", "skipped"]
MAX_JUNIT_BYTES = 8 * 1024 * 1024


@register_record
class TestRun(BaseModel):
    """Stored facts of one test run (an artifact): what grading reads."""

    __test__ = False  # not a pytest test class
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    runner: str
    """Runner name, e.g. pytest."""
    exit_code: int
    """Exit code of the test command (124 when the timeout killed it)."""
    timed_out: bool = False
    """The run hit its timeout and was killed (the run is then invalid)."""
    junit_xml: str | None = None
    """The JUnit XML the runner wrote, or None when it wrote none."""
    log: str = ""
    """Console output, capped (head and tail); kept for people, never read by `judge`."""
    duration: float = 0.0
    """Seconds the test command took."""


@dataclass
class Judged:
    """What one run says about each test."""

    valid: bool
    reason: str
    results: dict[str, Outcome] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    """First line of the failure message of each failed test."""


class Runner:
    """How to run one kind of test suite with JUnit output, and what its exit code means."""

    name: ClassVar[str]

    def command(self, test_files: list[str], junit_path: str) -> str:
        """The shell command that runs `test_files` (all tests when empty) and writes JUnit XML
        to `junit_path`."""
        raise NotImplementedError

    def exit_meaning(self, code: int) -> Literal["all_passed", "some_failed", "invalid"]:
        """What an exit code says about the run; `judge` cross-checks it against the XML."""
        raise NotImplementedError


class PytestRunner(Runner):
    name = "pytest"

    def command(self, test_files: list[str], junit_path: str) -> str:
        files = " ".join(shlex.quote(f) for f in test_files)
        return (
            "python -m pytest -p no:cacheprovider -o junit_family=xunit1 -o console_output_style=classic "
            f"-rA --tb=short --color=no --junitxml={shlex.quote(junit_path)} {files}"
        ).strip()

    def exit_meaning(self, code: int) -> Literal["all_passed", "some_failed", "invalid"]:
        # 0 all passed, 1 some failed; 2 interrupted, 3 internal error, 4 usage error,
        # 5 no tests collected, anything else (timeout, signal) is not a test result
        return {0: "all_passed", 1: "some_failed"}.get(code, "invalid")  # type: ignore[return-value]


RUNNERS: dict[str, Runner] = {"pytest": PytestRunner()}


def runner(name: str) -> Runner:
    """The registered runner `name`; KeyError naming the known ones."""
    if name not in RUNNERS:
        raise KeyError(f"unknown test runner {name!r}; known: {', '.join(RUNNERS)}")
    return RUNNERS[name]


def test_id(classname: str, name: str) -> str:
    return f"{classname}::{name}" if classname else name


test_id.__test__ = False  # type: ignore[attr-defined]


def parse_junit(xml_text: str) -> tuple[dict[str, Outcome], dict[str, str]]:
    """Outcome of every testcase, and failure messages. ValueError when it is not JUnit XML."""
    if len(xml_text.encode("utf-8", "replace")) > MAX_JUNIT_BYTES:
        raise ValueError("JUnit XML is larger than the limit")
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise ValueError(f"JUnit XML does not parse: {exc}") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise ValueError(f"not JUnit XML (root element <{root.tag}>)")
    results: dict[str, Outcome] = {}
    messages: dict[str, str] = {}
    for case in root.iter("testcase"):
        ident = test_id(case.get("classname", ""), case.get("name", ""))
        outcome: Outcome = "passed"
        for child in case:
            if child.tag == "failure":
                outcome = "failed"
            elif child.tag == "error":
                outcome = "error"
            elif child.tag == "skipped" and outcome == "passed":
                outcome = "skipped"
            if child.tag in ("failure", "error") and ident not in messages:
                text = (child.get("message") or child.text or "").strip()
                messages[ident] = text.splitlines()[0][:300] if text else ""
        # a test id seen twice (e.g. a setup error plus a call failure) keeps its worst outcome
        previous = results.get(ident)
        order = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
        if previous is None or order[outcome] > order[previous]:
            results[ident] = outcome
    return results, messages


def judge(run: TestRun) -> Judged:
    """Read one stored run: valid only if JUnit results exist and agree with the exit code."""
    if run.timed_out:
        return Judged(False, "the test run hit its timeout")
    if run.junit_xml is None:
        return Judged(False, f"the runner wrote no JUnit XML (exit code {run.exit_code})")
    try:
        results, messages = parse_junit(run.junit_xml)
    except ValueError as exc:
        return Judged(False, str(exc))
    if not results:
        return Judged(False, "no test ran (the JUnit XML holds no test cases)")
    meaning = runner(run.runner).exit_meaning(run.exit_code)
    bad = [k for k, v in results.items() if v in ("failed", "error")]
    if meaning == "invalid":
        return Judged(False, f"exit code {run.exit_code} is not a test result", results, messages)
    if meaning == "all_passed" and bad:
        return Judged(False, f"exit code 0 but the JUnit XML has {len(bad)} failures", results, messages)
    if meaning == "some_failed" and not bad:
        return Judged(False, "exit code 1 but the JUnit XML has no failures", results, messages)
    return Judged(True, "", results, messages)
