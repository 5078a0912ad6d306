"""A light index of a run: one row per task and one per episode, with byte offsets into the journals.

Sits beside the run store, under the report and the viewer (which only read runs). It reads each
journal once, line by line, with `json.loads` (no record validation: a 10,000-task run with its
trajectories is indexed in seconds and held as small summaries, never as whole records), and keeps
the byte offset of every line so a viewer reads one record from disk when asked. Guarantees:

- Read-only: it never writes, repairs or locks a run; a torn last line (a writer is appending, or
  was killed) is left for a later `refresh()`.
- `refresh()` reads only what was appended since the last call; a journal that shrank (rewritten
  atomically, e.g. by `synth verify --regrade`) is read again from the start.
- The same rules as the stages: the latest line of an episode wins (an infrastructure failure
  re-run), infrastructure failures and verifier errors are not graded, a task is sound when its
  gold passed and every control gave what it must.
- A malformed line is a one-line `StoreError` naming the file and line; so is a tuple whose
  content does not match its key (a changed byte: the run was edited after it was written), as
  every command that validates records refuses it.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from ._errors import StoreError
from ._records import TerminationReason, content_key
from ._store import Run

INFRASTRUCTURE = frozenset(t.value for t in TerminationReason if t.infrastructure)
LARGE = 20_000_000
"""Journal bytes above which reading a run is announced (about a second and more)."""
BASELINE = "baseline"
"""Control names starting with this are baseline solvers: a tuple one of them solves is easy."""


@dataclass
class ControlRow:
    """One graded control of a task (a line of verdicts.jsonl)."""

    control: str
    expect: str
    status: str
    sound: bool
    breaks: str | None
    failure: str
    """The first failing check (or the error) for a human."""
    offset: int

    @property
    def kind(self) -> str:
        """gold, empty, perturb, baseline, ... (the part before ':')."""
        return self.control.split(":", 1)[0]


@dataclass
class EpisodeRow:
    """One trajectory (gold or model) of a task."""

    task_key: str
    source: str
    model: str | None
    sample: int
    termination: str
    status: str | None
    """Verdict status (pass, fail, error), None when not graded."""
    tool_calls: int
    tool_errors: int
    prompt_tokens: int
    completion_tokens: int
    steps: int
    offset: int

    @property
    def graded(self) -> bool:
        return self.termination not in INFRASTRUCTURE and self.status in ("pass", "fail")

    @property
    def ident(self) -> tuple[str, str, str | None, int]:
        return (self.task_key, self.source, self.model, self.sample)


@dataclass
class TaskRow:
    """One tuple and what later stages said of it."""

    key: str
    family: str
    category: str
    difficulty: int
    seed: int
    index: int
    offset: int
    facts: dict[str, float] = field(default_factory=dict)
    """Numbers the family recorded of its validation (verifier args `validation`), e.g. the code
    family's F2P and P2P sizes and flake rate; a list counts as its length."""
    controls: list[ControlRow] = field(default_factory=list)
    episodes: dict[tuple[str, str, str | None, int], EpisodeRow] = field(default_factory=dict)

    @property
    def soundness(self) -> str:
        """sound, unsound or unverified."""
        if not self.controls:
            return "unverified"
        return "sound" if all(c.sound for c in self.controls) else "unsound"

    @property
    def baselines(self) -> list[ControlRow]:
        return [c for c in self.controls if c.kind == BASELINE]

    @property
    def easy(self) -> bool:
        """A baseline solver passes it."""
        return any(c.status == "pass" for c in self.baselines)

    def model_episodes(self, model: str | None = None) -> list[EpisodeRow]:
        return [e for e in self.episodes.values() if e.source == "model" and (model is None or e.model == model)]

    def model_stats(self, model: str | None = None) -> tuple[int, int]:
        """(graded model episodes, passes)."""
        graded = [e for e in self.model_episodes(model) if e.graded]
        return len(graded), sum(e.status == "pass" for e in graded)

    def endings(self) -> Counter:
        return Counter(e.termination for e in self.model_episodes())

    def verdicts(self) -> set[str]:
        """Verdict statuses of the model episodes."""
        return {e.status for e in self.model_episodes() if e.status is not None}


@dataclass
class RejectionRow:
    family: str
    reason: str
    validated: bool
    """Validation ran before the candidate was refused (its details carry validation facts)."""


