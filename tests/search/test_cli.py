"""The search family from the command line, as a user runs it: generate -> verify -> rollout ->
export, retrieval evaluation, and the agents file."""

from __future__ import annotations

import json
from pathlib import Path

from fakes import FakeServer, call, completion
from typer.testing import CliRunner

from synth.cli import app
from synth.environments.search._agentic import agent_configs
from synth.environments.search._settings import SearchSettings

from .conftest import TINY

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_generate_verify_rollout_export_and_eval(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert "3 tuples" in invoke("generate", "search", "--corpus", "factbook", "--n", "3", "--seed", "5", "--hops", "1", "--out", str(run))
    invoke("verify", str(run))

    def searcher(body: dict, n: int) -> dict:  # searches the whole question once, then submits the top title (the gate refuses what that answers)
        results = [m for m in body["messages"] if m["role"] == "tool"]
        if not results:
            return completion(tool_calls=[call("search", {"query": body["messages"][1]["content"]}, f"s{n}")])
        top = json.loads(results[-1]["content"])["results"][0]["title"]
        return completion(tool_calls=[call("submit", {"answer": top}, f"a{n}")])

    with FakeServer(searcher) as server:
        out = invoke("rollout", str(run), "--base-url", server.base_url, "--model", "searcher", "--max-steps", "4")
    assert "3 episodes run" in out
    trajectories = [json.loads(line) for line in (run / "trajectories.jsonl").read_text().splitlines()]
    model = [t for t in trajectories if t["source"] == "model"]
    assert len(model) == 3 and all(t["verdict"]["status"] == "fail" for t in model)  # one search never answers
    assert all(t["messages"][2]["tool_calls"][0]["function"]["name"] == "search" for t in model)
    invoke("export", str(run), "--format", "rl", "--out", str(tmp_path / "rl.jsonl"))
    lines = [json.loads(line) for line in (tmp_path / "rl.jsonl").read_text().splitlines()]
    assert len(lines) == 3 and [t["function"]["name"] for t in lines[0]["tools"]] == ["search", "open", "find", "submit"]
    assert lines[0]["verifier"]["name"] == "search.answer" and "corpus" in lines[0]["environment"]["state"]
    invoke("export", str(run), "--format", "sft", "--source", "gold", "--out", str(tmp_path / "sft.jsonl"))
    assert len((tmp_path / "sft.jsonl").read_text().splitlines()) == 3
    out = invoke("corpus", "eval", str(run), "--k", "1", "--k", "10")
    assert "3 tasks" in out and "\nbm25 " in out  # dense and hybrid rows appear once the factbook has vectors


def test_corpus_build_stats_search(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SYNTH_CACHE", str(tmp_path / "cache"))
    corpus = tmp_path / "own.jsonl"  # a corpus of its own: no index of it is open in this process yet
    corpus.write_text(TINY.read_text().replace("slow river", "slow brown river"))
    out = invoke("corpus", "build", str(corpus))
    assert "10 documents" in out and str(tmp_path / "cache") in out
    stats = json.loads(invoke("corpus", "stats", str(corpus), "--json"))
    assert stats["documents"] == 10 and stats["relation"] == "mentions" and stats["index"] and not stats["dense"]
    out = invoke("corpus", "search", str(corpus), "who financed the harbour", "-k", "2")
    assert out.splitlines()[0].split()[2] == "trent"
    result = runner.invoke(app, ["corpus", "search", str(corpus), "harbour", "--retriever", "dense"])
    assert result.exit_code == 2 and "dense vectors" in result.output


def test_hybrid_retrieval_tasks_over_stored_vectors(tiny_dense, tmp_path: Path) -> None:
    run = tmp_path / "run"
    invoke("generate", "search", "--corpus", str(TINY), "--n", "1", "--hops", "2", "--breadth", "1", "--retriever", "hybrid",
           "--out", str(run))
    record = json.loads((run / "tuples.jsonl").read_text().splitlines()[0])
    assert record["environment"]["metadata"]["retriever"] == "hybrid"
    invoke("verify", str(run))
    out = invoke("corpus", "eval", str(run), "--k", "3")
    assert all(name in out for name in ("bm25", "dense", "hybrid")) and "skipped" not in out


def test_an_agents_file_makes_heterogeneous_agents(tmp_path: Path) -> None:
    agents = tmp_path / "agents.toml"
    agents.write_text('[questioner]\nmodel = "big"\n\n[[answerer]]\nname = "fast"\nmodel = "small"\ntemperature = 0.2\n\n'
                      '[[answerer]]\nname = "memory"\ntools = false\nbase_url = "http://other.test/v1"\n\n[verifier]\ntemperature = 0\n')
    configs = agent_configs(SearchSettings(corpus=str(TINY), base_url="http://main.test/v1", model="default", agents=agents))
    assert configs["questioner"][0].model == "big" and "2 hops away (up to 2 links" in configs["questioner"][0].system_prompt
    assert [(a.name, a.model, a.tools, a.base_url) for a in configs["answerer"]] == [
        ("fast", "small", True, "http://main.test/v1"), ("memory", "default", False, "http://other.test/v1")]
    assert configs["verifier"][0].temperature == 0
