"""Helpers of the Docker tests: act in a code environment as an agent would (or write a diff by
hand), then grade."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from synth import TupleRecord, Verdict, family, grade
from synth.environments.code._family import execute_submission


def add_fix_task(run) -> TupleRecord:
    """The tuple mined from the commit that fixes add()."""
    records = [t for t in run.tuples() if "add()" in t.task.prompt]
    assert len(records) == 1
    return records[0]


def act(run, record: TupleRecord, steps: list[tuple[str, dict[str, Any]]], *, timeout: float | None = None):
    """Call tools in a fresh environment, submit, execute and grade; returns (verdict, artifacts, results)."""
    env = family("code").open(record, run)
    results = []
    try:
        for name, args in steps:
            results.append(env.call(name, json.dumps(args)))
        env.call("submit", "{}")
        assert env.submitted
        if timeout is None:
            artifacts = env.finalize()
        else:
            env.close()
            timed = record.model_copy(update={"verifier": record.verifier.model_copy(
                update={"args": {**record.verifier.args, "timeout": timeout}})})
            artifacts = execute_submission(timed, run, env.submission, env.images["task"])
    finally:
        env.close()
    verdict: Verdict = grade(record, env.submission, run, SimpleNamespace(extra={"artifacts": artifacts}))
    return verdict, artifacts, results


def failing(verdict: Verdict) -> set[str]:
    return {c.name for c in verdict.checks if not c.passed}


def refused_at_submit(run, record: TupleRecord, steps: list[tuple[str, dict[str, Any]]]) -> tuple[str, str]:
    """Act, then submit: returns (the submit tool's error, the diff it refused, made by git)."""
    env = family("code").open(record, run)
    try:
        for name, args in steps:
            env.call(name, json.dumps(args))
        result = env.call("submit", "{}")
        assert result.error and not env.submitted, result.content
        diff = json.loads(env.call("bash", json.dumps({
            "command": "git add -A && git diff --cached --binary --no-renames HEAD"})).content)["output"]
    finally:
        env.close()
    return result.content, diff


def execute(run, record: TupleRecord, diff: str) -> tuple[Verdict, dict[str, Any]]:
    """Grade a hand-written diff the way a rollout's submission is graded."""
    artifacts = execute_submission(record, run, diff)
    return grade(record, diff, run, SimpleNamespace(extra={"artifacts": artifacts})), artifacts
