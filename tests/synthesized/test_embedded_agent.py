"""End to end against the real embedded model (SmolLM2-135M-Instruct, started and stopped by the
command itself): a 135M model writes no sound environment, so this asserts the plumbing, not the
harvest: the agent talked to the model through its tools, the gate ran on what it wrote, and the
rejection is recorded with its reason and the conversation."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import synth
from synth.cli import app

pytestmark = [pytest.mark.model, pytest.mark.docker, pytest.mark.slow]


def test_the_agent_runs_against_the_embedded_model_and_records_the_gate_s_reasons(tmp_path, base_image):
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["generate", "general", "--agent", "--category", "hotel booking", "--n", "1",
                                      "--difficulty", "1", "--max-turns", "1", "--max-tokens", "64", "--timeout", "5",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    run = synth.Run.open(out)
    tuples, rejections = run.tuples().read(), run.rejections().read()
    assert len(tuples) + len(rejections) == 1
    assert run.stage("generate")["model_calls"] == 1 and run.stage("generate")["gate_runs"] >= 1
    assert (out / "embedded-server.log").stat().st_size > 0
    for rejection in rejections:  # nearly always: the gate refused what the small model wrote
        assert rejection.reason.startswith("level 1: ") and rejection.details["failures"]
        talk = json.loads(run.read_asset(synth.AssetRef.model_validate(rejection.details["conversation"])))["agent"]
        assert [m["role"] for m in talk[:3]] == ["system", "user", "assistant"]
