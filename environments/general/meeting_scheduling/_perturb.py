"""meeting_scheduling perturbations: edits of a gold schedule, each meant to break one named check
(controls that a sound checker must fail).

Sits under the category (`__init__`). The options are not filtered through the checker, so a
checker that misses one shows up as an unsound control.
"""

from __future__ import annotations

import random
import sqlite3
from typing import Any

from synth import Control
from synth.verifiers.general import rows
from synth.verifiers.general.rules.meeting_scheduling import day_of, iso, parse_start

from .._base import one_per_check


def perturb(db: sqlite3.Connection, params: dict[str, Any], answer: Any, rng: random.Random) -> list[Control]:
    """Up to six controls, one per broken check (see `one_per_check`)."""
    meetings = {m["id"]: m for m in params["meetings"]}
    rooms = {r["room"]: r["capacity"] for r in rows(db, "SELECT room, capacity FROM rooms")}
    d0 = day_of(params["window_start"])

    def edit(i: int, **changes: str) -> list[dict[str, str]]:
        return [dict(item, **changes) if j == i else dict(item) for j, item in enumerate(answer)]

    i = rng.randrange(len(answer))
    start = parse_start(answer[i]["start"])
    assert start is not None
    options: list[tuple[str, str, list[dict[str, str]]]] = [
        ("shift_12h", "attendees.working_hours", edit(i, start=iso(start + 720))),
        ("drop_meeting", "coverage", answer[:i] + answer[i + 1:]),
        ("before_window", "window", edit(i, start=iso(start - (start // 1440 - d0 + 1) * 1440))),
    ]
    mid = answer[i]["meeting"]
    first = meetings[mid]["attendees"][0]
    block = db.execute("SELECT start_ts FROM busy WHERE person = ? AND start_ts >= ? ORDER BY start_ts LIMIT 1",
                       (first, d0 * 86400)).fetchone()
    if block:
        options.append(("onto_busy_block", "attendees.calendar", edit(i, start=iso(block[0] // 60))))
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
