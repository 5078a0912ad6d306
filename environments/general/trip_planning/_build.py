"""trip_planning's generator: a random world, then a complete solver finds its one answer.

Sits under the category (`__init__.py` wires it) and over the shared rules
(`synth.verifiers.general.rules.trip_planning`), the oracle (`.._oracle`, OR-Tools CP-SAT) and the
core. `build` is a pure function of (rng, difficulty). Nothing is planted (issue 18): every city
draws its venues, prices, ratings, opening hours and forecasts from the same distributions, and
every city links to `Level.degree` others drawn at random. Then the oracle decides:

- Days in different cities share no venue, and a day's cost depends only on its city and position
  (the rule days, that date's forecast), so the cheapest valid day of each (city, day)
  (`rules.cheapest_day`, the checker's rules) is the only choice a cheapest plan can make there.
  CP-SAT then chooses the route: one city a day, never the start, never twice, each reachable from
  the one before, at least cost. The budget is that least cost.
- The instance is kept only if that plan is the only one within the budget: CP-SAT proves no other
  route costs as little (the found route excluded, the cost bounded, the model is infeasible) and
  each of its days has exactly one cheapest (hotel, lunch, dinner, attraction). A task has one
  answer; an agent must find the cheapest plan, which takes search over routes.
- Difficulty is size and tightness: more days, more cities, more links per city (more routes), and
  more rule days. From difficulty 3 an instance is kept only where search is needed: a random
  world's cheapest plan is often the walk to the cheapest city each day (a third to half of them),
  so an instance whose cheapest plan a walk reaches with at most one swerve (one day on the 2nd or
  3rd cheapest option; limited discrepancy search of discrepancy 1, with or without a day of
  look-ahead) is drawn again. Rejecting only the plain walk made "the 2nd cheapest on day 1, then
  the walk" win 30% of tuples: a filter must cover a class of walks, not one walk.

The solver's effort (CP-SAT branches and conflicts, model size) is stored in the task params as
`oracle`; the answer never is: the gold solver finds it through the tools.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, NamedTuple

from synth.verifiers.general.rules.trip_planning import (
    AFTERNOON, DINNER, LUNCH, RAINY, cheapest_day, day_cost, meals_ok, open_at, open_through, ticket_ok, tier_of,
)

from .._base import RULES_BLOCK, Built, new_db
from .._oracle import Oracle

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
    cities: int
    """Cities besides the start."""
    degree: int
    """Cities each city links to (drawn at random)."""
    venues: tuple[int, int, int]
    """Hotels, restaurants and attractions per city."""
    search: bool
    """Keep only instances where search is needed: the cheapest plan is not the route of any walk
    that never backtracks and departs from cheapest-first on one day at most (`_walks`)."""


LEVELS = {
    1: Level(2, (2,), False, False, 5, 2, (3, 4, 3), False),
    2: Level(3, (2,), True, False, 8, 3, (3, 5, 3), False),
    3: Level(4, (2, 3, 4), True, True, 14, 8, (4, 6, 4), True),
    4: Level(5, (2, 3, 4, 5), True, True, 15, 8, (4, 6, 4), True),
    5: Level(5, (2, 3, 4, 5), True, True, 16, 9, (4, 6, 4), True),
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
    so they are unique across cities and tables), every city from the same distributions. Hotel
    prices span the tiers (the first is high tier, so a rule day can always be broken by a control);
    restaurants serve lunch, dinner or both; attractions open all afternoon or not."""
    n_hotels, n_restaurants, n_attractions = counts
    low, high = tiers["low"]["hotel"], tiers["high"]["hotel"]
    hotels = []
    for i, name in enumerate(_names(rng, n_hotels, lambda a, n: f"{a} {city} {n}", ADJECTIVES, HOTEL_NOUNS)):
        price = high + rng.randrange(0, 400) if i == 0 else rng.randrange(low - 60, high + 400)
        hotels.append([name, city, price, round(2.8 + 2.2 * rng.random(), 1), rng.randrange(2, 6),
                       f"{rng.randrange(1, 300)} {rng.choice(ADJECTIVES)} Road"])
    restaurants = []
    for name in _names(rng, n_restaurants, lambda a, n: f"{a} {n} {city}", ADJECTIVES, FOOD_NOUNS):
        serves = rng.random()
        # few serve both: two that do can swap lunch and dinner at the same cost (a tie, redrawn)
        lunch, dinner = (True, True) if serves < 0.2 else (True, False) if serves < 0.6 else (False, True)
        restaurants.append([name, city, rng.randrange(15, 320), round(2.5 + 2.5 * rng.random(), 1),
                            rng.choice(CUISINES), _hours(rng, lunch, dinner)])
    attractions = []
    for name, noun in _names(rng, n_attractions, lambda a, n: (f"{city} {a} {n}", n), ADJECTIVES, SIGHT_NOUNS):
        attractions.append([name, city, rng.randrange(0, 300), round(3.0 + 2.0 * rng.random(), 1), noun,
                            rng.choice(SIGHT_HOURS), INDOOR_KINDS[noun]])
    return hotels, restaurants, attractions


