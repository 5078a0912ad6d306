"""The course_timetabling checker: a hand-built timetable that breaks each rule alone, the
adversary's attempts (one test each), and its layering (grading loads no generator)."""

import ast
import inspect
import json
import subprocess
import sys

import hand_cases
from hand_cases import TIMETABLE_GOOD as GOOD
from hand_cases import TIMETABLE_PARAMS as PARAMS
import pytest

from synth.verifiers.general import checker

CAT = "course_timetabling"

@pytest.fixture()
def school():
    return hand_cases.school()


def failing(db, answer, params=PARAMS) -> set[str]:
    text = answer if isinstance(answer, str) else json.dumps(answer)
    return {c.name for c in checker(CAT).grade(db, params, text) if not c.passed}


def changed(*edits):
    """GOOD with entry i replaced field by field: changed((0, {"slot": "Mon-2"}), ...)."""
    out = [dict(e) for e in GOOD]
    for i, fields in edits:
        out[i].update(fields)
    return out


def test_hand_case_valid_timetable_passes_every_rule(school):
    checks = checker(CAT).grade(school, PARAMS, json.dumps(GOOD))
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
    assert {c.name for c in checks} == set(checker(CAT).checks)


def test_hand_case_each_rule_broken_alone(school):
    assert failing(school, changed((1, {"slot": "Tue-1"}))) == {"rooms.free"}
    assert failing(school, changed((3, {"room": "L110"}))) == {"rooms.kind"}
    assert failing(school, changed((0, {"room": "L110"}))) == {"rooms.capacity"}
    assert failing(school, changed((0, {"slot": "Mon-2"}))) == {"teachers.available"}
    assert failing(school, changed((2, {"slot": "Mon-1"}))) == {"groups.no_double_booking"}
    assert failing(school, GOOD, dict(PARAMS, max_group_daily=1)) == {"groups.daily_limit"}
    assert failing(school, changed((1, {"slot": "Mon-4"}), (2, {"slot": "Tue-3"}))) == {"rule.spread"}
    assert failing(school, GOOD, dict(PARAMS, teacher_daily_max=1)) == {"rule.teacher_daily_limit"}
    rest = changed((0, {"slot": "Mon-4"}), (3, {"slot": "Tue-1"}))
    assert failing(school, rest) == {"rule.rest"}
    assert failing(school, changed((3, {"slot": "Tue-2", "room": "L100"}))) >= {
        "rooms.no_double_booking", "teachers.no_double_booking", "groups.no_double_booking", "rooms.kind"}


def test_exploit_listing_one_session_twice_to_fill_the_count(school):
    twice = [GOOD[0], dict(GOOD[0]), GOOD[2], GOOD[3]]
    assert failing(school, twice) >= {"rooms.no_double_booking", "teachers.no_double_booking", "groups.no_double_booking"}


def test_exploit_missing_extra_or_other_term_courses(school):
    assert "coverage" in failing(school, GOOD[1:])
    assert "coverage" in failing(school, GOOD + [{"course": "CS101", "slot": "Tue-4", "room": "L100"}])
    assert "coverage" in failing(school, GOOD + [{"course": "HIS300", "slot": "Tue-4", "room": "L100"}])
    assert "coverage" in failing(school, changed((3, {"course": "mat200"})))
    assert "coverage" in failing(school, "[]")


def test_exploit_invented_or_near_miss_references(school):
    assert failing(school, changed((3, {"slot": "Wed-1"}))) == {"references"}
    assert failing(school, changed((3, {"slot": "Tue-3 "}))) == {"references"}
    assert failing(school, changed((3, {"room": "s130"}))) == {"references"}


def test_exploit_wrong_shapes(school):
    assert failing(school, "") == {"format"}
    assert failing(school, changed((0, {"teacher": "Dr. Brandt"}))) == {"format"}
    assert failing(school, changed((0, {"slot": 1}))) == {"format"}
    assert failing(school, {"timetable": GOOD}) == {"format"}


def test_exploit_a_huge_answer_fails_its_size_limit_before_any_other_check(school):
    flood = GOOD + [dict(GOOD[0])] * 20000 + [dict(GOOD[0], course=f"X{i}") for i in range(20000)]
    assert failing(school, flood) == {"format.size"}


def test_exploit_a_flood_within_the_size_limit_is_graded_on_its_checks(school):
    flood = GOOD + [dict(GOOD[0])] * 150 + [dict(GOOD[0], course=f"X{i}") for i in range(150)]
    assert len(json.dumps(flood)) <= 20_000
    assert failing(school, flood) >= {"coverage", "rooms.no_double_booking"}


def test_grading_loads_no_generator():
    """The checker and its rules import the core and other verifiers only: grading a tuple must not
    pull in synth.environments (so no generator edit can reach it)."""
    code = ("import sys; from synth.verifiers.general import checker; checker(sys.argv[1]); "
            "print(sorted(m for m in sys.modules if m.startswith('synth.environments')))")
    done = subprocess.run([sys.executable, "-c", code, CAT], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
    from synth.verifiers.general import course_timetabling as module  # the module under review
    from synth.verifiers.general.rules import course_timetabling as rules

    for mod, allowed in ((module, {"synth"}), (rules, set())):
        for node in ast.walk(ast.parse(inspect.getsource(mod))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module != "__future__":
                top = node.module.split(".")[0]
                assert node.module in allowed or top in sys.stdlib_module_names, (mod.__name__, node.module)
            elif isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] in sys.stdlib_module_names for a in node.names), mod.__name__


def test_rest_rule_the_planter_and_solver_use_is_the_one_the_checker_grades():
    """The generator and the gold solver look both ways (rest_neighbours), the checker forward
    (rest_next): on any grid, a pair of positions clashes for one iff it clashes for the other."""
    from synth.verifiers.general.rules.course_timetabling import rest_neighbours, rest_next

    for periods in (1, 2, 4):
        grid = [(d, p) for d in range(4) for p in range(1, periods + 1)]
        for a in grid:
            for b in grid:
                looked_both_ways = b in rest_neighbours(*a, periods)
                graded = rest_next(*a, periods) == b or rest_next(*b, periods) == a
                assert looked_both_ways == graded, (periods, a, b)
