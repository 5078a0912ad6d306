"""meeting_scheduling database and generator: the schema, the name pools, the difficulty levels and
`build`, which plants a feasible schedule first and draws every busy block, room booking and limit
around it.

Sits under the category (`__init__`); uses the shared calendar rules of
`synth.verifiers.general.rules.meeting_scheduling`. Pure in its random stream: the same draws in
the same order give the same database and params, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

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
# Offsets that share some working hours; one cluster per item.
CLUSTERS = ((-480, -300, 0), (-300, -180, 0, 60), (0, 60, 120, 330), (120, 330, 480, 540), (-300, 0, 60, 120))
WORK_HOURS = ((480, 960), (540, 1020), (600, 1080), (510, 990))
DURATIONS = (30, 45, 60, 90)
BASE_DATE = dt.date(2026, 1, 5)  # a Monday

# difficulty -> (meetings, extra people, days, busy blocks per person-day (lo, hi), precedence pairs,
#                daily limit slack in minutes or None, long-meeting rule, director rule, buffer minutes)
LEVELS = {
    1: (2, 2, 1, (1, 2), 0, None, False, False, 0),
    2: (3, 3, 2, (1, 3), 1, 60, False, False, 0),
    3: (4, 3, 2, (2, 3), 1, 30, True, False, 0),
    4: (5, 4, 3, (2, 4), 2, 15, True, True, 0),
    5: (6, 4, 3, (2, 4), 3, 0, True, True, 15),
}
LONG_MIN, LONG_END = 90, 15 * 60  # meetings of >= 90 min end by 15:00 local for every attendee


def build(rng: random.Random, difficulty: int) -> Built:
    """A database and task params with a planted feasible schedule (up to 50 attempts)."""
    for _ in range(50):
        built = _attempt(rng, difficulty)
        if built is not None:
            return built
    raise RuntimeError("could not plant a schedule in 50 attempts")


def _attempt(rng: random.Random, difficulty: int) -> Built | None:
    """One try at planting the meetings; None when one of them finds no place."""
    n_meet, n_extra, n_days, busy_range, n_prec, slack, long_rule, director_rule, buffer = LEVELS[difficulty]
    d0 = (BASE_DATE + dt.timedelta(weeks=rng.randrange(40))).toordinal() - EPOCH_DAY
    w0, w1 = d0 * 1440, (d0 + n_days) * 1440
    cluster = rng.choice(CLUSTERS)
    offsets = cluster if difficulty >= 3 else tuple(sorted(rng.sample(cluster, 2)))
    n_people = 3 + n_meet + n_extra
    names: list[str] = []
    while len(names) < n_people:
        candidate = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if candidate not in names:
            names.append(candidate)
    names.sort()
    people = {}
    directors = set(rng.sample(names, 2)) if director_rule else set()
    for person in names:
        role = "director" if person in directors else rng.choice(("engineer", "designer", "manager", "analyst"))
        people[person] = {"team": rng.choice(TEAMS), "role": role, "offset": rng.choice(offsets),
                          "work": rng.choice(WORK_HOURS)}
    n_rooms = 3 + (difficulty + 1) // 2
    room_names = sorted(rng.sample(ROOMS, n_rooms))
    rooms = {}
    for room in room_names:
        equipment = sorted(rng.sample(EQUIPMENT, rng.randint(1, 3)))
        rooms[room] = {"capacity": rng.choice((3, 4, 6, 8, 10)), "floor": rng.randint(1, 6), "equipment": equipment}
    # A roomy video room keeps planting possible.
    rooms[room_names[-1]]["capacity"] = 10
    if "video" not in rooms[room_names[-1]]["equipment"]:
        rooms[room_names[-1]]["equipment"] = sorted([*rooms[room_names[-1]]["equipment"], "video"])

    # Plant the meetings.
    planted: list[dict[str, Any]] = []
    person_spans: dict[str, list[tuple[int, int]]] = {p: [] for p in names}
    room_spans: dict[str, list[tuple[int, int]]] = {r: [] for r in room_names}
    topics = rng.sample(TOPICS, n_meet)
    for k in range(n_meet):
        size = rng.randint(2, min(5, 2 + difficulty // 2))
        placed = None
        for _ in range(60):
            duration = rng.choice(DURATIONS)
            anchor = rng.choice(names)
            a = people[anchor]
            day = d0 + rng.randrange(n_days)
            local_day_start = day * 1440 - a["offset"]
            start = local_day_start + rng.randrange(a["work"][0], a["work"][1] - duration + 1, GRID)
            end = start + duration
            if start < w0 or end > w1:
                continue
            end_by = LONG_END if long_rule and duration >= LONG_MIN else None
            pad = buffer

            def free(person: str) -> bool:
                q = people[person]
                return fits_work(q["offset"], q["work"], start, end, end_by) and not overlaps(
                    person_spans[person], start - pad, end + pad)

            if not free(anchor):
                continue
            others = [p for p in names if p != anchor and free(p)]
            if len(others) < size - 1:
                continue
            attendees = sorted([anchor, *rng.sample(others, size - 1)])
            needs_video = director_rule and any(people[p]["role"] == "director" for p in attendees)
            fitting = [r for r in room_names if rooms[r]["capacity"] >= size
                       and not overlaps(room_spans[r], start, end)
                       and (not needs_video or "video" in rooms[r]["equipment"])]
            if not fitting:
                continue
            room = rng.choice(fitting)
            have = rooms[room]["equipment"]
            equipment = sorted(rng.sample(have, rng.randint(0, min(2, len(have)))))
            placed = {"id": f"M{k + 1}", "title": topics[k], "attendees": attendees, "duration": duration,
                      "equipment": equipment, "start": start, "room": room}
            break
        if placed is None:
            return None
        planted.append(placed)
        for p in placed["attendees"]:
            person_spans[p].append((placed["start"], placed["start"] + placed["duration"]))
        room_spans[placed["room"]].append((placed["start"], placed["start"] + placed["duration"]))

    # Precedence pairs the planted schedule satisfies.
    pairs = [(a["id"], b["id"]) for a in planted for b in planted
             if a is not b and a["start"] + a["duration"] <= b["start"]]
    precedence = [{"before": a, "after": b} for a, b in rng.sample(pairs, min(n_prec, len(pairs)))]
    precedence.sort(key=lambda p: (int(p["after"][1:]), int(p["before"][1:])))

    # Daily limit on new-meeting minutes, tight at high difficulty.
    max_daily = None
    if slack is not None:
        load: dict[tuple[str, int], int] = {}
        for m in planted:
            for p in m["attendees"]:
                key = (p, local_day(people[p]["offset"], m["start"]))
                load[key] = load.get(key, 0) + m["duration"]
        max_daily = max(max(load.values()) + slack, 60)

    # Distractor busy blocks that never touch a planted meeting.
    lo, hi = busy_range
    busy_rows = []
    for person in names:
        q = people[person]
        taken = list(person_spans[person])
        for their_day in range(d0 - 1, d0 + n_days + 1):
            for _ in range(rng.randint(lo, hi)):
                length = rng.choice((30, 45, 60, 90, 120))
                local = rng.randrange(7 * 60, 20 * 60 - length + 1, GRID)
                start = their_day * 1440 + local - q["offset"]
                if overlaps(taken, start, start + length):
                    continue
                taken.append((start, start + length))
                busy_rows.append((person, start * 60, (start + length) * 60, rng.choice(BUSY_TITLES)))
    # Distractor room bookings that never touch a planted meeting.
    booking_rows = []
    for room in room_names:
        taken = list(room_spans[room])
        for day in range(d0, d0 + n_days):
            for _ in range(rng.randint(1, 1 + difficulty)):
                length = rng.choice((30, 60, 90, 120))
                start = day * 1440 + rng.randrange(0, 1440 - length + 1, GRID)
                if overlaps(taken, start, start + length):
                    continue
                taken.append((start, start + length))
                booking_rows.append((room, start * 60, (start + length) * 60, rng.choice(TEAMS)))

    db = new_db(SCHEMA)
    db.executemany("INSERT INTO people VALUES (?, ?, ?, ?, ?, ?)", [
        (p, people[p]["team"], people[p]["role"], people[p]["offset"], *people[p]["work"]) for p in names])
    db.executemany("INSERT INTO busy VALUES (?, ?, ?, ?)", sorted(busy_rows))
    db.executemany("INSERT INTO rooms VALUES (?, ?, ?, ?)", [
        (r, rooms[r]["capacity"], rooms[r]["floor"], ",".join(rooms[r]["equipment"])) for r in room_names])
    db.executemany("INSERT INTO bookings VALUES (?, ?, ?, ?)", sorted(booking_rows))
    db.commit()
    params = {
        "window_start": date_text(d0),
        "window_end": date_text(d0 + n_days - 1),
        "meetings": [{k: m[k] for k in ("id", "title", "attendees", "duration", "equipment")} for m in planted],
        "precedence": precedence,
        "max_daily_minutes": max_daily,
        "long_meeting": {"min_duration": LONG_MIN, "end_by": hhmm(LONG_END)} if long_rule else None,
        "director_video": director_rule,
        "buffer_minutes": buffer,
    }
    return Built(db, params)
