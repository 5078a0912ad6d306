"""meeting_scheduling database and generator: the schema, the name pools, the difficulty levels and
`build`, which plants a schedule first and draws every calendar, room booking and limit around it.

Sits under the category (`__init__`); uses the shared calendar rules of
`synth.verifiers.general.rules.meeting_scheduling`. Pure in its random stream: the same draws in
the same order give the same database and params, byte for byte.

Hard to solve by construction: the meetings form a cycle in which meeting i shares one attendee
with meeting i+1 (and the last with the first), and every attendee's calendar is packed except
where a meeting could go, so each meeting has exactly two places: its planted slot and a decoy
range of `Level.decoy_starts` starts, every one of which overlaps the planted slot of the next
meeting of the cycle (a decoy start of one meeting forces a decoy on the next, around the whole
cycle); a precedence rule the planted schedule keeps and no all-decoy schedule can (`kill`) leaves
the planted schedule the only one. From difficulty 2 the first meeting of the task's list has a
decoy earlier than its planted slot, so first-fit, earliest-first and fewest-options-first agents
all start wrong; an agent that commits a start per meeting with no look-ahead succeeds about once
in (decoy_starts + 1)^(meetings - 1).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any, NamedTuple

from synth.verifiers.general.rules.meeting_scheduling import (
    EPOCH_DAY,
    GRID,
    date_text,
    fits_work,
    hhmm,
    local_day,
    overlaps,
)

from .._base import Built, new_db

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
DURATIONS = (45, 60, 90)
"""At least 45 minutes: a decoy range must overlap the next meeting's slot at every one of its starts."""
BASE_DATE = dt.date(2026, 1, 5)  # a Monday



class Level(NamedTuple):
    """What a difficulty level draws and which rules its task states."""

    meetings: int
    extra_people: int
    """People in the directory who attend none of the meetings."""
    days: int
    decoy_starts: int
    """Starts in each meeting's decoy range."""
    cycle: bool
    """The last meeting's decoys overlap the first meeting's slot, closing the cycle (else a chain)."""
    trap: bool
    """The task's first meeting has a decoy start before its planted slot."""
    precedence: int
    """Precedence pairs stated (the kill pair among them, when the level closes the cycle)."""
    slack: int | None
    """Daily limit slack over the planted schedule's busiest person-day, or None: no limit."""
    long_rule: bool
    director_rule: bool
    buffer: int


LEVELS = {
    1: Level(2, 2, 1, 1, False, False, 0, None, False, False, 0),
    2: Level(3, 3, 2, 2, True, True, 1, 60, False, False, 0),
    3: Level(5, 3, 2, 5, True, True, 1, 30, True, False, 0),
    4: Level(6, 4, 3, 6, True, True, 2, 15, True, True, 0),
    5: Level(7, 4, 3, 6, True, True, 3, 0, True, True, 15),
}
LONG_MIN, LONG_END = 90, 15 * 60  # meetings of >= 90 min end by 15:00 local for every attendee


def build(rng: random.Random, difficulty: int) -> Built:
    """A database and task params with a planted schedule, the only one (up to rooms) from
    difficulty 2 (up to 200 attempts)."""
    for _ in range(200):
        built = _attempt(rng, LEVELS[difficulty])
        if built is not None:
            return built
    raise RuntimeError("could not plant a schedule in 200 attempts")


