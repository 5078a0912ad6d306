"""trip_planning: the report's canonical general task (DeepSeek-V3.2, section 3.2.3).

A sandbox database of cities, hotels, restaurants, attractions (prices, ratings, opening hours,
indoor or not), inter-city and city transport, and weather by date. The agent plans a multi-day
trip from a start city: one new city a day, reachable from the previous one, no venue twice, every
venue in that day's city and open when it is used, plus conditional budget rules on given days
(if the hotel costs at least X then lunch+dinner under Y and both rated at least Z, ...), a rain
rule, a hotel rating floor and a total budget as difficulty rises. The answer is a JSON list of
{time, city, hotel, afternoon_restaurant, afternoon_attraction, evening_restaurant}.

Feasible by construction: a plan is planted first and the database is built around it; the gold
solver never sees it and searches through the tools (cheapest valid day per city, then a path of
cities within the budget), so it may submit a different valid plan.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import random
import sqlite3
from typing import Any

from synth import Check, Control, ToolClient, ToolError, register_category, tool_from_function

from ._base import SUBMIT, Built, GeneralCategory, answer_text, check, db_facts, new_db, rows

SCHEMA = """
CREATE TABLE cities (name TEXT PRIMARY KEY, region TEXT, population INTEGER, description TEXT);
CREATE TABLE hotels (name TEXT PRIMARY KEY, city TEXT, price INTEGER, rating REAL, stars INTEGER, address TEXT);
CREATE TABLE restaurants (name TEXT PRIMARY KEY, city TEXT, avg_price INTEGER, rating REAL, cuisine TEXT,
                          opening_hours TEXT);
CREATE TABLE attractions (name TEXT PRIMARY KEY, city TEXT, ticket INTEGER, rating REAL, kind TEXT,
                          opening_hours TEXT, indoor INTEGER);
CREATE TABLE inter_city_transport (from_city TEXT, to_city TEXT, mode TEXT, depart TEXT, arrive TEXT, price INTEGER);
CREATE TABLE city_transport (city TEXT, mode TEXT, price INTEGER);
CREATE TABLE weather (city TEXT, date TEXT, condition TEXT, high INTEGER, low INTEGER);
CREATE INDEX hotels_city ON hotels (city);
CREATE INDEX restaurants_city ON restaurants (city);
CREATE INDEX attractions_city ON attractions (city);
CREATE INDEX transport_route ON inter_city_transport (from_city, to_city);
CREATE INDEX weather_city_date ON weather (city, date);
"""

CITY_NAMES = (
    "Aldmere", "Brackwater", "Caldris", "Dunmore", "Eastvale", "Fennick", "Glenhollow", "Harrowgate",
    "Ironbridge", "Juniper Bay", "Kestrel", "Lowmarsh", "Marrowick", "Northcliff", "Oakhaven", "Pellmoor",
    "Quarry Hill", "Ravensholm", "Saltmere", "Thornbury", "Umberlee", "Valewood", "Westmarch", "Yarrowby",
)
REGIONS = ("North", "South", "East", "West", "Central")
ADJECTIVES = (
    "Grand", "Royal", "Silver", "Golden", "Old", "Harbor", "River", "Garden", "Lotus", "Jade", "Maple",
    "Crystal", "Amber", "Cedar", "Willow", "Summit", "Lantern", "Pearl", "Coral", "Ivory",
)
HOTEL_NOUNS = ("Hotel", "Inn", "Lodge", "Suites", "Residence", "Palace")
FOOD_NOUNS = ("Kitchen", "Bistro", "House", "Table", "Garden", "Grill", "Noodle Bar", "Teahouse", "Tavern")
CUISINES = ("local", "sichuan", "cantonese", "italian", "vegetarian", "seafood", "street food", "french")
SIGHT_NOUNS = ("Museum", "Temple", "Park", "Gallery", "Tower", "Gardens", "Lake", "Old Town", "Aquarium")
CONDITIONS = ("sunny", "cloudy", "rainy", "windy")
MODES = ("train", "bus", "flight")
INDOOR_KINDS = {"Museum": 1, "Gallery": 1, "Aquarium": 1, "Temple": 0, "Park": 0, "Tower": 0,
                "Gardens": 0, "Lake": 0, "Old Town": 0}

# difficulty -> (days, rule days, hotel rating floor, rain rule, budget slack or None)
LEVELS = {
    1: (2, (2,), False, False, None),
    2: (2, (2,), True, False, None),
    3: (3, (2, 3), True, True, 0.15),
    4: (4, (2, 3, 4), True, True, 0.10),
    5: (5, (2, 3, 4, 5), True, True, 0.05),
}

LUNCH, DINNER = (12 * 60 + 30), (19 * 60)
AFTERNOON = (14 * 60, 16 * 60)


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
    return any(start <= minute < end for start, end in open_windows(hours))


def open_through(hours: str, start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in open_windows(hours))


# ------------------------------------------------------------------------------------------------
# tools


def _city(db: sqlite3.Connection, city: str) -> None:
    if db.execute("SELECT 1 FROM cities WHERE name = ?", (city,)).fetchone() is None:
        raise ToolError(f"no city named {city!r}; call get_all_cities for the list", "not_found")


def _in_city(db: sqlite3.Connection, city: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`found`, or a not_found error when it is empty because the city does not exist (checked only
    then: one query per call on the common path)."""
    if not found:
        _city(db, city)
    return found


