"""A scripted synthesis agent: hand-written environment files and a model that writes them.

Shared by tests/synthesis, the family conformance suite (tests/family_samples.py) and
benchmarks/bench_synthesis.py; importable from any test as `agent_script`. `HOTELS` is a sound
two-level environment (book a hotel in two cities under rules; level 2 adds amenities, a tool and
more data). `ScriptedAgent` is a model whose reply is a pure function of the conversation it is
sent (the same conversation always gets the same reply, so runs are reproducible and a killed
run resumes to the same tuples): for the level being worked on (levels passed = check results
that say so) it plays the turns of its plan in order, then keeps calling check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fakes import call, completion

SCHEMA = """\
CREATE TABLE hotel (name TEXT PRIMARY KEY, city TEXT NOT NULL, price INTEGER NOT NULL, rating REAL NOT NULL);
"""
DATA = """\
INSERT INTO hotel VALUES ('Albergo Roma', 'Rome', 250, 3.5), ('Casa Vaticano', 'Rome', 60, 3.2),
  ('Hotel Colosseo', 'Rome', 180, 4.5), ('Pensione Tevere', 'Rome', 90, 4.1),
  ('Aker Hotel', 'Oslo', 200, 3.8), ('Fjord Inn', 'Oslo', 150, 4.3), ('Nordlys', 'Oslo', 120, 4.0),
  ('Hostal Lima', 'Lima', 40, 4.8);
"""
TOOLS = '''\
def list_cities(db) -> list:
    """All cities that have hotels, sorted by name."""
    return [row[0] for row in db.execute("SELECT DISTINCT city FROM hotel ORDER BY city")]


def hotels_in(db, city: str) -> list:
    """The hotels of a city with their nightly price and rating.

    Args:
        city: A city name from list_cities.
    """
    rows = db.execute("SELECT name, price, rating FROM hotel WHERE city = ? ORDER BY name", (city,)).fetchall()
    if not rows:
        raise ValueError(f"no hotels in {city!r}")
    return [{"name": name, "price": price, "rating": rating} for name, price, rating in rows]
'''
TASK = """\
Book one hotel in Rome and one in Oslo for a night. Each must be rated at least 4.0 and the two
nightly prices together may not exceed 300. Answer with JSON: {"Rome": HOTEL NAME, "Oslo": HOTEL NAME}.
"""
SOLUTION = '''\
def solve(tools):
    options = {c: [h for h in tools.hotels_in(city=c) if h["rating"] >= 4.0] for c in ("Rome", "Oslo")}
    pairs = sorted((a["price"] + b["price"], a["name"], b["name"]) for a in options["Rome"] for b in options["Oslo"])
    _, rome, oslo = pairs[0]
    return {"Rome": rome, "Oslo": oslo}
'''
VERIFY = '''\
CITIES = ("Rome", "Oslo")


def verify(db, answer):
    if not (isinstance(answer, dict) and set(answer) == set(CITIES) and all(isinstance(v, str) for v in answer.values())):
        return {"shape": False, "in_city": False, "rating": False, "budget": False}
    rows = {c: db.execute("SELECT city, price, rating FROM hotel WHERE name = ?", (answer[c],)).fetchone() for c in CITIES}
    known = all(row is not None for row in rows.values())
    return {
        "shape": True,
        "in_city": known and all(rows[c][0] == c for c in CITIES),
        "rating": known and all(row[2] >= 4.0 for row in rows.values()),
        "budget": known and sum(row[1] for row in rows.values()) <= 300,
    }
'''
PERTURB = '''\
def perturb(db, answer):
    lima = db.execute("SELECT name FROM hotel WHERE city = 'Lima'").fetchone()[0]
    low = db.execute("SELECT name FROM hotel WHERE city = 'Rome' AND rating < 4.0 ORDER BY price").fetchone()[0]
    return [
        {"name": "hotel_in_lima", "breaks": "in_city", "answer": {**answer, "Rome": lima}},
        {"name": "low_rated", "breaks": "rating", "answer": {**answer, "Rome": low}},
    ]
'''
LEVEL1 = {"schema.sql": SCHEMA, "data.sql": DATA, "tools.py": TOOLS, "task.md": TASK, "solution.py": SOLUTION,
          "verify.py": VERIFY, "perturb.py": PERTURB}

AMENITY_TOOL = '''

def amenities_of(db, hotel: str) -> list:
    """The amenities of a hotel, sorted.

    Args:
        hotel: A hotel name from hotels_in.
    """
    return [row[0] for row in db.execute("SELECT name FROM amenity WHERE hotel = ? ORDER BY name", (hotel,))]
'''
LEVEL2 = {
    **LEVEL1,
    "schema.sql": SCHEMA + "CREATE TABLE amenity (hotel TEXT NOT NULL, name TEXT NOT NULL);\n",
    "data.sql": DATA + """\
