"""meeting_scheduling's white-box baselines: agents written by reading the generator, each trying to
exploit the structure it leaves behind without any search (issue 18).

Sits under the category (`GeneralCategory.whitebox` reads `WHITEBOX`). Same interface as the
baselines (a ToolClient and the task params, tool calls only, no backtracking): a meeting with no
place left is left out.

Against the planted generator (a planted gap exactly one meeting long, decoy ranges of several
starts, a cycle of meetings; replaced by generate-then-solve):

- `isolated`: take a start whose grid neighbours are not starts too (the earliest such, else the earliest).
- `latest_first`: each meeting at its latest start that keeps every rule with those placed.
- `lookahead`: first fit in task order, keeping a start only if the next meeting of the list (the
  cycle's neighbour) still has a place after it.

Against generate-then-solve (a random instance tightened until one schedule is left; `_build`):

- `mrv_lcv`: the meeting with the fewest places left first (forward checking), at the start that
  leaves the meetings sharing an attendee or a precedence pair the most starts.
- `mrv_lookahead`: most constrained first, keeping a start only if every unplaced meeting still has
  a place after it (earliest such).
- `pinned`: a schedule that is the only one is pinned to the minute: most constrained first, at a
  start whose grid neighbour on either side is not in the meeting's own domain (earliest such).
- `fewest_rooms`: the tightening books a room at the time another schedule used it, and another
  schedule often differs from the answer by its room alone, so the answer's start may be the one
  with the fewest rooms left: most constrained first, at the start with the fewest free rooms.
- `least_contested`: the tightening takes away places other schedules use, so the answer's start may
  be the one the other meetings can use least: most constrained first, at the start the fewest
  unplaced meetings could also take.
"""

from __future__ import annotations

from typing import Any, Callable

from synth import ToolClient
from synth.verifiers.general.rules.meeting_scheduling import GRID

from ._solve import Calendar, Schedule

Choose = Callable[[Calendar, Schedule, str, list[int]], "int | None"]


def _place_each(client: ToolClient, params: dict[str, Any], choose: Choose) -> None:
    cal = Calendar(client, params)
    plan = Schedule(cal)
    for m in params["meetings"]:
        mid = m["id"]
        starts = [s for s in cal.domains[mid] if plan.fits(mid, s) and plan.rooms_for(mid, s)]
        start = choose(cal, plan, mid, starts) if starts else None
        if start is not None:
            plan.place(mid, start, plan.rooms_for(mid, start)[0], 1)
    plan.submit(client)


def _isolated(cal: Calendar, plan: Schedule, mid: str, starts: list[int]) -> int | None:
    domain = set(cal.domains[mid])
    alone = [s for s in starts if s - GRID not in domain and s + GRID not in domain]
    return (alone or starts)[0]


def _latest(cal: Calendar, plan: Schedule, mid: str, starts: list[int]) -> int | None:
    return starts[-1]


def _lookahead(cal: Calendar, plan: Schedule, mid: str, starts: list[int]) -> int | None:
    ids = [m["id"] for m in cal.meetings]
    following = ids[(ids.index(mid) + 1) % len(ids)]
    if following in plan.chosen or following == mid:
        return starts[0]
    for start in starts:
        room = plan.rooms_for(mid, start)[0]
        plan.place(mid, start, room, 1)
        ok = any(plan.fits(following, s) and plan.rooms_for(following, s) for s in cal.domains[following])
        plan.place(mid, start, room, -1)
        if ok:
            return start
    return starts[0]


def isolated(client: ToolClient, params: dict[str, Any]) -> None:
    _place_each(client, params, _isolated)


def latest_first(client: ToolClient, params: dict[str, Any]) -> None:
    _place_each(client, params, _latest)


def lookahead(client: ToolClient, params: dict[str, Any]) -> None:
    _place_each(client, params, _lookahead)


