"""trip_planning's null controls: edits of the gold plan, each meant to break one named check.

Sits under the category (`__init__.py` calls `perturb`). The controls are not filtered through the
checker, so an edit the checker misses shows up as an unsound control rather than disappearing.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from typing import Any

from synth import Control
from synth.verifiers.general.rules.trip_planning import LUNCH, day_cost, open_at

from .._base import answer_text


def perturb(db: sqlite3.Connection, params: dict[str, Any], answer: Any, rng: random.Random) -> list[Control]:
    """Edits of the gold `answer`: another city's attraction, one restaurant twice, shifted dates, an
    invented hotel, a closed lunch place, a broken rule day and, with a budget, the dearest hotels."""
    out: list[Control] = []
    days = len(answer)

    def edited(day: int, **changes: str) -> str:
        copy = [dict(d) for d in answer]
        copy[day].update(changes)
        return answer_text(copy)

    # a venue from another city
    day = rng.randrange(days)
    other = db.execute("SELECT name FROM attractions WHERE city != ? ORDER BY name LIMIT 1",
                       (answer[day]["city"],)).fetchone()[0]
    out.append(Control("attraction_in_other_city", edited(day, afternoon_attraction=other), "venue_city"))

    # the same restaurant for lunch and dinner
    day = rng.randrange(days)
    out.append(Control("same_restaurant_twice", edited(day, evening_restaurant=answer[day]["afternoon_restaurant"]),
                       "no_repeat"))

    # dates shifted by one day
    shifted = [dict(d, time=(dt.date.fromisoformat(d["time"]) + dt.timedelta(days=1)).isoformat()) for d in answer]
    out.append(Control("dates_shifted", answer_text(shifted), "days"))

    # a hotel that does not exist
    out.append(Control("invented_hotel", edited(0, hotel=answer[0]["hotel"] + " Deluxe"), "exists"))

    # a lunch restaurant that is closed at lunch time
    day = rng.randrange(days)
    city = answer[day]["city"]
    for name, opening in db.execute("SELECT name, opening_hours FROM restaurants WHERE city=? ORDER BY name", (city,)):
        if not open_at(opening, LUNCH) and name != answer[day]["evening_restaurant"]:
            out.append(Control("lunch_when_closed", edited(day, afternoon_restaurant=name), "opening_hours"))
            break

    # break a conditional rule: the city's high-tier hotel with its lowest-rated lunch place
    rule_day = params["rule_days"][0]
    city = answer[rule_day - 1]["city"]
    tiers = params["tiers"]
    expensive = db.execute("SELECT name FROM hotels WHERE city=? AND price>=? ORDER BY name LIMIT 1",
                           (city, tiers["high"]["hotel"])).fetchone()[0]
    used = {answer[rule_day - 1]["evening_restaurant"]}
    worst = db.execute("SELECT name FROM restaurants WHERE city=? AND rating<? ORDER BY rating, name",
                       (city, min(tiers["high"]["rating"], tiers["low"]["rating"]))).fetchall()
    worst = [w[0] for w in worst if w[0] not in used]
    if worst:
        out.append(Control(f"rule_day{rule_day}_broken",
                           edited(rule_day - 1, hotel=expensive, afternoon_restaurant=worst[0]), f"rule.day{rule_day}"))

    # over budget: the dearest hotel of every day's city
    if params["budget"] is not None:
        copy = [dict(d) for d in answer]
        for d in copy:
            d["hotel"] = db.execute("SELECT name FROM hotels WHERE city=? ORDER BY price DESC, name LIMIT 1",
                                    (d["city"],)).fetchone()[0]

        def price(table: str, column: str, name: str) -> int:
            return db.execute(f"SELECT {column} FROM {table} WHERE name=?", (name,)).fetchone()[0]

        total = sum(day_cost(price("hotels", "price", d["hotel"]),
                             price("restaurants", "avg_price", d["afternoon_restaurant"]),
                             price("restaurants", "avg_price", d["evening_restaurant"]),
                             price("attractions", "ticket", d["afternoon_attraction"])) for d in copy)
        if total > params["budget"]:
            out.append(Control("dearest_hotels", answer_text(copy), "budget"))
    return out
