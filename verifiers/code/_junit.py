"""Test runners and their JUnit XML: the evidence a code task is graded on.

Sits in the code verifier, under the code family's execution (validation, grading runs), which
imports `runner` and `TestRun` from here; it imports only the core. A runner says what its exit
code means and how its own summary line reads; `judge` reads both, so the runner lives with it
(how a run is started is the `Harness`). `pytest` is the first reading of every run; `recheck` is
the second reading, whose JUnit XML synth's launcher writes from its own result stream. jest-junit,
gotestsum (--junitfile) and maven surefire write the same XML, so other languages add a `Runner`
and reuse `judge`. `judge` is a pure function of a stored `TestRun`: a run is valid only when the
XML holds results, the exit code agrees with them, the runner's summary line agrees with them, and
the guard reported no change to the runner (exit 86). Printed "PASSED" lines are never read.
"""

from __future__ import annotations

import re
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
    command: str = ""
    """The test process's command line ($RUN: the run's folder); empty in runs made before the harness."""


@dataclass
class Judged:
    """What one run says about each test."""

    valid: bool
    reason: str
    results: dict[str, Outcome] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    """First line of the failure message of each failed test."""


@dataclass(frozen=True)
class Summary:
    """A runner's own count of outcomes, read from its summary line."""

    passed: int
    failed: int
    errors: int


class Runner:
    """One kind of test run with JUnit output: what its exit code and its summary line say."""

    name: ClassVar[str]

    def exit_meaning(self, code: int) -> Literal["all_passed", "some_failed", "invalid"]:
        """What an exit code says about the run; `judge` cross-checks it against the XML. 0 all
        passed, 1 some failed; anything else (interrupted, internal or usage error, no tests,
        timeout, signal, the guard's 86) is not a test result."""
        return {0: "all_passed", 1: "some_failed"}.get(code, "invalid")  # type: ignore[return-value]

    def summary(self, log: str) -> Summary | None:
        """The runner's summary line in the log (the last one), or None when there is none."""
        raise NotImplementedError


_PYTEST_SUMMARY = re.compile(r"^(?:=+ )?(\d+ [a-z ]+(?:, \d+ [a-z ]+)*) in [\d.]+s(?: \([\d:.]+\))?(?: =+)?$")


class PytestRunner(Runner):
    name = "pytest"

    def summary(self, log: str) -> Summary | None:
        for line in reversed(log.splitlines()):
            match = _PYTEST_SUMMARY.match(line.strip())
            if match is None:
                continue
            counts: dict[str, int] = {}
            for item in match.group(1).split(", "):
                number, what = item.split(" ", 1)
                counts[what] = counts.get(what, 0) + int(number)
            return Summary(passed=counts.get("passed", 0) + counts.get("xpassed", 0), failed=counts.get("failed", 0),
                           errors=counts.get("error", 0) + counts.get("errors", 0))
        return None


class SynthRunner(Runner):
    """A run whose XML and summary line synth's launcher wrote (`line`: the summary's pattern)."""

    line: ClassVar[re.Pattern[str]]

    def summary(self, log: str) -> Summary | None:
        for text in reversed(log.splitlines()):
            match = self.line.match(text.strip())
            if match is not None:
                passed, failed, errors = (int(x) for x in match.groups())
                return Summary(passed=passed, failed=failed, errors=errors)
        return None


class RecheckRunner(SynthRunner):
    """Harness 2's second reading: the launcher wrote the XML and the summary line from its stream."""

    name = "recheck"
    line = re.compile(r"^synth-recheck \((?:pytest|unittest)\): (\d+) passed, (\d+) failed, (\d+) errors, \d+ skipped$")


class KeyedRunner(SynthRunner):
    """Harness 3: the root supervisor wrote the XML and the summary line from the keyed records it
    verified (docs/code-grading.md)."""

    name = "keyed"
    line = re.compile(r"^synth-keyed \((?:main|solo)\): (\d+) passed, (\d+) failed, (\d+) errors, \d+ skipped$")


