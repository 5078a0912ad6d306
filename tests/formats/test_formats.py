"""`synth export --format verl|hf`: the trainers' own formats, each loaded back with the library the
trainer uses (verl reads its parquet with `datasets.load_dataset("parquet")`; TRL takes a dataset
from `load_from_disk`), row for row the same data as the JSONL exports; and the README's reward
functions for verl and TRL, run as written, grading with the tasks' own verifiers."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import synth
from synth import Run
from synth.cli import app

from sample_runs import lines, shared_sample_run

runner = CliRunner()
README = Path(__file__).resolve().parents[2] / "README.md"
VERL_COLUMNS = ["data_source", "prompt", "ability", "reward_model", "extra_info"]


def export(*args: object) -> str:
    result = runner.invoke(app, ["export", str(shared_sample_run()), "--keep-easy", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def load_like_verl(path: Path, cache: Path):  # type: ignore[no-untyped-def]
    import datasets

    return datasets.load_dataset("parquet", data_files=str(path), cache_dir=str(cache))["train"]


def export_of(run: Path, *args: object) -> str:
    result = runner.invoke(app, ["export", str(run), "--keep-easy", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def test_verl_parquet_loads_as_verl_reads_it(tmp_path: Path, one_category_run: Path) -> None:
    export_of(one_category_run, "--format", "verl", "--out", tmp_path / "tasks.parquet")
    export_of(one_category_run, "--format", "rl", "--out", tmp_path / "tasks.rl.jsonl")
    rows = load_like_verl(tmp_path / "tasks.parquet", tmp_path / "cache")
    expected = lines(tmp_path / "tasks.rl.jsonl")
    assert rows.column_names == VERL_COLUMNS and len(rows) == len(expected) == 3
    config = yaml_config(tmp_path / "tasks.tools.yaml")
    names = [tool["tool_schema"]["function"]["name"] for tool in config["tools"]]
    assert all(tool["class_name"] == "synth.integrations.verl.SynthTool" and tool["config"] == {"type": "native", "keep_easy": True}
               for tool in config["tools"])
    for index, (row, line) in enumerate(zip(rows, expected)):
        assert row["prompt"] == [{"role": m["role"], "content": m["content"]} for m in line["prompt"]]
        assert row["data_source"] == f"synth/general/{line['environment']['category']}" and row["ability"] == "general"
        extra = row["extra_info"]
        assert extra["need_tools_kwargs"] and extra["tool_selection"] == [t["function"]["name"] for t in line["tools"]]
        assert set(extra["tools_kwargs"]) == set(names) >= set(extra["tool_selection"])
        assert all(v == {"create_kwargs": {"run": line["environment"]["run"], "task_key": line["task_key"]}}
                   for v in extra["tools_kwargs"].values())
        schemas = {t["tool_schema"]["function"]["name"]: t["tool_schema"] for t in config["tools"]}
        for name, tool in zip(extra["tool_selection"], line["tools"]):  # the task's schema, each property typed for verl
            verl = schemas[name]["function"]
            assert verl["description"] == tool["function"]["description"]
            assert set(verl["parameters"]["properties"]) == set(tool["function"]["parameters"]["properties"])
            assert all("type" in p for p in verl["parameters"]["properties"].values())
        reference = json.loads(row["reward_model"]["ground_truth"])
        assert row["reward_model"]["style"] == "rule"
        assert reference == {"run": line["environment"]["run"], "task_key": line["task_key"], "verifier": line["verifier"]}
        assert extra["index"] == index and extra["task_key"] == line["task_key"] and extra["split"] == "train"
        assert json.loads(extra["tools"]) == line["tools"] and json.loads(extra["rollouts"]) == line["rollouts"]


def yaml_config(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text())


def test_verl_gives_each_schema_of_a_shared_tool_name_its_own_name_and_refuses_a_name_verl_would_not_read(tmp_path: Path) -> None:
    """The general categories both offer list_rooms, with different arguments, and verl keeps one
    schema a name: each schema gets its own name (NAME__CATEGORY) that runs the task's list_rooms;
    a name every category offers alike (submit_result) stays one tool."""
    export_of(shared_sample_run(), "--format", "verl", "--out", tmp_path / "t.parquet")
    export_of(shared_sample_run(), "--format", "rl", "--out", tmp_path / "t.rl.jsonl")
    config = yaml_config(tmp_path / "t.tools.yaml")
    tools = {t["tool_schema"]["function"]["name"]: t for t in config["tools"]}
    assert len(tools) == len(config["tools"])  # one tool a name
    assert "list_rooms" not in tools and {"list_rooms__course_timetabling", "list_rooms__meeting_scheduling"} <= set(tools)
    assert tools["list_rooms__meeting_scheduling"]["config"] == {"type": "native", "tool": "list_rooms", "keep_easy": True}  # export_of keeps easy tuples
    assert tools["submit_result"]["config"] == {"type": "native", "keep_easy": True}
    rows = load_like_verl(tmp_path / "t.parquet", tmp_path / "cache")
    for row, line in zip(rows, lines(tmp_path / "t.rl.jsonl")):
        selection = row["extra_info"]["tool_selection"]
        assert len(selection) == len(line["tools"]) and set(selection) <= set(row["extra_info"]["tools_kwargs"])
        for name, tool in zip(selection, line["tools"]):  # the row's own schema under its verl name
            verl = tools[name]
            assert verl["config"].get("tool", name) == tool["function"]["name"]
            assert verl["tool_schema"]["function"]["description"] == tool["function"]["description"]
            assert set(verl["tool_schema"]["function"]["parameters"]["properties"]) == set(tool["function"]["parameters"]["properties"])
    result = runner.invoke(app, ["export", str(shared_sample_run()), "--keep-easy", "--format", "verl", "--out", str(tmp_path / "x.tasks")])
    assert result.exit_code == 2 and "ending in .parquet" in result.output
    assert not (tmp_path / "x.tasks").exists()


def test_hf_folders_load_with_load_from_disk(tmp_path: Path) -> None:
    from datasets import load_from_disk

    export("--format", "hf", "--out", tmp_path / "tasks.hf")
    export("--format", "rl", "--out", tmp_path / "tasks.rl.jsonl")
    tasks = load_from_disk(str(tmp_path / "tasks.hf"))
    rl = lines(tmp_path / "tasks.rl.jsonl")
    assert [r["task_key"] for r in tasks] == [line["task_key"] for line in rl]
    assert tasks[0]["prompt"][-1] == {"role": "user", "content": rl[0]["prompt"][-1]["content"]}
    assert json.loads(tasks[0]["verifier"]) == rl[0]["verifier"] and tasks[0]["metadata"]["category"] == rl[0]["metadata"]["category"]
    # TRL's multi-environment mode routes a row by its `environment` column: it names a factory, and
    # synth's own environment reference moved to `synth_environment`
    assert [r["environment"] for r in tasks] == [f"synth/general/{line['environment']['category']}" for line in rl]
    assert [json.loads(r["synth_environment"]) for r in tasks] == [line["environment"] for line in rl]

    export("--format", "hf", "--view", "sft", "--out", tmp_path / "sft.hf")
    export("--format", "sft", "--out", tmp_path / "sft.jsonl")
    sft, expected = load_from_disk(str(tmp_path / "sft.hf")), lines(tmp_path / "sft.jsonl")
    assert len(sft) == len(expected) == 12  # 8 gold and the 4 model passes
    def as_objects(message: dict) -> dict:  # what TRL's dataset format shows: arguments as objects
        calls = [{**c, "function": {**c["function"], "arguments": _maybe_json(c["function"]["arguments"])}}
                 for c in message.get("tool_calls") or []]
        return {**message, "tool_calls": calls} if calls else message

    for row, line in zip(sft, expected):
        assert [{k: v for k, v in m.items() if v is not None} for m in row["messages"]] == [as_objects(m) for m in line["messages"]]
        assert (row["source"], row["model"], row["reward"]) == (line["source"], line["model"], line["reward"])
        assert json.loads(row["tools"]) == line["tools"]
    calls = [m["tool_calls"] for row in sft for m in row["messages"] if m["tool_calls"]]
    assert calls and all(c[0]["function"]["name"] for c in calls)
    assert any(isinstance(c[0]["function"]["arguments"], dict) for c in calls)

    export("--format", "hf", "--view", "sft", "--arguments-as-text", "--empty-content", "--out", tmp_path / "text.hf")
    text = load_from_disk(str(tmp_path / "text.hf"))
    for row, line in zip(text, expected):
        assert [m["tool_calls"] for m in row["messages"]] == [m.get("tool_calls") for m in line["messages"]]
        assert [m["content"] for m in row["messages"]] == [m.get("content") or "" for m in line["messages"]]


def _maybe_json(text: str):  # type: ignore[no-untyped-def]
    try:
        return json.loads(text)
    except ValueError:
        return text  # a malformed call stays the text the model wrote


@pytest.mark.parametrize("args", [["--format", "verl"], ["--format", "hf", "--view", "sft"]])
def test_an_empty_export_is_refused(tmp_path: Path, args: list[str]) -> None:
    """datasets (so verl and TRL) cannot load an empty parquet file or dataset folder: say so, write nothing."""
    out = tmp_path / ("none.parquet" if "verl" in args else "none")
    result = runner.invoke(app, ["export", str(shared_sample_run()), "--keep-easy", *args, "--pass-rate", "[0,0)", "--out", str(out)])
    assert result.exit_code == 2 and result.output.startswith("synth: error: no ") and result.output.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_hf_replaces_its_own_folder_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "tasks.hf"
    export("--format", "hf", "--out", out)
    export("--format", "hf", "--view", "sft", "--out", out)  # an earlier export is replaced
    from datasets import load_from_disk

    assert "messages" in load_from_disk(str(out)).column_names
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    result = runner.invoke(app, ["export", str(shared_sample_run()), "--keep-easy", "--format", "hf", "--out", str(mine)])
    assert result.exit_code == 2 and result.output.startswith("synth: error: ") and result.output.count("\n") == 1
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


@pytest.mark.parametrize("fmt", ["verl", "hf"])
def test_an_unwritable_out_is_one_line(tmp_path: Path, fmt: str, one_category_run: Path) -> None:
    (tmp_path / "file").write_text("x")
    result = runner.invoke(app, ["export", str(one_category_run), "--keep-easy", "--format", fmt, "--out", str(tmp_path / "file" / "out.parquet")])
    assert result.exit_code == 2 and result.output.startswith("synth: error: cannot write") and result.output.count("\n") == 1


def test_view_is_for_hf_only(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", str(shared_sample_run()), "--keep-easy", "--format", "verl", "--view", "sft", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "--view applies to --format hf" in result.output
    assert not (tmp_path / "x").exists()


def readme_function(name: str) -> dict:
    """Run the README's python block that defines `name`; its namespace."""
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    code = next(b for b in blocks if f"def {name}(" in b)
    namespace: dict = {}
    exec(compile(code, f"README.md:{name}", "exec"), namespace)
    return namespace


