"""Run directories: the one place records are written, so that every stage is resumable.

A run is a directory holding `manifest.json` (tool, versions, and for each stage the command and
config that ran it), JSONL journals (`tuples.jsonl`, `verdicts.jsonl`, `trajectories.jsonl`, ...)
and content-addressed assets under `assets/`. Guarantees:

- Records are appended one line at a time and flushed, so a killed process loses at most the line
  it was writing; the next open detects that torn last line and truncates it.
- A malformed line anywhere else is an error naming the file and line, never silently skipped.
- Manifests and rewritten journals are replaced atomically (write, fsync, rename).
- A stage re-run with the same config resumes (callers skip keys already present); a stage re-run
  with a different config on the same directory is refused rather than mixed.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Generic, Iterable, Iterator, TypeVar

from pydantic import BaseModel, ValidationError

from ._errors import StoreError
from ._records import SCHEMA_VERSION, AssetRef, Rejection, Trajectory, TupleRecord, VerdictRecord, canonical_json

MANIFEST = "manifest.json"
T = TypeVar("T", bound=BaseModel)


def atomic_write(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace `path` with `data` so readers see the old or the new file, never a mix.
    `durable` also syncs it to disk (survives power loss, not only a killed process)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
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


class Journal(Generic[T]):
    """An append-only JSONL file of one record type."""

    def __init__(self, path: Path, model: type[T], key: Callable[[T], str]) -> None:
        self.path = path
        self.model = model
        self._key = key
        self._handle: Any = None

    def repair(self) -> int:
        """Truncate a torn last line (no trailing newline) left by a crash; returns bytes dropped."""
        if not self.path.exists():
            return 0
        size = self.path.stat().st_size
        if size == 0:
            return 0
        with open(self.path, "rb+") as handle:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) == b"\n":
                return 0
            # scan back for the last complete line
            block = 1 << 16
            end = size
            keep = 0
            while end > 0:
                start = max(0, end - block)
                handle.seek(start)
                chunk = handle.read(end - start)
                pos = chunk.rfind(b"\n")
                if pos >= 0:
                    keep = start + pos + 1
                    break
                end = start
            handle.truncate(keep)
            return size - keep

    def __iter__(self) -> Iterator[T]:
        if not self.path.exists():
            return
        name = self.path.name
        with open(self.path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith(b"\n"):
                    # torn tail from a crash: not a record yet (repair() drops it before appending)
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
        """Write one record as one line and flush it to the OS."""
        if self._handle is None:
            self.repair()
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(self.path, "ab")
        self._handle.write(record.model_dump_json().encode("utf-8") + b"\n")
        self._handle.flush()

    def rewrite(self, records: Iterable[T]) -> None:
        """Replace the whole journal atomically."""
        self.close()
        atomic_write(self.path, b"".join(r.model_dump_json().encode("utf-8") + b"\n" for r in records))

    def close(self) -> None:
        if self._handle is not None:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            self._handle = None

    def __enter__(self) -> "Journal[T]":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
        return cls(path, manifest)

    @classmethod
    def create(cls, path: str | Path) -> "Run":
        """Open a run, or make it if the directory is absent or empty."""
        path = Path(path)
        if path.exists() and not path.is_dir():
            raise StoreError(f"{path} exists and is not a directory")
        if path.is_dir() and (path / MANIFEST).exists():
            return cls.open(path)
        if path.is_dir() and any(path.iterdir()):
            raise StoreError(f"{path} is not empty and is not a synth run directory (no {MANIFEST})")
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

    # -- stages --------------------------------------------------------------------------------
    def begin(self, stage: str, config: dict[str, Any], *, command: list[str] | None = None) -> None:
        """Record that `stage` runs with `config`; refuse a different config for the same stage.
        Temporary files left by a writer that was killed mid-write are removed here."""
        for leftover in self.path.rglob(".*.tmp"):
            leftover.unlink(missing_ok=True)
        stages = self.manifest.setdefault("stages", {})
        previous = stages.get(stage)
        if previous is not None and canonical_json(previous.get("config")) != canonical_json(config):
            changed = sorted(
                k for k in set(previous.get("config", {})) | set(config)
                if previous.get("config", {}).get(k) != config.get(k)
            )
            raise StoreError(
                f"{self.path} already holds a {stage} stage with different settings ({', '.join(changed)});"
                " use a new run directory"
            )
        if previous is None:
            stages[stage] = {"config": config, "command": command or ["synth", *sys.argv[1:]], "complete": False}
            self.save_manifest()

    def finish(self, stage: str, **facts: Any) -> None:
        """Mark `stage` complete, with summary facts (counts, figures)."""
        entry = self.manifest.setdefault("stages", {}).setdefault(stage, {})
        entry.update(facts)
        entry["complete"] = True
        self.save_manifest()

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
            if len(self._assets) >= 64:
                self._assets.pop(next(iter(self._assets)))
            self._assets[(ref.path, ref.sha256)] = data
        return data
