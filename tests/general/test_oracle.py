"""trip_planning's generate-then-solve generator (issue 18): the oracle's answer is the only plan
within the budget (checked here by brute force, apart from CP-SAT), the gold solver must find it at
generation, the task records the oracle's effort and never the answer, and items stay pure."""

from __future__ import annotations

import json

import pytest

from synth import GenerationError, Run, category, family, gold_trajectory
from synth.environments.general import item_rng
from synth.environments.general.trip_planning import _build
from synth.verifiers.general.rules.trip_planning import RAINY, cheapest_day

CAT = "trip_planning"


def every_plan_within_budget(built) -> list[list[str]]:
    """Brute force, apart from the oracle: every route (one new reachable city a day, never the start)
    whose days' cheapest valid costs sum to at most the budget, read from the database."""
    db, p = built.db, built.params
    cities = [r[0] for r in db.execute("SELECT name FROM cities ORDER BY name")]
    edges = set(db.execute("SELECT from_city, to_city FROM inter_city_transport").fetchall())
    rainy = {(c, d) for c, d, w in db.execute("SELECT city, date, condition FROM weather") if w == RAINY}
    cost = {}
    for city in cities:
        hotels = [dict(zip(("name", "price", "rating"), r)) for r in
                  db.execute("SELECT name, price, rating FROM hotels WHERE city=?", (city,))]
        restaurants = [dict(zip(("name", "avg_price", "rating", "opening_hours"), r)) for r in
                       db.execute("SELECT name, avg_price, rating, opening_hours FROM restaurants WHERE city=?", (city,))]
        attractions = [dict(zip(("name", "ticket", "opening_hours", "indoor"), r)) for r in
                       db.execute("SELECT name, ticket, opening_hours, indoor FROM attractions WHERE city=?", (city,))]
        for day, date in enumerate(p["dates"], start=1):
            found = cheapest_day(hotels, restaurants, attractions, rainy=p["rain_rule"] and (city, date) in rainy,
                                 min_rating=p["min_hotel_rating"], tiers=p["tiers"] if day in p["rule_days"] else None)
            if found is not None:
                cost[city, day] = found[0]
    plans = []

    def dfs(path: list[str], spent: int) -> None:
        day = len(path)
        if day > p["days"]:
            plans.append(path[1:])
            return
        for city in cities:
            if (path[-1], city) in edges and city not in path and (city, day) in cost and spent + cost[city, day] <= p["budget"]:
                dfs(path + [city], spent + cost[city, day])

    dfs([p["start_city"]], 0)
    return plans


@pytest.mark.parametrize("difficulty", [1, 3, 5])
def test_the_oracles_plan_is_the_only_one_within_the_budget(difficulty):
    for index in range(4):
        built = category("general", CAT).build(item_rng(CAT, 7, index, difficulty), difficulty)
        plans = every_plan_within_budget(built)
        assert plans == [[day["city"] for day in built.answer]], (index, plans[:3])


def test_the_task_records_the_oracles_effort_and_never_its_answer(tmp_path):
    run = Run.create(tmp_path / "r")
    record = family("general").build_tuple(run, CAT, 7, 0, 3)
    effort = record.task.metadata["oracle"]
    assert set(effort) == {"solves", "branches", "conflicts", "booleans"} and effort["solves"] == 2
    gold = gold_trajectory(record, run)
    assert gold.verdict.status == "pass"
    dumped = json.dumps(record.model_dump(mode="json"))
    assert json.loads(gold.submission)[0]["hotel"] not in dumped  # the answer is nowhere in the tuple


def test_a_gold_solver_that_misses_the_oracles_answer_stops_generation(tmp_path, monkeypatch):
    from synth.environments.general.trip_planning import _solve

    def wrong(client, params):
        client.submit_result(answer_text="[]")

    monkeypatch.setattr(_solve, "solve", wrong)
    with pytest.raises(GenerationError, match="the gold solver found"):
        family("general").build_tuple(Run.create(tmp_path / "r"), CAT, 7, 0, 3)


def test_levels_grow_and_the_budget_binds():
    built = {d: category("general", CAT).build(item_rng(CAT, 7, 0, d), d) for d in (1, 3, 5)}
    sizes = [(_build.LEVELS[d].days, _build.LEVELS[d].cities, _build.LEVELS[d].degree) for d in (1, 3, 5)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3
    for b in built.values():
        assert b.params["budget"] == sum(
            b.db.execute("SELECT price FROM hotels WHERE name=?", (d["hotel"],)).fetchone()[0]
            + b.db.execute("SELECT avg_price FROM restaurants WHERE name=?", (d["afternoon_restaurant"],)).fetchone()[0]
            + b.db.execute("SELECT avg_price FROM restaurants WHERE name=?", (d["evening_restaurant"],)).fetchone()[0]
            + b.db.execute("SELECT ticket FROM attractions WHERE name=?", (d["afternoon_attraction"],)).fetchone()[0]
            for d in b.answer)
