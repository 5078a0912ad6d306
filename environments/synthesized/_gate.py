"""The gate: a synthesized environment becomes a tuple only when it is proven sound.

Sits between the synthesis agent (which calls it through its `check` tool) and the core's proof
of soundness. In order, stopping at the first stage that fails; every failure is one line the
agent can act on, and starts with its flaw class in brackets (`[vacuous check] ...`), the name
rejections.jsonl records:

1. the files: all there, within size, Python that parses, tools whose signatures synth can
   describe and validate, rules.json mapping each rule task.md states to a check of its own, and
   the static refusals (eval/exec/__import__/__main__, the real clock and entropy, SQL built from
   values, resolved per scope) (`_files.problems`);
2. the database: built twice in a sandbox, the same bytes both times, with rows;
3. the reference solution passes through the tool path (the core's `gold_trajectory`, the very
   function `synth verify` runs), calling at least one tool: it runs in a container of its own,
   without the database;
4. null controls fail (the core's `control_records`): the empty, no-op, null and wrong-type
   answers and the agent's perturbations, each perturbation on the check it names;
5. determinism: the solution's tool calls replayed in a fresh process give the same results, and
   verify.py grades the gold answer the same way at another time of the (fixed) clock;
6. the proofs of `_proof.py` over answers the gate makes itself from the gold and the tools'
   values: every check can fail, every rule's check is returned, the answer is grounded in the
   tool results and verify.py judges only columns the tools show, no tool hands out the answer
   (the exhaustive baseline);
7. (before 6) the baselines (`first_choice`, `greedy`) fail;
8. from level 2 on, the level is harder on what the gold needs: more tool calls, more binding
   checks, or a longer search of the answer space (never rows or tables);
9. no run of generated code printed more than `MAX_OUTPUT` bytes.

Time limits, the network, processes, file writes, database access, the clock and entropy are
enforced in every sandbox run of the steps above (the harness); an attempt fails the step with the
reason. With `--pass-at K`, the generator adds the pass-rate band after the gate (`_generate.py`).
"""

from __future__ import annotations

import json
import random
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
from synth.verifiers.synthesized import (
    CLOCK,
    CLOCK_SHIFT,
    checks_of,
    fresh_sandbox,
    grade_answer,
    grade_answers,
    metered,
    parse_answer,
    run_harness,
)

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
from ._proof import (
    EXPLORE_CALLS,
    MAX_CANDIDATES,
    Mutations,
    candidates_from,
    check_failures,
    error_values,
    exploration_rounds,
    grounding_failures,
    harvest,
    read_rules,
    stated_values,
)
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
MAX_OUTPUT = 1 << 20
"""Most bytes one run of generated code may print."""
HARDER = ("gold_calls", "binding_checks", "search_effort")
"""What makes a level harder: the gold needs more tool calls, more checks bind it, or the search
of the answer space takes longer."""
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


ALONE = 1
"""Answers of the gate's batch graded again alone, through a rollout's grading path."""


def _same_alone(verify_py: str, db: bytes, answers: list[Any], graded: list[dict[str, Any]], timeout: float,
                seed: str) -> list[str]:
    """A sample of the batch's answers graded again the way a rollout is graded (`grade`, one
    answer, in a sandbox of its own): verify.py must not tell the gate's batch from a rollout."""
    rng = random.Random(seed)
    for at in rng.sample(range(min(len(answers), len(graded))), k=min(ALONE, len(answers), len(graded))):
        alone = grade_answer(verify_py, db, answers[at], timeout)
        batch = {c["name"]: c["passed"] for c in graded[at].get("checks") or []}
        single = {c["name"]: c["passed"] for c in alone.value.get("checks") or []} if alone.ok else None
        if single is not None and batch and single != batch:
            return [f"[nondeterminism] verify.py grades the answer {canonical_json(answers[at])[:100]} differently alone "
                    f"({single}) than in the gate's batch ({batch}): it must not tell the gate from a rollout"]
    return []


def _json_or_none(text: str) -> Any:
    try:
        return json.loads(text or "{}")
    except ValueError:
        return None


