"""The interpreter family: problems solved by running code in a stateful notebook (report section 3.2.3).

Sits on the core contract, `synth.sandbox` (through `_kernel`) and the interpreter verifier (cli ->
stages -> families -> verifiers -> core). Generate: `InterpreterSettings` picks categories (data,
math and logic are procedural: a tuple is a pure function of (category, seed, index, difficulty);
file reads a user's JSONL); each category builds a `Problem` whose answer the generator computed
itself, and the tuple stores its data files as assets, the typed answer, the gold cells and the
decoys. Episodes: `open()` starts a kernel in a fresh sandbox with the files read-only under /data
and offers `python(code)` and `submit(answer)`. Verify: the gold cells run through the python tool
and the answer their last line prints is submitted; the controls (the empty answer, the answer as
prose, the stored decoys of the category's plausible mistakes, and a perturbation outside the
tolerance) must fail on their named checks. Grading (`interpreter.answer`) reads only the stored
answer and the submission, so no control needs a kernel. Nothing happens at import: `prepare()`
installs the signal handlers that remove containers; the engine is first needed by `open()`, so
generating needs no Docker.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any, ClassVar, Iterator

from synth import (
    Control,
    EnvironmentSpec,
    Family,
    FamilySettings,
    GenerationError,
    Generator,
    Item,
    Run,
    RuntimeEnvironment,
    SynthError,
    TaskSpec,
    ToolClient,
    ToolResult,
    ToolRuntime,
    TupleRecord,
    VerifierSpec,
    register_category,
    register_family,
    render,
)
from synth.sandbox import install_signal_handlers
from synth.verifiers.interpreter import Answer, stored_answer

from ._data import DataCategory
from ._file import TaskLine, file_digest, problem as file_problem, read_tasks
from ._kernel import DATA, WORK, KernelSettings
from ._logic import LogicCategory
from ._math import MathCategory
from ._problem import Decoy, Problem
from ._settings import GENERATED, InterpreterSettings
from ._tools import TOOLS, Notebook

SYSTEM_PROMPT = """\
You solve problems by running Python in a stateful notebook with the python tool: variables, \
imports, open files and random state persist from one call to the next, and the value of a final \
expression is shown. numpy, pandas and sympy are installed; there is no network. The task's data \
files are read-only under {{ data }}; {{ work }} is writable, up to {{ disk }}. An execution may run for \
{{ timeout }} seconds and you have {{ executions }} executions. When you have the answer, call \
submit with it as a JSON value of the type the task asks for."""

PROMPT = """\
{{ question }}

Compute the answer with the python tool, then submit it: {{ answer }}."""

MEDIA = {".csv": "text/csv", ".sqlite": "application/vnd.sqlite3", ".txt": "text/plain", ".json": "application/json",
         ".jsonl": "application/jsonl", ".parquet": "application/vnd.apache.parquet"}


class FileCategory:
    name = "file"
    description = "Tasks from a JSONL file of your own (synth generate interpreter --from FILE): question, files, answer, type, tolerance."


for _category in (DataCategory, MathCategory, LogicCategory, FileCategory):
    register_category("interpreter", _category.name)(_category)


def generic_decoys(answer: Answer) -> list[Decoy]:
    """Controls every task gets: the answer as prose (a type error), and the answer moved just
    outside its tolerance or changed by one item."""
    value = answer.value
    out = [Decoy("answer_as_prose", f"The answer is {json.dumps(value)}.", "answer_type")]
    if answer.type == "number":
        allowed = max(answer.rel_tol * abs(value), answer.abs_tol)
        out.append(Decoy("outside_tolerance", value + max(2 * allowed, 4 * math.ulp(value)), "value"))
    elif answer.type == "integer":
        out.append(Decoy("plus_one", value + 1, "value"))
    elif answer.type == "string_set":
        out.append(Decoy("member_dropped", value[:-1], "members") if value else Decoy("member_added", ["none"], "members"))
    elif answer.type == "list":
        out.append(Decoy("item_dropped", value[:-1], "items") if value else Decoy("item_added", [0], "items"))
    else:
        out.append(Decoy("row_dropped", value[:-1], "cells") if value else Decoy("row_added", [[0]], "cells"))
    return out


