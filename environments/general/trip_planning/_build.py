"""trip_planning's generator: the sandbox database and the task, with a plan planted first.

Sits under the category (`__init__.py` wires it) and over the shared rules
(`synth.verifiers.general.rules.trip_planning`) and the core. `build` is a pure function of
(rng, difficulty): it draws cities, venues (hotel 0 of a city is always high tier and restaurants
0 and 1 are always poorly rated, so rule-breaking substitutions exist), transport and weather,
then plants one valid day per route city by forcing the chosen venues' hours, ratings, prices and
indoor flag to satisfy that day's rules, and sets the budget (if any) a slack above the planted
plan's cost. The planted plan is never stored: the gold solver finds its own through the tools.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from synth.verifiers.general.rules.trip_planning import RAINY, day_cost

from .._base import RULES_BLOCK, Built, new_db

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
CONDITIONS = ("sunny", "cloudy", RAINY, "windy")
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

TEMPLATE = """\
Plan a {{ days }}-day trip departing from {{ start_city }} on {{ start_date }} ({{ dates | join(', ') }}). Each \
day is spent in one city, with one hotel, an afternoon restaurant (lunch), an afternoon attraction and an \
evening restaurant (dinner).
""" + RULES_BLOCK


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



def build(rng: random.Random, difficulty: int) -> Built:
    """Fill a database and choose task params so that the planted plan satisfies every rule."""
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
        total = sum(day_cost(h[2], lu[2], di[2], s[2]) for h, lu, di, s in planted)
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