def _numbers(validation: Any) -> dict[str, float]:
    if not isinstance(validation, dict):
        return {}
    out: dict[str, float] = {}
    for name, value in validation.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, (int, float)):
            out[name] = float(value)
        elif isinstance(value, list):
            out[name] = float(len(value))
    return out


def _keys_hold(data: dict[str, Any]) -> bool:
    """A tuple line's content hashes to its keys: each keyed part (environment, task, verifier)
    to its own key, and the joins between them, as `TupleRecord` validation checks them."""
    parts = [data.get(name) for name in ("environment", "task", "verifier")]
    for part in parts:
        if not isinstance(part, dict):
            return False
        if "key" in part and content_key({k: v for k, v in part.items() if k != "key"}) != part["key"]:
            return False
    environment, task, _ = parts
    return data.get("key") == task.get("key") and task.get("environment_key") == environment.get("key")


def _failure(verdict: dict[str, Any]) -> str:
    if verdict.get("status") == "error":
        return f"error: {verdict.get('error')}"
    for check in verdict.get("checks") or []:
        if not check.get("passed"):
            message = check.get("message") or ""
            return f"{check.get('name')}: {message}" if message else str(check.get("name"))
    return ""


class _Cursor:
    """Where reading of one journal stopped."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.line = 0

    def lines(self) -> Iterator[tuple[int, int, dict[str, Any]]]:
        """(offset, line number, parsed JSON) of each complete line appended since the last call."""
        try:
            size = os.path.getsize(self.path)
        except OSError:
            return
        if size == self.offset:
            return
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            while True:
                start = handle.tell()
                raw = handle.readline()
                if not raw.endswith(b"\n"):
                    return  # torn or still being written: read it next time
                self.offset = handle.tell()
                self.line += 1
                if not raw.strip():
                    raise StoreError(f"malformed JSONL: {self.path.name} line {self.line} is empty")
                try:
                    data = json.loads(raw)
                except ValueError:
                    raise StoreError(f"malformed JSONL: {self.path.name} line {self.line} is not JSON") from None
                if not isinstance(data, dict):
                    raise StoreError(f"malformed JSONL: {self.path.name} line {self.line} is not an object")
                yield start, self.line, data

    def shrank(self) -> bool:
        try:
            return os.path.getsize(self.path) < self.offset
        except OSError:
            return self.offset > 0


class RunIndex:
    """Tasks, controls, episodes and rejections of a run (see the module docstring)."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.lock = threading.RLock()
        """Held while refreshing; readers in other threads (the viewer's) hold it while they read."""
        self._reset()

    def _reset(self) -> None:
        self.tasks: dict[str, TaskRow] = {}
        self.order: list[str] = []
        """Task keys in tuples.jsonl order."""
        self.rejections: list[RejectionRow] = []
        self.orphans: dict[str, list[Any]] = {}
        """Controls and episodes whose tuple is not (yet) read, by task key."""
        self._cursors = {name: _Cursor(self.run.path / name) for name in (Run.TUPLES, Run.REJECTIONS, Run.VERDICTS, Run.TRAJECTORIES)}
        self.version = 0

    @classmethod
    def open(cls, path: str | Path, log: Callable[[str], None] | None = None) -> "RunIndex":
        """Open and read a run; `log` hears one line first when the journals are large (seconds)."""
        index = cls(Run.open(path))
        size = sum(c.path.stat().st_size for c in index._cursors.values() if c.path.exists())
        if log is not None and size > LARGE:
            log(f"reading {size / 1e6:.0f} MB of journals in {index.run.path} ...")
        index.refresh()
        return index

    def refresh(self) -> bool:
        """Read what was appended since the last call; True when anything changed."""
        with self.lock:
            if any(cursor.shrank() for cursor in self._cursors.values()):
                self._reset()
            before = [c.offset for c in self._cursors.values()]
            self._read_tuples()
            self._read_rejections()
            self._read_verdicts()
            self._read_trajectories()
            changed = before != [c.offset for c in self._cursors.values()]
            if changed:
                self.version += 1
                try:
                    self.run.manifest = Run.open(self.run.path).manifest
                except StoreError:
                    pass
            return changed

    def _where(self, name: str, number: int, field_name: str) -> StoreError:
        return StoreError(f"malformed JSONL: {name} line {number}: {field_name} is missing or has the wrong type")

    def _read_tuples(self) -> None:
        for offset, number, data in self._cursors[Run.TUPLES].lines():
            try:
                env = data["environment"]
                row = TaskRow(
                    key=str(data["key"]), family=str(env["family"]), category=str(env["category"]),
                    difficulty=int(env["difficulty"]), seed=int(env["seed"]), index=int(env["index"]), offset=offset,
                    facts=_numbers((data.get("verifier") or {}).get("args", {}).get("validation")),
                )
            except (KeyError, TypeError, ValueError, AttributeError):
                raise self._where(Run.TUPLES, number, "key or environment") from None
            if not _keys_hold(data):
                raise StoreError(f"malformed JSONL: {Run.TUPLES} line {number}: the record does not match its key"
                                 f" {row.key[:12]}… (it was changed after it was written)")
            if row.key not in self.tasks:
                self.order.append(row.key)
            self.tasks[row.key] = row
            for item in self.orphans.pop(row.key, []):
                self._attach(row, item)

    def _read_rejections(self) -> None:
        for _, number, data in self._cursors[Run.REJECTIONS].lines():
            details = data.get("details") if isinstance(data.get("details"), dict) else {}
            if not isinstance(data.get("reason"), str):
                raise self._where(Run.REJECTIONS, number, "reason")
            self.rejections.append(RejectionRow(str(data.get("family", "")), data["reason"], "fail_to_pass" in details))

    def _read_verdicts(self) -> None:
        for offset, number, data in self._cursors[Run.VERDICTS].lines():
            try:
                verdict = data["verdict"]
                item = ControlRow(
                    control=str(data["control"]), expect=str(data["expect"]), status=str(verdict["status"]),
                    sound=bool(data["sound"]), breaks=data.get("breaks"), failure=_failure(verdict), offset=offset,
                )
                key = str(data["task_key"])
            except (KeyError, TypeError):
                raise self._where(Run.VERDICTS, number, "task_key, control or verdict") from None
            self._route(key, item)

    def _read_trajectories(self) -> None:
        for offset, number, data in self._cursors[Run.TRAJECTORIES].lines():
            try:
                messages = data.get("messages") or []
                usage = data.get("usage") or {}
                verdict = data.get("verdict")
                item = EpisodeRow(
                    task_key=str(data["task_key"]), source=str(data["source"]), model=data.get("model"),
                    sample=int(data.get("sample", 0)), termination=str(data["termination"]),
                    status=verdict.get("status") if isinstance(verdict, dict) else None,
                    tool_calls=sum(len(m.get("tool_calls") or []) for m in messages if isinstance(m, dict)),
                    tool_errors=int(data.get("tool_errors", 0)),
                    prompt_tokens=int(usage.get("prompt_tokens", 0)), completion_tokens=int(usage.get("completion_tokens", 0)),
                    steps=int((data.get("extra") or {}).get("steps", 0) or 0), offset=offset,
                )
            except (KeyError, TypeError, ValueError, AttributeError):
                raise self._where(Run.TRAJECTORIES, number, "task_key, source or termination") from None
            self._route(item.task_key, item)

    def _route(self, key: str, item: Any) -> None:
        row = self.tasks.get(key)
        if row is None:
            self.orphans.setdefault(key, []).append(item)
        else:
            self._attach(row, item)

    @staticmethod
    def _attach(row: TaskRow, item: Any) -> None:
        if isinstance(item, ControlRow):
            # a control re-graded later replaces the earlier line (same key as VerdictRecord.key)
            row.controls = [c for c in row.controls if c.control != item.control] + [item]
        else:
            row.episodes[item.ident] = item

    # -- questions -------------------------------------------------------------------------------
    def rows(self) -> list[TaskRow]:
        return [self.tasks[key] for key in self.order]

    def models(self) -> list[str]:
        return sorted({e.model for t in self.tasks.values() for e in t.model_episodes() if e.model})

    def episodes(self, source: str | None = None) -> Iterator[EpisodeRow]:
        for key in self.order:
            for episode in self.tasks[key].episodes.values():
                if source is None or episode.source == source:
                    yield episode

    def read(self, name: str, offset: int) -> dict[str, Any]:
        """The JSON object of the line at `offset` of journal `name`."""
        with open(self.run.path / name, "rb") as handle:
            handle.seek(offset)
            return json.loads(handle.readline())
