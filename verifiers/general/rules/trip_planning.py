"""trip_planning's domain rules: what the generator plants, the gold solver searches for and the
checker grades, written once.

Sits under the trip_planning checker (`synth.verifiers.general.trip_planning`) and the category's
generator, gold solver and perturbations (`synth.environments.general.trip_planning`). Pure
functions and constants over plain values (opening-hours text, prices, ratings): no database, no
randomness, standard library only, so grading and generation cannot drift apart.

- Opening hours are text like '11:00-14:00, 17:00-22:00'; a venue is open at a minute inside one of
  its windows (start included, end excluded), and open through an interval held by one window.
- The lunch restaurant is used at 12:30, the dinner restaurant at 19:00 and the attraction for the
  whole of 14:00-16:00.
- A rule day's conditional rule depends on the tier of that day's hotel price (`tier_of`): high
  needs lunch+dinner average prices under the cap, both rated at least the floor and a ticket
  under the cap; mid needs one restaurant at the floor and a ticket under the cap; low needs one
  restaurant at the floor; below low there is no rule.
- A day costs its hotel price, both restaurants' average prices and the attraction ticket.
- The cheapest day a city allows (`cheapest_day`) is the cheapest eligible hotel plus, for that
  hotel's tier, the cheapest valid restaurant pair and the cheapest valid attraction: the rule
  splits into a restaurant part and a ticket part, so they can be chosen apart.
"""

from __future__ import annotations

import functools
from typing import Any

from . import ascii_int

LUNCH, DINNER = (12 * 60 + 30), (19 * 60)
"""Minutes after midnight at which the afternoon and the evening restaurant are used."""
AFTERNOON = (14 * 60, 16 * 60)
"""The afternoon attraction's visit, start and end in minutes (it must be open for all of it)."""
RAINY = "rainy"
"""The forecast condition under which the rain rule asks for an indoor attraction."""


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return ascii_int(hours) * 60 + ascii_int(minutes)


@functools.lru_cache(maxsize=4096)
def open_windows(hours: str) -> tuple[tuple[int, int], ...]:
    """'11:00-14:00, 17:00-22:00' -> [(660, 840), (1020, 1320)]."""
    out = []
    for part in hours.split(","):
        start, end = part.strip().split("-")
        out.append((_minutes(start), _minutes(end)))
    return tuple(out)


def open_at(hours: str, minute: int) -> bool:
    """Whether a venue with opening hours `hours` is open at `minute` (after midnight)."""
    return any(start <= minute < end for start, end in open_windows(hours))


def open_through(hours: str, start: int, end: int) -> bool:
    """Whether one opening window of `hours` holds the whole of [start, end] (minutes)."""
    return any(a <= start and end <= b for a, b in open_windows(hours))


def tier_of(price: int, tiers: dict[str, dict[str, Any]]) -> str | None:
    """The tier ('high', 'mid', 'low' or None below low) of a hotel's nightly price."""
    if price >= tiers["high"]["hotel"]:
        return "high"
    if price >= tiers["mid"]["hotel"]:
        return "mid"
    if price >= tiers["low"]["hotel"]:
        return "low"
    return None


def meals_ok(tier: str | None, tiers: dict[str, Any], lunch: dict[str, Any], dinner: dict[str, Any]) -> bool:
    """The restaurant half of the conditional day rule for a hotel tier."""
    if tier is None:
        return True
    rule = tiers[tier]
    if tier == "high":
        return (
            lunch["avg_price"] + dinner["avg_price"] < rule["meal_cap"]
            and min(lunch["rating"], dinner["rating"]) >= rule["rating"]
        )
    return max(lunch["rating"], dinner["rating"]) >= rule["rating"]


def ticket_ok(tier: str | None, tiers: dict[str, Any], ticket: int) -> bool:
    """The attraction half of the conditional day rule for a hotel tier."""
    return tier not in ("high", "mid") or ticket < tiers[tier]["ticket"]


def rule_holds(tier: str | None, tiers: dict[str, Any], lunch: dict[str, Any], dinner: dict[str, Any], ticket: int) -> bool:
    """The conditional day rule for a hotel tier, over the two restaurants and the ticket."""
    return meals_ok(tier, tiers, lunch, dinner) and ticket_ok(tier, tiers, ticket)


def day_cost(hotel_price: int, lunch_price: int, dinner_price: int, ticket: int) -> int:
    """What one day adds to the trip's total budget."""
    return hotel_price + lunch_price + dinner_price + ticket


Day = tuple[int, dict[str, str]]
"""(cost, {hotel, afternoon_restaurant, afternoon_attraction, evening_restaurant}) of one day."""


def cheapest_day(hotels: list[dict[str, Any]], restaurants: list[dict[str, Any]], attractions: list[dict[str, Any]],
                 *, rainy: bool, min_rating: float | None, tiers: dict[str, Any] | None) -> Day | None:
    """The cheapest day in a city whose venues are these rows (hotels: name, price, rating;
    restaurants: name, avg_price, opening_hours; attractions: name, ticket, opening_hours, indoor)
    that keeps the opening hours, the rating floor `min_rating`, the rain rule when `rainy`, and the
    conditional day rule of `tiers` (None: the day has no rule); None if there is none."""
    lunches = [r for r in restaurants if open_at(r["opening_hours"], LUNCH)]
    dinners = [r for r in restaurants if open_at(r["opening_hours"], DINNER)]
    sights = [a for a in attractions if open_through(a["opening_hours"], *AFTERNOON) and (not rainy or a["indoor"])]
    by_tier: dict[str | None, tuple[tuple[int, str, str], tuple[int, str]] | None] = {}

    def cheapest_for(tier: str | None) -> tuple[tuple[int, str, str], tuple[int, str]] | None:
        if tier not in by_tier:
            pair = min(((lu["avg_price"] + di["avg_price"], lu["name"], di["name"]) for lu in lunches for di in dinners
                        if lu["name"] != di["name"] and (tiers is None or meals_ok(tier, tiers, lu, di))), default=None)
            sight = min(((a["ticket"], a["name"]) for a in sights
                         if tiers is None or ticket_ok(tier, tiers, a["ticket"])), default=None)
            by_tier[tier] = None if pair is None or sight is None else (pair, sight)
        return by_tier[tier]

    found: Day | None = None
    for hotel in sorted(hotels, key=lambda h: (h["price"], h["name"])):
        if found is not None and hotel["price"] >= found[0]:
            break  # every later hotel alone costs at least the best day found
        if min_rating and hotel["rating"] < min_rating:
            continue
        option = cheapest_for(tier_of(hotel["price"], tiers) if tiers is not None else None)
        if option is None:
            continue
        (meal, lunch_name, dinner_name), (ticket, sight_name) = option
        cost = hotel["price"] + meal + ticket  # day_cost, with the pair's two prices already summed
        if found is None or cost < found[0]:
            found = (cost, {"hotel": hotel["name"], "afternoon_restaurant": lunch_name,
                            "afternoon_attraction": sight_name, "evening_restaurant": dinner_name})
    return found
