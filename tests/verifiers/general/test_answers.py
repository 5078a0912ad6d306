"""Strict reading of general answers, every category: what `json.loads` would let through fails a
named check (a fail with reward 0 and the reason, never a verifier error or a crash)."""

from __future__ import annotations

import json
import re

import pytest

from synth import Run, categories, family, gold_trajectory, grade

CATEGORIES = sorted(categories("general"))


@pytest.fixture(scope="module")
def golds(tmp_path_factory):
    run = Run.create(tmp_path_factory.mktemp("answers") / "r")
    out = {}
    for category in CATEGORIES:
        record = family("general").build_tuple(run, category, 31, 0, 3)
        gold = gold_trajectory(record, run)
        assert gold.verdict.status == "pass"
        out[category] = (record, gold.submission)
    return run, out


def failed(golds, category, text) -> set[str]:
    run, tuples = golds
    record, _ = tuples[category]
    verdict = grade(record, text, run)
    assert (verdict.status, verdict.reward) == ("fail", 0.0), verdict
    bad = [c for c in verdict.checks if not c.passed]
    assert all(c.message for c in bad), "a failing format check says why"
    return {c.name for c in bad}


def first_string_field(text: str) -> tuple[str, str]:
    key, value = re.search(r'"(\w+)": ("[^"]*")', text).groups()
    return key, value


@pytest.mark.parametrize("category", CATEGORIES)
def test_exploit_a_repeated_key_hides_an_invented_value(golds, category):
    """json.loads keeps the last value, so a reader of the data and the grader would disagree."""
    text = golds[1][category][1]
    key, value = first_string_field(text)
    sneaky = text.replace(f'"{key}": {value}', f'"{key}": "Invented Grand Palace", "{key}": {value}', 1)
    assert json.loads(sneaky) == json.loads(text)
    assert failed(golds, category, sneaky) == {"format.keys"}


@pytest.mark.parametrize("category", CATEGORIES)
def test_exploit_an_integer_of_5000_digits_is_a_failed_answer_not_a_crashed_verifier(golds, category):
    text = golds[1][category][1]
    key, value = first_string_field(text)
    assert failed(golds, category, text.replace(value, "1" + "0" * 5000, 1)) == {"format.numbers"}


@pytest.mark.parametrize("category", CATEGORIES)
def test_exploit_deep_nesting_is_a_failed_answer_not_a_recursion_error(golds, category):
    assert failed(golds, category, "[" * 9000 + "]" * 9000) == {"format.depth"}
    assert failed(golds, category, "[" * 9 + "]" * 9) == {"format.depth"}


@pytest.mark.parametrize("replacement, check", [
    ('"\\ud800"', "format.text"), ('"\ud800"', "format.text"), ("NaN", "format.numbers"), ("1e999", "format.numbers"),
], ids=["escaped lone surrogate", "raw lone surrogate", "NaN", "Infinity by overflow"])
@pytest.mark.parametrize("category", CATEGORIES)
def test_exploit_a_value_no_strict_reader_takes_is_a_failed_answer(golds, category, replacement, check):
    text = golds[1][category][1]
    key, value = first_string_field(text)
    assert failed(golds, category, text.replace(value, replacement, 1)) == {check}


@pytest.mark.parametrize("category", CATEGORIES)
def test_the_gold_text_itself_reads_strictly(golds, category):
    run, tuples = golds
    record, text = tuples[category]
    assert grade(record, text, run).status == "pass"
