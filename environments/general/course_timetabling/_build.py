"""course_timetabling generator: a school's sandbox database with a planted feasible timetable.

Sits under the category (`__init__`) and over the shared rules and the core. Feasible by
construction: every session of the term's courses is planted into a slot and room first, keeping
every rule the task states; the teachers' unavailability, the rooms' bookings and the daily limits
are then drawn around the planted timetable, so it stays a solution. The random draws happen in a
fixed order from the item's one `rng`, so an item is a pure function of (seed, index, difficulty).

Hard to solve by construction (levels with `Level.cycle`): the courses form a cycle in which course
i enrols the student group it shares with course i-1 and the one it shares with course i+1, and each
teacher is available only where their sessions are planted and, for each session, in one decoy
slot: the planted slot of the next session of the cycle (a clash for the group they share). A
decoy therefore forces a decoy on the next session, around the cycle; the item is kept only when
the planted timetable is then the only one (an exact count over every timetable, rooms aside) and
the session a first-fit agent and a fewest-places-first agent would each place first has a decoy
earlier in the week than its planted slot, so they start wrong.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from typing import Any, NamedTuple

from synth.verifiers.general.rules.course_timetabling import (
    Position,
    enrolled,
    last_period,
    over_limit,
    rest_neighbours,
    room_fits,
    seats,
)

from .._base import Built, new_db

SCHEMA = """
CREATE TABLE slots (slot TEXT PRIMARY KEY, day TEXT, day_index INTEGER, period INTEGER, start TEXT, end TEXT);
CREATE TABLE student_groups (grp TEXT PRIMARY KEY, program TEXT, size INTEGER);
CREATE TABLE teachers (teacher TEXT PRIMARY KEY, department TEXT);
CREATE TABLE teacher_unavailable (teacher TEXT, slot TEXT, reason TEXT);
CREATE TABLE rooms (room TEXT PRIMARY KEY, kind TEXT, capacity INTEGER, building TEXT);
CREATE TABLE room_bookings (room TEXT, slot TEXT, holder TEXT);
CREATE TABLE courses (course TEXT PRIMARY KEY, title TEXT, term TEXT, teacher TEXT, sessions INTEGER, room_kind TEXT);
CREATE TABLE enrollment (course TEXT, grp TEXT);
"""

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri")
PERIODS = (("09:00", "10:30"), ("10:45", "12:15"), ("13:15", "14:45"), ("15:00", "16:30"))
SUBJECTS = (
    ("BIO", "Cell Biology"), ("CHE", "Organic Chemistry"), ("CS", "Algorithms"), ("ECO", "Microeconomics"),
    ("HIS", "Modern History"), ("MAT", "Linear Algebra"), ("PHY", "Mechanics"), ("PSY", "Cognition"),
    ("STA", "Statistics"), ("LIN", "Syntax"), ("GEO", "Climate Systems"), ("ART", "Visual Design"),
)
TEACHERS = ("Dr. Abara", "Dr. Brandt", "Dr. Castillo", "Dr. Dahl", "Dr. Egwu", "Dr. Fontaine", "Dr. Grieg",
            "Dr. Haddad", "Dr. Ito", "Dr. Jovanovic")
DEPARTMENTS = ("Sciences", "Humanities", "Engineering", "Social Sciences")
PROGRAMS = ("Biology", "Computing", "Economics", "Physics", "Psychology")
BUILDINGS = ("North Hall", "South Hall", "Lab Wing")
AWAY_REASONS = ("research day", "committee", "leave", "office hours")
BOOKING_HOLDERS = ("exam", "seminar series", "maintenance", "club")
TERM, OTHER_TERM = "Autumn 2026", "Spring 2027"
TEACHER_PLANT_DAILY = 2
"""Sessions a teacher is planted on one day at most, at levels with a teacher daily limit."""


class Level(NamedTuple):
    """What a difficulty level draws and which rules its task states."""

    days: int
    courses: int
    """Courses of the term to timetable (two more, of another term, are distractors)."""
    groups: int
    teachers: int
    rooms: int
    two_session_share: float
    """Chance that a course has two sessions a week rather than one."""
    away_share: float
    """Chance that a teacher is unavailable in a slot the planted timetable leaves free."""
    booked_share: float
    """Chance that a room is booked in a slot the planted timetable leaves free."""
    group_slack: int
    """The group daily limit is the planted timetable's busiest group day plus this."""
    plant_group_daily: int
    """Sessions a group is planted on one day at most."""
    spread: bool
    teacher_limit: bool
    rest_rule: bool
    cycle: bool
    """Courses in a cycle of shared groups, teachers available only at planted and decoy slots, the
    planted timetable the only one (groups: one per course)."""


