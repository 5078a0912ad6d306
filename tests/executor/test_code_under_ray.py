"""Code tasks under `--executor ray`: verifying them (gold and exploit patches run in Docker on the
workers, after the family's set-up ran there) and rolling a model through them (containers opened
by async actors) give the local executor's verdicts and trajectories. Test durations inside the
evidence (JUnit times, pytest's "in 0.12s") and the runner's random report folder differ from one
run to the next on any executor, so they are left out of the comparison."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

import synth
from synth import Run

from code_repos import make_repo
from fakes import FakeServer, call, completion

pytestmark = [pytest.mark.ray, pytest.mark.docker, pytest.mark.slow]


def without_timings(value: Any) -> Any:
    if isinstance(value, str):  # JUnit XML (time="0.01" timestamp="...") and pytest's log ("in 0.12s")
        value = re.sub(r'(time|timestamp|hostname)="[^"]*"', r'\1=""', value)
        value = re.sub(r"synth-run-[0-9a-f]+", "synth-run-X", value)  # the runner's random report folder
        return re.sub(r"\b\d+\.\d+s\b", "Ns", value)
    if isinstance(value, dict):
        return {k: without_timings(v) for k, v in value.items() if k not in ("duration", "seconds", "time")}
    if isinstance(value, list):
        return [without_timings(v) for v in value]
    return value


def first_difference(a: Any, b: Any, where: str = "") -> str:
    """The path of the first place two JSON values differ, with both sides (for a failure message)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if a.get(k) != b.get(k):
                return first_difference(a.get(k), b.get(k), f"{where}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for n, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{where}[{n}]")
    if isinstance(a, str) and isinstance(b, str):
        at = next((n for n, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        return f"{where} at {at}: {a[max(0, at - 80): at + 120]!r} != {b[max(0, at - 80): at + 120]!r}"
    return f"{where}: {str(a)[:300]!r} != {str(b)[:300]!r}"


def journal(path: Path, name: str) -> list[Any]:
    return [without_timings(json.loads(line)) for line in (path / name).read_text().splitlines()]


def give_up(body: dict, n: int) -> dict:
    """A model that lists the repository once, then submits its (empty) change."""
    if not any(m["role"] == "tool" for m in body["messages"]):
        return completion(None, [call("bash", {"command": "ls /testbed"}, "call_1")])
    return completion(None, [call("submit", {}, "call_2")])


def test_code_verify_and_rollout_on_ray_match_local(tmp_path: Path, base_image: str, ray_executor) -> None:  # type: ignore[no-untyped-def]
    repo = make_repo(tmp_path / "repo")
    synth.generate(tmp_path / "local", "code", {"git": repo, "n": 2, "k": 2, "timeout": 60})
    shutil.copytree(tmp_path / "local", tmp_path / "ray")
    tuples = len(Run.open(tmp_path / "local").tuples().read())
    assert tuples >= 1
    with FakeServer(give_up) as server:
        for name, chosen in (("local", None), ("ray", ray_executor)):
            run = Run.open(tmp_path / name)
            assert synth.verify(run, executor=chosen).ok
            cfg = synth.RolloutConfig(base_url=server.base_url, model="m", samples=1, max_steps=3, concurrency=2)
            report = synth.rollout(run, cfg, executor=chosen)
            assert report.stats.infrastructure == 0 and report.stats.done == tuples
    assert (tmp_path / "local" / Run.VERDICTS).read_bytes() == (tmp_path / "ray" / Run.VERDICTS).read_bytes()
    local, ray = journal(tmp_path / "local", Run.TRAJECTORIES), journal(tmp_path / "ray", Run.TRAJECTORIES)
    assert [t["source"] for t in local] == ["gold"] * tuples + ["model"] * tuples
    assert local[:tuples] == ray[:tuples], first_difference(local[:tuples], ray[:tuples])  # gold, with its evidence
    key = lambda t: (t["task_key"], t["sample"])  # noqa: E731 (local appends episodes as they finish)
    assert sorted(local[tuples:], key=key) == sorted(ray[tuples:], key=key)
