"""course_timetabling perturbations: edits of the gold timetable, each breaking one named check.

Sits under the category (`__init__`) and over the shared rules and the core. The edits read the
database themselves rather than through the checker, and are not filtered through it: a checker
that misses one shows up as an unsound control instead of agreeing with itself.
"""

from __future__ import annotations

import random
import sqlite3
from typing import Any

from synth import Control
from synth.verifiers.general.rules.course_timetabling import enrolled, right_kind, seats

from .._base import one_per_check


def perturb(db: sqlite3.Connection, params: dict[str, Any], answer: Any, rng: random.Random) -> list[Control]:
    """Controls from one randomly chosen entry of the gold `answer`: drop it, move it to a slot its
    teacher is away, a room of the wrong kind, too small or already booked, a slot of a session of
    a shared group or another entry's room and slot, an invented slot; or add an unlisted course."""
    groups: dict[str, list[str]] = {}
    for course, grp in db.execute("SELECT course, grp FROM enrollment ORDER BY grp"):
        groups.setdefault(course, []).append(grp)
    rooms = {r: (k, c) for r, k, c in db.execute("SELECT room, kind, capacity FROM rooms")}
    sizes = dict(db.execute("SELECT grp, size FROM student_groups").fetchall())

    def edit(i: int, **changes: str) -> list[dict[str, str]]:
        return [dict(e, **changes) if j == i else dict(e) for j, e in enumerate(answer)]

    i = rng.randrange(len(answer))
    course = answer[i]["course"]
    teacher, room_kind = db.execute("SELECT teacher, room_kind FROM courses WHERE course = ?", (course,)).fetchone()
    options: list[tuple[str, str, Any]] = [("session_dropped", "coverage", answer[:i] + answer[i + 1:])]
    away = sorted(s for (s,) in db.execute("SELECT slot FROM teacher_unavailable WHERE teacher = ?", (teacher,)))
    if away:
        options.append(("teacher_away", "teachers.available", edit(i, slot=away[0])))
    wrong_kind = sorted(r for r, (k, _) in rooms.items() if not right_kind(k, room_kind))
    if wrong_kind:
        options.append(("wrong_room_kind", "rooms.kind", edit(i, room=wrong_kind[0])))
    size = enrolled(groups.get(course, []), sizes)
    small = sorted(r for r, (_, c) in rooms.items() if not seats(c, size))
    if small:
        options.append(("room_too_small", "rooms.capacity", edit(i, room=small[0])))
    booked = sorted((r, s) for r, s in db.execute("SELECT room, slot FROM room_bookings")
                    if right_kind(rooms[r][0], room_kind))
    if booked:
        options.append(("room_already_booked", "rooms.free", edit(i, room=booked[0][0], slot=booked[0][1])))
    for j, other in enumerate(answer):
        if j != i and set(groups.get(other["course"], [])) & set(groups.get(course, [])):
            options.append(("group_clash", "groups.no_double_booking", edit(i, slot=other["slot"])))
            break
    if len(answer) >= 2:
        j = (i + 1) % len(answer)
        options.append(("same_room_and_slot", "rooms.no_double_booking",
                        edit(i, room=answer[j]["room"], slot=answer[j]["slot"])))
    options += [
        ("invented_slot", "references", edit(i, slot="Sun-9")),
        ("unlisted_course", "coverage",
         answer + [{"course": "XX999", "slot": answer[i]["slot"], "room": answer[i]["room"]}]),
    ]
    return one_per_check(options)
