"""End to end in real Docker on a repository the tests make: mining, setup, validation with
reruns and flake rates, the agent tools, grading from stored artifacts, verify's null controls."""

from __future__ import annotations

import json

import pytest

import synth
from synth import family, grade

from code_repos import FIX_MESSAGE
from .helpers import act, add_fix_task, failing

pytestmark = pytest.mark.docker


def test_generation_keeps_fixes_with_fail_to_pass_and_records_why_others_were_rejected(calc_run):
    tuples = calc_run.tuples().read()
    assert len(tuples) == 2
    add = add_fix_task(calc_run)
    args = add.verifier.args
    assert args["fail_to_pass"] == ["tests.test_calc::test_add_negative"]
    assert set(args["pass_to_pass"]) == {"tests.test_calc::test_add_positive", "tests.test_calc::test_mul"}
    assert FIX_MESSAGE.splitlines()[0] in add.task.prompt
    assert "test_add_negative" not in add.task.prompt + json.dumps(add.task.metadata)
    assert [t.name for t in add.environment.tools] == ["bash", "view", "edit", "submit"]
    rejections = calc_run.rejections().read()
    assert len(rejections) == 1 and "F2P = 0" in rejections[0].reason  # the mul refactor fixed nothing
    assert rejections[0].family == "code" and rejections[0].details["source"] == "git"
    assert rejections[0].details["fail_to_pass"] == 0  # the validation figures come with the reason


def test_flaky_tests_are_dropped_and_their_rate_recorded(calc_run):
    sub = [t for t in calc_run.tuples() if "sub()" in t.task.prompt][0]
    validation = sub.verifier.args["validation"]
    assert validation["flaky"] == ["tests.test_sub::test_toggle"] and validation["flake_rate"] == 0.5
    assert sub.verifier.args["fail_to_pass"] == ["tests.test_sub::test_sub"]


def test_environment_image_is_shared_and_task_layers_are_small(calc_run):
    from synth.sandbox import image_size

    add = add_fix_task(calc_run)
    images = add.environment.metadata["images"]
    total, own = image_size(images["task"])
    assert own < 1_000_000 < total  # the task adds a fresh repository, nothing else


def test_an_agent_fixing_the_bug_with_the_tools_passes(calc_run):
    record = add_fix_task(calc_run)
    verdict, artifacts, results = act(calc_run, record, [
        ("view", {"path": "calc/__init__.py", "start_line": 4, "end_line": 5}),
        ("edit", {"path": "calc/__init__.py", "old_str": "abs(a) + abs(b)", "new_str": "a + b"}),
        ("bash", {"command": "python -c 'from calc import add; print(add(-1, -2))'"}),
    ])
    assert results[0].content.count("\\t") == 2 and "def add(a, b):" in results[0].content
    assert json.loads(results[2].content)["output"].strip() == "-3"
    assert verdict.status == "pass", verdict.checks
    assert artifacts["runs"][0]["junit_xml"].count("<testcase") == 3


def test_tool_errors_are_structured_and_the_bash_tool_is_bounded(calc_run):
    record = add_fix_task(calc_run)
    env = family("code").open(record, calc_run)
    try:
        ambiguous = env.call("edit", json.dumps({"path": "calc/__init__.py", "old_str": "return", "new_str": "x"}))
        assert ambiguous.error and "exactly once" in ambiguous.content
        missing = env.call("view", json.dumps({"path": "nope.py"}))
        assert missing.error and "no such file" in missing.content
        created = env.call("edit", json.dumps({"path": "notes/todo.txt", "old_str": "", "new_str": "hi\n"}))
        assert not created.error
        slow = json.loads(env.call("bash", json.dumps({"command": "sleep 30", "timeout": 2})).content)
        assert slow["timed_out"] is True
        loud = json.loads(env.call("bash", json.dumps({"command": "yes | head -c 10000000"})).content)
        assert loud["truncated"] is True and len(loud["output"]) < 20_000
        env.call("submit", "{}")
        assert "notes/todo.txt" in env.submission
    finally:
        env.close()


def test_verify_passes_gold_and_fails_every_null_control(calc_run):
    summary = synth.verify(calc_run)
    assert summary.ok, summary.unsound
    controls = {(v.task_key, v.control): v for v in calc_run.verdicts()}
    names = {control for _, control in controls}
    assert names == {"gold", "empty", "perturb:conftest_skips_all", "perturb:fake_junit_and_passed_lines",
                     "perturb:entry_point_plugin", "perturb:root_pytest_module", "perturb:root_stdlib_shadow",
                     "perturb:smuggled_conftest_section", "perturb:renamed_header_conftest", "perturb:bytecode_only_fix",
                     "perturb:forced_exit_zero", "perturb:hidden_config_flipping_plugin",
                     "perturb:reports_flipped_at_import", "perturb:testcase_swallows_failures",
                     "perturb:reports_rewritten_at_exit", "perturb:framework_exception_swallowed",
                     "perturb:always_equal_return_values", "perturb:runner_compiled_under_its_own_file",
                     "perturb:synth_objects_found_on_the_heap", "perturb:records_forged_without_the_key"}
    assert all(v.sound for v in controls.values())
    # report files rewritten at exit are not what synth reads: the supervisor's XML from keyed records
    rewritten = [v for (_, name), v in controls.items() if name == "perturb:reports_rewritten_at_exit"]
    assert all("fail_to_pass" in {c.name for c in v.verdict.checks if not c.passed} for v in rewritten)


def test_regrading_reads_stored_artifacts_without_a_container(calc_run, monkeypatch):
    import synth.sandbox._docker as docker_module

    synth.verify(calc_run)  # resumes: already verified tuples are skipped
    gold = [t for t in calc_run.trajectories() if t.source == "gold"]
    assert gold and all(t.extra.get("artifacts") for t in gold)

    def no_engine():
        raise AssertionError("grading touched Docker")

    monkeypatch.setattr(docker_module, "engine", no_engine)
    records = {t.key: t for t in calc_run.tuples()}
    for trajectory in gold:
        verdict = grade(records[trajectory.task_key], trajectory.submission, calc_run, trajectory)
        assert verdict.status == "pass"
    tampered = gold[0].model_copy(update={"submission": ""})
    assert "artifacts_match" in failing(grade(records[gold[0].task_key], "", calc_run, tampered))


def test_missing_images_are_rebuilt_from_the_run_alone(calc_run):
    from synth.sandbox import engine, image_exists

    record = [t for t in calc_run.tuples() if "sub()" in t.task.prompt][0]
    task = record.environment.metadata["images"]["task"]
    engine().images.remove(task, force=True)
    assert not image_exists(task)
    env = family("code").open(record, calc_run)
    try:
        assert env.images["task"] == task  # same recipe, same tag
        assert json.loads(env.call("bash", json.dumps({"command": "git log --oneline | wc -l"})).content)["output"].strip() == "1"
    finally:
        env.close()
