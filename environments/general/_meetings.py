"""meeting_scheduling: book K meetings across calendars, time zones, working hours and rooms.

A sandbox database of people (team, role, fixed UTC offset, local working hours), their busy
blocks (stored as UTC timestamps, shown in local time), and rooms (capacity, equipment, existing
bookings in UTC). The task lists meetings (attendees, duration, required equipment) to place in a
window of UTC dates, with precedence pairs, a per-person daily limit on new meeting minutes and,
as difficulty rises, conditional rules: long meetings end early for every attendee, a meeting with
a director needs a video room, a buffer between one person's new meetings. The answer is a JSON
list of {meeting, room, start (UTC ISO)}; ends come from the task's durations, never the answer.

Feasible by construction: the meetings are planted first (start, room, attendees) and every busy
block, room booking and limit is drawn around them. The gold solver sees only tools: it intersects
each meeting's attendees' free time, then backtracks over (start, room) on a 15-minute grid.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from bisect import bisect_left
from typing import Any

from synth import Check, Control, ToolClient, ToolError, register_category, tool_from_function

from ._base import SUBMIT, Built, GeneralCategory, answer_text, check, db_facts, new_db, one_per_check, rows

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
GRID = 15
BASE_DATE = dt.date(2026, 1, 5)  # a Monday
EPOCH_DAY = dt.date(1970, 1, 1).toordinal()

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


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _offset_text(offset: int) -> str:
    sign = "+" if offset >= 0 else "-"
    return f"UTC{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"


def _iso(minute: int) -> str:
    """UTC ISO text of an absolute minute since the Unix epoch."""
    day, rest = divmod(minute, 1440)
    return f"{dt.date.fromordinal(day + EPOCH_DAY).isoformat()}T{_hhmm(rest)}:00Z"


def _date(minute_day: int) -> str:
    return dt.date.fromordinal(minute_day + EPOCH_DAY).isoformat()


def _day_of(text: str) -> int:
    """Days since the Unix epoch of a YYYY-MM-DD date; ToolError if it is not one."""
    try:
        return dt.date.fromisoformat(text).toordinal() - EPOCH_DAY
    except (TypeError, ValueError):
        raise ToolError(f"date must be YYYY-MM-DD, got {text!r}", "invalid_arguments") from None


def parse_start(text: Any) -> int | None:
    """Absolute UTC minute of a timezone-aware ISO datetime on a whole minute; None if it is not one."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
        if value.tzinfo is None or value.utcoffset() is None or value.second or value.microsecond:
            return None
        return int(value.timestamp()) // 60
    except (ValueError, OverflowError, OSError):
        return None


