"""Synthesized environments at work: the sandboxed tool box, the reference solution's run, the
database build, the perturbations and the determinism replay. All generated code runs here in
sandboxes (`synth.verifiers.synthesized`), never in synth's process.

Sits between the synthesized family (episodes, verify) and the gate (generation) above, and the
sandbox harness below. Guarantees:

- A tool call is validated by synth's tool path (`ToolRuntime`, specs from `_files.remote_tool`)
  before it reaches the sandbox, and every way it can go wrong there (the tool raises, hangs,
  returns what is not JSON, returns too much, attempts a forbidden action) comes back as a
  structured tool error.
- The reference solution runs alone in its own container as the solver user, with nothing but its
  file: it never shares a container with the database. Each of its tool calls goes through the
  `ToolClient` synth gives it (the gold trajectory records every one); the solution is run again
  with the results so far until it returns its answer (`run_solution`), so it must be
  deterministic; it may make at most `MAX_CALLS` calls, in `SOLUTION_BUDGET` timeouts in all.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

from synth import AssetRef, BrokenByModel, EnvironmentFault, Run, RuntimeEnvironment, Tool, ToolClient, ToolError, ToolRuntime, TupleRecord
from synth.verifiers.synthesized import SOLVER_USER, TOOLS_USER, answer_file, clean, fresh_sandbox, run_harness, stored_files

from ._files import Signature, remote_tool

MAX_ARGUMENTS = 64 * 1024
"""Largest argument text of one tool call, in characters."""
MAX_RESULT = 256 * 1024
"""Largest tool result, in characters of JSON."""
MAX_CALLS = 200
"""Most tool calls of the reference solution."""
SOLUTION_BUDGET = 12
"""The reference solution's runs and calls together may take this many times the timeout."""
DEFAULT_TIMEOUT = 10.0


class SolutionFailed(RuntimeError):
    """The reference solution crashed, hung, attempted a forbidden action or misused its tools."""


class BuildFailed(ValueError):
    """The database could not be built, or not the same way twice."""


def timeout_of(record: TupleRecord) -> float:
    return float(record.verifier.args.get("timeout", DEFAULT_TIMEOUT))


def db_of(run: Run, record: TupleRecord) -> bytes:
    return run.read_asset(AssetRef.model_validate(record.environment.state["db"]))


class ToolBox:
    """tools.py and the database in a live container; one harness run per tool call."""

    def __init__(self, tools_py: str, db: bytes, timeout: float) -> None:
        self.timeout = timeout
        self._stack = contextlib.ExitStack()
        files = {"/env/tools.py": tools_py.encode(), "/state/db.sqlite": db}
        self.box = self._stack.enter_context(fresh_sandbox(files, TOOLS_USER, kind="agent"))

    def call(self, name: str, arguments: dict[str, Any]) -> Any:
        """The tool's JSON result; ToolError (a structured error for the caller) otherwise."""
        text = json.dumps(arguments, ensure_ascii=True)
        if len(text) > MAX_ARGUMENTS:
            raise ToolError(f"the arguments are {len(text)} characters long (at most {MAX_ARGUMENTS})", "invalid_arguments")
        try:
            outcome = run_harness(self.box, "call", name, text, timeout=self.timeout)
        except (ToolError, BrokenByModel):
            raise
        except Exception:  # the engine's words (its URL, the container's id) are never the model's to read
            self.probe()
            raise ToolError(f"{name} could not be run", "tool_failure") from None
        if outcome.timed_out:
            raise ToolError(f"{name} did not finish within {self.timeout:g} s", "tool_timeout")
        if not outcome.ok:
            self.probe()
            raise ToolError(outcome.problem(name), "tool_failure")
        if "tool_error" in outcome.value:
            error = outcome.value["tool_error"]
            raise ToolError(clean(str(error.get("message", ""))), clean(str(error.get("type", "tool_failure"))))
        result = clean(outcome.value.get("result"))
        size = len(json.dumps(result))
        if size > MAX_RESULT:
            raise ToolError(f"{name} returned {size} characters (at most {MAX_RESULT})", "tool_failure")
        return result

    def probe(self) -> None:
        """Raise EnvironmentFault when the tool box's container no longer answers (removed from
        outside, the engine down): a fault the model's calls could not cause, since they reach
        only the harness; BrokenByModel when the sandbox says the model's own calls broke it."""
        try:
            self.box.exec("true", timeout=30)
        except BrokenByModel:
            raise
        except Exception as exc:
            raise EnvironmentFault(f"the tool box's container no longer answers ({type(exc).__name__})") from None

    def close(self) -> None:
        self._stack.close()


def submit_tool() -> Tool:
    """submit_result, the general family's (imported when used: the general family imports this
    package for its agent mode)."""
    from synth.environments.general import SUBMIT

    return SUBMIT


def answer_text(value: Any) -> str:
    """An answer as the JSON text a submission carries."""
    return json.dumps(value, ensure_ascii=False)


