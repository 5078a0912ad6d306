"""Every registered general category: a task does not exist until its gold passes and its null
controls fail, and the same arguments always give the same bytes."""

import ast
import hashlib
import inspect
import json
import os
import subprocess
import sys

import pytest

from synth import Run, categories, family
from synth import control_records, gold_trajectory

CATEGORIES = sorted(categories("general"))


def test_at_least_four_categories_are_registered():
    assert "trip_planning" in CATEGORIES
    assert len(CATEGORIES) >= 4, CATEGORIES


@pytest.mark.parametrize("category", CATEGORIES)
@pytest.mark.parametrize("difficulty", [1, 2, 3, 4, 5])
def test_gold_passes_and_every_null_control_fails(tmp_path, category, difficulty):
    run = Run.create(tmp_path / "r")
    fam = family("general")
    for index in range(12):
        record = fam.build_tuple(run, category, 1000 + difficulty, index, difficulty)
        gold = gold_trajectory(record, run)
        assert gold.verdict is not None and gold.verdict.status == "pass", gold.verdict.first_failure()
        results = control_records(record, run, gold)
        unsound = [(r.control, r.verdict.first_failure()) for r in results if not r.sound]
        assert not unsound, unsound
        perturbations = [r for r in results if r.control.startswith("perturb:")]
        assert len(perturbations) >= 3
        assert len({r.breaks for r in perturbations}) == len(perturbations), "each perturbation breaks its own check"
        assert any(r.control == "empty" and r.verdict.status == "fail" for r in results)


@pytest.mark.parametrize("category", CATEGORIES)
def test_same_arguments_give_byte_identical_tuples(tmp_path, category):
    fam = family("general")
    a, b = Run.create(tmp_path / "a"), Run.create(tmp_path / "b")
    for index in range(3):
        ra = fam.build_tuple(a, category, 5, index, 3)
        rb = fam.build_tuple(b, category, 5, index, 3)
        assert ra.model_dump_json() == rb.model_dump_json()
        ref = ra.environment.state["db"]
        assert (tmp_path / "a" / ref.path).read_bytes() == (tmp_path / "b" / ref.path).read_bytes()
    other = fam.build_tuple(a, category, 6, 0, 3)
    assert other.key != fam.build_tuple(a, category, 5, 0, 3).key


@pytest.mark.parametrize("category", CATEGORIES)
def test_same_item_in_processes_with_different_hash_seeds(tmp_path, category):
    """Set order of strings changes with PYTHONHASHSEED; an item must not."""
    code = (
        "import hashlib, sys; from synth import Run, family; "
        "run = Run.create(sys.argv[1]); r = family('general').build_tuple(run, sys.argv[2], 9, 2, 5); "
        "print(r.key, hashlib.sha256(run.read_asset(r.environment.state['db'])).hexdigest())"
    )
    env = dict(os.environ, PYTHONHASHSEED="1" if os.environ.get("PYTHONHASHSEED") != "1" else "2")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "sub"), category], env=env,
                          capture_output=True, text=True, check=True)
    run = Run.create(tmp_path / "here")
    here = family("general").build_tuple(run, category, 9, 2, 5)
    digest = hashlib.sha256(run.read_asset(here.environment.state["db"])).hexdigest()
    assert done.stdout.split() == [here.key, digest]


@pytest.mark.parametrize("part", ["_solve", "_baselines", "_whitebox"])
@pytest.mark.parametrize("category", CATEGORIES)
def test_gold_solution_and_baselines_never_touch_the_database(category, part):
    """The gold solver and the baseline agents get a ToolClient and the task params, nothing else:
    the category's solver and baseline modules (`<category package>._solve`, `._baselines`) may not
    import sqlite3 or the database helpers, nor name a connection, the run or its assets."""
    import importlib

    cat = categories("general")[category]
    assert list(inspect.signature(cat.solve).parameters) == ["client", "params"]
    solver = importlib.import_module(type(cat).__module__ + "." + part)  # the category's package
    agents = {"solve": solver.solve} if part == "_solve" else getattr(solver, "BASELINES", None) or solver.WHITEBOX
    for fn in agents.values():
        assert list(inspect.signature(fn).parameters) == ["client", "params"]
    tree = ast.parse(inspect.getsource(solver))
    imported = {alias.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for alias in n.names}
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
        alias.name for n in ast.walk(tree) if isinstance(n, ast.Import) for alias in n.names}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    attrs = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert "sqlite3" not in modules and not {m for m in modules if m and m.endswith("_db")}
    assert not imported & {"rows", "load_db", "stored_db", "db_facts", "new_db"}
    assert not names & {"sqlite3", "db", "run", "load_db", "open"}
    assert not attrs & {"execute", "executemany", "read_asset", "connect", "deserialize"}


@pytest.mark.parametrize("category", CATEGORIES)
def test_the_category_solves_with_its_solver_module(category, monkeypatch):
    import importlib

    cat = categories("general")[category]
    solver = importlib.import_module(type(cat).__module__ + "._solve")
    seen = []
    monkeypatch.setattr(solver, "solve", lambda client, params: seen.append((client, params)))
    cat.solve("client", {"p": 1})
    assert seen == [("client", {"p": 1})]


@pytest.mark.parametrize("category", CATEGORIES)
def test_tools_have_specs_and_a_single_submit_tool(category):
    cat = categories("general")[category]
    names = [t.spec.name for t in cat.tools]
    assert len(names) == len(set(names))
    assert [t.spec.name for t in cat.tools if t.submit] == ["submit_result"]
    for tool in cat.tools:
        assert tool.spec.description and tool.spec.parameters["type"] == "object"
        json.dumps(tool.spec.openai())


@pytest.mark.parametrize("category", CATEGORIES)
def test_a_bad_tool_call_is_a_tool_error_not_a_crash(tmp_path, category):
    run = Run.create(tmp_path / "r")
    fam = family("general")
    record = fam.build_tuple(run, category, 1, 0, 2)
    with fam.open(record, run) as env:
        for name, arguments in [("no_such_tool", "{}"), (env.tools[0].name, "{oops"),
                                (env.tools[0].name, '{"unexpected": 1}')]:
            result = env.call(name, arguments)
            assert result.error and "error" in json.loads(result.content)
        assert not env.submitted


@pytest.mark.parametrize("category", CATEGORIES)
def test_any_seed_gives_a_sound_tuple(tmp_path_factory, category):
    """Property: for arbitrary (seed, index, difficulty) the tuple is feasible and sound."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    run = Run.create(tmp_path_factory.mktemp("prop") / "r")
    fam = family("general")

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(seed=st.integers(0, 2**31 - 1), index=st.integers(0, 10**6), difficulty=st.integers(1, 5))
    def sound(seed, index, difficulty):
        record = fam.build_tuple(run, category, seed, index, difficulty)
        gold = gold_trajectory(record, run)
        assert gold.verdict.status == "pass", gold.verdict.first_failure()
        bad = [(r.control, r.verdict.first_failure()) for r in control_records(record, run, gold) if not r.sound]
        assert not bad, bad

    sound()
