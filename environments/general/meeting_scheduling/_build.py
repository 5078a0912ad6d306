"""meeting_scheduling database and generator: the schema, the name pools, the difficulty levels and
`build`, which draws a random instance with nothing planted and lets a complete solver find its one
schedule (issue 18: generate, then solve).

Sits under the category (`__init__`); uses the shared calendar rules of
`synth.verifiers.general.rules.meeting_scheduling`, the bit-set search and the CP-SAT model of
`_search`. Pure in its random stream: the same draws in the same order give the same database and
params, byte for byte (every search is deterministic given the stream; CP-SAT runs single-threaded
with a fixed seed).

The instance (`_draw`): a pool of people, every one of whom attends exactly `Level.degree` meetings
of two (a random degree-regular pairing), an hour each; with a daily limit of `degree / days`
meetings, each person's meetings must split evenly over the days, a rule between meetings that no
single calendar shows. Calendars are whole free UTC hours drawn at random within working hours (the
rest busy), rooms are booked by the hour at random, precedence pairs are drawn at random. Every
bound is on the hour, so a schedule off the hour exists only if two on it do: uniqueness on the
hour grid is uniqueness.

The answer (`_tighten`): a random schedule S of the instance (the bit-set search with random value
order). While the search finds another schedule O, one place of O that S does not use is taken
away: a busy hour for one of its attendees or a booking of its room at that hour, drawn at random
among those that leave S alone and every meeting `Level.min_options` starts by its own rules; each
step is one incremental search. When no other schedule is left, S is the only one. No instance is
drawn twice for one answer: a draw is dropped only when a cheap count shows it infeasible (per
person and local date, the hours their meetings can use against the daily limit), when no kill
is left, or when an agent without backtracking completes it (`Level.rollouts` random agents of
`_search._greedy_wins`: look-ahead, least constraining and its best-two variant).

The oracle: CP-SAT over the checker's rules (`_search._model`) then finds S and proves it the only
one (a second solve excluding S is infeasible); its effort is stored in the params as `oracle`, the
answer never is: the gold solver must find it through the tools at generation
(`_family._gold_finds`).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, NamedTuple

from synth.verifiers.general.rules.meeting_scheduling import EPOCH_DAY, date_text, fits_work, iso, local_day

from .._base import Built, new_db
from ._search import OutOfNodes, _Board, _greedy_wins, _model, _one, _second

SCHEMA = """
CREATE TABLE people (name TEXT PRIMARY KEY, team TEXT, role TEXT, utc_offset INTEGER,
                     work_start INTEGER, work_end INTEGER);
