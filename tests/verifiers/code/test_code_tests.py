"""code.tests grades stored GradingArtifacts alone: no container, no family, and artifacts whose
stored layout never changes (so stored trajectories regrade and stay byte-identical)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from synth import VerifierError, records
from synth.verifiers.code import GradingArtifacts, Harness, TestRun, code_tests

PATCH = ("diff --git a/calc.py b/calc.py\n--- a/calc.py\n+++ b/calc.py\n@@ -1 +1 @@\n-    return abs(a) + abs(b)\n"
         "+    return a + b\n")
XML = ('<testsuites><testsuite><testcase classname="t" name="fixed"/><testcase classname="t" name="kept"/>'
       '</testsuite></testsuites>')
RECHECK = XML
HARNESS = Harness(config="setup.cfg", plugins=["pytest_mock"])


def _grade(submission: str, artifacts: dict, **args):
    checks = code_tests(None, submission, None, trajectory=SimpleNamespace(extra={"artifacts": artifacts}),
                        fail_to_pass=["t::fixed"], pass_to_pass=["t::kept"], **args)
    return {c.name: c.passed for c in checks}


SOLO = '<testsuites><testsuite><testcase classname="t" name="fixed"/></testsuite></testsuites>'


def _artifacts(submission: str = PATCH, **changes) -> dict:
    main = TestRun(runner="keyed", exit_code=0, junit_xml=XML,
                   log="synth-keyed (main): 2 passed, 0 failed, 0 errors, 0 skipped", duration=0.5)
    second = TestRun(runner="keyed", exit_code=0, junit_xml=SOLO,
                     log="synth-keyed (solo): 1 passed, 0 failed, 0 errors, 0 skipped", duration=0.3)
    fields = dict(submission_sha256=hashlib.sha256(submission.encode()).hexdigest(), patch_applied=True,
                  test_patch_applied=True, runs=[main, second], harness_version=3, harness=HARNESS)
    return GradingArtifacts(**{**fields, **changes}).model_dump(mode="json")


def test_stored_artifacts_keep_the_layout_of_earlier_runs():
    """Fields only ever get added at the end, so artifacts stored by earlier versions still load."""
    stored = _artifacts(dropped_paths=["tests/test_calc.py"], apply_log="ok")
    assert list(stored) == ["submission_sha256", "dropped_paths", "patch_applied", "test_patch_applied", "apply_log",
                            "runs", "rejected", "harness_version", "harness", "tamper"]
    assert list(stored["runs"][0]) == ["runner", "exit_code", "timed_out", "junit_xml", "log", "duration", "command"]
    earlier = ('{"submission_sha256": "x", "dropped_paths": [], "patch_applied": false, "test_patch_applied": false, '
               '"apply_log": "", "runs": [{"runner": "pytest", "exit_code": 0, "timed_out": false, "junit_xml": null, '
               '"log": "", "duration": 0.0}]}')
    loaded = GradingArtifacts.model_validate_json(earlier)
    assert loaded.harness_version == 1 and loaded.harness is None and loaded.runs[0].command == ""


def test_artifact_records_are_listed_by_synth_schema():
    known = records()
    assert known["GradingArtifacts"] is GradingArtifacts and known["TestRun"] is TestRun
    described = GradingArtifacts.model_json_schema()["properties"]
    assert all(field.get("description") for field in described.values())


def test_a_submission_whose_tests_pass_passes_every_check():
    assert set(_grade(PATCH, _artifacts(), harness=HARNESS.model_dump()).values()) == {True}


def test_artifacts_of_another_submission_fail():
    assert _grade("", _artifacts())["artifacts_match"] is False


def test_an_invalid_run_passes_no_test():
    broken = _artifacts(runs=[TestRun(runner="pytest", exit_code=5, junit_xml=XML)])
    checks = _grade(PATCH, broken)
    assert not checks["test_run_valid"] and not checks["fail_to_pass"] and not checks["pass_to_pass"]


def test_a_pass_the_solo_reading_does_not_confirm_fails():
    main = _artifacts()["runs"][0]
    unconfirmed = TestRun(runner="keyed", exit_code=1, junit_xml=SOLO.replace('name="fixed"/>', 'name="fixed">'
                          '<failure message="boom"/></testcase>'), log="synth-keyed (solo): 0 passed, 1 failed, 0 errors, 0 skipped")
    forged = TestRun(runner="keyed", exit_code=3, junit_xml=SOLO,
                     log="synth-keyed (solo): 1 passed, 0 failed, 0 errors, 0 skipped\nsynth: invalid run: a record without")
    for runs in ([main], [main, unconfirmed], [main, forged]):
        checks = _grade(PATCH, _artifacts(runs=runs))
        assert not checks["second_reading"] and checks["fail_to_pass"] and checks["test_run_valid"]


def test_a_construct_the_tamper_scan_found_fails_unless_the_gold_adds_it_too():
    flagged = _artifacts(tamper=["calc.py:3: gc (import gc)"])
    assert not _grade(PATCH, flagged)["tamper_scan"]
    allowed = Harness(config="setup.cfg", plugins=["pytest_mock"], scan_allow=["gc (import gc)"])
    assert _grade(PATCH, _artifacts(tamper=["calc.py:3: gc (import gc)"], harness=allowed),
                  harness=allowed.model_dump())["tamper_scan"]


def test_a_refused_submission_fails_on_submission_allowed():
    assert not _grade(PATCH, _artifacts(rejected="conftest.py: a test or test-configuration file"))["submission_allowed"]
    smuggled = PATCH + "--- /dev/null\n+++ b/conftest.py\n@@ -0,0 +1 @@\n+import os\n"
    assert not _grade(smuggled, _artifacts(submission=smuggled))["submission_allowed"]


def test_runner_internals_in_the_diff_fail_runner_untouched_unless_discarded():
    conftest = ("diff --git a/tests/conftest.py b/tests/conftest.py\nnew file mode 100644\n--- /dev/null\n"
                "+++ b/tests/conftest.py\n@@ -0,0 +1 @@\n+from _pytest import reports\n")
    wrapped = PATCH.replace("+    return a + b\n", "+    return a + b\n+from _pytest import reports\n").replace("-1 +1", "-1 +1,2")
    assert not _grade(wrapped, _artifacts(submission=wrapped))["runner_untouched"]
    both = PATCH + conftest
    assert _grade(both, _artifacts(submission=both, dropped_paths=["tests/conftest.py"]))["runner_untouched"]


def test_runs_made_with_another_harness_than_validation_pinned_fail():
    checks = _grade(PATCH, _artifacts(harness=Harness()), harness=HARNESS.model_dump())
    assert not checks["harness_pinned"]
    assert _grade(PATCH, _artifacts(harness=Harness()))["harness_pinned"]  # a task from before pinning


@pytest.mark.parametrize("version", [1, 2])
def test_artifacts_from_before_the_keyed_harness_are_a_verifier_error(version):
    old = _artifacts(harness_version=version, harness=None)
    with pytest.raises(VerifierError, match="before synth's keyed test harness"):
        _grade(PATCH, old)


@pytest.mark.parametrize("artifacts, message", [
    ({}, "no grading artifacts"),
    ({"submission_sha256": "x", "runs": [{"runner": "pytest"}]}, "malformed grading artifacts: runs.0.exit_code"),
    ({"submission_sha256": "x", "harness_version": 2, "harness": {"version": 2, "plugins": "x"}},
     "malformed grading artifacts: harness.plugins"),
    ({"submission_sha256": "x", "verdict": "pass"}, "malformed grading artifacts: verdict"),
])
def test_missing_or_malformed_artifacts_are_a_verifier_error_not_a_fail(artifacts, message):
    with pytest.raises(VerifierError, match=message):
        _grade(PATCH, artifacts)


def test_the_code_verifier_imports_no_family():
    script = "import sys, synth.verifiers.code; print(sorted(m for m in sys.modules if m.startswith('synth.environments')))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
