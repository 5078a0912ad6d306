"""trip_planning's white-box baselines: agents written by reading the generator (`_build`), each
trying to exploit the structure it leaves behind without any search (issue 18).

Sits under the category (`GeneralCategory.whitebox` reads `WHITEBOX`). Same interface as the
baselines (a ToolClient and the task params, tool calls only, no backtracking): one city a day,
committed; when stuck it submits the days it has.

- `lookahead_first`: decoy cities lead only into a dead pool, and a dead city shows itself through
  its own restaurants, attractions or hotels: each day, the first reachable new city (name order)
  with a valid day within the budget left and some onward city with a valid next day.
- `lookahead_cheapest`: the same filter, the cheapest of the cities it keeps.
- `most_links`: the number of links: a decoy links only to the small dead pool, the planted city
  to every candidate of the next day; each day the valid city with the most onward connections.
- `second_cheapest`: against the generate-then-solve generator, which redraws an instance whose
  cheapest plan is the cheapest-first walk: the second cheapest city on day 1 (with a valid next
  day), then the cheapest-first walk with look-ahead.
- `two_swerves`: against the same generator once it redraws every instance a walk with one swerve
  solves (limited discrepancy 1): the second cheapest city on days 1 and 2, then the walk.

`SEARCHES` holds one more attacker, kept out of `WHITEBOX` (and so out of the verify gate) because it
searches: `any_two_swerves`, the class two_swerves belongs to (limited discrepancy search of
discrepancy 2): every walk with look-ahead that takes the 2nd or 3rd cheapest city on at most two
days, tried one after another (at most 1 + 2d + 2d(d-1) walks, each committed day by day), the
cheapest complete plan within the budget kept. It solves 60-79% of trips from difficulty 3
(benchmarks/ladder_general.py, n = 200): the random worlds' cheapest plans are few swerves from
cheapest-first.
"""

from __future__ import annotations

from typing import Any, Callable

from synth import ToolClient

from ._baselines import _day_by_day, _new_cities
from ._solve import Day, TripView

Pick = Callable[[TripView, list[str], int, int], "tuple[str, Day] | None"]


def _options(view: TripView, path: list[str], day: int, spent: int, budget: int | None) -> list[tuple[str, Day]]:
    out = []
    for city in _new_cities(view, path):
        option = view.cheapest_day(city, day)
        if option is not None and (budget is None or spent + option[0] <= budget):
            out.append((city, option))
    return out


def _onward(view: TripView, path: list[str], city: str, day: int) -> bool:
    """Whether some new city reachable from `city` has a valid next day (true on the last day)."""
    if day >= view.params["days"]:
        return True
    return any(n != view.start and n not in path and n != city and view.cheapest_day(n, day + 1) is not None
               for n in view.reachable(city))


def _lookahead(cheapest: bool) -> Pick:
    def pick(view: TripView, path: list[str], day: int, spent: int) -> tuple[str, Day] | None:
        kept = [o for o in _options(view, path, day, spent, view.params["budget"]) if _onward(view, path, o[0], day)]
        if not kept:
            return None
        return min(kept, key=lambda o: (o[1][0], o[0])) if cheapest else kept[0]

    return pick


def _most_links(view: TripView, path: list[str], day: int, spent: int) -> tuple[str, Day] | None:
    options = _options(view, path, day, spent, view.params["budget"])
    if not options:
        return None
    return max(options, key=lambda o: (len(view.reachable(o[0])), -o[1][0]))


def _swerving(days: tuple[int, ...]) -> Pick:
    def pick(view: TripView, path: list[str], day: int, spent: int) -> tuple[str, Day] | None:
        kept = sorted((o for o in _options(view, path, day, spent, view.params["budget"])
                       if _onward(view, path, o[0], day)), key=lambda o: (o[1][0], o[0]))
        if not kept:
            return None
        return kept[1] if day in days and len(kept) > 1 else kept[0]

    return pick


_second_cheapest = _swerving((1,))


def lookahead_first(client: ToolClient, params: dict[str, Any]) -> None:
    _day_by_day(client, params, _lookahead(cheapest=False))


def lookahead_cheapest(client: ToolClient, params: dict[str, Any]) -> None:
    _day_by_day(client, params, _lookahead(cheapest=True))


def most_links(client: ToolClient, params: dict[str, Any]) -> None:
    _day_by_day(client, params, _most_links)


def second_cheapest(client: ToolClient, params: dict[str, Any]) -> None:
    _day_by_day(client, params, _second_cheapest)


def two_swerves(client: ToolClient, params: dict[str, Any]) -> None:
    _day_by_day(client, params, _swerving((1, 2)))


def _walk(view: TripView, swerves: dict[int, int]) -> tuple[int, list[tuple[str, dict[str, str]]]] | None:
    """One committed walk with look-ahead: each day the cheapest kept city, or on a day of `swerves`
    the city of that rank; (cost, plan) or None when it is stuck."""
    path, plan, spent = [view.start], [], 0
    for day in range(1, view.params["days"] + 1):
        kept = sorted((o for o in _options(view, path, day, spent, view.params["budget"])
                       if _onward(view, path, o[0], day)), key=lambda o: (o[1][0], o[0]))
        rank = swerves.get(day, 0)
        if len(kept) <= rank:
            return None
        city, (cost, venues) = kept[rank]
        path.append(city)
        plan.append((city, venues))
        spent += cost
    return spent, plan


def any_two_swerves(client: ToolClient, params: dict[str, Any]) -> None:
    view = TripView(client, params)
    days = range(1, params["days"] + 1)
    tries: list[dict[int, int]] = [{}] + [{d: k} for d in days for k in (1, 2)]
    tries += [{a: i, b: j} for a in days for b in days if a < b for i in (1, 2) for j in (1, 2)]
    found = [walk for swerves in tries if (walk := _walk(view, swerves)) is not None]
    view.submit(min(found, key=lambda w: w[0])[1] if found else [])


WHITEBOX = {"lookahead_first": lookahead_first, "lookahead_cheapest": lookahead_cheapest, "most_links": most_links,
            "second_cheapest": second_cheapest, "two_swerves": two_swerves}

SEARCHES = {"any_two_swerves": any_two_swerves}
"""Attackers that search (a bounded set of walks): measured by the ladder, not run by the gate."""
