"""The hardened harness in real Docker: validation and grading run one command, TestCase suites
run under synth's executor, and tasks validated before the harness existed still grade."""

from __future__ import annotations

import json

import pytest

import synth
from synth.environments.code import validate
from synth.environments.code import _family as code_family
from synth.verifiers.code import Harness

from .helpers import act, add_fix_task, execute, failing

pytestmark = pytest.mark.docker


def test_validation_and_grading_run_the_same_hardened_command(calc_run, monkeypatch):
    import synth.environments.code._exec as execution

    record = add_fix_task(calc_run)
    args = record.verifier.args
    seen: list[str] = []
    real = execution._launch

    def spy(*a, **k):
        runs = real(*a, **k)
        seen.extend(run.command for run in runs if run is not None)
        return runs

    monkeypatch.setattr(execution, "_launch", spy)
    gold = code_family.gold_patch_of(record, calc_run)
    validation = validate(code_family.images_for(record, calc_run)["task"], code_family.test_patch_of(record, calc_run), gold,
                          args["test_files"], k=1, timeout=60)
    assert validation.accepted and validation.harness == Harness.model_validate(args["harness"])
    validated, seen[:] = set(seen), []
    artifacts = code_family.execute_submission(record, calc_run, gold)
    main, second = (run["command"] for run in artifacts["runs"])
    assert {main, second} <= validated and seen == [main, second]
    assert main.startswith("PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 python -I -B launcher@") and " main keyed " in main
    assert "-c /dev/null --rootdir /testbed --confcutdir /testbed" in main and " solo keyed ids=1" in second  # the F2P test


def test_unittest_suites_run_under_synths_executor(shapes_run):
    (record,) = shapes_run.tuples().read()
    assert record.verifier.args["fail_to_pass"] == ["tests.test_shapes.AreaTests::test_rectangle"]
    verdict, artifacts, _ = act(shapes_run, record, [
        ("edit", {"path": "shapes/__init__.py", "old_str": "return width + height", "new_str": "return width * height"})])
    assert verdict.status == "pass", verdict.checks
    assert "synth-keyed (main): 6 passed, 0 failed, 0 errors, 0 skipped" in artifacts["runs"][0]["log"]
    assert "synth-keyed (solo): 1 passed, 0 failed, 0 errors, 0 skipped" in artifacts["runs"][1]["log"]


def test_tasks_validated_before_the_harness_was_pinned_still_grade(calc_run):
    """A tuple without a recorded harness (made before this version) is graded with the harness
    found from the task's own files; the verdict says so."""
    record = add_fix_task(calc_run)
    args = {k: v for k, v in record.verifier.args.items() if k != "harness"}
    old = record.model_copy(update={"verifier": record.verifier.model_copy(update={"args": args})})
    verdict, artifacts = execute(calc_run, old, code_family.gold_patch_of(record, calc_run))
    assert verdict.status == "pass", verdict.checks
    # the harness found from the task's files is the one validation pinned, less what only
    # validation can record (the gold's values: issue 17 item 6)
    recorded = {k: v for k, v in record.verifier.args["harness"].items() if k not in ("watch", "values")}
    assert artifacts["harness"] == {**recorded, "watch": {}, "values": {}}
    assert record.verifier.args["harness"]["values"]  # the calc task's gold recorded add()'s values
    pinned = next(c for c in verdict.checks if c.name == "harness_pinned")
    assert "predates pinning" in pinned.message


def test_submit_includes_what_the_agent_committed(calc_run):
    verdict, _, _ = act(calc_run, add_fix_task(calc_run), [
        ("edit", {"path": "calc/__init__.py", "old_str": "abs(a) + abs(b)", "new_str": "a + b"}),
        ("bash", {"command": "git commit -qam 'fix add'"}),
    ])
    assert verdict.status == "pass", verdict.checks


def test_submit_refuses_binary_files_with_a_tool_error_the_model_can_act_on(calc_run):
    record = add_fix_task(calc_run)
    env = synth.family("code").open(record, calc_run)
    try:
        env.call("bash", json.dumps({"command": "printf '\\x00\\x01\\x02' > calc/blob.bin"}))
        refused = env.call("submit", "{}")
        assert refused.error and json.loads(refused.content)["error"]["type"] == "refused"
        assert "calc/blob.bin: binary change" in refused.content and not env.submitted
        env.call("bash", json.dumps({"command": "rm calc/blob.bin"}))
        assert not env.call("submit", "{}").error and env.submitted  # removed, the next submit goes through
    finally:
        env.close()


def test_the_second_reading_is_made_of_forks_of_the_main_readings_process(calc_run):
    verdict, artifacts, _ = act(calc_run, add_fix_task(calc_run), [])
    main, solo = artifacts["runs"]  # one test process: the F2P tests in forks first, then the batch
    # (and the function the gold fixes returned what the broken one returns: not the gold's values)
    assert failing(verdict) == {"second_reading", "fail_to_pass", "gold_values"}
    assert "synth-keyed (solo): 0 passed" in solo["log"] and solo["log"] in main["log"]
    assert solo["exit_code"] == 1 and main["exit_code"] == 1


def test_the_scan_reads_the_same_files_with_gits_listing_as_on_its_own(calc_run):
    """The static scan's inputs (each changed file after the diff, and at the task's commit) are read
    back in git's listing command: the same flags as reading each file on its own, for a changed
    module, a new module and a .txt that is Python source; a symlink is read by neither."""
    import synth.environments.code._exec as execution

    record = add_fix_task(calc_run)
    with execution.start_test_box(code_family.images_for(record, calc_run)["task"]) as box:
        made = box.exec("cd /testbed && printf 'import gc\\nN = len(gc.get_objects())\\n' >> calc/__init__.py && "
                        "printf 'exec(\"x = 1\")\\n' > calc/extra.py && printf 'f = len.__code__\\n' > calc/notes.txt && "
                        "ln -s __init__.py calc/link.py && git add -A && git diff --cached --binary --no-renames HEAD && "
                        "git reset -q --hard HEAD && git clean -fdq", user=execution.USER, output_cap=1 << 20)
        assert made.exit_code == 0, made.output
        refused, applied, log, fetched = execution._apply_submission(box, made.output)
        assert applied and not refused, log
        folded, alone = execution.scan_changes(box, made.output, fetched), execution.scan_changes(box, made.output)
    assert folded == alone
    assert {flag.split(":")[0] for flag in folded} == {"calc/__init__.py", "calc/extra.py", "calc/notes.txt"}, folded
