"""trip_planning's generator: the sandbox database and the task, with a plan planted first.

Sits under the category (`__init__.py` wires it) and over the shared rules
(`synth.verifiers.general.rules.trip_planning`) and the core. `build` is a pure function of
(rng, difficulty). Hard to solve by construction, with no local sign of the way through:

- The connection graph is a maze of dead ends. Each day but the last offers several reachable new
  cities (the planted one and `Level.decoys` decoys), each with a day that keeps every rule of its
  position (a valid day is planted in decoys exactly as in route cities, so cost and venues do
  not tell them apart), but a decoy leads only into a pool of dead cities, where no day is valid
  (no lunch service, no dinner service, no attraction open all afternoon, or no hotel at the
  rating floor) while the pool's own connections are long enough to fill the trip. Only search
  finds the planted route; an agent that commits day by day succeeds about once in
  (decoys+1)^(days-1). From difficulty 3 the planted city of day 1 is neither the first reachable
  by name nor the cheapest, so first-fit, name-order and cheapest-first agents always start wrong.
- The conditional rules bind: every hotel is in a tier, and the two cheapest restaurants of every
  city are poorly rated (one serves lunch, one dinner), so the cheapest day breaks the rule of
  every rule day. Hotel 0 of a city is always high tier, so rule-breaking substitutions exist.
- The budget (from difficulty 3) is a slack above the cheapest valid days of the planted route.

The planted plan is never stored: the gold solver finds its own through the tools.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, NamedTuple

from synth.verifiers.general.rules.trip_planning import RAINY, cheapest_day

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
"""
# No secondary indexes: every table holds a few hundred rows at most, a scan of them costs less than
# keeping an index up to date while generating, and the stored database is smaller without them.

