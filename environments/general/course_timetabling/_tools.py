"""course_timetabling tools: the model's (and the gold solver's) only view of the school database.

Sits under the category (`__init__`) and over the core. Each tool is a read-only query; an unknown
course, teacher or room is a structured `not_found` ToolError, never an empty answer. The tool
names, docstrings and argument types are the tool specs a tuple stores.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from synth import Tool, ToolError, tool_from_function
from synth.verifiers.general import rows

from .._base import SUBMIT


def list_courses(db: sqlite3.Connection, term: str | None = None) -> list[dict[str, Any]]:
    """The course catalogue: teacher, enrolled student groups, sessions per week and required room
    kind of every course, optionally of one term only.

    Args:
        term: A term name, e.g. "Autumn 2026".
    """
    sql, args = "SELECT * FROM courses", []
    if term is not None:
        sql, args = sql + " WHERE term = ?", [term]
    groups: dict[str, list[str]] = {}
    for course, grp in db.execute("SELECT course, grp FROM enrollment ORDER BY course, grp"):
        groups.setdefault(course, []).append(grp)
    return [dict(c, groups=groups.get(c["course"], [])) for c in rows(db, sql + " ORDER BY course", *args)]


def get_course(db: sqlite3.Connection, course: str) -> dict[str, Any]:
    """A course's teacher, enrolled student groups, sessions per week and required room kind.

    Args:
        course: Course id from list_courses.
    """
    found = rows(db, "SELECT * FROM courses WHERE course = ?", course)
    if not found:
        raise ToolError(f"no course {course!r}; list_courses shows every course", "not_found")
    groups = [r[0] for r in db.execute("SELECT grp FROM enrollment WHERE course = ? ORDER BY grp", (course,))]
    return dict(found[0], groups=groups)


def list_groups(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """List the student groups with their program and number of students."""
    return rows(db, 'SELECT grp AS "group", program, size FROM student_groups ORDER BY grp')


def list_slots(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """List the weekly teaching slots (day, period number within the day, start and end time)."""
    return rows(db, "SELECT slot, day, period, start, end FROM slots ORDER BY day_index, period")


def get_teacher_availability(db: sqlite3.Connection, teacher: str) -> dict[str, Any]:
    """The slots a teacher can teach in (every slot not listed as unavailable).

    Args:
        teacher: Teacher name as get_course shows it.
    """
    if not db.execute("SELECT 1 FROM teachers WHERE teacher = ?", (teacher,)).fetchone():
        raise ToolError(f"no teacher {teacher!r}", "not_found")
    blocked = {r[0] for r in db.execute("SELECT slot FROM teacher_unavailable WHERE teacher = ?", (teacher,))}
    slots = [r[0] for r in db.execute("SELECT slot FROM slots ORDER BY day_index, period")]
    return {"teacher": teacher, "available": [s for s in slots if s not in blocked]}


def list_rooms(db: sqlite3.Connection, kind: str | None = None) -> list[dict[str, Any]]:
    """List rooms with their kind (lecture, lab, seminar), capacity and building.

    Args:
        kind: Only rooms of this kind.
    """
    if kind is None:
        return rows(db, "SELECT room, kind, capacity, building FROM rooms ORDER BY room")
    return rows(db, "SELECT room, kind, capacity, building FROM rooms WHERE kind = ? ORDER BY room", kind)


def get_room_schedule(db: sqlite3.Connection, room: str | None = None) -> dict[str, Any]:
    """The slots in which a room (or, without a room, every room) is already booked.

    Args:
        room: Room name from list_rooms; omit it for every room.
    """
    sql, args = ("SELECT b.room, b.slot, b.holder FROM room_bookings b JOIN slots s ON s.slot = b.slot "
                 "WHERE 1 = 1"), []
    if room is not None:
        if not db.execute("SELECT 1 FROM rooms WHERE room = ?", (room,)).fetchone():
            raise ToolError(f"no room {room!r}; list_rooms shows every room", "not_found")
        sql, args = sql + " AND b.room = ?", [room]
    booked = rows(db, sql + " ORDER BY b.room, s.day_index, s.period", *args)
    return {"room": room if room is not None else "all", "booked": booked}


TOOLS: list[Tool] = [
    tool_from_function(list_courses),
    tool_from_function(get_course),
    tool_from_function(list_groups),
    tool_from_function(list_slots),
    tool_from_function(get_teacher_availability),
    tool_from_function(list_rooms),
    tool_from_function(get_room_schedule),
    SUBMIT,
]
