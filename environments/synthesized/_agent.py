"""The environment-synthesis agent: a model writes an environment's files, synth's gate proves them.

Sits between the generator (one `work` per difficulty level) and the model client, the workspace
sandbox and the gate. Following the V3.2 report's general-agent recipe: given a task category,
the model writes a database, tools, a task, a reference solution, a verifier and perturbations
as files (`write_file`), tries them in a sandbox (`bash`), and calls `check` (the gate) until it
passes; each passed level asks for a harder one (more constraints, data, tools), and the chain of
tasks is recorded (each tuple names the task keys before it). Guarantees:

- The model's tools run through synth's tool path: a bad call is a structured error the model
  reads, never a crash. `bash` runs in the workspace container as an unprivileged user that can
  write nothing (network only when the user asked for it); files change only through `write_file`.
- A level ends passed (a tuple, with the whole conversation stored) or rejected after `max_turns`
  model calls, always after one last gate run on the files as they are, so every rejection carries
  a gate reason and the conversation.
- An infrastructure failure (the model server gave up after retries, the engine failed) ends the
  stage with one line instead of being recorded as a rejection: re-running resumes.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from synth import (
    Message,
    ModelError,
    Rejection,
    RolloutConfig,
    Run,
    SandboxError,
    Tool,
    ToolError,
    ToolRuntime,
    TupleRecord,
    canonical_json,
    family,
    tool_from_function,
)
from synth.sandbox import Limits, Sandbox, start_sandbox
from synth.verifiers.synthesized import AGENT_USER, place, sandbox_image, stored_files

from ._files import FILES
from ._gate import GateReport, Placement, run_gate, with_conversation
from ._settings import AgentSettings, CategoryEntry

BASH_OUTPUT = 4000
"""Characters of bash output the model sees (the tail)."""
READ_LIMIT = 64 * 1024

SYSTEM = """\
You write environments for training tool-using AI agents. An environment is these files in /env:

{files}

How synth uses them:
- The database is built from schema.sql, data.sql and data.py. Tools, the verifier and perturb get it
  read-only as `db`, a sqlite3 connection (rows are tuples).
- A solver model reads task.md and may only call the tools of tools.py (synth adds submit_result).
  Each tool's docstring is its description for the solver: a first line saying what it returns, then
  an Args: section. Tools return JSON values; raise ValueError with a message for bad input. SQL in
  tools.py and verify.py is a string literal with ? parameters (never text built from values).
- solution.py: solve(tools) is your reference solver. It runs alone, with no database and no files;
  tools.NAME(arg=value) returns a tool's JSON result (a failing call raises an exception). It returns
  the answer as a JSON value and must be deterministic. All code gets the Python standard library only.
- verify.py: verify(db, answer) receives the parsed JSON answer and returns {{check name: True/False}},
  one check per requirement of task.md (not named format or verify: synth adds those), computed
  from the database, never from what the answer claims. Wrong or malformed answers (null, wrong
  types, missing keys) give a False check, never an exception.
- perturb.py: perturb(db, answer) receives your reference answer and returns at least 2 wrong answers
  [{{"name": ..., "breaks": CHECK, "answer": ...}}], each failing the verify check it names.

synth's gate (your check tool) accepts the environment only if the reference solution passes through
the tools; the empty, null, no-op and wrong-type answers and every perturbation fail (each perturbation
on its check); simple baselines (first choice, greedy) fail; tools and verifier give the same results
twice; every run finishes within {timeout:g} s; and no code uses the network, writes files, starts
processes or opens the database outside the tools. The gate also grades wrong answers it makes itself
from the gold answer and the values the tools return: every check must fail for one of them, every
rule in rules.json must map to a check of its own, every value of the gold answer must come from a
tool result, verify.py may only judge columns the solution's tool calls read, no tool may return an
answer verify.py accepts, and a harder level needs more tool calls or more checks that bind. Generated
code sees a fixed clock and no entropy; eval, exec, __import__ and SQL built from values are refused.

Your tools: write_file(path, content), read_file(path), bash(command) to try things in /env (python3;
/env is read-only, only /dev/shm is scratch{network}), check() to run the gate. Write every file, call
check, repair what it reports and call check again until it passes."""

FIRST = """\
Task category: {category}{hints}

