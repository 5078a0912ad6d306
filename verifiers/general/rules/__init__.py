"""Domain rules shared by a general category's generator, gold solver and checker (pricing, opening
hours, calendar arithmetic, ...): pure functions below both, so grading and generation agree and
imports point down (families -> verifiers -> core)."""


def ascii_int(text: str) -> int:
    """The value of a run of ASCII digits; ValueError for anything else. int() takes any Unicode
    digit (int("１２") is 12, so is int("١٢")) and surrounding spaces, a sign or underscores; dates,
    times and numbers in the formats the rules read are ASCII digits only (RFC 3339, ISO 8601)."""
    if not (text.isascii() and text.isdigit()):
        raise ValueError(f"not ASCII digits: {text[:20]!r}")
    return int(text)
