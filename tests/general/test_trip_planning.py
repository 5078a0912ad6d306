"""trip_planning: the category end to end (gold through the tools, the prompt) and its gold solver's
reach. The adversary's attempts on grading are in tests/verifiers/general/test_trip_planning.py."""

import json

import pytest

from synth import Run, family, grade
from synth import gold_trajectory


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    run = Run.create(tmp_path_factory.mktemp("trip") / "r")
    record = family("general").build_tuple(run, "trip_planning", 3, 1, 5)
    gold = gold_trajectory(record, run)
    assert gold.verdict.status == "pass"
    return run, record, json.loads(gold.submission)


def test_gold_plan_passes_every_check(case):
    run, record, answer = case
    verdict = grade(record, json.dumps(answer), run)
    assert verdict.status == "pass" and all(c.passed for c in verdict.checks)
    names = {c.name for c in verdict.checks}
    assert {"days", "exists", "venue_city", "no_repeat", "budget", "rain_rule", "hotel_rating"} <= names
    assert {f"rule.day{d}" for d in record.task.metadata["rule_days"]} <= names


def test_prompt_states_every_rule(case):
    run, record, answer = case
    params = record.task.metadata
    prompt = record.task.prompt
    assert params["start_city"] in prompt and str(params["budget"]) in prompt
    for day in params["rule_days"]:
        assert f"Day {day}:" in prompt
    assert "rainy" in prompt and str(params["min_hotel_rating"]) in prompt

