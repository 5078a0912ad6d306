"""Answer matching for search QA: normalized names with aliases, numbers with a relative
tolerance, dates with a tolerance in days. Pure functions, no corpus, no model.

Sits under the `search.answer` verifier (and is shared with the search family, which uses the same
normalization to keep answers and their aliases out of questions). Guarantees: a submission
matches only as a whole (a hedge such as "Kenya or Tanzania", a list, or a sentence around a name
never matches); a number or date must be the whole answer, never a number found somewhere in it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")
_LEADING = re.compile(r"^(?:the|a|an)\s+")


def normalize(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name: 'The Côte d'Ivoire.' -> 'cote d ivoire'."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ").replace("_", " ")
    text = _SPACE.sub(" ", _PUNCT.sub(" ", text)).strip()
    return _LEADING.sub("", text)


def strip_quotes(text: str) -> str:
    """The answer without surrounding whitespace, quotes and one trailing full stop."""
    text = text.strip()
    for _ in range(2):
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
            text = text[1:-1].strip()
    return text[:-1].rstrip() if text.endswith(".") and not text.endswith("..") else text


def name_matches(submission: str, aliases: list[str]) -> str | None:
    """The alias a submission names (as a whole, normalized), or None."""
    got = normalize(strip_quotes(submission))
    if not got:
        return None
    for alias in aliases:
        if normalize(alias) == got:
            return alias
    return None


_SCALE = {"thousand": 1e3, "million": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
_UNITS = (
    "sq km", "sq. km", "square kilometers", "square kilometres", "km2", "km²", "km", "kilometers", "kilometres",
    "m", "meters", "metres", "people", "persons", "inhabitants", "residents", "%", "percent", "years", "year",
)
_NUMBER = re.compile(
    r"^(?:about|approximately|approx\.?|around|roughly|~)?\s*\$?\s*"
    r"(?P<num>[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*"
    r"(?P<scale>thousand|million|billion|trillion|mn|bn)?\s*(?P<unit>.*?)\s*(?:\(.*est\.?\))?$",
    re.IGNORECASE,
)


def parse_number(text: str) -> float | None:
    """A number written as the whole answer ('55,751,717', '55.8 million', '580,367 sq km'), or None.
    Anything but one number with an optional scale word and a known unit is None."""
    match = _NUMBER.match(strip_quotes(text).replace("\u00a0", " ").replace("\u2009", " "))
    if match is None:
        return None
    unit = match.group("unit").strip().lower()
    if unit and unit not in _UNITS:
        return None
    value = float(match.group("num").replace(",", ""))
    scale = match.group("scale")
    return value * _SCALE[scale.lower()] if scale else value


def number_matches(submission: str, expected: float, tolerance: float) -> tuple[bool, float | None]:
    """(whether the submitted number is within `tolerance` (relative) of `expected`, the number read)."""
    got = parse_number(submission)
    if got is None:
        return False, None
    if expected == 0:
        return abs(got) <= tolerance, got
    return abs(got - expected) <= tolerance * abs(expected), got


_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
     "December"], start=1)}
_MONTHS.update({name[:3]: i for name, i in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)\.?,?\s+(\d{4})$")
_MDY = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_YEAR = re.compile(r"^(\d{4})$")


def parse_date(text: str) -> tuple[str, dt.date | int] | None:
    """('day', date) or ('year', year) for an answer that is one date as a whole, else None."""
    text = _SPACE.sub(" ", strip_quotes(text).lower().replace("\u00a0", " ")).strip()
    try:
        if m := _ISO.match(text):
            return "day", dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.match(text):
            return "day", dt.date(int(m[3]), _MONTHS[m[2]], int(m[1]))
        if m := _MDY.match(text):
            return "day", dt.date(int(m[3]), _MONTHS[m[1]], int(m[2]))
    except (KeyError, ValueError):
        return None
    if m := _YEAR.match(text):
        return "year", int(m[1])
    return None


def date_matches(submission: str, expected: str, tolerance_days: int) -> tuple[bool, str | None]:
    """(whether the submitted date is the expected one, the date read). `expected` is ISO
    (YYYY-MM-DD, a day within `tolerance_days`) or YYYY (year precision: the year, or any day in it)."""
    got = parse_date(submission)
    if got is None:
        return False, None
    kind, value = got
    read = value.isoformat() if isinstance(value, dt.date) else str(value)
    if len(expected) == 4:
        year = value.year if isinstance(value, dt.date) else value
        return year == int(expected), read
    if kind != "day":
        return False, read
    assert isinstance(value, dt.date)
    return abs((value - dt.date.fromisoformat(expected)).days) <= tolerance_days, read
