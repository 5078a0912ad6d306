"""course_timetabling rules that the generator, the gold solver and the checker share.

Sits under `synth.environments.general.course_timetabling` (generator, solver, perturbations) and
`synth.verifiers.general.course_timetabling` (checker); imports only the standard library. Each
rule is stated once here, so planting a timetable, searching for one and grading one agree on it.

A slot's position is (day index, period): days are numbered 0, 1, ... in week order, periods 1, 2,
... within a day, and the grid's largest period number is the last period of every day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

Position = tuple[int, int]
"""(day index, period) of a slot."""


def last_period(positions: Iterable[Position]) -> int:
    """The last period of a day: the largest period number of the grid (0 for an empty grid)."""
    return max((period for _, period in positions), default=0)


def rest_next(day: int, period: int, periods: int) -> Position | None:
    """The rest rule: whoever teaches the last period of a day does not teach the first period of
    the next day. The position a session at (day, period) rules out for its teacher, or None."""
    return (day + 1, 1) if period == periods else None


def rest_neighbours(day: int, period: int, periods: int) -> tuple[Position, ...]:
    """The positions that clash with (day, period) for one teacher under the rest rule, in either
    direction: the next day's first period after a last period, then the previous day's last
    period before a first period. Positions outside the grid are the caller's to drop."""
    clashes: list[Position] = []
    after = rest_next(day, period, periods)
    if after is not None:
        clashes.append(after)
    if period == 1:
        clashes.append((day - 1, periods))  # the position whose rest_next is this one
    return tuple(clashes)


def enrolled(groups: Iterable[str], sizes: Mapping[str, int]) -> int:
    """Students a session must seat: the sizes of all the course's enrolled groups, added."""
    return sum(sizes[g] for g in groups)


def right_kind(room_kind: str, needed: str) -> bool:
    """A course needs a room of exactly its required kind (lecture, lab or seminar)."""
    return room_kind == needed


def seats(capacity: int, students: int) -> bool:
    """A room seats a session when its capacity is at least the enrolled students."""
    return capacity >= students


def room_fits(room: tuple[str, int], needed: str, students: int) -> bool:
    """A room (kind, capacity) suits a session: the right kind and enough seats."""
    return right_kind(room[0], needed) and seats(room[1], students)


def over_limit(count: int, limit: int) -> bool:
    """Daily limits are inclusive: `limit` sessions on one day are allowed, one more is not."""
    return count > limit
