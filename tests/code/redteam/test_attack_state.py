"""Round 3 of the red team (issue 17): synth's executor state and keys reached through the closures
of the functions it registers with pytest (state_payloads.py), by class, graded through
`synth.score`'s path against the red team's two real projects. None of these spells a construct the
static scan reads, so each is a test of the run-time layers: the F2P tests must not count as passed
at run time, whatever the scan says. One still winning stays a strict xfail naming its class."""

from __future__ import annotations

from string import Template

import pytest

from . import state_payloads as payloads
from .test_attack17 import _appended, _check, _f2p_passing
from .test_redteam import _grade

pytestmark = [pytest.mark.docker, pytest.mark.slow]

PROJECTS = ["toolz", "moreit"]
CASES = {
    "RESULT_DICTS": "reachability: the executor's result dicts mutated in place",
    "KEY_FROM_CLOSURE": "channel: the key read from the record writer's closure",
    "CELLS_WRITTEN": "reachability: the end-of-test hook's closure cells written",
    "CODE_COPY": "provenance: a copy of synth's hook made with types.FunctionType",
    "SEND_REPLAYED": "reachability: the vault's send called with a passing test's messages",
}
WINNING: dict[str, str] = {}
"""Payloads that still win (strict xfail), by CASES key."""


def _cases():
    for name, klass in CASES.items():
        for project in PROJECTS:
            marks = [pytest.mark.xfail(strict=True, reason=f"{klass}: {WINNING[name]}")] if name in WINNING else []
            yield pytest.param(name, project, id=f"{name.lower()}-{project}", marks=marks)


@pytest.mark.parametrize(("payload", "project"), list(_cases()))
def test_executor_state_through_closures(payload, project, redteam_targets):
    target = redteam_targets[project]
    source = Template(getattr(payloads, payload)).substitute(func=target.function)
    verdict, artifacts = _grade(target, _appended(target, source))
    logs = " | ".join(r.get("log", "")[-600:] for r in artifacts.get("runs", []))
    failing = [c.name for c in verdict.checks if not c.passed]
    assert _f2p_passing(verdict) == 0, f"a forged pass counted at run time ({verdict.status}, {failing}): {logs[-1200:]}"
    assert verdict.status == "fail" and verdict.reward == 0.0
    assert _check(verdict, "second_reading").actual == 0, logs[-1200:]


@pytest.mark.parametrize("project", PROJECTS)
def test_the_hooks_trust_cannot_be_extended_through_a_closure(project, redteam_targets):
    """TRUST_EXTENDED: the payload adds its own file to the files the audit hook trusts, then asks
    for a frame; the request must be refused (the hook's trust is fixed before project code runs)."""
    target = redteam_targets[project]
    source = Template(payloads.TRUST_EXTENDED).substitute(func=target.function)
    verdict, artifacts = _grade(target, _appended(target, source))
    logs = " | ".join(r.get("log", "") for r in artifacts.get("runs", []))
    assert verdict.status == "fail" and "RTTRUST: walked" not in logs, logs[-1500:]
