"""The gate: a synthesized environment becomes a tuple only when it is proven sound.

Sits between the synthesis agent (which calls it through its `check` tool) and the core's proof
of soundness. The gate is the procedural categories' gate and more; in order, stopping at the
first stage that fails (each failure one line the agent can act on):

1. the files: all there, within size, Python that parses, tools whose signatures synth can
   describe and validate (`_files.problems`);
2. the database: built twice in a sandbox, the same bytes both times, with rows;
3. the reference solution passes through the tool path (the core's `gold_trajectory`, the very
   function `synth verify` runs), calling at least one tool: it runs in a container of its own,
   without the database; from level 2 on, the task is harder than the level before (more checks,
   rows or tools);
4. null controls fail (the core's `control_records`): the empty, no-op, null and wrong-type
   answers and the agent's perturbations, each perturbation on the check it names; a verifier
   that crashes on them counts as unsound too;
5. determinism: the solution's tool calls replayed in a fresh process give the same results, and
   the verifier grades the gold answer the same way twice;
6. the baselines (`first_choice`, `greedy`) fail.

Time limits, the network, processes, file writes and database access are enforced in every
sandbox run of the steps above; an attempt fails the step with the reason. With `--pass-at K`,
the generator adds the pass-rate band after the gate (`_generate.py`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from synth import (
    EnvironmentSpec,
    Run,
    TaskSpec,
    ToolClient,
    Trajectory,
    TupleRecord,
    VerdictRecord,
    VerifierSpec,
    canonical_json,
    control_records,
    gold_trajectory,
    grade,
)
from synth.verifiers.synthesized import parse_answer

from ._baselines import baseline_answers, shape_of
from ._environment import (
    BuildFailed,
    Database,
    SynthesizedEnvironment,
    build_database,
    replay_calls,
    submit_tool,
    tools_of_record,
)
from ._files import Signature, json_schema_of, problems, remote_tool, tools_of
from ._settings import CategoryEntry

SYSTEM_PROMPT = (
    "You are an agent working in a sandboxed environment. You can only learn about the environment "
    "through the tools provided. Use them to gather the facts you need, make sure every requirement of "
    "the task holds, then call submit_result exactly once with your final answer as JSON text in the "
    "format the task asks for."
)
RESERVED_CHECKS = ("format", "verify")
"""synth's own checks of a synthesized verdict: the answer text is JSON; every check of verify.py holds."""
MAX_FAILURES = 8
"""Failures reported per gate run."""
_SYNTH_SIDE = ("invalid_json", "invalid_arguments", "unknown_tool", "already_submitted")
"""Tool errors synth's tool path gives before a call reaches the sandbox (nothing to replay)."""


@dataclass(frozen=True)
class Placement:
    """Where a candidate environment sits in the run."""

    candidate: str
    """Resume key of the candidate (category, session, level)."""
    category: CategoryEntry
    seed: int
    index: int
    """Session number over the whole run."""
    level: int
    """1-based step of the difficulty chain."""
    chain: tuple[str, ...] = ()
    """Task keys of the levels before, oldest first."""
    model: str = ""
    """The model that wrote it."""
    timeout: float = 10.0
    """Seconds each run of its generated code may take."""


@dataclass
class GateReport:
    """What one gate run found."""

    failures: list[str] = field(default_factory=list)
    """One line per problem; empty when the environment passed."""
    facts: dict[str, Any] = field(default_factory=dict)
    """tools, tables, rows, checks, controls, gold_calls (of a build that got that far)."""
    record: TupleRecord | None = None
    """The tuple (without the conversation) when it passed."""

    @property
    def passed(self) -> bool:
        return not self.failures and self.record is not None

    def first(self) -> str:
        return self.failures[0] if self.failures else ""


