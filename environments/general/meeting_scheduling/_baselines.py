"""meeting_scheduling's baseline agents: cheap strategies a hard schedule must defeat (the verify gate).

Sits under the category (`GeneralCategory.baselines` reads `BASELINES`). Each agent has the gold
solver's interface (a ToolClient and the task params, tool calls only) and reads the world through
the gold solver's `Calendar` and `Schedule`; none of them backtracks: a meeting with no place left
is left out of the submission.

- `greedy`: first fit over every stated rule: meetings in task order, each at its earliest start
  on the 15-minute grid and the first suitable room (name order).
- `first_choice`: the same, but keeping only attendees' calendars and working hours, room fit and
  clashes between the new meetings; precedence, daily limit, buffer and the conditional rules are
  ignored.
- `constrained_first`: first fit over every rule, the meeting with the fewest starts left first.
- `roomiest`: the generator's room leak (the last room by name is always large and has video):
  first fit over every rule with the largest rooms tried first.
- `random_fit`: task order, a start drawn at random (seeded by the task) among those that keep every
  rule with the meetings placed so far: what committing without look-ahead is worth when no order
  is favoured, the measure of the task itself rather than of one habit.
"""

from __future__ import annotations

import random
from typing import Any

from synth import ToolClient

from .._base import first_fit_baselines
from ._solve import Calendar, Schedule


def _first_fit(client: ToolClient, params: dict[str, Any], *, every_rule: bool = True, fewest_first: bool = False,
               roomiest: bool = False, rng: random.Random | None = None) -> None:
    cal = Calendar(client, params, conditional=every_rule)
    if not every_rule:
        cal.params = dict(params, precedence=[])
        cal.buffer, cal.limit = 0, None
    plan = Schedule(cal)
    todo = [m["id"] for m in params["meetings"]]
    while todo:
        if fewest_first:
            mid = min(todo, key=lambda i: (sum(1 for s in cal.domains[i] if plan.fits(i, s) and plan.rooms_for(i, s)), i))
        else:
            mid = todo[0]
        todo.remove(mid)
        starts = cal.domains[mid]
        if rng is not None:
            starts = [s for s in starts if plan.fits(mid, s) and plan.rooms_for(mid, s)]
            starts = [rng.choice(starts)] if starts else []
        for start in starts:
            rooms = plan.rooms_for(mid, start) if plan.fits(mid, start) else []
            if rooms:
                if roomiest:
                    rooms = sorted(rooms, key=lambda r: (-cal.rooms[r][0], r))
                plan.place(mid, start, rooms[0], 1)
                break
    plan.submit(client)


BASELINES = first_fit_baselines(_first_fit, lambda params: f"{params['window_start']}:{params['meetings'][0]['title']}")
