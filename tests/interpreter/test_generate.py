"""Generating interpreter tasks (no Docker needed): every kind of every category tells each of its
decoys apart from the answer at every difficulty, items are a pure function of their coordinates,
data is dirty and too large to answer from its head, and a task file is read strictly."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import synth
from synth import Run
from synth.cli import app
from synth.environments.interpreter import DataCategory, LogicCategory, MathCategory, build_shop, read_tasks
from synth.environments.interpreter._data import ROWS

from .conftest import GOOD_TASK, write_tasks

CATEGORIES = [DataCategory(), MathCategory(), LogicCategory()]


@pytest.mark.parametrize("difficulty", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.name)
def test_every_kind_tells_its_decoys_apart_from_the_answer(category, difficulty: int) -> None:
    seen = set()
    for index in range(len(category.kinds)):
        problem = category.build(7, index, difficulty)
        seen.add(problem.kind)
        assert problem.decoys, problem.kind
        assert not problem.undetected(), (problem.kind, problem.undetected())
        assert problem.gold and "print(json.dumps(" in problem.gold[-1]
        assert not problem.answer.shape_problem(problem.answer.value)
    assert seen == set(category.kinds)


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.name)
def test_an_item_is_a_pure_function_of_seed_index_and_difficulty(category) -> None:
    one, again = category.build(3, 2, 2), category.build(3, 2, 2)
    assert (one.question, one.answer, one.gold, one.decoys, one.files) == (again.question, again.answer, again.gold,
                                                                           again.decoys, again.files)
    others = [category.build(4, 2, 2), category.build(3, 2 + len(category.kinds), 2)]
    assert all((o.question, o.answer) != (one.question, one.answer) for o in others)


def test_data_is_dirty_and_too_large_to_answer_from_its_head() -> None:
    import random

    shop = build_shop(random.Random(1), ROWS[2])
    rows = list(csv.DictReader(io.StringIO(shop.files["orders.csv"].decode())))
    assert len(rows) > ROWS[2]  # duplicates on top of the orders
    assert len({tuple(r.values()) for r in rows}) < len(rows)
    assert any(r["quantity"] == "" for r in rows)
    assert any(r["unit_price"].startswith("$") for r in rows) and any(not r["unit_price"].startswith("$") for r in rows)
    assert any(r["discount"] == "" for r in rows) and any(r["discount"] != "" for r in rows)
    assert len({r["order_date"][:4] for r in rows}) == 3
    db = sqlite3.connect(":memory:")
    db.deserialize(shop.files["shop.sqlite"])
    customers = {row[0] for row in db.execute("SELECT customer_id FROM customers")}
    assert {int(r["customer_id"]) for r in rows} <= customers
    for index in range(len(DataCategory.kinds)):
        problem = DataCategory().build(5, index, 1)
        assert "first_100_rows" in {d.name for d in problem.decoys}, problem.kind


def test_consecutive_data_tasks_share_one_dataset() -> None:
    kinds = len(DataCategory.kinds)
    files = [DataCategory().build(9, index, 1).files for index in range(kinds + 1)]
    assert all(f == files[0] for f in files[:kinds]) and files[kinds] != files[0]


def test_generation_needs_no_docker_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import synth.sandbox._docker as docker_sandbox

    def no_engine():
        raise synth.SandboxError("no Docker engine answers")

    monkeypatch.setattr(docker_sandbox, "engine", no_engine)
    report = synth.generate(tmp_path / "run", "interpreter", {"n": 2, "difficulty": 1})
    assert report.tuples == 6


def test_tuples_store_files_answer_gold_and_controls(tmp_path: Path) -> None:
    run = Run.create(tmp_path / "run")
    tasks = write_tasks(tmp_path / "in", [GOOD_TASK])
    synth.generate(run, "interpreter", {"n": 1, "difficulty": 1, "from_file": tasks, "category": ["data", "math", "logic"]})
    records = {r.environment.category: r for r in run.tuples()}
    assert set(records) == {"data", "math", "logic", "file"}
    data = records["data"]
    assert set(data.environment.state) == {"orders.csv", "shop.sqlite"}
    assert data.environment.metadata["kernel"]["timeout"] == 120 and data.environment.metadata["kernel"]["max_executions"] == 20
    assert [t.name for t in data.environment.tools] == ["python", "submit"]
    assert data.task.answer_schema == {"type": "number"}
    names = [c["name"] for c in data.verifier.args["controls"]]
    assert {"first_100_rows", "answer_as_prose", "outside_tolerance"} <= set(names)
    mine = records["file"]
    assert run.read_asset(mine.environment.state["scores.csv"]).startswith(b"name,score")
    assert mine.verifier.args["gold"]["cells"] == [GOOD_TASK["solution"]]
    assert mine.task.metadata["id"] == "best" and mine.task.prompt.startswith(GOOD_TASK["question"])
    for record in records.values():  # the kernel's user (uid 1000) can read every mounted file
        for ref in record.environment.state.values():
            assert (run.path / ref.path).stat().st_mode & 0o004


def test_kernel_limits_come_from_the_settings(tmp_path: Path) -> None:
    run = Run.create(tmp_path / "run")
    synth.generate(run, "interpreter", {"category": ["math"], "n": 1, "timeout": 30, "max_executions": 5})
    (record,) = run.tuples()
    assert record.environment.metadata["kernel"]["timeout"] == 30
    assert record.environment.metadata["kernel"]["max_executions"] == 5
    assert "30 seconds" in record.task.system_prompt and "5 executions" in record.task.system_prompt


# -- task files -------------------------------------------------------------------------------------
def test_a_good_task_file_is_read_with_its_tolerance(tmp_path: Path) -> None:
    tasks = write_tasks(tmp_path, [GOOD_TASK, "", {"question": "q", "answer": 1.5, "answer_type": "number", "tolerance": 0.01},
                                   {"question": "q", "answer": 2.0, "answer_type": "number", "tolerance": {"rel": 0.1}}])
    lines = read_tasks(tasks)
    assert [line.line for line in lines] == [1, 3, 4]
    assert lines[0].files == {"scores.csv": (tmp_path / "scores.csv").read_bytes()}
    assert (lines[1].answer.rel_tol, lines[1].answer.abs_tol) == (0.0, 0.01)
    assert (lines[2].answer.rel_tol, lines[2].answer.abs_tol) == (0.1, 1e-9)


BAD_LINES = [
    ("{not json", "not a JSON object"),
    ('["a list"]', "not a JSON object"),
    ({"answer": 1, "answer_type": "integer"}, "question: Field required"),
    ({"question": "q", "answer_type": "integer"}, "answer: Field required"),
    ({"question": "q", "answer": 1, "answer_type": "float"}, "answer_type 'float' is not one of"),
    ({"question": "q", "answer": "one", "answer_type": "integer"}, "integer"),
    ({"question": "q", "answer": 1, "answer_type": "integer", "files": ["missing.csv"]}, "data file missing.csv does not exist"),
    ({"question": "q", "answer": 1, "answer_type": "integer", "answr": 2}, "answr: Extra inputs are not permitted"),
    ('{"question": "q", "answer": NaN, "answer_type": "number"}', "NaN is not a JSON number"),
    ({"question": "q", "answer": 1.0, "answer_type": "number", "tolerance": -1}, "tolerance"),
    ({"question": "q", "answer": 1, "answer_type": "integer", "files": ["scores.csv", "sub/scores.csv"]}, "two data files are named scores.csv"),
]


@pytest.mark.parametrize("line, message", BAD_LINES, ids=[m for _, m in BAD_LINES])
def test_a_malformed_task_line_is_one_error_naming_its_line_and_nothing_is_written(tmp_path: Path, line, message: str) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "scores.csv").write_text("name,score\n")
    tasks = write_tasks(tmp_path, [GOOD_TASK, line])
    result = CliRunner().invoke(app, ["generate", "interpreter", "--from", str(tasks), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2, result.output
    lines = [text for text in result.output.splitlines() if text.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"synth: error: {tasks}:2: "), lines
    assert message in lines[0], lines[0]
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("args, message", [
    (["--category", "physics"], "unknown interpreter category 'physics'"),
    (["--category", "file"], "--category file needs --from FILE"),
    (["--from", "/nonexistent/tasks.jsonl"], "cannot read task file"),
    (["--timeout", "0"], "--timeout"),
    (["--max-executions", "0"], "--max-executions"),
])
def test_bad_settings_are_one_error_and_nothing_is_written(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["generate", "interpreter", *args, "--out", str(tmp_path / "run")])
    assert result.exit_code == 2, result.output
    lines = [text for text in result.output.splitlines() if text.strip()]
    assert len(lines) == 1 and lines[0].startswith("synth: error: ") and message in lines[0], lines
    assert not (tmp_path / "run").exists()


def test_an_empty_task_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "tasks.jsonl").write_text("\n\n")
    with pytest.raises(synth.ConfigError, match="holds no tasks"):
        read_tasks(tmp_path / "tasks.jsonl")


def test_a_rerun_over_an_edited_task_file_is_refused_and_an_unchanged_one_resumes(tmp_path: Path, monkeypatch) -> None:
    tasks = write_tasks(tmp_path / "in", [GOOD_TASK])
    monkeypatch.chdir(tmp_path / "in")
    args = ["generate", "interpreter", "--category", "file", "--from", "tasks.jsonl", "--out", str(tmp_path / "run")]
    assert CliRunner().invoke(app, args).exit_code == 0
    monkeypatch.chdir(tmp_path)  # the same file named from elsewhere: the same settings
    again = CliRunner().invoke(app, [*args[:-3], str(tasks), "--out", str(tmp_path / "run")])
    assert again.exit_code == 0 and "0 new" in again.output, again.output
    tasks.write_text(tasks.read_text().replace('"bo"', '"cy"'))
    refused = CliRunner().invoke(app, args[:-3] + [str(tasks), "--out", str(tmp_path / "run")])
    assert refused.exit_code == 2 and "synth: error:" in refused.output
    assert json.loads((tmp_path / "run" / "tuples.jsonl").read_text())["verifier"]["args"]["answer"]["value"] == ["bo"]


def test_from_file_alone_gives_the_file_s_tasks_only(tmp_path: Path) -> None:
    tasks = write_tasks(tmp_path / "in", [GOOD_TASK])
    result = CliRunner().invoke(app, ["generate", "interpreter", "--from", str(tasks), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert [r.environment.category for r in Run.open(tmp_path / "run").tuples()] == ["file"]
    both = CliRunner().invoke(app, ["generate", "interpreter", "--from", str(tasks), "--category", "math", "--n", "2",
                                    "--out", str(tmp_path / "both")])
    assert both.exit_code == 0, both.output
    assert sorted(r.environment.category for r in Run.open(tmp_path / "both").tuples()) == ["file", "math", "math"]


def test_the_disk_quota_is_configurable_stored_in_the_tuple_and_told_to_the_model(tmp_path: Path) -> None:
    synth.generate(tmp_path / "run", "interpreter", {"category": ["math"], "n": 1, "difficulty": 1, "disk": "256m"})
    (record,) = Run.open(tmp_path / "run").tuples()
    assert record.environment.metadata["kernel"]["disk"] == "256m" and record.environment.metadata["kernel"]["nofile"] == 4096
    assert "writable, up to 256m" in record.task.system_prompt
    bad = CliRunner().invoke(app, ["generate", "interpreter", "--disk", "lots", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2 and "--disk takes a size" in bad.output and not (tmp_path / "bad").exists()


@pytest.mark.parametrize("answer, says", [
    ({"type": "list", "value": [3, 1.5, "Ada"]}, ["integers must be exact", "other numbers are accepted within a relative error",
                                                 "strings compared after trimming surrounding spaces, case ignored"]),
    ({"type": "list", "value": [1, 2, 3]}, ["integers must be exact"]),
    ({"type": "table", "value": [["Bo", 2]], "case_sensitive": True}, ["integers must be exact", "case-sensitive"]),
    ({"type": "string_set", "value": ["x"]}, ["case ignored"]),
    ({"type": "integer", "value": 4}, ["must be exact"]),
    ({"type": "number", "value": 0.5}, ["within a relative error of 1e-06 or an absolute error of 1e-09"]),
])
def test_the_prompt_states_how_each_kind_of_value_is_compared(answer: dict, says: list[str]) -> None:
    from synth.verifiers.interpreter import Answer

    described = Answer.model_validate(answer).describe()
    for phrase in says:
        assert phrase in described, described
    if answer["value"] == [1, 2, 3]:
        assert "within" not in described  # no tolerance is promised where none applies (the old wording did)