def get_all_cities(db: sqlite3.Connection) -> list[str]:
    """List the names of every city in the database."""
    return [r["name"] for r in rows(db, "SELECT name FROM cities ORDER BY name")]


def get_all_hotels_by_city(db: sqlite3.Connection, city: str) -> list[dict[str, Any]]:
    """List the hotels of a city with their nightly price and rating.

    Args:
        city: City name, exactly as get_all_cities returns it.
    """
    return _in_city(db, city, rows(db, "SELECT name, price, rating FROM hotels WHERE city = ? ORDER BY name", city))


def get_all_restaurants_by_city(db: sqlite3.Connection, city: str) -> list[dict[str, Any]]:
    """List the restaurants of a city with their average price per person, rating and opening hours.

    Args:
        city: City name, exactly as get_all_cities returns it.
    """
    return _in_city(
        db, city, rows(db, "SELECT name, avg_price, rating, opening_hours FROM restaurants WHERE city = ? ORDER BY name", city)
    )


def get_all_attractions_by_city(db: sqlite3.Connection, city: str) -> list[dict[str, Any]]:
    """List the attractions of a city with their ticket price, rating, opening hours and whether they are indoor.

    Args:
        city: City name, exactly as get_all_cities returns it.
    """
    return _in_city(
        db, city, rows(db, "SELECT name, ticket, rating, opening_hours, indoor FROM attractions WHERE city = ? ORDER BY name", city)
    )