Write level 1 of {levels}: one task of this category that takes several tool calls to solve and is
easy to verify from the database. Later levels will make it harder."""

NEXT = ("The gate passed level {level}. Now write level {next} of {levels}: make the task harder than level {level} "
        "(more constraints, more data, more tools when the solver needs them), keep every file consistent, and call "
        "check.")
LAST = "The gate passed level {level}, the last level. The environment is done."
NUDGE = "Use your tools: write the files with write_file, then call check."


@dataclass
class Session:
    """One environment the agent is writing: its conversation, files and the chain so far."""

    key: str
    """category key:number; a level's candidate key is KEY:L<level>."""
    entry: CategoryEntry
    index: int
    messages: list[Message]
    files: dict[str, str] = field(default_factory=dict)
    chain: list[str] = field(default_factory=list)
    """Task keys of the passed levels, in order."""
    previous: dict[str, Any] | None = None
    """Gate facts of the last passed level."""
    passed: int = 0
    """Levels passed."""
    model_calls: int = 0
    """Model calls of the session, earlier processes included (stored with the conversation)."""
    restored_calls: int = 0
    """Of those, the calls made before this process restored the session."""
    gate_runs: int = 0
    tokens: int = 0
    report: GateReport | None = None
    """The last gate run on the current files (None once a file changes)."""
    rollouts: list[dict[str, Any]] = field(default_factory=list)
    """The --pass-at episodes of the last accepted level (stored with the conversation)."""
    workspace: Sandbox | None = None

    def close(self) -> None:
        if self.workspace is not None:
            self.workspace.close()
            self.workspace = None


class Desk:
    """What the model's tools act on during one level: the session, the gate, the workspace."""

    def __init__(self, agent: "SynthesisAgent", session: Session, where: Placement) -> None:
        self.agent, self.session, self.where = agent, session, where
        self.passed: TupleRecord | None = None
        self.fatal: BaseException | None = None

    def write(self, path: str, content: str) -> dict[str, Any]:
        if len(content.encode()) > 512 * 1024:
            raise ToolError(f"{path} would be {len(content.encode())} bytes (at most {512 * 1024})", "too_large")
        if content.strip():
            self.session.files[path] = content
        else:
            self.session.files.pop(path, None)
        self.session.report = None
        return {"written": path, "bytes": len(content.encode())}

    def read(self, path: str) -> dict[str, Any]:
        if path not in self.session.files:
            raise ToolError(f"{path} has not been written", "not_found")
        return {"path": path, "content": self.session.files[path][:READ_LIMIT]}

    def bash(self, command: str) -> dict[str, Any]:
        try:
            box = self.agent.workspace(self.session)
            result = box.exec(command, user=AGENT_USER, workdir="/env", timeout=min(120.0, self.agent.settings.timeout * 3),
                              env={"PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"})
        except SandboxError as exc:
            self.fatal = exc
            raise
        output = result.output if len(result.output) <= BASH_OUTPUT else "..." + result.output[-BASH_OUTPUT:]
        return {"exit_code": result.exit_code, "output": output}

    def check(self) -> dict[str, Any]:
        try:
            report = self.agent.gate(self.session, self.where)
            if report.passed:
                return self.agent.accept(self, report)
        except (ModelError, SandboxError) as exc:
            self.fatal = exc
            raise
        return {"passed": False, "level": self.where.level, "failures": report.failures}


# -- the model's tools ------------------------------------------------------------------------------
FileName = Literal["schema.sql", "data.sql", "data.py", "tools.py", "task.md", "solution.py", "verify.py", "perturb.py",
                   "rules.json"]


def write_file(desk: "Desk", path: FileName, content: str) -> dict[str, Any]:
    """Write one file of the environment in /env, replacing it (empty content removes it).

    Args:
        path: The file: schema.sql, data.sql, data.py, tools.py, task.md, solution.py, verify.py, perturb.py or rules.json.
        content: The whole text of the file.
    """
    return desk.write(path, content)


def read_file(desk: "Desk", path: FileName) -> dict[str, Any]:
    """Read one file of the environment.

    Args:
        path: The file name, e.g. tools.py.
    """
    return desk.read(path)


def bash(desk: "Desk", command: str) -> dict[str, Any]:
    """Run a bash command in /env and return its exit code and the tail of its output.

    python3 is there. /env is read-only (files change only through write_file); the only writable
    place is /dev/shm, a 64 MB scratch space that generated code may not use and that is discarded.

    Args:
        command: The command, e.g. python3 -c "import tools".
    """
    return desk.bash(command)


