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
"""

from __future__ import annotations

import functools
from typing import Any

LUNCH, DINNER = (12 * 60 + 30), (19 * 60)
"""Minutes after midnight at which the afternoon and the evening restaurant are used."""
AFTERNOON = (14 * 60, 16 * 60)
"""The afternoon attraction's visit, start and end in minutes (it must be open for all of it)."""
RAINY = "rainy"
"""The forecast condition under which the rain rule asks for an indoor attraction."""


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


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
