"""code.tests: grade a code submission from the stored artifacts of its grading run.

Pure function of the tuple's verifier args (FAIL_TO_PASS, PASS_TO_PASS, the harness validation
pinned) and the `GradingArtifacts` that `Environment.finalize()` stored with the trajectory, so
`synth verify --regrade` needs no container. Checks, each a named line of the verdict:

- `artifacts_match`: the artifacts are of this submission;
- `submission_allowed`: the diff reads strictly and writes no path grading refuses (`_diff.py`),
  and git, in the grading container, saw nothing else (`GradingArtifacts.rejected`);
- `patch_applied`, `test_patch_applied`: both applied, test files restored first;
- `harness_pinned`: the runs used the harness the task was validated with;
- `runner_untouched`: the diff's added lines name no test-runner internals;
- `tamper_scan`: the changed Python files add no construct a fix never needs (frames, `gc`, code
  and closure internals, computed names on modules, test-framework exceptions, always-equal
  classes, ...: `_scan.py`), beyond those the task's gold adds itself;
- `test_run_valid`: the main reading's results exist (the root supervisor's XML, written from the
  keyed records it verified) and agree with the exit code and its summary line, and nothing in
  the test process did what no fix needs (no results is invalid, never a pass);
- `second_reading`: each FAIL_TO_PASS test passes again alone, in its own process with its own key;
- `fail_to_pass`, `pass_to_pass`: every such test passed in the main reading;
- `gold_values`: in each FAIL_TO_PASS test's confirming fork, the functions the gold changes returned
  what they returned with the gold, compared by value (`_behaviour.py`; functions whose values
  differed between two gold runs are optional, and tasks validated before it record none).

Missing or malformed artifacts, or artifacts made before the hardened harness, are a verifier
error (status error, never a fail or a pass).
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import ValidationError

from synth import Check, TupleRecord, VerifierError, register_verifier

from ._artifacts import GradingArtifacts
from ._behaviour import gold_values
from ._diff import problems, runner_tampering
from ._harness import HARNESS_VERSION, Harness
from ._junit import judge

OLD_ARTIFACTS = (
    "these grading artifacts were made before synth's keyed test harness (harness 3: results the test process "
    "cannot forge), so they cannot show the tests were not fooled; execute the submission again: synth verify on a "
    "fresh copy of the run (its trajectories.jsonl and verdicts.jsonl removed), or a new rollout"
)


def _artifacts(trajectory: Any) -> GradingArtifacts:
    stored = (getattr(trajectory, "extra", None) or {}).get("artifacts") if trajectory is not None else None
    if not stored:
        raise VerifierError("no grading artifacts: the submission was not executed (Environment.finalize)")
    try:
        artifacts = GradingArtifacts.model_validate(stored)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "artifacts"
        raise VerifierError(f"malformed grading artifacts: {where}: {first['msg']}") from None
    if artifacts.harness_version < HARNESS_VERSION:
        raise VerifierError(OLD_ARTIFACTS)
    return artifacts


@register_verifier("code.tests")
def code_tests(
    record: TupleRecord,
    submission: Any,
    run: Any,
    *,
    trajectory: Any = None,
    fail_to_pass: list[str] = (),  # type: ignore[assignment]
    pass_to_pass: list[str] = (),  # type: ignore[assignment]
    harness: dict[str, Any] | None = None,
    **_: Any,
) -> list[Check]:
    artifacts = _artifacts(trajectory)
    text = submission if isinstance(submission, str) else ""
    digest = hashlib.sha256(text.encode()).hexdigest()
    matches = artifacts.submission_sha256 == digest
    checks = [Check(name="artifacts_match", passed=matches, expected=digest[:16], actual=artifacts.submission_sha256[:16],
                    message="" if matches else "artifacts are of another submission")]
    refused = problems(text) + ([artifacts.rejected] if artifacts.rejected else [])
    checks.append(Check(name="submission_allowed", passed=not refused, actual=len(refused),
                        message="; ".join(refused)[:600]))
    dropped = artifacts.dropped_paths
    checks.append(Check(name="patch_applied", passed=artifacts.patch_applied, actual=artifacts.apply_log[-300:] or None,
                        message=(f"ignored changes to tests/test config: {', '.join(dropped[:5])}" if dropped else "")))
    checks.append(Check(name="test_patch_applied", passed=artifacts.test_patch_applied))
    pinned = Harness.model_validate(harness) if harness else None
    same = pinned is None or artifacts.harness in (None, pinned)
    checks.append(Check(name="harness_pinned", passed=same, expected=None if pinned is None else pinned.model_dump(),
                        actual=artifacts.harness.model_dump() if artifacts.harness else None,
                        message="" if pinned is not None or not same else
                        "the task predates pinning: the harness was found at grading, from the task's own files"))
    flags = runner_tampering(text, skip=set(dropped))
    checks.append(Check(name="runner_untouched", passed=not flags, actual=flags or None,
                        message=f"the diff names test-runner internals: {', '.join(flags)}" if flags else ""))
    allowed = set(pinned.scan_allow) if pinned is not None else set()
    flagged = [f for f in artifacts.tamper if f.split(": ", 1)[-1] not in allowed]
    checks.append(Check(name="tamper_scan", passed=not flagged, actual=flagged[:10] or None,
                        message=f"the diff adds what no fix needs: {'; '.join(flagged[:4])}" if flagged else ""))
    main = judge(artifacts.runs[0]) if artifacts.runs else None
    valid = main is not None and main.valid
    checks.append(Check(name="test_run_valid", passed=valid,
                        expected="JUnit results consistent with the exit code and the runner's summary",
                        actual=None if main is None else (main.reason or "valid"),
                        message="" if valid else (main.reason if main else "tests did not run")))
    results = main.results if main is not None and valid else {}
    second = judge(artifacts.runs[1]) if len(artifacts.runs) > 1 else None
    deciding = list(fail_to_pass)
    unconfirmed = [t for t in deciding if second is None or not second.valid or second.results.get(t) != "passed"]
    checks.append(Check(name="second_reading", passed=not unconfirmed and bool(fail_to_pass),
                        expected=len(deciding), actual=len(deciding) - len(unconfirmed),
                        message=("not run: the main reading already fails the task" if second is None else
                                 second.reason if not second.valid else
                                 f"not passing in the second reading: {', '.join(unconfirmed[:5])}" if unconfirmed else "")))
    f2p_bad = [t for t in fail_to_pass if results.get(t) != "passed"]
    p2p_bad = [t for t in pass_to_pass if results.get(t) != "passed"]
    checks.append(Check(name="fail_to_pass", passed=not f2p_bad and bool(fail_to_pass),
                        expected=len(fail_to_pass), actual=len(fail_to_pass) - len(f2p_bad),
                        message=f"not passing: {', '.join(f2p_bad[:5])}" if f2p_bad else ""))
    checks.append(Check(name="pass_to_pass", passed=not p2p_bad, expected=len(pass_to_pass),
                        actual=len(pass_to_pass) - len(p2p_bad),
                        message=f"broken: {', '.join(p2p_bad[:5])}" if p2p_bad else ""))
    checks.append(gold_values(pinned.values if pinned is not None else None,
                              artifacts.runs[1].junit_xml if len(artifacts.runs) > 1 else None, fail_to_pass))
    return checks