RUNNERS: dict[str, Runner] = {"pytest": PytestRunner(), "recheck": RecheckRunner(), "keyed": KeyedRunner()}


def runner(name: str) -> Runner:
    """The registered runner `name`; KeyError naming the known ones."""
    if name not in RUNNERS:
        raise KeyError(f"unknown test runner {name!r}; known: {', '.join(RUNNERS)}")
    return RUNNERS[name]


def test_id(classname: str, name: str) -> str:
    return f"{classname}::{name}" if classname else name


test_id.__test__ = False  # type: ignore[attr-defined]


def _cases(xml_text: str) -> list[tuple[str, Outcome, str | None]]:
    """(id, outcome, failure message) of every testcase element, in order."""
    if len(xml_text.encode("utf-8", "replace")) > MAX_JUNIT_BYTES:
        raise ValueError("JUnit XML is larger than the limit")
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise ValueError(f"JUnit XML does not parse: {exc}") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise ValueError(f"not JUnit XML (root element <{root.tag}>)")
    cases: list[tuple[str, Outcome, str | None]] = []
    for case in root.iter("testcase"):
        outcome: Outcome = "passed"
        message: str | None = None
        for child in case:
            if child.tag == "failure":
                outcome = "failed"
            elif child.tag == "error":
                outcome = "error"
            elif child.tag == "skipped" and outcome == "passed":
                outcome = "skipped"
            if child.tag in ("failure", "error") and message is None:
                text = (child.get("message") or child.text or "").strip()
                message = text.splitlines()[0][:300] if text else ""
        cases.append((test_id(case.get("classname", ""), case.get("name", "")), outcome, message))
    return cases


def parse_junit(xml_text: str) -> tuple[dict[str, Outcome], dict[str, str]]:
    """Outcome of every testcase, and failure messages. ValueError when it is not JUnit XML."""
    results: dict[str, Outcome] = {}
    messages: dict[str, str] = {}
    order = {"passed": 0, "skipped": 1, "failed": 2, "error": 3}
    for ident, outcome, message in _cases(xml_text):
        if message is not None and ident not in messages:
            messages[ident] = message
        # a test id seen twice (e.g. a setup error plus a call failure) keeps its worst outcome
        previous = results.get(ident)
        if previous is None or order[outcome] > order[previous]:
            results[ident] = outcome
    return results, messages


TAMPERED = 86
INVALID = 3


def _disagreement(xml_text: str, summary: Summary | None) -> str | None:
    """Why the XML and the runner's own summary line tell two stories, or None.

    The XML may not show more passes than the runner counted, and it shows failures exactly when
    the runner counted some (a teardown error after a pass is one pass and one error to pytest and
    one erroring testcase in the XML, so the passes are compared as at most, not as equal)."""
    if summary is None:
        return "the runner's summary line is missing from the log"
    cases = _cases(xml_text)
    passed = sum(1 for _, outcome, _ in cases if outcome == "passed")
    bad = sum(1 for _, outcome, _ in cases if outcome in ("failed", "error"))
    if passed > summary.passed:
        return f"the JUnit XML shows {passed} passing tests, the runner's summary line {summary.passed}"
    if (bad > 0) != (summary.failed + summary.errors > 0):
        return (f"the JUnit XML shows {bad} failing tests, the runner's summary line "
                f"{summary.failed} failed and {summary.errors} errors")
    return None


def judge(run: TestRun) -> Judged:
    """Read one stored run: valid only if JUnit results exist and agree with the exit code and
    with the runner's summary line, and the guard saw the runner unchanged."""
    if run.timed_out:
        return Judged(False, "the test run hit its timeout")
    if run.exit_code == TAMPERED:
        return Judged(False, f"the test process changed the test runner or did what no fix needs (exit {TAMPERED}; "
                             "the log names what)")
    if run.exit_code == INVALID:
        return Judged(False, f"the test process wrote records that do not verify (exit {INVALID}; the log names them)")
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
    disagreement = _disagreement(run.junit_xml, runner(run.runner).summary(run.log))
    if disagreement:
        return Judged(False, disagreement, results, messages)
    return Judged(True, "", results, messages)
