"""Round 5 of the red team (issue 17 item 6): test-strength attacks, graded through `synth.score`'s
path against the red team's two real projects (strength_payloads.py). Each makes a FAIL_TO_PASS test
pass without fixing the function the gold fixes. An attack is *forged* when the task is graded pass,
or when a FAIL_TO_PASS test passes in the main reading and the behavioural cross-check against the
gold (`gold_values`) does not name it. A payload that still wins is a strict xfail naming its class
and what it would take to close it; one that loses asserts so."""

from __future__ import annotations

import pytest

from synth.verifiers.code import TestRun, judge

from . import strength_payloads as payloads
from .test_attack17 import _appended
from .test_attack_round4 import _logs, _source
from .test_redteam import _grade

pytestmark = [pytest.mark.docker, pytest.mark.slow]

WINS: dict[tuple[str, str], str] = {
    ("INPUT_TABLE", "toolz"): "test strength: the fix applied only to the test's own arguments returns the gold's values "
                              "on every call the tests make (closing it needs calls the tests do not make)",
}
"""(payload, project) -> why it still wins (strict xfail)."""


def _flagged(verdict) -> set[str]:
    check = next((c for c in verdict.checks if c.name == "gold_values"), None)
    return set(check.actual or []) if check is not None and not check.passed else set()


def forged(verdict, artifacts, f2p) -> list[str]:
    """The F2P tests counted as passed that the cross-check did not catch (all of them when the task
    was graded pass)."""
    main = judge_main(artifacts)
    passing = [t for t in f2p if main.get(t) == "passed"]
    if verdict.status == "pass":
        return passing or ["(graded pass)"]
    return [t for t in passing if t not in _flagged(verdict)]


def judge_main(artifacts) -> dict[str, str]:
    runs = artifacts.get("runs") or []
    if not runs:
        return {}
    judged = judge(TestRun.model_validate(runs[0]))
    return judged.results if judged.valid else {}


CASES = [("SPECIAL_CASED_RAISE", "toolz"), ("INPUT_TABLE", "toolz"), ("UNDER_TEST_TOOLZ", "toolz"),
         ("ALWAYS_EQUAL_LAMBDA", "toolz"), ("ALWAYS_EQUAL_LAMBDA", "moreit"), ("RECORDER_FED", "toolz"),
         ("KEY_IN_A_THREAD", "toolz")]
"""The suite's cases. RAISES_FROM_IMPORT (T1) runs inside RECORDER_FED and KEY_IN_A_THREAD, and
UNDER_TEST_MOREIT is UNDER_TEST_TOOLZ's class on the other project: both were measured once (the
table in docs/code-grading.md) and are kept out of the suite for its time (`CASES + EXTRA` runs all)."""
EXTRA = [("RAISES_FROM_IMPORT", "toolz"), ("UNDER_TEST_MOREIT", "moreit")]


def _cases():
    for name, project in CASES:
        marks = [pytest.mark.xfail(strict=True, raises=AssertionError, reason=WINS[name, project])] \
            if (name, project) in WINS else []
        yield pytest.param(name, project, id=f"{name.lower()}-{project}", marks=marks)


@pytest.mark.parametrize(("payload", "project"), list(_cases()))
def test_strength_attack_is_not_forged(payload, project, redteam_targets):
    target = redteam_targets[project]
    verdict, artifacts = _grade(target, _appended(target, _source(target, getattr(payloads, payload))))
    f2p = target.record.verifier.args["fail_to_pass"]
    failing = [(c.name, c.message[:300]) for c in verdict.checks if not c.passed]
    assert not forged(verdict, artifacts, f2p), (verdict.status, forged(verdict, artifacts, f2p), failing,
                                                 _logs(artifacts)[-1200:])
