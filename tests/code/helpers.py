"""Helpers of the Docker tests: act in a code environment as an agent would, then grade."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from synth import TupleRecord, Verdict, family, grade
from synth.environments.code import grading_run
from synth.environments.code._family import test_patch_of


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
            args = record.verifier.args
            artifacts = grading_run(env.images["task"], env.submission, test_patch_of(record, run), args["runner"],
                                    list(args["test_files"]), timeout)
    finally:
        env.close()
    verdict: Verdict = grade(record, env.submission, run, SimpleNamespace(extra={"artifacts": artifacts}))
    return verdict, artifacts, results


def failing(verdict: Verdict) -> set[str]:
    return {c.name for c in verdict.checks if not c.passed}
