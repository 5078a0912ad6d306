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
BASELINES = sorted(categories("general")["trip_planning"].baselines)


@pytest.fixture(scope="module")
def easy_run(tmp_path_factory):
    """Trips at difficulty 1, where baselines often succeed, generated and verified through the CLI."""
    run = tmp_path_factory.mktemp("gate") / "run"
    result = runner.invoke(app, ["generate", "general", "--category", "trip_planning", "--n", "8", "--seed", "10",
                                 "--difficulty", "1", "--out", str(run)])
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
    flat = " ".join(output.split())
    for name, count in solved.items():
        assert f"{name} {count}/8" in flat, (name, count)
    summary = synth.verify(Run.open(run))
    level = summary.levels[("general", "trip_planning", 1)]
    assert level.tuples == 8 and dict(level.passed) == {n: c for n, c in solved.items()}
    easy = len(synth.easy_keys(Run.open(run)))
    assert 0 < easy < 8, "difficulty 1 should have easy and hard tuples in this sample"
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