def _tiers(rng: random.Random) -> dict[str, Any]:
    return {
        "high": {"hotel": rng.choice((700, 800, 900)), "meal_cap": rng.choice((300, 350, 400)),
                 "rating": rng.choice((4.0, 4.2)), "ticket": rng.choice((100, 120, 150))},
        "mid": {"hotel": rng.choice((400, 500, 600)), "rating": rng.choice((3.8, 4.0)),
                "ticket": rng.choice((160, 180, 200))},
        "low": {"hotel": rng.choice((150, 200, 250)), "rating": rng.choice((3.2, 3.5))},
    }


def _rows(venues: tuple[list, list, list]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    hotels, restaurants, attractions = venues
    return ([{"name": h[0], "price": h[2], "rating": h[3]} for h in hotels],
            [{"name": r[0], "avg_price": r[2], "rating": r[3], "opening_hours": r[5]} for r in restaurants],
            [{"name": a[0], "ticket": a[2], "opening_hours": a[5], "indoor": a[6]} for a in attractions])


def _ties(venues: tuple[list, list, list], cost: int, *, rainy: bool, min_rating: float | None,
          tiers: dict[str, Any] | None) -> int:
    """How many valid days of a city cost exactly `cost` (the cheapest): 1 when its day is unique."""
    hotels, restaurants, attractions = _rows(venues)
    lunches = [r for r in restaurants if open_at(r["opening_hours"], LUNCH)]
    dinners = [r for r in restaurants if open_at(r["opening_hours"], DINNER)]
    sights = [a for a in attractions if open_through(a["opening_hours"], *AFTERNOON) and (not rainy or a["indoor"])]
    count = 0
    for h in hotels:
        if (min_rating and h["rating"] < min_rating) or h["price"] > cost:
            continue
        tier = tier_of(h["price"], tiers) if tiers is not None else None
        for lu in lunches:
            for di in dinners:
                if lu["name"] == di["name"] or (tiers is not None and not meals_ok(tier, tiers, lu, di)):
                    continue
                for a in sights:
                    if day_cost(h["price"], lu["avg_price"], di["avg_price"], a["ticket"]) == cost and (
                            tiers is None or ticket_ok(tier, tiers, a["ticket"])):
                        count += 1
    return count


def _route(start: str, cities: list[str], edges: set[tuple[str, str]], cost: dict[tuple[str, int], int],
           days: int) -> tuple[list[str] | None, int, dict[str, int]]:
    """(the one cheapest route, its cost, the oracle's effort), or (None, 0, effort) when there is
    no route or more than one at the least cost. CP-SAT over x[day, city]: one city a day, each
    city at most once, day 1 reachable from the start and each later day from the day before."""
    oracle = Oracle()
    m = oracle.model
    x = {(d, c): m.new_bool_var(f"x{d}_{c}") for d in range(1, days + 1) for c in cities if (c, d) in cost}
    for d in range(1, days + 1):
        m.add_exactly_one(x[d, c] for c in cities if (d, c) in x)
    for c in cities:
        m.add_at_most_one(x[d, c] for d in range(1, days + 1) if (d, c) in x)
    for (d, c), var in x.items():
        before = [x[d - 1, p] for p in cities if (d - 1, p) in x and (p, c) in edges] if d > 1 else None
        if d == 1:
            if (start, c) not in edges:
                m.add(var == 0)
        else:
            m.add_bool_or([var.Not(), *before]) if before else m.add(var == 0)
    total = sum(cost[c, d] * var for (d, c), var in x.items())
    m.minimize(total)
    solver = oracle.solve()
    if solver is None:
        return None, 0, oracle.effort.as_params()
    best = int(round(solver.objective_value))
    chosen = [(d, c) for (d, c), var in x.items() if solver.value(var)]
    route = [c for d, c in sorted(chosen)]
    m.clear_objective()
    m.add(total <= best)
    oracle.exclude([x[k] for k in chosen])
    unique = oracle.solve() is None
    return (route if unique else None), best, oracle.effort.as_params()


def _cheaper(start: str, cities: list[str], edges: set[tuple[str, str]], cost: dict[tuple[str, int], int], days: int,
             bound: int) -> bool:
    """Whether some route costs less than `bound` (depth-first, pruned by each later day's cheapest
    city): a quick test that spares the oracle most instances a walk would solve."""
    floor = [0] * (days + 2)
    for day in range(days, 0, -1):
        floor[day] = floor[day + 1] + min((cost[c, day] for c in cities if (c, day) in cost), default=10**9)
    after = {a: [c for c in cities if (a, c) in edges] for a in [start, *cities]}

    def dfs(at: str, day: int, spent: int, used: set[str]) -> bool:
        if day > days:
            return spent < bound
        for city in after[at]:
            if city not in used and (city, day) in cost and spent + cost[city, day] + floor[day + 1] < bound:
                used.add(city)
                if dfs(city, day + 1, spent + cost[city, day], used):
                    return True
                used.discard(city)
        return False

    return dfs(start, 1, 0, set())


def _walk(start: str, cities: list[str], edges: set[tuple[str, str]], cost: dict[tuple[str, int], int], days: int,
          budget: int | None, lookahead: bool, swerve: tuple[int, int] = (0, 0)) -> list[str] | None:
    """The route an agent that never backtracks takes: each day the cheapest reachable new city with
    a valid day within the budget left (with `lookahead`, only cities with a valid next day onward),
    except on day `swerve[0]`, where it takes the `swerve[1]`-th cheapest (0: the cheapest); None when
    it is stuck."""
    path, spent = [start], 0
    for day in range(1, days + 1):
        options = [c for c in cities if (path[-1], c) in edges and c not in path and (c, day) in cost
                   and (budget is None or spent + cost[c, day] <= budget)]
        if lookahead and day < days:
            options = [c for c in options if any((c, n) in edges and n not in path and n != c and (n, day + 1) in cost
                                                 for n in cities)]
        options.sort(key=lambda c: (cost[c, day], c))
        rank = swerve[1] if day == swerve[0] else 0
        if len(options) <= rank:
            return None
        city = options[rank]
        path.append(city)
        spent += cost[city, day]
    return path[1:]


SWERVES = 3
"""A walk may take any of the `SWERVES` cheapest options on one day of its choosing."""


def _walks(start: str, cities: list[str], edges: set[tuple[str, str]], cost: dict[tuple[str, int], int], days: int,
           budget: int | None) -> list[list[str]]:
    """Every route a walk with at most one swerve takes (limited discrepancy search, discrepancy 1):
    the cheapest-first walk, and each walk that on one day takes the 2nd..SWERVES-th cheapest option,
    with and without a day of look-ahead."""
    out = []
    for lookahead in (False, True):
        for swerve in [(0, 0)] + [(day, k) for day in range(1, days + 1) for k in range(1, SWERVES)]:
            route = _walk(start, cities, edges, cost, days, budget, lookahead, swerve)
            if route is not None and route not in out:
                out.append(route)
    return out


def build(rng: random.Random, difficulty: int) -> Built:
    """Draw random worlds until the oracle finds one whose cheapest plan is its only one."""
    for _ in range(200):
        built = _attempt(rng, LEVELS[difficulty])
        if built is not None:
            return built
    raise RuntimeError("no instance with a unique cheapest plan in 200 draws")


def _attempt(rng: random.Random, level: Level) -> Built | None:
    days = level.days
    tiers = _tiers(rng)
    min_hotel_rating = rng.choice((3.5, 3.8, 4.0)) if level.rating_rule else None
    names = rng.sample(CITY_NAMES, 1 + level.cities)
    start, others = names[0], sorted(names[1:])
    cities = sorted(names)
    start_date = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 330))
    dates = [(start_date + dt.timedelta(days=i)).isoformat() for i in range(days)]
    weather = {(c, d): rng.choice(CONDITIONS) for c in cities for d in dates}
    venues = {city: _venues(rng, city, tiers, level.venues) for city in cities}
    edges = {(a, b) for a in cities for b in rng.sample([c for c in cities if c != a], level.degree)}

    cost: dict[tuple[str, int], int] = {}
    days_of: dict[tuple[str, int], dict[str, str]] = {}
    for city in others:
        rows = _rows(venues[city])
        seen: dict[tuple[bool, bool], Any] = {}  # a day's cheapest depends only on (rule day, rainy)
        for day in range(1, days + 1):
            kind = (day in level.rule_days, level.rain_rule and weather[(city, dates[day - 1])] == RAINY)
            if kind not in seen:
                seen[kind] = cheapest_day(*rows, rainy=kind[1], min_rating=min_hotel_rating,
                                          tiers=tiers if kind[0] else None)
            if seen[kind] is not None:
                cost[city, day], days_of[city, day] = seen[kind]
    if level.search:
        # cheap test first: a route cheaper than every walk must exist, or a walk is the answer
        walks = _walks(start, others, edges, cost, days, None)
        bound = min((sum(cost[c, d] for d, c in enumerate(w, start=1)) for w in walks), default=None)
        if bound is not None and not _cheaper(start, others, edges, cost, days, bound):
            return None
    route, best, effort = _route(start, others, edges, cost, days)
    if route is None:
        return None
    if level.search and route in _walks(start, others, edges, cost, days, best):
        return None
    for day, city in enumerate(route, start=1):
        rainy = level.rain_rule and weather[(city, dates[day - 1])] == RAINY
        if _ties(venues[city], cost[city, day], rainy=rainy, min_rating=min_hotel_rating,
                 tiers=tiers if day in level.rule_days else None) != 1:
            return None

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

    params = {
        "days": days,
        "start_city": start,
        "start_date": dates[0],
        "dates": dates,
        "rule_days": list(level.rule_days),
        "tiers": tiers,
        "min_hotel_rating": min_hotel_rating,
        "rain_rule": level.rain_rule,
        "budget": best,
        "oracle": effort,
    }
    answer = [{"time": date, "city": city, **days_of[city, day]}
              for day, (date, city) in enumerate(zip(dates, route), start=1)]
    return Built(db=db, params=params, answer=answer)
