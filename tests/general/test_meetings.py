"""meeting_scheduling category: levels, the tools on a hand-built calendar, the gold solver through
the pipeline, and the wiring to its checker (grading itself is tested in
tests/verifiers/general/test_meeting_scheduling.py)."""

import json

import hand_cases
import pytest

from synth import Run, ToolRuntime, category, family, grade
from synth import gold_trajectory
from synth.verifiers.general import checker, load_db

CAT = "meeting_scheduling"


def test_harder_levels_state_more_rules(tmp_path):
    run = Run.create(tmp_path / "r")
    easy = family("general").build_tuple(run, CAT, 1, 0, 1).task.metadata
    hard = family("general").build_tuple(run, CAT, 1, 0, 5).task.metadata
    assert len(hard["meetings"]) > len(easy["meetings"])
    assert hard["precedence"] and not easy["precedence"]
    # every level splits each person's meetings over the days (the daily limit); the hard one lets
    # more meetings into a day and adds the director rule
    assert easy["max_daily_minutes"] < hard["max_daily_minutes"]
    assert hard["director_video"] and not easy["director_video"]
    assert hard["oracle"]["branches"] > easy["oracle"]["branches"]


def test_category_grades_through_its_checker():
    cat = category("general", CAT)
    assert not {"check", "answer_schema", "check_names"} & set(vars(type(cat)))
    assert cat.checker is checker(CAT)
    assert cat.check_names == checker(CAT).checks and cat.answer_schema == checker(CAT).answer_schema


@pytest.fixture()
def hand():
    return hand_cases.calendar()


def test_tools_return_local_calendars_and_structured_errors(hand):
    runtime = ToolRuntime.of(category("general", CAT).tools, hand)
    calendar = json.loads(runtime.call("get_calendar", {"person": "Ana Costa"}).content)
    assert calendar["timezone"] == "UTC+05:30"
    chen = json.loads(runtime.call("get_calendar", {"person": "Chen Rossi", "date": "2026-01-06"}).content)
    assert chen["busy"] == [{"date": "2026-01-06", "start": "13:00", "end": "14:00", "title": "1:1"}]
    bookings = json.loads(runtime.call("get_room_bookings", {"room": "Birch"}).content)["bookings"]
    assert bookings[0]["start"] == "2026-01-06T15:00:00Z"
    for name, args, kind in [
        ("get_calendar", {"person": "Nobody"}, "not_found"),
        ("get_calendar", {"person": "Ana Costa", "date": "Monday"}, "invalid_arguments"),
        ("get_room", {"room": 7}, "invalid_arguments"),
        ("get_timezone", {}, "invalid_arguments"),
    ]:
        result = runtime.call(name, args)
        assert result.error and result.error_kind == kind, (name, result.content)


def test_gold_through_pipeline_grades_offline(tmp_path):
    run = Run.create(tmp_path / "r")
    record = family("general").build_tuple(run, CAT, 2, 0, 3)
    gold = gold_trajectory(record, run)
    assert grade(record, gold.submission, run).status == "pass"
    db = load_db(run.read_asset(record.environment.state["db"]))
    assert db.execute("SELECT count(*) FROM busy").fetchone()[0] < 400

