"""A real GRPO run on CPU: TRL's GRPOTrainer trains SmolLM2-135M-Instruct for 2 optimizer steps on a
general task (difficulty 1) and an interpreter task (its kernel in a container), each episode a
session of `synth serve --record` over the OpenEnv client (scripts/grpo_cpu.py, as the README runs
it). The rewards TRL logs, per step and per environment, are the verdicts the servers recorded for
those very episodes."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pytest

import synth
from synth import Run

pytestmark = [pytest.mark.slow, pytest.mark.docker]
pytest.importorskip("trl", reason="scripts/setup.d/50-train.sh installs the training stack")


def load_script():  # type: ignore[no-untyped-def]
    path = Path(__file__).resolve().parents[2] / "scripts" / "grpo_cpu.py"
    spec = importlib.util.spec_from_file_location("grpo_cpu", path)
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_two_grpo_steps_log_the_recorded_verdicts(tmp_path: Path) -> None:
    general, interpreter = tmp_path / "general", tmp_path / "interpreter"
    synth.generate(general, "general", {"n": 1, "seed": 1, "difficulty": 1, "category": ["shopping"]})
    synth.generate(interpreter, "interpreter", {"n": 1, "seed": 1, "difficulty": 1, "category": ["math"]})
    for run in (general, interpreter):
        assert synth.verify(Run.open(run)).ok
    result = load_script().main([str(general), str(interpreter), "--steps", "2", "--keep-easy"])
    assert result["steps"] == 2 and len(result["logged"]) == 2
    recorded = result["recorded"]
    assert len(recorded) == 4 and all(r["status"] in ("pass", "fail") for r in recorded)  # 2 steps x 2 generations
    for step, entry in enumerate(result["logged"]):
        verdicts = [r["reward"] for r in recorded[2 * step: 2 * step + 2]]
        assert math.isclose(float(entry["reward"]), sum(verdicts) / 2)
        means = {k: v for k, v in entry.items() if k.startswith("rewards/Synth_") and k.endswith("/mean")
                 and v is not None and not math.isnan(float(v))}  # read_text_answers logs no reward of its own
        assert len(means) == 1 and math.isclose(float(next(iter(means.values()))), sum(verdicts) / 2)
    families = {Run.open(run).path.name: [t for t in Run.open(run).trajectories() if t.model == "serve:grpo"]
                for run in (general, interpreter)}
    assert all(len(episodes) == 2 for episodes in families.values())  # each family served one step's group
