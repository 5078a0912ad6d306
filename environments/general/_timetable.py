"""course_timetabling: place every session of a term's courses into a weekly grid of slots and rooms.

A sandbox database of slots (day, period, times), student groups (size), teachers (with slots they
cannot teach), rooms (capacity, kind: lecture, lab or seminar, with slots already booked), and
courses (term, teacher, enrolled groups, sessions per week, the room kind they need). The task
names the term's courses; the answer is a JSON list of {course, slot, room}, one per session.
Constraints: every session exactly once, no teacher, group or room double booking, room free,
capacity >= enrolled students, right room kind, teacher available, a per-group daily limit; as
difficulty rises: sessions of one course on different days, a per-teacher daily limit, and a rest
rule (whoever teaches the last period of a day does not teach the first period of the next).

Feasible by construction: every session is planted into a slot and room first; teacher
unavailability, room bookings and the limits are drawn around the planted timetable. The gold
solver backtracks over (slot, room) with forward checking, through the tools only.
"""

from __future__ import annotations

import random
import sqlite3
from typing import Any

from synth import Check, Control, ToolClient, ToolError, register_category, tool_from_function

from ._base import SUBMIT, Built, GeneralCategory, answer_text, check, db_facts, new_db, one_per_check, rows

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
TERM, OTHER_TERM = "Autumn 2026", "Spring 2027"

# difficulty -> (days, courses, groups, teachers, rooms, two-session share, teacher unavailable share,
#                room booked share, group daily slack, spread rule, teacher daily limit, rest rule)
LEVELS = {
    1: (3, 4, 2, 3, 3, 0.0, 0.10, 0.05, 1, False, False, False),
    2: (4, 5, 3, 3, 3, 0.3, 0.20, 0.10, 1, False, False, False),
    3: (4, 6, 3, 4, 4, 0.5, 0.30, 0.15, 0, True, False, False),
    4: (5, 7, 4, 4, 4, 0.5, 0.35, 0.20, 0, True, True, False),
    5: (5, 8, 4, 5, 5, 0.6, 0.40, 0.25, 0, True, True, True),
}



# ---------------------------------------------------------------------------------------------- tools


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


# ------------------------------------------------------------------------------------- the category


class _Facts:
    """Everything the rules need, read once from the database (or from tool results)."""

    def __init__(self, slots: dict[str, tuple[int, int]], periods: int, sizes: dict[str, int],
                 rooms: dict[str, tuple[str, int]], booked: set[tuple[str, str]], away: set[tuple[str, str]],
                 courses: dict[str, dict[str, Any]]) -> None:
        self.slots = slots  # slot -> (day index, period)
        self.periods = periods
        self.sizes = sizes
        self.rooms = rooms  # room -> (kind, capacity)
        self.booked = booked  # (room, slot)
        self.away = away  # (teacher, slot)
        self.courses = courses  # course -> {teacher, groups, sessions, room_kind}


def _facts(db: sqlite3.Connection) -> _Facts:
    slots = {s: (d, p) for s, d, p in db.execute("SELECT slot, day_index, period FROM slots")}
    courses: dict[str, dict[str, Any]] = {}
    for course, teacher, sessions, kind in db.execute("SELECT course, teacher, sessions, room_kind FROM courses"):
        courses[course] = {"teacher": teacher, "groups": [], "sessions": sessions, "room_kind": kind}
    for course, grp in db.execute("SELECT course, grp FROM enrollment ORDER BY grp"):
        courses[course]["groups"].append(grp)
    return _Facts(
        slots=slots,
        periods=max((p for _, p in slots.values()), default=0),
        sizes=dict(db.execute("SELECT grp, size FROM student_groups").fetchall()),
        rooms={r: (k, c) for r, k, c in db.execute("SELECT room, kind, capacity FROM rooms")},
        booked=set(db.execute("SELECT room, slot FROM room_bookings").fetchall()),
        away=set(db.execute("SELECT teacher, slot FROM teacher_unavailable").fetchall()),
        courses=courses,
    )


