"""course_timetabling's generate-then-solve generator (issue 18): the oracle's timetable is the only
one the checker accepts (every combination of each course's places, through the checker alone),
every course keeps slots of its own beyond its sessions (uniqueness comes from the rules between
courses), the gold solver must find the oracle's timetable at generation, the task records the
oracle's effort, and a draw is pure."""

from __future__ import annotations

import itertools
import json

import pytest

from synth import GenerationError, Run, category, family, gold_trajectory
from synth.environments.general import item_rng
from synth.environments.general.course_timetabling import _build
from synth.verifiers.general.course_timetabling import check

CAT = "course_timetabling"
ALONE = {"references", "rooms.free", "rooms.kind", "rooms.capacity", "teachers.available"}
"""The checks one session passes or fails by itself."""


def every_accepted_timetable(built) -> list[list[dict[str, str]]]:
    """Every timetable the checker accepts: each course's places that pass the checks about one
    session alone, then every combination (a course's sessions in week order, as the answer lists
    them)."""
    db, params = built.db, built.params
    slots = [s for (s,) in db.execute("SELECT slot FROM slots ORDER BY day_index, period")]
    rooms = [r for (r,) in db.execute("SELECT room FROM rooms ORDER BY room")]
    per_course = []
    for course in params["courses"]:
        (sessions,) = db.execute("SELECT sessions FROM courses WHERE course = ?", (course,)).fetchone()
        places = [{"course": course, "slot": s, "room": r} for s in slots for r in rooms
                  if all(c.passed for c in check(db, params, [{"course": course, "slot": s, "room": r}])
                         if c.name in ALONE)]
        per_course.append([list(combo) for combo in itertools.combinations(places, sessions)])
    return [[e for part in combo for e in part] for combo in itertools.product(*per_course)
            if all(c.passed for c in check(db, params, [e for part in combo for e in part]))]


@pytest.mark.parametrize("index", range(3))
def test_the_oracles_timetable_is_the_only_one_the_checker_accepts(index):
    built = category("general", CAT).build(item_rng(CAT, 7, index, 1), 1)
    assert every_accepted_timetable(built) == [built.answer]


@pytest.mark.parametrize("difficulty", [3, 5])
def test_every_course_keeps_slots_of_its_own_beyond_its_sessions(difficulty):
    level = _build.LEVELS[difficulty]
    built = category("general", CAT).build(item_rng(CAT, 7, 0, difficulty), difficulty)
    db = built.db
    for course in built.params["courses"]:
        teacher, sessions = db.execute("SELECT teacher, sessions FROM courses WHERE course = ?", (course,)).fetchone()
        away = {s for (s,) in db.execute("SELECT slot FROM teacher_unavailable WHERE teacher = ?", (teacher,))}
        own = {s for (s,) in db.execute("SELECT slot FROM slots")} - away
        usable = {e["slot"] for e in _places(built, course)}
        assert usable <= own and len(usable) >= sessions + level.min_slots, course


def _places(built, course):
    db, params = built.db, built.params
    slots = [s for (s,) in db.execute("SELECT slot FROM slots")]
    rooms = [r for (r,) in db.execute("SELECT room FROM rooms")]
    return [e for s in slots for r in rooms for e in [{"course": course, "slot": s, "room": r}]
            if all(c.passed for c in check(db, params, [e]) if c.name in ALONE)]


def test_a_draw_is_pure():
    cat = category("general", CAT)
    one, two = (cat.build(item_rng(CAT, 7, 0, 3), 3) for _ in range(2))
    assert one.params == two.params and one.answer == two.answer and one.db.serialize() == two.db.serialize()


def test_the_task_records_the_oracles_effort_and_the_gold_finds_its_timetable(tmp_path):
    run = Run.create(tmp_path / "r")
    record = family("general").build_tuple(run, CAT, 7, 0, 3)  # raises if the gold misses the oracle's answer
    effort = record.task.metadata["oracle"]
    assert set(effort) == {"solves", "branches", "conflicts", "booleans"} and effort["solves"] >= 2
    gold = gold_trajectory(record, run)
    assert gold.verdict.status == "pass"
    assert len(json.loads(gold.submission)) >= len(record.task.metadata["courses"])


def test_a_gold_solver_that_misses_the_oracles_answer_stops_generation(tmp_path, monkeypatch):
    from synth.environments.general.course_timetabling import _solve

    monkeypatch.setattr(_solve, "solve", lambda client, params: client.submit_result(answer_text="[]"))
    with pytest.raises(GenerationError, match="the gold solver found"):
        family("general").build_tuple(Run.create(tmp_path / "r"), CAT, 7, 0, 1)


def test_levels_grow():
    sizes = [(_build.LEVELS[d].courses, _build.LEVELS[d].days, _build.LEVELS[d].rollouts) for d in (1, 3, 5)]
    assert sizes == sorted(sizes) and len(set(sizes)) == 3
