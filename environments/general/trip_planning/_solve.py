"""trip_planning's gold solver: a plan found with tool calls only, never from the database.

Sits under the category (`__init__.py` calls `solve`). It sees the task params and a ToolClient,
nothing else (it does not know the planted plan), so it may submit a different valid plan. The
search: for each (city, day) the cheapest valid day (the cheapest eligible hotel plus, for that
hotel's tier, the cheapest valid restaurant pair and the cheapest valid attraction, which the rule
lets it choose apart), then a depth-first search over reachable unvisited cities within the budget.
It applies the same rules as the checker (`synth.verifiers.general.rules.trip_planning`).
"""

from __future__ import annotations

from typing import Any

from synth import ToolClient
from synth.verifiers.general.rules.trip_planning import (
    AFTERNOON, DINNER, LUNCH, RAINY, meals_ok, open_at, open_through, ticket_ok, tier_of,
)

from .._base import answer_text


def solve(client: ToolClient, params: dict[str, Any]) -> None:
    """Find a plan through the tools and submit it with client.submit_result."""
    tiers = params["tiers"]
    dates = params["dates"]
    start = params["start_city"]
    venues: dict[str, tuple[list, list, list]] = {}
    best: dict[tuple[str, int], tuple[int, dict[str, str]] | None] = {}
    neighbours: dict[str, list[str]] = {}

    def city_venues(city: str) -> tuple[list, list, list]:
        if city not in venues:
            venues[city] = (
                client.get_all_hotels_by_city(city=city),
                client.get_all_restaurants_by_city(city=city),
                client.get_all_attractions_by_city(city=city),
            )
        return venues[city]

    def cheapest_day(city: str, day: int) -> tuple[int, dict[str, str]] | None:
        """Cheapest (hotel, lunch, dinner, attraction) for `city` on day `day` (1-based)."""
        if (city, day) in best:
            return best[(city, day)]
        hotel_list, restaurant_list, attraction_list = city_venues(city)
        rainy = params["rain_rule"] and client.get_weather_by_city_date(city=city, date=dates[day - 1])["condition"] == RAINY
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

        found: tuple[int, dict[str, str]] | None = None
        for hotel in sorted(hotel_list, key=lambda h: (h["price"], h["name"])):
            if params["min_hotel_rating"] and hotel["rating"] < params["min_hotel_rating"]:
                continue
            tier = tier_of(hotel["price"], tiers) if day in params["rule_days"] else None
            option = cheapest_for(tier)
            if option is None:
                continue
            (meal, lunch_name, dinner_name), (ticket, sight_name) = option
            cost = hotel["price"] + meal + ticket  # day_cost, with the pair's two prices already summed
            if found is None or cost < found[0]:
                found = (cost, {"hotel": hotel["name"], "afternoon_restaurant": lunch_name,
                                "afternoon_attraction": sight_name, "evening_restaurant": dinner_name})
        best[(city, day)] = found
        return found

    def reachable(city: str) -> list[str]:
        if city not in neighbours:
            neighbours[city] = sorted({c["to_city"] for c in client.get_inter_city_transport(from_city=city)})
        return neighbours[city]

    budget = params["budget"]
    result: list[tuple[str, dict[str, str]]] | None = None

    def search(path: list[str], cost: int, plan: list[tuple[str, dict[str, str]]]) -> bool:
        nonlocal result
        day = len(plan) + 1
        if day > params["days"]:
            result = list(plan)
            return True
        for city in reachable(path[-1]):
            if city == start or city in path:
                continue
            option = cheapest_day(city, day)
            if option is None or (budget is not None and cost + option[0] > budget):
                continue
            plan.append((city, option[1]))
            if search(path + [city], cost + option[0], plan):
                return True
            plan.pop()
        return False

    if not search([start], 0, []):
        raise RuntimeError("no plan satisfies the constraints")
    assert result is not None
    answer = [{"time": date, "city": city, **choice} for date, (city, choice) in zip(dates, result)]
    client.submit_result(answer_text=answer_text(answer))
