"""course_timetabling's white-box baselines: agents written by reading the generator (`_build`), each
trying to exploit the structure it leaves behind without any search (issue 18).

Sits under the category (`GeneralCategory.whitebox` reads `WHITEBOX`). Same interface as the
baselines (a ToolClient and the task params, tool calls only, no backtracking): sessions in task
order, each placed once; a session with no place left is left out.

Against the planted generator (issue 18; it won 75% / 65% at d3 / d5 there):

- `unshared_slots`: course i enrols the groups it shares with courses i-1 and i+1, and each decoy is
  the next course's planted slot (group names carry the cycle's order): prefer a slot the next
  course's teacher is not available in (first fit among them, then any).
- `latest_first`: each session in the latest slot (week order) that keeps every rule.
- `lookahead`: first fit, keeping a place only if every unplaced session of a course sharing a
  group (or the teacher) still has a place after it.

Against the generate-then-solve generator (a random school, CP-SAT keeps it only when its timetable
is the only one, uniqueness made by draws of unavailability and bookings, half of them over a place
of another timetable; from difficulty 3 random most-constrained-first agents must all fail):

- `mrv_lcv`: the session with the fewest places left first (forward checking), at the place that
  leaves the sessions sharing a teacher, group or course the most places (least constraining value).
- `mrv_lookahead`: most constrained first, keeping a place only if every unplaced session still has
  a place after it (first such place in week order).
- `least_hit`: the draws that made the timetable unique were aimed at other timetables' places, so
  the answer's slots may be the ones the draws hit least: most constrained first, the place whose
  slot has the fewest unavailable term teachers and booked rooms first.
- `last_place`: the oracle's first timetable is CP-SAT's, which sets a course's place variables
  false in model order until the last ones are forced true: most constrained first, the latest slot
  and the last room (name order) first.
- `tightest_room`: a room fits a course only if it seats its groups, and the draws that made the
  timetable unique booked rooms: most constrained first, the smallest room that seats the course,
  then the slot the fewest unplaced sessions could take (fewest conflicts), then week order.
- `fewest_wanted`: uniqueness needs each course's spare slots blocked by other courses sitting
  there, so its own slot may be the one the fewest sessions of other courses could take (the leak
  detector's top guess leans on it): most constrained first, that slot first.
"""

from __future__ import annotations

from typing import Any, Callable

from synth import ToolClient

from ._solve import Place, Search, Session, read_school, submit

Order = Callable[[Search, dict[Session, list[Place]], Session, list[Place]], list[Place]]


def _place_each(client: ToolClient, params: dict[str, Any], order: Order) -> None:
    search, domains = read_school(client, params)
    for key in search.sessions:
        for slot, room in order(search, domains, key, [p for p in domains[key] if search.fits(key, p[0], p[1])]):
            search.place(key, slot, room, 1)
            break
    submit(client, search)


def _number(group: str) -> int:
    return int("".join(ch for ch in group if ch in "0123456789") or 0)


def _next_course(search: Search, course: str) -> str | None:
    """The course after `course` in the cycle: the other course enrolling the group numbered after
    this course's lower one (group names carry the cycle's order; the last wraps to the first)."""
    groups = sorted(search.courses[course]["groups"], key=_number)
    if len(groups) != 2:
        return None
    low, high = groups
    shared = high if _number(high) == _number(low) + 1 else low
    return next((c for c, info in search.courses.items() if c != course and shared in info["groups"]), None)


def _unshared(search: Search, domains: dict[Session, list[Place]], key: Session, places: list[Place]) -> list[Place]:
    nxt = _next_course(search, key[0])
    theirs = {slot for slot, _ in domains[(nxt, 0)]} if nxt is not None else set()
    return [p for p in places if p[0] not in theirs] + [p for p in places if p[0] in theirs]


def _latest(search: Search, domains: dict[Session, list[Place]], key: Session, places: list[Place]) -> list[Place]:
    return sorted(places, key=lambda p: -search.slot_rank[p[0]])


def _lookahead(search: Search, domains: dict[Session, list[Place]], key: Session, places: list[Place]) -> list[Place]:
    return _keeping(search, domains, key, places, [o for o in search.related[key] if o not in search.chosen])


def _keeping(search: Search, domains: dict[Session, list[Place]], key: Session, places: list[Place],
             waiting: list[Session]) -> list[Place]:
    """`places`, those after which every session of `waiting` still has a place first."""
    good = []
    for slot, room in places:
        search.place(key, slot, room, 1)
        if all(any(search.fits(o, s, r) for s, r in domains[o]) for o in waiting):
            good.append((slot, room))
        search.place(key, slot, room, -1)
    return good + [p for p in places if p not in good]


