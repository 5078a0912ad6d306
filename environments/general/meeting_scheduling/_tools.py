"""meeting_scheduling tools: read-only views of the sandbox database for the model and the gold
solver (people and their time zones, calendars in local time, rooms and their bookings in UTC).

Sits under the category (`__init__`); every bad argument is a structured `ToolError`, never a
crash. Times are shown with the shared calendar rules, so what a tool prints is what the checker
parses.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from synth import ToolError, tool_from_function
from synth.verifiers.general import rows
from synth.verifiers.general.rules.meeting_scheduling import date_text, day_of, hhmm, iso

from .._base import SUBMIT


def _offset_text(offset: int) -> str:
    sign = "+" if offset >= 0 else "-"
    return f"UTC{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"


def _day_arg(text: str) -> int:
    """Days since the Unix epoch of a date argument; ToolError if it is not YYYY-MM-DD."""
    try:
        return day_of(text)
    except ValueError as exc:
        raise ToolError(str(exc), "invalid_arguments") from None


def _person(db: sqlite3.Connection, person: str) -> dict[str, Any]:
    found = rows(db, "SELECT * FROM people WHERE name = ?", person)
    if not found:
        raise ToolError(f"no person named {person!r}; list_people shows everyone", "not_found")
    return found[0]


def _room(db: sqlite3.Connection, room: str) -> dict[str, Any]:
    found = rows(db, "SELECT * FROM rooms WHERE room = ?", room)
    if not found:
        raise ToolError(f"no room named {room!r}; list_rooms shows every room", "not_found")
    return found[0]


def list_people(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """List everyone in the directory with their team and role."""
    return rows(db, "SELECT name, team, role FROM people ORDER BY name")


def get_timezone(db: sqlite3.Connection, person: str) -> dict[str, Any]:
    """A person's time zone (fixed UTC offset, no daylight saving) and local working hours.

    Args:
        person: Full name as list_people shows it.
    """
    p = _person(db, person)
    return {
        "person": p["name"],
        "timezone": _offset_text(p["utc_offset"]),
        "utc_offset_minutes": p["utc_offset"],
        "work_start": hhmm(p["work_start"]),
        "work_end": hhmm(p["work_end"]),
    }


def get_calendar(db: sqlite3.Connection, person: str, date: str | None = None) -> dict[str, Any]:
    """A person's busy blocks in their own local time (with their time zone and working hours),
    optionally for one local date only.

    Args:
        person: Full name as list_people shows it.
        date: Local date YYYY-MM-DD; omit it for every date on record.
    """
    p = _person(db, person)
    offset = p["utc_offset"]
    blocks = []
    for b in rows(db, "SELECT start_ts, end_ts, title FROM busy WHERE person = ? ORDER BY start_ts", person):
        local_start, local_end = b["start_ts"] // 60 + offset, b["end_ts"] // 60 + offset
        day = local_start // 1440
        blocks.append({
            "date": date_text(day),
            "start": hhmm(local_start - day * 1440),
            "end": hhmm(local_end - day * 1440) if local_end - day * 1440 < 1440 else "24:00",
            "title": b["title"],
        })
    if date is not None:
        wanted = date_text(_day_arg(date))
        blocks = [b for b in blocks if b["date"] == wanted]
    return {"person": p["name"], "timezone": _offset_text(offset), "utc_offset_minutes": offset,
            "work_start": hhmm(p["work_start"]), "work_end": hhmm(p["work_end"]), "busy": blocks}


def list_rooms(db: sqlite3.Connection) -> list[dict[str, Any]]:
    """List the meeting rooms with their capacity, floor and equipment."""
    return [dict(r, equipment=r["equipment"].split(",") if r["equipment"] else [])
            for r in rows(db, "SELECT room, capacity, floor, equipment FROM rooms ORDER BY room")]


def get_room(db: sqlite3.Connection, room: str) -> dict[str, Any]:
    """Details of a room: capacity, floor and equipment.

    Args:
        room: Room name as list_rooms shows it.
    """
    r = _room(db, room)
    return {"room": r["room"], "capacity": r["capacity"], "floor": r["floor"],
            "equipment": r["equipment"].split(",") if r["equipment"] else []}


def get_room_bookings(db: sqlite3.Connection, room: str | None = None, date: str | None = None) -> dict[str, Any]:
    """Existing room bookings in UTC: of one room or of every room, optionally for one UTC date only.

    Args:
        room: Room name as list_rooms shows it; omit it for every room.
        date: UTC date YYYY-MM-DD; omit it for every date on record.
    """
    sql, args = "SELECT room, start_ts, end_ts, holder FROM bookings WHERE 1 = 1", []
    if room is not None:
        _room(db, room)
        sql, args = sql + " AND room = ?", [room]
    if date is not None:
        day = _day_arg(date)
        sql += " AND start_ts >= ? AND start_ts < ?"
        args += [day * 86400, (day + 1) * 86400]
    found = rows(db, sql + " ORDER BY room, start_ts", *args)
    return {"room": room if room is not None else "all", "bookings": [
        {"room": b["room"], "start": iso(b["start_ts"] // 60), "end": iso(b["end_ts"] // 60), "holder": b["holder"]}
        for b in found
    ]}



TOOLS = [
    tool_from_function(list_people),
    tool_from_function(get_timezone),
    tool_from_function(get_calendar),
    tool_from_function(list_rooms),
    tool_from_function(get_room),
    tool_from_function(get_room_bookings),
    SUBMIT,
]