@register_category("general", "course_timetabling")
class CourseTimetabling(GeneralCategory):
    name = "course_timetabling"
    schema = SCHEMA
    """The sandbox database's CREATE statements (for hand-built databases in tests and docs)."""
    description = "Timetable a term's courses into slots and rooms: teachers, groups, rooms, capacities, limits."
    template = """\
Build the weekly timetable for the {{ term }} term. Schedule every session of these courses: \
{{ courses | join(', ') }}. A course with n sessions per week needs n entries.

Rules:
- No teacher, student group or room is in two places in the same slot.
- A room already booked in a slot cannot be used in it.
- The room must be of the kind the course requires and seat all students of its enrolled groups.
- A teacher only teaches in slots where they are available.
- No student group has more than {{ max_group_daily }} sessions on one day.
{% if spread %}
- Sessions of the same course fall on different days.
{% endif %}
{% if teacher_daily_max is not none %}
- No teacher teaches more than {{ teacher_daily_max }} sessions on one day.
{% endif %}
{% if rest_rule %}
- A teacher who teaches in the last period of a day does not teach in the first period of the \
next day.
{% endif %}

Submit a JSON list with one object per session: {"course": id, "slot": slot id, "room": room name}.
"""
    answer_schema = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"course": {"type": "string"}, "slot": {"type": "string"}, "room": {"type": "string"}},
            "required": ["course", "slot", "room"],
            "additionalProperties": False,
        },
    }
    tools = [
        tool_from_function(list_courses),
        tool_from_function(get_course),
        tool_from_function(list_groups),
        tool_from_function(list_slots),
        tool_from_function(get_teacher_availability),
        tool_from_function(list_rooms),
        tool_from_function(get_room_schedule),
        SUBMIT,
    ]
    check_names = (
        "format", "coverage", "references", "rooms.no_double_booking", "rooms.free", "rooms.kind", "rooms.capacity",
        "teachers.no_double_booking", "teachers.available", "groups.no_double_booking", "groups.daily_limit",
        "rule.spread", "rule.teacher_daily_limit", "rule.rest",
    )

    # ------------------------------------------------------------------------------------ build

    def build(self, rng: random.Random, difficulty: int) -> Built:
        for _ in range(50):
            built = self._attempt(rng, difficulty)
            if built is not None:
                return built
        raise RuntimeError("could not plant a timetable in 50 attempts")

    def _attempt(self, rng: random.Random, difficulty: int) -> Built | None:
        (n_days, n_courses, n_groups, n_teachers, n_rooms, two_share, away_share, booked_share, slack,
         spread, teacher_limit, rest) = LEVELS[difficulty]
        slots = {f"{DAYS[d]}-{p + 1}": (d, p + 1) for d in range(n_days) for p in range(len(PERIODS))}
        slot_ids = list(slots)
        periods = len(PERIODS)
        groups = {f"G{i + 1}{rng.choice('ABC')}": rng.randrange(12, 36) for i in range(n_groups)}
        group_ids = sorted(groups)
        teachers = sorted(rng.sample(TEACHERS, n_teachers))
        rooms: dict[str, tuple[str, int]] = {}
        kinds = ["lecture", "lab"] + [rng.choice(("lecture", "lecture", "lab", "seminar")) for _ in range(n_rooms - 2)]
        for i, kind in enumerate(kinds):
            prefix = {"lecture": "L", "lab": "Lab", "seminar": "S"}[kind]
            rooms[f"{prefix}{100 + 10 * i + rng.randrange(10)}"] = (kind, rng.choice((24, 30, 40, 60, 80)))
        first = list(rooms)
        rooms[first[0]] = ("lecture", 80)
        rooms[first[1]] = ("lab", 40)
        room_ids = sorted(rooms)
        largest = {k: max((c for kk, c in rooms.values() if kk == k), default=0) for k in ("lecture", "lab", "seminar")}

        subjects = rng.sample(SUBJECTS, n_courses + 2)
        courses: dict[str, dict[str, Any]] = {}
        for i, (code, title) in enumerate(subjects):
            enrolled = sorted(rng.sample(group_ids, 1 if rng.random() < 0.6 else 2))
            size = sum(groups[g] for g in enrolled)
            kinds_ok = [k for k in ("lecture", "lecture", "lab", "seminar") if largest[k] >= size]
            kind = rng.choice(kinds_ok) if kinds_ok else "lecture"  # the first lecture room seats 80
            courses[f"{code}{rng.randrange(100, 400)}"] = {
                "title": title, "term": TERM if i < n_courses else OTHER_TERM, "teacher": rng.choice(teachers),
                "groups": enrolled, "sessions": 2 if rng.random() < two_share else 1, "room_kind": kind,
            }
        to_plan = sorted(c for c, v in courses.items() if v["term"] == TERM)

        # Plant every session.
        sessions = [c for c in to_plan for _ in range(courses[c]["sessions"])]
        rng.shuffle(sessions)
        used_room: set[tuple[str, str]] = set()
        busy: set[tuple[str, str]] = set()  # (teacher or group, slot)
        per_day: dict[tuple[str, int], int] = {}
        course_days: dict[str, set[int]] = {}
        planted: list[tuple[str, str, str]] = []
        limit_cap = 2 if difficulty >= 3 else 3
        for course in sessions:
            info = courses[course]
            people = [info["teacher"], *info["groups"]]
            size = sum(groups[g] for g in info["groups"])
            options = []
            for slot in slot_ids:
                day, period = slots[slot]
                if any((p, slot) in busy for p in people):
                    continue
                if spread and day in course_days.get(course, set()):
                    continue
                if any(per_day.get((g, day), 0) >= limit_cap for g in info["groups"]):
                    continue
                if teacher_limit and per_day.get((info["teacher"], day), 0) >= 2:
                    continue
                if rest and self._rest_conflict(busy, info["teacher"], day, period, periods, n_days):
                    continue
                for room in room_ids:
                    kind, capacity = rooms[room]
                    if kind == info["room_kind"] and capacity >= size and (room, slot) not in used_room:
                        options.append((slot, room))
            if not options:
                return None
            slot, room = rng.choice(options)
            day = slots[slot][0]
            used_room.add((room, slot))
            for p in people:
                busy.add((p, slot))
                per_day[(p, day)] = per_day.get((p, day), 0) + 1
            course_days.setdefault(course, set()).add(day)
            planted.append((course, slot, room))

        max_group_daily = max(per_day.get((g, d), 0) for g in group_ids for d in range(n_days)) + slack
        max_group_daily = max(max_group_daily, 1)
        teacher_daily_max = None
        if teacher_limit:
            teacher_daily_max = max(1, max(per_day.get((t, d), 0) for t in teachers for d in range(n_days)))

        # Distractors drawn around the planted timetable.
        away_rows = []
        for teacher in teachers:
            for slot in slot_ids:
                if (teacher, slot) not in busy and rng.random() < away_share:
                    away_rows.append((teacher, slot, rng.choice(("research day", "committee", "leave", "office hours"))))
        booking_rows = []
        for room in room_ids:
            for slot in slot_ids:
                if (room, slot) not in used_room and rng.random() < booked_share:
                    booking_rows.append((room, slot, rng.choice(("exam", "seminar series", "maintenance", "club"))))

        db = new_db(SCHEMA)
        db.executemany("INSERT INTO slots VALUES (?, ?, ?, ?, ?, ?)", [
            (s, DAYS[d], d, p, *PERIODS[p - 1]) for s, (d, p) in slots.items()])
        db.executemany("INSERT INTO student_groups VALUES (?, ?, ?)", [(g, rng.choice(PROGRAMS), groups[g]) for g in group_ids])
        db.executemany("INSERT INTO teachers VALUES (?, ?)", [(t, rng.choice(DEPARTMENTS)) for t in teachers])
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
        params = {
            "term": TERM,
            "courses": to_plan,
            "max_group_daily": max_group_daily,
            "spread": spread,
            "teacher_daily_max": teacher_daily_max,
            "rest_rule": rest,
        }
        return Built(db, params)

    @staticmethod
    def _rest_conflict(busy: set[tuple[str, str]], teacher: str, day: int, period: int, periods: int, n_days: int) -> bool:
        if period == periods and day + 1 < n_days and (teacher, f"{DAYS[day + 1]}-1") in busy:
            return True
        return period == 1 and day > 0 and (teacher, f"{DAYS[day - 1]}-{periods}") in busy

    # ------------------------------------------------------------------------------------ solve

    def solve(self, client: ToolClient, params: dict[str, Any]) -> None:
        slot_rows = client.list_slots()
        day_order = list(dict.fromkeys(s["day"] for s in slot_rows))
        slots = {s["slot"]: (day_order.index(s["day"]), s["period"]) for s in slot_rows}
        periods = max(p for _, p in slots.values())
        sizes = {g["group"]: g["size"] for g in client.list_groups()}
        rooms = {r["room"]: (r["kind"], r["capacity"]) for r in client.list_rooms()}
        booked = {(b["room"], b["slot"]) for b in client.get_room_schedule()["booked"]}
        catalogue = {c["course"]: c for c in client.list_courses(term=params["term"])}
        courses = {c: catalogue[c] for c in params["courses"]}
        teachers = sorted({c["teacher"] for c in courses.values()})
        available = {t: set(client.get_teacher_availability(teacher=t)["available"]) for t in teachers}
        ordered_slots = sorted(slots, key=lambda s: slots[s])
        slot_rank = {s: i for i, s in enumerate(ordered_slots)}
        slot_at = {v: k for k, v in slots.items()}

        sessions = [(c, k) for c in params["courses"] for k in range(courses[c]["sessions"])]
        domains: dict[tuple[str, int], list[tuple[str, str]]] = {}
        for course, k in sessions:
            info = courses[course]
            size = sum(sizes[g] for g in info["groups"])
            fitting = [r for r in sorted(rooms) if rooms[r][0] == info["room_kind"] and rooms[r][1] >= size]
            domains[(course, k)] = [(s, r) for s in ordered_slots if s in available[info["teacher"]]
                                    for r in fitting if (r, s) not in booked]

        taken: set[tuple[str, str]] = set()  # (teacher/group/room, slot)
        load: dict[tuple[str, int], int] = {}
        chosen: dict[tuple[str, int], tuple[str, str]] = {}
        group_cap, teacher_cap = params["max_group_daily"], params["teacher_daily_max"]

        def fits(key: tuple[str, int], slot: str, room: str) -> bool:
            course, k = key
            info = courses[course]
            day, period = slots[slot]
            if (room, slot) in taken or (info["teacher"], slot) in taken:
                return False
            for g in info["groups"]:
                if (g, slot) in taken or load.get((g, day), 0) >= group_cap:
                    return False
            if teacher_cap is not None and load.get((info["teacher"], day), 0) >= teacher_cap:
                return False
            # Sessions of one course in slot order (they are interchangeable), on distinct days if asked.
            for j in range(info["sessions"]):
                other = chosen.get((course, j))
                if other is None:
                    continue
                if (j < k and slot_rank[other[0]] >= slot_rank[slot]) or (j > k and slot_rank[other[0]] <= slot_rank[slot]):
                    return False
                if params["spread"] and slots[other[0]][0] == day:
                    return False
            if params["rest_rule"]:
                neighbour = slot_at.get((day + 1, 1)) if period == periods else (
                    slot_at.get((day - 1, periods)) if period == 1 else None)
                if neighbour is not None and (info["teacher"], neighbour) in taken:
                    return False
            return True

        def place(key: tuple[str, int], slot: str, room: str, sign: int) -> None:
            info = courses[key[0]]
            day = slots[slot][0]
            marks = [(room, slot), (info["teacher"], slot), *((g, slot) for g in info["groups"])]
            if sign > 0:
                taken.update(marks)
                chosen[key] = (slot, room)
            else:
                taken.difference_update(marks)
                del chosen[key]
            for who in (info["teacher"], *info["groups"]):
                load[(who, day)] = load.get((who, day), 0) + sign

        people = {key: {courses[key[0]]["teacher"], *courses[key[0]]["groups"]} for key in sessions}
        related = {key: {o for o in sessions if o != key and (o[0] == key[0] or people[o] & people[key])}
                   for key in sessions}

        def search(doms: dict[tuple[str, int], list[tuple[str, str]]]) -> bool:
            # Forward checking, smallest domain first: sessions sharing a teacher, group or course
            # are filtered by every rule; the others only lose the (slot, room) just taken.
            if not doms:
                return True
            key = min(doms, key=lambda k: (len(doms[k]), k))
            near = related[key]
            for slot, room in doms[key]:
                if not fits(key, slot, room):
                    continue
                place(key, slot, room, 1)
                rest = {}
                for other, values in doms.items():
                    if other == key:
                        continue
                    if other in near:
                        values = [v for v in values if fits(other, v[0], v[1])]
                    elif (slot, room) in values:
                        values = [v for v in values if v != (slot, room)]
                    if not values:
                        break
                    rest[other] = values
                else:
                    if search(rest):
                        return True
                place(key, slot, room, -1)
            return False

        search(dict(domains))
        answer = [{"course": c, "slot": chosen[(c, k)][0], "room": chosen[(c, k)][1]} for c, k in sessions
                  if (c, k) in chosen]
        client.submit_result(answer_text=answer_text(answer))

    # ------------------------------------------------------------------------------------ check

    def check(self, db: sqlite3.Connection, params: dict[str, Any], answer: Any) -> list[Check]:
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
        out.append(check("coverage", not (wrong or strangers), "each listed course exactly its sessions",
                         {"wrong_counts": wrong, "not_listed": strangers[:5]}))
        out.append(check("references", not bad_refs, "slots from list_slots, rooms from list_rooms", bad_refs[:5]))

        def doubles(keyed: list[tuple[str, str]]) -> list[str]:
            seen: dict[tuple[str, str], int] = {}
            for k in keyed:
                seen[k] = seen.get(k, 0) + 1
            return sorted(f"{who}@{slot}" for (who, slot), n in seen.items() if n > 1)

        room_twice = doubles([(r, s) for _, s, r in entries])
        teacher_twice = doubles([(f.courses[c]["teacher"], s) for c, s, _ in entries])
        group_twice = doubles([(g, s) for c, s, _ in entries for g in f.courses[c]["groups"]])
        out.append(check("rooms.no_double_booking", not room_twice, "one session per room and slot", room_twice[:5]))
        booked = [f"{r}@{s}" for c, s, r in entries if (r, s) in f.booked]
        out.append(check("rooms.free", not booked, "no room already booked in the slot", booked[:5]))
        kind = [f"{c}: {r} is {f.rooms[r][0]}, needs {f.courses[c]['room_kind']}" for c, s, r in entries
                if f.rooms[r][0] != f.courses[c]["room_kind"]]
        out.append(check("rooms.kind", not kind, "the room kind each course needs", kind[:5]))
        small = [f"{c}: {r} seats {f.rooms[r][1]}" for c, s, r in entries
                 if f.rooms[r][1] < sum(f.sizes[g] for g in f.courses[c]["groups"])]
        out.append(check("rooms.capacity", not small, "capacity >= enrolled students", small[:5]))
        out.append(check("teachers.no_double_booking", not teacher_twice, "one session per teacher and slot",
                         teacher_twice[:5]))
        away = [f"{f.courses[c]['teacher']}@{s}" for c, s, _ in entries if (f.courses[c]["teacher"], s) in f.away]
        out.append(check("teachers.available", not away, "only slots the teacher is available", away[:5]))
        out.append(check("groups.no_double_booking", not group_twice, "one session per group and slot", group_twice[:5]))

        # Loads count each (who, slot) once, so a double booking is not also a load violation twice over.
        def daily(whos: list[tuple[str, str]]) -> dict[tuple[str, int], int]:
            load: dict[tuple[str, int], int] = {}
            for who, slot in sorted(set(whos)):
                key = (who, f.slots[slot][0])
                load[key] = load.get(key, 0) + 1
            return load

        group_load = daily([(g, s) for c, s, _ in entries for g in f.courses[c]["groups"]])
        over = sorted(f"{g} day {d}: {n}" for (g, d), n in group_load.items() if n > params["max_group_daily"])
        out.append(check("groups.daily_limit", not over, f"<= {params['max_group_daily']} per group and day", over[:5]))
        if params["spread"]:
            days: dict[str, list[int]] = {}
            for c, s, _ in entries:
                days.setdefault(c, []).append(f.slots[s][0])
            same = sorted(c for c, ds in days.items() if len(set(ds)) < len(ds))
            out.append(check("rule.spread", not same, "sessions of a course on different days", same))
        teacher_slots = sorted({(f.courses[c]["teacher"], s) for c, s, _ in entries})
        if params["teacher_daily_max"] is not None:
            load = daily(teacher_slots)
            over = sorted(f"{t} day {d}: {n}" for (t, d), n in load.items() if n > params["teacher_daily_max"])
            out.append(check("rule.teacher_daily_limit", not over, f"<= {params['teacher_daily_max']} per teacher and day",
                             over[:5]))
        if params["rest_rule"]:
            late = {(t, f.slots[s][0]) for t, s in teacher_slots if f.slots[s][1] == f.periods}
            early = {(t, f.slots[s][0]) for t, s in teacher_slots if f.slots[s][1] == 1}
            tired = sorted(f"{t} day {d}" for t, d in late if (t, d + 1) in early)
            out.append(check("rule.rest", not tired, "no first period after teaching the last one", tired))
        return out

    # ---------------------------------------------------------------------------------- perturb

    def perturb(self, db: sqlite3.Connection, params: dict[str, Any], answer: Any, rng: random.Random) -> list[Control]:
        f = db_facts(db, "timetable", _facts)

        def edit(i: int, **changes: str) -> list[dict[str, str]]:
            return [dict(e, **changes) if j == i else dict(e) for j, e in enumerate(answer)]

        i = rng.randrange(len(answer))
        course = answer[i]["course"]
        info = f.courses[course]
        options: list[tuple[str, str, Any]] = [("session_dropped", "coverage", answer[:i] + answer[i + 1:])]
        away = sorted(s for t, s in f.away if t == info["teacher"])
        if away:
            options.append(("teacher_away", "teachers.available", edit(i, slot=away[0])))
        wrong_kind = sorted(r for r, (k, _) in f.rooms.items() if k != info["room_kind"])
        if wrong_kind:
            options.append(("wrong_room_kind", "rooms.kind", edit(i, room=wrong_kind[0])))
        size = sum(f.sizes[g] for g in info["groups"])
        small = sorted(r for r, (_, c) in f.rooms.items() if c < size)
        if small:
            options.append(("room_too_small", "rooms.capacity", edit(i, room=small[0])))
        booked = sorted((r, s) for r, s in f.booked if f.rooms[r][0] == info["room_kind"])
        if booked:
            options.append(("room_already_booked", "rooms.free", edit(i, room=booked[0][0], slot=booked[0][1])))
        for j, other in enumerate(answer):
            if j != i and set(f.courses[other["course"]]["groups"]) & set(info["groups"]):
                options.append(("group_clash", "groups.no_double_booking", edit(i, slot=other["slot"])))
                break
        if len(answer) >= 2:
            j = (i + 1) % len(answer)
            options.append(("same_room_and_slot", "rooms.no_double_booking",
                            edit(i, room=answer[j]["room"], slot=answer[j]["slot"])))
        options += [
            ("invented_slot", "references", edit(i, slot="Sun-9")),
            ("unlisted_course", "coverage", answer + [{"course": "XX999", "slot": answer[i]["slot"], "room": answer[i]["room"]}]),
        ]
        return one_per_check(options)

