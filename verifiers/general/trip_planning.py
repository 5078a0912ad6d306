"""trip_planning's checker: grade a multi-day trip plan against the tuple's stored database.

Sits under the trip_planning category (`synth.environments.general.trip_planning`, which never
grades) and over the core; the domain rules it shares with the generator and the gold solver
(opening hours, hotel tiers, day cost) are in `rules/trip_planning.py`.

What is graded: a JSON list of days {time, city, hotel, afternoon_restaurant, afternoon_attraction,
evening_restaurant} (`ANSWER_SCHEMA`; strict JSON of a wrong shape fails `format`, or the `format.*`
check that names the limit broken, and nothing else is checked), then one check per rule of `RULES`
that the task states, in this order: `days` (the task's dates, in order, one entry each), `exists`
(every city and venue name is in the database, exactly), `venue_city` (each venue is in that day's
city), `cities.not_start`, `cities.distinct`, `cities.connected` (a scheduled connection for every
hop from the start city), `no_repeat` (no venue twice), `opening_hours` (lunch place open at 12:30,
dinner place at 19:00, attraction for all of 14:00-16:00), then, when the task states them,
`hotel_rating`, `rain_rule`, one `rule.dayN` per rule day and `budget`. The prompt states exactly
these rules, rendered from the same `RULES`.

Guarantees: every fact (a venue's city, price, rating, hours, indoor flag; connections; forecasts)
is read again from the database, never taken from the answer, so a plan cannot pass by claiming a
price or a rating; names match exactly (no case or whitespace folding); an unknown venue fails
every check that needs it; grading is a pure function of (database, task params, answer).
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from synth import Check

from . import register_checker
from ._common import Rule
from ._common import check as _check
from ._db import db_facts, rows
from .rules.trip_planning import AFTERNOON, DINNER, LUNCH, RAINY, day_cost, open_at, open_through, rule_holds, tier_of

DAY_FIELDS = ("time", "city", "hotel", "afternoon_restaurant", "afternoon_attraction", "evening_restaurant")

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {f: {"type": "string"} for f in DAY_FIELDS},
        "required": list(DAY_FIELDS),
        "additionalProperties": False,
    },
}



def _day_rule(day: int) -> Rule:
    return Rule(f"rule.day{day}", (
        f"Day {day}: if the hotel costs at least {{{{ tiers.high.hotel }}}}, lunch+dinner (average prices) total under "
        "{{ tiers.high.meal_cap }}, both restaurants are rated at least {{ tiers.high.rating }}, and the attraction "
        "ticket is under {{ tiers.high.ticket }}; if it costs {{ tiers.mid.hotel }} to {{ tiers.high.hotel - 1 }}, at "
        "least one restaurant is rated {{ tiers.mid.rating }} or more and the ticket is under {{ tiers.mid.ticket }}; "
        "if it costs {{ tiers.low.hotel }} to {{ tiers.mid.hotel - 1 }}, at least one restaurant is rated "
        "{{ tiers.low.rating }} or more."), when=lambda p: day in p["rule_days"])


RULES = (
    Rule("format", "Submit with submit_result a JSON list of {{ days }} objects, one per day in order, each with "
                   "exactly the keys time, city, hotel, afternoon_restaurant, afternoon_attraction and "
                   "evening_restaurant, all text."),
    Rule("days", "The days are {{ dates | join(', ') }}, in this order, one object each, with time the date "
                 "as YYYY-MM-DD."),
    Rule("exists", "Every city, hotel, restaurant and attraction is named exactly as the tools return it."),
    Rule("venue_city", "Every hotel, restaurant and attraction of a day is in that day's city."),
    Rule("cities.not_start", "No day is spent in {{ start_city }}, the city the trip departs from."),
    Rule("cities.distinct", "No city is visited on two days."),
    Rule("cities.connected", "Day 1's city is reachable from {{ start_city }}, and each later day's city from the "
                             "previous day's city, by a scheduled inter-city connection."),
    Rule("no_repeat", "No hotel, restaurant or attraction is used twice, lunch and dinner included."),
    Rule("opening_hours", "The afternoon restaurant is open at 12:30, the evening restaurant at 19:00, and the "
                          "afternoon attraction for the whole of 14:00-16:00."),
    Rule("hotel_rating", "Every hotel is rated at least {{ min_hotel_rating }}.", when=lambda p: p["min_hotel_rating"]),
    Rule("rain_rule", "On a day when that city's forecast is rainy, the afternoon attraction is indoor.",
         when=lambda p: p["rain_rule"]),
    *(_day_rule(day) for day in (2, 3, 4, 5)),
    Rule("budget", "The total of hotel prices, both meals' average prices and attraction tickets over all days is "
                   "at most {{ budget }}.", when=lambda p: p["budget"] is not None),
)
"""Every rule a trip can state, in grading order (the prompt's rule list comes from it)."""

_KINDS = {"hotel": "hotel", "afternoon_restaurant": "restaurant", "evening_restaurant": "restaurant",
          "afternoon_attraction": "attraction"}
"""Venue fields of a day and the table (kind) each names."""


@register_checker("trip_planning", ANSWER_SCHEMA, RULES)
def check(db: sqlite3.Connection, params: dict[str, Any], answer: Any) -> list[Check]:
    """One check per constraint of a well-shaped plan (see the module docstring for the order)."""
    tiers = params["tiers"]
    dates = params["dates"]
    start = params["start_city"]
    venues = db_facts(db, "trip.venues", _Venues)
    cities, table = venues.cities, venues.of(answer)
    out: list[Check] = []
    times = [d["time"] for d in answer]
    out.append(_check("days", times == dates, dates, times,
                     "" if times == dates else f"need exactly {len(dates)} days on {dates[0]}..{dates[-1]} in order"))

    unknown = [d["city"] for d in answer if d["city"] not in cities]
    unknown += [d[f] for d in answer for f, kind in _KINDS.items() if table[kind][d[f]] is None]
    out.append(_check("exists", not unknown, "names from the database", unknown[:5],
                     f"unknown name {unknown[0]!r}" if unknown else ""))

    wrong = [f"{d[f]} ({d['city']})" for d in answer for f, kind in _KINDS.items()
             if table[kind][d[f]] is not None and table[kind][d[f]]["city"] != d["city"]]
    out.append(_check("venue_city", not unknown and not wrong, "every venue in that day's city", wrong[:5],
                     f"{wrong[0]} is not in that day's city" if wrong else ("unknown venue" if unknown else "")))

    route = [d["city"] for d in answer]
    out.append(_check("cities.not_start", start not in route, f"never {start}", route))
    out.append(_check("cities.distinct", len(set(route)) == len(route), "distinct cities", route))
    hops = list(zip([start] + route, route))
    linked = db_facts(db, "trip.links", _links)
    missing = [f"{a}->{b}" for a, b in hops if (a, b) not in linked]
    out.append(_check("cities.connected", not missing, "a connection for every hop", missing,
                     f"no connection {missing[0]}" if missing else ""))

    names = [d[f] for d in answer for f in _KINDS]
    repeated = sorted(n for n, count in collections.Counter(names).items() if count > 1)
    out.append(_check("no_repeat", not repeated, "no venue twice", repeated))

    closed = []
    for d in answer:
        lunch = table["restaurant"].get(d["afternoon_restaurant"])
        dinner = table["restaurant"].get(d["evening_restaurant"])
        sight = table["attraction"].get(d["afternoon_attraction"])
        if lunch is None or not open_at(lunch["opening_hours"], LUNCH):
            closed.append(d["afternoon_restaurant"])
        if dinner is None or not open_at(dinner["opening_hours"], DINNER):
            closed.append(d["evening_restaurant"])
        if sight is None or not open_through(sight["opening_hours"], *AFTERNOON):
            closed.append(d["afternoon_attraction"])
    out.append(_check("opening_hours", not closed, "open when used", closed[:5]))

    if params["min_hotel_rating"]:
        low = [d["hotel"] for d in answer
               if table["hotel"][d["hotel"]] is None or table["hotel"][d["hotel"]]["rating"] < params["min_hotel_rating"]]
        out.append(_check("hotel_rating", not low, f">= {params['min_hotel_rating']}", low))

    if params["rain_rule"]:
        wet = []
        rainy = db_facts(db, "trip.rain", _rainy)
        for d in answer:
            sight = table["attraction"].get(d["afternoon_attraction"])
            if (d["city"], d["time"]) in rainy and (sight is None or not sight["indoor"]):
                wet.append(d["afternoon_attraction"])
        out.append(_check("rain_rule", not wet, "indoor attraction on rainy days", wet))

    for day in params["rule_days"]:
        name = f"rule.day{day}"
        if day > len(answer):
            out.append(_check(name, False, "the day's rule", None, f"day {day} is missing"))
            continue
        d = answer[day - 1]
        hotel = table["hotel"].get(d["hotel"])
        lunch = table["restaurant"].get(d["afternoon_restaurant"])
        dinner = table["restaurant"].get(d["evening_restaurant"])
        sight = table["attraction"].get(d["afternoon_attraction"])
        if None in (hotel, lunch, dinner, sight):
            out.append(_check(name, False, "the day's rule", None, "unknown venue"))
            continue
        tier = tier_of(hotel["price"], tiers)
        ok = rule_holds(tier, tiers, lunch, dinner, sight["ticket"])
        actual = {"hotel_price": hotel["price"], "meals": lunch["avg_price"] + dinner["avg_price"],
                  "ratings": [lunch["rating"], dinner["rating"]], "ticket": sight["ticket"]}
        out.append(_check(name, ok, f"{tier or 'no'} tier rule", actual, "" if ok else f"{tier} tier rule broken"))

    if params["budget"] is not None:
        total = 0
        known = True
        for d in answer:
            parts = [(table["hotel"][d["hotel"]] or {}).get("price"),
                     (table["restaurant"][d["afternoon_restaurant"]] or {}).get("avg_price"),
                     (table["restaurant"][d["evening_restaurant"]] or {}).get("avg_price"),
                     (table["attraction"][d["afternoon_attraction"]] or {}).get("ticket")]
            if None in parts:
                known = False
                break
            total += day_cost(*parts)
        ok = known and total <= params["budget"]
        out.append(_check("budget", ok, f"<= {params['budget']}", total if known else None,
                         "" if ok else ("unknown venue" if not known else "over budget")))
    return out


# -- facts read once per database (db_facts) --------------------------------------------------------


class _Venues:
    """City names, and venue rows by kind and name read on demand: a grade reads only the names its
    answer gives (unknown ones are kept as None), so the rows of one connection are read once and
    a tuple's gold and controls share them."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.cities = {r[0] for r in db.execute("SELECT name FROM cities")}
        self.rows: dict[str, dict[str, dict[str, Any] | None]] = {kind: {} for kind in ("hotel", "restaurant", "attraction")}

    def of(self, answer: list[dict[str, str]]) -> dict[str, dict[str, dict[str, Any] | None]]:
        """The row tables, holding every venue the answer names (None for a name not in the database)."""
        for kind, known in self.rows.items():
            missing = list({d[f] for d in answer for f, k in _KINDS.items() if k == kind and d[f] not in known})
            for chunk in range(0, len(missing), 500):
                names = missing[chunk:chunk + 500]
                for name in names:
                    known[name] = None
                found = rows(self.db, f"SELECT * FROM {kind}s WHERE name IN ({', '.join('?' * len(names))})", *names)
                known.update((r["name"], r) for r in found)
        return self.rows


def _links(db: sqlite3.Connection) -> set[tuple[str, str]]:
    """Every (from_city, to_city) with at least one scheduled connection."""
    return set(db.execute("SELECT DISTINCT from_city, to_city FROM inter_city_transport"))


def _rainy(db: sqlite3.Connection) -> set[tuple[str, str]]:
    """Every (city, date) whose forecast is rainy."""
    return set(db.execute("SELECT city, date FROM weather WHERE condition = ?", (RAINY,)))