LEVELS = {
    1: Level(3, 4, 2, 3, 3, 0.0, 0.10, 0.05, 1, 3, False, False, False, False),
    2: Level(4, 5, 3, 3, 3, 0.3, 0.20, 0.10, 1, 3, False, False, False, False),
    3: Level(4, 6, 6, 6, 4, 0.6, 0.30, 0.15, 0, 2, True, False, False, True),
    4: Level(5, 7, 7, 7, 4, 0.6, 0.35, 0.20, 0, 2, True, True, False, True),
    5: Level(5, 8, 8, 8, 5, 0.6, 0.40, 0.25, 0, 2, True, True, True, True),
}


@dataclass
class _School:
    """The drawn school, before anything is planted."""

    slots: dict[str, Position]
    """slot id -> (day index, period), in week order"""
    groups: dict[str, int]
    """student group -> size"""
    teachers: list[str]
    rooms: dict[str, tuple[str, int]]
    """room -> (kind, capacity)"""
    courses: dict[str, dict[str, Any]]
    """course -> {title, term, teacher, groups, sessions, room_kind}"""


@dataclass
class _Plan:
    """The planted timetable's occupancy."""

    used_room: set[tuple[str, str]]
    """(room, slot)"""
    busy: set[tuple[str, str]]
    """(teacher or group, slot)"""
    per_day: dict[tuple[str, int], int]
    """(teacher or group, day index) -> sessions"""
    placed: dict[str, list[tuple[str, str]]]
    """course -> (slot, room) of its sessions, in week order"""


def build(rng: random.Random, difficulty: int) -> Built:
    """A filled database and the task params; retries a failed planting (the rng moves on)."""
    for _ in range(50):
        built = _attempt(rng, LEVELS[difficulty])
        if built is not None:
            return built
    raise RuntimeError("could not plant a timetable in 50 attempts")


