"""The trainers' own formats: verl's RL parquet and a Hugging Face `datasets` folder, and `score`,
the reward function a trainer calls to grade a rollout with the task's own verifier.

Sits at the end of generate -> verify -> rollout -> export, beside the JSONL writer: the rows are
the same SFT and RL lines (`_export.sft_lines`, `rl_lines`), laid out as the trainer reads them.

- verl (`--format verl`): one parquet file, one row per sound task, with the columns verl's
  `RLHFDataset` reads: `data_source` ("synth/FAMILY/CATEGORY", the key verl picks a reward function
  by), `prompt` (chat messages), `ability` (the family), `reward_model` ({style: "rule",
  ground_truth: the verifier reference as JSON: run, task_key, verifier name and args}) and
  `extra_info` (index, split, task key, run, family, category, difficulty, and as JSON text the
  tools, answer schema, verifier and rollout facts).
- hf (`--format hf`): a folder written by `Dataset.save_to_disk`, loadable with `load_from_disk`;
  `--view rl` (default) holds one row per task with a conversational `prompt` (TRL's prompt-only
  form, for GRPO), `--view sft` one row per verified trajectory with `messages` (TRL's
  conversational form, for SFT).

Values whose shape differs from row to row (tool JSON schemas, verifier arguments, answer schemas)
travel as JSON text, so every row fits one Arrow schema, declared here: an empty export is still a
well-formed file; an export with no rows is refused (datasets, and so verl and TRL, cannot load an
empty parquet file or dataset folder). Files are written to a temporary name and renamed, so a failed export leaves the
previous file (or nothing); an hf folder replaces only an earlier `save_to_disk` folder or an empty
directory, never other files.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from ._errors import ConfigError, StoreError

if TYPE_CHECKING:
    from ._lines import RLLine, SFTLine
    from ._records import TupleRecord, Verdict


def _js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _arrow() -> Any:
    try:
        import pyarrow
    except ImportError:
        raise ConfigError("this format needs pyarrow: pip install 'synth[formats]'") from None
    return pyarrow


def _schemas(pa: Any) -> dict[str, Any]:
    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    call = pa.struct([("id", pa.string()), ("type", pa.string()),
                      ("function", pa.struct([("name", pa.string()), ("arguments", pa.string())]))])
    chat = pa.struct([("role", pa.string()), ("content", pa.string()), ("reasoning_content", pa.string()),
                      ("tool_calls", pa.list_(call)), ("tool_call_id", pa.string()), ("name", pa.string())])
    metadata = pa.struct([("family", pa.string()), ("category", pa.string()), ("difficulty", pa.int64()),
                          ("seed", pa.int64()), ("index", pa.int64())])
    return {
        "verl": pa.schema([
            ("data_source", pa.string()), ("prompt", pa.list_(message)), ("ability", pa.string()),
            ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
            ("extra_info", pa.struct([
                ("index", pa.int64()), ("split", pa.string()), ("task_key", pa.string()), ("run", pa.string()),
                ("family", pa.string()), ("category", pa.string()), ("difficulty", pa.int64()), ("tools", pa.string()),
                ("answer_schema", pa.string()), ("verifier", pa.string()), ("rollouts", pa.string()),
                ("need_tools_kwargs", pa.bool_())])),
        ]),
        "rl": pa.schema([
            ("task_key", pa.string()), ("prompt", pa.list_(message)), ("tools", pa.string()), ("answer_schema", pa.string()),
            ("verifier", pa.string()), ("environment", pa.string()), ("run", pa.string()), ("metadata", metadata),
            ("task", pa.string()), ("rollouts", pa.string()),
        ]),
        "sft": pa.schema([
            ("task_key", pa.string()), ("messages", pa.list_(chat)), ("tools", pa.string()), ("source", pa.string()),
            ("model", pa.string()), ("sample", pa.int64()), ("reward", pa.float64()), ("termination", pa.string()),
            ("verifier", pa.string()), ("sampling", pa.string()), ("usage", pa.string()), ("tool_errors", pa.int64()),
            ("metadata", metadata),
        ]),
    }


def verl_row(index: int, line: "RLLine") -> dict[str, Any]:
    env = line.environment
    reference = {"run": env.run, "task_key": line.task_key, "verifier": line.verifier}
    return {
        "data_source": f"synth/{env.family}/{env.category}",
        "prompt": [{"role": m["role"], "content": m.get("content") or ""} for m in line.prompt],
        "ability": env.family,
        "reward_model": {"style": "rule", "ground_truth": _js(reference)},
        "extra_info": {
            "index": index, "split": "train", "task_key": line.task_key, "run": env.run, "family": env.family,
            "category": env.category, "difficulty": env.difficulty, "tools": _js(line.tools),
            "answer_schema": _js(line.answer_schema), "verifier": _js(line.verifier), "rollouts": _js(line.rollouts),
            "need_tools_kwargs": False,
        },
    }


def rl_row(line: "RLLine") -> dict[str, Any]:
    meta = line.metadata
    return {
        "task_key": line.task_key,
        "prompt": [{"role": m["role"], "content": m.get("content") or ""} for m in line.prompt],
        "tools": _js(line.tools), "answer_schema": _js(line.answer_schema), "verifier": _js(line.verifier),
        "environment": _js(line.environment.model_dump(mode="json")), "run": line.environment.run,
        "metadata": meta.model_dump(mode="json", exclude={"task"}), "task": _js(meta.task), "rollouts": _js(line.rollouts),
    }


def sft_row(line: "SFTLine") -> dict[str, Any]:
    return {
        "task_key": line.task_key, "messages": line.messages, "tools": _js(line.tools), "source": line.source,
        "model": line.model, "sample": line.sample, "reward": line.reward, "termination": line.termination,
        "verifier": _js(line.verifier), "sampling": _js(line.sampling), "usage": _js(line.usage),
        "tool_errors": line.tool_errors, "metadata": line.metadata.model_dump(mode="json", exclude={"task"}),
    }


def _table(rows: list[dict[str, Any]], layout: str) -> Any:
    if not rows:
        what = "verified trajectory" if layout == "sft" else "sound task"
        raise ConfigError(f"no {what} to export (after the filters); datasets cannot load an empty file, so none is written")
    pa = _arrow()
    return pa.Table.from_pylist(rows, schema=_schemas(pa)[layout])


def write_verl(lines: Iterable["RLLine"], out: Path) -> int:
    """verl's RL parquet at `out` (replaced atomically); returns the row count."""
    import pyarrow.parquet as pq

    rows = [verl_row(index, line) for index, line in enumerate(lines)]
    table = _table(rows, "verl")
    with _writable(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        os.close(fd)
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return len(rows)


@contextlib.contextmanager
def _writable(out: Path) -> Iterator[None]:
    """An OS refusal (no such directory, no permission, a file where a folder must be) as one line."""
    try:
        yield
    except OSError as exc:
        raise ConfigError(f"cannot write --out {out}: {exc.strerror or exc}") from None


def _replaceable(folder: Path) -> bool:
    """An empty directory, or one an earlier `save_to_disk` wrote (a dataset folder)."""
    if not folder.exists():
        return True
    if not folder.is_dir():
        return False
    names = {p.name for p in folder.iterdir()}
    return not names or ("state.json" in names and "dataset_info.json" in names)


def write_hf(lines: Iterable["RLLine | SFTLine"], out: Path, view: str) -> int:
    """A Hugging Face dataset folder at `out` (the rl or sft view); returns the row count."""
    try:
        import datasets
    except ImportError:
        raise ConfigError("--format hf needs the datasets library: pip install 'synth[formats]'") from None
    if not _replaceable(out):
        raise ConfigError(f"--out {out} exists and is not a dataset folder written by synth export; give a new path")
    rows = [rl_row(line) if view == "rl" else sft_row(line) for line in lines]  # type: ignore[arg-type]
    from datasets.table import InMemoryTable

    datasets.disable_progress_bars()
    dataset = datasets.Dataset(InMemoryTable(_table(rows, view)))
    with _writable(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp"))
        old = out.parent / f".{out.name}.old.tmp"
        try:
            dataset.save_to_disk(str(staging))
            if out.exists():
                shutil.rmtree(old, ignore_errors=True)
                os.replace(out, old)
            os.replace(staging, out)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(old, ignore_errors=True)
    return len(rows)


# -- the reward function a trainer calls ------------------------------------------------------------
class _Tasks:
    """Tuples of the runs a training process grades, read once per run."""

    def __init__(self) -> None:
        self._by_run: dict[str, tuple[Any, dict[str, "TupleRecord"]]] = {}
        self._lock = threading.Lock()

    def get(self, run: str, task_key: str) -> tuple[Any, "TupleRecord"]:
        from ._store import Run

        with self._lock:
            if run not in self._by_run:
                opened = Run.open(run)
                self._by_run[run] = (opened, {t.key: t for t in opened.tuples()})
            opened, tuples = self._by_run[run]
        if task_key not in tuples:
            raise StoreError(f"run {run} holds no task {task_key[:16]}")
        return opened, tuples[task_key]


_tasks = _Tasks()


def score(run: str | Path, task_key: str, submission: Any, *, raw: bool = False) -> "Verdict":
    """Grade `submission` for task `task_key` of `run` with the task's own verifier, exactly as
    `synth verify` grades a control (code tasks run their tests in a container first). The reward is
    `verdict.reward`; a verdict with status "error" is the verifier failing, not the model.

    A text submission is read as a completion a model wrote (`synth._grading.read_completion`: a
    leading `<think>` block removed, then the last submit call written as JSON, else the last fenced
    or bare JSON value, else the text); `raw=True` grades the text exactly as given, as the submit
    tool's argument."""
    from . import _registry as registry
    from ._grading import completion_submission

    opened, record = _tasks.get(str(Path(run).resolve()), task_key)
    if isinstance(submission, str) and not raw:
        submission = completion_submission(submission, record)
    fam = registry.family(record.environment.family)
    return fam.evaluate(record, opened, submission)
