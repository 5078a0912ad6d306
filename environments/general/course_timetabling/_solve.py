"""course_timetabling gold solver: find a timetable through the tools only and submit it.

Sits under the category (`__init__`, whose `solve` calls `solve` here) and over the shared rules and
the core. It gets a ToolClient and the task params, nothing else: it reads the school the way a
model must (list_slots, list_groups, list_rooms, get_room_schedule, list_courses,
get_teacher_availability) and never reaches the database. It backtracks over (slot, room) per
session with forward checking, smallest domain first, trying first the place that leaves the other
sessions the fewest places; the search is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from synth import ToolClient
from synth.verifiers.general.rules.course_timetabling import (
    Position,
    enrolled,
    last_period,
    over_limit,
    rest_neighbours,
    room_fits,
)

from .._base import answer_text

Session = tuple[str, int]
"""(course, k): the k-th weekly session of a course."""
Place = tuple[str, str]
"""(slot, room)"""


def read_school(client: ToolClient, params: dict[str, Any]) -> tuple["Search", dict[Session, list[Place]]]:
    """Read the school through the tools: an empty search state and each session's static domain
    (slots its teacher is available, in week order, times rooms of the right kind and size that
    are not booked there, in name order)."""
    slot_rows = client.list_slots()
    day_order = list(dict.fromkeys(s["day"] for s in slot_rows))
    slots = {s["slot"]: (day_order.index(s["day"]), s["period"]) for s in slot_rows}
    sizes = {g["group"]: g["size"] for g in client.list_groups()}
    rooms = {r["room"]: (r["kind"], r["capacity"]) for r in client.list_rooms()}
    booked = {(b["room"], b["slot"]) for b in client.get_room_schedule()["booked"]}
    catalogue = {c["course"]: c for c in client.list_courses(term=params["term"])}
    courses = {c: catalogue[c] for c in params["courses"]}
    teachers = sorted({c["teacher"] for c in courses.values()})
    available = {t: set(client.get_teacher_availability(teacher=t)["available"]) for t in teachers}
    ordered_slots = sorted(slots, key=lambda s: slots[s])

    sessions = [(c, k) for c in params["courses"] for k in range(courses[c]["sessions"])]
    domains: dict[Session, list[Place]] = {}
    for course, k in sessions:
        info = courses[course]
        size = enrolled(info["groups"], sizes)
        fitting = [r for r in sorted(rooms) if room_fits(rooms[r], info["room_kind"], size)]
        domains[(course, k)] = [(s, r) for s in ordered_slots if s in available[info["teacher"]]
                                for r in fitting if (r, s) not in booked]
    return Search(slots, ordered_slots, courses, sessions, params, rooms), domains


def submit(client: ToolClient, search: "Search") -> None:
    """Submit the sessions placed so far, in task order."""
    chosen = search.chosen
    answer = [{"course": c, "slot": chosen[(c, k)][0], "room": chosen[(c, k)][1]} for c, k in search.sessions
              if (c, k) in chosen]
    client.submit_result(answer_text=answer_text(answer))


def solve(client: ToolClient, params: dict[str, Any]) -> None:
    """Read the school through the tools, search a timetable and submit it (an empty one if the
    search fails, so the gold verdict shows the failure)."""
    search, domains = read_school(client, params)
    search.search(dict(domains))
    submit(client, search)


@dataclass
class Search:
    """Backtracking state: what is taken, each person's sessions per day, the places chosen."""

    slots: dict[str, Position]
    ordered_slots: list[str]
    courses: dict[str, dict[str, Any]]
    """course -> the course as list_courses shows it (teacher, groups, sessions, room_kind)"""
    sessions: list[Session]
    params: dict[str, Any]
    rooms: dict[str, tuple[str, int]]
    """room -> (kind, capacity)"""

    def __post_init__(self) -> None:
        self.periods = last_period(self.slots.values())
        self.slot_rank = {s: i for i, s in enumerate(self.ordered_slots)}
        self.slot_at = {v: k for k, v in self.slots.items()}
        self.taken: set[tuple[str, str]] = set()  # (teacher/group/room, slot)
        self.load: dict[tuple[str, int], int] = {}  # (teacher/group, day index) -> sessions
        self.chosen: dict[Session, Place] = {}
        self.group_cap, self.teacher_cap = self.params["max_group_daily"], self.params["teacher_daily_max"]
        people = {key: {self.courses[key[0]]["teacher"], *self.courses[key[0]]["groups"]} for key in self.sessions}
        # Sessions sharing a teacher, a group or the course: the ones a placement can rule out.
        self.related = {key: {o for o in self.sessions if o != key and (o[0] == key[0] or people[o] & people[key])}
                        for key in self.sessions}

    def fits(self, key: Session, slot: str, room: str) -> bool:
        """Whether placing session `key` at (slot, room) keeps every rule, given what is placed."""
        course, k = key
        info = self.courses[course]
        day, period = self.slots[slot]
        if (room, slot) in self.taken or (info["teacher"], slot) in self.taken:
            return False
        for g in info["groups"]:
            if (g, slot) in self.taken or over_limit(self.load.get((g, day), 0) + 1, self.group_cap):
                return False
        if self.teacher_cap is not None and over_limit(self.load.get((info["teacher"], day), 0) + 1, self.teacher_cap):
            return False
        # Sessions of one course in slot order (they are interchangeable), on distinct days if asked.
        for j in range(info["sessions"]):
            other = self.chosen.get((course, j))
            if other is None:
                continue
            rank, other_rank = self.slot_rank[slot], self.slot_rank[other[0]]
            if (j < k and other_rank >= rank) or (j > k and other_rank <= rank):
                return False
            if self.params["spread"] and self.slots[other[0]][0] == day:
                return False
        if self.params["rest_rule"]:
            for position in rest_neighbours(day, period, self.periods):
                neighbour = self.slot_at.get(position)
                if neighbour is not None and (info["teacher"], neighbour) in self.taken:
                    return False
        return True

    def place(self, key: Session, slot: str, room: str, sign: int) -> None:
        """Place (sign 1) or remove (sign -1) session `key` at (slot, room)."""
        info = self.courses[key[0]]
        day = self.slots[slot][0]
        marks = [(room, slot), (info["teacher"], slot), *((g, slot) for g in info["groups"])]
        if sign > 0:
            self.taken.update(marks)
            self.chosen[key] = (slot, room)
        else:
            self.taken.difference_update(marks)
            del self.chosen[key]
        for who in (info["teacher"], *info["groups"]):
            self.load[(who, day)] = self.load.get((who, day), 0) + sign

    def search(self, doms: dict[Session, list[Place]]) -> bool:
        """Place every session of `doms` (session -> places still possible); True when done."""
        # Forward checking, smallest domain first: sessions sharing a teacher, group or course
        # are filtered by every rule; the others only lose the (slot, room) just taken.
        if not doms:
            return True
        key = min(doms, key=lambda k: (len(doms[k]), k))
        near = self.related[key]

        def forward(slot: str, room: str) -> dict[Session, list[Place]] | None:
            rest = {}
            for other, values in doms.items():
                if other == key:
                    continue
                if other in near:
                    values = [v for v in values if self.fits(other, v[0], v[1])]
                elif (slot, room) in values:
                    values = [v for v in values if v != (slot, room)]
                if not values:
                    return None
                rest[other] = values
            return rest

        # fail first: the place that leaves the other sessions the fewest places is tried first (a
        # slot that forces its neighbours settles them at once; a decoy leaves them their options)
        tried = []
        for rank, (slot, room) in enumerate(doms[key]):
            if not self.fits(key, slot, room):
                continue
            self.place(key, slot, room, 1)
            rest = forward(slot, room)
            self.place(key, slot, room, -1)
            if rest is not None:
                tried.append((sum(len(v) for v in rest.values()), rank, slot, room, rest))
        tried.sort(key=lambda t: t[:2])
        for _, _, slot, room, rest in tried:
            self.place(key, slot, room, 1)
            if self.search(rest):
                return True
            self.place(key, slot, room, -1)
        return False
