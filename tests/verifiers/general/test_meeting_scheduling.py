"""meeting_scheduling checker: a hand-built calendar with known answers for every rule, the
adversary's attempts (one test each), agreement of the bisection index with a plain scan, and the
layering (the checker and its rules import only the core)."""

import ast
import datetime as dt
import importlib
import importlib.util
import inspect
import json
import sys

import hand_cases
from hand_cases import MEETINGS_GOOD as GOOD
from hand_cases import MEETINGS_PARAMS as HAND_PARAMS
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from synth.verifiers.general import checker

CAT = "meeting_scheduling"

@pytest.fixture()
def hand():
    return hand_cases.calendar()


def failing(db, answer) -> set[str]:
    checks = checker(CAT).grade(db, HAND_PARAMS, answer if isinstance(answer, str) else json.dumps(answer))
    return {c.name for c in checks if not c.passed}


def moved(which, **changes):
    return [dict(e, **changes) if e["meeting"] == which else dict(e) for e in GOOD]


def test_hand_case_valid_schedule_passes_every_rule(hand):
    checks = checker(CAT).grade(hand, HAND_PARAMS, json.dumps(GOOD))
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
    assert {c.name for c in checks} == set(checker(CAT).checks)


def test_hand_case_each_rule_is_enforced(hand):
    assert failing(hand, moved("M1", start="2026-01-05T12:00:00Z")) >= {"attendees.working_hours"}  # Ana 17:30 local
    assert failing(hand, moved("M2", start="2026-01-06T18:00:00Z")) >= {"attendees.calendar"}
    assert failing(hand, moved("M2", start="2026-01-05T14:00:00Z")) == {"daily_limit"}  # Bruno 150 min
    assert failing(hand, moved("M2", start="2026-01-06T15:45:00Z", room="Cedar")) == {"rule.long_meeting_end"}
    assert failing(hand, moved("M2", room="Aspen")) == {"rule.director_video"}
    assert failing(hand, moved("M3", start="2026-01-05T10:00:00Z")) == {"rule.buffer"}
    assert failing(hand, moved("M2", start="2026-01-06T15:00:00Z")) == {"rooms.free"}  # Birch booked 15-16
    assert failing(hand, moved("M1", room="Birch")) == set()  # Birch is free then: another room is fine
    swapped = moved("M1", start="2026-01-05T09:45:00Z")
    swapped = [dict(e, start="2026-01-05T09:00:00Z") if e["meeting"] == "M3" else e for e in swapped]
    assert failing(hand, swapped) == {"precedence"}
    assert failing(hand, moved("M3", room="Birch")) == {"rooms.equipment"}


def test_hand_case_capacity_counts_attendees(hand):
    params = json.loads(json.dumps(HAND_PARAMS))
    params["meetings"][0]["attendees"] = ["Ana Costa", "Bruno Kim", "Chen Rossi"]
    checks = checker(CAT).grade(hand, params, json.dumps(GOOD))
    assert "rooms.capacity" in {c.name for c in checks if not c.passed}


def test_exploit_offset_notation_is_converted_not_trusted(hand):
    # The same instant written with +05:30 is accepted; a local time labelled UTC is not.
    assert failing(hand, moved("M1", start="2026-01-05T14:30:00+05:30")) == set()
    assert "attendees.working_hours" in failing(hand, moved("M1", start="2026-01-05T14:30:00Z"))


def test_exploit_naive_or_fractional_start(hand):
    assert failing(hand, moved("M1", start="2026-01-05T09:00:00")) == {"start.valid", "precedence"}
    assert "start.valid" in failing(hand, moved("M1", start="2026-01-05T09:00:30Z"))
    assert "start.valid" in failing(hand, moved("M1", start="next Monday at 9"))
    assert "window" in failing(hand, moved("M1", start="9999-12-31T23:59:00-23:59"))


