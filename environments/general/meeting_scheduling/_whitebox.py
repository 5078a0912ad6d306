"""meeting_scheduling's white-box baselines: agents written by reading the generator (`_build`), each
trying to exploit the structure it leaves behind without any search (issue 18).

Sits under the category (`GeneralCategory.whitebox` reads `WHITEBOX`). Same interface as the
baselines (a ToolClient and the task params, tool calls only, no backtracking): meetings in task
order, each placed once; a meeting with no place left is left out.

- `isolated`: the planted gap is exactly one meeting long, a decoy range holds several grid starts:
  take a start whose grid neighbours are not starts too (the earliest such, else the earliest).
- `latest_first`: each meeting at its latest start that keeps every rule with those placed.
- `lookahead`: first fit in task order, keeping a start only if the next meeting of the list (the
  cycle's neighbour) still has a place after it.
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


WHITEBOX = {"isolated": isolated, "latest_first": latest_first, "lookahead": lookahead}
