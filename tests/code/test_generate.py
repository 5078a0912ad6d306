"""Code generation through the stage (`synth.generate`): settings, resume by instance id, rejections
in the core journal, and nothing started for work that is already done."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import synth
from synth import Run

from .test_github import PR_DIFF, Recorded, client_for, pr

CODE = synth.family("code")


@pytest.mark.parametrize("settings, config", [
    ({"sdist": "toolz==0.12.1", "n": 3, "k": 3},
     {"family": "code", "sdist": "toolz==0.12.1", "n": 3, "k": 3, "timeout": 300.0, "max_lines": 400, "max_files": 10,
      "min_words": 3, "suite": "bookworm", "seed": 0}),
    ({"github": "o/n", "timeout": 60, "seed": 2, "judge_base_url": "http://j/v1", "judge_model": "m"},
     {"family": "code", "github": "o/n", "n": 5, "k": 3, "timeout": 60.0, "max_lines": 400, "max_files": 10,
      "min_words": 3, "suite": "bookworm", "seed": 2, "judge_model": {"base_url": "http://j/v1", "model": "m"}}),
    ({"git": "some/repo", "mutate": True, "suite": "trixie", "setup_base_url": "http://s/v1"},
     {"family": "code", "git": str(Path("some/repo").resolve()), "mutate": True, "n": 5, "k": 3, "timeout": 300.0,
      "max_lines": 400, "max_files": 10, "min_words": 3, "suite": "trixie", "seed": 0,
      "setup_model": {"base_url": "http://s/v1", "model": None}}),
])
def test_the_stage_config_is_the_one_runs_have_always_recorded(settings, config):
    got = CODE.stage_config(CODE.parse_settings(settings))
    assert got == config
    assert synth.canonical_json(got) == synth.canonical_json(config)  # 300.0 stays a float: old runs resume


@pytest.mark.parametrize("settings, message", [
    ({}, "code settings: give exactly one of"),
    ({"sdist": "toolz==1", "github": "o/n"}, "give exactly one of"),
    ({"sdist": "toolz"}, "code settings: sdist: 'toolz': give NAME==VERSION"),
    ({"github": "o/n", "suite": "buster"}, "code settings: suite: 'buster': known suites are bullseye"),
    ({"sdist": "a==1", "mutate": True}, "--mutate goes with --git"),
    ({"sdist": "a==1", "k": 0}, "code settings: k: "),
])
def test_bad_settings_are_one_line_config_errors(settings, message):
    with pytest.raises(synth.ConfigError, match=message) as info:
        CODE.parse_settings(settings)
    assert "\n" not in str(info.value)


def test_a_bad_git_path_fails_before_the_run_directory_exists(tmp_path):
    with pytest.raises(synth.ConfigError, match="not a git repository"):
        synth.generate(tmp_path / "run", "code", {"git": tmp_path})
    assert not (tmp_path / "run").exists()


def test_github_prs_refused_before_any_work_are_rejections_in_the_core_journal(tmp_path, monkeypatch):
    import synth.environments.code._generate as generate

    recorded = Recorded({
        "/repos/o/n": httpx.Response(200, json={"clone_url": "unused"}),
        "/repos/o/n/pulls": httpx.Response(200, json=[pr(11, "just a refactor"), pr(12, "closes #8"), pr(13, "fixes #9")]),
        "/repos/o/n/issues/8": httpx.Response(200, json={"title": "a PR", "pull_request": {}}),
        "/repos/o/n/issues/9": httpx.Response(200, json={"title": "tests only", "body": "x"}),
        "/repos/o/n/pulls/13": httpx.Response(200, text=PR_DIFF.split("diff --git a/tests")[0]),
    })
    monkeypatch.setattr(generate, "GitHubClient", lambda: client_for(recorded))
    monkeypatch.setattr(CODE, "prepare", lambda: None)
    run = Run.create(tmp_path / "run")
    for _ in range(2):  # the second time resumes: every key is known, nothing is asked again
        with pytest.raises(synth.GenerationError, match="no candidate became a task"):
            synth.generate(run, "code", {"github": "o/n", "n": 1})
    rejections = run.rejections().read()
    assert [(r.key, r.family) for r in rejections] == [("o/n#11", "code"), ("o/n#12", "code"), ("o/n#13", "code")]
    assert "does not change both source and tests" in rejections[2].reason
    assert not (run.path / "code_rejections.jsonl").exists()


@pytest.mark.docker
def test_a_resumed_run_whose_work_is_done_starts_nothing(tmp_path, calc_repo, base_image, monkeypatch):
    import synth.environments.code._generate as generate

    settings = {"git": calc_repo, "mutate": True, "n": 1, "k": 2, "timeout": 60}
    run = Run.create(tmp_path / "run")
    first = synth.generate(run, "code", settings)
    assert first.tuples == 1 and first.new == 1
    before = (run.path / Run.TUPLES).read_bytes()

    def started(*args, **kwargs):
        raise AssertionError("a resumed run that is done fetched a project or started a container")

    for name in ("checkout_head", "fetch_sdist", "mine_history", "ensure_base", "start_test_box", "task_image"):
        monkeypatch.setattr(generate, name, started)
    again = synth.generate(run, "code", settings)
    assert again.tuples == 1 and again.new == 0
    assert (run.path / Run.TUPLES).read_bytes() == before


@pytest.mark.docker
def test_resuming_mined_history_builds_nothing_twice(calc_run, monkeypatch):
    import synth.environments.code._generate as generate

    def started(*args, **kwargs):
        raise AssertionError("a candidate already built or rejected was built again")

    monkeypatch.setattr(generate, "ensure_base", started)
    monkeypatch.setattr(generate, "task_image", started)
    before = (calc_run.path / Run.TUPLES).read_bytes()
    settings = {"git": calc_run.stage("generate")["config"]["git"], "n": 5, "k": 3, "timeout": 60}
    report = synth.generate(calc_run, "code", settings)
    assert report.new == 0 and report.tuples == 2 and report.rejected == 1
    assert (calc_run.path / Run.TUPLES).read_bytes() == before
