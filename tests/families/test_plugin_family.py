"""Adding a family is local: the example family in tests/plugin_example is a separate distribution
that synth finds through its `synth.plugins` entry point alone. Installed into a folder of its own,
it runs generate -> verify -> rollout (a scripted model behind a real local HTTP server) -> export
through the CLI, and passes the family conformance suite, with no line of synth/ or cli/ naming it."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeServer, call, completion

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "tests" / "plugin_example"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The plug-in installed with pip into its own folder; the environment that puts it on the path."""
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("source") / "plugin_example"  # setuptools writes build/ and egg-info beside it
    shutil.copytree(PLUGIN, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(source)], check=True, capture_output=True, timeout=300)
    assert list(target.glob("synth_example_family-*.dist-info/entry_points.txt"))
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))}


def synth(env: dict[str, str], *args: Any) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "synth.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=600)


def chain_follower(body: dict[str, Any], n: int) -> dict[str, Any]:
    """A model that solves the example tasks: follow the keys, submit the word at the end."""
    messages = body["messages"]
    results = [json.loads(m["content"]) for m in messages if m["role"] == "tool"]
    if not results:
        start = re.search(r"Start at key (k\d+)", messages[-1]["content"]).group(1)
        return completion(tool_calls=[call("lookup", {"key": start}, f"c{n}")])
    last = results[-1]
    if re.fullmatch(r"k\d+", last):
        return completion(tool_calls=[call("lookup", {"key": last}, f"c{n}")])
    return completion(tool_calls=[call("submit_word", {"word": last}, f"c{n}")])


def test_the_example_family_runs_every_stage_through_its_entry_point(installed: dict[str, str], tmp_path: Path) -> None:
    listing = synth(installed, "list")
    assert "family example:" in listing.stdout and "category word_lookup" in listing.stdout
    assert "family example" not in synth(dict(os.environ), "list").stdout  # not installed: not there

    run = tmp_path / "run"
    made = synth(installed, "generate", "example", "--n", "3", "--difficulty", "2", "--out", run)
    assert made.returncode == 0 and "3 tuples" in made.stdout, made.stderr
    verified = synth(installed, "verify", run)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with FakeServer(chain_follower) as server:
        rolled = synth(installed, "rollout", run, "--base-url", server.base_url, "--model", "scripted", "--samples", "2")
    assert rolled.returncode == 0, rolled.stderr
    assert "6/6 graded episodes pass over 3 tasks" in rolled.stdout

    sft, rl = tmp_path / "sft.jsonl", tmp_path / "rl.jsonl"
    assert synth(installed, "export", run, "--format", "sft", "--source", "model", "--out", sft).returncode == 0
    lines = [json.loads(line) for line in sft.read_text().splitlines()]
    assert len(lines) == 6 and {line["metadata"]["family"] for line in lines} == {"example"}
    calls = [c["function"]["name"] for m in lines[0]["messages"] for c in m.get("tool_calls") or []]
    assert calls[0] == "lookup" and calls[-1] == "submit_word" and lines[0]["reward"] == 1.0
    assert synth(installed, "export", run, "--format", "rl", "--out", rl).returncode == 0
    rows = [json.loads(line) for line in rl.read_text().splitlines()]
    assert [row["rollouts"]["scripted"]["pass_rate"] for row in rows] == [1.0, 1.0, 1.0]
    assert rows[0]["verifier"]["name"] == "example.word"


def test_the_example_family_passes_the_conformance_suite(installed: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(ROOT / "tests" / "families" / "test_conformance.py"), "-k", "example"],
                            capture_output=True, text=True, env=installed, cwd=ROOT, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"\b9 passed", result.stdout), result.stdout[-500:]


def test_the_example_uses_only_synths_public_surface() -> None:
    tree = ast.parse((PLUGIN / "synth_example" / "__init__.py").read_text())
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "synth" in modules and not {m for m in modules if m and m.startswith("synth.")}
