"""Run directories: the one place records are written, so that every stage is resumable.

A run is a directory holding `manifest.json` (tool, versions, and for each stage the command and
config that ran it), JSONL journals (`tuples.jsonl`, `verdicts.jsonl`, `trajectories.jsonl`, ...)
and content-addressed assets under `assets/`. Guarantees:

- Records are appended one line at a time, each under an exclusive lock of its journal file
  (fcntl.flock, released by the kernel when a process dies, even by SIGKILL). A line a killed
  writer tore is truncated under that lock by the next append, so a broken line never ends up in
  the middle of a file, whoever writes next; readers stop at a torn last line.
- A malformed line anywhere else is an error naming the file and line, never silently skipped.
- One writer per stage: `Run.writing(stage, config)` holds an exclusive lock of that stage of that
  run; a second process asking for it is refused with one line naming the holder's pid.
- Manifests and rewritten journals are replaced atomically (write, fsync, rename); manifest updates
  re-read the file under a lock, so stages running side by side (two models' rollouts) never drop
  each other's entries.
- A stage re-run with the same config resumes (callers skip keys already present); a stage re-run
  with a different config on the same directory is refused rather than mixed. A setting at its
  default counts the same as one the recorded config lacks (with the `defaults` a caller gives), so
  a run made before an option existed still resumes once the option is added with its default.
  A stage that fails before writing a record leaves the manifest as it found it; one that fails
  or stops after writing is marked `aborted` with the reason (a re-run resumes it).
- A run is never made inside another run.
- A manifest is read strictly: one of the wrong shape anywhere (stages not an object of stages, a
  stage without its config, a count that is not a count) is one line naming the place; one that
  disagrees with the journals (verdicts or trajectories of a stage it does not list, a finished generate stage whose
  counts are not the journals' lines) is refused with one line naming the disagreement (tuples
  alone need no generate stage: the Python API may append them). Both
  point at a hand-edited or foreign directory, never at a run synth wrote (a stage is recorded
  before its first record is written).
"""

from __future__ import annotations

import contextlib
import copy
import fcntl
import hashlib
import json
import os
import platform
import re
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Generic, Iterable, Iterator, TypeVar

from pydantic import BaseModel, ValidationError

from ._errors import ConfigError, StoreError
from ._records import SCHEMA_VERSION, AssetRef, Rejection, Trajectory, TupleRecord, VerdictRecord, canonical_json

