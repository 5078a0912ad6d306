"""The course_timetabling checker: grade a submitted weekly timetable against the tuple's database.

Sits under the course_timetabling category (synth.environments.general.course_timetabling), which
states these rules in its prompt, and over the shared rules (`rules.course_timetabling`) and the core.

What is graded: the answer is a JSON list of {course, slot, room}, one entry per session of the
courses the task names (`params["courses"]`). Strict JSON of another shape fails `format` (or the
`format.*` check naming the limit broken). Then one check per rule of `RULES`, in this order: every
listed course exactly its sessions and no other course (`coverage`); slots and rooms that exist
(`references`); no room, teacher or group in two places in one slot; no room already booked; the
room kind each course needs; capacity >= enrolled students; teachers only in slots they are
available; at most `max_group_daily` sessions per group and day; and, when the task states them,
sessions of one course on different days (`rule.spread`), at most `teacher_daily_max` sessions per
teacher and day, and the rest rule (no first period of a day after teaching the last period of the
day before). The prompt states exactly these rules, rendered from the same `RULES`.

Guarantees: every fact is recomputed from the database (teachers, groups, sizes, room kinds and
capacities, bookings, unavailability), never taken from the answer: the answer contributes only
(course, slot, room) triples and its shape forbids other fields, so it can claim nothing. One check
per constraint: an entry of an unlisted course fails only `coverage`, an entry with an unknown slot
or room counts for `coverage`, fails `references` and is left out of the checks after it. Loads
count each (who, slot) once, so a double booking is not also reported as a load violation twice
over. Grading is a pure function of (database, params, answer) and takes time n log n in the
answer's length; most checks list at most five offending items.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from synth import Check

from . import register_checker
from ._common import Rule
from ._common import check as _check
from ._db import db_facts
from .rules.course_timetabling import Position, enrolled, last_period, over_limit, rest_next, right_kind, seats

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"course": {"type": "string"}, "slot": {"type": "string"}, "room": {"type": "string"}},
        "required": ["course", "slot", "room"],
        "additionalProperties": False,
    },
}

RULES = (
    Rule("format", 'Submit with submit_result a JSON list with one object per session, each with exactly the keys '
                   '"course", "slot" (a slot id) and "room", all text.'),
    Rule("coverage", "Every session of these courses is scheduled: a course with n sessions per week has exactly n "
                     "entries, and no other course appears."),
    Rule("references", "Slots are named as list_slots shows them, and rooms as list_rooms shows them."),
    Rule("rooms.no_double_booking", "No room holds two sessions in the same slot."),
    Rule("rooms.free", "A room already booked in a slot is not used in it."),
    Rule("rooms.kind", "The room is of the kind the course requires."),
    Rule("rooms.capacity", "The room seats all students of the course's enrolled groups."),
    Rule("teachers.no_double_booking", "No teacher teaches two sessions in the same slot."),
    Rule("teachers.available", "A teacher only teaches in slots where they are available."),
    Rule("groups.no_double_booking", "No student group has two sessions in the same slot."),
    Rule("groups.daily_limit", "No student group has more than {{ max_group_daily }} sessions on one day."),
    Rule("rule.spread", "Sessions of the same course fall on different days.", when=lambda p: p["spread"]),
    Rule("rule.teacher_daily_limit", "No teacher teaches more than {{ teacher_daily_max }} sessions on one day.",
         when=lambda p: p["teacher_daily_max"] is not None),
    Rule("rule.rest", "A teacher who teaches in the last period of a day does not teach in the first period of the "
                      "next day.", when=lambda p: p["rest_rule"]),
)
"""Every rule a timetable can state, in grading order (the prompt's rule list comes from it)."""


@dataclass(frozen=True)
class _Facts:
    """Everything the checks need, read once from the database."""

    slots: dict[str, Position]
    """slot -> (day index, period)"""
    periods: int
    """The last period of a day."""
    sizes: dict[str, int]
    """student group -> number of students"""
    rooms: dict[str, tuple[str, int]]
    """room -> (kind, capacity)"""
    booked: set[tuple[str, str]]
    """(room, slot) already booked"""
    away: set[tuple[str, str]]
    """(teacher, slot) the teacher is unavailable"""
    courses: dict[str, dict[str, Any]]
    """course -> {teacher, groups, sessions, room_kind}"""


def _facts(db: sqlite3.Connection) -> _Facts:
    slots = {s: (d, p) for s, d, p in db.execute("SELECT slot, day_index, period FROM slots")}
    courses: dict[str, dict[str, Any]] = {}
    for course, teacher, sessions, kind in db.execute("SELECT course, teacher, sessions, room_kind FROM courses"):
        courses[course] = {"teacher": teacher, "groups": [], "sessions": sessions, "room_kind": kind}
    for course, grp in db.execute("SELECT course, grp FROM enrollment ORDER BY grp"):
        courses[course]["groups"].append(grp)
    return _Facts(
        slots=slots,
        periods=last_period(slots.values()),
        sizes=dict(db.execute("SELECT grp, size FROM student_groups").fetchall()),
        rooms={r: (k, c) for r, k, c in db.execute("SELECT room, kind, capacity FROM rooms")},
        booked=set(db.execute("SELECT room, slot FROM room_bookings").fetchall()),
        away=set(db.execute("SELECT teacher, slot FROM teacher_unavailable").fetchall()),
        courses=courses,
    )


def _doubles(keyed: list[tuple[str, str]]) -> list[str]:
    """"who@slot" for every (who, slot) listed more than once, sorted."""
    seen: dict[tuple[str, str], int] = {}
    for k in keyed:
        seen[k] = seen.get(k, 0) + 1
    return sorted(f"{who}@{slot}" for (who, slot), n in seen.items() if n > 1)


def _daily(f: _Facts, whos: list[tuple[str, str]]) -> dict[tuple[str, int], int]:
    """Sessions per (who, day index). Each (who, slot) counts once, so a double booking is not also a
    load violation twice over."""
    load: dict[tuple[str, int], int] = {}
    for who, slot in sorted(set(whos)):
        key = (who, f.slots[slot][0])
        load[key] = load.get(key, 0) + 1
    return load


@register_checker("course_timetabling", ANSWER_SCHEMA, RULES)
def check(db: sqlite3.Connection, params: dict[str, Any], answer: Any) -> list[Check]:
    """One check per constraint of a parsed, well-shaped timetable (`format` is the caller's)."""
    f = db_facts(db, "timetable", _facts)
    wanted = {c: f.courses[c]["sessions"] for c in params["courses"]}
    out: list[Check] = []
    counts: dict[str, int] = {}
    strangers, bad_refs = [], []
    entries: list[tuple[str, str, str]] = []  # usable: planned course, known slot, known room
    for item in answer:
        course, slot, room = item["course"], item["slot"], item["room"]
        if course not in wanted:
            strangers.append(course)
            continue
        counts[course] = counts.get(course, 0) + 1
        if slot not in f.slots or room not in f.rooms:
            bad_refs.append(f"{course}: {slot}/{room}")
            continue
        entries.append((course, slot, room))
    wrong = sorted(f"{c}: {counts.get(c, 0)}/{n}" for c, n in wanted.items() if counts.get(c, 0) != n)
    out.append(_check("coverage", not (wrong or strangers), "each listed course exactly its sessions",
                      {"wrong_counts": wrong, "not_listed": strangers[:5]}))
    out.append(_check("references", not bad_refs, "slots from list_slots, rooms from list_rooms", bad_refs[:5]))

    room_twice = _doubles([(r, s) for _, s, r in entries])
    teacher_twice = _doubles([(f.courses[c]["teacher"], s) for c, s, _ in entries])
    group_twice = _doubles([(g, s) for c, s, _ in entries for g in f.courses[c]["groups"]])
    out.append(_check("rooms.no_double_booking", not room_twice, "one session per room and slot", room_twice[:5]))
    booked = [f"{r}@{s}" for c, s, r in entries if (r, s) in f.booked]
    out.append(_check("rooms.free", not booked, "no room already booked in the slot", booked[:5]))
    kind = [f"{c}: {r} is {f.rooms[r][0]}, needs {f.courses[c]['room_kind']}" for c, s, r in entries
            if not right_kind(f.rooms[r][0], f.courses[c]["room_kind"])]
    out.append(_check("rooms.kind", not kind, "the room kind each course needs", kind[:5]))
    small = [f"{c}: {r} seats {f.rooms[r][1]}" for c, s, r in entries
             if not seats(f.rooms[r][1], enrolled(f.courses[c]["groups"], f.sizes))]
    out.append(_check("rooms.capacity", not small, "capacity >= enrolled students", small[:5]))
    out.append(_check("teachers.no_double_booking", not teacher_twice, "one session per teacher and slot",
                      teacher_twice[:5]))
    away = [f"{f.courses[c]['teacher']}@{s}" for c, s, _ in entries if (f.courses[c]["teacher"], s) in f.away]
    out.append(_check("teachers.available", not away, "only slots the teacher is available", away[:5]))
    out.append(_check("groups.no_double_booking", not group_twice, "one session per group and slot",
                      group_twice[:5]))

    group_cap = params["max_group_daily"]
    group_load = _daily(f, [(g, s) for c, s, _ in entries for g in f.courses[c]["groups"]])
    over = sorted(f"{g} day {d}: {n}" for (g, d), n in group_load.items() if over_limit(n, group_cap))
    out.append(_check("groups.daily_limit", not over, f"<= {group_cap} per group and day", over[:5]))
    if params["spread"]:
        days: dict[str, list[int]] = {}
        for c, s, _ in entries:
            days.setdefault(c, []).append(f.slots[s][0])
        same = sorted(c for c, ds in days.items() if len(set(ds)) < len(ds))
        out.append(_check("rule.spread", not same, "sessions of a course on different days", same))
    teacher_slots = sorted({(f.courses[c]["teacher"], s) for c, s, _ in entries})
    teacher_cap = params["teacher_daily_max"]
    if teacher_cap is not None:
        load = _daily(f, teacher_slots)
        over = sorted(f"{t} day {d}: {n}" for (t, d), n in load.items() if over_limit(n, teacher_cap))
        out.append(_check("rule.teacher_daily_limit", not over, f"<= {teacher_cap} per teacher and day", over[:5]))
    if params["rest_rule"]:
        taught = {(t, f.slots[s]) for t, s in teacher_slots}
        tired = sorted({f"{t} day {d}" for t, (d, p) in taught if (t, rest_next(d, p, f.periods)) in taught})
        out.append(_check("rule.rest", not tired, "no first period after teaching the last one", tired))
    return out