def _distinct_calls(gold: Trajectory) -> set[tuple[str, str]]:
    """The gold's tool calls that differ (name and arguments): a call repeated asks nothing new,
    so padding a solution with repeats does not make a level harder."""
    found = set()
    for name, arguments, _ in _tool_calls(gold):
        try:
            arguments = canonical_json(json.loads(arguments or "{}"))
        except ValueError:
            pass
        found.add((name, arguments))
    return found


_CLASSES = (
    ("(sql built from values", "sql injection"), ("(database write", "sandbox violation"),
    ("(entropy", "clock or entropy"), ("(clock", "clock or entropy"), ("(harness tampering", "harness tampering"),
    ("attempted what generated code may not do", "sandbox violation"), ("printed over", "output flood"),
    ("did not finish within", "timeout"), ("took over", "timeout"), ("not deterministic", "nondeterminism"),
    ("two builds gave different", "nondeterminism"), ("too easy", "too easy"),
    ("calls no tool", "ungrounded answer"), ("the reference solution does not pass", "broken solution"),
    ("passes every check", "unsound control"), ("could not grade", "unsound control"),
    ("but not the check it names", "unsound control"), ("perturb.py", "unsound control"),
    ("not harder", "not harder"), ("database", "files"),
)


def named(line: str) -> str:
    """`line` with its flaw class in front ([class] ...), as rejections.jsonl records it."""
    if line.startswith("["):
        return line
    for needle, flaw in _CLASSES:
        if needle in line:
            return f"[{flaw}] {line}"
    return f"[files] {line}"


def _gold_calls(record: TupleRecord, gold: Trajectory) -> tuple[list[dict[str, Any]], list[Any]]:
    """The gold's tool calls as the tool path passed them, and their results (synth-side errors left out)."""
    tools = {t.spec.name: t for t in tools_of_record(record)}
    calls, expected = [], []
    for name, arguments, content in _tool_calls(gold):
        result = json.loads(content)
        if isinstance(result, dict) and set(result) == {"error"} and result["error"].get("type") in _SYNTH_SIDE:
            continue
        args = tools[name].args_model.model_validate(json.loads(arguments or "{}"))  # as the tool path passed them
        calls.append({"name": name, "arguments": json.loads(args.model_dump_json())})
        expected.append(result)
    return calls, expected


def determinism_failures(record: TupleRecord, run: Run, gold: Trajectory, files: dict[str, str], db: bytes,
                         facts: dict[str, Any]) -> list[str]:
    """Replay the gold's tool calls in a fresh process (their column reads go to `facts`), and
    grade the gold answer again at another time of the fixed clock (verify.py's reads too)."""
    calls, expected = _gold_calls(record, gold)
    failures = []
    timeout = float(record.verifier.args.get("timeout", 10.0))
    facts["_tool_reads"] = []
    if calls:
        replay = replay_calls(files["tools.py"], db, calls, timeout)
        facts["_tool_reads"] = replay.reads
        for call, want, got in zip(calls, expected, replay.results):
            again = {"error": got["tool_error"]} if "tool_error" in got else got.get("result")
            if canonical_json(again) != canonical_json(want):
                args = canonical_json(call["arguments"])[:120]
                failures.append(f"tools are not deterministic: {call['name']}({args}) gave {canonical_json(want)[:120]} "
                                f"once and {canonical_json(again)[:120]} in a second run")
                break
    answer, _ = parse_answer(gold.submission)
    outcome = grade_answer(files["verify.py"], db, answer, timeout, clock=CLOCK + CLOCK_SHIFT)
    facts["_verify_reads"] = outcome.reads
    assert gold.verdict is not None
    try:
        second = [(c.name, c.passed) for c in checks_of(outcome)]
    except Exception as exc:  # noqa: BLE001 - a verifier error is an answer here
        second = [("error", str(exc)[:200])]
    first = [(c.name, c.passed) for c in gold.verdict.checks[1:]]
    if second != first:
        failures.append(f"[clock or entropy] verify.py grades the gold answer differently when the clock says another day: "
                        f"{gold.verdict.first_failure() or 'pass'} once and "
                        f"{next((n for n, ok in second if ok is not True), 'pass')} later")
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