MANIFEST = "manifest.json"
LOCKS = ".locks"
"""Folder of a run holding its lock files (one per stage, one for the manifest)."""
T = TypeVar("T", bound=BaseModel)


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace `path` with `data` so readers see the old or the new file, never a mix.
    `durable` also syncs it to disk (survives power loss, not only a killed process). The
    temporary file's name carries the writer's pid, so only a dead writer's leftovers are removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _versions() -> dict[str, str]:
    from importlib import metadata

    found = {"python": platform.python_version()}
    for dist in ("synth", "pydantic"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "unknown"
    return found


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def _holder(path: Path) -> str:
    try:
        pid = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        pid = ""
    return f"pid {pid}" if pid.isdigit() else "pid unknown"


class StageLock:
    """The exclusive lock of one stage of one run (a flock on `RUN/.locks/<stage>.lock`, which
    names its holder's pid). The kernel releases it when the holder dies, even by SIGKILL."""

    def __init__(self, run: Path, stage: str, *, wait: bool = False) -> None:
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", stage)[:60]
        self.run, self.stage, self.wait = run, stage, wait
        self.path = run / LOCKS / f"{safe}-{hashlib.sha256(stage.encode()).hexdigest()[:8]}.lock"
        self._fd: int | None = None

    def acquire(self) -> "StageLock":
        """Take the lock, or raise StoreError naming the process that holds it (`wait`: wait for it)."""
        try:
            self.path.parent.mkdir(exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot write to run {self.run}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if self.wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError(
                f"another synth process ({_holder(self.path)}) is running the {self.stage} stage of {self.run};"
                " wait for it to end or stop it"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> "StageLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


class Journal(Generic[T]):
    """An append-only JSONL file of one record type, safe to append to from several processes."""

    def __init__(self, path: Path, model: type[T], key: Callable[[T], str]) -> None:
        self.path = path
        self.model = model
        self._key = key
        self._fd: int | None = None
        # flock excludes other processes, not threads sharing this descriptor: one thread's unlock
        # would let another process in (and cut a line) while a second thread of ours is writing
        self._threads = threading.Lock()

    def repair(self) -> int:
        """Truncate a torn last line (no trailing newline) left by a killed writer; returns bytes
        dropped. Done under the journal's lock, so a line another process is writing is never cut."""
        if not self.path.exists():
            return 0
        with self.locked() as fd:
            return self._repair(fd)

    @staticmethod
    def _repair(fd: int) -> int:
        """Under the lock: cut a torn tail (its writer is dead: a live one would hold the lock)."""
        size = os.fstat(fd).st_size
        if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
            return 0
        block, end, keep = 1 << 16, size, 0
        while end > 0:  # scan back for the last complete line
            start = max(0, end - block)
            pos = os.pread(fd, end - start, start).rfind(b"\n")
            if pos >= 0:
                keep = start + pos + 1
                break
            end = start
        os.ftruncate(fd, keep)
        return size - keep

    @contextlib.contextmanager
    def locked(self) -> Iterator[int]:
        """Hold the journal's exclusive lock (appends wait); yields a descriptor of the current file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _same_file(fd, self.path):
                break
            os.close(fd)  # replaced (rewritten) while we waited: lock the new file
        try:
            yield fd
        finally:
            os.close(fd)

    def __iter__(self) -> Iterator[T]:
        if not self.path.exists():
            return
        name = self.path.name
        with open(self.path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith(b"\n"):
                    # torn tail from a crash: not a record yet (the next append truncates it)
                    return
                if not line.strip():
                    raise StoreError(f"malformed JSONL: {name} line {number} is empty")
                try:
                    yield self.model.model_validate_json(line)
                except ValidationError as exc:
                    first = exc.errors()[0]
                    where = ".".join(str(p) for p in first["loc"]) or "record"
                    raise StoreError(f"malformed JSONL: {name} line {number}: {where}: {first['msg']}") from None

    def read(self) -> list[T]:
        return list(self)

    def keys(self) -> set[str]:
        return {self._key(record) for record in self}

    def append(self, record: T) -> None:
        """Write one record as one line, under the journal's lock: a torn tail left by a killed
        writer is cut first, and the line reaches the OS whole before another writer goes on."""
        data = record.model_dump_json().encode("utf-8") + b"\n"
        with self._threads:
            self._append(data)

    def _append(self, data: bytes) -> None:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            while not _same_file(self._fd, self.path):  # rewritten since we opened it: append to the new file
                fcntl.flock(self._fd, fcntl.LOCK_UN)
                os.close(self._fd)
                self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            self._repair(self._fd)
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def rewrite(self, records: Iterable[T]) -> None:
        """Replace the whole journal atomically (hold `locked()` around reading and rewriting to
        keep appends out in between)."""
        self.close()
        atomic_write(self.path, b"".join(r.model_dump_json().encode("utf-8") + b"\n" for r in records))

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "Journal[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # a journal appended to and never closed must not leak its descriptor
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


class StageSession:
    """One process's turn at one stage of a run (see `Run.writing`): `finish` marks the stage
    complete with its facts, `abort` marks it stopped with the reason."""

    def __init__(self, run: "Run", stage: str) -> None:
        self.run, self.stage = run, stage
        self.ended = False

    def finish(self, **facts: Any) -> None:
        self.run.finish(self.stage, **facts)
        self.ended = True

    def abort(self, reason: str, **facts: Any) -> None:
        self.run._aborted(self.stage, reason, **facts)
        self.ended = True


class Run:
    """A run directory. Use `Run.create` for a stage that may make it, `Run.open` to read one."""

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self.manifest = manifest
        self._assets: dict[tuple[str, str], bytes] = {}

    # -- opening -------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path) -> "Run":
        """Open an existing run; a missing, unreadable or foreign directory is a StoreError."""
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise StoreError(f"{path} is a file, not a run directory")
        if not path.is_dir():
            raise StoreError(f"run directory {path} does not exist")
        manifest_path = path / MANIFEST
        if not manifest_path.is_file():
            raise StoreError(f"{path} is not a synth run directory (no {MANIFEST})")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise StoreError(f"{manifest_path} is unreadable: {exc}") from None
        if not isinstance(manifest, dict) or manifest.get("tool") != "synth":
            raise StoreError(f"{path} is not a synth run directory ({MANIFEST} was not written by synth)")
        version = manifest.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION:
            raise StoreError(f"{path} was written by a newer synth (schema_version {version})")
        _check_shape(manifest_path, manifest)
        _check_journals(path, manifest)
        return cls(path, manifest)

    @classmethod
    def create(cls, path: str | Path) -> "Run":
        """Open a run, or make it if the directory is absent or empty (and not inside a run)."""
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise StoreError(f"{path} exists and is not a directory")
        if path.is_dir() and (path / MANIFEST).exists():
            return cls.open(path)
        if path.is_dir() and any(path.iterdir()):
            raise StoreError(f"{path} is not empty and is not a synth run directory (no {MANIFEST})")
        outer = enclosing_run(path.parent)
        if outer is not None:
            raise StoreError(f"{path} is inside the run {outer}; make a run outside other runs")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create run directory {path}: {exc.strerror}") from None
        run = cls(path, {"schema_version": SCHEMA_VERSION, "tool": "synth", "versions": _versions(), "stages": {}})
        run.save_manifest()
        return run

    def save_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        atomic_write(self.path / MANIFEST, text.encode("utf-8"))

    def _update(self, change: Callable[[dict[str, Any]], Any]) -> Any:
        """Apply `change` to the manifest as it is on disk now, under the manifest's lock, and save
        it: concurrent stages never drop each other's entries. Returns what `change` returns."""
        with StageLock(self.path, "manifest", wait=True):
            try:
                current = json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
                if isinstance(current, dict) and current.get("tool") == "synth":
                    self.manifest = current
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                pass  # keep the copy in memory; saving replaces the unreadable file
            result = change(self.manifest)
            self.save_manifest()
            return result

    # -- stages --------------------------------------------------------------------------------
    @contextlib.contextmanager
    def writing(self, stage: str, config: dict[str, Any], *, command: list[str] | None = None,
                defaults: dict[str, Any] | None = None) -> Iterator[StageSession]:
        """Run `stage` with `config` as its only writer: take the stage's lock (another holder is a
        one-line StoreError naming its pid), record the stage (`begin`), and yield a session to
        `finish` or `abort` it. On an exception, the manifest is put back as it was when nothing
        was written; after records were written the stage is marked aborted with the reason."""
        with StageLock(self.path, stage):
            before = copy.deepcopy(self.stage(stage))
            self.begin(stage, config, command=command, defaults=defaults)
            sizes = self._journal_sizes()
            session = StageSession(self, stage)

            def restore(manifest: dict[str, Any]) -> None:
                if before is None:
                    manifest["stages"].pop(stage, None)
                else:
                    manifest["stages"][stage] = before

            try:
                yield session
            except BaseException as exc:
                if not session.ended:
                    if self._journal_sizes() == sizes:
                        self._update(restore)
                    else:
                        self._aborted(stage, _reason(exc))
                raise

    def _journal_sizes(self) -> dict[str, int]:
        return {p.name: p.stat().st_size for p in self.path.glob("*.jsonl")}

    def begin(self, stage: str, config: dict[str, Any], *, command: list[str] | None = None,
              defaults: dict[str, Any] | None = None) -> None:
        """Record that `stage` runs with `config`; refuse a different config for the same stage (a key
        one side lacks is no difference where the other holds its value in `defaults`). Temporary files
        left by writers that died mid-write are removed here."""
        for leftover in self.path.rglob(".*.tmp"):
            pid = re.search(r"\.(\d+)\.[^.]*\.tmp$", leftover.name)
            if pid is None or not _pid_alive(int(pid.group(1))):
                leftover.unlink(missing_ok=True)

        def change(manifest: dict[str, Any]) -> None:
            stages = manifest.setdefault("stages", {})
            previous = stages.get(stage)
            if previous is not None and canonical_json(previous.get("config")) != canonical_json(config):
                recorded, absent = previous.get("config", {}), object()

                def value(cfg: dict[str, Any], key: str) -> Any:
                    return cfg[key] if key in cfg else (defaults or {}).get(key, absent)

                changed = sorted(k for k in set(recorded) | set(config) if value(recorded, k) != value(config, k))
                if changed:
                    raise StoreError(
                        f"{self.path} already holds a {stage} stage with different settings ({', '.join(changed)});"
                        " use a new run directory"
                    )
            if previous is None:
                stages[stage] = {"config": config, "command": command or ["synth", *sys.argv[1:]], "complete": False}

        self._update(change)

    def finish(self, stage: str, **facts: Any) -> None:
        """Mark `stage` complete, with summary facts (counts, figures)."""

        def change(manifest: dict[str, Any]) -> None:
            entry = manifest.setdefault("stages", {}).setdefault(stage, {})
            entry.update(facts)
            entry.pop("aborted", None)
            entry["complete"] = True

        self._update(change)

    def _aborted(self, stage: str, reason: str, **facts: Any) -> None:
        def change(manifest: dict[str, Any]) -> None:
            entry = manifest.setdefault("stages", {}).setdefault(stage, {})
            entry.update(facts)
            entry["aborted"] = reason
            entry["complete"] = False

        self._update(change)

    def stage(self, stage: str) -> dict[str, Any] | None:
        return self.manifest.get("stages", {}).get(stage)

    # -- journals and assets -------------------------------------------------------------------
    TUPLES = "tuples.jsonl"
    """TupleRecord per line (generate)."""
    REJECTIONS = "rejections.jsonl"
    """Rejection per line: candidates that did not become tuples (generate)."""
    VERDICTS = "verdicts.jsonl"
    """VerdictRecord per line: gold and null controls of each tuple (verify)."""
    TRAJECTORIES = "trajectories.jsonl"
    """Trajectory per line: gold (verify) and model episodes (rollout)."""

    def journal(self, name: str, model: type[T], key: Callable[[T], str] | None = None) -> Journal[T]:
        return Journal(self.path / name, model, key or (lambda r: r.key))  # type: ignore[attr-defined]

    def tuples(self) -> "Journal[TupleRecord]":
        return self.journal(self.TUPLES, TupleRecord)

    def rejections(self) -> "Journal[Rejection]":
        return self.journal(self.REJECTIONS, Rejection)

    def verdicts(self) -> "Journal[VerdictRecord]":
        return self.journal(self.VERDICTS, VerdictRecord)

    def trajectories(self) -> "Journal[Trajectory]":
        return self.journal(self.TRAJECTORIES, Trajectory)

    def write_asset(self, folder: str, data: bytes, suffix: str, media_type: str) -> AssetRef:
        """Store bytes under assets/FOLDER/<sha256>SUFFIX (content-addressed, written atomically).
        Not synced to disk one by one: a killed process loses nothing, and after a power loss a
        damaged asset is caught by its digest when read."""
        digest = hashlib.sha256(data).hexdigest()
        rel = f"assets/{folder}/{digest[:32]}{suffix}"
        target = self.path / rel
        if not (target.exists() and target.stat().st_size == len(data)):
            atomic_write(target, data, durable=False)
        return AssetRef(path=rel, sha256=digest, media_type=media_type)

    def read_asset(self, ref: AssetRef) -> bytes:
        """Bytes of a stored asset, checked against its digest (small assets are kept once read)."""
        cached = self._assets.get((ref.path, ref.sha256))
        if cached is not None:
            return cached
        target = self.path / ref.path
        try:
            data = target.read_bytes()
        except OSError as exc:
            raise StoreError(f"asset {ref.path} of run {self.path} is unreadable: {exc.strerror}") from None
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            raise StoreError(f"asset {ref.path} of run {self.path} does not match its sha256 (modified?)")
        if len(data) <= 1 << 20:
            cache = self._assets
            if len(cache) >= 64:  # full: start a new one (threads evicting one entry each raced: KeyError)
                cache = self._assets = {}
            cache[(ref.path, ref.sha256)] = data
        return data


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, SystemExit):
        return f"stopped (exit code {exc.code})"
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:500]


_FACT = (int, float, str, bool, type(None))


def _check_shape(where: Path, manifest: dict[str, Any]) -> None:
    """One line naming the first place where `manifest` is not of the shape synth writes."""

    def bad(place: str, what: str) -> StoreError:
        return StoreError(f"{where} is malformed: {place} {what}; it was edited by hand or not written by synth")

    if not isinstance(manifest.get("versions", {}), dict):
        raise bad("versions", "is not an object")
    stages = manifest.get("stages", {})
    if not isinstance(stages, dict):
        raise bad("stages", f"is {type(stages).__name__}, not an object of stages")
    for name, entry in stages.items():
        place = f"stages.{name}"
        if not isinstance(entry, dict):
            raise bad(place, f"is {type(entry).__name__}, not an object")
        if not isinstance(entry.get("config"), dict):
            raise bad(f"{place}.config", "is missing or not an object")
        if not isinstance(entry.get("complete"), bool):
            raise bad(f"{place}.complete", "is missing or not true/false")
        command = entry.get("command", [])
        if not isinstance(command, list) or not all(isinstance(part, str) for part in command):
            raise bad(f"{place}.command", "is not a list of strings")
        for key, value in entry.items():
            if key in ("config", "command", "complete"):
                continue
            if key == "aborted" and not isinstance(value, str):
                raise bad(f"{place}.aborted", "is not a reason")
            if not isinstance(value, _FACT) and not (isinstance(value, (list, dict)) and key not in _COUNTS):
                raise bad(f"{place}.{key}", "is not a value")
            if key in _COUNTS and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise bad(f"{place}.{key}", f"is {json.dumps(value)[:40]}, not a count")


_COUNTS = ("tuples", "rejected", "sound", "unsound", "easy", "episodes", "samples")
"""Facts of a stage that are counts."""
_line_counts: dict[tuple[str, int, int], int] = {}


def _lines(path: Path) -> int:
    """Complete lines of a journal (a torn last line is not one), cached by size and mtime."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return 0
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _line_counts:
        count = 0
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                count += block.count(b"\n")
        if len(_line_counts) > 256:
            _line_counts.clear()
        _line_counts[key] = count
    return _line_counts[key]


def _check_journals(path: Path, manifest: dict[str, Any]) -> None:
    """Refuse a manifest that disagrees with the journals, naming the disagreement."""
    stages = manifest.get("stages", {})
    # tuples may come from the Python API without a generate stage (`run.tuples().append`); verdicts
    # and trajectories come only from stages, which are recorded before their first record
    if "verify" not in stages and _lines(path / Run.VERDICTS):
        raise StoreError(f"{path / MANIFEST} disagrees with the run: {Run.VERDICTS} holds {_lines(path / Run.VERDICTS)}"
                         " records but the manifest lists no verify stage")
    if _lines(path / Run.TRAJECTORIES) and not any(name == "verify" or name.startswith("rollout:") for name in stages):
        raise StoreError(f"{path / MANIFEST} disagrees with the run: {Run.TRAJECTORIES} holds records but the manifest"
                         " lists no verify or rollout stage")
    generated = stages.get("generate")
    if generated and generated["complete"]:
        for fact, journal in (("tuples", Run.TUPLES), ("rejected", Run.REJECTIONS)):
            if fact in generated and generated[fact] != _lines(path / journal):
                raise StoreError(f"{path / MANIFEST} disagrees with the run: the finished generate stage records"
                                 f" {fact}={generated[fact]} but {journal} holds {_lines(path / journal)}")
        config = generated.get("config")
        if isinstance(config, dict) and set(config) == {"family", "categories", "n", "seed", "difficulty"} \
                and isinstance(config["n"], int) and isinstance(config["categories"], list):
            # a procedural family's recipe: n tuples per category, each candidate a tuple or a rejection
            wanted = config["n"] * len(config["categories"])
            made, rejected = _lines(path / Run.TUPLES), _lines(path / Run.REJECTIONS)
            if made > wanted or made + rejected < wanted:
                raise StoreError(f"{path / MANIFEST} disagrees with the run: the finished generate stage's config asks for"
                                 f" n={config['n']} x {len(config['categories'])} categories = {wanted} tuples, but"
                                 f" {Run.TUPLES} holds {made} and {Run.REJECTIONS} {rejected}")


def enclosing_run(path: str | Path) -> Path | None:
    """The run directory `path` is, or is inside, if any (`path` need not exist)."""
    here = Path(path).resolve()
    for folder in (here, *here.parents):
        manifest = folder / MANIFEST
        if manifest.is_file():
            try:
                if json.loads(manifest.read_text(encoding="utf-8")).get("tool") == "synth":
                    return folder
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
                continue
    return None


def check_output(path: Path, what: str = "--out", *, folder: bool = False) -> None:
    """Refuse, with one line, an output file that lies inside a run directory (an export must
    never overwrite or mix with a run's own files), is not a regular file (with `folder`: is not
    a directory), or cannot be written."""
    run = enclosing_run(path)
    if run is not None:
        raise ConfigError(f"{what} {path} is inside the run {run}; write exports outside run directories,"
                          f" e.g. {run.parent / (run.name + '.' + path.name)}")
    if folder and path.exists() and not path.is_dir():
        raise ConfigError(f"{what} {path} is a file; --format hf writes a dataset folder, give a new path")
    if not folder and path.exists() and not path.is_file():
        raise ConfigError(f"{what} {path} is {'a directory' if path.is_dir() else 'not a regular file'}; give a file name")
    folder = Path(path).absolute().parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise ConfigError(f"cannot write {what} {path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write {what} {path}: {folder} is not writable")
