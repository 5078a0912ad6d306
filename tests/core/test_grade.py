"""registry.grade: what the answer caused is a fail with a reason, what the verifier's code caused is
an error, never a plain reward 0."""

from __future__ import annotations

import json

import pytest

from synth import (
    Check, EnvironmentSpec, SubmissionError, TaskSpec, TupleRecord, VerifierError, VerifierSpec, grade, register_verifier,
)


def _walk(value):
    return 1 + max((_walk(v) for v in value), default=0) if isinstance(value, list) else 0


@register_verifier("test.grade.naive")
def naive(record, submission, run, *, trajectory=None):
    """A careless verifier: reads with json.loads and recurses over what it got."""
    value = json.loads(submission)
    return [Check(name="depth", passed=_walk(value) < 3, message=str(value)[:10])]


@register_verifier("test.grade.strict")
def strict(record, submission, run, *, trajectory=None):
    raise SubmissionError("answer.shape", "the answer is a number, not a list")


@register_verifier("test.grade.buggy")
def buggy(record, submission, run, *, trajectory=None):
    return [Check(name="x", passed={}["missing"])]


@register_verifier("test.grade.refusing")
def refusing(record, submission, run, *, trajectory=None):
    raise VerifierError("the verifier's database is missing")


def record(name: str) -> TupleRecord:
    env = EnvironmentSpec(family="general", category="x", seed=0, index=0, difficulty=1)
    task = TaskSpec(family="general", category="x", environment_key=env.key, prompt="p")
    return TupleRecord.build(env, task, VerifierSpec(name=name))


def test_a_submission_error_is_a_fail_on_its_named_check_with_the_reason():
    verdict = grade(record("test.grade.strict"), "3", None)
    assert (verdict.status, verdict.reward) == ("fail", 0.0)
    assert [(c.name, c.passed) for c in verdict.checks] == [("answer.shape", False)]
    assert "not a list" in verdict.checks[0].message


@pytest.mark.parametrize("submission", ["[" * 100_000 + "]" * 100_000, "1" + "0" * 5000],
                         ids=["nesting past the recursion limit", "integer past 4300 digits"])
def test_exploit_a_submission_that_crashes_a_careless_verifier_grades_as_a_fail(submission):
    verdict = grade(record("test.grade.naive"), submission, None)
    assert (verdict.status, verdict.reward) == ("fail", 0.0), verdict
    assert verdict.checks[0].name == "submission" and "too large to grade" in verdict.checks[0].message


def test_a_verifier_bug_is_an_error_not_a_fail():
    verdict = grade(record("test.grade.buggy"), "[]", None)
    assert verdict.status == "error" and "KeyError" in verdict.error and not verdict.checks
    verdict = grade(record("test.grade.refusing"), "[]", None)
    assert verdict.status == "error" and "missing" in verdict.error
