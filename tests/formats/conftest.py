"""A verified run of one general category (every tool name with one schema), made once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

import synth
from synth import Run


@pytest.fixture(scope="session")
def one_category_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("one-category") / "run"
    synth.generate(path, "general", {"n": 3, "seed": 3, "difficulty": 3, "category": ["meeting_scheduling"]})
    assert synth.verify(Run.open(path)).ok
    return path