def unshared_slots(client: ToolClient, params: dict[str, Any]) -> None:
    _place_each(client, params, _unshared)


def latest_first(client: ToolClient, params: dict[str, Any]) -> None:
    _place_each(client, params, _latest)


def lookahead(client: ToolClient, params: dict[str, Any]) -> None:
    _place_each(client, params, _lookahead)


def _most_constrained(client: ToolClient, params: dict[str, Any], value: Callable[..., list[Place]]) -> None:
    """Place the session with the fewest places left first, at the first place `value` orders."""
    search, domains = read_school(client, params)
    todo = list(search.sessions)
    while todo:
        fitting = {k: [p for p in domains[k] if search.fits(k, p[0], p[1])] for k in todo}
        key = min(todo, key=lambda k: (len(fitting[k]), todo.index(k)))
        todo.remove(key)
        for slot, room in value(search, domains, key, fitting[key], todo):
            search.place(key, slot, room, 1)
            break
    submit(client, search)


def _least_constraining(search: Search, domains: dict[Session, list[Place]], key: Session, places: list[Place],
                        todo: list[Session]) -> list[Place]:
    near = [o for o in todo if o in search.related[key]]

    def left(place: Place) -> int:
        search.place(key, place[0], place[1], 1)
        n = sum(1 for o in near for p in domains[o] if search.fits(o, p[0], p[1]))
        search.place(key, place[0], place[1], -1)
        return n

    return sorted(places, key=lambda p: -left(p))


def mrv_lcv(client: ToolClient, params: dict[str, Any]) -> None:
    _most_constrained(client, params, _least_constraining)


def mrv_lookahead(client: ToolClient, params: dict[str, Any]) -> None:
    _most_constrained(client, params, _keeping)


def least_hit(client: ToolClient, params: dict[str, Any]) -> None:
    hits: dict[str, int] = {}
    teachers = sorted({client.get_course(course=c)["teacher"] for c in params["courses"]})
    for t in teachers:
        free = set(client.get_teacher_availability(teacher=t)["available"])
        for s in client.list_slots():
            hits[s["slot"]] = hits.get(s["slot"], 0) + (s["slot"] not in free)
    for b in client.get_room_schedule()["booked"]:
        hits[b["slot"]] = hits.get(b["slot"], 0) + 1

    def value(search: Search, domains: dict[Session, list[Place]], key: Session, places: list[Place],
              todo: list[Session]) -> list[Place]:
        return sorted(places, key=lambda p: hits.get(p[0], 0))

    _most_constrained(client, params, value)


def last_place(client: ToolClient, params: dict[str, Any]) -> None:
    def value(search: Search, domains: dict[Session, list[Place]], key: Session, places: list[Place],
              todo: list[Session]) -> list[Place]:
        return sorted(places, key=lambda p: (-search.slot_rank[p[0]], [-ord(ch) for ch in p[1]]))

    _most_constrained(client, params, value)


def tightest_room(client: ToolClient, params: dict[str, Any]) -> None:
    def value(search: Search, domains: dict[Session, list[Place]], key: Session, places: list[Place],
              todo: list[Session]) -> list[Place]:
        wanted: dict[str, int] = {}
        for other in todo:
            for slot in {s for s, _ in domains[other]}:
                wanted[slot] = wanted.get(slot, 0) + 1
        return sorted(places, key=lambda p: (search.rooms[p[1]][1], wanted.get(p[0], 0), search.slot_rank[p[0]]))

    _most_constrained(client, params, value)


def fewest_wanted(client: ToolClient, params: dict[str, Any]) -> None:
    def value(search: Search, domains: dict[Session, list[Place]], key: Session, places: list[Place],
              todo: list[Session]) -> list[Place]:
        wanted: dict[str, int] = {}
        for other in search.sessions:
            if other[0] != key[0]:
                for slot in {s for s, _ in domains[other]}:
                    wanted[slot] = wanted.get(slot, 0) + 1
        return sorted(places, key=lambda p: (wanted.get(p[0], 0), search.slot_rank[p[0]]))

    _most_constrained(client, params, value)


WHITEBOX = {"unshared_slots": unshared_slots, "latest_first": latest_first, "lookahead": lookahead,
            "mrv_lcv": mrv_lcv, "mrv_lookahead": mrv_lookahead, "least_hit": least_hit,
            "last_place": last_place, "tightest_room": tightest_room, "fewest_wanted": fewest_wanted}