def explore_tools(record: TupleRecord, files: dict[str, str], db: bytes) -> tuple[list[tuple[dict[str, Any], Any]], int]:
    """The exhaustive baseline's exploration: every tool with every argument value earlier results
    showed, breadth first, up to three rounds and `EXPLORE_CALLS` calls, each call in a process of
    its own, all in one sandbox; ((call, result) of every call that gave a result, calls made)."""
    timeout = float(record.verifier.args.get("timeout", 10.0))
    tools = {t.spec.name: t for t in tools_of_record(record) if t.spec.name != "submit_result"}
    specs = [t.spec for t in tools.values()]
    seen: list[tuple[str | None, Any]] = stated_values(files.get("task.md", ""), *(s.description for s in specs))
    done: set[str] = set()
    made: list[tuple[dict[str, Any], Any]] = []
    calls = 0
    with fresh_sandbox({"/env/tools.py": files["tools.py"].encode(), "/state/db.sqlite": db}) as box:
        for _ in range(3):
            batch = []
            for call in exploration_rounds(specs, seen, done):
                try:
                    args = tools[call["name"]].args_model.model_validate(call["arguments"])
                except Exception:  # noqa: BLE001 - a value the tool path refuses is not a call
                    continue
                batch.append({"name": call["name"], "arguments": json.loads(args.model_dump_json())})
            batch = batch[:max(0, EXPLORE_CALLS - calls)]
            if not batch:
                break
            calls += len(batch)
            box.write_file("/io/calls.json", json.dumps(batch, ensure_ascii=True).encode(), mode=0o444, user="0:0")
            outcome = run_harness(box, "explore", timeout=timeout, budget=min(300.0, 10.0 + timeout * len(batch) / 4))
            if not outcome.ok:
                raise ValueError(outcome.problem("tools.py (the exhaustive baseline's calls)"))
            for call, got in zip(batch, outcome.value.get("results", [])):
                if "result" in got:
                    made.append((call, got["result"]))
                    seen += list(harvest(got["result"]))
                for value in error_values(str((got.get("tool_error") or {}).get("message", ""))):
                    made.append((call, value))  # a leak in the error's text
                    seen += list(harvest(value))
    return made, calls


def proof_failures(record: TupleRecord, files: dict[str, str], db: bytes, gold: Trajectory, answer: Any,
                   checks: list[str], facts: dict[str, Any]) -> list[str]:
    """The proofs of `_proof.py`: the gate's mutations of the gold and the exhaustive baseline's
    answers are graded together (one sandbox, a process per answer); every check can fail and
    every rule has one, the answer is grounded, no tool hands the answer out."""
    timeout = float(record.verifier.args.get("timeout", 10.0))
    rules, _ = read_rules(files.get("rules.json"))
    distinct = {(name, canonical_json(_json_or_none(text))): (text, content) for name, text, content in _tool_calls(gold)}
    results = [json.loads(content) for _, content in distinct.values()]  # a call repeated shows nothing new
    arguments = [_json_or_none(text) for text, _ in distinct.values()]
    seen = [pair for r in results for pair in harvest(r)]
    failures = grounding_failures(answer, results, facts.pop("_verify_reads", []), facts.pop("_tool_reads", []), arguments)
    if failures:
        return failures
    mutations = Mutations(answer, seen)
    try:
        made, facts["explore_calls"] = explore_tools(record, files, db)
    except ValueError as exc:
        return [str(exc)]
    gold_key = canonical_json(answer)
    candidates: dict[str, tuple[Any, dict[str, Any]]] = {}
    for call, result in made:
        for candidate in candidates_from(result, answer):
            key = canonical_json(candidate)
            if key not in candidates and len(candidates) < MAX_CANDIDATES:
                candidates[key] = (candidate, call)
    listed = list(candidates.values())
    answers = mutations.answers + [c for c, _ in listed]
    if not answers:
        return []
    outcome = grade_answers(files["verify.py"], db, answers, timeout)
    if not outcome.ok:
        return [outcome.problem("verify.py (grading the gate's own answers)")]
    graded = outcome.value.get("graded", [])
    failures = _same_alone(files["verify.py"], db, answers, graded, timeout, gold_key)
    if failures:
        return failures
    for (candidate, call), item in zip(listed, graded[len(mutations.answers):]):
        checks_given = item.get("checks") or []
        if checks_given and all(c["passed"] for c in checks_given):
            same = " (the gold answer itself)" if canonical_json(candidate) == gold_key else ""
            return [f"[leaking tool] {call['name']}({canonical_json(call['arguments'])[:80]}) hands out an answer verify.py "
                    f"accepts{same}: {canonical_json(candidate)[:120]}; a solver needs no reasoning"]
    found, more = check_failures(checks, rules, graded[:len(mutations.answers)], mutations)
    facts.update(more)
    return found