def _suffix(name: str) -> str:
    return Path(name).suffix.lower()


class InterpreterGenerator(Generator):
    """Every (category, index) of the generated categories, then every line of the task file."""

    def __init__(self, family: "InterpreterFamily", run: Run, settings: InterpreterSettings) -> None:
        self.family, self.run, self.settings = family, run, settings
        self.generated = [name for name in settings.chosen() if name in GENERATED]
        self.lines: dict[int, TaskLine] = {}
        if "file" in settings.chosen():
            assert settings.from_file is not None
            self.lines = {task.line: task for task in read_tasks(settings.from_file)}
        self.target = settings.n * len(self.generated) + len(self.lines)

    def candidates(self) -> Iterator[Item]:
        for name in self.generated:
            for index in range(self.settings.n):
                yield Item(name, index)
        for line in self.lines:
            yield Item("file", line)

    def build(self, candidate: Item) -> TupleRecord:
        s = self.settings
        if candidate.category == "file":
            line = self.lines[candidate.index]
            difficulty = line.task.difficulty or s.difficulty
            return self.family.tuple_of(self.run, file_problem(line), "file", s.seed, candidate.index, difficulty,
                                        self.family.kernel_settings(s))
        category = self.family.categories()[candidate.category]
        try:
            made = category.build(s.seed, candidate.index, s.difficulty)  # type: ignore[attr-defined]
        except SynthError:
            raise
        except Exception as exc:
            raise GenerationError(f"interpreter/{candidate.category} seed {s.seed} index {candidate.index}: "
                                  f"{type(exc).__name__}: {exc}") from exc
        return self.family.tuple_of(self.run, made, candidate.category, s.seed, candidate.index, s.difficulty,
                                    self.family.kernel_settings(s))


class InterpreterEnvironment(RuntimeEnvironment):
    """One episode: a kernel in its own sandbox and the two tools over it."""

    def __init__(self, settings: KernelSettings, files: dict[str, Path]) -> None:
        self.notebook = Notebook(settings, files)
        super().__init__(ToolRuntime.of(TOOLS, self.notebook), on_close=self.notebook.close)

    def call(self, name: str, arguments: str | dict[str, Any] | None) -> ToolResult:
        result = super().call(name, arguments)
        if self.notebook.broken is not None:
            # BrokenByModel: the code broke its sandbox (the model's failure); any other
            # SandboxError: the container or the engine is gone (an environment error)
            raise self.notebook.broken
        return result


