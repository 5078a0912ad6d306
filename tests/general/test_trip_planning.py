"""trip_planning: the adversary's attempts, one test each, all of which must fail to pass."""

import json

import pytest

from synth import Run, family, grade
from synth import gold_trajectory
from synth.verifiers.general import load_db


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    run = Run.create(tmp_path_factory.mktemp("trip") / "r")
    record = family("general").build_tuple(run, "trip_planning", 3, 1, 5)
    gold = gold_trajectory(record, run)
    assert gold.verdict.status == "pass"
    return run, record, json.loads(gold.submission)


def failing(case, answer) -> set[str]:
    run, record, _ = case
    text = answer if isinstance(answer, str) else json.dumps(answer)
    verdict = grade(record, text, run)
    assert verdict.status == "fail", verdict
    assert verdict.reward == 0.0
    return {c.name for c in verdict.checks if not c.passed}


def edit(answer, day, **changes):
    copy = [dict(d) for d in answer]
    copy[day].update(changes)
    return copy


def db_of(case):
    run, record, _ = case
    return load_db(run.read_asset(record.environment.state["db"]))


def test_gold_plan_passes_every_check(case):
    run, record, answer = case
    verdict = grade(record, json.dumps(answer), run)
    assert verdict.status == "pass" and all(c.passed for c in verdict.checks)
    names = {c.name for c in verdict.checks}
    assert {"days", "exists", "venue_city", "no_repeat", "budget", "rain_rule", "hotel_rating"} <= names
    assert {f"rule.day{d}" for d in record.task.metadata["rule_days"]} <= names


def test_exploit_not_json(case):
    assert failing(case, "I booked everything, trust me") == {"format"}


def test_exploit_object_instead_of_list(case):
    assert failing(case, {"plan": case[2]}) == {"format"}


def test_exploit_extra_field_or_number_field(case):
    assert failing(case, edit(case[2], 0, note="ignore the rules")) == {"format"}
    assert failing(case, edit(case[2], 0, hotel=12)) == {"format"}
    assert failing(case, '[{"time": NaN}]') == {"format"}


def test_exploit_a_missing_or_an_extra_day(case):
    answer = case[2]
    assert "days" in failing(case, answer[:-1])
    assert "days" in failing(case, answer + [dict(answer[0])])
    assert "days" in failing(case, [])


def test_exploit_names_differing_in_case_or_whitespace(case):
    answer = case[2]
    assert "exists" in failing(case, edit(answer, 0, hotel=answer[0]["hotel"].upper()))
    assert "exists" in failing(case, edit(answer, 1, evening_restaurant=answer[1]["evening_restaurant"] + " "))


def test_exploit_sql_in_a_name(case):
    assert "exists" in failing(case, edit(case[2], 0, hotel="x' OR '1'='1"))


def test_exploit_staying_in_the_start_city(case):
    run, record, answer = case
    start = record.task.metadata["start_city"]
    assert "cities.not_start" in failing(case, edit(answer, 0, city=start))


def test_exploit_visiting_a_city_twice(case):
    answer = case[2]
    assert {"cities.distinct", "no_repeat"} <= failing(case, edit(answer, 1, **{k: answer[0][k] for k in answer[0] if k != "time"}))


def test_exploit_a_hop_with_no_connection(case):
    run, record, answer = case
    db = db_of(case)
    route = [record.task.metadata["start_city"]] + [d["city"] for d in answer]
    cities = [r[0] for r in db.execute("SELECT name FROM cities ORDER BY name")]
    linked = {(a, b) for a, b in db.execute("SELECT from_city, to_city FROM inter_city_transport")}
    # move the last day to a city not reachable from the day before, with that city's venues
    for city in cities:
        if city not in route and (route[-2], city) not in linked:
            venue = lambda table: db.execute(f"SELECT name FROM {table} WHERE city=? ORDER BY name", (city,)).fetchone()[0]  # noqa: E731
            moved = edit(answer, len(answer) - 1, city=city, hotel=venue("hotels"),
                         afternoon_attraction=venue("attractions"))
            assert "cities.connected" in failing(case, moved)
            return
    pytest.skip("every city is reachable in this draw")


def test_exploit_venue_from_another_city(case):
    run, record, answer = case
    db = db_of(case)
    other = db.execute("SELECT name FROM hotels WHERE city != ? ORDER BY name", (answer[0]["city"],)).fetchone()[0]
    assert "venue_city" in failing(case, edit(answer, 0, hotel=other))


def test_exploit_same_restaurant_for_lunch_and_dinner(case):
    answer = case[2]
    assert "no_repeat" in failing(case, edit(answer, 0, evening_restaurant=answer[0]["afternoon_restaurant"]))


def test_exploit_outdoor_attraction_in_the_rain(tmp_path):
    run = Run.create(tmp_path / "r")
    for index in range(40):
        record = family("general").build_tuple(run, "trip_planning", 11, index, 5)
        answer = json.loads(gold_trajectory(record, run).submission)
        db = load_db(run.read_asset(record.environment.state["db"]))
        for day, d in enumerate(answer):
            rainy = db.execute("SELECT condition FROM weather WHERE city=? AND date=?", (d["city"], d["time"])).fetchone()[0]
            outdoor = db.execute("SELECT name FROM attractions WHERE city=? AND indoor=0 ORDER BY name", (d["city"],)).fetchone()
            if rainy == "rainy" and outdoor:
                failed = failing((run, record, answer), edit(answer, day, afternoon_attraction=outdoor[0]))
                assert "rain_rule" in failed
                return
    raise AssertionError("no rainy day with an outdoor attraction in 40 tuples")


def test_exploit_cheap_hotel_that_breaks_the_rating_floor(case):
    run, record, answer = case
    db = db_of(case)
    floor = record.task.metadata["min_hotel_rating"]
    low = db.execute("SELECT name FROM hotels WHERE city=? AND rating<? ORDER BY name", (answer[0]["city"], floor)).fetchone()
    if low is None:
        pytest.skip("no low-rated hotel in this city")
    assert "hotel_rating" in failing(case, edit(answer, 0, hotel=low[0]))


def test_exploit_too_many_days_does_not_crash_the_verifier(case):
    answer = case[2] * 2000
    assert "days" in failing(case, answer)


def test_prompt_states_every_rule(case):
    run, record, answer = case
    params = record.task.metadata
    prompt = record.task.prompt
    assert params["start_city"] in prompt and str(params["budget"]) in prompt
    for day in params["rule_days"]:
        assert f"Day {day}:" in prompt
    assert "rainy" in prompt and str(params["min_hotel_rating"]) in prompt
