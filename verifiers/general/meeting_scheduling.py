"""meeting_scheduling checker: grade a submitted schedule against the tuple's stored database.

Sits under the `meeting_scheduling` category (synth.environments.general.meeting_scheduling) and
over the core; shares only its calendar arithmetic with the generator and the gold solver
(`rules.meeting_scheduling`). Reads alone.

What is graded. The answer is a JSON list of {"meeting", "room", "start"}; `start` is an RFC 3339
date-time on a whole minute (`rules.parse_start`), converted to UTC. Strict JSON of another shape
fails `format` (or the `format.*` check naming the limit broken) and nothing else is checked; then
one check per rule of `RULES` the task states, in this order:
  coverage                 every meeting of the task exactly once, no unknown ids
  rooms.known              every room is a room of the database
  start.valid              every start is RFC 3339 on a whole minute (naive, with seconds, a
                           fraction, an offset with seconds or 7 fractional digits is not)
  window                   every meeting starts and ends within the task's UTC dates
  attendees.working_hours  inside every attendee's local working hours (of the local start date)
  attendees.calendar       no overlap with an attendee's busy blocks
  attendees.no_overlap     nobody in two of the meetings at once
  rooms.capacity           the room seats every attendee
  rooms.equipment          the room has every required equipment
  rooms.free               no overlap with the room's bookings or another meeting in it
and, only when the task states the rule:
  precedence               each 'after' meeting starts no earlier than its 'before' ends
  daily_limit              nobody over the limit of meeting minutes on one of their local dates
  rule.long_meeting_end    long meetings end by the stated local time for every attendee
  rule.director_video      a meeting with a director is in a room with video
  rule.buffer              the stated gap between one person's meetings
The prompt states exactly these rules, rendered from the same `RULES`.

Guarantees. Every fact is recomputed from the database (tables people, busy, rooms, bookings)
and the task parameters; the end of a meeting is its start plus the task's duration, so claims
in the answer (an end, a duration, a local time) are never read. One check per constraint, each
listing its first offenders. An entry with an unknown or repeated meeting id is graded by coverage
only; one whose start does not parse is left unplaced (so a precedence pair naming it is broken);
one with an unknown room is skipped by the room checks. Overlaps are half-open (a meeting may start
when another ends). At most one entry per task meeting is placed, and busy blocks and bookings are
searched by bisection, so a flooded answer costs little.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left
from typing import Any

from synth import Check

from . import register_checker
from ._common import Rule
from ._common import check as make_check
from ._db import db_facts, rows
from .rules.meeting_scheduling import date_text, day_of, fits_work, local_day, minutes, parse_start

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "properties": {"meeting": {"type": "string"}, "room": {"type": "string"}, "start": {"type": "string"}},
        "required": ["meeting", "room", "start"],
        "additionalProperties": False,
    },
}
RULES = (
    Rule("format", 'Submit with submit_result a JSON list with one object per meeting, each with exactly the keys '
                   '"meeting" (its id), "room" and "start", all text.'),
    Rule("coverage", "Every meeting above is scheduled exactly once, and no other meeting id appears."),
    Rule("rooms.known", "Rooms are named exactly as list_rooms shows them."),
    Rule("start.valid", "start is an RFC 3339 date-time on a whole minute with its UTC offset, e.g. "
                        "2026-01-05T14:30:00Z or 2026-01-05T20:00:00+05:30 (seconds 00, an offset in whole minutes); "
                        "the end is the start plus the meeting's duration."),
    Rule("window", "Every meeting starts and ends within the UTC dates {{ window_start }} to {{ window_end }} "
                   "(inclusive)."),
    Rule("attendees.working_hours", "Every attendee is within their local working hours for the whole meeting. "
                                    "Calendars are shown in each person's local time; time zones are fixed UTC "
                                    "offsets (no daylight saving)."),
    Rule("attendees.calendar", "No attendee is busy in their calendar at any time during the meeting."),
    Rule("attendees.no_overlap", "Nobody attends two of these meetings at overlapping times."),
    Rule("rooms.capacity", "The room seats every attendee."),
    Rule("rooms.equipment", "The room has all the required equipment."),
    Rule("rooms.free", "The room is free: no overlap with its existing bookings (listed in UTC) or with another of "
                       "these meetings."),
    Rule("precedence", "{% for p in precedence %}{{ p.after }} starts no earlier than the end of {{ p.before }}"
                       "{{ '; ' if not loop.last else '.' }}{% endfor %}", when=lambda p: p["precedence"]),
    Rule("daily_limit", "Nobody spends more than {{ max_daily_minutes }} minutes in these meetings on any one of "
                        "their local dates.", when=lambda p: p["max_daily_minutes"] is not None),
    Rule("rule.long_meeting_end", "A meeting of {{ long_meeting.min_duration }} minutes or longer ends by "
                                  "{{ long_meeting.end_by }} local time for every attendee.",
         when=lambda p: p["long_meeting"] is not None),
    Rule("rule.director_video", "If any attendee has the role director, the room has video equipment.",
         when=lambda p: p["director_video"]),
    Rule("rule.buffer", "Anyone attending two of these meetings has at least {{ buffer_minutes }} minutes between "
                        "the end of one and the start of the next.", when=lambda p: p["buffer_minutes"]),
)
"""Every rule a schedule can state, in grading order (the prompt's rule list comes from it)."""

Index = tuple[list[int], list[int]]
"""Starts in order and the running maximum of ends of a set of spans (see `_index`)."""


@register_checker("meeting_scheduling", ANSWER_SCHEMA, RULES)
def check(db: sqlite3.Connection, params: dict[str, Any], answer: Any) -> list[Check]:
    """One check per constraint of a parsed, well-shaped schedule (see the module docstring)."""
    meetings = {m["id"]: m for m in params["meetings"]}
    d0 = day_of(params["window_start"])
    w0, w1 = d0 * 1440, (day_of(params["window_end"]) + 1) * 1440
    people, busy, rooms, booked = db_facts(db, "meetings", _read_facts)

    out: list[Check] = []
    seen: dict[str, int] = {}
    unknown, duplicate, bad_room, bad_start = [], [], [], []
    placed: dict[str, tuple[int, int, str | None]] = {}  # meeting -> (start, end, room or None if unknown)
    for item in answer:
        mid = item["meeting"]
        if mid not in meetings:
            unknown.append(mid)
            continue
        seen[mid] = seen.get(mid, 0) + 1
        if seen[mid] > 1:
            duplicate.append(mid)
            continue
        room = item["room"] if item["room"] in rooms else None
        if room is None:
            bad_room.append(item["room"])
        start = parse_start(item["start"])
        if start is None:
            bad_start.append(item["start"])
            continue
        placed[mid] = (start, start + meetings[mid]["duration"], room)
    missing = [m for m in meetings if m not in seen]
    out.append(make_check("coverage", not (unknown or duplicate or missing), sorted(meetings),
                          {"missing": missing, "unknown": unknown[:5], "duplicate": duplicate},
                          "every meeting exactly once, no other ids"))
    out.append(make_check("rooms.known", not bad_room, "room names from list_rooms", bad_room[:5]))
    out.append(make_check("start.valid", not bad_start, "RFC 3339 on a whole minute", bad_start[:5]))

    outside = [m for m, (s, e, _) in placed.items() if s < w0 or e > w1]
    out.append(make_check("window", not outside, f"{params['window_start']}..{params['window_end']} UTC", outside))

    off_hours, calendar = [], []
    for mid, (s, e, _) in placed.items():
        for p in meetings[mid]["attendees"]:
            q = people[p]
            if not fits_work(q["utc_offset"], (q["work_start"], q["work_end"]), s, e):
                off_hours.append(f"{mid}:{p}")
            if _hits(busy.get(p), s, e):
                calendar.append(f"{mid}:{p}")
    out.append(make_check("attendees.working_hours", not off_hours, "inside local working hours", off_hours[:5]))
    out.append(make_check("attendees.calendar", not calendar, "no overlap with busy blocks", calendar[:5]))

    per_person: dict[str, list[tuple[int, int, str]]] = {}
    for mid, (s, e, _) in placed.items():
        for p in meetings[mid]["attendees"]:
            per_person.setdefault(p, []).append((s, e, mid))
    clashes, tight = [], []
    buffer = params["buffer_minutes"] or 0
    for p in sorted(per_person):
        spans = sorted(per_person[p])
        for i, (s, e, mid) in enumerate(spans):
            for s2, e2, mid2 in spans[i + 1:]:
                if s2 < e:
                    clashes.append(f"{p}:{mid}/{mid2}")
                if s2 < e + buffer:
                    tight.append(f"{p}:{mid}/{mid2}")
    out.append(make_check("attendees.no_overlap", not clashes, "no one in two meetings at once", clashes[:5]))

    small, lacking, taken = [], [], []
    in_room: dict[str, list[tuple[int, int, str]]] = {}
    for mid, (s, e, room) in placed.items():
        if room is None:
            continue
        capacity, equipment = rooms[room]
        if capacity < len(meetings[mid]["attendees"]):
            small.append(f"{mid}:{room}")
        if not set(meetings[mid]["equipment"]) <= equipment:
            lacking.append(f"{mid}:{room}")
        if _hits(booked.get(room), s, e):
            taken.append(f"{mid}:{room}")
        in_room.setdefault(room, []).append((s, e, mid))
    for room in sorted(in_room):
        spans = sorted(in_room[room])
        for i, (s, e, mid) in enumerate(spans):
            taken += [f"{mid}/{mid2}:{room}" for s2, _, mid2 in spans[i + 1:] if s2 < e]
    out.append(make_check("rooms.capacity", not small, "capacity >= attendees", small))
    out.append(make_check("rooms.equipment", not lacking, "required equipment present", lacking))
    out.append(make_check("rooms.free", not taken, "no overlap with bookings or each other", taken[:5]))

    if params["precedence"]:
        broken = []
        for p in params["precedence"]:
            a, b = placed.get(p["before"]), placed.get(p["after"])
            if a is None or b is None or b[0] < a[1]:
                broken.append(f"{p['before']}<{p['after']}")
        out.append(make_check("precedence", not broken, "each 'after' starts once its 'before' ended", broken))
    if params["max_daily_minutes"] is not None:
        load: dict[tuple[str, int], int] = {}
        for mid, (s, e, _) in placed.items():
            for p in meetings[mid]["attendees"]:
                key = (p, local_day(people[p]["utc_offset"], s))
                load[key] = load.get(key, 0) + (e - s)
        over = sorted(f"{p}:{date_text(day)}={v}" for (p, day), v in load.items() if v > params["max_daily_minutes"])
        out.append(make_check("daily_limit", not over, f"<= {params['max_daily_minutes']} min per local date",
                              over[:5]))
    if params["long_meeting"] is not None:
        rule = params["long_meeting"]
        end_by = minutes(rule["end_by"])
        late = []
        for mid, (s, e, _) in placed.items():
            if e - s >= rule["min_duration"]:
                for p in meetings[mid]["attendees"]:
                    local = s + people[p]["utc_offset"]
                    if e + people[p]["utc_offset"] - (local // 1440) * 1440 > end_by:
                        late.append(f"{mid}:{p}")
        out.append(make_check("rule.long_meeting_end", not late, f"long meetings end by {rule['end_by']} local",
                              late[:5]))
    if params["director_video"]:
        no_video = [f"{mid}:{room}" for mid, (_, _, room) in placed.items() if room is not None
                    and any(people[p]["role"] == "director" for p in meetings[mid]["attendees"])
                    and "video" not in rooms[room][1]]
        out.append(make_check("rule.director_video", not no_video, "video room when a director attends", no_video))
    if buffer:
        out.append(make_check("rule.buffer", not tight, f">= {buffer} min between one person's meetings", tight[:5]))
    return out



def _read_facts(db: sqlite3.Connection) -> tuple[dict[str, dict[str, Any]], dict[str, Index],
                                                  dict[str, tuple[int, set[str]]], dict[str, Index]]:
    """(people by name, busy index by person, (capacity, equipment) by room, booking index by room);
    times in absolute minutes. Read once per database (`db_facts`)."""
    people = {r["name"]: r for r in rows(db, "SELECT * FROM people")}
    busy: dict[str, list[tuple[int, int]]] = {}
    for person, s, e in db.execute("SELECT person, start_ts, end_ts FROM busy"):
        busy.setdefault(person, []).append((s // 60, e // 60))
    rooms = {r["room"]: (r["capacity"], set(r["equipment"].split(",")) if r["equipment"] else set())
             for r in rows(db, "SELECT room, capacity, equipment FROM rooms")}
    booked: dict[str, list[tuple[int, int]]] = {}
    for room, s, e in db.execute("SELECT room, start_ts, end_ts FROM bookings"):
        booked.setdefault(room, []).append((s // 60, e // 60))
    return people, {p: _index(v) for p, v in busy.items()}, rooms, {r: _index(v) for r, v in booked.items()}


def _index(spans: list[tuple[int, int]]) -> Index:
    """Starts in order and the running maximum of ends, for overlap tests by bisection."""
    spans = sorted(spans)
    ends, top = [], -(10**18)
    for _, e in spans:
        top = max(top, e)
        ends.append(top)
    return [s for s, _ in spans], ends


def _hits(index: Index | None, start: int, end: int) -> bool:
    """Whether [start, end) overlaps any indexed span (any set of spans, overlapping or not)."""
    if index is None:
        return False
    k = bisect_left(index[0], end)
    return k > 0 and index[1][k - 1] > start