def check(desk: "Desk") -> dict[str, Any]:
    """Run synth's gate on the files and return what failed, or that the level passed.

    It builds the database, runs your solution through the tools, grades its answer, tries the wrong
    answers and the baselines.
    """
    return desk.check()


AGENT_TOOLS: list[Tool] = [tool_from_function(fn) for fn in (write_file, read_file, bash, check)]


class SynthesisAgent:
    """Drives sessions through their levels (see the module docstring)."""

    def __init__(self, run: Run, settings: AgentSettings, config: RolloutConfig, transport: Any = None) -> None:
        self.run, self.settings, self.config, self.transport = run, settings, config, transport
        self.gate_seconds = 0.0

    # -- the conversation --------------------------------------------------------------------------
    def new_session(self, key: str, entry: CategoryEntry, index: int) -> Session:
        s = self.settings
        network = "; the network is on" if s.network == "host" else "; no network"
        hints = f"\nHints: {entry.hints}" if entry.hints else ""
        files = "\n".join(f"  {name:<12} {what}" for name, what in FILES.items())
        messages = [Message(role="system", content=SYSTEM.format(files=files, timeout=s.timeout, network=network)),
                    Message(role="user", content=FIRST.format(category=entry.category, hints=hints, levels=s.difficulty))]
        return Session(key=key, entry=entry, index=index, messages=messages)

    def restore(self, key: str, entry: CategoryEntry, index: int, record: TupleRecord) -> Session:
        """The session as it was when `record` (its last passed level) was accepted."""
        stored = json.loads(self.run.read_asset(record.environment.state["conversation"]))
        messages = [Message.model_validate(m) for m in stored["agent"]]
        meta = record.environment.metadata
        return Session(key=key, entry=entry, index=index, messages=messages, files=stored_files(self.run, record),
                       chain=[*meta["chain"], record.key], previous=meta["gate"], passed=meta["level"],
                       model_calls=stored.get("model_calls", 0), restored_calls=stored.get("model_calls", 0))

    def chat(self, session: Session) -> Any:
        from synth import ModelClient

        async def ask() -> Any:
            async with ModelClient(self.config, transport=self.transport) as client:
                return await client.chat(session.messages, [t.spec for t in AGENT_TOOLS], seed=self.settings.seed + session.index)

        reply = asyncio.run(ask())
        session.model_calls += 1
        session.tokens += sum(reply.usage.values())
        return reply

    def work(self, session: Session, level: int) -> TupleRecord | Rejection:
        """Run the conversation until `level` passes the gate or its turns are spent."""
        from synth import ContextOverflow

        where = Placement(candidate=f"{session.key}:L{level}", category=session.entry, seed=self.settings.seed,
                          index=session.index, level=level, chain=tuple(session.chain), model=self.config.model_name,
                          timeout=self.settings.timeout)
        desk = Desk(self, session, where)
        runtime = ToolRuntime.of(AGENT_TOOLS, desk)
        session.report, session.rollouts = None, []
        for _ in range(self.settings.max_turns):
            try:
                reply = self.chat(session)
            except ContextOverflow:
                return self._reject(session, where, "the conversation no longer fits the model's context")
            message = reply.message
            session.messages.append(message)
            if reply.malformed or not message.tool_calls:
                session.messages.append(Message(role="user", content=reply.malformed or NUDGE))
                continue
            for call in message.tool_calls:
                if desk.passed is not None:
                    content = json.dumps({"error": {"type": "not_run", "message": "the level passed before this call"}})
                else:
                    content = runtime.call(call.function.name, call.function.arguments).content
                    if desk.fatal is not None:
                        raise desk.fatal
                session.messages.append(Message(role="tool", tool_call_id=call.id, name=call.function.name, content=content))
            if desk.passed is not None:
                return self._stored(session, where, desk)
        if session.report is None:  # files changed since the last check (or never checked): the gate decides
            report = self.gate(session, where)
            if report.passed:
                content = json.dumps(self.accept(desk, report))
                session.messages.append(Message(role="user", content=f"synth ran the gate after the last turn: {content}"))
                return self._stored(session, where, desk)
        assert session.report is not None
        return self._reject(session, where, session.report.first() or "the gate did not pass")

    # -- the gate ----------------------------------------------------------------------------------
    def gate(self, session: Session, where: Placement) -> GateReport:
        import time

        started = time.monotonic()
        session.report = run_gate(self.run, dict(session.files), where, session.previous)
        session.gate_runs += 1
        self.gate_seconds += time.monotonic() - started
        return session.report

    def accept(self, desk: Desk, report: GateReport) -> dict[str, Any]:
        """The passed gate's answer to the agent, after the pass-rate band (when asked for)."""
        level, levels = desk.where.level, self.settings.difficulty
        band = self.settings.band
        if band is not None:
            assert report.record is not None
            passes, episodes = self.pass_at(report.record)
            desk.session.rollouts = episodes
            report.facts["pass_at"] = {"k": self.settings.pass_at, "passed": passes}
            if not band[0] <= passes <= band[1]:
                hint = "make it solvable from what the prompt and tools give" if passes < band[0] else "make it harder"
                failure = (f"the model solved it {passes} of {self.settings.pass_at} times, outside the band "
                           f"{band[0]}..{band[1]}: {hint}")
                report.failures.append(failure)
                return {"passed": False, "level": level, "failures": report.failures}
        desk.passed = report.record
        answer = {"passed": True, "level": level}
        answer["next"] = NEXT.format(level=level, next=level + 1, levels=levels) if level < levels else LAST.format(level=level)
        return answer

    def pass_at(self, record: TupleRecord) -> tuple[int, list[dict[str, Any]]]:
        """Roll the model `--pass-at` times through the tuple (the rollout stage's episode)."""
        from synth import ModelClient, run_episode

        k = self.settings.pass_at or 0
        cfg = self.config.model_copy(update={"temperature": 1.0, "max_steps": 32})
        fam = family("synthesized")

        async def roll() -> list[Any]:
            limit = asyncio.Semaphore(4)

            async def one(sample: int) -> Any:
                async with limit:
                    return await run_episode(client, cfg, fam, record, self.run, sample)

            async with ModelClient(cfg, transport=self.transport) as client:
                return list(await asyncio.gather(*(one(i) for i in range(k))))

        episodes = asyncio.run(roll())
        infra = [t for t in episodes if t.termination.infrastructure]
        if infra:
            raise ModelError(f"pass@{k} rollouts failed: {infra[0].extra.get('error', infra[0].termination.value)}")
        passes = sum(1 for t in episodes if t.verdict is not None and t.verdict.status == "pass")
        kept = [{"sample": t.sample, "termination": t.termination.value, "status": t.verdict.status if t.verdict else None,
                 "messages": [m.openai() for m in t.messages]} for t in episodes]
        return passes, kept

    # -- outcomes ----------------------------------------------------------------------------------
    def conversation(self, session: Session) -> bytes:
        data = {"agent": [m.openai() for m in session.messages], "model_calls": session.model_calls,
                "pass_at": session.rollouts}
        return canonical_json(data).encode()

    def _stored(self, session: Session, where: Placement, desk: Desk) -> TupleRecord:
        assert session.report is not None and desk.passed is not None
        record = with_conversation(self.run, session.report, session.files, where, self.conversation(session))
        session.chain.append(record.key)
        session.previous = session.report.facts
        session.passed = where.level
        return record

    def _reject(self, session: Session, where: Placement, reason: str) -> Rejection:
        ref = self.run.write_asset("synthesized", self.conversation(session), ".json", "application/json")
        report = session.report
        details = {"category": session.entry.category, "level": where.level, "model_calls": session.model_calls,
                   "gate_runs": session.gate_runs, "failures": report.failures if report else [],
                   "conversation": ref.model_dump(mode="json")}
        return Rejection(key=where.candidate, family="synthesized", reason=f"level {where.level}: {reason}", details=details)

    # -- the workspace -----------------------------------------------------------------------------
    def workspace(self, session: Session) -> Sandbox:
        """The session's bash container, holding the current files (read-only to the agent)."""
        if session.workspace is None:
            limits = Limits(network=self.settings.network, user=AGENT_USER, memory="1g", pids=64, cpus=1.0)
            session.workspace = start_sandbox(sandbox_image(), limits=limits, kind="agent")
        box = session.workspace
        box.exec("rm -f /env/*", user="0:0")
        place(box, {f"/env/{name}": text.encode() for name, text in session.files.items()}, "0:0", mode=0o444)
        return box