CITY_NAMES = (
    "Aldmere", "Brackwater", "Caldris", "Dunmore", "Eastvale", "Fennick", "Glenhollow", "Harrowgate",
    "Ironbridge", "Juniper Bay", "Kestrel", "Lowmarsh", "Marrowick", "Northcliff", "Oakhaven", "Pellmoor",
    "Quarry Hill", "Ravensholm", "Saltmere", "Thornbury", "Umberlee", "Valewood", "Westmarch", "Yarrowby",
    "Ashcombe", "Birchley", "Cobbleton", "Dovercourt", "Elmstead", "Foxmoor", "Greyhaven", "Hollowmere",
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



class Level(NamedTuple):
    """What a difficulty level draws and which rules its task states."""

    days: int
    rule_days: tuple[int, ...]
    rating_rule: bool
    rain_rule: bool
    slack: float | None
    """Budget slack over the planted route's cheapest valid days; None: no budget."""
    decoys: int
    """Decoy cities reachable on each day but the last (each leads only into dead cities)."""
    bias: bool
    """Day 1's planted city is neither the first reachable by name nor the cheapest."""


LEVELS = {
    1: Level(2, (2,), False, False, None, 1, False),
    2: Level(2, (2,), True, False, None, 2, False),
    3: Level(3, (2, 3), True, True, 0.15, 4, True),
    4: Level(4, (2, 3, 4), True, True, 0.10, 4, True),
    5: Level(5, (2, 3, 4, 5), True, True, 0.05, 3, True),
}

TEMPLATE = """\
Plan a {{ days }}-day trip departing from {{ start_city }} on {{ start_date }} ({{ dates | join(', ') }}). Each \
day is spent in one city, with one hotel, an afternoon restaurant (lunch), an afternoon attraction and an \
evening restaurant (dinner).
""" + RULES_BLOCK


LUNCH_HOURS = tuple(f"{h}:{m}-{e}:00" for h in (10, 11) for m in ("00", "30") for e in (14, 15))
DINNER_HOURS = tuple(f"{h}:00-{e}:00" for h in (17, 18) for e in (21, 22, 23))
ALL_DAY_HOURS = tuple(f"{lu}, {di}" for lu in LUNCH_HOURS for di in DINNER_HOURS)
SIGHT_HOURS = tuple(f"{a}:00-{b}:00" for a in (8, 9, 10) for b in (13, 17, 18, 20))
AFTERNOON_HOURS = tuple(f"{a}:00-{b}:00" for a in (8, 9, 10) for b in (17, 18, 20))
MORNING_HOURS = tuple(f"{a}:00-{b}:00" for a in (8, 9, 10) for b in (12, 13, 14, 15))
"""Opening hours as drawn: each pool is every combination of its start and end choices."""


def _hours(rng: random.Random, lunch: bool, dinner: bool) -> str:
    """Opening hours of a restaurant serving lunch, dinner or both (one draw)."""
    return rng.choice(ALL_DAY_HOURS if lunch and dinner else LUNCH_HOURS if lunch else DINNER_HOURS)


def _names(rng: random.Random, n: int, make: Any, *pools: tuple[str, ...]) -> list[Any]:
    """`n` distinct values `make(*parts)`, parts drawn from the pools' product without replacement
    (one random number per value; the product is far larger than `n`)."""
    total = 1
    for pool in pools:
        total *= len(pool)
    picked: list[int] = []
    while len(picked) < n:
        k = int(rng.random() * total)
        if k not in picked:
            picked.append(k)
    out = []
    for k in picked:
        parts = []
        for pool in pools:
            k, r = divmod(k, len(pool))
            parts.append(pool[r])
        out.append(make(*parts))
    return out


def _venues(rng: random.Random, city: str, tiers: dict[str, Any], counts: tuple[int, int, int]
            ) -> tuple[list[list[Any]], list[list[Any]], list[list[Any]]]:
    """A city's hotels, restaurants and attractions as rows of their tables (names carry the city,
    so they are unique across cities and tables). Every hotel is in a tier (hotel 0 high);
    restaurants 0 (lunch) and 1 (dinner) are the cheapest and poorly rated."""
    n_hotels, n_restaurants, n_attractions = counts
    low, high = tiers["low"]["hotel"], tiers["high"]["hotel"]
    hotels = []
    for i, name in enumerate(_names(rng, n_hotels, lambda a, n: f"{a} {city} {n}", ADJECTIVES, HOTEL_NOUNS)):
        price = high + rng.randrange(0, 400) if i == 0 else rng.randrange(low, high + 400)
        hotels.append([name, city, price, round(2.8 + 2.2 * rng.random(), 1), rng.randrange(2, 6),
                       f"{rng.randrange(1, 300)} {rng.choice(ADJECTIVES)} Road"])
    restaurants = []
    for i, name in enumerate(_names(rng, n_restaurants, lambda a, n: f"{a} {n} {city}", ADJECTIVES, FOOD_NOUNS)):
        lunch, dinner = ((True, False), (False, True), (True, True), (True, True))[i % 4]
        if i < 2:
            price, rating = rng.randrange(15, 29), round(2.5 + 0.6 * rng.random(), 1)
        else:
            price, rating = rng.randrange(30, 320), round(2.5 + 2.5 * rng.random(), 1)
        restaurants.append([name, city, price, rating, rng.choice(CUISINES), _hours(rng, lunch, dinner)])
    attractions = []
    for name, noun in _names(rng, n_attractions, lambda a, n: (f"{city} {a} {n}", n), ADJECTIVES, SIGHT_NOUNS):
        attractions.append([name, city, rng.randrange(0, 300), round(3.0 + 2.0 * rng.random(), 1), noun,
                            rng.choice(SIGHT_HOURS), INDOOR_KINDS[noun]])
    return hotels, restaurants, attractions


def _plant_day(rng: random.Random, venues: tuple[list, list, list], day: int, rainy: bool, level: Level,
               tiers: dict[str, Any], min_hotel_rating: float | None) -> None:
    """Force one hotel, two restaurants and one attraction of a city to make a day that keeps every
    rule of position `day`."""
    hotels, restaurants, attractions = venues
    hotel = rng.choice(hotels[1:])
    lunch, dinner = rng.sample(restaurants[2:], 2)
    sight = rng.choice(attractions)
    lunch[5] = _hours(rng, True, rng.random() < 0.5)
    dinner[5] = _hours(rng, rng.random() < 0.5, True)
    sight[5] = rng.choice(AFTERNOON_HOURS)
    if min_hotel_rating and hotel[3] < min_hotel_rating:
        hotel[3] = round(rng.uniform(min_hotel_rating, 5.0), 1)
    if rainy and not sight[6]:
        sight[6] = 1
        sight[4] = "Museum"
    if day in level.rule_days:
        tier = rng.choice(("high", "mid", "low"))
        hotel[2] = {"high": tiers["high"]["hotel"] + rng.randrange(0, 300),
                    "mid": rng.randrange(tiers["mid"]["hotel"], tiers["high"]["hotel"]),
                    "low": rng.randrange(tiers["low"]["hotel"], tiers["mid"]["hotel"])}[tier]
        if tier == "high":
            cap = tiers["high"]["meal_cap"]
            lunch[2] = rng.randrange(30, cap // 2)
            dinner[2] = rng.randrange(30, cap - lunch[2])
            lunch[3] = max(lunch[3], round(rng.uniform(tiers["high"]["rating"], 5.0), 1))
            dinner[3] = max(dinner[3], round(rng.uniform(tiers["high"]["rating"], 5.0), 1))
            sight[2] = rng.randrange(0, tiers["high"]["ticket"])
        else:
            lunch[3] = max(lunch[3], round(rng.uniform(tiers[tier]["rating"], 5.0), 1))
            if tier == "mid":
                sight[2] = rng.randrange(0, tiers["mid"]["ticket"])


def _kill(rng: random.Random, venues: tuple[list, list, list], min_hotel_rating: float | None) -> None:
    """Make a city offer no valid day at any position: no lunch service, no dinner service, no
    attraction open all afternoon, or (with a rating floor) no hotel at the floor."""
    hotels, restaurants, attractions = venues
    how = rng.choice(("lunch", "dinner", "afternoon", "rating") if min_hotel_rating else ("lunch", "dinner", "afternoon"))
    if how == "lunch":
        for r in restaurants:
            r[5] = _hours(rng, False, True)
    elif how == "dinner":
        for r in restaurants:
            r[5] = _hours(rng, True, False)
    elif how == "afternoon":
        for a in attractions:
            a[5] = rng.choice(MORNING_HOURS)
    else:
        for h in hotels:
            h[3] = round(rng.uniform(2.5, min_hotel_rating - 0.1), 1)


def _best(venues: tuple[list, list, list], day: int, rainy: bool, level: Level, tiers: dict[str, Any],
          min_hotel_rating: float | None) -> int | None:
    """The cost of the cheapest valid day of a city at position `day` (None: none), as a solver
    reading the tools would find it."""
    hotels, restaurants, attractions = venues
    found = cheapest_day(
        [{"name": h[0], "price": h[2], "rating": h[3]} for h in hotels],
        [{"name": r[0], "avg_price": r[2], "rating": r[3], "opening_hours": r[5]} for r in restaurants],
        [{"name": a[0], "ticket": a[2], "opening_hours": a[5], "indoor": a[6]} for a in attractions],
        rainy=rainy, min_rating=min_hotel_rating, tiers=tiers if day in level.rule_days else None)
    return None if found is None else found[0]


def build(rng: random.Random, difficulty: int) -> Built:
    """Fill a database and choose task params: a maze of dead ends around one planted route."""
    level = LEVELS[difficulty]
    days = level.days
    tiers = {
        "high": {"hotel": rng.choice((700, 800, 900)), "meal_cap": rng.choice((300, 350, 400)),
                 "rating": rng.choice((4.0, 4.2)), "ticket": rng.choice((100, 120, 150))},
        "mid": {"hotel": rng.choice((400, 500, 600)), "rating": rng.choice((3.8, 4.0)),
                "ticket": rng.choice((160, 180, 200))},
        "low": {"hotel": rng.choice((150, 200, 250)), "rating": rng.choice((3.2, 3.5))},
    }
    min_hotel_rating = rng.choice((3.5, 3.8, 4.0)) if level.rating_rule else None
    # roles by position in a random draw of names: start, the candidates of each day, the dead pool
    names = rng.sample(CITY_NAMES, 1 + days + level.decoys * (days - 1) + (days - 1))
    start, rest = names[0], names[1:]
    groups: list[list[str]] = []
    for day in range(1, days + 1):
        size = level.decoys + 1 if day < days else 1
        groups.append(sorted(rest[:size]))
        rest = rest[size:]
    pool = sorted(rest)
    cities = sorted(names)
    start_date = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 330))
    dates = [(start_date + dt.timedelta(days=i)).isoformat() for i in range(days)]
    weather = {(c, d): rng.choice(CONDITIONS) for c in cities for d in dates}
    counts = (4, 6, 4) if difficulty == 5 else (3, 5, 3)

    venues = {city: _venues(rng, city, tiers, counts) for city in cities}
    for day, group in enumerate(groups, start=1):
        for city in group:
            _plant_day(rng, venues[city], day, level.rain_rule and weather[(city, dates[day - 1])] == RAINY, level,
                       tiers, min_hotel_rating)
    for city in pool:
        _kill(rng, venues[city], min_hotel_rating)

    # the planted city of each day: any candidate, but on day 1 of a biased level neither the first
    # by name nor the cheapest (the others are decoys)
    def best(city: str, day: int) -> int:
        cost = _best(venues[city], day, level.rain_rule and weather[(city, dates[day - 1])] == RAINY, level, tiers,
                     min_hotel_rating)
        assert cost is not None, "a planted day is valid"
        return cost

    route, costs = [], []
    for day, group in enumerate(groups, start=1):
        eligible = group
        if level.bias and day == 1:
            cheapest = min(group, key=lambda c: (best(c, day), c))
            eligible = [c for c in group if c != group[0] and c != cheapest]
        city = rng.choice(eligible)
        route.append(city)
        costs.append(best(city, day) if level.slack is not None else 0)

    edges = {(start, c) for c in groups[0]}
    for day in range(1, days):
        edges |= {(route[day - 1], c) for c in groups[day]}
        edges |= {(decoy, z) for decoy in groups[day - 1] if decoy != route[day - 1] for z in pool}
    edges |= {(a, b) for a in pool for b in pool if a != b}

    db = new_db(SCHEMA)
    db.executemany("INSERT INTO cities VALUES (?,?,?,?)", [
        (city, rng.choice(REGIONS), rng.randrange(50, 5000) * 1000,
         f"{city} is a {rng.choice(('quiet', 'busy', 'historic', 'coastal'))} city.") for city in cities])
    db.executemany("INSERT INTO hotels VALUES (?,?,?,?,?,?)", [h for c in cities for h in venues[c][0]])
    db.executemany("INSERT INTO restaurants VALUES (?,?,?,?,?,?)", [r for c in cities for r in venues[c][1]])
    db.executemany("INSERT INTO attractions VALUES (?,?,?,?,?,?,?)", [a for c in cities for a in venues[c][2]])
    db.executemany("INSERT INTO city_transport VALUES (?,?,?)",
                   [(city, mode, rng.randrange(2, 40)) for city in cities for mode in ("metro", "taxi", "bus")])
    departures = []
    for a, b in sorted(edges):
        for _ in range(rng.randrange(1, 3)):
            hour = rng.randrange(6, 20)
            departures.append((a, b, rng.choice(MODES), f"{hour:02d}:{rng.choice(('00', '30'))}",
                               f"{hour + rng.randrange(1, 5):02d}:00", rng.randrange(40, 600)))
    db.executemany("INSERT INTO inter_city_transport VALUES (?,?,?,?,?,?)", departures)
    db.executemany("INSERT INTO weather VALUES (?,?,?,?,?)",
                   [(c, d, weather[(c, d)], rng.randrange(10, 35), rng.randrange(-5, 10)) for c in cities for d in dates])
    db.commit()

    budget = int(sum(costs) * (1 + level.slack)) if level.slack is not None else None
    params = {
        "days": days,
        "start_city": start,
        "start_date": dates[0],
        "dates": dates,
        "rule_days": list(level.rule_days),
        "tiers": tiers,
        "min_hotel_rating": min_hotel_rating,
        "rain_rule": level.rain_rule,
        "budget": budget,
    }
    return Built(db=db, params=params)
