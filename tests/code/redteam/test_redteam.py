"""The red-team suite (issue 17): white-box attacks on code grading, by class, against a task of
each of two real projects (toolz: pytest functions; more-itertools: a unittest TestCase suite).

Every attack is graded the way a rollout's submission is (`synth.score`'s path: the strict
reader, git in a fresh container, the harness, `code.tests`) and must fail. An attack that still
wins is marked `xfail(strict=True)` with its class, so it flips the day it loses. Two attacks are
also driven through the agent's own `bash` and `submit` tools."""

from __future__ import annotations

import json
import shlex
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from synth import family, grade
from synth.environments.code._exec import derive_patches
from synth.environments.code._family import execute_submission

from .attacks import ATTACKS, Attack

pytestmark = [pytest.mark.docker, pytest.mark.slow]

WINNING: dict[tuple[str, str], str] = {}
"""(project, attack) -> class, for the attacks that still pass a task (strict xfail). Against harness
2 eleven won (should_stop on more-itertools; wraps_around_the_runner, compiled_under_the_runner_file,
code_swap_pyfunc_call, guard_found_by_gc, guard_found_by_frames and guard_class_in_main on toolz;
writer_swapped_in_its_cell and results_forged_on_the_fd on both), plus both attacks through the
agent's tools; against harness 3 none does."""


def _cases():
    for attack in ATTACKS:
        for project in attack.projects:
            marks = []
            if (project, attack.name) in WINNING:
                marks = [pytest.mark.xfail(strict=True, reason=f"{WINNING[project, attack.name]} still wins")]
            yield pytest.param(project, attack, id=f"{attack.klass}-{attack.name}-{project}", marks=marks)


def _test_file(test_id: str) -> str:
    """The file of a test id (`pkg.tests.test_x.Class::name` -> pkg/tests/test_x.py)."""
    parts = test_id.partition("::")[0].split(".")
    cut = next(i for i, part in enumerate(parts) if part.startswith("test_"))
    return "/".join(parts[: cut + 1]) + ".py"


def _append_script(path: str, text: str) -> str:
    return f"cat >> {shlex.quote(path)} <<'SYNTH_RT_EOF'\n{text}\nSYNTH_RT_EOF\n"


@pytest.fixture(scope="session")
def attack_diffs(redteam_targets) -> dict[tuple[str, str], str]:
    """Every attack's diff for every project, made in one container of each task."""
    diffs = {}
    for label, target in redteam_targets.items():
        chosen = [a for a in ATTACKS if label in a.projects]
        scripted = [a for a in chosen if a.payload]
        made = derive_patches(target.task_image, [("", _append_script(target.target, a.source(target.function)), True)
                                                  for a in scripted])
        diffs.update({(label, a.name): d for a, d in zip(scripted, made)})
        f2p_file = _test_file(target.record.verifier.args["fail_to_pass"][0])
        for attack in chosen:
            if attack.diff is not None:
                diffs[label, attack.name] = attack.diff(target.target, f2p_file)
    return diffs


def _grade(target, diff: str):
    artifacts = execute_submission(target.record, target.run, diff, target.task_image)
    return grade(target.record, diff, target.run, SimpleNamespace(extra={"artifacts": artifacts})), artifacts


GRADERS = 2
"""Attacks graded at once ahead of their tests (each grading is mostly one test process in a
container: two side by side keep both of CI's cores busy)."""


@pytest.fixture(scope="session")
def graded_attacks(request, redteam_targets, attack_diffs) -> dict[tuple[str, str], Future]:
    """The verdict and artifacts of every selected `test_attack_fails` case, graded `GRADERS` at a
    time in the tests' order from the first such test on; each test waits for its own."""
    keys = [(item.callspec.params["project"], item.callspec.params["attack"].name) for item in request.session.items
            if getattr(item, "originalname", None) == "test_attack_fails" and item.path == Path(__file__)]
    pool = ThreadPoolExecutor(max_workers=GRADERS, thread_name_prefix="redteam-grade")
    request.addfinalizer(lambda: pool.shutdown(cancel_futures=True))
    return {key: pool.submit(_grade, redteam_targets[key[0]], attack_diffs[key]) for key in keys}


@pytest.mark.parametrize(("project", "attack"), list(_cases()))
def test_attack_fails(project: str, attack: Attack, graded_attacks):
    verdict, artifacts = graded_attacks[project, attack.name].result()
    logs = " | ".join(r.get("log", "")[-400:] for r in artifacts.get("runs", []))
    assert verdict.status == "fail" and verdict.reward == 0.0, (verdict.status, [
        (c.name, c.message) for c in verdict.checks if not c.passed], logs[-1200:])


def _through_tools(target, source: str):
    env = family("code").open(target.record, target.run)
    try:
        result = env.call("bash", json.dumps({"command": _append_script(target.target, source)}))
        assert json.loads(result.content)["exit_code"] == 0
        env.call("submit", "{}")
        assert env.submitted
        artifacts = env.finalize()
    finally:
        env.close()
    return grade(target.record, env.submission, target.run, SimpleNamespace(extra={"artifacts": artifacts}))


TOOL_CASES = [("moreit", "should_stop"), ("toolz", "compiled_under_the_runner_file")]


@pytest.mark.parametrize(("project", "name"), [
    pytest.param(p, n, id=f"{n}-{p}", marks=[pytest.mark.xfail(strict=True, reason=f"{WINNING[p, n]} still wins")]
                 if (p, n) in WINNING else []) for p, n in TOOL_CASES])
def test_attack_through_the_agents_tools_fails(project: str, name: str, redteam_targets):
    target = redteam_targets[project]
    attack = next(a for a in ATTACKS if a.name == name)
    verdict = _through_tools(target, attack.source(target.function))
    assert verdict.status == "fail" and verdict.reward == 0.0, verdict