@register_family
class InterpreterFamily(Family):
    name = "interpreter"
    description = "Problems solved by running code in a stateful Python notebook (data analysis, mathematics, logic, your own tasks)."
    settings: ClassVar[type[FamilySettings]] = InterpreterSettings
    examples = (
        "synth generate interpreter --category data --n 20 --difficulty 3 --out runs/data",
        "synth generate interpreter --n 5 --out runs/notebook   (data, math and logic)",
        "synth generate interpreter --from tasks.jsonl --out runs/mine   (the file's tasks only)",
        "synth generate interpreter --from tasks.jsonl --category math --n 5 --out runs/mixed",
        "synth generate interpreter --category math --timeout 30 --max-executions 10 --out runs/quick",
    )
    blocking = True
    """Every python call talks to a kernel in a container: rollouts run episodes in worker threads."""

    # -- generate ---------------------------------------------------------------------------------
    def stage_config(self, settings: FamilySettings) -> dict[str, Any]:
        assert isinstance(settings, InterpreterSettings)
        digest = file_digest(settings.from_file) if settings.from_file is not None and "file" in settings.chosen() else None
        return settings.stage_config(digest)

    def check_settings(self, settings: FamilySettings) -> None:
        """A task file with a bad line fails before the run directory exists, naming the line."""
        assert isinstance(settings, InterpreterSettings)
        if settings.from_file is not None:
            read_tasks(settings.from_file)

    def generator(self, run: Run, settings: FamilySettings) -> InterpreterGenerator:
        assert isinstance(settings, InterpreterSettings)
        return InterpreterGenerator(self, run, settings)

    def prepare(self) -> None:
        """Install the signal handlers that remove containers on SIGTERM/SIGHUP (stages call this in
        the main thread; rollouts start kernels from worker threads, where that cannot be done)."""
        install_signal_handlers()

    @staticmethod
    def kernel_settings(settings: InterpreterSettings) -> KernelSettings:
        return KernelSettings(timeout=settings.timeout, max_executions=settings.max_executions, disk=settings.disk,
                              nofile=settings.nofile, inodes=settings.inodes)

    def tuple_of(self, run: Run, made: Problem, category: str, seed: int, index: int, difficulty: int,
                 kernel: KernelSettings) -> TupleRecord:
        """The tuple of a problem; its files are stored as assets of `run`."""
        state = {}
        for name, data in sorted(made.files.items()):
            ref = run.write_asset("interpreter", data, _suffix(name), MEDIA.get(_suffix(name), "application/octet-stream"))
            _readable(run.path / ref.path)
            state[name] = ref
        decoys = made.decoys + generic_decoys(made.answer)
        environment = EnvironmentSpec(
            family=self.name, category=category, seed=seed, index=index, difficulty=difficulty, state=state,
            tools=[t.spec for t in TOOLS],
            metadata={"kernel": kernel.model_dump(mode="json", exclude_none=True), "data_dir": DATA, "work_dir": WORK},
        )
        task = TaskSpec(
            family=self.name, category=category, environment_key=environment.key,
            prompt=render(PROMPT, question=made.question, answer=made.answer.describe()),
            system_prompt=render(SYSTEM_PROMPT, data=DATA, work=WORK, disk=kernel.disk, timeout=f"{kernel.timeout:g}",
                                 executions=kernel.max_executions),
            answer_schema=made.answer.schema(),
            metadata={"kind": made.kind, "answer_type": made.answer.type, **made.facts},
        )
        verifier = VerifierSpec(name="interpreter.answer", args={
            "answer": made.answer.model_dump(mode="json"),
            "gold": {"cells": made.gold},
            "controls": [{"name": d.name, "answer": d.value, "breaks": d.breaks} for d in decoys],
        })
        return TupleRecord.build(environment, task, verifier)

    # -- episodes ---------------------------------------------------------------------------------
    def open(self, record: TupleRecord, run: Run) -> InterpreterEnvironment:
        files = {}
        for name, ref in record.environment.state.items():
            run.read_asset(ref)  # refuses a file that does not match its digest
            path = run.path / ref.path
            _readable(path)
            files[name] = path
        settings = KernelSettings.model_validate(record.environment.metadata.get("kernel", {}))
        return InterpreterEnvironment(settings, files)

    # -- verify -----------------------------------------------------------------------------------
    def solve_gold(self, record: TupleRecord, run: Run, client: ToolClient) -> None:
        """Run the gold cells through the python tool; submit the JSON its last line printed."""
        result: dict[str, Any] = {}
        for cell in record.verifier.args["gold"]["cells"]:
            result = client.python(code=cell)
            if "error" in result:
                raise RuntimeError(f"a gold cell failed: {result['error']['name']}: {result['error']['message']}")
        lines = result.get("stdout", "").strip().splitlines()
        if not lines:
            raise RuntimeError("the last gold cell printed nothing")
        client.submit(answer=json.loads(lines[-1]))

    def controls(self, record: TupleRecord, run: Run, gold_submission: Any) -> list[Control]:
        stored_answer(record.verifier.args)  # a malformed tuple fails here, before any control
        return [Control(c["name"], c["answer"], c["breaks"]) for c in record.verifier.args.get("controls", [])]


def _readable(path: Path) -> None:
    """Let the kernel's user (uid 1000) read a mounted file: assets are written 0600."""
    mode = path.stat().st_mode
    if not mode & stat.S_IROTH:
        os.chmod(path, mode | stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
