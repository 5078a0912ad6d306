"""Generate -> verify -> export for every kind of every interpreter category, in real kernels: the gold
cells (pandas, sympy or a second algorithm, over the files) reproduce the answer the generator
computed itself, and every control fails on the check it names."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

import synth
from synth import Run
from synth.environments.interpreter import DataCategory, LogicCategory, MathCategory

from .conftest import GOOD_TASK, write_tasks

pytestmark = pytest.mark.docker

PER_CATEGORY = max(len(c.kinds) for c in (DataCategory, MathCategory, LogicCategory))


@pytest.fixture(scope="module")
def verified(tmp_path_factory: pytest.TempPathFactory, kernel_image: str) -> Run:
    root = tmp_path_factory.mktemp("pipeline")
    tasks = write_tasks(root / "in", [GOOD_TASK, {"question": "What is 7 * 6?", "answer": 42, "answer_type": "integer"}])
    run = Run.create(root / "run")
    synth.generate(run, "interpreter", {"n": PER_CATEGORY, "seed": 3, "difficulty": 1, "from_file": tasks,
                                        "category": ["data", "math", "logic"]})
    synth.verify(run)
    return run


def test_every_kind_of_every_category_is_sound(verified: Run) -> None:
    summary = synth.verify(verified)  # resumes: nothing left to do, the summary covers every tuple
    assert summary.ok, summary.unsound[:5]
    kinds = {(t.environment.category, t.task.metadata["kind"]) for t in verified.tuples()}
    for category in (DataCategory, MathCategory, LogicCategory):
        assert {k for c, k in kinds if c == category.name} == set(category.kinds)
    assert ("file", "file") in kinds


def test_every_control_fails_on_the_check_it_names(verified: Run) -> None:
    per_task = defaultdict(dict)
    for item in verified.verdicts():
        per_task[item.task_key][item.control] = item
    for record in verified.tuples():
        items = per_task[record.key]
        assert items["gold"].verdict.status == "pass"
        assert items["empty"].verdict.status == "fail"
        named = [c["name"] for c in record.verifier.args["controls"]]
        assert {f"perturb:{n}" for n in named} <= set(items), record.task.metadata["kind"]
        for name in named:
            item = items[f"perturb:{name}"]
            failing = {c.name for c in item.verdict.checks if not c.passed}
            assert item.verdict.status == "fail" and item.breaks in failing, (record.task.metadata["kind"], name)


def test_the_gold_solution_runs_its_cells_through_the_python_tool(verified: Run) -> None:
    golds = {t.task_key: t for t in verified.trajectories() if t.source == "gold"}
    for record in verified.tuples():
        trajectory = golds[record.key]
        calls = [c.function for m in trajectory.messages if m.tool_calls for c in m.tool_calls]
        cells = record.verifier.args["gold"]["cells"]
        assert [c.name for c in calls] == ["python"] * len(cells) + ["submit"]
        assert [json.loads(c.arguments)["code"] for c in calls[:-1]] == cells
        results = [json.loads(m.content) for m in trajectory.messages if m.role == "tool"]
        assert all("error" not in r for r in results[:-1]), results
        assert [r["execution"] for r in results[:-1]] == list(range(1, len(cells) + 1))
        assert json.loads(calls[-1].arguments)["answer"] == trajectory.submission


def test_a_second_gold_run_gives_byte_identical_tool_results(verified: Run) -> None:
    stored = {t.task_key: t for t in verified.trajectories() if t.source == "gold"}
    for category in ("data", "math", "logic"):
        record = next(t for t in verified.tuples() if t.environment.category == category)
        again = synth.gold_trajectory(record, verified)
        assert [m.model_dump() for m in again.messages] == [m.model_dump() for m in stored[record.key].messages]


def test_exports_carry_the_interpreter_tasks(verified: Run, tmp_path: Path) -> None:
    rl = tmp_path / "rl.jsonl"
    assert synth.export(verified, synth.ExportSettings(format="rl", out=rl)) == len(verified.tuples().read())
    lines = [json.loads(line) for line in rl.read_text().splitlines()]
    assert {line["environment"]["family"] for line in lines} == {"interpreter"}
    assert all(line["verifier"]["name"] == "interpreter.answer" for line in lines)
    assert all([t["function"]["name"] for t in line["tools"]] == ["python", "submit"] for line in lines)
    sft = tmp_path / "sft.jsonl"
    assert synth.export(verified, synth.ExportSettings(format="sft", out=sft, source="gold")) == len(lines)