def _attempt(rng: random.Random, level: Level) -> Built | None:
    """One try at drawing the cycle; None when its geometry does not work out."""
    k = level.meetings
    d0 = (BASE_DATE + dt.timedelta(weeks=rng.randrange(40))).toordinal() - EPOCH_DAY
    w0, w1 = d0 * 1440, (d0 + level.days) * 1440
    offsets = rng.choice(CLUSTERS)
    # people: a link shared by meetings i and i+1, then one to three extras per meeting, then people
    # in no meeting
    n_people = k + sum(1 for _ in range(0)) + 3 * k + level.extra_people
    names: list[str] = []
    while len(names) < n_people:
        candidate = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if candidate not in names:
            names.append(candidate)
    links, rest = names[:k], names[k:]
    meetings = []
    for i in range(k):
        extras = [rest.pop() for _ in range(rng.randint(1, 1 + level.meetings // 3))]
        attendees = [links[i], *extras]
        if level.cycle or i > 0:
            attendees.append(links[i - 1])
        meetings.append({"attendees": sorted(attendees), "duration": rng.choice(DURATIONS)})
    everyone = sorted(names[:k] + [p for m in meetings for p in m["attendees"]] + rest[:level.extra_people])
    everyone = sorted(set(everyone))
    people = {}
    directors = set(rng.sample(everyone, 2)) if level.director_rule else set()
    for person in everyone:
        role = "director" if person in directors else rng.choice(("engineer", "designer", "manager", "analyst"))
        people[person] = {"team": rng.choice(TEAMS), "role": role, "offset": rng.choice(offsets),
                          "work": rng.choice(WORK_HOURS)}

    def valid_starts(m: dict[str, Any]) -> list[int]:
        """Grid starts at which every attendee works for the whole meeting (and, for a long meeting
        under the long-meeting rule, is done by its local end): each attendee's working days as UTC
        ranges of starts, intersected."""
        d = m["duration"]
        end_by = LONG_END if level.long_rule and d >= LONG_MIN else None
        allowed = [(w0, w1 - d)]
        for p in m["attendees"]:
            offset, (begin, close) = people[p]["offset"], people[p]["work"]
            close = close if end_by is None else min(close, end_by)
            ranges = [(day * 1440 + begin - offset, day * 1440 + close - offset - d)
                      for day in range(d0 - 1, d0 + level.days + 1)]
            allowed = [(max(a, b), min(c, e)) for a, c in allowed for b, e in ranges if max(a, b) <= min(c, e)]
        out = [s for a, c in allowed for s in range(-(-a // GRID) * GRID, c + 1, GRID)]
        assert all(fits_work(people[p]["offset"], people[p]["work"], s, s + d, end_by) for s in out[:1]
                   for p in m["attendees"])
        return sorted(out)

    starts = [valid_starts(m) for m in meetings]
    if any(len(v) < 2 for v in starts):
        return None
    span = (level.decoy_starts - 1) * GRID
    gap = level.buffer

    def decoy_options(i: int, target: int | None) -> list[int]:
        """First starts of decoy ranges for meeting i: every start valid, overlapping the slot
        `target` of the next meeting when given, and at least a grid step from meeting i's own slot
        (else the two holes in its calendars would join into more starts)."""
        d = meetings[i]["duration"]
        valid = set(starts[i])
        options = [s for s in starts[i] if s + span in valid]
        if target is not None:
            nd = meetings[(i + 1) % k]["duration"]
            options = [s for s in options if s + d > target and s + span < target + nd]
        if i in planted:
            options = [s for s in options if s + span + d + GRID <= planted[i] or planted[i] + d + GRID <= s]
        # clear of every other planted slot an attendee of meeting i has: placing one meeting then
        # rules out the decoys of the meeting before it in the cycle and of no other
        mine = set(meetings[i]["attendees"])
        others = [(planted[j], planted[j] + meetings[j]["duration"]) for j in planted
                  if j != i and j != (i + 1) % k and mine & set(meetings[j]["attendees"])]
        return [s for s in options if not overlaps(others, s - gap, s + span + d + gap)]

    # planted slots, the first meeting of the cycle last: meetings sharing an attendee apart (with
    # the buffer), and each one where the meeting before it in the cycle can have a decoy range
    # overlapping it (the first one also where its own decoys can overlap the second's slot)
    planted: dict[int, int] = {}
    for i in [*range(1, k), 0]:
        m = meetings[i]
        options = [s for s in starts[i] if all(
            not (set(m["attendees"]) & set(meetings[j]["attendees"]))
            or s + m["duration"] + gap <= planted[j] or planted[j] + meetings[j]["duration"] + gap <= s
            for j in planted)]
        if i > 1 or (i == 0 and level.cycle):
            options = [s for s in options if decoy_options((i - 1) % k, s)]
        if i == 0:
            kept = []
            for start in options:
                planted[0] = start
                if decoy_options(0, planted[1]):
                    kept.append(start)
            planted.pop(0, None)
            options = kept
        if not options:
            return None
        planted[i] = rng.choice(options)
    decoys: list[list[int]] = []
    for i in range(k):
        options = decoy_options(i, planted[(i + 1) % k] if level.cycle or i < k - 1 else None)
        if not options:
            return None
        first = rng.choice(options)
        decoys.append([first + j * GRID for j in range(level.decoy_starts)])
    # the kill: a precedence pair (a before b) the planted slots keep and every pair of decoys breaks
    pairs = [(a, b) for a in range(k) for b in range(k) if a != b
             and planted[a] + meetings[a]["duration"] <= planted[b]]
    kills = [(a, b) for a, b in pairs if max(decoys[b]) < min(decoys[a]) + meetings[a]["duration"]]
    if level.cycle and not kills:
        return None
    # the task's order: the first meeting has a decoy before its planted slot (the trap)
    order = list(range(k))
    rng.shuffle(order)
    if level.trap:
        traps = [i for i in order if min(decoys[i]) < planted[i]]
        if not traps:
            return None
        order.remove(traps[0])
        order.insert(0, traps[0])
    label = {i: f"M{n + 1}" for n, i in enumerate(order)}
    chosen_pairs = [rng.choice(kills)] if level.cycle else []
    others = [p for p in pairs if p not in chosen_pairs]
    chosen_pairs += rng.sample(others, min(level.precedence - len(chosen_pairs), len(others)))
    precedence = sorted(({"before": label[a], "after": label[b]} for a, b in chosen_pairs),
                        key=lambda p: (int(p["after"][1:]), int(p["before"][1:])))

    # rooms: a roomy video room keeps every slot possible; bookings stay clear of every hole
    n_rooms = 3 + (level.meetings + 1) // 2
    room_names = sorted(rng.sample(ROOMS, n_rooms))
    rooms = {}
    for room in room_names:
        equipment = sorted(rng.sample(EQUIPMENT, rng.randint(1, 3)))
        rooms[room] = {"capacity": rng.choice((3, 4, 6, 8, 10)), "floor": rng.randint(1, 6), "equipment": equipment}
    rooms[room_names[-1]]["capacity"] = 10
    if "video" not in rooms[room_names[-1]]["equipment"]:
        rooms[room_names[-1]]["equipment"] = sorted([*rooms[room_names[-1]]["equipment"], "video"])
    holes: list[tuple[int, int]] = []  # every place a meeting can go
    for i, m in enumerate(meetings):
        holes.append((planted[i], planted[i] + m["duration"]))
        holes.append((decoys[i][0], decoys[i][-1] + m["duration"]))
    room_spans: dict[str, list[tuple[int, int]]] = {r: [] for r in room_names}
    placed = []
    for i in sorted(range(k), key=lambda i: planted[i]):
        m = meetings[i]
        start, end = planted[i], planted[i] + m["duration"]
        needs_video = level.director_rule and any(people[p]["role"] == "director" for p in m["attendees"])
        fitting = [r for r in room_names if rooms[r]["capacity"] >= len(m["attendees"])
                   and not overlaps(room_spans[r], start, end) and (not needs_video or "video" in rooms[r]["equipment"])]
        if not fitting:
            return None
        room = rng.choice(fitting)
        room_spans[room].append((start, end))
        have = rooms[room]["equipment"]
        placed.append((i, room, sorted(rng.sample(have, rng.randint(0, min(2, len(have)))))))
    equipment_of = {i: eq for i, _, eq in placed}

    # calendars: attendees are busy all day but where one of their meetings can go; the others at random
    attending: dict[str, list[tuple[int, int]]] = {p: [] for p in everyone}
    for i, m in enumerate(meetings):
        for p in m["attendees"]:
            attending[p] += [holes[2 * i], holes[2 * i + 1]]
    busy_rows = []
    for person in everyone:
        q = people[person]
        for day in range(d0 - 1, d0 + level.days + 1):
            # the working day (with a margin) within the task's window: the rest is out of bounds
            lo = max(day * 1440 + q["work"][0] - 30 - q["offset"], w0 - 60)
            hi = min(day * 1440 + q["work"][1] + 30 - q["offset"], w1 + 60)
            if hi - lo < 120:
                continue
            if attending[person]:
                free = sorted(attending[person])
                spans = _complement(lo, hi, free)
            else:
                spans = []
                for _ in range(rng.randint(2, 4)):
                    length = rng.choice((30, 45, 60, 90, 120))
                    start = lo + rng.randrange(0, hi - lo - length + 1, GRID)
                    if not overlaps(spans, start, start + length):
                        spans.append((start, start + length))
            for start, end in _chop(rng, spans):
                busy_rows.append((person, start * 60, end * 60, rng.choice(BUSY_TITLES)))
    booking_rows = []
    for room in room_names:
        taken = list(holes)
        for day in range(d0, d0 + level.days):
            for _ in range(rng.randint(1, 3)):
                length = rng.choice((30, 60, 90, 120))
                start = day * 1440 + rng.randrange(0, 1440 - length + 1, GRID)
                if overlaps(taken, start, start + length):
                    continue
                taken.append((start, start + length))
                booking_rows.append((room, start * 60, (start + length) * 60, rng.choice(TEAMS)))

    max_daily = None
    if level.slack is not None:
        load: dict[tuple[str, int], int] = {}
        for i, m in enumerate(meetings):
            for p in m["attendees"]:
                key = (p, local_day(people[p]["offset"], planted[i]))
                load[key] = load.get(key, 0) + m["duration"]
        max_daily = max(max(load.values()) + level.slack, 60)

    topics = rng.sample(TOPICS, k)
    db = store(everyone, people, busy_rows, room_names, rooms, booking_rows)
    params = {
        "window_start": date_text(d0),
        "window_end": date_text(d0 + level.days - 1),
        "meetings": [{"id": label[i], "title": topics[n], "attendees": meetings[i]["attendees"],
                      "duration": meetings[i]["duration"], "equipment": equipment_of[i]} for n, i in enumerate(order)],
        "precedence": precedence,
        "max_daily_minutes": max_daily,
        "long_meeting": {"min_duration": LONG_MIN, "end_by": hhmm(LONG_END)} if level.long_rule else None,
        "director_video": level.director_rule,
        "buffer_minutes": level.buffer,
    }
    return Built(db, params)


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
