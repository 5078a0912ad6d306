"""A scripted synthesis agent: hand-written environment files and a model that writes them.

Shared by tests/synthesis, the family conformance suite (tests/family_samples.py) and
benchmarks/bench_synthesis.py; importable from any test as `agent_script`. `HOTELS` is a sound
two-level environment (book a hotel in two cities under rules; level 2 adds amenities, a tool and
more data). `ScriptedAgent` is a model whose reply is a pure function of the conversation it is
sent (the same conversation always gets the same reply, so runs are reproducible and a killed
run resumes to the same tuples): for the level being worked on (levels passed = check results
that say so) it plays the turns of its plan in order, then says it has nothing more to change.
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
RULES = {"Book one hotel in Rome and one in Oslo": "in_city", "Each must be rated at least 4.0": "rating",
         "the two nightly prices together may not exceed 300": "budget"}
"""rules.json of level 1: each rule task.md states (its text, verbatim) -> the check of verify.py that holds it."""
RULES_FILE = {"rules.json": json.dumps(RULES, indent=1) + "\n"}
LEVEL1 = {"schema.sql": SCHEMA, "data.sql": DATA, "tools.py": TOOLS, "task.md": TASK, "solution.py": SOLUTION,
          "verify.py": VERIFY, "perturb.py": PERTURB, **RULES_FILE}

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
    "rules.json": json.dumps({**RULES, "Both hotels must serve breakfast": "breakfast"}, indent=1) + "\n",
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
    """A model playing `plans[level]` (1-based), one turn per reply; then it answers in text only."""

    def __init__(self, plans: dict[int, list[Turn]]) -> None:
        self.plans = plans
        self.calls = 0

    def __call__(self, body: dict[str, Any], n: int) -> dict[str, Any]:
        self.calls += 1
        passed, turn = level_and_turn(body["messages"])
        level = passed + 1
        plan = self.plans.get(level, [])
        if turn >= len(plan):
            return completion("I have nothing more to change.")
        return completion(tool_calls=[call(name, args, f"call_{level}_{turn}_{i}") for i, (name, args) in enumerate(plan[turn])])


def hotels_agent() -> ScriptedAgent:
    """Writes HOTELS level 1, then level 2 (forgetting the amenities tool once, adding it when the gate
    says the solution calls a tool that does not exist)."""
    level2_without_tool = {**LEVEL2, "tools.py": TOOLS}
    return ScriptedAgent({1: [writes(LEVEL1)], 2: [writes(level2_without_tool), writes({"tools.py": LEVEL2["tools.py"]})]})


def repaired_agent() -> ScriptedAgent:
    """Level 1 first with a verifier stricter than the task (the gold answer fails its budget check),
    then the verifier as the task states it; level 2 as written."""
    broken = {**LEVEL1, "verify.py": VERIFY.replace("<= 300", "<= 200")}
    return ScriptedAgent({1: [writes(broken), writes({"verify.py": VERIFY})],
                                 2: [writes(LEVEL2)]})


HOTEL_AGENTS = {"hotel booking": hotels_agent, "hotel booking with a broken verifier": repaired_agent}


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


_server: Any = None


def agent_server() -> str:
    """Base URL of a real HTTP server (one per test process) playing `hotels_agent` for the category
    'hotel booking', for runs that make their own connections (the CLI in a subprocess)."""
    global _server
    if _server is None:
        from fakes import FakeServer

        _server = FakeServer(by_category({"hotel booking": hotels_agent})).__enter__()
    return _server.base_url


# -- environments the gate must refuse, one flaw each (level 1 of HOTELS with one file changed) --------
def _solution(body: str) -> str:
    return "import sqlite3\n\n\n" + SOLUTION.replace("def solve(tools):\n", "def solve(tools):\n" + body)


FLAWED: dict[str, dict[str, str]] = {
    # the solution reads the database itself instead of using the tools
    "opens the database": {"solution.py": _solution(
        '    rows = sqlite3.connect("/state/db.sqlite").execute("SELECT name FROM hotel").fetchall()\n')},
    # ... or tries to, swallows the failure and falls back on the tools
    "peeks at the database": {"solution.py": _solution(
        "    try:\n        sqlite3.connect('file:/state/db.sqlite?mode=ro', uri=True).execute('SELECT 1')\n"
        "    except Exception:\n        pass\n")},
    # ... or reads the data file
    "reads the data file": {"solution.py": _solution(
        "    try:\n        open('/env/data.sql').read()\n    except OSError:\n        pass\n")},
    # the verifier checks the database, which the seeded data already satisfies, not the answer
    "verifier the initial state satisfies": {"verify.py": (
        "def verify(db, answer):\n"
        "    return {'hotels_listed': db.execute('SELECT COUNT(*) FROM hotel').fetchone()[0] > 0}\n"),
        "perturb.py": PERTURB.replace('"in_city"', '"hotels_listed"').replace('"rating"', '"hotels_listed"')},
    # the verifier crashes on a malformed answer instead of failing it
    "verifier crashes on wrong types": {"verify.py": VERIFY.replace(
        "    if not (isinstance(answer, dict)", "    answer['Rome'].strip()\n    if not (isinstance(answer, dict)")},
    "tool loops forever": {"tools.py": TOOLS.replace('    rows = db.execute("SELECT name, price', '    while True:\n'
                                                     '        pass\n    rows = db.execute("SELECT name, price')},
    "solution forks": {"solution.py": "import os\n\n\n" + SOLUTION.replace(
        "def solve(tools):\n", "def solve(tools):\n    if os.fork() == 0:\n        os._exit(0)\n")},
    "data fills the disk": {"data.py": (
        "def fill(db):\n    with open('/dev/shm/fill', 'wb') as out:\n        while True:\n"
        "            out.write(bytes(1 << 20))\n")},
    "verifier tries the network": {"verify.py": "import urllib.request\n\n\n" + VERIFY.replace(
        "def verify(db, answer):\n", "def verify(db, answer):\n    try:\n"
        "        urllib.request.urlopen('http://198.51.100.1/', timeout=1)\n    except Exception:\n        pass\n")},
    "tools that change between runs": {"tools.py": "import time\n\n\n" + TOOLS.replace(
        '"rating": rating}', '"rating": rating, "quote": time.time_ns()}')},
    "data that changes between builds": {"data.py": (
        "import os\n\n\ndef fill(db):\n    db.execute('CREATE TABLE noise (value TEXT)')\n"
        "    db.execute('INSERT INTO noise VALUES (?)', (os.urandom(8).hex(),))\n")},
    # the answer's text goes into the verifier's SQL: {"Rome": "x' OR rating >= 4 OR '"} would pass
    "verifier builds SQL from the answer": {"verify.py": VERIFY.replace(
        'db.execute("SELECT city, price, rating FROM hotel WHERE name = ?", (answer[c],))',
        'db.execute(f"SELECT city, price, rating FROM hotel WHERE name = \'{answer[c]}\'")')},
    # the answer is written into the solution: the task needs no tool
    "solution that knows the answer": {"solution.py": "def solve(tools):\n    return {'Rome': 'Pensione Tevere', 'Oslo': 'Nordlys'}\n"},
    # any hotel of the first city listed satisfies this task: the first-choice baseline solves it
    "too easy": {
        "task.md": 'Name any hotel rated at least 4.0. Answer with JSON: {"name": HOTEL NAME}.\n',
        "rules.json": '{"Name any hotel rated at least 4.0": "rating"}\n',
        "solution.py": "def solve(tools):\n    return {'name': tools.hotels_in(city='Rome')[2]['name']}\n",
        "verify.py": ("def verify(db, answer):\n    name = answer.get('name') if isinstance(answer, dict) else None\n"
                      "    row = db.execute('SELECT rating FROM hotel WHERE name = ?', (name,)).fetchone() "
                      "if isinstance(name, str) else None\n"
                      "    return {'known': row is not None, 'rating': row is not None and row[0] >= 4.0}\n"),
        "perturb.py": ("def perturb(db, answer):\n    return [{'name': 'invented', 'breaks': 'known', 'answer': {'name': 'Nowhere Inn'}},"
                       "\n            {'name': 'low_rated', 'breaks': 'rating', 'answer': {'name': 'Casa Vaticano'}}]\n"),
    },
}
"""Category name -> the files that differ from HOTELS level 1."""


def flawed_agent(name: str) -> Callable[[], ScriptedAgent]:
    return lambda: ScriptedAgent({1: [writes({**LEVEL1, **FLAWED[name]})]})


def record_of(run: Any, files: dict[str, str], *, timeout: float = 10.0, level: int = 1) -> Any:
    """The tuple of hand-written files without the gate (its database built in a sandbox), for tests
    of what runs a tuple: the tool box, the verifier."""
    from synth.environments.synthesized import CategoryEntry, Placement, build_database, make_record, signatures

    where = Placement(candidate=f"hand:0:L{level}", category=CategoryEntry(category="hand written"), seed=0, index=0,
                      level=level, model="hand", timeout=timeout)
    return make_record(run, files, build_database(files, timeout), signatures(files["tools.py"]), where)
