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
from synth.verifiers.code import GradingArtifacts, TestRun, code_tests

PATCH = "diff --git a/calc.py b/calc.py\n"
XML = ('<testsuites><testsuite><testcase classname="t" name="fixed"/><testcase classname="t" name="kept"/>'
       '</testsuite></testsuites>')


def _grade(submission: str, artifacts: dict, **args):
    checks = code_tests(None, submission, None, trajectory=SimpleNamespace(extra={"artifacts": artifacts}),
                        fail_to_pass=["t::fixed"], pass_to_pass=["t::kept"], **args)
    return {c.name: c.passed for c in checks}


def _artifacts(**changes) -> dict:
    run = TestRun(runner="pytest", exit_code=0, junit_xml=XML, log="2 passed", duration=0.5)
    fields = dict(submission_sha256=hashlib.sha256(PATCH.encode()).hexdigest(), patch_applied=True,
                  test_patch_applied=True, runs=[run])
    return GradingArtifacts(**{**fields, **changes}).model_dump(mode="json")


def test_stored_artifacts_keep_the_layout_of_earlier_runs():
    stored = _artifacts(dropped_paths=["tests/test_calc.py"], apply_log="ok")
    assert list(stored) == ["submission_sha256", "dropped_paths", "patch_applied", "test_patch_applied", "apply_log", "runs"]
    assert list(stored["runs"][0]) == ["runner", "exit_code", "timed_out", "junit_xml", "log", "duration"]
    assert json.dumps(GradingArtifacts(submission_sha256="x").model_dump(mode="json")) == (
        '{"submission_sha256": "x", "dropped_paths": [], "patch_applied": false, "test_patch_applied": false, '
        '"apply_log": "", "runs": []}')


def test_artifact_records_are_listed_by_synth_schema():
    known = records()
    assert known["GradingArtifacts"] is GradingArtifacts and known["TestRun"] is TestRun
    described = GradingArtifacts.model_json_schema()["properties"]
    assert all(field.get("description") for field in described.values())


def test_a_submission_whose_tests_pass_passes_every_check():
    assert set(_grade(PATCH, _artifacts()).values()) == {True}


def test_artifacts_of_another_submission_fail():
    assert _grade("", _artifacts())["artifacts_match"] is False


def test_an_invalid_run_passes_no_test():
    broken = _artifacts(runs=[TestRun(runner="pytest", exit_code=5, junit_xml=XML)])
    checks = _grade(PATCH, broken)
    assert not checks["test_run_valid"] and not checks["fail_to_pass"] and not checks["pass_to_pass"]


@pytest.mark.parametrize("artifacts, message", [
    ({}, "no grading artifacts"),
    ({"submission_sha256": "x", "runs": [{"runner": "pytest"}]}, "malformed grading artifacts: runs.0.exit_code"),
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
