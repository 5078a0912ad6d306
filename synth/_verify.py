"""Verify: prove each tuple sound before anything trains on it, and flag the easy ones.

Sits after generate and before rollout/export. For every tuple it runs the gold solution through
the same tool-call path a model's calls take (recording it as a gold trajectory), requires the
verifier to pass it, and runs null controls that must fail: the empty answer and the family's
perturbations, each of which must fail on the very check it was built to break. It then runs the
family's baseline agents (cheap tool-only strategies, `Family.baselines`) through the same path: a
tuple one of them solves is *easy* (still sound, left out of exports unless asked). Results go to
`verdicts.jsonl` (one record per control: `gold`, `empty`, `perturb:NAME`, `baseline:NAME`) and
`trajectories.jsonl` (the gold trajectory); a re-run skips tuples already verified, so a killed
verify resumes, and a run verified before its family had baselines gets only the baselines.
Every run of verify first re-checks every asset the tuples name against its recorded sha256 (a
deleted or changed asset is one line naming it and its tuple, also when every tuple was verified
before), so "verified" always means the files a tuple needs are the ones it was proved with.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, NamedTuple

from . import _registry as registry
from ._family import Control
from ._records import (
    Check,
    FunctionCall,
    Message,
    TerminationReason,
    ToolCall,
    ToolSpec,
    Trajectory,
    TupleRecord,
    Verdict,
    VerdictRecord,
    content_key,
)
from ._errors import StoreError
from ._store import Run
from ._tools import ToolClient

BASELINE = "baseline:"
"""Prefix of a baseline control's name in verdicts.jsonl."""


class _Episode(NamedTuple):
    """What one tools-only agent (gold or baseline) left behind."""

    messages: list[Message]
    """The transcript (empty when not recorded)."""
    tools: list[ToolSpec]
    submitted: bool
    submission: Any
    artifacts: dict[str, Any]
    error: str | None
    """Why the agent crashed, if it did."""


def _agent_episode(record: TupleRecord, run: Run, solve: Callable[[ToolClient], None], *, transcript: bool) -> _Episode:
    """Open the tuple's environment and let `solve` act through a ToolClient: the one path every
    agent's calls take (`Environment.call`), never the environment's state."""
    fam = registry.family(record.environment.family)
    counter = itertools.count(1)
    with fam.open(record, run) as env:
        messages = fam.prompt_messages(record) if transcript else []

        def send(name: str, arguments: str) -> str:
            if not transcript:
                return env.call(name, arguments).content
            call_id = f"call_{next(counter)}"
            call = ToolCall(id=call_id, function=FunctionCall(name=name, arguments=arguments))
            messages.append(Message(role="assistant", content=None, tool_calls=[call]))
            result = env.call(name, arguments)
            messages.append(Message(role="tool", tool_call_id=call_id, name=name, content=result.content))
            return result.content

        error = None
        try:
            solve(ToolClient(send, env.tools))
        except Exception as exc:  # an agent that crashes is recorded, never the end of the run
            error = f"{type(exc).__name__}: {exc}"
        artifacts = env.finalize() if error is None else {}
        return _Episode(messages, env.tools, env.submitted, env.submission, artifacts, error)


def gold_trajectory(record: TupleRecord, run: Run) -> Trajectory:
    """Run the tuple's gold solution as an agent would and grade its submission."""
    fam = registry.family(record.environment.family)
    episode = _agent_episode(record, run, lambda client: fam.solve_gold(record, run, client), transcript=True)
    messages, submitted = episode.messages, episode.submitted
    if submitted:
        messages.append(Message(role="assistant", content="I have submitted the answer."))
    trajectory = Trajectory(
        task_key=record.key,
        source="gold",
        messages=messages,
        tools=episode.tools,
        submission=episode.submission,
        termination=TerminationReason.SUBMITTED if submitted else TerminationReason.ENVIRONMENT_ERROR,
        tool_errors=sum(1 for m in messages if m.role == "tool" and m.content and m.content.startswith('{"error"')),
        extra={"artifacts": episode.artifacts} if episode.artifacts else {},
    )
    if episode.error is not None:  # a gold solution that crashes makes the tuple unsound, not the run fail
        verdict = Verdict.crashed(f"gold solution crashed: {episode.error}")
    elif not submitted:
        verdict = Verdict.crashed("gold solution ended without submitting")
    else:
        verdict = registry.grade(record, episode.submission, run, trajectory)
    return trajectory.model_copy(update={"verdict": verdict})