def harder_failure(facts: dict[str, Any], previous: dict[str, Any] | None) -> str | None:
    if not previous:
        return None
    if any(facts.get(k, 0) > previous.get(k, 0) for k in HARDER):
        return None
    now = ", ".join(f"{k} {facts.get(k, 0)}" for k in HARDER)
    before = ", ".join(f"{k} {previous.get(k, 0)}" for k in HARDER)
    return (f"[not harder] level is not harder than the level before on what the gold needs: {now} (before: {before}); "
            "rows, tables and unused tools do not count: make the task need more tool calls or more constraints")


def run_gate(run: Run, files: dict[str, str], where: Placement, previous: dict[str, Any] | None = None) -> GateReport:
    """Every stage of the gate (module docstring) on `files`; assets it builds are stored in `run`."""
    with metered() as printed:
        report = _gate(run, files, where, previous, printed)
    report.failures = [named(line) for line in report.failures]
    report.facts.pop("_tool_reads", None)
    report.facts.pop("_verify_reads", None)
    if printed:
        report.facts["output_bytes"] = max(n for _, n in printed)
    return report


def _flood(printed: list[tuple[str, int]]) -> list[str]:
    loud = [(command, n) for command, n in printed if n > MAX_OUTPUT]
    if not loud:
        return []
    command, n = max(loud, key=lambda x: x[1])
    what = {"grade": "verify.py", "grade_many": "verify.py", "call": "a tool", "replay": "the tools", "build": "the database build",
            "solve": "solution.py", "perturb": "perturb.py", "explore": "the tools"}.get(command, command)
    return [f"[output flood] {what} printed {n} bytes in one run (at most {MAX_OUTPUT}): print nothing, return results"]


def _gate(run: Run, files: dict[str, str], where: Placement, previous: dict[str, Any] | None,
          printed: list[tuple[str, int]]) -> GateReport:
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
        return GateReport(failures=[f"the reference solution does not pass: {gold.verdict.first_failure()}"] + _flood(printed),
                          facts=facts)
    answer, _ = parse_answer(gold.submission)
    checks = [c.name for c in gold.verdict.checks[1:-1]]  # verify.py's own, between format and verify
    facts.update(checks=len(checks), gold_calls=len(_distinct_calls(gold)))
    failures = _flood(printed)
    failures += [f"verify.py names a check {name!r}: synth's own checks have that name; choose another"
                 for name in sorted(set(checks) & set(RESERVED_CHECKS))]
    if not facts["gold_calls"]:
        failures.append("the reference solution calls no tool: the task must need the tools")
    if failures:
        return GateReport(failures=failures, facts=facts)
    controls = control_records(record, run, gold)[1:]
    facts["controls"] = len(controls)
    failures = [control_failure(item) for item in controls if not item.sound]
    stages = (
        lambda: determinism_failures(record, run, gold, files, database.data, facts),
        lambda: baseline_failures(record, run, answer),
        lambda: proof_failures(record, files, database.data, gold, answer, checks, facts),
        lambda: [f for f in [harder_failure(facts, previous)] if f],
        lambda: _flood(printed),
    )
    for stage in stages:
        if failures:
            break
        failures += stage()
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


