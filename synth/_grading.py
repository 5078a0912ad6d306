"""Grading stored trajectories, and the pass@k facts of a run's rollouts.

Sits after rollout (verify -> rollout -> export): a trajectory's verdict is a pure function of the
stored record, submission and artifacts (`grade_trajectory`), so `regrade_run` rescores a whole run
with no model and no environment; `task_stats` and `pass_at_k` are what the rollout summary, the
RL export and the pass-rate filter read.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import NamedTuple

from . import _registry as registry
from ._records import Check, TerminationReason, Trajectory, TupleRecord, Verdict
from ._store import Run


def grade_trajectory(record: TupleRecord, trajectory: Trajectory, run: Run) -> Verdict | None:
    """The verdict of a stored trajectory: None for infrastructure failures (never graded); a fail
    with a `submitted` check when the episode ended without an answer; else the task's verifier."""
    if trajectory.termination.infrastructure:
        return None
    if trajectory.submission is None:
        return Verdict(
            reward=0.0,
            status="fail",
            checks=[
                Check(
                    name="submitted",
                    passed=False,
                    expected="a submission",
                    actual=None,
                    message=f"the episode ended with {trajectory.termination.value} before an answer",
                )
            ],
        )
    return registry.grade(record, trajectory.submission, run, trajectory)


def latest_trajectories(run: Run) -> dict[str, Trajectory]:
    """Trajectories by key; when a key appears twice (an infrastructure failure re-run), the last wins."""
    return {t.key: t for t in run.trajectories()}


class TaskStats(NamedTuple):
    """Graded episodes of one task (infrastructure failures and verifier errors left out)."""

    n: int
    passed: int

    @property
    def pass_rate(self) -> float:
        return self.passed / self.n if self.n else 0.0

    def pass_at(self, k: int) -> float:
        return pass_at_k(self.n, self.passed, k)


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples with c passes: 1 - C(n-c, k) / C(n, k)."""
    if n <= 0 or k <= 0:
        return 0.0
    k = min(k, n)
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def task_stats(run: Run, model: str | None = None) -> dict[str, TaskStats]:
    """Per task key: graded model episodes and passes (optionally of one model)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for trajectory in latest_trajectories(run).values():
        if trajectory.source != "model" or (model is not None and trajectory.model != model):
            continue
        verdict = trajectory.verdict
        if trajectory.termination.infrastructure or verdict is None or verdict.status == "error":
            continue
        entry = counts[trajectory.task_key]
        entry[0] += 1
        entry[1] += verdict.status == "pass"
    return {key: TaskStats(n, c) for key, (n, c) in counts.items()}


def regrade_run(run: Run) -> dict[str, int]:
    """Regrade every stored trajectory from its record alone (no model, no environment replay) and
    rewrite trajectories.jsonl atomically. Returns counts: regraded, changed."""
    tuples = {t.key: t for t in run.tuples()}
    journal = run.trajectories()
    out, regraded, changed = [], 0, 0
    for trajectory in journal:
        record = tuples.get(trajectory.task_key)
        if record is None or (trajectory.source == "gold" and trajectory.termination is not TerminationReason.SUBMITTED):
            out.append(trajectory)
            continue
        verdict = grade_trajectory(record, trajectory, run)
        regraded += 1
        if (verdict and verdict.model_dump()) != (trajectory.verdict and trajectory.verdict.model_dump()):
            changed += 1
        out.append(trajectory.model_copy(update={"verdict": verdict}))
    journal.rewrite(out)
    return {"regraded": regraded, "changed": changed}