def baseline_records(record: TupleRecord, run: Run, names: tuple[str, ...] | None = None) -> list[VerdictRecord]:
    """Run each baseline agent of the tuple (or only `names`) through the tool path and grade what
    it submits. A baseline record expects `fail`; a pass marks the tuple easy (it stays sound). A
    baseline the verifier cannot grade, or one that crashes, makes the tuple unsound: both are
    bugs to fix, not facts about the task."""
    fam = registry.family(record.environment.family)
    out = []
    for name in fam.baselines(record) if names is None else names:
        episode = _agent_episode(record, run, lambda client: fam.solve_baseline(record, run, client, name),
                                 transcript=False)
        if episode.error is not None:
            verdict = Verdict.crashed(f"baseline {name} crashed: {episode.error}")
        elif not episode.submitted:
            verdict = Verdict(reward=0.0, status="fail", checks=[
                Check(name="submitted", passed=False, expected="a submission", message=f"baseline {name} gave up")])
        else:
            evidence = Trajectory(task_key=record.key, source="model", model=f"{BASELINE}{name}", messages=[],
                                  tools=episode.tools, submission=episode.submission,
                                  termination=TerminationReason.SUBMITTED,
                                  extra={"artifacts": episode.artifacts} if episode.artifacts else {})
            verdict = registry.grade(record, episode.submission, run, evidence)
        out.append(VerdictRecord(task_key=record.key, control=f"{BASELINE}{name}", expect="fail", verdict=verdict,
                                 sound=verdict.status != "error"))
    return out


def _evaluated(fam: Any, record: TupleRecord, run: Run, controls: list[Control]) -> Iterator[Verdict]:
    """The verdict of each control in order, `fam.control_width` graded at once."""
    width = min(fam.control_width, len(controls))
    if width <= 1:
        yield from (fam.evaluate(record, run, c.submission) for c in controls)
        return
    pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="synth-control")
    try:
        yield from pool.map(lambda c: fam.evaluate(record, run, c.submission), controls)
    finally:  # an interrupt or a crash starts no further control; the running ones end on their own
        pool.shutdown(wait=False, cancel_futures=True)


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
    for control, verdict in zip(controls, _evaluated(fam, record, run, controls)):
        failing = {c.name for c in verdict.checks if not c.passed}
        sound = verdict.status == "fail" and (control.breaks is None or control.breaks in failing)
        name = control.name if control.name == "empty" else f"perturb:{control.name}"
        out.append(
            VerdictRecord(task_key=record.key, control=name, expect="fail", breaks=control.breaks, verdict=verdict, sound=sound)
        )
    return out


@dataclass
class Level:
    """Baseline results of the tuples of one (family, category, difficulty)."""

    tuples: int = 0
    """Tuples whose baselines ran."""
    easy: int = 0
    """Of them, tuples at least one baseline solved."""
    runs: Counter = field(default_factory=Counter)
    """Baseline name -> tuples it ran on."""
    passed: Counter = field(default_factory=Counter)
    """Baseline name -> tuples it solved."""


@dataclass
class Summary:
    """Counts of a verify stage, per (family, category), and baseline pass rates per level."""

    rows: dict[tuple[str, str], Counter] = field(default_factory=lambda: defaultdict(Counter))
    """tuples, sound, unsound, unverified, controls, easy."""
    unsound: list[tuple[str, str, str]] = field(default_factory=list)
    """(task key, control, reason) of every control that did not give what it must."""
    levels: dict[tuple[str, str, int], Level] = field(default_factory=lambda: defaultdict(Level))
    """(family, category, difficulty) -> baseline results."""

    @property
    def ok(self) -> bool:
        return not self.unsound


def unsound_reason(item: VerdictRecord) -> str:
    if item.expect == "pass":
        return f"gold did not pass: {item.verdict.first_failure()}"
    if item.control.startswith(BASELINE):
        return f"baseline not graded: {item.verdict.error}"
    if item.verdict.status == "error":
        return f"verifier error: {item.verdict.error}"
    if item.verdict.status == "pass":
        return "null control passed (loophole)"
    return f"failed, but not on {item.breaks}: {item.verdict.first_failure()}"


def _missing_baselines(record: TupleRecord, done: Any) -> tuple[str, ...]:
    names = registry.family(record.environment.family).baselines(record)
    return tuple(n for n in names if content_key([record.key, f"{BASELINE}{n}"]) not in done)


