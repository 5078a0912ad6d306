"""trip_planning's gold solver: a plan found with tool calls only, never from the database.

Sits under the category (`__init__.py` calls `solve`; the baseline agents in `_baselines` read the
world through the same `TripView`). It sees the task params and a ToolClient, nothing else (it does
not know the planted plan), so it may submit a different valid plan. The search: for each (city,
day) the cheapest valid day (`rules.cheapest_day`), then a depth-first search over reachable
unvisited cities within the budget, which skips a city with no valid next day before asking
anything about the city itself (the maze's decoys cost one call each). Days in different cities share no venue, so the cheapest valid
day per (city, day) makes the search complete. It applies the same rules as the checker
(`synth.verifiers.general.rules.trip_planning`).
"""

from __future__ import annotations

from typing import Any

from synth import ToolClient
from synth.verifiers.general.rules.trip_planning import (
    AFTERNOON, DINNER, LUNCH, RAINY, Day, cheapest_day, open_at, open_through,
)

from .._base import answer_text


class TripView:
    """What an agent learns through the tools, fetched once and only when needed: each city's
    venues, forecasts and departures, and the cheapest day a city allows under the task's rules."""

    def __init__(self, client: ToolClient, params: dict[str, Any]) -> None:
        self.client, self.params = client, params
        self.tiers, self.dates, self.start = params["tiers"], params["dates"], params["start_city"]
        self._lists: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._best: dict[tuple[str, int, bool], Day | None] = {}
        self._neighbours: dict[str, list[str]] = {}

    def _list(self, kind: str, city: str) -> list[dict[str, Any]]:
        key = (kind, city)
        if key not in self._lists:
            self._lists[key] = getattr(self.client, f"get_all_{kind}_by_city")(city=city)
        return self._lists[key]

    def venues(self, city: str) -> tuple[list, list, list]:
        """(hotels, restaurants, attractions) of a city as the tools list them."""
        return self._list("hotels", city), self._list("restaurants", city), self._list("attractions", city)

    def reachable(self, city: str) -> list[str]:
        """Cities with a scheduled connection from `city`, in name order."""
        if city not in self._neighbours:
            self._neighbours[city] = sorted({c["to_city"] for c in self.client.get_inter_city_transport(from_city=city)})
        return self._neighbours[city]

    def rainy(self, city: str, day: int) -> bool:
        return bool(self.params["rain_rule"]) and self.client.get_weather_by_city_date(
            city=city, date=self.dates[day - 1])["condition"] == RAINY

    def cheapest_day(self, city: str, day: int, conditional: bool = True) -> Day | None:
        """Cheapest (hotel, lunch, dinner, attraction) for `city` on day `day` (1-based) that keeps
        the opening hours, the hotel rating floor and the rain rule, and, if `conditional`, the
        day's conditional rule; None if there is none. Asks only what it needs: restaurants first
        (a city with no lunch or no dinner service needs nothing else), the forecast only when the
        cheapest day would be spent outdoors."""
        key = (city, day, conditional)
        if key not in self._best:
            self._best[key] = self._cheapest(city, day, conditional)
        return self._best[key]

    def may_host(self, city: str) -> bool:
        """A necessary condition for a valid day in `city` on any day, from restaurants and
        attractions alone: lunch and dinner service and an attraction open all afternoon."""
        restaurants = self._list("restaurants", city)
        if not any(open_at(r["opening_hours"], LUNCH) for r in restaurants) \
                or not any(open_at(r["opening_hours"], DINNER) for r in restaurants):
            return False
        return any(open_through(a["opening_hours"], *AFTERNOON) for a in self._list("attractions", city))

    def _cheapest(self, city: str, day: int, conditional: bool) -> Day | None:
        if not self.may_host(city):
            return None
        restaurants, attractions = self._list("restaurants", city), self._list("attractions", city)
        hotels = self._list("hotels", city)
        floor = self.params["min_hotel_rating"]
        if floor and not any(h["rating"] >= floor for h in hotels):
            return None
        tiers = self.tiers if conditional and day in self.params["rule_days"] else None
        found = cheapest_day(hotels, restaurants, attractions, rainy=False, min_rating=floor, tiers=tiers)
        if found is None or not self.params["rain_rule"] or self._indoor(city, found[1]["afternoon_attraction"]):
            return found
        if not self.rainy(city, day):
            return found
        return cheapest_day(hotels, restaurants, attractions, rainy=True, min_rating=floor, tiers=tiers)

    def _indoor(self, city: str, attraction: str) -> bool:
        return any(a["name"] == attraction and a["indoor"] for a in self._list("attractions", city))

    def submit(self, plan: list[tuple[str, dict[str, str]]]) -> None:
        """Submit the plan's days (city, choice) in order, dated from the task's first date."""
        answer = [{"time": date, "city": city, **choice} for date, (city, choice) in zip(self.dates, plan)]
        self.client.submit_result(answer_text=answer_text(answer))


def solve(client: ToolClient, params: dict[str, Any]) -> None:
    """Find a plan through the tools and submit it with client.submit_result."""
    view = TripView(client, params)
    budget = params["budget"]
    result: list[tuple[str, dict[str, str]]] | None = None

    def search(path: list[str], cost: int, plan: list[tuple[str, dict[str, str]]]) -> bool:
        nonlocal result
        day = len(plan) + 1
        if day > params["days"]:
            result = list(plan)
            return True
        for city in view.reachable(path[-1]):
            if city == view.start or city in path:
                continue
            if day < params["days"] and not any(
                    n != view.start and n not in path and n != city and view.cheapest_day(n, day + 1) is not None
                    for n in view.reachable(city)):
                continue  # a dead end: no next day from here (checked before this city's own day)
            option = view.cheapest_day(city, day)
            if option is None or (budget is not None and cost + option[0] > budget):
                continue
            plan.append((city, option[1]))
            if search(path + [city], cost + option[0], plan):
                return True
            plan.pop()
        return False

    if not search([view.start], 0, []):
        raise RuntimeError("no plan satisfies the constraints")
    assert result is not None
    view.submit(result)
