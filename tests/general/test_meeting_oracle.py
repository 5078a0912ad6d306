"""meeting_scheduling's generator (`_build`, issue 18: generate, then solve): the oracle's schedule
is the only one the checker accepts (brute force over every grid start and room, through the
checker alone), the gold solver finds it through the tools at generation, the task records the
oracle's effort and not the answer, a draw is pure, and the instance is degree-regular."""

from __future__ import annotations

import itertools
import json

import pytest

from synth import Run, family, gold_trajectory
from synth.environments.general import item_rng
from synth.environments.general.meeting_scheduling import _build
from synth.verifiers.general.meeting_scheduling import check
from synth.verifiers.general.rules.meeting_scheduling import GRID, day_of, iso

CAT = "meeting_scheduling"
ALONE = {"window", "attendees.working_hours", "attendees.calendar", "rooms.known", "rooms.capacity",
         "rooms.equipment", "rooms.free", "rule.long_meeting_end", "rule.director_video", "start.valid"}
"""The checks one meeting passes or fails by itself."""


def every_accepted_schedule(built) -> list[list[dict[str, str]]]:
    """Every schedule on the grid the checker accepts: each meeting's places that pass the checks
    about it alone (graded with the other meetings left out), then every combination of them."""
    params, db = built.params, built.db
    rooms = [r for (r,) in db.execute("SELECT room FROM rooms ORDER BY room")]
    w0, w1 = day_of(params["window_start"]) * 1440, (day_of(params["window_end"]) + 1) * 1440
    places = []
    for m in params["meetings"]:
        mine = []
        for start in range(w0, w1 - m["duration"] + 1, GRID):
            for room in rooms:
                entry = {"meeting": m["id"], "room": room, "start": iso(start)}
                if all(c.passed for c in check(db, params, [entry]) if c.name in ALONE):
                    mine.append(entry)
        places.append(mine)
    return [list(combo) for combo in itertools.product(*places)
            if all(c.passed for c in check(db, params, list(combo)))]


@pytest.mark.parametrize("index", range(3))
def test_the_oracles_schedule_is_the_only_one_the_checker_accepts(index):
    built = _build.build(item_rng(CAT, 7, index, 1), 1)
    assert every_accepted_schedule(built) == [built.answer]


def test_a_draw_is_pure():
    one, two = (_build.build(item_rng(CAT, 7, 0, 3), 3) for _ in range(2))
    assert one.params == two.params and one.answer == two.answer and one.db.serialize() == two.db.serialize()


def test_the_gold_solver_finds_the_oracles_schedule_and_the_task_does_not_hold_it(tmp_path):
    run = Run.create(tmp_path / "r")
    record = family("general").build_tuple(run, CAT, 7, 0, 3)  # raises if the gold misses the oracle's answer
    effort = record.task.metadata["oracle"]
    assert set(effort) == {"solves", "branches", "conflicts", "booleans"} and effort["solves"] >= 2
    gold = gold_trajectory(record, run)
    assert gold.verdict.status == "pass"
    starts = [entry["start"] for entry in json.loads(gold.submission)]
    assert not any(start in json.dumps(record.model_dump(mode="json")) for start in starts)


DEGREE = _build.Level(4, 2, 1, 2, 3, 2, 0.3, 0, 60, 2, 0, False, 200, 1)
"""A small degree-regular level: four people each in exactly two meetings of an hour, at most one a day."""


def test_a_degree_regular_draw_splits_each_persons_meetings_and_has_one_schedule(monkeypatch):
    monkeypatch.setitem(_build.LEVELS, 9, DEGREE)
    built = _build.build(item_rng(CAT, 7, 0, 1), 9)
    meetings = built.params["meetings"]
    seen = [p for m in meetings for p in m["attendees"]]
    assert len(meetings) == 4 and all(len(m["attendees"]) == 2 and m["duration"] == 60 for m in meetings)
    assert sorted(seen.count(p) for p in set(seen)) == [2, 2, 2, 2] and built.params["max_daily_minutes"] == 60
    assert every_accepted_schedule(built) == [built.answer]


@pytest.mark.parametrize("difficulty", [3, 5])
def test_every_person_of_the_pool_attends_degree_meetings(difficulty):
    built = _build.build(item_rng(CAT, 7, 1, difficulty), difficulty)
    level = _build.LEVELS[difficulty]
    seen = [p for m in built.params["meetings"] for p in m["attendees"]]
    assert sorted(set(seen.count(p) for p in seen)) == [level.degree]
    assert len(built.params["meetings"]) == level.pool * level.degree // 2
    assert built.params["oracle"]["solves"] == 2 and "answer" not in built.params
