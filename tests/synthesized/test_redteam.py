"""The red team against the gate, through the path a user takes: `synth generate general --agent
--categories ... --base-url` (the CLI) against a real scripted model server on 127.0.0.1, one
category per flawed environment of `redteam.SCENARIOS`, one turn each, then the gate decides.
Every scenario must be rejected, its reason naming the flaw class (`[class] ...`); the correct
hotel environment (the shared hotel run) stays kept, verified, regraded and exported."""

from __future__ import annotations

import json

import pytest

import synth
from synth.environments.synthesized import FILES

from . import redteam

pytestmark = pytest.mark.docker

STILL_KEPT: dict[str, str] = {}
"""Scenarios the gate still keeps (or rejects without naming the class) -> what still wins
(xfail strict until fixed). Before issue 19's fixes the gate kept 27 of the 31 (see redteam.BEFORE)."""



@pytest.fixture(scope="session")
def redteam_run(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> synth.Run:
    out = tmp_path_factory.mktemp("redteam") / "run"
    return redteam.generate(out, [*redteam.SCENARIOS, redteam.PADDING], redteam.agents(tuple(FILES)))


def _outcome(run: synth.Run, name: str, level: int) -> tuple[bool, str]:
    kept = [t for t in run.tuples() if t.environment.metadata["description"] == name
            and t.environment.metadata["level"] == level]
    if kept:
        return True, ""
    rejected = [r for r in run.rejections() if r.details["category"] == name and r.key.endswith(f":L{level}")]
    assert rejected, f"{name}: level {level} neither kept nor rejected"
    return False, rejected[0].reason


def _cases() -> list:
    return list(_each())


def _each():
    for name, (flaw, _) in redteam.SCENARIOS.items():
        marks = [pytest.mark.xfail(strict=True, reason=STILL_KEPT[name])] if name in STILL_KEPT else []
        yield pytest.param(name, flaw, id=name, marks=marks)


@pytest.mark.parametrize("name, flaw", _cases())
def test_a_flawed_environment_is_rejected_and_its_class_named(redteam_run, name, flaw):
    kept, reason = _outcome(redteam_run, name, 1)
    assert not kept, f"{name} was kept"
    assert reason.startswith("level 1: ") and f"[{flaw}]" in reason, reason


def test_a_level_harder_only_by_padding_is_rejected(redteam_run):
    kept, _ = _outcome(redteam_run, redteam.PADDING, 1)
    assert kept  # level 1 is the sound hotel environment
    kept, reason = _outcome(redteam_run, redteam.PADDING, 2)
    assert not kept and "[not harder]" in reason, reason


def test_the_red_team_covers_every_class_of_the_issue():
    classes = {flaw for flaw, _ in redteam.SCENARIOS.values()} | {"not harder"}
    assert {"unchecked rule", "vacuous check", "ungrounded answer", "leaking tool", "sql injection", "forbidden code",
            "sandbox violation", "clock or entropy", "not harder", "output flood"} <= classes
    assert len(redteam.SCENARIOS) + 1 >= 25