def test_exploit_offset_with_seconds_moves_the_start_off_the_graded_minute(hand):
    """datetime.fromisoformat reads -00:00:59 as an offset, so the real start is 59 s after the
    minute the checks would see; RFC 3339 offsets are whole minutes."""
    sneaky = "2026-01-05T09:00:00-00:00:59"
    assert dt.datetime.fromisoformat(sneaky).second == 0
    assert "start.valid" in failing(hand, moved("M1", start=sneaky))
    assert "start.valid" in failing(hand, moved("M1", start="2026-01-05T09:00:00+00:00:00"))


def test_exploit_a_seventh_fractional_digit_is_not_silently_dropped(hand):
    assert dt.datetime.fromisoformat("2026-01-05T09:00:00.0000001+00:00").microsecond == 0
    assert "start.valid" in failing(hand, moved("M1", start="2026-01-05T09:00:00.0000001Z"))
    assert failing(hand, moved("M1", start="2026-01-05T09:00:00.000000Z")) == set()


def test_false_negative_a_start_with_seconds_fails_a_rule_the_prompt_states(hand):
    """A start off the whole minute is refused, and the start.valid sentence says so."""
    assert "start.valid" in failing(hand, moved("M1", start="2026-01-05T09:00:30Z"))
    sentence = dict(checker(CAT).statements(HAND_PARAMS))["start.valid"]
    assert "whole minute" in sentence and "RFC 3339" in sentence


@pytest.mark.parametrize("start", ["2026-01-05 09:00:00Z", "2026-01-05T9:00:00Z", "2026-01-05T09:00Z",
                                   "2026-01-05T09:00:00+0000", "2026-01-05T09:00:00+24:00", "2026-01-05T24:00:00Z",
                                   "2026-02-30T09:00:00Z", "+2026-01-05T09:00:00Z", "2026-01-05T09:00:00Z\n"])
def test_exploit_near_iso_forms_that_are_not_rfc_3339(hand, start):
    assert "start.valid" in failing(hand, moved("M1", start=start))


def test_rfc_3339_forms_that_name_the_same_instant_pass(hand):
    for start in ("2026-01-05T09:00:00Z", "2026-01-05t09:00:00z", "2026-01-05T09:00:00+00:00",
                  "2026-01-05T09:00:00-00:00", "2026-01-05T14:30:00+05:30", "2026-01-05T04:00:00.000-05:00"):
        assert failing(hand, moved("M1", start=start)) == set(), start


def test_exploit_duplicate_entry_for_one_meeting(hand):
    assert "coverage" in failing(hand, GOOD + [dict(GOOD[0], start="2026-01-06T09:00:00Z")])


def test_exploit_unknown_meeting_or_room_ids(hand):
    assert "coverage" in failing(hand, GOOD + [{"meeting": "M9", "room": "Aspen", "start": GOOD[0]["start"]}])
    assert "coverage" in failing(hand, moved("M1", meeting="m1"))
    assert "rooms.known" in failing(hand, moved("M1", room="aspen"))
    assert "rooms.known" in failing(hand, moved("M1", room="Aspen' OR '1'='1"))


def test_exploit_claimed_end_or_duration_fields(hand):
    assert failing(hand, moved("M2", end="2026-01-06T14:01:00Z")) == {"format"}
    assert failing(hand, moved("M2", duration=1)) == {"format"}


def test_exploit_wrong_types_and_empty_answers(hand):
    assert failing(hand, moved("M1", start=1767603600)) == {"format"}
    assert failing(hand, {"M1": GOOD[0]}) == {"format"}
    assert failing(hand, "") == {"format"}
    assert failing(hand, "[]") >= {"coverage", "precedence"}


