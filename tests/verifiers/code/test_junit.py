"""The JUnit judge: a pure function of one stored test run, no Docker."""

from __future__ import annotations

import pytest

from synth.verifiers.code import TestRun, judge


XML_PASS = ('<testsuites><testsuite><testcase classname="t" name="a"/><testcase classname="t" name="b">'
            '<failure message="boom">trace</failure></testcase><testcase classname="t" name="c"><skipped/></testcase>'
            '</testsuite></testsuites>')


def test_judge_reads_junit_outcomes():
    j = judge(TestRun(runner="pytest", exit_code=1, junit_xml=XML_PASS))
    assert j.valid and j.results == {"t::a": "passed", "t::b": "failed", "t::c": "skipped"}
    assert j.messages["t::b"] == "boom"


@pytest.mark.parametrize("run, reason", [
    (TestRun(runner="pytest", exit_code=0, junit_xml=None, log="t::a PASSED\n1 passed"), "no JUnit XML"),
    (TestRun(runner="pytest", exit_code=0, junit_xml="<testsuites><testsuite/></testsuites>"), "no test ran"),
    (TestRun(runner="pytest", exit_code=0, junit_xml=XML_PASS), "exit code 0 but"),
    (TestRun(runner="pytest", exit_code=1, junit_xml='<testsuite><testcase classname="t" name="a"/></testsuite>'),
     "exit code 1 but"),
    (TestRun(runner="pytest", exit_code=5, junit_xml=XML_PASS), "not a test result"),
    (TestRun(runner="pytest", exit_code=124, timed_out=True, junit_xml=XML_PASS), "timeout"),
    (TestRun(runner="pytest", exit_code=0, junit_xml="<html>PASSED</html>"), "not JUnit"),
    (TestRun(runner="pytest", exit_code=0, junit_xml="<testsuite><testcase"), "does not parse"),
])
def test_judge_calls_inconsistent_or_empty_runs_invalid(run, reason):
    judged = judge(run)
    assert not judged.valid and reason in judged.reason