def tools_of_record(record: TupleRecord) -> list[Tool]:
    """The record's tools (from the signatures it stores) and submit_result, in order."""
    return [remote_tool(Signature.model_validate(s)) for s in record.environment.metadata["signatures"]] + [submit_tool()]


class SynthesizedEnvironment(RuntimeEnvironment):
    """One episode: a live container of the environment's tools and database."""

    def __init__(self, record: TupleRecord, run: Run) -> None:
        tools = tools_of_record(record)
        toolbox = ToolBox(stored_files(run, record)["tools.py"], db_of(run, record), timeout_of(record))
        super().__init__(ToolRuntime.of(tools, toolbox, probe=toolbox.probe), on_close=toolbox.close)


def run_solution(solution_py: str, client: ToolClient, timeout: float) -> Any:
    """The reference solution's answer, every tool call made through `client` (see the module
    docstring); SolutionFailed when it does not get there."""
    results: list[dict[str, Any]] = []
    budget = SOLUTION_BUDGET * timeout
    deadline = time.monotonic() + budget
    with fresh_sandbox({"/env/solution.py": solution_py.encode()}, owner=SOLVER_USER) as box:
        while True:
            if time.monotonic() > deadline:
                raise SolutionFailed(f"solution.py and its {len(results)} tool calls took over {budget:g} s in all")
            box.write_file("/io/results.json", json.dumps(results, ensure_ascii=True).encode(), mode=0o444,
                           user="0:0")
            outcome = run_harness(box, "solve", user=SOLVER_USER, timeout=timeout)
            if not outcome.ok:
                raise SolutionFailed(outcome.problem("solution.py"))
            request = outcome.value.get("call")
            if request is None:
                return outcome.value.get("answer")
            if not isinstance(request, dict) or not isinstance(request.get("name"), str) or not isinstance(
                    request.get("arguments"), dict):
                raise SolutionFailed("solution.py: the harness reported an unreadable tool call")
            if len(results) >= MAX_CALLS:
                raise SolutionFailed(f"solution.py made more than {MAX_CALLS} tool calls")
            entry: dict[str, Any] = {"request": request}
            try:
                entry["result"] = client.call(request["name"], **request["arguments"])
            except ToolError as exc:
                entry["error"] = {"type": exc.kind, "message": str(exc)}
            results.append(entry)


@dataclass(frozen=True)
class Database:
    """A built database."""

    data: bytes
    """The SQLite file."""
    tables: dict[str, int]
    """Rows per table."""

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


def build_database(files: dict[str, str], timeout: float) -> Database:
    """schema.sql, data.sql and data.py run twice in a fresh sandbox; the two databases must be
    the same bytes. BuildFailed says why not."""
    inputs = {f"/env/{name}": files[name].encode() for name in ("schema.sql", "data.sql", "data.py") if files.get(name)}
    with fresh_sandbox(inputs) as box:
        runs = [run_harness(box, "build", timeout=timeout) for _ in range(2)]
    for outcome in runs:
        if not outcome.ok:
            raise BuildFailed(outcome.problem("the database build"))
    first, second = (outcome.value for outcome in runs)
    if first["db"] != second["db"]:
        raise BuildFailed("two builds gave different databases: data.py must not use unseeded randomness, the clock "
                          "or the order of sets")
    database = Database(base64.b64decode(first["db"]), {str(k): int(v) for k, v in first["tables"].items()})
    if not database.tables:
        raise BuildFailed("schema.sql creates no table")
    if database.rows == 0:
        raise BuildFailed("the database holds no rows")
    return database


def perturbations(files: dict[str, str], db: bytes, gold: Any, timeout: float) -> list[dict[str, Any]]:
    """perturb(db, gold) in a fresh sandbox: the agent's wrong answers; ValueError when it fails."""
    inputs = {"/env/perturb.py": files["perturb.py"].encode(), "/state/db.sqlite": db, "/io/answer.json": answer_file(gold)}
    with fresh_sandbox(inputs) as box:
        outcome = run_harness(box, "perturb", timeout=timeout)
    if not outcome.ok:
        raise ValueError(outcome.problem("perturb.py"))
    return clean(outcome.value.get("perturbations", []))


class Replay(NamedTuple):
    """What a replay of tool calls gave."""

    results: list[dict[str, Any]]
    """{"result": ...} or {"tool_error": ...} per call, in order."""
    reads: list[str]
    """Database columns the calls read (table.column)."""


def replay_calls(tools_py: str, db: bytes, calls: list[dict[str, Any]], timeout: float) -> Replay:
    """Every call in one fresh process (the second run of the tools); the results in order, and
    the columns the calls read."""
    inputs = {"/env/tools.py": tools_py.encode(), "/state/db.sqlite": db,
              "/io/calls.json": json.dumps(calls, ensure_ascii=True).encode()}
    with fresh_sandbox(inputs) as box:
        whole = min(120.0, timeout * max(1, len(calls)))
        outcome = run_harness(box, "replay", timeout=whole, budget=whole + 10.0)
    if not outcome.ok:
        raise ValueError(outcome.problem("tools.py (replayed)"))
    return Replay(clean(outcome.value.get("results", [])), outcome.reads)
