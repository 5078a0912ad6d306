"""code.tests: grade a code submission from the stored artifacts of its grading run.

Pure function of the tuple's verifier args (FAIL_TO_PASS, PASS_TO_PASS, runner) and the
`GradingArtifacts` that `Environment.finalize()` stored with the trajectory (JUnit XML, capped log,
exit code), so `synth verify --regrade` needs no container. Checks: the artifacts belong to this
submission, the submission and the test patch applied, the test run is valid (JUnit results
present and consistent with the runner's exit code; no results is invalid, never a pass), every
FAIL_TO_PASS test passed, every PASS_TO_PASS test passed. Missing or malformed artifacts are a
verifier error, not a fail.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import ValidationError

from synth import Check, TupleRecord, VerifierError, register_verifier

from ._artifacts import GradingArtifacts
from ._junit import judge


def _artifacts(trajectory: Any) -> GradingArtifacts:
    stored = (getattr(trajectory, "extra", None) or {}).get("artifacts") if trajectory is not None else None
    if not stored:
        raise VerifierError("no grading artifacts: the submission was not executed (Environment.finalize)")
    try:
        return GradingArtifacts.model_validate(stored)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "artifacts"
        raise VerifierError(f"malformed grading artifacts: {where}: {first['msg']}") from None


@register_verifier("code.tests")
def code_tests(
    record: TupleRecord,
    submission: Any,
    run: Any,
    *,
    trajectory: Any = None,
    runner: str = "pytest",
    fail_to_pass: list[str] = (),  # type: ignore[assignment]
    pass_to_pass: list[str] = (),  # type: ignore[assignment]
    **_: Any,
) -> list[Check]:
    artifacts = _artifacts(trajectory)
    text = submission if isinstance(submission, str) else ""
    digest = hashlib.sha256(text.encode()).hexdigest()
    matches = artifacts.submission_sha256 == digest
    checks = [Check(name="artifacts_match", passed=matches, expected=digest[:16], actual=artifacts.submission_sha256[:16],
                    message="" if matches else "artifacts are of another submission")]
    dropped = artifacts.dropped_paths
    checks.append(Check(name="patch_applied", passed=artifacts.patch_applied, actual=artifacts.apply_log[-300:] or None,
                        message=(f"ignored changes to tests/test config: {', '.join(dropped[:5])}" if dropped else "")))
    checks.append(Check(name="test_patch_applied", passed=artifacts.test_patch_applied))
    judged = judge(artifacts.runs[0]) if artifacts.runs else None
    valid = judged is not None and judged.valid
    checks.append(Check(name="test_run_valid", passed=valid, expected="JUnit results consistent with the exit code",
                        actual=None if judged is None else (judged.reason or "valid"),
                        message="" if valid else (judged.reason if judged else "tests did not run")))
    results = judged.results if judged is not None and valid else {}
    f2p_bad = [t for t in fail_to_pass if results.get(t) != "passed"]
    p2p_bad = [t for t in pass_to_pass if results.get(t) != "passed"]
    checks.append(Check(name="fail_to_pass", passed=not f2p_bad and bool(fail_to_pass),
                        expected=len(fail_to_pass), actual=len(fail_to_pass) - len(f2p_bad),
                        message=f"not passing: {', '.join(f2p_bad[:5])}" if f2p_bad else ""))
    checks.append(Check(name="pass_to_pass", passed=not p2p_bad, expected=len(pass_to_pass),
                        actual=len(pass_to_pass) - len(p2p_bad),
                        message=f"broken: {', '.join(p2p_bad[:5])}" if p2p_bad else ""))
    return checks
