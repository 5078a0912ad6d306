"""Round 2 of the red team against the synthesis gate (tests/synthesized/redteam_round2.py), through
the path a user takes: `synth generate general --agent --categories ... --base-url` (the CLI) against
a real scripted model server on 127.0.0.1, one category per flawed environment, then the gate decides.

Each test is named after the flaw class the gate should name. A scenario the gate rejects is a plain
test asserting the rejection and its class. A scenario the gate still keeps is `xfail(strict=True,
raises=StillKept)`: the test first shows the flaw pays on the kept tuple (the exploit of
`redteam_round2.EXPLOITS`: a wrong answer graded pass, or a tool call whose result passes, or the
answer the tools justify graded fail), then raises StillKept; any other failure (an exploit that
does not work) is a real failure, so the xfail cannot hide a broken attack."""

from __future__ import annotations

import json
import re

import pytest

import synth
from synth.environments.synthesized import SynthesizedEnvironment

from . import redteam_round2 as r2
from .redteam import generate

pytestmark = [pytest.mark.docker, pytest.mark.slow]


class StillKept(AssertionError):
    """The gate kept a flawed environment (and its exploit was shown to work)."""


STILL_KEPT: dict[str, str] = {
    "one hotel booked for both cities": "unchecked rule: accepted mutations are only counted; a check a family of wrong answers passes is kept",
    r2.PADDING: ("not harder: repeats count once now, but the one list_cities call the answer does not need still counts "
                 "(gold_calls 3 > 2) and its values widen the answer space (search_effort 60 > 21)"),
}
"""Scenario -> what still wins (the xfail reason)."""


@pytest.fixture(scope="session")
def round2_run(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> synth.Run:
    out = tmp_path_factory.mktemp("redteam2") / "run"
    return generate(out, [*(n for n in r2.SCENARIOS if n not in r2.STATIC), r2.PADDING], r2.agents())


def _outcome(run: synth.Run, name: str, level: int) -> tuple[synth.TupleRecord | None, str]:
    kept = [t for t in run.tuples() if t.environment.metadata["description"] == name
            and t.environment.metadata["level"] == level]
    if kept:
        return kept[0], ""
    rejected = [x for x in run.rejections() if x.details["category"] == name and x.key.endswith(f":L{level}")]
    assert rejected, f"{name}: level {level} neither kept nor rejected"
    return None, rejected[0].reason


def _exploit(run: synth.Run, record: synth.TupleRecord, name: str) -> str:
    """Play the scenario's exploit on the kept tuple; asserts it shows the flaw; says what it did."""
    exploit = r2.EXPLOITS.get(name)
    if exploit is None:
        return "no answer-level exploit (the verdict depends on the wall clock, on chance, or writes a file)"
    if "call" in exploit:
        tool, arguments = exploit["call"]
        with SynthesizedEnvironment(record, run) as env:
            answer = env.call(tool, arguments).content
        if "error" in json.loads(answer):  # the answer is in the message of the tool's error
            answer = re.search(r"instead: (\{.*?\})", json.loads(answer)["error"]["message"]).group(1)
        assert json.loads(answer) == r2.GOLD, answer
    else:
        answer = json.dumps(exploit["answer"])
    verdict = synth.grade(record, answer, run)
    assert (verdict.status == "pass") is exploit["passes"], (verdict.status, verdict.first_failure())
    return f"{'the wrong answer' if exploit['passes'] else 'the answer the tools justify'} {answer[:100]} grades {verdict.status}"


def _cases() -> list:
    for name, (flaw, _) in r2.SCENARIOS.items():
        if name in r2.STATIC:  # test_redteam_round2_files.py, without Docker
            continue
        marks = [pytest.mark.xfail(strict=True, raises=StillKept, reason=STILL_KEPT[name])] if name in STILL_KEPT else []
        yield pytest.param(name, flaw, id=f"{flaw}: {name}", marks=marks)


@pytest.mark.parametrize("name, flaw", list(_cases()))
def test_round2_flaw_is_rejected_and_named(round2_run, name, flaw):
    record, reason = _outcome(round2_run, name, 1)
    if record is not None:
        raise StillKept(f"{name} was kept; {_exploit(round2_run, record, name)}")
    assert reason.startswith("level 1: ") and f"[{flaw}]" in reason, reason


@pytest.mark.xfail(strict=True, raises=StillKept, reason=STILL_KEPT[r2.PADDING])
def test_not_harder_by_padding_tool_calls(round2_run):
    record, _ = _outcome(round2_run, r2.PADDING, 1)
    assert record is not None  # level 1 is the sound hotel environment
    record, reason = _outcome(round2_run, r2.PADDING, 2)
    if record is not None:
        gate = record.environment.metadata["gate"]
        raise StillKept(f"level 2 kept as harder: gold_calls {gate.get('gold_calls')}, binding_checks "
                        f"{gate.get('binding_checks')}, search_effort {gate.get('search_effort')}")
    assert "[not harder]" in reason, reason
