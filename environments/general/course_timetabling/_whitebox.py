"""course_timetabling's white-box baselines: agents written by reading the generator (`_build`), each
trying to exploit the structure it leaves behind without any search (issue 18).

Sits under the category (`GeneralCategory.whitebox` reads `WHITEBOX`). Same interface as the
baselines (a ToolClient and the task params, tool calls only, no backtracking): sessions in task
order, each placed once; a session with no place left is left out.

- `unshared_slots`: course i enrols the groups it shares with courses i-1 and i+1, and each decoy is
  the next course's planted slot (group names carry the cycle's order): prefer a slot the next
  course's teacher is not available in (first fit among them, then any).
- `latest_first`: each session in the latest slot (week order) that keeps every rule.
- `lookahead`: first fit, keeping a place only if every unplaced session of a course sharing a
  group (or the teacher) still has a place after it.
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
    waiting = [o for o in search.related[key] if o not in search.chosen]
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


WHITEBOX = {"unshared_slots": unshared_slots, "latest_first": latest_first, "lookahead": lookahead}
