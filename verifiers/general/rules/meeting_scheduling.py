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
import re
from typing import Any

from . import ascii_int

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
    return ascii_int(hours) * 60 + ascii_int(mins)


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


_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?"
    r"(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))", re.ASCII)
"""An RFC 3339 date-time with at most 6 fractional digits and an offset in whole minutes. Digits are
ASCII only, as RFC 3339 says: `\\d` would match any Unicode digit, and int() reads them all."""


def parse_start(text: Any) -> int | None:
    """Absolute UTC minute of an RFC 3339 date-time on a whole minute (seconds and any fraction
    zero, at most 6 fractional digits, offset Z or +HH:MM/-HH:MM); None if it is not one. Stricter
    than `datetime.fromisoformat`, which also takes offsets with seconds and drops a 7th fractional
    digit, so the instant it reads could differ from the one written."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    match = _RFC3339.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if second != "00" or (fraction and fraction.strip("0")) or int(hour) > 23 or int(minute) > 59:
        return None
    offset = 0
    if not zulu:
        if int(off_h) > 23 or int(off_m) > 59:
            return None
        offset = (int(off_h) * 60 + int(off_m)) * (1 if sign == "+" else -1)
    try:
        date = dt.date(int(year), int(month), int(day))
    except ValueError:
        return None
    return (date.toordinal() - EPOCH_DAY) * 1440 + int(hour) * 60 + int(minute) - offset


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
