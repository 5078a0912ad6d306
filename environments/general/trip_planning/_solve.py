"""trip_planning's gold solver: a plan found with tool calls only, never from the database.

Sits under the category (`__init__.py` calls `solve`; the baseline agents in `_baselines` read the
world through the same `TripView`). It sees the task params and a ToolClient, nothing else (it does
not know the planted plan), so it may submit a different valid plan. The search: for each (city,
day) the cheapest valid day (the cheapest eligible hotel plus, for that hotel's tier, the cheapest
valid restaurant pair and the cheapest valid attraction, which the rule lets it choose apart), then
a depth-first search over reachable unvisited cities within the budget. Days in different cities
share no venue, so the cheapest valid day per (city, day) makes the search complete. It applies
the same rules as the checker (`synth.verifiers.general.rules.trip_planning`).
"""

from __future__ import annotations

from typing import Any

from synth import ToolClient
from synth.verifiers.general.rules.trip_planning import (
    AFTERNOON, DINNER, LUNCH, RAINY, meals_ok, open_at, open_through, ticket_ok, tier_of,
)

from .._base import answer_text

Day = tuple[int, dict[str, str]]
"""(cost, {hotel, afternoon_restaurant, afternoon_attraction, evening_restaurant}) of one day."""


class TripView:
    """What an agent learns through the tools, fetched once: each city's venues, forecasts and
    departures, and the cheapest day a city allows under the task's rules."""

    def __init__(self, client: ToolClient, params: dict[str, Any]) -> None:
        self.client, self.params = client, params
        self.tiers, self.dates, self.start = params["tiers"], params["dates"], params["start_city"]
        self._venues: dict[str, tuple[list, list, list]] = {}
        self._best: dict[tuple[str, int, bool], Day | None] = {}
        self._neighbours: dict[str, list[str]] = {}

    def venues(self, city: str) -> tuple[list, list, list]:
        """(hotels, restaurants, attractions) of a city as the tools list them."""
        if city not in self._venues:
            self._venues[city] = (
                self.client.get_all_hotels_by_city(city=city),
                self.client.get_all_restaurants_by_city(city=city),
                self.client.get_all_attractions_by_city(city=city),
            )
        return self._venues[city]

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
        day's conditional rule; None if there is none."""
        key = (city, day, conditional)
        if key in self._best:
            return self._best[key]
        params, tiers = self.params, self.tiers
        hotel_list, restaurant_list, attraction_list = self.venues(city)
        rainy = self.rainy(city, day)
        lunches = [r for r in restaurant_list if open_at(r["opening_hours"], LUNCH)]
        dinners = [r for r in restaurant_list if open_at(r["opening_hours"], DINNER)]
        sights = [a for a in attraction_list if open_through(a["opening_hours"], *AFTERNOON) and (not rainy or a["indoor"])]
        # the rule splits into a restaurant part and a ticket part, so the cheapest day is the
        # cheapest hotel plus, for its tier, the cheapest valid pair and the cheapest valid sight
        by_tier: dict[str | None, tuple[tuple[int, str, str], tuple[int, str]] | None] = {}

        def cheapest_for(tier: str | None) -> tuple[tuple[int, str, str], tuple[int, str]] | None:
            if tier not in by_tier:
                pair = min(((lu["avg_price"] + di["avg_price"], lu["name"], di["name"]) for lu in lunches for di in dinners
                            if lu["name"] != di["name"] and meals_ok(tier, tiers, lu, di)), default=None)
                sight = min(((a["ticket"], a["name"]) for a in sights if ticket_ok(tier, tiers, a["ticket"])), default=None)
                by_tier[tier] = None if pair is None or sight is None else (pair, sight)
            return by_tier[tier]

        found: Day | None = None
        for hotel in sorted(hotel_list, key=lambda h: (h["price"], h["name"])):
            if found is not None and hotel["price"] >= found[0]:
                break  # every later hotel alone costs at least the best day found
            if params["min_hotel_rating"] and hotel["rating"] < params["min_hotel_rating"]:
                continue
            tier = tier_of(hotel["price"], tiers) if conditional and day in params["rule_days"] else None
            option = cheapest_for(tier)
            if option is None:
                continue
            (meal, lunch_name, dinner_name), (ticket, sight_name) = option
            cost = hotel["price"] + meal + ticket  # day_cost, with the pair's two prices already summed
            if found is None or cost < found[0]:
                found = (cost, {"hotel": hotel["name"], "afternoon_restaurant": lunch_name,
                                "afternoon_attraction": sight_name, "evening_restaurant": dinner_name})
        self._best[key] = found
        return found

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
