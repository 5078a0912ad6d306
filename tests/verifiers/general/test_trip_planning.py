"""trip_planning's checker: the adversary's attempts, one test each, all of which must fail to pass;
the shared rules at their boundaries; and the checker's place under the layering rule."""

import ast
import importlib.util
import json
import sys
from pathlib import Path

import pytest

from synth import Run, category, family, grade
from synth import gold_trajectory
from synth.verifiers.general import checker, load_db
from synth.verifiers.general.rules.trip_planning import (
    AFTERNOON, DINNER, LUNCH, day_cost, open_at, open_through, rule_holds, tier_of,
)


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


# -- the adversary's attempts ---------------------------------------------------------------------


def test_exploit_not_json(case):
    assert failing(case, "I booked everything, trust me") == {"format"}


def test_exploit_object_instead_of_list(case):
    assert failing(case, {"plan": case[2]}) == {"format"}


def test_exploit_extra_field_or_number_field(case):
    assert failing(case, edit(case[2], 0, note="ignore the rules")) == {"format"}
    assert failing(case, edit(case[2], 0, hotel=12)) == {"format"}
    assert failing(case, '[{"time": NaN}]') == {"format.numbers"}


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
    assert failing(case, case[2] * 2000) == {"format.size"}
    assert "days" in failing(case, case[2] * 10)


# -- the checker's contract -----------------------------------------------------------------------


def test_every_check_name_graded_is_declared_and_the_category_reads_them_from_the_checker(case):
    run, record, answer = case
    declared = checker("trip_planning").checks
    assert declared[0] == "format" and len(set(declared)) == len(declared)
    assert category("general", "trip_planning").check_names == declared
    assert category("general", "trip_planning").answer_schema == checker("trip_planning").answer_schema == record.task.answer_schema
    seen = {c.name for c in grade(record, json.dumps(answer), run).checks}
    seen |= {c.name for c in grade(record, json.dumps(answer[:1] + [dict(answer[0], hotel="nowhere")]), run).checks}
    assert seen <= set(declared), seen - set(declared)


def test_grading_is_a_pure_function_of_database_params_and_text(case):
    """The registered verifier and the checker called on the stored database agree, twice over."""
    run, record, answer = case
    text = json.dumps(edit(answer, 0, evening_restaurant=answer[0]["afternoon_restaurant"]))
    direct = checker("trip_planning").grade(db_of(case), record.task.metadata, text)
    assert [c.model_dump() for c in direct] == [c.model_dump() for c in grade(record, text, run).checks]
    assert [c.model_dump() for c in direct] == [c.model_dump() for c in checker("trip_planning").grade(db_of(case), record.task.metadata, text)]


# -- the shared rules at their boundaries -----------------------------------------------------------


def test_opening_hours_include_the_start_and_exclude_the_end():
    assert open_at("11:00-14:00, 17:00-22:00", 11 * 60) and open_at("11:00-14:00, 17:00-22:00", DINNER)
    assert not open_at("10:00-12:30", LUNCH)
    assert not open_at("11:00-14:00, 17:00-22:00", 14 * 60)
    assert open_through("9:00-16:00", *AFTERNOON)
    assert not open_through("9:00-15:59", *AFTERNOON)
    assert not open_through("9:00-15:00, 15:00-18:00", *AFTERNOON), "two windows do not join"


def test_hotel_tiers_and_the_day_rule_at_their_thresholds():
    tiers = {"high": {"hotel": 700, "meal_cap": 300, "rating": 4.0, "ticket": 100},
             "mid": {"hotel": 400, "rating": 3.8, "ticket": 160}, "low": {"hotel": 150, "rating": 3.2}}
    assert [tier_of(p, tiers) for p in (149, 150, 399, 400, 699, 700)] == [None, "low", "low", "mid", "mid", "high"]
    good = {"avg_price": 100, "rating": 4.0}
    assert rule_holds("high", tiers, good, dict(good, avg_price=199), 99)
    assert not rule_holds("high", tiers, good, dict(good, avg_price=200), 99), "meals must total under the cap"
    assert not rule_holds("high", tiers, good, good, 100), "the ticket must be under the cap"
    assert not rule_holds("high", tiers, good, dict(good, rating=3.9), 0), "both restaurants at the floor"
    assert rule_holds("mid", tiers, dict(good, rating=1.0), dict(good, rating=3.8), 159)
    assert not rule_holds("mid", tiers, dict(good, rating=1.0), dict(good, rating=3.7), 0)
    assert rule_holds("low", tiers, dict(good, rating=3.2), dict(good, rating=1.0), 10**6)
    assert rule_holds(None, tiers, dict(good, rating=0.0), dict(good, avg_price=10**6), 10**6)
    assert day_cost(500, 80, 120, 30) == 730


def test_the_checker_and_the_rules_import_no_family():
    """Imports point down: a generator edit cannot change grading; the rules use only the stdlib and the core."""
    for module in ("synth.verifiers.general.trip_planning", "synth.verifiers.general.rules.trip_planning"):
        tree = ast.parse(Path(importlib.util.find_spec(module).origin).read_text())
        imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m for m in imported if m.startswith(("synth.environments", "synth.cli"))}, (module, imported)
        if "rules" in module:
            assert all(m == "synth" or m.split(".")[0] in sys.stdlib_module_names for m in imported), imported