CREATE TABLE busy (person TEXT, start_ts INTEGER, end_ts INTEGER, title TEXT);
CREATE TABLE rooms (room TEXT PRIMARY KEY, capacity INTEGER, floor INTEGER, equipment TEXT);
CREATE TABLE bookings (room TEXT, start_ts INTEGER, end_ts INTEGER, holder TEXT);
CREATE INDEX busy_person ON busy (person, start_ts);
CREATE INDEX bookings_room ON bookings (room, start_ts);
"""
# utc_offset, work_start, work_end: minutes (offset east of UTC; working hours in local time).
# start_ts/end_ts: Unix seconds, UTC.

FIRST = (
    "Ana", "Bruno", "Chen", "Dara", "Elif", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena", "Mateo",
    "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wei", "Yusuf", "Zoe",
)
LAST = (
    "Alvarez", "Berg", "Costa", "Dubois", "Endo", "Fischer", "Garcia", "Hughes", "Ivanova", "Jensen", "Kim",
    "Larsen", "Moreau", "Novak", "Okafor", "Patel", "Quist", "Rossi", "Sato", "Tanaka", "Usman", "Weber",
)
TEAMS = ("Platform", "Payments", "Design", "Research", "Sales", "Support")
ROOMS = ("Aspen", "Birch", "Cedar", "Dogwood", "Elm", "Fir", "Ginkgo", "Hazel", "Juniper", "Larch")
EQUIPMENT = ("projector", "video", "whiteboard", "speakerphone")
TOPICS = (
    "Roadmap review", "Incident retro", "Design critique", "Hiring sync", "Budget planning", "Customer demo",
    "Architecture deep dive", "Quarterly goals", "Launch readiness", "Vendor call", "Onboarding plan",
    "Security review",
)
BUSY_TITLES = ("Focus time", "1:1", "Standup", "Customer call", "Interview", "Lunch", "Training", "Travel")
# Offsets within three hours of each other, so any group shares most of a working day; one
# cluster per item.
CLUSTERS = ((-480, -420, -300), (-300, -240, -180), (-60, 0, 60), (0, 60, 120), (60, 120, 180, 240),
            (330, 420, 480), (480, 540, 600))
WORK_HOURS = ((480, 960), (540, 1020), (600, 1080), (510, 990))
BASE_DATE = dt.date(2026, 1, 5)  # a Monday
DURATION = 60
"""Every meeting lasts an hour: with whole free hours and hourly bookings every bound is on the hour."""


class Level(NamedTuple):
    """What a difficulty level draws and which rules its task states."""

    pool: int
    """People who attend the meetings."""
    degree: int
    """Meetings (of two) each person of the pool attends: pool * degree / 2 meetings."""
    extra_people: int
    """People in the directory who attend none of the meetings (their calendars are drawn alike)."""
    days: int
    free_hours: int
    """Whole UTC hours each person is free in each working day (the rest busy)."""
    rooms: int
    room_booked: float
    """Share of (room, hour) booked at first."""
    precedence: int
    """Precedence pairs stated (drawn at random, acyclic)."""
    limit: int | None
    """Daily limit on meeting minutes (None: no limit)."""
    min_options: int
    """Starts each meeting keeps by its own rules: the tightening never takes more."""
    rollouts: int
    """Agents without backtracking (`_search._greedy_wins`, styles 0-2) that must all fail (0: none)."""
    director_rule: bool
    kills: int
    """Places the tightening may take away before the draw is dropped."""
    added_precedence: int
    """Precedence pairs the tightening may add (each kept by the schedule, broken by another)."""
    nodes: int = 2000
    """Node cap of each of the tightening's searches: a draw that needs more is dropped."""
    retries: int = 10
    """Other schedules none of whose places can go, looked past before the draw is dropped."""
    move: float = 0.5
    """Share of the tightening's steps that first try to take a place of the schedule itself (which
    then moves to another) rather than of the other schedule only."""


LEVELS = {
    1: Level(4, 2, 1, 2, 3, 2, 0.3, 0, 60, 1, 0, False, 200, 0),
    2: Level(4, 3, 2, 2, 3, 2, 0.3, 1, 120, 2, 0, False, 200, 2),
    3: Level(5, 4, 3, 2, 4, 2, 0.3, 1, 120, 4, 24, False, 300, 5),
    4: Level(6, 4, 3, 2, 4, 2, 0.3, 1, 120, 3, 36, True, 300, 3),
    5: Level(6, 4, 3, 2, 4, 2, 0.3, 1, 120, 3, 48, True, 300, 3),
}
DRAWS = 5000


def build(rng: random.Random, difficulty: int) -> Built:
    """Draw random instances until one is tightened to exactly one schedule (see the module docstring)."""
    level = LEVELS[difficulty]
    for _ in range(DRAWS):
        built = _attempt(rng, level)
        if built is not None:
            return built
    raise RuntimeError(f"no instance tightened to one schedule in {DRAWS} draws")


def _names(rng: random.Random, n: int) -> list[str]:
    names: list[str] = []
    while len(names) < n:
        candidate = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if candidate not in names:
            names.append(candidate)
    return names


class _Instance(NamedTuple):
    d0: int
    everyone: list[str]
    people: dict[str, dict[str, Any]]
    meetings: list[dict[str, Any]]
    rooms: dict[str, dict[str, Any]]
    free: dict[str, list[tuple[int, int, set[int]]]]
    """Per person and working day: (lo, hi, free hour starts) with [lo, hi) the day's span shown."""
    booked: dict[str, set[int]]
    """Per room: the UTC hour starts booked."""
    precedence: list[tuple[int, int]]
    limit: int | None
    options: list[list[tuple[int, str]]]