# ---------------------------------------------------------------------------------------------- tools


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
        "work_start": _hhmm(p["work_start"]),
        "work_end": _hhmm(p["work_end"]),
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
            "date": _date(day),
            "start": _hhmm(local_start - day * 1440),
            "end": _hhmm(local_end - day * 1440) if local_end - day * 1440 < 1440 else "24:00",
            "title": b["title"],
        })
    if date is not None:
        wanted = _date(_day_of(date))
        blocks = [b for b in blocks if b["date"] == wanted]
    return {"person": p["name"], "timezone": _offset_text(offset), "utc_offset_minutes": offset,
            "work_start": _hhmm(p["work_start"]), "work_end": _hhmm(p["work_end"]), "busy": blocks}


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
        day = _day_of(date)
        sql += " AND start_ts >= ? AND start_ts < ?"
        args += [day * 86400, (day + 1) * 86400]
    found = rows(db, sql + " ORDER BY room, start_ts", *args)
    return {"room": room if room is not None else "all", "bookings": [
        {"room": b["room"], "start": _iso(b["start_ts"] // 60), "end": _iso(b["end_ts"] // 60), "holder": b["holder"]}
        for b in found
    ]}


# ------------------------------------------------------------------------------------- the category


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


def _fits_work(offset: int, work: tuple[int, int], start: int, end: int, end_by: int | None = None) -> bool:
    local = start + offset
    day = local // 1440
    close = work[1] if end_by is None else min(work[1], end_by)
    return local - day * 1440 >= work[0] and end + offset - day * 1440 <= close


def _local_day(offset: int, start: int) -> int:
    return (start + offset) // 1440



@register_category("general", "meeting_scheduling")
class MeetingScheduling(GeneralCategory):
    name = "meeting_scheduling"
    schema = SCHEMA
    """The sandbox database's CREATE statements (for hand-built databases in tests and docs)."""
    description = "Schedule meetings across calendars, time zones, working hours and rooms with capacities."
    template = """\
You coordinate meetings for a distributed company. Schedule every meeting below exactly once, \
choosing a room and a start time, so that all of them start and end within the UTC dates \
{{ window_start }} to {{ window_end }} (inclusive).

Meetings (id: title; attendees; duration; required room equipment):
{% for m in meetings %}
- {{ m.id }}: {{ m.title }}; {{ m.attendees | join(', ') }}; {{ m.duration }} minutes; \
{{ m.equipment | join(', ') if m.equipment else 'no special equipment' }}
{% endfor %}

Rules:
- Every attendee must be within their local working hours for the whole meeting, and not busy in \
their calendar at any time during it. Calendars are shown in each person's local time; time zones \
are fixed UTC offsets (no daylight saving).
- Nobody attends two of these meetings at overlapping times.
- The room must seat every attendee, have all the required equipment, and be free: no overlap \
with its existing bookings (listed in UTC) or with another of these meetings.
{% for p in precedence %}
- {{ p.after }} must start no earlier than the end of {{ p.before }}.
{% endfor %}
{% if max_daily_minutes is not none %}
- Nobody may spend more than {{ max_daily_minutes }} minutes in these meetings on any one of \
their local dates.
{% endif %}
{% if long_meeting is not none %}
- A meeting of {{ long_meeting.min_duration }} minutes or longer must end by \
{{ long_meeting.end_by }} local time for every attendee.
{% endif %}
{% if director_video %}
- If any attendee has the role director, the room must have video equipment.
{% endif %}
{% if buffer_minutes %}
- Anyone attending two of these meetings needs at least {{ buffer_minutes }} minutes between \
the end of one and the start of the next.
{% endif %}

Submit a JSON list with one object per meeting: {"meeting": id, "room": room name, "start": UTC \
start as ISO 8601, e.g. "2026-01-05T14:30:00Z"}. The end is the start plus the duration.
"""
    answer_schema = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"meeting": {"type": "string"}, "room": {"type": "string"}, "start": {"type": "string"}},
            "required": ["meeting", "room", "start"],
            "additionalProperties": False,
        },
    }
    tools = [
        tool_from_function(list_people),
        tool_from_function(get_timezone),
        tool_from_function(get_calendar),
        tool_from_function(list_rooms),
        tool_from_function(get_room),
        tool_from_function(get_room_bookings),
        SUBMIT,
    ]
    check_names = (
        "format", "coverage", "rooms.known", "start.valid", "window", "attendees.working_hours",
        "attendees.calendar", "attendees.no_overlap", "rooms.capacity", "rooms.equipment", "rooms.free",
        "precedence", "daily_limit", "rule.long_meeting_end", "rule.director_video", "rule.buffer",
    )

    # ------------------------------------------------------------------------------------ build

    def build(self, rng: random.Random, difficulty: int) -> Built:
        for _ in range(50):
            built = self._attempt(rng, difficulty)
            if built is not None:
                return built
        raise RuntimeError("could not plant a schedule in 50 attempts")

    def _attempt(self, rng: random.Random, difficulty: int) -> Built | None:
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
                    return _fits_work(q["offset"], q["work"], start, end, end_by) and not _overlaps(
                        person_spans[person], start - pad, end + pad)

                if not free(anchor):
                    continue
                others = [p for p in names if p != anchor and free(p)]
                if len(others) < size - 1:
                    continue
                attendees = sorted([anchor, *rng.sample(others, size - 1)])
                needs_video = director_rule and any(people[p]["role"] == "director" for p in attendees)
                fitting = [r for r in room_names if rooms[r]["capacity"] >= size
                           and not _overlaps(room_spans[r], start, end)
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
                    key = (p, _local_day(people[p]["offset"], m["start"]))
                    load[key] = load.get(key, 0) + m["duration"]
            max_daily = max(max(load.values()) + slack, 60)

        # Distractor busy blocks that never touch a planted meeting.
        lo, hi = busy_range
        busy_rows = []
        for person in names:
            q = people[person]
            taken = list(person_spans[person])
            for local_day in range(d0 - 1, d0 + n_days + 1):
                for _ in range(rng.randint(lo, hi)):
                    length = rng.choice((30, 45, 60, 90, 120))
                    local = rng.randrange(7 * 60, 20 * 60 - length + 1, GRID)
                    start = local_day * 1440 + local - q["offset"]
                    if _overlaps(taken, start, start + length):
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
                    if _overlaps(taken, start, start + length):
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
            "window_start": _date(d0),
            "window_end": _date(d0 + n_days - 1),
            "meetings": [{k: m[k] for k in ("id", "title", "attendees", "duration", "equipment")} for m in planted],
            "precedence": precedence,
            "max_daily_minutes": max_daily,
            "long_meeting": {"min_duration": LONG_MIN, "end_by": _hhmm(LONG_END)} if long_rule else None,
            "director_video": director_rule,
            "buffer_minutes": buffer,
        }
        return Built(db, params)

    # ------------------------------------------------------------------------------------ solve

    def solve(self, client: ToolClient, params: dict[str, Any]) -> None:
        meetings = params["meetings"]
        d0 = _day_of(params["window_start"])
        w0, w1 = d0 * 1440, (_day_of(params["window_end"]) + 1) * 1440
        attendees = sorted({p for m in meetings for p in m["attendees"]})
        roles = {p["name"]: p["role"] for p in client.list_people()}
        offset, work, busy = {}, {}, {}
        for person in attendees:
            calendar = client.get_calendar(person=person)
            offset[person] = calendar["utc_offset_minutes"]
            work[person] = (_minutes(calendar["work_start"]), _minutes(calendar["work_end"]))
            spans = []
            for b in calendar["busy"]:
                base = _day_of(b["date"]) * 1440 - offset[person]
                spans.append((base + _minutes(b["start"]), base + _minutes(b["end"])))
            busy[person] = spans
        booked_by_room: dict[str, list[tuple[int, int]]] = {}
        for b in client.get_room_bookings()["bookings"]:
            booked_by_room.setdefault(b["room"], []).append((parse_start(b["start"]), parse_start(b["end"])))
        rooms = {r["room"]: (r["capacity"], set(r["equipment"]), booked_by_room.get(r["room"], []))
                 for r in client.list_rooms()}
        long_rule = params["long_meeting"]
        buffer = params["buffer_minutes"] or 0
        limit = params["max_daily_minutes"]

        # Static domain per meeting: grid starts where every attendee is free and some fitting room
        # has no booking. Rooms are picked when a start is placed; the rest is checked in the search.
        domains: dict[str, list[int]] = {}
        room_free: dict[str, list[tuple[str, list[tuple[int, int]]]]] = {}
        for m in meetings:
            duration = m["duration"]
            end_by = _minutes(long_rule["end_by"]) if long_rule and duration >= long_rule["min_duration"] else None
            free = [(w0, w1)]
            for person in m["attendees"]:
                allowed = []
                for day in range(d0 - 1, w1 // 1440 + 1):
                    base = day * 1440 - offset[person]
                    close = work[person][1] if end_by is None else min(work[person][1], end_by)
                    allowed.append((base + work[person][0], base + close))
                free = _subtract(_intersect(free, allowed), busy[person])
            needs_video = params["director_video"] and any(roles.get(p) == "director" for p in m["attendees"])
            starts: set[int] = set()
            room_free[m["id"]] = []
            for r in sorted(rooms):
                capacity, equipment, booked = rooms[r]
                if capacity < len(m["attendees"]) or not set(m["equipment"]) <= equipment:
                    continue
                if needs_video and "video" not in equipment:
                    continue
                spans = _subtract(free, booked)
                room_free[m["id"]].append((r, spans))
                for lo, hi in spans:
                    starts.update(range(-(-lo // GRID) * GRID, hi - duration + 1, GRID))
            domains[m["id"]] = sorted(starts)

        by_id = {m["id"]: m for m in meetings}
        after: dict[str, list[str]] = {i: [] for i in by_id}  # meeting -> meetings that must end before it
        before: dict[str, list[str]] = {i: [] for i in by_id}
        for p in params["precedence"]:
            after[p["after"]].append(p["before"])
            before[p["before"]].append(p["after"])
        chosen: dict[str, tuple[int, int, str]] = {}
        spans: dict[str, list[tuple[int, int]]] = {p: [] for p in attendees}
        room_spans: dict[str, list[tuple[int, int]]] = {r: [] for r in rooms}
        load: dict[tuple[str, int], int] = {}
        cap = limit if limit is not None else 10**9

        def fits(mid: str, start: int) -> bool:
            """Everything but the room: precedence, attendees' other meetings (with buffer), daily limit."""
            m = by_id[mid]
            end = start + m["duration"]
            for a in after[mid]:
                if a in chosen and start < chosen[a][1]:
                    return False
            for b in before[mid]:
                if b in chosen and chosen[b][0] < end:
                    return False
            for person in m["attendees"]:
                for s, e in spans[person]:
                    if s < end + buffer and start < e + buffer:
                        return False
                if load.get((person, (start + offset[person]) // 1440), 0) + m["duration"] > cap:
                    return False
            return True

        def rooms_for(mid: str, start: int) -> list[str]:
            end = start + by_id[mid]["duration"]
            return [r for r, free_spans in room_free[mid]
                    if any(lo <= start and end <= hi for lo, hi in free_spans) and not _overlaps(room_spans[r], start, end)]

        def place(mid: str, start: int, room: str, sign: int) -> None:
            m = by_id[mid]
            end = start + m["duration"]
            if sign > 0:
                chosen[mid] = (start, end, room)
                room_spans[room].append((start, end))
            else:
                del chosen[mid]
                room_spans[room].remove((start, end))
            for person in m["attendees"]:
                key = (person, (start + offset[person]) // 1440)
                load[key] = load.get(key, 0) + sign * m["duration"]
                if sign > 0:
                    spans[person].append((start, end))
                else:
                    spans[person].remove((start, end))

        related = {i: [o for o in sorted(by_id) if o != i and (
            set(by_id[i]["attendees"]) & set(by_id[o]["attendees"]) or o in after[i] or o in before[i])]
            for i in by_id}

        room_names = {i: {r for r, _ in room_free[i]} for i in by_id}
        room_related = {i: {o for o in by_id if o != i and room_names[i] & room_names[o]} for i in by_id}

        # Precedence bounds first (earliest end of a 'before' bounds its 'after', and back).
        for _ in range(len(by_id)):
            for p in params["precedence"]:
                a, b = p["before"], p["after"]
                if domains[a] and domains[b]:
                    earliest_end = domains[a][0] + by_id[a]["duration"]
                    latest_start = domains[b][-1]
                    domains[b] = [v for v in domains[b] if v >= earliest_end]
                    domains[a] = [v for v in domains[a] if v + by_id[a]["duration"] <= latest_start]
        # Topological order (ties: smaller domain first), earliest starts first, forward checking.
        order: list[str] = []
        while len(order) < len(by_id):
            ready = [i for i in by_id if i not in order and all(a in order for a in after[i])]
            order.append(min(ready, key=lambda i: (len(domains[i]), i)))

        rank = {mid: i for i, mid in enumerate(order)}
        nodes = [0, 0]  # visited, budget (0: none)

        def search(doms: dict[str, list[int]], mrv: bool) -> bool:
            if not doms:
                return True
            nodes[0] += 1
            if nodes[1] and nodes[0] > nodes[1]:
                raise _OutOfBudget
            mid = min(doms, key=(lambda i: (len(doms[i]), rank[i])) if mrv else rank.__getitem__)
            near, near_room = related[mid], room_related[mid]
            for start in doms[mid]:
                if not fits(mid, start):
                    continue
                for room in rooms_for(mid, start):
                    place(mid, start, room, 1)
                    rest = {}
                    for o, values in doms.items():
                        if o == mid:
                            continue
                        if o in near:
                            values = [v for v in values if fits(o, v)]
                        if o in near_room and room in room_names[o]:
                            # Only starts overlapping the new booking can have lost their room.
                            lo, hi = start - by_id[o]["duration"], start + by_id[mid]["duration"]
                            values = [v for v in values if not lo < v < hi or rooms_for(o, v)]
                        if not values:
                            break
                        rest[o] = values
                    else:
                        if search(rest, mrv):
                            return True
                    place(mid, start, room, -1)
            return False

        # Precedence order first, then smallest domain first; a node budget switches strategy
        # before either thrashes (the last one runs to completion, so the search stays complete).
        for mrv, budget in ((False, 400), (True, 400), (False, 0)):
            nodes[:] = [0, budget]
            try:
                search(dict(domains), mrv)
                break
            except _OutOfBudget:
                for mid in list(chosen):
                    place(mid, chosen[mid][0], chosen[mid][2], -1)
        answer = [{"meeting": m["id"], "room": chosen[m["id"]][2], "start": _iso(chosen[m["id"]][0])}
                  for m in meetings if m["id"] in chosen]
        client.submit_result(answer_text=answer_text(answer))

    # ------------------------------------------------------------------------------------ check

    def check(self, db: sqlite3.Connection, params: dict[str, Any], answer: Any) -> list[Check]:
        meetings = {m["id"]: m for m in params["meetings"]}
        d0 = _day_of(params["window_start"])
        w0, w1 = d0 * 1440, (_day_of(params["window_end"]) + 1) * 1440
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
        out.append(check("coverage", not (unknown or duplicate or missing), sorted(meetings),
                         {"missing": missing, "unknown": unknown[:5], "duplicate": duplicate},
                         "every meeting exactly once, no other ids"))
        out.append(check("rooms.known", not bad_room, "room names from list_rooms", bad_room[:5]))
        out.append(check("start.valid", not bad_start, "timezone-aware ISO 8601 on a whole minute", bad_start[:5]))

        outside = [m for m, (s, e, _) in placed.items() if s < w0 or e > w1]
        out.append(check("window", not outside, f"{params['window_start']}..{params['window_end']} UTC", outside))

        off_hours, calendar = [], []
        for mid, (s, e, _) in placed.items():
            for p in meetings[mid]["attendees"]:
                q = people[p]
                if not _fits_work(q["utc_offset"], (q["work_start"], q["work_end"]), s, e):
                    off_hours.append(f"{mid}:{p}")
                if _hits(busy.get(p), s, e):
                    calendar.append(f"{mid}:{p}")
        out.append(check("attendees.working_hours", not off_hours, "inside local working hours", off_hours[:5]))
        out.append(check("attendees.calendar", not calendar, "no overlap with busy blocks", calendar[:5]))

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
        out.append(check("attendees.no_overlap", not clashes, "no one in two meetings at once", clashes[:5]))

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
        out.append(check("rooms.capacity", not small, "capacity >= attendees", small))
        out.append(check("rooms.equipment", not lacking, "required equipment present", lacking))
        out.append(check("rooms.free", not taken, "no overlap with bookings or each other", taken[:5]))

        if params["precedence"]:
            broken = []
            for p in params["precedence"]:
                a, b = placed.get(p["before"]), placed.get(p["after"])
                if a is None or b is None or b[0] < a[1]:
                    broken.append(f"{p['before']}<{p['after']}")
            out.append(check("precedence", not broken, "each 'after' starts once its 'before' ended", broken))
        if params["max_daily_minutes"] is not None:
            load: dict[tuple[str, int], int] = {}
            for mid, (s, e, _) in placed.items():
                for p in meetings[mid]["attendees"]:
                    key = (p, _local_day(people[p]["utc_offset"], s))
                    load[key] = load.get(key, 0) + (e - s)
            over = sorted(f"{p}:{_date(day)}={v}" for (p, day), v in load.items() if v > params["max_daily_minutes"])
            out.append(check("daily_limit", not over, f"<= {params['max_daily_minutes']} min per local date", over[:5]))
        if params["long_meeting"] is not None:
            rule = params["long_meeting"]
            end_by = _minutes(rule["end_by"])
            late = []
            for mid, (s, e, _) in placed.items():
                if e - s >= rule["min_duration"]:
                    for p in meetings[mid]["attendees"]:
                        local = s + people[p]["utc_offset"]
                        if e + people[p]["utc_offset"] - (local // 1440) * 1440 > end_by:
                            late.append(f"{mid}:{p}")
            out.append(check("rule.long_meeting_end", not late, f"long meetings end by {rule['end_by']} local", late[:5]))
        if params["director_video"]:
            no_video = [f"{mid}:{room}" for mid, (_, _, room) in placed.items() if room is not None
                        and any(people[p]["role"] == "director" for p in meetings[mid]["attendees"])
                        and "video" not in rooms[room][1]]
            out.append(check("rule.director_video", not no_video, "video room when a director attends", no_video))
        if buffer:
            out.append(check("rule.buffer", not tight, f">= {buffer} min between one person's meetings", tight[:5]))
        return out

    # ---------------------------------------------------------------------------------- perturb

    def perturb(self, db: sqlite3.Connection, params: dict[str, Any], answer: Any, rng: random.Random) -> list[Control]:
        meetings = {m["id"]: m for m in params["meetings"]}
        rooms = {r["room"]: r["capacity"] for r in rows(db, "SELECT room, capacity FROM rooms")}
        d0 = _day_of(params["window_start"])

        def edit(i: int, **changes: str) -> list[dict[str, str]]:
            return [dict(item, **changes) if j == i else dict(item) for j, item in enumerate(answer)]

        i = rng.randrange(len(answer))
        start = parse_start(answer[i]["start"])
        assert start is not None
        options: list[tuple[str, str, list[dict[str, str]]]] = [
            ("shift_12h", "attendees.working_hours", edit(i, start=_iso(start + 720))),
            ("drop_meeting", "coverage", answer[:i] + answer[i + 1:]),
            ("before_window", "window", edit(i, start=_iso(start - (start // 1440 - d0 + 1) * 1440))),
        ]
        mid = answer[i]["meeting"]
        first = meetings[mid]["attendees"][0]
        block = db.execute("SELECT start_ts FROM busy WHERE person = ? AND start_ts >= ? ORDER BY start_ts LIMIT 1",
                           (first, d0 * 86400)).fetchone()
        if block:
            options.append(("onto_busy_block", "attendees.calendar", edit(i, start=_iso(block[0] // 60))))
        small = sorted(r for r, c in rooms.items() if c < len(meetings[mid]["attendees"]))
        if small:
            options.append(("small_room", "rooms.capacity", edit(i, room=small[0])))
        if len(answer) >= 2:
            j = (i + 1) % len(answer)
            options.append(("same_room_and_time", "rooms.free",
                            edit(i, room=answer[j]["room"], start=answer[j]["start"])))
        if params["precedence"]:
            p = params["precedence"][0]
            at = {item["meeting"]: k for k, item in enumerate(answer)}
            options.append(("precedence_swapped", "precedence",
                            edit(at[p["after"]], start=answer[at[p["before"]]]["start"])))
        options += [
            ("naive_start", "start.valid", edit(i, start=answer[i]["start"].replace("Z", "").replace("+00:00", ""))),
            ("unknown_room", "rooms.known", edit(i, room="Room 000")),
        ]
        return one_per_check(options)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _intersect(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for s1, e1 in a:
        for s2, e2 in b:
            s, e = max(s1, s2), min(e1, e2)
            if s < e:
                out.append((s, e))
    return sorted(out)


def _subtract(spans: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for s, e in spans:
        pieces = [(s, e)]
        for hs, he in holes:
            nxt = []
            for ps, pe in pieces:
                if he <= ps or pe <= hs:
                    nxt.append((ps, pe))
                    continue
                if ps < hs:
                    nxt.append((ps, hs))
                if he < pe:
                    nxt.append((he, pe))
            pieces = nxt
        out += pieces
    return out


class _OutOfBudget(Exception):
    """The gold search visited more nodes than its current strategy may."""


def _read_facts(db: sqlite3.Connection) -> tuple[dict, dict, dict, dict]:
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


def _index(spans: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Starts in order and the running maximum of ends, for overlap tests by bisection."""
    spans = sorted(spans)
    ends, top = [], -(10**18)
    for _, e in spans:
        top = max(top, e)
        ends.append(top)
    return [s for s, _ in spans], ends


def _hits(index: tuple[list[int], list[int]] | None, start: int, end: int) -> bool:
    """Whether [start, end) overlaps any indexed span (any set of spans, overlapping or not)."""
    if index is None:
        return False
    k = bisect_left(index[0], end)
    return k > 0 and index[1][k - 1] > start
