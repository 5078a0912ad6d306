"""A `synth serve` app in this process (uvicorn in a thread, 127.0.0.1, a free port), and small
verified general runs: 2 hard tasks of each category (difficulty 3), and 1 course_timetabling task at
difficulty 1 (easy: every baseline solves it)."""

from __future__ import annotations

from pathlib import Path

import pytest

import synth
from synth import Run


@pytest.fixture(scope="session")
def general_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "run"
    # seed 7: its trips and shopping tasks are hard (no built-in or white-box baseline solves them)
    synth.generate(path, "general", {"n": 2, "seed": 7, "difficulty": 3})
    assert synth.verify(Run.open(path)).ok
    return path


@pytest.fixture(scope="session")
def easy_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve-easy") / "run"
    # course_timetabling at difficulty 1: every baseline solves it (a shopping tuple drawn at random
    # and solved may be hard even there)
    synth.generate(path, "general", {"n": 1, "seed": 1, "difficulty": 1, "category": ["course_timetabling"]})
    assert synth.verify(Run.open(path)).ok
    return path