def _city_of(db: sqlite3.Connection, table: str, name: str) -> str:
    row = db.execute(f"SELECT city FROM {table} WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise ToolError(f"no {table[:-1]} named {name!r}", "not_found")
    return row[0]


def get_city_by_hotel(db: sqlite3.Connection, name: str) -> str:
    """Tell which city a hotel is in.

    Args:
        name: Hotel name.
    """
    return _city_of(db, "hotels", name)


def get_city_by_restaurant(db: sqlite3.Connection, name: str) -> str:
    """Tell which city a restaurant is in.

    Args:
        name: Restaurant name.
    """
    return _city_of(db, "restaurants", name)


def get_city_by_attraction(db: sqlite3.Connection, name: str) -> str:
    """Tell which city an attraction is in.

    Args:
        name: Attraction name.
    """
    return _city_of(db, "attractions", name)


def get_city_transport(db: sqlite3.Connection, city: str) -> list[dict[str, Any]]:
    """List the ways to get around inside a city and their price per trip.

    Args:
        city: City name.
    """
    _city(db, city)
    return rows(db, "SELECT mode, price FROM city_transport WHERE city = ? ORDER BY mode", city)


def get_inter_city_transport(db: sqlite3.Connection, from_city: str, to_city: str | None = None) -> list[dict[str, Any]]:
    """List the scheduled connections from one city to another (or to every city when to_city is omitted).

    Args:
        from_city: Departure city.
        to_city: Arrival city; omit to list every departure from from_city.
    """
    if to_city is None:
        return _in_city(db, from_city, rows(
            db,
            "SELECT to_city, mode, depart, arrive, price FROM inter_city_transport WHERE from_city = ?"
            " ORDER BY to_city, depart",
            from_city,
        ))
    _city(db, from_city)
    _city(db, to_city)
    return rows(
        db,
        "SELECT mode, depart, arrive, price FROM inter_city_transport WHERE from_city = ? AND to_city = ? ORDER BY depart",
        from_city,
        to_city,
    )


def _infos(db: sqlite3.Connection, table: str, name: str, info_keywords: list[str]) -> dict[str, Any]:
    columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})") if r[1] != "name"]
    unknown = [k for k in info_keywords if k not in columns]
    if unknown:
        raise ToolError(f"unknown info keyword {unknown[0]!r}; valid: {', '.join(columns)}", "invalid_arguments")
    wanted = info_keywords or columns
    row = db.execute(f"SELECT {', '.join(wanted)} FROM {table} WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise ToolError(f"no {table[:-1]} named {name!r}", "not_found")
    return dict(zip(wanted, row))


def get_infos_by_city(db: sqlite3.Connection, name: str, info_keywords: list[str] = []) -> dict[str, Any]:  # noqa: B006
    """Look up facts about a city (region, population, description).

    Args:
        name: City name.
        info_keywords: Fields to return; empty for all.
    """
    return _infos(db, "cities", name, info_keywords)


def get_infos_by_hotel(db: sqlite3.Connection, name: str, info_keywords: list[str] = []) -> dict[str, Any]:  # noqa: B006
    """Look up facts about a hotel (city, price, rating, stars, address).

    Args:
        name: Hotel name.
        info_keywords: Fields to return; empty for all.
    """
    return _infos(db, "hotels", name, info_keywords)


def get_infos_by_restaurant(db: sqlite3.Connection, name: str, info_keywords: list[str] = []) -> dict[str, Any]:  # noqa: B006
    """Look up facts about a restaurant (city, avg_price, rating, cuisine, opening_hours).

    Args:
        name: Restaurant name.
        info_keywords: Fields to return; empty for all.
    """
    return _infos(db, "restaurants", name, info_keywords)


def get_infos_by_attraction(db: sqlite3.Connection, name: str, info_keywords: list[str] = []) -> dict[str, Any]:  # noqa: B006
    """Look up facts about an attraction (city, ticket, rating, kind, opening_hours, indoor).

    Args:
        name: Attraction name.
        info_keywords: Fields to return; empty for all.
    """
    return _infos(db, "attractions", name, info_keywords)


def get_weather_by_city_date(db: sqlite3.Connection, city: str, date: str) -> dict[str, Any]:
    """Weather forecast of a city on a date.

    Args:
        city: City name.
        date: Date as YYYY-MM-DD.
    """
    _city(db, city)
    found = rows(db, "SELECT condition, high, low FROM weather WHERE city = ? AND date = ?", city, date)
    if not found:
        raise ToolError(f"no forecast for {city} on {date}", "not_found")
    return found[0]


TOOLS = [
    tool_from_function(fn)
    for fn in (
        get_all_cities,
        get_all_hotels_by_city,
        get_all_restaurants_by_city,
        get_all_attractions_by_city,
        get_city_by_hotel,
        get_city_by_restaurant,
        get_city_by_attraction,
        get_city_transport,
        get_inter_city_transport,
        get_infos_by_city,
        get_infos_by_hotel,
        get_infos_by_restaurant,
        get_infos_by_attraction,
        get_weather_by_city_date,
    )
] + [SUBMIT]

TEMPLATE = """\
Plan a {{ days }}-day trip departing from {{ start_city }} on {{ start_date }} ({{ dates | join(', ') }}).
Rules:
- Each day is spent in one city; day 1's city must be reachable from {{ start_city }}, and each later day's \
city from the previous day's city, by a scheduled inter-city connection.
- Do not visit {{ start_city }}, and do not repeat any city, hotel, restaurant or attraction.
- Every hotel, restaurant and attraction of a day must be in that day's city.
- The afternoon restaurant must be open at 12:30, the evening restaurant at 19:00, and the afternoon \
attraction for the whole of 14:00-16:00.
{% if min_hotel_rating %}
- Every hotel must be rated at least {{ min_hotel_rating }}.
{% endif %}
{% if rain_rule %}
- On a day when that city's forecast is rainy, the afternoon attraction must be indoor.
{% endif %}
{% for day in rule_days %}
- Day {{ day }}: if the hotel costs at least {{ tiers.high.hotel }}, lunch+dinner (average prices) must total \
under {{ tiers.high.meal_cap }}, both restaurants must be rated at least {{ tiers.high.rating }}, and the \
attraction ticket must be under {{ tiers.high.ticket }}; if it costs {{ tiers.mid.hotel }} to \
{{ tiers.high.hotel - 1 }}, at least one restaurant must be rated {{ tiers.mid.rating }} or more and the ticket \
must be under {{ tiers.mid.ticket }}; if it costs {{ tiers.low.hotel }} to {{ tiers.mid.hotel - 1 }}, at least \
one restaurant must be rated {{ tiers.low.rating }} or more.
{% endfor %}
{% if budget %}
- The total of hotel prices, both meals' average prices and attraction tickets over all days must not \
exceed {{ budget }}.
{% endif %}
Answer with a JSON list of {{ days }} objects, one per day in order, each with the keys time (the date, \
YYYY-MM-DD), city, hotel, afternoon_restaurant, afternoon_attraction and evening_restaurant, and submit it \
with submit_result.
"""

DAY_FIELDS = ("time", "city", "hotel", "afternoon_restaurant", "afternoon_attraction", "evening_restaurant")


def tier_of(price: int, tiers: dict[str, dict[str, Any]]) -> str | None:
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


def _unique(rng: random.Random, taken: set[str], make: Any) -> str:
    for _ in range(50):
        name = make()
        if name not in taken:
            taken.add(name)
            return name
    base = make()
    n = 2
    while f"{base} {n}" in taken:
        n += 1
    taken.add(f"{base} {n}")
    return f"{base} {n}"


def _hours(rng: random.Random, lunch: bool, dinner: bool) -> str:
    parts = []
    if lunch:
        parts.append(f"{rng.choice((10, 11))}:{rng.choice(('00', '30'))}-{rng.choice((14, 15))}:00")
    if dinner:
        parts.append(f"{rng.choice((17, 18))}:00-{rng.choice((21, 22, 23))}:00")
    if not parts:
        parts.append("15:00-17:00")
    return ", ".join(parts)


@register_category("general", "trip_planning")
class TripPlanning(GeneralCategory):
    """Multi-day trip planning with conditional budget rules (the report's example)."""

    name = "trip_planning"
    description = "Multi-day trip over a city database with no repeats, opening hours and conditional budget rules."
    template = TEMPLATE
    tools = TOOLS
    answer_schema = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {f: {"type": "string"} for f in DAY_FIELDS},
            "required": list(DAY_FIELDS),
            "additionalProperties": False,
        },
    }
    check_names = (
        "days", "exists", "venue_city", "cities.not_start", "cities.distinct", "cities.connected", "no_repeat",
        "opening_hours", "hotel_rating", "rain_rule", "budget", "rule.day2", "rule.day3", "rule.day4", "rule.day5",
    )

    # -- generation -----------------------------------------------------------------------------
    def build(self, rng: random.Random, difficulty: int) -> Built:
        days, rule_days, rating_rule, rain_rule, slack = LEVELS[difficulty]
        tiers = {
            "high": {"hotel": rng.choice((700, 800, 900)), "meal_cap": rng.choice((300, 350, 400)),
                     "rating": rng.choice((4.0, 4.2)), "ticket": rng.choice((100, 120, 150))},
            "mid": {"hotel": rng.choice((400, 500, 600)), "rating": rng.choice((3.8, 4.0)),
                    "ticket": rng.choice((160, 180, 200))},
            "low": {"hotel": rng.choice((150, 200, 250)), "rating": rng.choice((3.2, 3.5))},
        }
        min_hotel_rating = rng.choice((3.5, 3.8, 4.0)) if rating_rule else None
        n_cities = days + 2 + difficulty
        cities = sorted(rng.sample(CITY_NAMES, n_cities))
        start = rng.choice(cities)
        route = rng.sample([c for c in cities if c != start], days)
        start_date = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 330))
        dates = [(start_date + dt.timedelta(days=i)).isoformat() for i in range(days)]

        db = new_db(SCHEMA)
        taken: set[str] = set()
        hotels: dict[str, list[list[Any]]] = {}
        restaurants: dict[str, list[list[Any]]] = {}
        attractions: dict[str, list[list[Any]]] = {}
        for city in cities:
            db.execute("INSERT INTO cities VALUES (?,?,?,?)", (city, rng.choice(REGIONS), rng.randrange(50, 5000) * 1000,
                                                              f"{city} is a {rng.choice(('quiet', 'busy', 'historic', 'coastal'))} city."))
            hotels[city] = []
            for i in range(3 + difficulty):
                name = _unique(rng, taken, lambda: f"{rng.choice(ADJECTIVES)} {city} {rng.choice(HOTEL_NOUNS)}")
                # one hotel per city is always in the high tier and one is cheap, so rule-breaking
                # substitutions exist and the search is never trivial
                price = (tiers["high"]["hotel"] + rng.randrange(0, 400)) if i == 0 else rng.randrange(80, 1200)
                hotels[city].append([name, city, price, round(rng.uniform(2.8, 5.0), 1), rng.randrange(2, 6),
                                     f"{rng.randrange(1, 300)} {rng.choice(ADJECTIVES)} Road"])
            restaurants[city] = []
            for i in range(4 + 2 * difficulty):
                name = _unique(rng, taken, lambda: f"{rng.choice(ADJECTIVES)} {rng.choice(FOOD_NOUNS)} {city}")
                lunch, dinner = [(True, False), (False, True), (True, True), (True, True)][i % 4]
                rating = round(rng.uniform(2.5, 3.1), 1) if i < 2 else round(rng.uniform(2.5, 5.0), 1)
                restaurants[city].append([name, city, rng.randrange(30, 320), rating, rng.choice(CUISINES),
                                          _hours(rng, lunch, dinner)])
            attractions[city] = []
            for i in range(3 + difficulty):
                noun = rng.choice(SIGHT_NOUNS)
                name = _unique(rng, taken, lambda: f"{city} {rng.choice(ADJECTIVES)} {noun}")
                opens = f"{rng.choice((8, 9, 10))}:00-{rng.choice((13, 17, 18, 20))}:00"
                attractions[city].append([name, city, rng.randrange(0, 300), round(rng.uniform(3.0, 5.0), 1), noun,
                                          opens, INDOOR_KINDS[noun]])
        weather = {(c, d): rng.choice(CONDITIONS) for c in cities for d in dates}

        # plant a valid plan: pick one hotel, two restaurants, one attraction per day and force
        # their attributes to satisfy every rule of that day
        planted = []
        for day, (city, date) in enumerate(zip(route, dates), start=1):
            hotel = rng.choice(hotels[city][1:])
            lunch, dinner = rng.sample(restaurants[city][2:], 2)
            sight = rng.choice(attractions[city])
            lunch[5] = _hours(rng, True, rng.random() < 0.5)
            dinner[5] = _hours(rng, rng.random() < 0.5, True)
            sight[5] = f"{rng.choice((8, 9, 10))}:00-{rng.choice((17, 18, 20))}:00"
            if min_hotel_rating and hotel[3] < min_hotel_rating:
                hotel[3] = round(rng.uniform(min_hotel_rating, 5.0), 1)
            if rain_rule and weather[(city, date)] == "rainy" and not sight[6]:
                sight[6] = 1
                sight[4] = "Museum"
            if day in rule_days:
                tier = rng.choice(("high", "mid", "low", None))
                hotel[2] = {"high": tiers["high"]["hotel"] + rng.randrange(0, 300),
                            "mid": rng.randrange(tiers["mid"]["hotel"], tiers["high"]["hotel"]),
                            "low": rng.randrange(tiers["low"]["hotel"], tiers["mid"]["hotel"]),
                            None: rng.randrange(60, tiers["low"]["hotel"])}[tier]
                if tier == "high":
                    cap = tiers["high"]["meal_cap"]
                    lunch[2] = rng.randrange(30, cap // 2)
                    dinner[2] = rng.randrange(30, cap - lunch[2])
                    lunch[3] = max(lunch[3], round(rng.uniform(tiers["high"]["rating"], 5.0), 1))
                    dinner[3] = max(dinner[3], round(rng.uniform(tiers["high"]["rating"], 5.0), 1))
                    sight[2] = rng.randrange(0, tiers["high"]["ticket"])
                elif tier is not None:
                    lunch[3] = max(lunch[3], round(rng.uniform(tiers[tier]["rating"], 5.0), 1))
                    if tier == "mid":
                        sight[2] = rng.randrange(0, tiers["mid"]["ticket"])
            planted.append((hotel, lunch, dinner, sight))

        for city in cities:
            db.executemany("INSERT INTO hotels VALUES (?,?,?,?,?,?)", hotels[city])
            db.executemany("INSERT INTO restaurants VALUES (?,?,?,?,?,?)", restaurants[city])
            db.executemany("INSERT INTO attractions VALUES (?,?,?,?,?,?,?)", attractions[city])
            db.executemany("INSERT INTO city_transport VALUES (?,?,?)",
                           [(city, mode, rng.randrange(2, 40)) for mode in ("metro", "taxi", "bus")])
        edges = {(start, route[0])} | set(zip(route, route[1:]))
        for _ in range(n_cities + difficulty):
            a, b = rng.sample(cities, 2)
            edges.add((a, b))
        for a, b in sorted(edges):
            for _ in range(rng.randrange(1, 3)):
                hour = rng.randrange(6, 20)
                db.execute("INSERT INTO inter_city_transport VALUES (?,?,?,?,?,?)",
                           (a, b, rng.choice(MODES), f"{hour:02d}:{rng.choice(('00', '30'))}",
                            f"{hour + rng.randrange(1, 5):02d}:00", rng.randrange(40, 600)))
        db.executemany("INSERT INTO weather VALUES (?,?,?,?,?)",
                       [(c, d, weather[(c, d)], rng.randrange(10, 35), rng.randrange(-5, 10)) for c in cities for d in dates])
        db.commit()

        budget = None
        if slack is not None:
            total = sum(h[2] + lu[2] + di[2] + s[2] for h, lu, di, s in planted)
            budget = int(total * (1 + slack))
        params = {
            "days": days,
            "start_city": start,
            "start_date": dates[0],
            "dates": dates,
            "rule_days": list(rule_days),
            "tiers": tiers,
            "min_hotel_rating": min_hotel_rating,
            "rain_rule": rain_rule,
            "budget": budget,
        }
        return Built(db=db, params=params)

    # -- gold solution: tool calls only -----------------------------------------------------------
    def solve(self, client: ToolClient, params: dict[str, Any]) -> None:
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
            rainy = params["rain_rule"] and client.get_weather_by_city_date(city=city, date=dates[day - 1])["condition"] == "rainy"
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
                cost = hotel["price"] + meal + ticket
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

    # -- verification ---------------------------------------------------------------------------
    def check(self, db: sqlite3.Connection, params: dict[str, Any], answer: Any) -> list[Check]:
        tiers = params["tiers"]
        dates = params["dates"]
        start = params["start_city"]
        kinds = {"hotel": "hotel", "afternoon_restaurant": "restaurant", "evening_restaurant": "restaurant",
                 "afternoon_attraction": "attraction"}
        cities, table = db_facts(db, "trip.venues", _venues)
        out: list[Check] = []
        times = [d["time"] for d in answer]
        out.append(check("days", times == dates, dates, times,
                         "" if times == dates else f"need exactly {len(dates)} days on {dates[0]}..{dates[-1]} in order"))

        unknown = [d["city"] for d in answer if d["city"] not in cities]
        unknown += [d[f] for d in answer for f, kind in kinds.items() if d[f] not in table[kind]]
        out.append(check("exists", not unknown, "names from the database", unknown[:5],
                         f"unknown name {unknown[0]!r}" if unknown else ""))

        wrong = [f"{d[f]} ({d['city']})" for d in answer for f, kind in kinds.items()
                 if d[f] in table[kind] and table[kind][d[f]]["city"] != d["city"]]
        out.append(check("venue_city", not unknown and not wrong, "every venue in that day's city", wrong[:5],
                         f"{wrong[0]} is not in that day's city" if wrong else ("unknown venue" if unknown else "")))

        route = [d["city"] for d in answer]
        out.append(check("cities.not_start", start not in route, f"never {start}", route))
        out.append(check("cities.distinct", len(set(route)) == len(route), "distinct cities", route))
        hops = list(zip([start] + route, route))
        linked = db_facts(db, "trip.links", lambda c: set(c.execute("SELECT DISTINCT from_city, to_city FROM inter_city_transport")))
        missing = [f"{a}->{b}" for a, b in hops if (a, b) not in linked]
        out.append(check("cities.connected", not missing, "a connection for every hop", missing,
                         f"no connection {missing[0]}" if missing else ""))

        names = [d[f] for d in answer for f in kinds]
        repeated = sorted(n for n, count in collections.Counter(names).items() if count > 1)
        out.append(check("no_repeat", not repeated, "no venue twice", repeated))

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
        out.append(check("opening_hours", not closed, "open when used", closed[:5]))

        if params["min_hotel_rating"]:
            low = [d["hotel"] for d in answer
                   if d["hotel"] not in table["hotel"] or table["hotel"][d["hotel"]]["rating"] < params["min_hotel_rating"]]
            out.append(check("hotel_rating", not low, f">= {params['min_hotel_rating']}", low))

        if params["rain_rule"]:
            wet = []
            rainy = db_facts(db, "trip.rain", lambda c: set(c.execute("SELECT city, date FROM weather WHERE condition = 'rainy'")))
            for d in answer:
                sight = table["attraction"].get(d["afternoon_attraction"])
                if (d["city"], d["time"]) in rainy and (sight is None or not sight["indoor"]):
                    wet.append(d["afternoon_attraction"])
            out.append(check("rain_rule", not wet, "indoor attraction on rainy days", wet))

        for day in params["rule_days"]:
            name = f"rule.day{day}"
            if day > len(answer):
                out.append(check(name, False, "the day's rule", None, f"day {day} is missing"))
                continue
            d = answer[day - 1]
            hotel = table["hotel"].get(d["hotel"])
            lunch = table["restaurant"].get(d["afternoon_restaurant"])
            dinner = table["restaurant"].get(d["evening_restaurant"])
            sight = table["attraction"].get(d["afternoon_attraction"])
            if None in (hotel, lunch, dinner, sight):
                out.append(check(name, False, "the day's rule", None, "unknown venue"))
                continue
            tier = tier_of(hotel["price"], tiers)
            ok = rule_holds(tier, tiers, lunch, dinner, sight["ticket"])
            actual = {"hotel_price": hotel["price"], "meals": lunch["avg_price"] + dinner["avg_price"],
                      "ratings": [lunch["rating"], dinner["rating"]], "ticket": sight["ticket"]}
            out.append(check(name, ok, f"{tier or 'no'} tier rule", actual, "" if ok else f"{tier} tier rule broken"))

        if params["budget"] is not None:
            total = 0
            known = True
            for d in answer:
                parts = [table["hotel"].get(d["hotel"], {}).get("price"),
                         table["restaurant"].get(d["afternoon_restaurant"], {}).get("avg_price"),
                         table["restaurant"].get(d["evening_restaurant"], {}).get("avg_price"),
                         table["attraction"].get(d["afternoon_attraction"], {}).get("ticket")]
                if None in parts:
                    known = False
                    break
                total += sum(parts)
            ok = known and total <= params["budget"]
            out.append(check("budget", ok, f"<= {params['budget']}", total if known else None,
                             "" if ok else ("unknown venue" if not known else "over budget")))
        return out

    # -- null controls ---------------------------------------------------------------------------
    def perturb(self, db: sqlite3.Connection, params: dict[str, Any], answer: Any, rng: random.Random) -> list[Control]:
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
            prices = sum(db.execute("SELECT price FROM hotels WHERE name=?", (d["hotel"],)).fetchone()[0] for d in copy)
            meals = sum(db.execute("SELECT avg_price FROM restaurants WHERE name=?", (d[f],)).fetchone()[0]
                        for d in copy for f in ("afternoon_restaurant", "evening_restaurant"))
            tickets = sum(db.execute("SELECT ticket FROM attractions WHERE name=?", (d["afternoon_attraction"],)).fetchone()[0]
                          for d in copy)
            if prices + meals + tickets > params["budget"]:
                out.append(Control("dearest_hotels", answer_text(copy), "budget"))
        return out


def _venues(db: sqlite3.Connection) -> tuple[set[str], dict[str, dict[str, dict[str, Any]]]]:
    """City names and every venue row by kind and name (read once per database by db_facts)."""
    cities = {r[0] for r in db.execute("SELECT name FROM cities")}
    table = {kind: {r["name"]: r for r in rows(db, f"SELECT * FROM {kind}s")} for kind in ("hotel", "restaurant", "attraction")}
    return cities, table

