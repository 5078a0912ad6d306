"""trip_planning's baseline agents: cheap strategies a hard trip must defeat (the verify gate).

Sits under the category (`GeneralCategory.baselines` reads `BASELINES`). Each agent has the gold
solver's interface (a ToolClient and the task params, tool calls only) and reads the world through
the gold solver's `TripView`; none of them backtracks. When one is stuck it submits the days it has.

- `greedy`: first fit over every stated rule: each day, the first reachable new city in name order
  whose cheapest rule-keeping day still fits the budget left.
- `cheapest`: each day, the reachable new city whose cheapest day costs least, keeping opening
  hours, the rating floor and the rain rule but ignoring the conditional rules and the budget.
- `cheapest_valid`: the same choice among days that keep every rule (myopic: the budget is checked
  only for the running total).
- `route`: the generator's graph leak: the first chain of new cities through the connection graph
  (depth-first, name order), then the cheapest rule-keeping day in each; the budget is not searched.
- `random_walk`: each day a new reachable city drawn at random (seeded by the task) among those with
  a rule-keeping day within the budget left: what committing day by day is worth when no order is
  favoured, the measure of the maze itself rather than of any one habit.
"""

from __future__ import annotations

import random
from typing import Any, Callable

from synth import ToolClient

from ._solve import Day, TripView

Plan = list[tuple[str, dict[str, str]]]


def _day_by_day(client: ToolClient, params: dict[str, Any], pick: Callable[[TripView, list[str], int, int], tuple[str, Day] | None]) -> None:
    """Build the plan one day at a time with `pick(view, path, day, spent)` -> (city, day) or None."""
    view = TripView(client, params)
    path, plan, spent = [view.start], [], 0
    for day in range(1, params["days"] + 1):
        choice = pick(view, path, day, spent)
        if choice is None:
            break
        city, (cost, venues) = choice
        path.append(city)
        plan.append((city, venues))
        spent += cost
    view.submit(plan)


def _new_cities(view: TripView, path: list[str]) -> list[str]:
    return [c for c in view.reachable(path[-1]) if c != view.start and c not in path]


def greedy(client: ToolClient, params: dict[str, Any]) -> None:
    """First fit: the first reachable new city (name order) with a rule-keeping day within the budget left."""
    budget = params["budget"]

    def pick(view: TripView, path: list[str], day: int, spent: int) -> tuple[str, Day] | None:
        for city in _new_cities(view, path):
            option = view.cheapest_day(city, day)
            if option is not None and (budget is None or spent + option[0] <= budget):
                return city, option
        return None

    _day_by_day(client, params, pick)


def _cheapest_pick(conditional: bool) -> Callable[[TripView, list[str], int, int], tuple[str, Day] | None]:
    def pick(view: TripView, path: list[str], day: int, spent: int) -> tuple[str, Day] | None:
        options = [(option[0], city, option) for city in _new_cities(view, path)
                   if (option := view.cheapest_day(city, day, conditional)) is not None]
        if not options:
            return None
        _, city, option = min(options, key=lambda o: (o[0], o[1]))
        return city, option

    return pick


def cheapest(client: ToolClient, params: dict[str, Any]) -> None:
    """The cheapest day each day; conditional rules and budget ignored."""
    _day_by_day(client, params, _cheapest_pick(conditional=False))


def cheapest_valid(client: ToolClient, params: dict[str, Any]) -> None:
    """The cheapest rule-keeping day each day, with no look-ahead at the budget."""
    _day_by_day(client, params, _cheapest_pick(conditional=True))


def route(client: ToolClient, params: dict[str, Any]) -> None:
    """The first chain of `days` new cities in the connection graph, then each city's cheapest
    rule-keeping day."""
    view = TripView(client, params)

    def chain(path: list[str]) -> list[str] | None:
        if len(path) > params["days"]:
            return path
        for city in _new_cities(view, path):
            found = chain(path + [city])
            if found is not None:
                return found
        return None

    cities = (chain([view.start]) or [view.start])[1:]
    plan: Plan = []
    for day, city in enumerate(cities, start=1):
        option = view.cheapest_day(city, day)
        if option is None:
            break
        plan.append((city, option[1]))
    view.submit(plan)


def random_walk(client: ToolClient, params: dict[str, Any]) -> None:
    """Each day a random new reachable city with a rule-keeping day within the budget left."""
    budget = params["budget"]
    rng = random.Random(f"{params['start_city']}:{params['start_date']}")

    def pick(view: TripView, path: list[str], day: int, spent: int) -> tuple[str, Day] | None:
        options = [(city, option) for city in _new_cities(view, path)
                   if (option := view.cheapest_day(city, day)) is not None and (budget is None or spent + option[0] <= budget)]
        return rng.choice(options) if options else None

    _day_by_day(client, params, pick)


BASELINES = {"greedy": greedy, "cheapest": cheapest, "cheapest_valid": cheapest_valid, "route": route,
             "random_walk": random_walk}