def make_record(run: Run, files: dict[str, str], database: Database, signatures: list[Signature], where: Placement, *,
                answer_schema: dict[str, Any] | None = None, facts: dict[str, Any] | None = None,
                conversation: bytes | None = None) -> TupleRecord:
    """The tuple of an environment; its database, files and conversation are stored in `run`."""
    state = {
        "db": run.write_asset("synthesized", database.data, ".sqlite", "application/vnd.sqlite3"),
        "files": run.write_asset("synthesized", canonical_json(files).encode(), ".json", "application/json"),
    }
    if conversation is not None:
        state["conversation"] = run.write_asset("synthesized", conversation, ".json", "application/json")
    tools = [remote_tool(s).spec for s in signatures]
    environment = EnvironmentSpec(
        family="synthesized", category=where.category.slug, seed=where.seed, index=where.index,
        difficulty=min(where.level, 5), state=state, tools=[*tools, submit_tool().spec],
        metadata={
            "description": where.category.category, "hints": where.category.hints, "candidate": where.candidate,
            "level": where.level, "chain": list(where.chain), "model": where.model,
            "signatures": [s.model_dump(mode="json") for s in signatures], "gate": facts or {},
        },
    )
    task = TaskSpec(family="synthesized", category=where.category.slug, environment_key=environment.key,
                    prompt=files["task.md"].strip(), system_prompt=SYSTEM_PROMPT, answer_schema=answer_schema or {})
    return TupleRecord.build(environment, task, VerifierSpec(name="synthesized.sandbox", args={"timeout": where.timeout}))


def _what(control: str) -> str:
    names = {"empty": "empty answer", "perturb:noop": "no-op answer (the empty value of the answer's type)",
             "perturb:null": "null answer", "perturb:wrong_type": "wrong-type answer"}
    return names.get(control, f"perturbation {control.removeprefix('perturb:')!r}")


def control_failure(item: VerdictRecord) -> str:
    """Why a null control is unsound, as the agent should read it."""
    what = _what(item.control)
    if item.control == "perturb:*":
        return f"perturb.py: {item.verdict.error}"
    if item.verdict.status == "error":
        return f"verify.py could not grade the {what}: {item.verdict.error} (a wrong answer must fail a check, not crash)"
    if item.verdict.status == "pass":
        return f"the {what} passes every check of verify.py: the verifier accepts a wrong answer"
    failing = [c.name for c in item.verdict.checks if not c.passed]
    return f"the {what} fails {', '.join(failing[:4])}, but not the check it names ({item.breaks})"


def _tool_calls(gold: Trajectory) -> list[tuple[str, str, str]]:
    """(name, argument text, result text) of every tool call of a trajectory, submit excluded."""
    results = {m.tool_call_id: m.content or "" for m in gold.messages if m.role == "tool"}
    return [(c.function.name, c.function.arguments, results.get(c.id, ""))
            for m in gold.messages if m.role == "assistant" for c in m.tool_calls or []
            if c.function.name != "submit_result"]


def determinism_failures(record: TupleRecord, run: Run, gold: Trajectory, files: dict[str, str], db: bytes) -> list[str]:
    """Replay the gold's tool calls in a fresh process, and grade the gold answer again."""
    tools = {t.spec.name: t for t in tools_of_record(record)}
    calls, expected = [], []
    for name, arguments, content in _tool_calls(gold):
        result = json.loads(content)
        if isinstance(result, dict) and set(result) == {"error"} and result["error"].get("type") in _SYNTH_SIDE:
            continue
        args = tools[name].args_model.model_validate(json.loads(arguments or "{}"))  # as the tool path passed them
        calls.append({"name": name, "arguments": json.loads(args.model_dump_json())})
        expected.append(result)
    failures = []
    if calls:
        timeout = float(record.verifier.args.get("timeout", 10.0))
        for call, want, got in zip(calls, expected, replay_calls(files["tools.py"], db, calls, timeout)):
            again = {"error": got["tool_error"]} if "tool_error" in got else got.get("result")
            if canonical_json(again) != canonical_json(want):
                args = canonical_json(call["arguments"])[:120]
                failures.append(f"tools are not deterministic: {call['name']}({args}) gave {canonical_json(want)[:120]} "
                                f"once and {canonical_json(again)[:120]} in a second run")
                break
    second = grade(record, gold.submission, run)
    assert gold.verdict is not None
    if second.model_dump() != gold.verdict.model_dump():
        failures.append(f"verify.py is not deterministic: the gold answer gave {gold.verdict.first_failure() or 'pass'} "
                        f"once and {second.first_failure() or 'pass'} in a second run")
    return failures


