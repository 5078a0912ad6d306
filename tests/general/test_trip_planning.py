"""trip_planning: the category end to end (gold through the tools, the prompt) and its gold solver's
reach. The adversary's attempts on grading are in tests/verifiers/general/test_trip_planning.py."""

import ast
import inspect
import json

import pytest

from synth import Run, category, family, grade
from synth import gold_trajectory


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    run = Run.create(tmp_path_factory.mktemp("trip") / "r")
    record = family("general").build_tuple(run, "trip_planning", 3, 1, 5)
    gold = gold_trajectory(record, run)
    assert gold.verdict.status == "pass"
    return run, record, json.loads(gold.submission)


def test_gold_plan_passes_every_check(case):
    run, record, answer = case
    verdict = grade(record, json.dumps(answer), run)
    assert verdict.status == "pass" and all(c.passed for c in verdict.checks)
    names = {c.name for c in verdict.checks}
    assert {"days", "exists", "venue_city", "no_repeat", "budget", "rain_rule", "hotel_rating"} <= names
    assert {f"rule.day{d}" for d in record.task.metadata["rule_days"]} <= names


def test_prompt_states_every_rule(case):
    run, record, answer = case
    params = record.task.metadata
    prompt = record.task.prompt
    assert params["start_city"] in prompt and str(params["budget"]) in prompt
    for day in params["rule_days"]:
        assert f"Day {day}:" in prompt
    assert "rainy" in prompt and str(params["min_hotel_rating"]) in prompt


def test_gold_solver_module_cannot_reach_the_database():
    """The gold solver (the module the category's solve calls) gets a ToolClient and the params,
    nothing else: it imports no sqlite3 or database helper and names no connection or asset."""
    module = inspect.getmodule(type(category("general", "trip_planning")))
    solver = module._solve  # private on purpose: this test is about that module's source
    assert list(inspect.signature(solver.solve).parameters) == ["client", "params"]
    tree = ast.parse(inspect.getsource(solver))
    imported = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported_names = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert not {m for m in imported if m == "sqlite3" or m.endswith("._db") or m == "_db"}, imported
    assert not imported_names & {"rows", "load_db", "stored_db", "db_facts", "new_db", "sqlite3"}, imported_names
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not names & {"sqlite3", "db", "run", "load_db", "open"}
    assert not attrs & {"db", "run", "execute", "executemany", "read_asset", "connect", "deserialize"}
    assert "_solve.solve(" in inspect.getsource(type(category("general", "trip_planning")).solve)
