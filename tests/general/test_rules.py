"""Prompt and verifier from one rule list: every check a general verifier runs is stated in the
task's prompt, every rule the prompt states has a check, and both come from the checker's RULES."""

from __future__ import annotations

import json

import pytest

from synth import Check, Run, SubmissionError, VerifierError, categories, family, gold_trajectory, grade
from synth.verifiers.general import Checker, Rule, checker

CATEGORIES = sorted(categories("general"))


def bullets(prompt: str, heading: str) -> list[str]:
    """The '- ' lines under `heading` up to the next blank line."""
    lines = prompt.splitlines()
    start = lines.index(heading) + 1
    out = []
    for line in lines[start:]:
        if not line.strip():
            break
        assert line.startswith("- "), line
        out.append(line[2:])
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Three tuples of every category at every difficulty, with their gold verdicts."""
    run = Run.create(tmp_path_factory.mktemp("rules") / "r")
    fam = family("general")
    out = {}
    for category in CATEGORIES:
        for difficulty in (1, 2, 3, 4, 5):
            for index in range(3):
                record = fam.build_tuple(run, category, 21, index, difficulty)
                out[(category, difficulty, index)] = (record, gold_trajectory(record, run))
    return run, out


@pytest.mark.parametrize("category", [
    pytest.param(c, marks=[pytest.mark.xfail(strict=True, reason=(
        "meeting_scheduling's generate-then-solve generator (issue 18) states neither rule.long_meeting_end nor "
        "rule.buffer at any difficulty: every meeting lasts an hour on the hour grid, which uniqueness relies on"))])
    if c == "meeting_scheduling" else c for c in CATEGORIES])
def test_the_prompt_states_exactly_the_rules_grading_checks(built, category):
    _, tuples = built
    stated_somewhere: set[str] = set()
    for (cat, difficulty, index), (record, gold) in tuples.items():
        if cat != category:
            continue
        statements = checker(category).statements(record.task.metadata)
        task = [text for name, text in statements if not name.startswith("format")]
        answer = [text for name, text in statements if name.startswith("format")]
        assert bullets(record.task.prompt, "Rules:") == task, (difficulty, index)
        assert bullets(record.task.prompt, "Answer:") == answer, (difficulty, index)
        graded = [c.name for c in gold.verdict.checks]
        assert graded == [name for name, _ in statements], (difficulty, index)
        stated_somewhere |= set(graded)
    assert stated_somewhere == set(checker(category).checks), "a rule no difficulty states"


@pytest.mark.parametrize("category", CATEGORIES)
def test_a_failing_answer_fails_only_checks_its_prompt_states(built, tmp_path, category):
    """The null controls break named checks: each one's rule sentence is in the prompt."""
    from synth import control_records

    run, tuples = built
    for (cat, difficulty, index), (record, gold) in tuples.items():
        if cat != category or index:
            continue
        stated = {name: text for name, text in checker(category).statements(record.task.metadata)}
        for item in control_records(record, run, gold)[1:]:
            for c in item.verdict.checks:
                if not c.passed:
                    assert c.name in stated and stated[c.name] in record.task.prompt, (item.control, c.name)


def test_a_checker_that_returns_an_unstated_check_is_an_error_not_a_grade():
    rules = (Rule("format", "Submit a list."), Rule("a", "Rule a."))
    sloppy = Checker.build("sloppy", {"type": "array"}, rules,
                     lambda db, params, answer: [Check(name="a", passed=True), Check(name="b", passed=True)])
    with pytest.raises(VerifierError, match="states"):
        sloppy.grade(None, {}, "[]")
    silent = Checker.build("silent", {"type": "array"}, rules, lambda db, params, answer: [])
    with pytest.raises(VerifierError, match="states"):
        silent.grade(None, {}, "[]")


def test_a_conditional_rule_is_stated_and_checked_only_when_it_applies():
    rules = (Rule("format", "Submit a list."), Rule("cap", "At most {{ cap }}.", when=lambda p: p["cap"] is not None))
    fn = lambda db, params, answer: [Check(name="cap", passed=len(answer) <= params["cap"])] if params["cap"] else []  # noqa: E731
    capped = Checker.build("capped", {"type": "array"}, rules, fn)
    limits = [r.check for r in capped.rules if r.check.startswith("format.")]
    assert [n for n, _ in capped.statements({"cap": 2})] == ["format", *limits, "cap"]
    assert capped.statements({"cap": 2})[-1][1] == "At most 2."
    assert [n for n, _ in capped.statements({"cap": None})] == ["format", *limits]
    assert [c.name for c in capped.grade(None, {"cap": None}, "[1, 2, 3]")] == ["format", *limits]
    assert [c.name for c in capped.grade(None, {"cap": 2}, "[1, 2, 3]") if not c.passed] == ["cap"]