def test_exploit_meeting_running_past_the_window(hand):
    assert "window" in failing(hand, moved("M2", start="2026-01-06T23:30:00Z"))
    assert "window" in failing(hand, moved("M1", start="2026-01-04T09:00:00Z"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(minute=st.integers(min_value=0, max_value=2 * 1440 - 1))
def test_calendar_check_agrees_with_brute_force_overlap(hand, minute):
    # M2 (Bruno, Chen; 60 min) at any minute of the window: the verifier's bisection must say
    # "busy" exactly when a plain scan of the database's busy blocks does.
    start = 1767571200 // 60 + minute
    blocks = [(s // 60, e // 60) for s, e in hand.execute(
        "SELECT start_ts, end_ts FROM busy WHERE person IN ('Bruno Kim', 'Chen Rossi')")]
    expected = any(s < start + 60 and start < e for s, e in blocks)
    when = dt.datetime.fromtimestamp(start * 60, dt.timezone.utc)
    answer = moved("M2", start=when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert ("attendees.calendar" in failing(hand, answer)) == expected


def test_exploit_a_huge_answer_fails_its_size_limit_before_any_other_check(hand):
    flood = GOOD + [dict(GOOD[0], meeting=f"M{i}") for i in range(4, 20000)] + [dict(GOOD[1])] * 20000
    assert failing(hand, flood) == {"format.size"}


def test_exploit_a_flood_within_the_size_limit_is_graded_on_its_checks(hand):
    flood = GOOD + [dict(GOOD[0], meeting=f"M{i}") for i in range(4, 150)] + [dict(GOOD[1])] * 100
    assert len(json.dumps(flood)) <= 20_000
    assert "coverage" in failing(hand, flood)


@pytest.mark.parametrize("module", ["synth.verifiers.general.meeting_scheduling",
                                    "synth.verifiers.general.rules.meeting_scheduling"])
def test_checker_and_rules_import_only_the_core(module):
    """Imports point down: a generator edit cannot reach grading through an import."""
    loaded = importlib.import_module(module)
    tree = ast.parse(inspect.getsource(loaded))
    imported = {alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    imported |= {importlib.util.resolve_name("." * n.level + (n.module or ""), loaded.__package__) if n.level
                 else n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert all(m == "synth" or m.startswith("synth.verifiers") or m.split(".")[0] in sys.stdlib_module_names
               for m in imported), imported


NON_ASCII_DIGITS = {"fullwidth": "０１２３４５６７８９", "arabic_indic": "٠١٢٣٤٥٦٧٨٩", "devanagari": "०१२३४५६७८९"}


def _respell(text: str, digits: str, where: slice) -> str:
    """`text` with the ASCII digits inside `where` written in another script's digits."""
    head, part, tail = text[:where.start], text[where], text[where.stop:]
    return head + "".join(digits[int(ch)] if ch in "0123456789" else ch for ch in part) + tail


@pytest.mark.parametrize("script", sorted(NON_ASCII_DIGITS))
@pytest.mark.parametrize("field,where", [("year", slice(0, 4)), ("month", slice(5, 7)), ("day", slice(8, 10)),
                                         ("hour", slice(11, 13)), ("minute", slice(14, 16)),
                                         ("second", slice(17, 19)), ("offset", slice(19, 25))])
def test_exploit_a_start_written_with_non_ascii_digits_is_refused(hand, script, field, where):
    """RFC 3339 (and datetime.fromisoformat) allow ASCII digits only; a regex `\\d` and int() take
    any Unicode digit (int("１２") is 12), so a fullwidth hour or an Arabic-Indic year was graded as
    the instant it spells."""
    good = "2026-01-05T09:00:00+00:00"
    start = _respell(good, NON_ASCII_DIGITS[script], where)
    assert start != good
    assert "start.valid" in failing(hand, moved("M1", start=start))
    assert failing(hand, moved("M1", start=good)) == set()


def test_exploit_a_fraction_written_with_non_ascii_digits_is_refused(hand):
    assert "start.valid" in failing(hand, moved("M1", start="2026-01-05T09:00:00.٠٠Z"))
