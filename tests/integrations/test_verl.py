"""verl's tool path through synth's tool class: the tool config `synth export --format verl` writes is
loaded by verl's own loader (`initialize_tools_from_config`), and a gold and a wrong episode run
through verl's BaseTool calls (create, execute, calc_reward, release) as its ToolAgentLoop makes
them, on CPU. The rewards are the task verifier's verdicts."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

import synth
from synth import Run

pytest.importorskip("verl.tools.tool_registry", reason="scripts/setup.d/50-train.sh installs verl's tools")


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    run = tmp_path_factory.mktemp("verl") / "run"
    synth.generate(run, "general", {"n": 2, "seed": 3, "difficulty": 3, "category": ["shopping"]})
    assert synth.verify(Run.open(run)).ok
    out = run.parent / "tasks.parquet"
    synth.export(Run.open(run), synth.ExportSettings(format="verl", out=out))
    return run, out


def rows(out: Path) -> list[dict]:
    import datasets

    return list(datasets.load_dataset("parquet", data_files=str(out), cache_dir=str(out.parent / "cache"))["train"])


def test_verls_loader_builds_synth_tools_and_an_episode_gets_the_verdict(exported: tuple[Path, Path]) -> None:
    from verl.tools.tool_registry import initialize_tools_from_config

    from synth.integrations.verl import SynthTool, open_episodes

    run, out = exported
    tools = {tool.name: tool for tool in initialize_tools_from_config(str(out.with_name("tasks.tools.yaml")))}
    assert tools and all(type(t).__name__ == "SynthTool" and isinstance(t, SynthTool) for t in tools.values())
    gold = {t.task_key: t.submission for t in Run.open(run).trajectories() if t.source == "gold"}

    async def episode(row: dict, answer: str, trajectory: str) -> tuple[float, float, str]:
        """Two calls as verl's ToolAgentLoop makes them: each a create, execute, release of the tool."""
        agent = SimpleNamespace(request_id=trajectory)
        kwargs = row["extra_info"]["tools_kwargs"]
        look = tools[row["extra_info"]["tool_selection"][0]]
        iid, _ = await look.create(create_kwargs=kwargs[look.name]["create_kwargs"])
        response, step_reward, _ = await look.execute(iid, {}, agent_data=agent)
        await look.release(iid)
        looked = json.loads(response.text)
        assert step_reward == 0.0 and not (isinstance(looked, dict) and "error" in looked)
        submit = tools["submit_result"]
        iid, _ = await submit.create(create_kwargs=kwargs["submit_result"]["create_kwargs"])
        response, reward, metrics = await submit.execute(iid, {"answer_text": answer}, agent_data=agent)
        total = await submit.calc_reward(iid, agent_data=agent)
        await submit.release(iid)
        return reward, total, metrics["synth_status"]

    async def both() -> list[tuple[float, float, str]]:
        table = rows(out)
        return [await episode(table[0], gold[table[0]["extra_info"]["task_key"]], "t-gold"),
                await episode(table[1], "[]", "t-wrong")]

    assert asyncio.run(both()) == [(1.0, 1.0, "pass"), (0.0, 0.0, "fail")]
    assert open_episodes() == 0  # both sessions closed when their answer was graded


def test_the_base_tool_lifecycle_with_one_instance_and_bad_calls(exported: tuple[Path, Path]) -> None:
    """create once, execute several times, calc_reward, release: the instance owns its episode."""
    from verl.tools.tool_registry import initialize_tools_from_config

    from synth.integrations.verl import open_episodes

    run, out = exported
    tools = {tool.name: tool for tool in initialize_tools_from_config(str(out.with_name("tasks.tools.yaml")))}
    row = rows(out)[1]
    create = row["extra_info"]["tools_kwargs"]["submit_result"]["create_kwargs"]
    gold = {t.task_key: t.submission for t in Run.open(run).trajectories() if t.source == "gold"}[row["extra_info"]["task_key"]]

    async def go() -> tuple:
        submit = tools["submit_result"]
        iid, _ = await submit.create(create_kwargs=create)
        bad, r0, _ = await submit.execute(iid, {"wrong_argument": 1})
        good, r1, _ = await submit.execute(iid, {"answer_text": gold})
        again, r2, _ = await submit.execute(iid, {"answer_text": gold})
        reward = await submit.calc_reward(iid)
        await submit.release(iid)
        stray, r3, _ = await submit.execute("no-such-instance", {"answer_text": gold})
        return json.loads(bad.text), r0, r1, json.loads(again.text), r2, reward, json.loads(stray.text), r3

    bad, r0, r1, again, r2, reward, stray, r3 = asyncio.run(go())
    assert bad["error"]["type"] == "invalid_arguments" and r0 == 0.0
    assert r1 == 1.0 and reward == 1.0
    assert again["error"]["type"] == "episode_over" and r2 == 0.0
    assert stray["error"]["type"] == "no_task" and r3 == 0.0
    assert open_episodes() == 0


def test_a_mixed_category_export_runs_each_categorys_own_tool_under_its_verl_name(tmp_path: Path) -> None:
    """course_timetabling and meeting_scheduling both offer list_rooms with different arguments: verl
    (one schema a name) loads list_rooms__course_timetabling and list_rooms__meeting_scheduling, and
    each runs its task's own list_rooms; the gold answers still score 1.0."""
    from verl.tools.tool_registry import initialize_tools_from_config

    from sample_runs import shared_sample_run
    from synth.integrations.verl import open_episodes

    run = tmp_path / "run"
    shutil.copytree(shared_sample_run(), run)
    out = tmp_path / "mixed.parquet"
    synth.export(Run.open(run), synth.ExportSettings(format="verl", out=out, keep_easy=True))  # the gate marks planted tuples easy
    tools = {tool.name: tool for tool in initialize_tools_from_config(str(out.with_name("mixed.tools.yaml")))}
    gold = {t.task_key: t.submission for t in Run.open(run).trajectories() if t.source == "gold"}
    table = rows(out)
    picked = {row["extra_info"]["category"]: row for row in table
              if row["extra_info"]["category"] in ("course_timetabling", "meeting_scheduling")}
    records = {t.key: t for t in Run.open(run).tuples()}

    async def episode(row: dict) -> tuple[list, float]:
        agent = SimpleNamespace(request_id=f"t-{row['extra_info']['category']}")
        kwargs = row["extra_info"]["tools_kwargs"]
        name = f"list_rooms__{row['extra_info']['category']}"
        assert name in row["extra_info"]["tool_selection"] and "list_rooms" not in row["extra_info"]["tool_selection"]
        look = tools[name]
        iid, _ = await look.create(create_kwargs=kwargs[name]["create_kwargs"])
        response, _, _ = await look.execute(iid, {}, agent_data=agent)
        await look.release(iid)
        submit = tools["submit_result"]
        iid, _ = await submit.create(create_kwargs=kwargs["submit_result"]["create_kwargs"])
        _, reward, _ = await submit.execute(iid, {"answer_text": gold[row["extra_info"]["task_key"]]}, agent_data=agent)
        await submit.release(iid)
        return json.loads(response.text), reward

    for category, row in picked.items():
        listed, reward = asyncio.run(episode(row))
        record = records[row["extra_info"]["task_key"]]
        with synth.family("general").open(record, Run.open(run)) as env:  # the task's own list_rooms, in process
            assert json.loads(env.call("list_rooms", "{}").content) == listed, category
        assert reward == 1.0
    assert set(picked) == {"course_timetabling", "meeting_scheduling"} and open_episodes() == 0