def _most_constrained(client: ToolClient, params: dict[str, Any], order: Callable[..., list[int]]) -> None:
    """Place the meeting with the fewest places left first, at the first start `order` gives."""
    cal = Calendar(client, params)
    plan = Schedule(cal)
    todo = [m["id"] for m in params["meetings"]]
    while todo:
        fitting = {i: [s for s in cal.domains[i] if plan.fits(i, s) and plan.rooms_for(i, s)] for i in todo}
        mid = min(todo, key=lambda i: (len(fitting[i]), todo.index(i)))
        todo.remove(mid)
        starts = order(cal, plan, mid, fitting[mid], todo)
        if starts:
            plan.place(mid, starts[0], plan.rooms_for(mid, starts[0])[0], 1)
    plan.submit(client)


def _left(cal: Calendar, plan: Schedule, others: list[str]) -> int:
    return sum(1 for o in others for s in cal.domains[o] if plan.fits(o, s) and plan.rooms_for(o, s))


def _least_constraining(cal: Calendar, plan: Schedule, mid: str, starts: list[int], todo: list[str]) -> list[int]:
    m = cal.by_id[mid]
    near = [o for o in todo if set(cal.by_id[o]["attendees"]) & set(m["attendees"])
            or o in plan.after[mid] or o in plan.before[mid]]
    scored = []
    for s in starts:
        room = plan.rooms_for(mid, s)[0]
        plan.place(mid, s, room, 1)
        scored.append((-_left(cal, plan, near), s))
        plan.place(mid, s, room, -1)
    return [s for _, s in sorted(scored)]


def _keeps_all(cal: Calendar, plan: Schedule, mid: str, starts: list[int], todo: list[str]) -> list[int]:
    good = []
    for s in starts:
        room = plan.rooms_for(mid, s)[0]
        plan.place(mid, s, room, 1)
        if all(any(plan.fits(o, v) and plan.rooms_for(o, v) for v in cal.domains[o]) for o in todo):
            good.append(s)
        plan.place(mid, s, room, -1)
    return good + [s for s in starts if s not in good]


def _pinned(cal: Calendar, plan: Schedule, mid: str, starts: list[int], todo: list[str]) -> list[int]:
    domain = set(cal.domains[mid])
    edge = [s for s in starts if s - GRID not in domain or s + GRID not in domain]
    return edge + [s for s in starts if s not in edge]


def mrv_lcv(client: ToolClient, params: dict[str, Any]) -> None:
    _most_constrained(client, params, _least_constraining)


def mrv_lookahead(client: ToolClient, params: dict[str, Any]) -> None:
    _most_constrained(client, params, _keeps_all)


def pinned(client: ToolClient, params: dict[str, Any]) -> None:
    _most_constrained(client, params, _pinned)


def _fewest_rooms(cal: Calendar, plan: Schedule, mid: str, starts: list[int], todo: list[str]) -> list[int]:
    return sorted(starts, key=lambda s: (len(plan.rooms_for(mid, s)), s))


def _least_contested(cal: Calendar, plan: Schedule, mid: str, starts: list[int], todo: list[str]) -> list[int]:
    def contest(s: int) -> int:
        return sum(1 for o in todo for v in cal.domains[o] if v == s and plan.fits(o, v) and plan.rooms_for(o, v))

    return sorted(starts, key=lambda s: (contest(s), s))


def fewest_rooms(client: ToolClient, params: dict[str, Any]) -> None:
    _most_constrained(client, params, _fewest_rooms)


def least_contested(client: ToolClient, params: dict[str, Any]) -> None:
    _most_constrained(client, params, _least_contested)


WHITEBOX = {"isolated": isolated, "latest_first": latest_first, "lookahead": lookahead,
            "mrv_lcv": mrv_lcv, "mrv_lookahead": mrv_lookahead, "pinned": pinned,
            "fewest_rooms": fewest_rooms, "least_contested": least_contested}