def _draw(rng: random.Random, level: Level) -> _Instance | None:
    """A random instance and each meeting's (start, room) places by its own rules, or None when a
    meeting has fewer than `min_options` starts or the daily count rules it out."""
    d0 = (BASE_DATE + dt.timedelta(weeks=rng.randrange(40))).toordinal() - EPOCH_DAY
    w0, w1 = d0 * 1440, (d0 + level.days) * 1440
    offsets = rng.choice(CLUSTERS)
    names = _names(rng, level.pool + level.extra_people)
    pool = names[:level.pool]
    everyone = sorted(names)
    directors = set(rng.sample(pool, 2)) if level.director_rule else set()
    people = {}
    for person in everyone:
        role = "director" if person in directors else rng.choice(("engineer", "designer", "manager", "analyst"))
        people[person] = {"team": rng.choice(TEAMS), "role": role, "offset": rng.choice(offsets),
                          "work": rng.choice(WORK_HOURS)}
    while True:
        stubs = [p for p in pool for _ in range(level.degree)]
        rng.shuffle(stubs)
        pairs = [sorted(stubs[n:n + 2]) for n in range(0, len(stubs), 2)]
        if all(a != b for a, b in pairs):
            break
    k = len(pairs)
    meetings = [{"attendees": pair, "duration": DURATION, "equipment": sorted(rng.sample(EQUIPMENT, rng.randint(0, 1)))}
                for pair in pairs]
    room_names = sorted(rng.sample(ROOMS, level.rooms))
    rooms = {r: {"capacity": rng.choice((3, 4, 6, 8, 10)), "floor": rng.randint(1, 6),
                 "equipment": sorted(rng.sample(EQUIPMENT, rng.randint(1, 3)))} for r in room_names}
    free: dict[str, list[tuple[int, int, set[int]]]] = {}
    parity = rng.randrange(2)
    for person in everyone:
        q = people[person]
        free[person] = []
        for day in range(d0 - 1, d0 + level.days + 1):
            # the working day (with a margin) within the task's window: the rest is out of bounds
            lo = max(day * 1440 + q["work"][0] - 30 - q["offset"], w0 - 60)
            hi = min(day * 1440 + q["work"][1] + 30 - q["offset"], w1 + 60)
            if hi - lo < 120:
                continue
            # free hours are every other UTC hour (the instance's `parity`), never two in a row: every
            # start anyone can take is on the hour, so the answer's being on the hour (which
            # uniqueness implies) tells nothing
            hours = [h for h in range(-(-(lo + 30) // 60) * 60, hi - 30 - 60 + 1, 60) if h // 60 % 2 == parity]
            free[person].append((lo, hi, set(rng.sample(hours, min(level.free_hours, len(hours))))))
    booked = {r: {day * 1440 + h * 60 for day in range(d0, d0 + level.days) for h in range(24)
                  if rng.random() < level.room_booked} for r in room_names}
    precedence: list[tuple[int, int]] = []
    if level.precedence:
        order = rng.sample(range(k), k)
        precedence = rng.sample([(order[a], order[b]) for a in range(k) for b in range(a + 1, k)], level.precedence)
    limit = level.limit

    free_at = {p: {h for _, _, hours in free[p] for h in hours} for p in everyone}
    options: list[list[tuple[int, str]]] = []
    for m in meetings:
        needs_video = any(people[p]["role"] == "director" for p in m["attendees"])
        fitting = [r for r in room_names if rooms[r]["capacity"] >= len(m["attendees"])
                   and set(m["equipment"]) <= set(rooms[r]["equipment"])
                   and (not needs_video or "video" in rooms[r]["equipment"])]
        found = []
        for s in range(w0, w1 - DURATION + 1, 60):
            if all(s in free_at[p] and fits_work(people[p]["offset"], people[p]["work"], s, s + DURATION)
                   for p in m["attendees"]):
                found += [(s, r) for r in fitting if s not in booked[r]]
        if len({s for s, _ in found}) < level.min_options:
            return None
        options.append(found)
    # a count per person and local date: no more meetings than the limit allows and hours they can use
    if limit is not None:
        for p in pool:
            hours: dict[int, set[int]] = {}
            for m, opts in zip(meetings, options):
                if p in m["attendees"]:
                    for s, _ in opts:
                        hours.setdefault(local_day(people[p]["offset"], s), set()).add(s)
            if sum(min(limit // DURATION, len(v)) for v in hours.values()) < level.degree:
                return None
    return _Instance(d0, everyone, people, meetings, rooms, free, booked, precedence, limit, options)


def _tighten(rng: random.Random, level: Level, inst: _Instance, board: _Board) -> list[int] | None:
    """A random schedule made the only one by taking away places of the others (module docstring),
    as the option index per meeting, or None. Updates `inst.free`, `inst.booked` and
    `inst.precedence` in place."""
    try:
        return _tighten_capped(rng, level, inst, board)
    except OutOfNodes:
        return None  # a hard draw: the next one is cheaper than deciding this one


def _tighten_capped(rng: random.Random, level: Level, inst: _Instance, board: _Board) -> list[int] | None:
    alive = list(board.mask)
    schedule = board.solve(alive, rng=rng, nodes=level.nodes)
    if schedule is None:
        return None
    meetings, options = inst.meetings, inst.options
    k = len(meetings)
    live_starts: list[dict[int, int]] = [{} for _ in range(k)]  # meeting -> start -> live places there
    for i in range(k):
        for s, _ in options[i]:
            live_starts[i][s] = live_starts[i].get(s, 0) + 1
    dead: set[tuple[int, int]] = set()
    added = stuck = 0
    for _ in range(level.kills):
        other = board.solve(alive, avoid=schedule, rng=rng, nodes=level.nodes)
        if other is None:
            return schedule
        at = [options[i][j][0] for i, j in enumerate(schedule)]
        used_person = {(p, at[i]) for i in range(k) for p in meetings[i]["attendees"]}
        used_room = {(options[i][j][1], at[i]) for i, j in enumerate(schedule)}
        kills, moving, shared = [], [], []
        for i in range(k):
            s, r = options[i][other[i]]
            for kill in [("person", p, s) for p in meetings[i]["attendees"]] + [("room", r, s)]:
                if other[i] == schedule[i]:
                    shared.append(kill)  # takes both schedules away: the last resort
                else:
                    (moving if kill[1:] in used_person or kill[1:] in used_room else kills).append(kill)
        if added < level.added_precedence:
            there = [options[i][j][0] for i, j in enumerate(other)]
            kills += [("precedence", (a, b), 0) for a in range(k) for b in range(k)
                      if at[a] + DURATION <= at[b] and there[b] < there[a] + DURATION
                      and (a, b) not in inst.precedence and (b, a) not in inst.precedence]
        rng.shuffle(kills)
        rng.shuffle(moving)
        rng.shuffle(shared)
        # the schedule's own places as likely to go first as the other's (else the answer would be
        # the place whose neighbours were taken: a room swap lost would leave its start one room);
        # when none of the first kind can go, one of the second
        for kind, who, s in (moving + kills if rng.random() < level.move else kills + moving) + shared:
            if kind == "precedence":
                inst.precedence.append(who)
                board.add_precedence(*who)
                added += 1
                break
            hit = [(i, j) for i, m in enumerate(meetings) if kind == "room" or who in m["attendees"]
                   for j, (t, r) in enumerate(options[i])
                   if t == s and (kind == "person" or r == who) and (i, j) not in dead]
            lost: dict[int, int] = {}
            for i, _ in hit:
                lost[i] = lost.get(i, 0) + 1
            if any(sum(1 for t, n in live_starts[i].items() if n - (gone if t == s else 0) > 0) < level.min_options
                   for i, gone in lost.items()):
                continue  # every meeting keeps several starts of its own: the rest is for search to find
            after = list(alive)
            for i, j in hit:
                after[i] &= ~(1 << board.index[(i, j)])
            if any(schedule[i] == j for i, j in hit):
                moved = board.solve(after, rng=rng, nodes=level.nodes)
                if moved is None:
                    continue
                schedule = moved
            alive = after
            for i, j in hit:
                dead.add((i, j))
                live_starts[i][s] -= 1
            if kind == "person":
                for _, _, hours in inst.free[who]:
                    hours.discard(s)
            else:
                inst.booked[who].add(s)
            break
        else:
            stuck += 1
            if stuck > level.retries:
                return None  # no place of another schedule can go
            # this other schedule keeps every place it has: look for another one
    return None


def _attempt(rng: random.Random, level: Level) -> Built | None:
    """One random instance, kept only if it tightens to one schedule that no agent without
    backtracking completes; None otherwise."""
    inst = _draw(rng, level)
    if inst is None:
        return None
    meetings, options, people = inst.meetings, inst.options, inst.people
    k = len(meetings)
    board = _Board(meetings, people, options, set(), inst.precedence, inst.limit, 0)
    schedule = _tighten(rng, level, inst, board)
    if schedule is None:
        return None
    # the places the tightening took away, as the oracle and the agents see them
    dead = set()
    for i, m in enumerate(meetings):
        for j, (s, r) in enumerate(options[i]):
            if s in inst.booked[r] or any(not any(s in hours for _, _, hours in inst.free[p]) for p in m["attendees"]):
                dead.add((i, j))
    if level.rollouts and _greedy_wins(meetings, people, options, dead, inst.precedence, inst.limit, 0,
                                       rng, level.rollouts, (0, 1, 2)):
        return None  # an agent without backtracking completes the schedule
    oracle, x = _model(meetings, people, options, inst.precedence, inst.limit, 0)
    for i, j in sorted(dead):
        oracle.model.add(x[i][j] == 0)
    found = _one(oracle, x)
    if found != schedule or _second(oracle, x, schedule) is not None:
        raise RuntimeError(f"the oracle found {found}, the tightening's search {schedule}")
    effort = oracle.effort.as_params()
    placed = [options[i][j] for i, j in enumerate(schedule)]

    busy_rows = []
    for person in inst.everyone:
        for lo, hi, hours in inst.free[person]:
            for start, end in _chop(rng, _complement(lo, hi, [(h, h + 60) for h in sorted(hours)])):
                busy_rows.append((person, start * 60, end * 60, rng.choice(BUSY_TITLES)))
    booking_rows = [(room, s * 60, (s + 60) * 60, rng.choice(TEAMS)) for room in sorted(inst.rooms)
                    for s in sorted(inst.booked[room])]
    order = list(range(k))
    rng.shuffle(order)
    label = {i: f"M{n + 1}" for n, i in enumerate(order)}
    precedence = sorted(({"before": label[a], "after": label[b]} for a, b in inst.precedence),
                        key=lambda p: (int(p["after"][1:]), int(p["before"][1:])))
    topics = [TOPICS[n % len(TOPICS)] + (f" {n // len(TOPICS) + 1}" if n >= len(TOPICS) else "")
              for n in rng.sample(range(k), k)]
    db = store(inst.everyone, people, busy_rows, sorted(inst.rooms), inst.rooms, booking_rows)
    params = {
        "window_start": date_text(inst.d0),
        "window_end": date_text(inst.d0 + level.days - 1),
        "meetings": [{"id": label[i], "title": topics[n], "attendees": meetings[i]["attendees"],
                      "duration": meetings[i]["duration"], "equipment": meetings[i]["equipment"]}
                     for n, i in enumerate(order)],
        "precedence": precedence,
        "max_daily_minutes": inst.limit,
        "long_meeting": None,
        "director_video": level.director_rule,
        "buffer_minutes": 0,
        "oracle": effort,
    }
    answer = [{"meeting": label[i], "room": placed[i][1], "start": iso(placed[i][0])} for i in order]
    return Built(db, params, answer)


def store(everyone: list[str], people: dict[str, dict[str, Any]], busy_rows: list[tuple[Any, ...]],
          room_names: list[str], rooms: dict[str, dict[str, Any]], booking_rows: list[tuple[Any, ...]]) -> Any:
    """A new database of the schema holding these people, busy blocks, rooms and bookings."""
    db = new_db(SCHEMA)
    db.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)", [
        (p, people[p]["team"], people[p]["role"], people[p]["offset"], *people[p]["work"]) for p in everyone])
    db.executemany("INSERT INTO busy VALUES (?, ?, ?, ?)", sorted(busy_rows))
    db.executemany("INSERT INTO rooms VALUES (?, ?, ?, ?)", [
        (r, rooms[r]["capacity"], rooms[r]["floor"], ",".join(rooms[r]["equipment"])) for r in room_names])
    db.executemany("INSERT INTO bookings VALUES (?, ?, ?, ?)", sorted(booking_rows))
    db.commit()
    return db


def _complement(lo: int, hi: int, holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of [lo, hi) outside every hole."""
    out, at = [], lo
    for start, end in sorted(holes):
        if start > at:
            out.append((at, min(start, hi)))
        at = max(at, end)
        if at >= hi:
            break
    if at < hi:
        out.append((at, hi))
    return [(a, b) for a, b in out if a < b]


def _chop(rng: random.Random, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Busy spans cut into calendar-like blocks of one to four hours (the last piece takes the rest)."""
    out = []
    for start, end in spans:
        while end - start > 300:
            length = rng.choice((60, 90, 120, 180, 240))
            out.append((start, start + length))
            start += length
        out.append((start, end))
    return out