def gold_and_wrong(run: Path) -> list[tuple[str, str, float]]:
    """(task key, submission, expected reward) for each task: its gold answer, and an empty list."""
    out = []
    for t in Run.open(run).trajectories():
        if t.source == "gold":
            out += [(t.task_key, t.submission, 1.0), (t.task_key, "[]", 0.0)]
    return out


def test_the_readme_reward_function_for_verl(tmp_path: Path, one_category_run: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(one_category_run, run)
    synth.export(Run.open(run), synth.ExportSettings(keep_easy=True, format="verl", out=tmp_path / "t.parquet"))
    compute_score = readme_function("compute_score")["compute_score"]
    rows = {r["extra_info"]["task_key"]: r for r in load_like_verl(tmp_path / "t.parquet", tmp_path / "cache")}
    for key, submission, reward in gold_and_wrong(run):
        row = rows[key]
        assert compute_score(row["data_source"], submission, row["reward_model"]["ground_truth"], row["extra_info"]) == reward


def test_the_readme_reward_function_for_trl(tmp_path: Path) -> None:
    from datasets import load_from_disk

    synth.export(Run.open(shared_sample_run()), synth.ExportSettings(keep_easy=True, format="hf", out=tmp_path / "t.hf"))
    synth_reward = readme_function("synth_reward")["synth_reward"]
    rows = {r["task_key"]: r for r in load_from_disk(str(tmp_path / "t.hf"))}
    cases = gold_and_wrong(shared_sample_run())
    completions = [[{"role": "assistant", "content": submission}] for _, submission, _ in cases]
    rewards = synth_reward(prompts=[rows[k]["prompt"] for k, _, _ in cases], completions=completions,
                           task_key=[k for k, _, _ in cases], run=[rows[k]["run"] for k, _, _ in cases])
    assert rewards == [reward for _, _, reward in cases]


def test_score_names_an_unknown_task(tmp_path: Path) -> None:
    with pytest.raises(synth.StoreError, match="holds no task"):
        synth.score(shared_sample_run(), "0" * 64, "[]")
