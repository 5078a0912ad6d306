"""synthesized.sandbox: grade an answer by running the environment's stored verify.py in a fresh
sandbox over the stored database.

Sits under the synthesized family and over the core (and `_sandbox`, the execution of generated
code). Grading is a pure function of the stored tuple (its `files` and `db` assets) and the
submission text: the same inputs give the same checks (the gate ran every verifier twice before
the tuple existed), so `synth verify --regrade` rescores trajectories without a model. The answer
is read strictly before any generated code sees it (check `format`: JSON text of at most 64 KB,
no duplicate keys, no NaN or Infinity, no number over 4,300 digits); then verify.py gives one
check per requirement, and `verify` holds when all of them do (the check a null control of a
well-formed answer must break: verify.py itself, not the reading of the text, rejects it). A verify.py that crashes, hangs or attempts a forbidden action is a
verifier error (status error), never a fail.
"""

from __future__ import annotations

import json
from typing import Any

from synth import AssetRef, Check, StoreError, TupleRecord, VerifierError, register_verifier

from ._sandbox import TOOLS_USER, Outcome, fresh_sandbox, run_harness

MAX_ANSWER = 64 * 1024
"""Largest answer text, in characters."""


def clean(value: Any) -> Any:
    """`value` with every lone surrogate in its strings replaced (they cannot be stored as UTF-8)."""
    if isinstance(value, str):
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {clean(k): clean(v) for k, v in value.items()}
    return value


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_answer(submission: Any) -> tuple[Any, Check]:
    """(the parsed answer or None, the `format` check) of a submitted text, read strictly; lone
    surrogates in its strings are replaced (verify.py could not pass them to SQLite)."""
    if not isinstance(submission, str) or not submission.strip():
        return None, Check(name="format", passed=False, expected="JSON text", actual=None, message="no answer was submitted")
    if len(submission) > MAX_ANSWER:
        return None, Check(name="format", passed=False, expected=f"at most {MAX_ANSWER} characters", actual=len(submission),
                           message="the answer is too long")
    try:
        answer = json.loads(submission, object_pairs_hook=_pairs, parse_constant=_constant)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc) or type(exc).__name__
        return None, Check(name="format", passed=False, expected="JSON text", actual=clean(submission[:200]),
                           message=f"the answer is not JSON: {clean(reason)[:200]}")
    return clean(answer), Check(name="format", passed=True)  # lone surrogates cannot reach SQLite or a file


def stored_files(run: Any, record: TupleRecord) -> dict[str, str]:
    """The environment's files {name: text}, from its `files` asset."""
    ref = record.environment.state.get("files")
    if ref is None:
        raise StoreError(f"tuple {record.key[:12]} stores no environment files")
    return json.loads(run.read_asset(AssetRef.model_validate(ref)))


def answer_file(answer: Any) -> bytes:
    """An answer as the harness reads it (ASCII JSON: lone surrogates survive the trip)."""
    return json.dumps(answer, ensure_ascii=True).encode()


def grade_answer(verify_py: str, db: bytes, answer: Any, timeout: float, clock: float | None = None) -> Outcome:
    """Run verify(db, answer) once in a fresh sandbox (at the harness's fixed clock, or `clock`)."""
    files = {"/env/verify.py": verify_py.encode(), "/state/db.sqlite": db, "/io/answer.json": answer_file(answer)}
    with fresh_sandbox(files, owner=TOOLS_USER) as box:
        return run_harness(box, "grade", timeout=timeout, clock=clock)


def grade_answers(verify_py: str, db: bytes, answers: list[Any], timeout: float) -> Outcome:
    """verify(db, answer) for every answer in one sandbox, each in a process of its own; the
    outcome's value is {"graded": [{"checks": [...]} or {"error": ...}, ...]} in order."""
    files = {"/env/verify.py": verify_py.encode(), "/state/db.sqlite": db,
             "/io/answers.json": json.dumps(answers, ensure_ascii=True).encode()}
    with fresh_sandbox(files, owner=TOOLS_USER) as box:
        return run_harness(box, "grade_many", timeout=timeout, budget=30.0 + timeout * max(1, len(answers)) / 4)


def checks_of(outcome: Outcome) -> list[Check]:
    """The checks a grading run gave, then `verify` (all of them hold); VerifierError when the run
    gave none."""
    if not outcome.ok:
        raise VerifierError(outcome.problem("verify.py"))
    checks = [Check(name=clean(c["name"]), passed=c["passed"], message=clean(c.get("message", "")))
              for c in outcome.value.get("checks", [])]
    if not checks:
        raise VerifierError("verify.py returned no checks")
    failing = [c.name for c in checks if not c.passed]
    summary = Check(name="verify", passed=not failing, expected="every check of verify.py holds",
                    message=f"failing: {', '.join(failing[:8])}" if failing else "")
    return [*checks, summary]


@register_verifier("synthesized.sandbox")
def synthesized_sandbox(record: TupleRecord, submission: Any, run: Any, *, trajectory: Any = None,
                        timeout: float = 10.0, **_: Any) -> list[Check]:
    answer, fmt = parse_answer(submission)
    if not fmt.passed:
        return [fmt]
    db = run.read_asset(record.environment.state["db"])
    return [fmt, *checks_of(grade_answer(stored_files(run, record)["verify.py"], db, answer, timeout))]
