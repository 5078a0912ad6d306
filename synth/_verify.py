"""Verify: prove each tuple sound before anything trains on it.

Sits after generate and before rollout/export. For every tuple it runs the gold solution through
the same tool-call path a model's calls take (recording it as a gold trajectory), requires the
verifier to pass it, and runs null controls that must fail: the empty answer and the family's
perturbations, each of which must fail on the very check it was built to break. Results go to
`verdicts.jsonl` (one record per control) and `trajectories.jsonl` (the gold trajectory); a
re-run skips tuples already verified, so a killed verify resumes.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from . import _registry as registry
from ._family import Control
from ._records import (
    FunctionCall,
    Message,
    TerminationReason,
    ToolCall,
    Trajectory,
    TupleRecord,
    Verdict,
    VerdictRecord,
)
from ._store import Run
from ._tools import ToolClient


def gold_trajectory(record: TupleRecord, run: Run) -> Trajectory:
    """Run the tuple's gold solution as an agent would and grade its submission."""
    fam = registry.family(record.environment.family)
    counter = itertools.count(1)
    with fam.open(record, run) as env:
        messages = fam.prompt_messages(record)

        def send(name: str, arguments: str) -> str:
            call_id = f"call_{next(counter)}"
            call = ToolCall(id=call_id, function=FunctionCall(name=name, arguments=arguments))
            messages.append(Message(role="assistant", content=None, tool_calls=[call]))
            result = env.call(name, arguments)
            messages.append(Message(role="tool", tool_call_id=call_id, name=name, content=result.content))
            return result.content

        client = ToolClient(send, env.tools)
        error = None
        try:
            fam.solve_gold(record, run, client)
        except Exception as exc:  # a gold solution that crashes makes the tuple unsound, not the run fail
            error = f"gold solution crashed: {type(exc).__name__}: {exc}"
        artifacts = env.finalize() if error is None else {}
        submitted, submission = env.submitted, env.submission
        tools = env.tools
    if submitted:
        messages.append(Message(role="assistant", content="I have submitted the answer."))
    trajectory = Trajectory(
        task_key=record.key,
        source="gold",
        messages=messages,
        tools=tools,
        submission=submission,
        termination=TerminationReason.SUBMITTED if submitted else TerminationReason.ENVIRONMENT_ERROR,
        tool_errors=sum(1 for m in messages if m.role == "tool" and m.content and m.content.startswith('{"error"')),
        extra={"artifacts": artifacts} if artifacts else {},
    )
    if error is not None:
        verdict = Verdict.crashed(error)
    elif not submitted:
        verdict = Verdict.crashed("gold solution ended without submitting")
    else:
        verdict = registry.grade(record, submission, run, trajectory)
    return trajectory.model_copy(update={"verdict": verdict})


def control_records(record: TupleRecord, run: Run, gold: Trajectory) -> list[VerdictRecord]:
    """Grade the gold trajectory and every null control of one tuple."""
    fam = registry.family(record.environment.family)
    assert gold.verdict is not None
    out = [
        VerdictRecord(
            task_key=record.key, control="gold", expect="pass", verdict=gold.verdict, sound=gold.verdict.status == "pass"
        )
    ]
    controls = [Control("empty", fam.empty_submission(record))]
    if gold.verdict.status == "pass":
        try:
            controls += fam.controls(record, run, gold.submission)
        except Exception as exc:
            out.append(
                VerdictRecord(
                    task_key=record.key,
                    control="perturb:*",
                    expect="fail",
                    verdict=Verdict.crashed(f"building perturbations crashed: {type(exc).__name__}: {exc}"),
                    sound=False,
                )
            )
    for control in controls:
        verdict = fam.evaluate(record, run, control.submission)
        failing = {c.name for c in verdict.checks if not c.passed}
        sound = verdict.status == "fail" and (control.breaks is None or control.breaks in failing)
        name = control.name if control.name == "empty" else f"perturb:{control.name}"
        out.append(
            VerdictRecord(task_key=record.key, control=name, expect="fail", breaks=control.breaks, verdict=verdict, sound=sound)
        )
    return out


@dataclass
class Summary:
    """Counts of a verify stage, per (family, category)."""

    rows: dict[tuple[str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    unsound: list[tuple[str, str, str]] = field(default_factory=list)
    """(task key, control, reason) of every control that did not give what it must."""

    @property
    def ok(self) -> bool:
        return not self.unsound


def unsound_reason(item: VerdictRecord) -> str:
    if item.expect == "pass":
        return f"gold did not pass: {item.verdict.first_failure()}"
    if item.verdict.status == "error":
        return f"verifier error: {item.verdict.error}"
    if item.verdict.status == "pass":
        return "null control passed (loophole)"
    return f"failed, but not on {item.breaks}: {item.verdict.first_failure()}"


def verify_tuple(run: Run, record: TupleRecord) -> tuple[Trajectory, list[VerdictRecord]]:
    """The gold trajectory and the graded controls of one tuple (a work item of an executor)."""
    gold = gold_trajectory(record, run)
    return gold, control_records(record, run, gold)


def verify_run(run: Run, tuples: list[TupleRecord], bar: Any = None, *, executor: Any = None, setup: Any = None) -> Summary:
    """Verify every tuple of `tuples` not yet verified in `run` (on `executor`'s workers when
    given; results are appended here in tuple order); return the summary over all of them."""
    verdicts = run.verdicts()
    trajectories = run.trajectories()
    done_verdicts = verdicts.keys()
    done_gold = {t.task_key for t in trajectories if t.source == "gold"}
    todo = [record for record in tuples if record.key not in done_gold]
    if bar is not None:
        bar.advance(len(tuples) - len(todo))
    results = (executor.map(verify_tuple, todo, shared=run, setup=setup) if executor is not None
               else (verify_tuple(run, record) for record in todo))
    with verdicts, trajectories:
        for gold, items in results:
            for item in items:
                if item.key not in done_verdicts:
                    verdicts.append(item)
            trajectories.append(gold)
            if bar is not None:
                bar.advance()
    return summarize(run, tuples)


def summarize(run: Run, tuples: list[TupleRecord] | None = None) -> Summary:
    tuples = tuples if tuples is not None else run.tuples().read()
    by_key = {t.key: t for t in tuples}
    summary = Summary()
    per_task: dict[str, list[VerdictRecord]] = defaultdict(list)
    for item in run.verdicts():
        per_task[item.task_key].append(item)
    for key, record in by_key.items():
        row = summary.rows[(record.environment.family, record.environment.category)]
        row["tuples"] += 1
        items = per_task.get(key, [])
        if not items:
            row["unverified"] += 1
            continue
        row["controls"] += len(items) - 1
        bad = [i for i in items if not i.sound]
        row["sound" if not bad else "unsound"] += 1
        for item in bad:
            summary.unsound.append((key, item.control, unsound_reason(item)))
    return summary


def sound_keys(run: Run) -> set[str]:
    """Keys of tuples whose gold passed and every null control failed as it must."""
    per_task: dict[str, bool] = {}
    for item in run.verdicts():
        per_task[item.task_key] = per_task.get(item.task_key, True) and item.sound
    return {k for k, ok in per_task.items() if ok}
