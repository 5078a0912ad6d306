"""The file category: interpreter tasks a user brings in a JSONL file (`synth generate interpreter --from FILE`).

Sits under the interpreter family (through `_problem.Problem`). One task per non-blank line:

    {"id": "q1", "question": "...", "files": ["sales.csv"], "answer": 12.5, "answer_type": "number",
     "tolerance": {"rel": 1e-6, "abs": 0.01}, "solution": "import pandas as pd\\n...print(...)"}

- question (required): the user message (the family adds how to answer).
- answer (required) and answer_type (required: number, integer, string_set, list, table).
- files: data files, relative to the JSONL file's folder (or absolute); mounted read-only at
  /data/<file name> (names must differ).
- tolerance (number answers and numbers inside lists and tables): {"rel": R, "abs": A}, or one
  number A meaning an absolute tolerance; default rel 1e-6, abs 1e-9.
- case_sensitive: compare strings with their case (default false).
- solution: Python run in the kernel whose last printed line is the answer as JSON; verify then
  proves the stored answer by computing it. Without one, the gold cell only checks that every file
  is in /data and prints the stored answer, so verify proves the files, the verifier and the
  controls, not the answer.
- id, difficulty (1..5): optional labels kept in the task's metadata.

Guarantees: the whole file is read and checked before anything is written; the first problem
(not JSON, a missing or unknown field, an unknown answer type, an answer that does not fit its
type, a missing data file) is a one-line ConfigError naming the file and line. A task is a pure
function of its line and the bytes of its files.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from synth import ConfigError
from synth.verifiers.interpreter import ANSWER_TYPES, Answer

from ._problem import Problem, print_json

MAX_FILE_BYTES = 1 << 30


class Tolerance(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rel: float = Field(1e-6, ge=0, le=1, allow_inf_nan=False)
    abs: float = Field(1e-9, ge=0, allow_inf_nan=False)


class FileTask(BaseModel):
    """One line of a task file."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    question: str = Field(min_length=1)
    """The question, as the user message states it."""
    answer: Any
    """The expected answer, a JSON value of `answer_type`."""
    answer_type: str
    """number, integer, string_set, list or table."""
    files: list[str] = Field(default_factory=list)
    """Data files, relative to the task file's folder, mounted read-only at /data/<name>."""
    tolerance: Tolerance | float | None = None
    """{"rel": R, "abs": A}, or one number: an absolute tolerance."""
    case_sensitive: bool = False
    """Compare strings with their case."""
    solution: str | None = None
    """Python code whose last printed line is the answer as JSON (the gold cell)."""
    id: str | None = None
    """A label of the task, kept in its metadata."""
    difficulty: int | None = Field(None, ge=1, le=5)
    """1..5, kept in the tuple; default: --difficulty."""


class TaskLine(NamedTuple):
    """A checked line: the task, its answer, and its files' bytes by name."""

    line: int
    task: FileTask
    answer: Answer
    files: dict[str, bytes]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _fail(path: Path, line: int, message: str) -> ConfigError:
    return ConfigError(f"{path}:{line}: {' '.join(message.split())}")


def _answer(task: FileTask) -> Answer:
    if task.answer_type not in ANSWER_TYPES:
        raise ValueError(f"answer_type {task.answer_type!r} is not one of {', '.join(ANSWER_TYPES)}")
    tolerance = task.tolerance
    if isinstance(tolerance, (int, float)):
        if not 0 <= tolerance < float("inf"):
            raise ValueError("tolerance must be a finite number >= 0")
        tol = {"rel_tol": 0.0, "abs_tol": float(tolerance)}
    elif isinstance(tolerance, Tolerance):
        tol = {"rel_tol": tolerance.rel, "abs_tol": tolerance.abs}
    else:
        tol = {}
    try:
        return Answer(type=task.answer_type, value=task.answer, case_sensitive=task.case_sensitive, **tol)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ValueError(exc.errors()[0]["msg"].removeprefix("Value error, ")) from None


def read_tasks(path: Path) -> list[TaskLine]:
    """Every task of a JSONL task file, checked; ConfigError naming the line of the first problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read task file {path}: {getattr(exc, 'strerror', None) or exc}") from None
    folder = path.resolve().parent
    out = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw, parse_constant=_no_constant)
        except ValueError as exc:
            raise _fail(path, number, f"not a JSON object: {exc}") from None
        if not isinstance(data, dict):
            raise _fail(path, number, "not a JSON object")
        try:
            task = FileTask.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "line"
            raise _fail(path, number, f"{where}: {first['msg']}") from None
        try:
            answer = _answer(task)
        except ValueError as exc:
            raise _fail(path, number, str(exc)) from None
        files: dict[str, bytes] = {}
        for name in task.files:
            where = (folder / name) if not Path(name).is_absolute() else Path(name)
            if not where.is_file():
                raise _fail(path, number, f"data file {name} does not exist ({where})")
            if where.name in files:
                raise _fail(path, number, f"two data files are named {where.name}; names under /data must differ")
            if where.stat().st_size > MAX_FILE_BYTES:
                raise _fail(path, number, f"data file {name} is larger than {MAX_FILE_BYTES} bytes")
            files[where.name] = where.read_bytes()
        out.append(TaskLine(line=number, task=task, answer=answer, files=files))
    if not out:
        raise ConfigError(f"task file {path} holds no tasks")
    return out


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def problem(item: TaskLine) -> Problem:
    """The Problem of one checked line (its decoys are the family's generic ones)."""
    task = item.task
    if task.solution is not None:
        gold = [task.solution]
    else:
        names = sorted(item.files)
        gold = ["import json, os\n"
                f"missing = [name for name in {names!r} if not os.path.isfile('/data/' + name)]\n"
                "assert not missing, f'missing data files: {missing}'\n"
                f"answer = json.loads({json.dumps(json.dumps(task.answer))})\n" + print_json("answer")]
    facts = {"line": item.line, **({"id": task.id} if task.id is not None else {}),
             "solution": task.solution is not None}
    return Problem("file", task.question, item.answer, gold, [], files=dict(item.files), facts=facts)