def _attempt(rng: random.Random, level: Level) -> Built | None:
    school = _school(rng, level)
    to_plan = sorted(c for c, v in school.courses.items() if v["term"] == TERM)
    plan = _plant(rng, school, to_plan, level)
    if plan is None:
        return None
    max_group_daily = max(plan.per_day.get((g, d), 0) for g in sorted(school.groups) for d in range(level.days))
    max_group_daily = max(max_group_daily + level.group_slack, 1)
    teacher_daily_max = None
    if level.teacher_limit:
        teacher_daily_max = max(1, max(plan.per_day.get((t, d), 0) for t in school.teachers for d in range(level.days)))
    params = {
        "term": TERM,
        "courses": to_plan,
        "max_group_daily": max_group_daily,
        "spread": level.spread,
        "teacher_daily_max": teacher_daily_max,
        "rest_rule": level.rest_rule,
    }
    if not level.cycle:
        return Built(_fill(rng, school, plan, level), params)
    # the cycle: each session's decoy is the planted slot of the next session, courses in the order
    # of their groups (course i shares a group with course i+1)
    cycle = [c for c, v in school.courses.items() if v["term"] == TERM]
    order = [(c, k) for c in cycle for k in range(school.courses[c]["sessions"])]
    slot_of = {(c, k): plan.placed[c][k][0] for c, k in order}
    decoy = {key: slot_of[order[(n + 1) % len(order)]] for n, key in enumerate(order)}
    available = {t: set() for t in school.teachers}
    for (c, k) in order:
        available[school.courses[c]["teacher"]] |= {slot_of[(c, k)], decoy[(c, k)]}
    db = _fill(rng, school, plan, level, available=available, keep={(slot, kind) for (c, k) in order
                                                                    for slot in (slot_of[(c, k)], decoy[(c, k)])
                                                                    for kind in [school.courses[c]["room_kind"]]})
    # the all-decoy timetable (every session in the next one's slot) must break the spread rule: a
    # two-session course whose second session's decoy falls on the day of its first... or its own
    day = {slot: school.slots[slot][0] for slot in school.slots}
    if not any(school.courses[c]["sessions"] == 2 and day[decoy[(c, 1)]] == day[slot_of[(c, 1)]] for c in to_plan):
        return None
    # the first-fit agent's first session and the fewest-places-first agent's must start on a decoy
    trapped = [c for c in to_plan if school.slots[decoy[order[order.index((c, 0)) - 1]]] < school.slots[slot_of[(c, 0)]]
               or school.slots[decoy[(c, school.courses[c]["sessions"] - 1)]] < school.slots[slot_of[(c, 0)]]]
    if not trapped:
        db.close()
        return None
    first = rng.choice(trapped)
    params["courses"] = [first, *[c for c in to_plan if c != first]]
    if not _hard(db, params, {c: [p for p, _ in plan.placed[c]] for c in to_plan}):
        db.close()
        return None
    return Built(db, params)


def _hard(db: sqlite3.Connection, params: dict[str, Any], planted: dict[str, list[str]]) -> bool:
    """Whether the planted timetable is the only one (slots; rooms may differ) and the sessions a
    first-fit agent and a fewest-places-first agent place first each take a decoy first: read
    through the tools, as those agents would."""
    from synth import ToolClient, ToolRuntime

    from ._solve import read_school
    from ._tools import TOOLS

    runtime = ToolRuntime.of(TOOLS, db)
    search, domains = read_school(ToolClient(lambda name, arguments: runtime.call(name, arguments).content,
                                             runtime.specs), params)
    first = search.sessions[0]
    if domains[first][0][0] in planted[first[0]]:
        return False
    fewest = min(search.sessions, key=lambda k: (sum(1 for slot, room in domains[k] if search.fits(k, slot, room)), k))
    if next(slot for slot, room in domains[fewest] if search.fits(fewest, slot, room)) in planted[fewest[0]]:
        return False
    # every timetable by slots (rooms left to a matching per slot), until a second one turns up
    rooms_at: dict[Any, dict[str, list[str]]] = {}
    for key, places in domains.items():
        for slot, room in places:
            rooms_at.setdefault(key, {}).setdefault(slot, []).append(room)
    found: set[tuple[str, ...]] = set()

    def count(keys: list[Any]) -> None:
        if len(found) > 1:
            return
        if not keys:
            slots = tuple(search.chosen[k][0] for k in search.sessions)
            if _rooms_match({k: rooms_at[k][search.chosen[k][0]] for k in search.sessions}, search.chosen):
                found.add(slots)
            return
        key, rest = keys[0], keys[1:]
        for slot in rooms_at[key]:
            if search.fits(key, slot, f"?{key}"):
                search.place(key, slot, f"?{key}", 1)
                count(rest)
                search.place(key, slot, f"?{key}", -1)

    order = sorted(search.sessions, key=lambda k: (len(rooms_at[k]), k))
    count(order)
    return len(found) == 1


def _rooms_match(options: dict[Any, list[str]], chosen: dict[Any, tuple[str, str]]) -> bool:
    """Whether the sessions placed in each slot can each have a room of their own among `options`."""
    by_slot: dict[str, list[Any]] = {}
    for key, (slot, _) in chosen.items():
        by_slot.setdefault(slot, []).append(key)
    for keys in by_slot.values():
        owner: dict[str, Any] = {}

        def assign(key: Any, seen: set[str]) -> bool:
            for room in options[key]:
                if room not in seen:
                    seen.add(room)
                    if room not in owner or assign(owner[room], seen):
                        owner[room] = key
                        return True
            return False

        if not all(assign(key, set()) for key in keys):
            return False
    return True
    count(dict(domains))
    return len(found) == 1


