"""`--executor ray`: generate, verify and rollout on a local Ray (2 CPUs) give the same bytes as the
local executor, resume the same way after a crash, and report a worker's error as the error itself."""

from __future__ import annotations

import itertools
import json
import operator
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import synth
from synth import Run
from synth._executor import Executor, executor
from synth.cli import app

from fakes import FakeServer
from sample_runs import scripted_model

pytestmark = pytest.mark.ray
JOURNALS = (Run.TUPLES, Run.VERDICTS, Run.TRAJECTORIES)
SETTINGS = {"n": 2, "seed": 5, "difficulty": 2}


def run_all(path: Path, chosen: Executor | None, concurrency: int) -> Run:
    synth.generate(path, "general", SETTINGS, executor=chosen)
    run = Run.open(path)
    synth.verify(run, executor=chosen)
    with FakeServer(scripted_model(run)) as server:
        cfg = synth.RolloutConfig(base_url=server.base_url, model="scripted", samples=2, max_steps=4, concurrency=concurrency)
        report = synth.rollout(run, cfg, executor=chosen)
    assert report.stats.done == 16 and report.stats.passed == 8
    return Run.open(path)


def same_records(a: Path, b: Path) -> None:
    for name in JOURNALS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    stages = [{k: v["config"] for k, v in Run.open(p).manifest["stages"].items()} for p in (a, b)]
    assert stages[0] == stages[1]


def test_ray_gives_the_records_of_the_local_executor(tmp_path: Path, ray_executor) -> None:  # type: ignore[no-untyped-def]
    run_all(tmp_path / "local", None, concurrency=1)
    run_all(tmp_path / "ray", ray_executor, concurrency=4)
    same_records(tmp_path / "local", tmp_path / "ray")
    assert len((tmp_path / "ray" / Run.TUPLES).read_text().splitlines()) == 8


def test_a_crash_under_ray_resumes_to_the_same_bytes(tmp_path: Path, ray_executor) -> None:  # type: ignore[no-untyped-def]
    run_all(tmp_path / "local", None, concurrency=1)
    crashed = tmp_path / "crashed"
    shutil.copytree(tmp_path / "local", crashed)
    # killed mid-verify: three tuples verified, a torn line, no rollout yet; generate had 5 of 8
    lines = {name: (crashed / name).read_text().splitlines(keepends=True) for name in JOURNALS}
    (crashed / Run.TUPLES).write_text("".join(lines[Run.TUPLES][:5]) + lines[Run.TUPLES][5][:30])
    # the verdicts of the two tuples whose gold trajectories survived, and part of the third's
    # (verify appends a tuple's verdicts before its gold trajectory)
    keys = [json.loads(line)["task_key"] for line in lines[Run.TRAJECTORIES][:3]]
    kept = [line for line in lines[Run.VERDICTS] if json.loads(line)["task_key"] in keys[:2]]
    third = [line for line in lines[Run.VERDICTS] if json.loads(line)["task_key"] == keys[2]]
    (crashed / Run.VERDICTS).write_text("".join(kept + third[:3]))
    (crashed / Run.TRAJECTORIES).write_text("".join(lines[Run.TRAJECTORIES][:2]) + lines[Run.TRAJECTORIES][2][:50])
    # the manifest as the kill left it: verify begun (recorded before its first record), no rollout
    manifest = json.loads((crashed / "manifest.json").read_text())
    manifest["stages"].pop("rollout:scripted")
    manifest["stages"]["verify"] = {**manifest["stages"]["verify"], "complete": False}
    for fact in ("sound", "unsound", "easy"):
        manifest["stages"]["verify"].pop(fact, None)
    manifest["stages"]["generate"]["complete"] = False
    (crashed / "manifest.json").write_text(json.dumps(manifest))
    run_all(crashed, ray_executor, concurrency=3)
    same_records(tmp_path / "local", crashed)


def test_generate_and_verify_from_the_command_line(tmp_path: Path, ray_executor) -> None:  # type: ignore[no-untyped-def]
    runner = CliRunner()
    out = tmp_path / "run"
    result = runner.invoke(app, ["generate", "general", "--n", "1", "--seed", "2", "--executor", "ray", "--out", str(out)])
    assert result.exit_code == 0 and "4 tuples" in result.output, result.output
    result = runner.invoke(app, ["verify", str(out), "--executor", "ray"])
    assert result.exit_code == 0 and "sound" in result.output, result.output
    synth.generate(tmp_path / "local", "general", {"n": 1, "seed": 2})
    synth.verify(Run.open(tmp_path / "local"))
    for name in JOURNALS:
        assert (out / name).read_bytes() == (tmp_path / "local" / name).read_bytes()


def test_results_come_back_in_order_and_errors_as_themselves(ray_executor) -> None:  # type: ignore[no-untyped-def]
    assert list(ray_executor.map(operator.add, range(25), shared=100)) == list(range(100, 125))
    with pytest.raises(ZeroDivisionError):
        list(ray_executor.map(operator.truediv, [1, 0, 2], shared=1))
    # a consumer that stops early (a generate reaching its target) leaves nothing running
    taken = list(itertools.islice(ray_executor.map(operator.mul, itertools.count(), shared=2), 5))
    assert taken == [0, 2, 4, 6, 8]


def test_bad_executor_settings_are_one_line(tmp_path: Path) -> None:
    runner = CliRunner()
    synth.generate(tmp_path / "run", "general", {"n": 1, "category": ["shopping"]})
    for args, needle in ((["--ray-address", "10.0.0.1:6379"], "needs --executor ray"),
                         (["--executor", "ray", "--ray-address", "not-an-address"], "not HOST:PORT"),
                         (["--executor", "ray", "--ray-address", "127.0.0.1:1"], "no Ray head answers")):
        result = runner.invoke(app, ["verify", str(tmp_path / "run"), *args])
        assert result.exit_code == 2, result.output
        assert result.output.count("\n") == 1 and result.output.startswith("synth: error: ") and needle in result.output
    assert not (tmp_path / "run" / Run.VERDICTS).exists()
    with pytest.raises(synth.ConfigError, match="unknown executor"):
        executor("spark")
