"""`synth generate code`, `synth images`, `synth sandbox` through typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from synth.cli import app

runner = CliRunner()


@pytest.mark.parametrize("args, message", [
    ([], "exactly one of"),
    (["--git", ".", "--sdist", "toolz==1"], "exactly one of"),
    (["--sdist", "toolz"], "NAME==VERSION"),
    (["--github", "not a repo"], "OWNER/NAME"),
    (["--git", "/definitely/missing"], "no such directory"),
    (["--sdist", "toolz==0.12.1", "--suite", "buster"], "known suites"),
    (["--sdist", "toolz==0.12.1", "--mutate"], "--mutate goes with --git"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, args, message):
    out = tmp_path / "run"
    result = runner.invoke(app, ["generate", "code", *args, "--out", str(out)])
    assert result.exit_code == 2
    assert message in result.output and result.output.count("synth: error:") == 1
    assert not out.exists()


def test_not_a_repository_is_exit_2(tmp_path):
    result = runner.invoke(app, ["generate", "code", "--git", str(tmp_path), "--out", str(tmp_path / "run")])
    assert result.exit_code == 2 and "not a git repository" in result.output
    assert not (tmp_path / "run").exists()


def test_other_settings_on_the_same_run_are_refused(tmp_path, calc_repo, monkeypatch):
    import synth

    monkeypatch.setattr(synth.family("code"), "prepare", lambda: None)
    out = tmp_path / "run"
    synth.Run.create(out).begin("generate", synth.family("code").stage_config(
        synth.family("code").parse_settings({"git": calc_repo, "n": 1})))
    result = runner.invoke(app, ["generate", "code", "--git", str(calc_repo), "--n", "2", "--out", str(out)])
    assert result.exit_code == 2 and "different settings (n)" in result.output


@pytest.mark.docker
def test_generate_from_git_history_then_verify_then_resume(tmp_path, calc_repo, base_image):
    out = tmp_path / "run"
    args = ["generate", "code", "--git", str(calc_repo), "--n", "1", "--k", "2", "--timeout", "60", "--out", str(out)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "1 tuples in" in first.output and "1 new" in first.output
    lines = (out / "tuples.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["verifier"]["name"] == "code.tests"
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and (out / "tuples.jsonl").read_text().splitlines() == lines  # resumed, nothing new
    assert "0 new" in again.output
    verified = runner.invoke(app, ["verify", str(out)])
    assert verified.exit_code == 0, verified.output
    listed = runner.invoke(app, ["images", "list"])
    assert listed.exit_code == 0 and "synth-base:" in listed.output and "synth-task:" in listed.output


@pytest.mark.docker
def test_mutating_a_git_project_makes_tasks_whose_tests_are_in_the_repository(tmp_path, calc_repo, base_image):
    out = tmp_path / "run"
    result = runner.invoke(app, ["generate", "code", "--git", str(calc_repo), "--mutate", "--n", "1", "--k", "2",
                                 "--timeout", "60", "--out", str(out)])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "tuples.jsonl").read_text().splitlines()[0])
    assert record["environment"]["category"] == "mutation" and "start_patch" in record["environment"]["state"]
    assert record["verifier"]["args"]["fail_to_pass"]
    assert "tests.test_sub::test_toggle" not in record["verifier"]["args"]["fail_to_pass"]  # flaky, dropped
    assert "fail" in record["task"]["prompt"] and "calc/__init__.py" not in record["task"]["prompt"]
