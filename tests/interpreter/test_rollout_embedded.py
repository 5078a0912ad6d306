"""One rollout of the embedded model (SmolLM2-135M-Instruct, started by `synth rollout` itself)
through interpreter tasks in real kernels: the protocol and the records, never whether a 135M
model solves a task."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import synth
from synth import RolloutConfig, Run

pytestmark = [pytest.mark.docker, pytest.mark.model]


def test_the_embedded_model_rolls_through_interpreter_tasks(tmp_path: Path, kernel_image: str) -> None:
    run = Run.create(tmp_path / "run")
    synth.generate(run, "interpreter", {"category": ["math"], "n": 1, "difficulty": 1})
    assert synth.verify(run).ok
    config = RolloutConfig(max_steps=2, max_tokens=48, seed=1)
    report = synth.rollout(run, config, tasks=1)
    assert report.stats.done == 1 and report.stats.infrastructure == 0
    episodes = [t for t in run.trajectories() if t.source == "model"]
    assert len(episodes) == 1
    for trajectory in episodes:
        assert not trajectory.termination.infrastructure, trajectory.extra.get("error")
        assert trajectory.verdict is not None and trajectory.verdict.status in ("pass", "fail")
        assert [t.name for t in trajectory.tools] == ["python", "submit"]
        for message in trajectory.messages:
            if message.role == "tool":
                json.loads(message.content)  # every tool result is JSON the model could read
    rl = tmp_path / "rl.jsonl"
    synth.export(run, synth.ExportSettings(format="rl", out=rl))
    facts = [json.loads(line)["rollouts"] for line in rl.read_text().splitlines()]
    assert all(sum(f[m]["samples"] for m in f) == 1 for f in facts)
