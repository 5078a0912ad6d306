"""course_timetabling, the category: levels, tools and their structured errors, grading through
its checker, and a gold solver that cannot reach the database. The checker's own tests (each rule
broken alone, the adversary's attempts) are in tests/verifiers/general/test_course_timetabling.py;
soundness over seeds and determinism are in test_all_categories.py."""

import ast
import importlib
import inspect
import json

import hand_cases
from hand_cases import TIMETABLE_GOOD as GOOD
from hand_cases import TIMETABLE_PARAMS as PARAMS
import pytest

from synth import Run, ToolRuntime, category, family
from synth.verifiers.general import checker

CAT = "course_timetabling"


def test_harder_levels_state_more_rules(tmp_path):
    run = Run.create(tmp_path / "r")
    easy = family("general").build_tuple(run, CAT, 1, 0, 1).task.metadata
    hard = family("general").build_tuple(run, CAT, 1, 0, 5).task.metadata
    assert len(hard["courses"]) > len(easy["courses"])
    assert hard["spread"] and hard["rest_rule"] and hard["teacher_daily_max"] is not None
    assert not easy["spread"] and not easy["rest_rule"] and easy["teacher_daily_max"] is None


# --------------------------------------------------------------- a hand-built timetable

@pytest.fixture()
def school():
    return hand_cases.school()


def test_tools_and_structured_errors(school):
    runtime = ToolRuntime.of(category("general", CAT).tools, school)
    course = json.loads(runtime.call("get_course", {"course": "CS101"}).content)
    assert course["groups"] == ["G1A", "G2B"] and course["sessions"] == 2
    assert json.loads(runtime.call("list_groups", {}).content)[0] == {"group": "G1A", "program": "Biology", "size": 30}
    free = json.loads(runtime.call("get_teacher_availability", {"teacher": "Dr. Abara"}).content)["available"]
    assert "Mon-2" not in free and len(free) == 7
    booked = json.loads(runtime.call("get_room_schedule", {"room": "L100"}).content)["booked"]
    assert booked == [{"room": "L100", "slot": "Tue-1", "holder": "exam"}]
    everywhere = json.loads(runtime.call("get_room_schedule", {}).content)["booked"]
    assert everywhere == booked
    terms = json.loads(runtime.call("list_courses", {"term": "Autumn 2026"}).content)
    assert [c["course"] for c in terms] == ["BIO110", "CS101", "MAT200"]
    assert terms[1] == dict(course, title="Algorithms")
    for name, args, kind in [
        ("get_course", {"course": "XX1"}, "not_found"),
        ("get_teacher_availability", {"teacher": "Dr. Nobody"}, "not_found"),
        ("get_room_schedule", {"room": ["L100"]}, "invalid_arguments"),
        ("list_rooms", {"kind": 3}, "invalid_arguments"),
    ]:
        result = runtime.call(name, args)
        assert result.error and result.error_kind == kind, (name, result.content)


def test_the_category_grades_through_its_checker(school):
    """Grading is the checker's alone: the category defines none of it, so no edit here changes it."""
    cat, grading = category("general", CAT), checker(CAT)
    assert not {"answer_schema", "check_names", "check", "verify"} & set(vars(type(cat)))
    assert cat.answer_schema == grading.answer_schema and cat.check_names == grading.checks
    for answer in (GOOD, GOOD[1:], [dict(GOOD[0], room="L110")] + GOOD[1:], "not json"):
        text = answer if isinstance(answer, str) else json.dumps(answer)
        assert cat.verify(school, PARAMS, text) == grading.grade(school, PARAMS, text)
    assert not all(c.passed for c in cat.verify(school, PARAMS, json.dumps(GOOD[1:])))


def test_gold_solver_module_cannot_reach_the_database(monkeypatch):
    """The category's solve hands over to `_solve.solve(client, params)` (a private module: it must be
    read here), which imports no database helper and names no connection, run or asset."""
    module = importlib.import_module(f"synth.environments.general.{CAT}._solve")
    assert list(inspect.signature(module.solve).parameters) == ["client", "params"]
    handed = []
    monkeypatch.setattr(module, "solve", lambda client, params: handed.append((client, params)))
    category("general", CAT).solve("client", {"term": "T"})
    assert handed == [("client", {"term": "T"})]
    tree = ast.parse(inspect.getsource(module))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {node.module or "", *(a.name for a in node.names)}
    assert not imported & {"sqlite3", "synth.verifiers.general._db", "_db", "rows", "load_db", "stored_db"}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    names |= {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not (names | attrs) & {"sqlite3", "db", "run", "execute", "executemany", "read_asset", "connect",
                                  "deserialize", "load_db", "stored_db", "rows", "open"}
