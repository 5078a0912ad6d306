"""course_timetabling's baseline agents: cheap strategies a hard timetable must defeat (the verify gate).

Sits under the category (`GeneralCategory.baselines` reads `BASELINES`). Each agent has the gold
solver's interface (a ToolClient and the task params, tool calls only) and reads the school through
the gold solver's `read_school`; none of them backtracks: a session with no place left is left out
of the submission.

- `greedy`: first fit over every stated rule: sessions in task order, each in the first slot (week
  order) and room (name order) that keeps every rule with the sessions placed before it.
- `first_choice`: the same, keeping only clashes, bookings, room kind and size and teacher
  availability; daily limits, spread and the rest rule are ignored.
- `constrained_first`: first fit over every rule, the session with the fewest places left first.
- `roomiest`: the planted generator's room leak (its first lecture room always seated 80, its first
  lab 40): first fit over every rule with the largest rooms tried first.
- `random_fit`: task order, a place drawn at random (seeded by the task) among those that keep every
  rule with the sessions placed so far: the measure of the task itself rather than of one habit.
"""

from __future__ import annotations

import random
from typing import Any

from synth import ToolClient

from .._base import first_fit_baselines
from ._solve import read_school, submit


def _first_fit(client: ToolClient, params: dict[str, Any], *, every_rule: bool = True, fewest_first: bool = False,
               roomiest: bool = False, rng: random.Random | None = None) -> None:
    if not every_rule:
        params = dict(params, max_group_daily=10**6, spread=False, teacher_daily_max=None, rest_rule=False)
    search, domains = read_school(client, params)
    todo = list(search.sessions)
    while todo:
        if fewest_first:
            key = min(todo, key=lambda k: (sum(1 for slot, room in domains[k] if search.fits(k, slot, room)), k))
        else:
            key = todo[0]
        todo.remove(key)
        places = domains[key]
        if roomiest:
            rank = {slot: i for i, slot in enumerate(search.ordered_slots)}
            places = sorted(places, key=lambda p: (rank[p[0]], -search.rooms[p[1]][1], p[1]))
        if rng is not None:
            fitting = [p for p in places if search.fits(key, p[0], p[1])]
            places = [rng.choice(fitting)] if fitting else []
        for slot, room in places:
            if search.fits(key, slot, room):
                search.place(key, slot, room, 1)
                break
    submit(client, search)


BASELINES = first_fit_baselines(_first_fit, lambda params: f"{params['term']}:{':'.join(params['courses'])}")
