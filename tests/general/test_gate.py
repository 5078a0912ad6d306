"""The easy-tuple gate as a user meets it: `synth verify` runs each baseline agent beside the null
controls and shows their pass rates per category and difficulty; a tuple a baseline solves stays
sound but is flagged easy, and `synth export` leaves it out unless --keep-easy."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

import synth
from synth import Run, categories
from synth.cli import app

runner = CliRunner()
TRIP = categories("general")["trip_planning"]
BASELINES = sorted([*TRIP.baselines, *TRIP.whitebox])
"""The gate's agents: the five built-in baselines and the white-box ones (issue 18)."""


@pytest.fixture(scope="module")
def easy_run(tmp_path_factory):
    """Trips at difficulty 3 (at difficulty 1 and 2 every tuple is easy once the white-box baselines
    are in the gate), generated and verified through the CLI."""
    run = tmp_path_factory.mktemp("gate") / "run"
    result = runner.invoke(app, ["generate", "general", "--category", "trip_planning", "--n", "8", "--seed", "10",
                                 "--difficulty", "3", "--out", str(run)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["verify", str(run)])
    assert result.exit_code == 0, result.output
    return run, result.output


def verdicts(run) -> list[dict]:
    return [json.loads(line) for line in (run / "verdicts.jsonl").read_text().splitlines()]


def test_each_tuple_gets_a_verdict_per_baseline_beside_its_null_controls(easy_run):
    run, _ = easy_run
    by_task: dict[str, list[dict]] = {}
    for item in verdicts(run):
        by_task.setdefault(item["task_key"], []).append(item)
    assert len(by_task) == 8
    for items in by_task.values():
        controls = [i["control"] for i in items]
        assert controls[:2] == ["gold", "empty"]
        assert sorted(c.removeprefix("baseline:") for c in controls if c.startswith("baseline:")) == BASELINES
        for item in items:
            if item["control"].startswith("baseline:"):
                assert item["expect"] == "fail" and item["sound"] and item["verdict"]["status"] in ("pass", "fail")


def test_the_verify_table_shows_baseline_pass_rates_per_category_and_difficulty(easy_run):
    run, output = easy_run
    solved = {name: 0 for name in BASELINES}
    for item in verdicts(run):
        if item["control"].startswith("baseline:"):
            solved[item["control"].removeprefix("baseline:")] += item["verdict"]["status"] == "pass"
    assert "baselines" in output and "difficulty" in output
    flat = " ".join(output.replace("│", " ").split())  # a wrapped cell's lines read as one
    for name, count in solved.items():
        assert f"{name} {count}/8" in flat, (name, count)
    summary = synth.verify(Run.open(run))
    level = summary.levels[("general", "trip_planning", 3)]
    assert level.tuples == 8 and dict(level.passed) == {n: c for n, c in solved.items()}
    easy = len(synth.easy_keys(Run.open(run)))
    assert 0 < easy < 8, "this sample should have easy and hard tuples"
    assert summary.rows[("general", "trip_planning")]["easy"] == easy


def test_export_leaves_easy_tuples_out_unless_keep_easy(easy_run, tmp_path):
    run, _ = easy_run
    easy = synth.easy_keys(Run.open(run))
    for fmt in ("sft", "rl"):
        out, kept = tmp_path / f"{fmt}.jsonl", tmp_path / f"{fmt}.all.jsonl"
        result = runner.invoke(app, ["export", str(run), "--format", fmt, "--out", str(out)])
        assert result.exit_code == 0 and f"{len(easy)} easy tuples left out" in result.output, result.output
        result = runner.invoke(app, ["export", str(run), "--format", fmt, "--out", str(kept), "--keep-easy"])
        assert result.exit_code == 0 and "left out" not in result.output, result.output
        lines = [json.loads(line)["task_key"] for line in out.read_text().splitlines()]
        every = [json.loads(line)["task_key"] for line in kept.read_text().splitlines()]
        assert not set(lines) & easy and set(every) >= easy
        assert len(every) == 8 and len(lines) == 8 - len(easy)


def test_every_hard_tuple_is_exported(tmp_path):
    run = Run.create(tmp_path / "hard")
    synth.generate(run, "general", {"category": ["trip_planning"], "n": 4, "seed": 3, "difficulty": 5})
    assert synth.verify(run).ok
    hard = {t.key for t in run.tuples()} - synth.easy_keys(run)
    assert hard
    out = tmp_path / "rl.jsonl"
    assert synth.export(run, synth.ExportSettings(format="rl", out=out)) == len(hard)
    assert {json.loads(line)["task_key"] for line in out.read_text().splitlines()} == hard


def test_a_run_verified_before_its_family_had_baselines_gets_them_and_nothing_else(easy_run, tmp_path):
    run, _ = easy_run
    copy = tmp_path / "old"
    shutil.copytree(run, copy)
    lines = (copy / "verdicts.jsonl").read_text().splitlines()
    old = [line for line in lines if '"control":"baseline:' not in line]
    (copy / "verdicts.jsonl").write_text("".join(line + "\n" for line in old))
    trajectories = (copy / "trajectories.jsonl").read_bytes()
    synth.verify(Run.open(copy))
    again = (copy / "verdicts.jsonl").read_text().splitlines()
    assert again[:len(old)] == old, "earlier records untouched"
    assert sorted(again[len(old):]) == sorted(line for line in lines if '"control":"baseline:' in line)
    assert (copy / "trajectories.jsonl").read_bytes() == trajectories
    synth.verify(Run.open(copy))
    assert (copy / "verdicts.jsonl").read_text().splitlines() == again, "a second verify adds nothing"


def test_a_baseline_that_crashes_makes_the_tuple_unsound_and_is_named(tmp_path, monkeypatch):
    cat = categories("general")["shopping"]
    module = __import__(type(cat).__module__ + "._baselines", fromlist=["BASELINES"])

    def broken(client, params):
        client.list_stores()
        raise KeyError("price")

    monkeypatch.setitem(module.BASELINES, "greedy", broken)
    run = Run.create(tmp_path / "r")
    synth.generate(run, "general", {"category": ["shopping"], "n": 1, "seed": 5, "difficulty": 3})
    summary = synth.verify(run)
    assert not summary.ok
    [(key, control, reason)] = summary.unsound
    assert control == "baseline:greedy" and "baseline greedy crashed: KeyError" in reason
    assert not synth.sound_keys(run)


@pytest.mark.parametrize("category", sorted(categories("general")))
def test_the_gate_runs_every_white_box_baseline_and_a_tuple_one_solves_is_not_exported(tmp_path, category):
    """Whatever a category's generator is (planted or solved), `synth verify` runs its white-box
    baselines beside the built-in ones, each one's record is sound, and a tuple only a white-box
    baseline solves is easy: left out of the export."""
    cat = categories("general")[category]
    run = Run.create(tmp_path / "r")
    synth.generate(run, "general", {"category": [category], "n": 2, "seed": 31, "difficulty": 3})
    assert synth.verify(run).ok
    items = verdicts(run.path)
    for key in {i["task_key"] for i in items}:
        ran = {i["control"].removeprefix("baseline:") for i in items
               if i["task_key"] == key and i["control"].startswith("baseline:")}
        assert ran == set(cat.baselines) | set(cat.whitebox)
    white = {i["task_key"] for i in items if i["control"].removeprefix("baseline:") in cat.whitebox
             and i["verdict"]["status"] == "pass"}
    assert white <= synth.easy_keys(run)
    out = tmp_path / "rl.jsonl"
    synth.export(run, synth.ExportSettings(format="rl", out=out))
    exported = {json.loads(line)["task_key"] for line in out.read_text().splitlines()} if out.exists() else set()
    assert not exported & white


def test_a_category_without_white_box_baselines_runs_only_its_built_in_ones(monkeypatch):
    """A category package with no `_whitebox` module (a new or rewritten generator) has none: the
    gate runs its built-in baselines alone instead of failing."""
    import importlib

    cat = categories("general")["shopping"]
    real = importlib.import_module

    def without(name, *args, **kwargs):
        if name == f"{type(cat).__module__}._whitebox":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", without)
    assert cat.whitebox == {}
