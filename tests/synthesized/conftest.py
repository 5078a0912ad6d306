"""Fixtures of the synthesized family's tests (with Docker): two generated runs that many tests
share: the hotel environments (a two-level chain whose second level needs a new tool, and one
whose verifier is repaired), verified; and one run of flawed environments the gate must refuse
(one category per flaw of agent_script.FLAWED)."""

from __future__ import annotations

import agent_script as script
import pytest

import synth

from .helpers import AGENT, RUN_AGENTS, scripted_model


@pytest.fixture(scope="session")
def hotel_run(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> tuple[synth.Run, Scripted]:
    """The hotel chains (two levels each) and one chain stuck at level 1, generated and verified."""
    run = synth.Run.create(tmp_path_factory.mktemp("hotels") / "run")
    with scripted_model(script.by_category(RUN_AGENTS)) as model:
        synth.generate(run, "general", {**AGENT, "category": list(RUN_AGENTS), "n": 1, "difficulty": 2})
    assert synth.verify(run).ok
    return run, model


@pytest.fixture(scope="session")
def flawed_run(tmp_path_factory: pytest.TempPathFactory, base_image: str) -> synth.Run:
    """One session per flaw of agent_script.FLAWED: one turn, then the gate decides."""
    run = synth.Run.create(tmp_path_factory.mktemp("flawed") / "run")
    agents = {name: script.flawed_agent(name) for name in script.FLAWED}
    with scripted_model(script.by_category(agents)):
        synth.generate(run, "general", {**AGENT, "category": list(agents), "n": 1, "difficulty": 1, "max_turns": 1,
                                        "timeout": 3})
    return run