def _school(rng: random.Random, level: Level) -> _School:
    slots = {f"{DAYS[d]}-{p + 1}": (d, p + 1) for d in range(level.days) for p in range(len(PERIODS))}
    groups = {f"G{i + 1}{rng.choice('ABC')}": rng.randrange(8, 21) if level.cycle else rng.randrange(12, 36)
              for i in range(level.groups)}
    group_ids = sorted(groups)
    teachers = sorted(rng.sample(TEACHERS, level.teachers))
    rooms: dict[str, tuple[str, int]] = {}
    kinds = ["lecture", "lab"] + [rng.choice(("lecture", "lecture", "lab", "seminar")) for _ in range(level.rooms - 2)]
    for i, kind in enumerate(kinds):
        prefix = {"lecture": "L", "lab": "Lab", "seminar": "S"}[kind]
        rooms[f"{prefix}{100 + 10 * i + rng.randrange(10)}"] = (kind, rng.choice((24, 30, 40, 60, 80)))
    first = list(rooms)
    rooms[first[0]] = ("lecture", 80)
    rooms[first[1]] = ("lab", 40)
    largest = {k: max((c for kk, c in rooms.values() if kk == k), default=0) for k in ("lecture", "lab", "seminar")}

    subjects = rng.sample(SUBJECTS, level.courses + 2)
    courses: dict[str, dict[str, Any]] = {}
    for i, (code, title) in enumerate(subjects):
        if level.cycle and i < level.courses:  # course i shares group i-1 with the one before, i with the next
            course_groups = sorted({group_ids[i - 1], group_ids[i]})
        else:
            course_groups = sorted(rng.sample(group_ids, 1 if rng.random() < 0.6 else 2))
        size = enrolled(course_groups, groups)
        kinds_ok = [k for k in ("lecture", "lecture", "lab", "seminar") if seats(largest[k], size)]
        kind = rng.choice(kinds_ok) if kinds_ok else "lecture"  # the first lecture room seats 80
        courses[f"{code}{rng.randrange(100, 400)}"] = {
            "title": title, "term": TERM if i < level.courses else OTHER_TERM,
            "teacher": teachers[i] if level.cycle and i < level.courses else rng.choice(teachers),
            "groups": course_groups, "sessions": 2 if rng.random() < level.two_session_share else 1, "room_kind": kind,
        }
    return _School(slots, groups, teachers, rooms, courses)


def _plant(rng: random.Random, school: _School, to_plan: list[str], level: Level) -> _Plan | None:
    """Place every session, in a random order, into a random (slot, room) that keeps every rule the
    level states; None when a session has no such place left."""
    sessions = [c for c in to_plan for _ in range(school.courses[c]["sessions"])]
    rng.shuffle(sessions)
    slot_at = {position: slot for slot, position in school.slots.items()}
    periods = last_period(school.slots.values())
    room_ids = sorted(school.rooms)
    plan = _Plan(used_room=set(), busy=set(), per_day={}, placed={})
    course_days: dict[str, set[int]] = {}
    for course in sessions:
        info = school.courses[course]
        teacher = info["teacher"]
        people = [teacher, *info["groups"]]
        size = enrolled(info["groups"], school.groups)
        options = []
        for slot, (day, period) in school.slots.items():
            if any((p, slot) in plan.busy for p in people):
                continue
            if level.spread and day in course_days.get(course, set()):
                continue
            if any(over_limit(plan.per_day.get((g, day), 0) + 1, level.plant_group_daily) for g in info["groups"]):
                continue
            if level.teacher_limit and over_limit(plan.per_day.get((teacher, day), 0) + 1, TEACHER_PLANT_DAILY):
                continue
            if level.rest_rule and any((teacher, slot_at[p]) in plan.busy
                                       for p in rest_neighbours(day, period, periods) if p in slot_at):
                continue
            for room in room_ids:
                if room_fits(school.rooms[room], info["room_kind"], size) and (room, slot) not in plan.used_room:
                    options.append((slot, room))
        if not options:
            return None
        slot, room = rng.choice(options)
        day = school.slots[slot][0]
        plan.used_room.add((room, slot))
        for p in people:
            plan.busy.add((p, slot))
            plan.per_day[(p, day)] = plan.per_day.get((p, day), 0) + 1
        course_days.setdefault(course, set()).add(day)
        plan.placed.setdefault(course, []).append((slot, room))
    for places in plan.placed.values():
        places.sort(key=lambda place: school.slots[place[0]])
    return plan


