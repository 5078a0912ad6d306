"""meeting_scheduling rules: the calendar arithmetic that the generator, the gold solver and the
checker of `meeting_scheduling` must agree on.

Sits under both sides: `synth.environments.general.meeting_scheduling` (generator, tools, gold
solver, perturbations) and `synth.verifiers.general.meeting_scheduling` (the checker) import it; it
imports only the standard library. Pure functions and constants, no state.

Time is counted in whole minutes since the Unix epoch, UTC ("absolute minutes"); a day number is
days since 1970-01-01. A person has a fixed UTC offset in minutes east of UTC (no daylight saving)
and working hours (start, end) in minutes after their local midnight.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

EPOCH_DAY = dt.date(1970, 1, 1).toordinal()
"""Proleptic ordinal of the Unix epoch's date: day numbers are ordinals minus this."""
GRID = 15
"""Minutes between candidate starts of the planted schedule and of the gold search. The checker
does not require it: any whole minute is a valid start."""


def hhmm(minutes: int) -> str:
    """HH:MM text of minutes after midnight."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def minutes(text: str) -> int:
    """Minutes after midnight of HH:MM text (the inverse of `hhmm`)."""
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def iso(minute: int) -> str:
    """UTC ISO text of an absolute minute since the Unix epoch."""
    day, rest = divmod(minute, 1440)
    return f"{dt.date.fromordinal(day + EPOCH_DAY).isoformat()}T{hhmm(rest)}:00Z"


def date_text(day: int) -> str:
    """YYYY-MM-DD text of a day number (days since the Unix epoch)."""
    return dt.date.fromordinal(day + EPOCH_DAY).isoformat()


def day_of(text: Any) -> int:
    """Days since the Unix epoch of a YYYY-MM-DD date; ValueError if it is not one."""
    try:
        return dt.date.fromisoformat(text).toordinal() - EPOCH_DAY
    except (TypeError, ValueError):
        raise ValueError(f"date must be YYYY-MM-DD, got {text!r}") from None


def parse_start(text: Any) -> int | None:
    """Absolute UTC minute of a timezone-aware ISO datetime on a whole minute; None if it is not one."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
        if value.tzinfo is None or value.utcoffset() is None or value.second or value.microsecond:
            return None
        return int(value.timestamp()) // 60
    except (ValueError, OverflowError, OSError):
        return None


def local_day(offset: int, start: int) -> int:
    """Day number of the local date, at UTC offset `offset`, of absolute minute `start`."""
    return (start + offset) // 1440


def fits_work(offset: int, work: tuple[int, int], start: int, end: int, end_by: int | None = None) -> bool:
    """Whether [start, end) lies inside the working hours `work` of the local date its start falls
    on (and ends by `end_by` local time, if given)."""
    local = start + offset
    day = local // 1440
    close = work[1] if end_by is None else min(work[1], end_by)
    return local - day * 1440 >= work[0] and end + offset - day * 1440 <= close


def overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps any of the half-open spans."""
    return any(s < end and start < e for s, e in spans)
