"""The trainers' own formats: verl's RL parquet and a Hugging Face `datasets` folder, and `score`,
the reward function a trainer calls to grade a rollout with the task's own verifier.

Sits at the end of generate -> verify -> rollout -> export, beside the JSONL writer: the rows are
the same SFT and RL lines (`_export.sft_lines`, `rl_lines`), laid out as the trainer reads them.

- verl (`--format verl`): one parquet file, one row per sound task, with the columns verl's
  `RLHFDataset` reads: `data_source` ("synth/FAMILY/CATEGORY", the key verl picks a reward function
  by), `prompt` (chat messages), `ability` (the family), `reward_model` ({style: "rule",
  ground_truth: the verifier reference as JSON: run, task_key, verifier name and args}) and
  `extra_info` (index, split, task key, run, family, category, difficulty, as JSON text the
  tools, answer schema, verifier and rollout facts, and for verl's multi-turn `ToolAgentLoop`
  `tool_selection` (the task's tool names) and `tools_kwargs` ({tool: {create_kwargs: {run,
  task_key}}})). Beside `NAME.parquet` goes `NAME.tools.yaml`, verl's tool config: one
  `synth.integrations.verl.SynthTool` per tool schema, so each call runs in a synth session (a
  name two categories give different schemas becomes NAME__CATEGORY there: `verl_tools`).
- hf (`--format hf`): a folder written by `Dataset.save_to_disk`, loadable with `load_from_disk`;
  `--view rl` (default) holds one row per task with a conversational `prompt` (TRL's prompt-only
  form, for GRPO) and `environment`, the name of the environment factory the task needs (TRL's
  multi-environment routing column; synth's environment reference is `synth_environment`);
  `--view sft` one row per verified trajectory with `messages` (TRL's conversational form, for
  SFT; tool-call arguments as objects unless `--arguments-as-text`).

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


def _schemas(pa: Any, tool_names: Iterable[str] = ()) -> dict[str, Any]:
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
                ("need_tools_kwargs", pa.bool_()), ("tool_selection", pa.list_(pa.string())),
                ("tools_kwargs", pa.struct([(name, pa.struct([("create_kwargs", pa.struct([
                    ("run", pa.string()), ("task_key", pa.string())]))])) for name in tool_names]))])),
        ]),
        "rl": pa.schema([
            ("task_key", pa.string()), ("prompt", pa.list_(message)), ("tools", pa.string()), ("answer_schema", pa.string()),
            ("verifier", pa.string()), ("environment", pa.string()), ("synth_environment", pa.string()), ("run", pa.string()),
            ("metadata", metadata),
            ("task", pa.string()), ("rollouts", pa.string()),
        ]),
        "sft": pa.schema([
            ("task_key", pa.string()), ("messages", pa.list_(chat)), ("tools", pa.string()), ("source", pa.string()),
            ("model", pa.string()), ("sample", pa.int64()), ("reward", pa.float64()), ("termination", pa.string()),
            ("verifier", pa.string()), ("sampling", pa.string()), ("usage", pa.string()), ("tool_errors", pa.int64()),
            ("metadata", metadata),
        ]),
    }


def verl_row(index: int, line: "RLLine", tool_names: Iterable[str] = (), names: dict[str, str] | None = None) -> dict[str, Any]:
    """One row of verl's RL parquet. `tools_kwargs` names every tool of the export (verl looks a
    called tool up there) with the same `create_kwargs`, the task's run and key, which open the
    episode's synth session; `tool_selection` offers the row only its own task's tools, by their
    names in the tool config (`names`: synth's name -> verl's, see `verl_tools`)."""
    env = line.environment
    names = names or {}
    reference = {"run": env.run, "task_key": line.task_key, "verifier": line.verifier}
    create = {"create_kwargs": {"run": env.run, "task_key": line.task_key}}
    return {
        "data_source": f"synth/{env.family}/{env.category}",
        "prompt": [{"role": m["role"], "content": m.get("content") or ""} for m in line.prompt],
        "ability": env.family,
        "reward_model": {"style": "rule", "ground_truth": _js(reference)},
        "extra_info": {
            "index": index, "split": "train", "task_key": line.task_key, "run": env.run, "family": env.family,
            "category": env.category, "difficulty": env.difficulty, "tools": _js(line.tools),
            "answer_schema": _js(line.answer_schema), "verifier": _js(line.verifier), "rollouts": _js(line.rollouts),
            "need_tools_kwargs": True,
            "tool_selection": [names.get(t["function"]["name"], t["function"]["name"]) for t in line.tools],
            "tools_kwargs": {name: create for name in tool_names},
        },
    }


VERL_TOOL_CLASS = "synth.integrations.verl.SynthTool"
"""The verl tool class every exported tool declares (a synth session behind each call)."""


def verl_tools(lines: list["RLLine"], *, keep_easy: bool = False) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """(verl's tool config, each line's {synth tool name: verl tool name}).

    The config (`actor_rollout_ref.rollout.multi_turn.tool_config_path`) declares one native tool
    per tool schema of the exported tasks. verl (0.9.1: `ToolAgentLoop` keeps `{tool.name: tool}`,
    and a row's `extra_info.tool_selection` only picks among those names) holds one schema per
    name, so where tasks of several categories offer one name with different schemas (list_rooms of
    course_timetabling and of meeting_scheduling), each schema gets its own name, NAME__CATEGORY
    (NAME__FAMILY__CATEGORY if a category name repeats across families), its `config.tool` naming
    the task's own tool, which the synth session runs. A name with one schema keeps its name."""
    variants: dict[str, list[tuple[dict[str, Any], tuple[str, str]]]] = {}
    for line in lines:
        env = line.environment
        for tool in line.tools:
            known = variants.setdefault(tool["function"]["name"], [])
            if all(schema != tool for schema, _ in known):
                known.append((tool, (env.family, env.category)))
    verl_name: dict[tuple[str, int], str] = {}
    for name, known in variants.items():
        categories = [category for _, (_, category) in known]
        for number, (_, (family, category)) in enumerate(known):
            if len(known) == 1:
                verl_name[(name, number)] = name
            else:
                owner = category if categories.count(category) == 1 else f"{family}__{category}"
                verl_name[(name, number)] = f"{name}__{''.join(c if c.isalnum() or c in '_-' else '_' for c in owner)}"[:64]
    tools = []
    for name, known in variants.items():
        for number, (schema, _) in enumerate(known):
            renamed = verl_name[(name, number)]
            config: dict[str, Any] = {"type": "native"}
            if renamed != name:
                config["tool"] = name
            if keep_easy:  # the export holds easy tuples: the tool's session must serve them too
                config["keep_easy"] = True
            tools.append({"class_name": VERL_TOOL_CLASS, "config": config,
                          "tool_schema": verl_schema({**schema, "function": {**schema["function"], "name": renamed}})})
    per_line = []
    for line in lines:
        per_line.append({tool["function"]["name"]: verl_name[(tool["function"]["name"],
                                                               next(n for n, (s, _) in enumerate(variants[tool["function"]["name"]]) if s == tool))]
                         for tool in line.tools})
    return {"tools": tools}, per_line


_JSON_TYPES = ["string", "number", "integer", "boolean", "array", "object", "null"]


def verl_schema(tool: dict[str, Any]) -> dict[str, Any]:
    """A tool schema as verl's `OpenAIFunctionToolSchema` validates it: every property has a `type`
    (a nullable `anyOf` becomes a list of types, an untyped property every JSON type); the rest of
    each property (items, default, ...) is kept for the model to read."""
    function = dict(tool["function"])
    parameters = dict(function.get("parameters") or {"type": "object", "properties": {}})
    properties = {}
    for name, prop in (parameters.get("properties") or {}).items():
        prop = dict(prop)
        if "type" not in prop:
            kinds = [option.get("type") for option in prop.get("anyOf", []) if isinstance(option, dict)]
            flat = [k for kind in kinds for k in (kind if isinstance(kind, list) else [kind]) if k]
            prop["type"] = list(dict.fromkeys(flat)) if flat and len(flat) == len(kinds) else list(_JSON_TYPES)
        properties[name] = prop
    parameters["properties"] = properties
    function["parameters"] = parameters
    return {**tool, "function": function}


def verl_config_path(out: Path) -> Path:
    """Where the tool config of a verl export goes: beside it, `NAME.tools.yaml` for `NAME.parquet`."""
    return out.with_name(out.name.removesuffix(".parquet") + ".tools.yaml")


def environment_name(family: str, category: str) -> str:
    """The hf RL view's `environment` column: the name of the environment factory a task's episodes
    need (TRL's multi-environment mode routes each row by it); one per family and category, whose
    tasks offer the same tools. `synth.integrations.trl.environment_factories` makes them."""
    return f"synth/{family}/{category}"


def rl_row(line: "RLLine") -> dict[str, Any]:
    meta = line.metadata
    return {
        "task_key": line.task_key,
        "prompt": [{"role": m["role"], "content": m.get("content") or ""} for m in line.prompt],
        "tools": _js(line.tools), "answer_schema": _js(line.answer_schema), "verifier": _js(line.verifier),
        "environment": environment_name(line.environment.family, line.environment.category),
        "synth_environment": _js(line.environment.model_dump(mode="json")), "run": line.environment.run,
        "metadata": meta.model_dump(mode="json", exclude={"task"}), "task": _js(meta.task), "rollouts": _js(line.rollouts),
    }


def sft_row(line: "SFTLine", empty_content: bool = False) -> dict[str, Any]:
    """One row of the hf SFT view; `empty_content` writes "" where a message has no content (chat
    templates that read `message['content']`, SmolLM2's among them, stop at a null one)."""
    messages = line.messages
    if empty_content:
        messages = [{**m, "content": m.get("content") or ""} for m in messages]
    return {
        "task_key": line.task_key, "messages": messages, "tools": _js(line.tools), "source": line.source,
        "model": line.model, "sample": line.sample, "reward": line.reward, "termination": line.termination,
        "verifier": _js(line.verifier), "sampling": _js(line.sampling), "usage": _js(line.usage),
        "tool_errors": line.tool_errors, "metadata": line.metadata.model_dump(mode="json", exclude={"task"}),
    }


def _table(rows: list[dict[str, Any]], layout: str, tool_names: Iterable[str] = ()) -> Any:
    if not rows:
        what = "verified trajectory" if layout == "sft" else "sound task"
        raise ConfigError(f"no {what} to export (after the filters); datasets cannot load an empty file, so none is written")
    pa = _arrow()
    return pa.Table.from_pylist(rows, schema=_schemas(pa, tool_names)[layout])


def write_verl(lines: Iterable["RLLine"], out: Path, *, keep_easy: bool = False) -> int:
    """verl's RL parquet at `out` (replaced atomically) and its tool config beside it
    (`verl_config_path`); returns the row count. `out` must end in .parquet (verl reads its data
    files by extension)."""
    import pyarrow.parquet as pq

    from ._store import atomic_write

    if out.suffix != ".parquet":
        raise ConfigError(f"--out {out}: verl reads .parquet files; give a name ending in .parquet")
    lines = list(lines)
    config, renames = verl_tools(lines, keep_easy=keep_easy)
    names = [tool["tool_schema"]["function"]["name"] for tool in config["tools"]]
    rows = [verl_row(index, line, names, renamed) for index, (line, renamed) in enumerate(zip(lines, renames))]
    table = _table(rows, "verl", names)
    header = ("# verl tool config written by synth export (YAML; JSON is YAML): pass it as\n"
              "# actor_rollout_ref.rollout.multi_turn.tool_config_path; every tool runs in a synth session.\n")
    with _writable(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
        os.close(fd)
        try:
            pq.write_table(table, tmp)
            atomic_write(verl_config_path(out), (header + json.dumps(config, indent=2, sort_keys=True) + "\n").encode())
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


def _sft_features(table: Any, arguments: str) -> Any:
    """datasets features of the SFT view: tool-call arguments as objects (`Json`, what TRL's dataset
    format shows and Qwen/Llama templates render once), or as the JSON text the model wrote."""
    from datasets import Features, Json

    features = Features.from_arrow_schema(table.schema)
    if arguments == "object":
        call = features["messages"].feature["tool_calls"].feature
        call["function"]["arguments"] = Json()
    return features


def write_hf(lines: Iterable["RLLine | SFTLine"], out: Path, view: str, *, arguments: str = "object",
             empty_content: bool = False) -> int:
    """A Hugging Face dataset folder at `out` (the rl or sft view); returns the row count. The SFT
    view holds tool-call `arguments` as objects unless `arguments="text"`, and "" for absent content
    when `empty_content`."""
    try:
        import datasets
    except ImportError:
        raise ConfigError("--format hf needs the datasets library: pip install 'synth[formats]'") from None
    if not _replaceable(out):
        raise ConfigError(f"--out {out} exists and is not a dataset folder written by synth export; give a new path")
    rows = [rl_row(line) if view == "rl" else sft_row(line, empty_content) for line in lines]  # type: ignore[arg-type]
    from datasets.table import InMemoryTable

    datasets.disable_progress_bars()
    table = _table(rows, view)
    if view == "sft" and arguments == "object":
        dataset = datasets.Dataset.from_list(rows, features=_sft_features(table, arguments))
    else:
        dataset = datasets.Dataset(InMemoryTable(table))
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