def baseline_failures(record: TupleRecord, run: Run, gold_answer: Any) -> list[str]:
    """Each baseline explores through the tool path and answers; none may pass."""
    with SynthesizedEnvironment(record, run) as env:
        client = ToolClient(lambda name, arguments: env.call(name, arguments).content, env.tools)
        answers = baseline_answers(client, shape_of(gold_answer))
    failures = []
    for name, answer in answers.items():
        verdict = grade(record, answer, run)
        if verdict.status == "pass":
            failures.append(f"too easy: the {name} baseline (tools only, no reasoning) passes with {answer[:160]}")
    return failures


def harder_failure(facts: dict[str, Any], previous: dict[str, Any] | None) -> str | None:
    if not previous:
        return None
    if any(facts.get(k, 0) > previous.get(k, 0) for k in ("checks", "rows", "tools")):
        return None
    return (f"level is not harder than the level before: it has {facts.get('checks')} checks, {facts.get('rows')} rows "
            f"and {facts.get('tools')} tools (before: {previous.get('checks')}, {previous.get('rows')}, "
            f"{previous.get('tools')}); add constraints, data or tools")


def run_gate(run: Run, files: dict[str, str], where: Placement, previous: dict[str, Any] | None = None) -> GateReport:
    """Every stage of the gate (module docstring) on `files`; assets it builds are stored in `run`."""
    found = problems(files)
    if found:
        return GateReport(failures=found[:MAX_FAILURES])
    signatures = tools_of(files)
    try:
        database = build_database(files, where.timeout)
    except BuildFailed as exc:
        return GateReport(failures=[str(exc)])
    facts: dict[str, Any] = {"tools": len(signatures), "tables": len(database.tables), "rows": database.rows}
    record = make_record(run, files, database, signatures, where)
    gold = gold_trajectory(record, run)
    assert gold.verdict is not None
    if gold.verdict.status != "pass":
        return GateReport(failures=[f"the reference solution does not pass: {gold.verdict.first_failure()}"], facts=facts)
    answer, _ = parse_answer(gold.submission)
    checks = [c.name for c in gold.verdict.checks[1:-1]]  # verify.py's own, between format and verify
    facts.update(checks=len(checks), gold_calls=len(_tool_calls(gold)))
    failures = [f"verify.py names a check {name!r}: synth's own checks have that name; choose another"
                for name in sorted(set(checks) & set(RESERVED_CHECKS))]
    if not facts["gold_calls"]:
        failures.append("the reference solution calls no tool: the task must need the tools")
    harder = harder_failure(facts, previous)
    failures += [harder] if harder else []
    if failures:
        return GateReport(failures=failures, facts=facts)
    controls = control_records(record, run, gold)[1:]
    facts["controls"] = len(controls)
    failures = [control_failure(item) for item in controls if not item.sound]
    if not failures:
        failures += determinism_failures(record, run, gold, files, database.data)
    if not failures:
        failures += baseline_failures(record, run, answer)
    if failures:
        return GateReport(failures=failures[:MAX_FAILURES], facts=facts)
    final = make_record(run, files, database, signatures, where, answer_schema=json_schema_of(answer), facts=facts)
    return GateReport(facts=facts, record=final)


def with_conversation(run: Run, report: GateReport, files: dict[str, str], where: Placement, conversation: bytes) -> TupleRecord:
    """The passed report's tuple with its conversation stored (and the facts found since, e.g. pass@k)."""
    assert report.record is not None
    record = report.record
    database = Database(run.read_asset(record.environment.state["db"]), {})
    signatures = [Signature.model_validate(s) for s in record.environment.metadata["signatures"]]
    return make_record(run, files, database, signatures, where, answer_schema=record.task.answer_schema,
                       facts=report.facts, conversation=conversation)


