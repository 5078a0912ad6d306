"""The JUnit judge: a pure function of one stored test run, no Docker."""

from __future__ import annotations

import pytest

from synth.verifiers.code import TestRun, judge


XML_PASS = ('<testsuites><testsuite><testcase classname="t" name="a"/><testcase classname="t" name="b">'
            '<failure message="boom">trace</failure></testcase><testcase classname="t" name="c"><skipped/></testcase>'
            '</testsuite></testsuites>')


def test_judge_reads_junit_outcomes():
    j = judge(TestRun(runner="pytest", exit_code=1, junit_xml=XML_PASS, log="== 1 failed, 1 passed, 1 skipped in 1s =="))
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


SUMMARY_FAIL = "tests/test_x.py::t::b FAILED\n====== 1 failed, 1 passed, 1 skipped in 0.12s ======\n"
XML_ONE_FAILURE = XML_PASS


def test_judge_reads_a_consistent_run_with_its_summary_line():
    assert judge(TestRun(runner="pytest", exit_code=1, junit_xml=XML_ONE_FAILURE, log=SUMMARY_FAIL)).valid


def test_exploit_junit_rewritten_at_exit():
    """The XML lost its failure after pytest printed its own summary (an exit handler, then exit 0)."""
    rewritten = XML_PASS.replace('<failure message="boom">trace</failure>', "")
    judged = judge(TestRun(runner="pytest", exit_code=0, junit_xml=rewritten, log=SUMMARY_FAIL))
    assert not judged.valid and "the runner's summary line 1" in judged.reason


@pytest.mark.parametrize("log, reason", [
    ("t::a PASSED\n", "summary line is missing"),
    ("====== 3 passed in 0.1s ======\n", "shows 1 failing tests, the runner's summary line 0 failed"),
    ("====== 1 failed in 0.1s ======\n", "shows 1 passing tests, the runner's summary line 0"),
])
def test_judge_calls_a_summary_that_tells_another_story_invalid(log, reason):
    judged = judge(TestRun(runner="pytest", exit_code=1, junit_xml=XML_ONE_FAILURE, log=log))
    assert not judged.valid and reason in judged.reason


def test_a_teardown_error_after_a_pass_is_not_a_disagreement():
    xml = ('<testsuite><testcase classname="t" name="a"/><testcase classname="t" name="b"><error message="td"/>'
           '</testcase></testsuite>')
    assert judge(TestRun(runner="pytest", exit_code=1, junit_xml=xml, log="== 2 passed, 1 error in 0.1s ==")).valid


def test_the_guards_report_makes_a_run_invalid_whatever_the_xml_says():
    judged = judge(TestRun(runner="pytest", exit_code=86, junit_xml=XML_PASS, log=SUMMARY_FAIL))
    assert not judged.valid and "changed the test runner" in judged.reason


def test_the_second_reading_is_judged_by_its_own_summary_line():
    xml = '<testsuites><testsuite><testcase classname="t" name="a"/></testsuite></testsuites>'
    good = "synth-recheck (unittest): 1 passed, 0 failed, 0 errors, 0 skipped\n"
    assert judge(TestRun(runner="recheck", exit_code=0, junit_xml=xml, log=good)).valid
    lying = "synth-recheck (pytest): 0 passed, 1 failed, 0 errors, 0 skipped\n"
    assert not judge(TestRun(runner="recheck", exit_code=0, junit_xml=xml, log=lying)).valid