def verify_tuple(run: Run, record: TupleRecord) -> tuple[Trajectory, list[VerdictRecord]]:
    """The gold trajectory, the graded controls and the baselines of one tuple (a work item of an
    executor)."""
    gold = gold_trajectory(record, run)
    return gold, control_records(record, run, gold) + baseline_records(record, run)


def verify_run(run: Run, tuples: list[TupleRecord], bar: Any = None, *, executor: Any = None, setup: Any = None) -> Summary:
    """Verify every tuple of `tuples` not yet verified in `run` (on `executor`'s workers when
    given; results are appended here in tuple order); return the summary over all of them."""
    check_assets(run, tuples)
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
        for record in tuples:
            missing = _missing_baselines(record, done_verdicts) if record.key in done_gold else ()
            for item in baseline_records(record, run, missing) if missing else ():
                verdicts.append(item)  # verified before its family had these baselines
        for gold, items in results:
            for item in items:
                if item.key not in done_verdicts:
                    verdicts.append(item)
            trajectories.append(gold)
            if bar is not None:
                bar.advance()
    return summarize(run, tuples)


def _asset_refs(value: Any) -> Iterator[tuple[str, str]]:
    """(path, sha256) of every asset reference inside a record's JSON."""
    if isinstance(value, dict):
        if set(value) <= {"path", "sha256", "media_type", "schema_version"} and {"path", "sha256"} <= set(value) \
                and isinstance(value["path"], str) and value["path"].startswith("assets/"):
            yield value["path"], str(value["sha256"])
            return
        for item in value.values():
            yield from _asset_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _asset_refs(item)


def check_assets(run: Run, tuples: list[TupleRecord]) -> int:
    """Re-read every asset `tuples` name and compare it with its recorded sha256; StoreError (one
    line naming the asset and a tuple that needs it) when one is missing or differs. Returns how
    many distinct assets were checked."""
    import hashlib

    seen: set[str] = set()
    for record in tuples:
        for path, digest in _asset_refs(record.model_dump(mode="json")):
            if path in seen:
                continue
            seen.add(path)
            target = run.path / path
            try:
                hasher = hashlib.sha256()
                with open(target, "rb") as handle:
                    for block in iter(lambda: handle.read(1 << 20), b""):
                        hasher.update(block)
            except OSError as exc:
                raise StoreError(f"asset {path} of tuple {record.key[:12]} is unreadable ({exc.strerror}); the run was"
                                 " changed after it was generated: generate it again") from None
            if hasher.hexdigest() != digest:
                raise StoreError(f"asset {path} of tuple {record.key[:12]} does not match its recorded sha256 (changed"
                                 " after it was generated): generate the run again") from None
    return len(seen)


def summarize(run: Run, tuples: list[TupleRecord] | None = None) -> Summary:
    tuples = tuples if tuples is not None else run.tuples().read()
    by_key = {t.key: t for t in tuples}
    summary = Summary()
    per_task: dict[str, list[VerdictRecord]] = defaultdict(list)
    for item in run.verdicts():
        per_task[item.task_key].append(item)
    for key, record in by_key.items():
        env = record.environment
        row = summary.rows[(env.family, env.category)]
        row["tuples"] += 1
        items = per_task.get(key, [])
        if not items:
            row["unverified"] += 1
            continue
        baselines = [i for i in items if i.control.startswith(BASELINE)]
        row["controls"] += len(items) - 1 - len(baselines)
        bad = [i for i in items if not i.sound]
        row["sound" if not bad else "unsound"] += 1
        for item in bad:
            summary.unsound.append((key, item.control, unsound_reason(item)))
        if baselines:
            level = summary.levels[(env.family, env.category, env.difficulty)]
            level.tuples += 1
            for item in baselines:
                name = item.control.removeprefix(BASELINE)
                level.runs[name] += 1
                level.passed[name] += item.verdict.status == "pass"
            if any(i.verdict.status == "pass" for i in baselines):
                level.easy += 1
                row["easy"] += 1
    return summary


def sound_keys(run: Run) -> set[str]:
    """Keys of tuples whose gold passed, every null control failed as it must and every baseline
    was graded (easy tuples included: see `easy_keys`)."""
    per_task: dict[str, bool] = {}
    for item in run.verdicts():
        per_task[item.task_key] = per_task.get(item.task_key, True) and item.sound
    return {k for k, ok in per_task.items() if ok}


def easy_keys(run: Run) -> set[str]:
    """Keys of tuples that at least one baseline agent solved."""
    return {item.task_key for item in run.verdicts()
            if item.control.startswith(BASELINE) and item.verdict.status == "pass"}