INSERT INTO amenity VALUES ('Pensione Tevere', 'wifi'), ('Hotel Colosseo', 'breakfast'), ('Hotel Colosseo', 'wifi'),
  ('Nordlys', 'breakfast'), ('Fjord Inn', 'breakfast'), ('Albergo Roma', 'breakfast'), ('Hostal Lima', 'breakfast');
""",
    "tools.py": TOOLS + AMENITY_TOOL,
    "task.md": TASK.replace("for a night.", "for a night. Both hotels must serve breakfast."),
    "solution.py": SOLUTION.replace(
        'if h["rating"] >= 4.0]',
        'if h["rating"] >= 4.0 and "breakfast" in tools.amenities_of(hotel=h["name"])]'),
    "verify.py": VERIFY.replace(
        '"rating": False, "budget": False}', '"rating": False, "budget": False, "breakfast": False}').replace(
        '        "budget": known and sum(row[1] for row in rows.values()) <= 300,\n',
        '        "budget": known and sum(row[1] for row in rows.values()) <= 300,\n'
        '        "breakfast": all(db.execute("SELECT 1 FROM amenity WHERE hotel = ? AND name = \'breakfast\'", (answer[c],))'
        '.fetchone() is not None for c in CITIES),\n'),
    "perturb.py": PERTURB.replace(
        '    ]\n',
        '        {"name": "no_breakfast", "breaks": "breakfast", "answer": {**answer, "Rome": "Pensione Tevere"}},\n    ]\n'),
}


def writes(files: dict[str, str], *, check: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """One turn: write every file (in order), then call check."""
    turn = [("write_file", {"path": name, "content": text}) for name, text in files.items()]
    return turn + ([("check", {})] if check else [])


Turn = list[tuple[str, dict[str, Any]]]


def level_and_turn(messages: list[dict[str, Any]]) -> tuple[int, int]:
    """(levels passed, assistant turns since the last pass) of a conversation."""
    passed, turn = 0, 0
    for message in messages:
        if message["role"] == "assistant":
            turn += 1
        content = message.get("content") or ""
        if message["role"] in ("tool", "user") and '"passed": true' in content:
            passed, turn = passed + 1, 0
    return passed, turn


class ScriptedAgent:
    """A model playing `plans[level]` (1-based), one turn per reply; then it calls check."""

    def __init__(self, plans: dict[int, list[Turn]]) -> None:
        self.plans = plans
        self.calls = 0

    def __call__(self, body: dict[str, Any], n: int) -> dict[str, Any]:
        self.calls += 1
        passed, turn = level_and_turn(body["messages"])
        level = passed + 1
        plan = self.plans.get(level, [])
        calls = plan[turn] if turn < len(plan) else [("check", {})]
        return completion(tool_calls=[call(name, args, f"call_{level}_{turn}_{i}") for i, (name, args) in enumerate(calls)])


def hotels_agent() -> ScriptedAgent:
    """Writes HOTELS level 1, then level 2 (forgetting the amenities tool once, adding it when the gate
    says the solution calls a tool that does not exist)."""
    level2_without_tool = {**LEVEL2, "tools.py": TOOLS}
    return ScriptedAgent({1: [writes(LEVEL1)], 2: [writes(level2_without_tool), writes({"tools.py": LEVEL2["tools.py"]})]})


def by_category(agents: dict[str, Callable[[], ScriptedAgent]]) -> Callable[[dict[str, Any], int], dict[str, Any]]:
    """A model that plays the agent named by the category in the conversation's first user message."""

    def reply(body: dict[str, Any], n: int) -> dict[str, Any]:
        first = next(m["content"] for m in body["messages"] if m["role"] == "user")
        for name, make in agents.items():
            if first.splitlines()[0] == f"Task category: {name}":
                return make()(body, n)
        return completion("I do not know this category.")

    return reply


def arguments(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every tool call's decoded arguments in a request's messages (for assertions)."""
    return [json.loads(c["function"]["arguments"]) for m in body["messages"] if m["role"] == "assistant"
            for c in m.get("tool_calls") or []]