def _fill(rng: random.Random, school: _School, plan: _Plan, level: Level, available: dict[str, set[str]] | None = None,
          keep: set[tuple[str, str]] = frozenset()) -> sqlite3.Connection:  # type: ignore[assignment]
    """The database: the school, plus unavailability and bookings drawn where the plan leaves room.
    With `available`, each teacher is away everywhere else; a booking never takes the last free room
    of a kind in a (slot, kind) of `keep`."""
    slot_ids, group_ids, room_ids = list(school.slots), sorted(school.groups), sorted(school.rooms)
    away_rows = []
    for teacher in school.teachers:
        for slot in slot_ids:
            if available is not None:
                if slot not in available[teacher]:
                    away_rows.append((teacher, slot, rng.choice(AWAY_REASONS)))
            elif (teacher, slot) not in plan.busy and rng.random() < level.away_share:
                away_rows.append((teacher, slot, rng.choice(AWAY_REASONS)))
    booking_rows = []
    free = {(slot, kind): [r for r in room_ids if school.rooms[r][0] == kind] for slot, kind in keep}
    for room in room_ids:
        for slot in slot_ids:
            if (room, slot) not in plan.used_room and rng.random() < level.booked_share:
                spare = free.get((slot, school.rooms[room][0]))
                if spare is not None:
                    if len(spare) <= 2:
                        continue  # the planted session and a decoy may both need a room of this kind here
                    spare.remove(room)
                booking_rows.append((room, slot, rng.choice(BOOKING_HOLDERS)))

    rooms, courses = school.rooms, school.courses
    db = new_db(SCHEMA)
    db.executemany("INSERT INTO slots VALUES (?, ?, ?, ?, ?, ?)", [
        (s, DAYS[d], d, p, *PERIODS[p - 1]) for s, (d, p) in school.slots.items()])
    db.executemany("INSERT INTO student_groups VALUES (?, ?, ?)",
                   [(g, rng.choice(PROGRAMS), school.groups[g]) for g in group_ids])
    db.executemany("INSERT INTO teachers VALUES (?, ?)", [(t, rng.choice(DEPARTMENTS)) for t in school.teachers])
    db.executemany("INSERT INTO teacher_unavailable VALUES (?, ?, ?)", away_rows)
    db.executemany("INSERT INTO rooms VALUES (?, ?, ?, ?)", [
        (r, rooms[r][0], rooms[r][1], "Lab Wing" if rooms[r][0] == "lab" else rng.choice(BUILDINGS[:2]))
        for r in room_ids])
    db.executemany("INSERT INTO room_bookings VALUES (?, ?, ?)", booking_rows)
    db.executemany("INSERT INTO courses VALUES (?, ?, ?, ?, ?, ?)", [
        (c, v["title"], v["term"], v["teacher"], v["sessions"], v["room_kind"]) for c, v in sorted(courses.items())])
    db.executemany("INSERT INTO enrollment VALUES (?, ?)",
                   [(c, g) for c, v in sorted(courses.items()) for g in v["groups"]])
    db.commit()
    return db
