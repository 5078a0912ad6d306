"""What the synthesized family's tests share: a scripted model wired into the registered family
(httpx.MockTransport), the settings that reach it, and the scripted agents of the hotel run."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import agent_script as script
from fakes import Scripted

import synth


@contextlib.contextmanager
def scripted_model(reply: Callable[[dict[str, Any], int], Any]) -> Iterator[Scripted]:
    """The synthesized family talks to `reply` (through httpx.MockTransport) inside the block."""
    fam = synth.family("synthesized")
    model = Scripted(reply)
    fam.transport = model.transport()
    try:
        yield model
    finally:
        fam.transport = None


AGENT = {"agent": True, "base_url": "http://scripted.invalid/v1", "model": "scripted"}
"""general --agent settings that reach the scripted model."""


def repaired_agent() -> script.ScriptedAgent:
    """Level 1 first with a verifier stricter than the task (the gold answer fails its budget check),
    then the verifier as the task states it; level 2 as written."""
    broken = {**script.LEVEL1, "verify.py": script.VERIFY.replace("<= 300", "<= 200")}
    return script.ScriptedAgent({1: [script.writes(broken), script.writes({"verify.py": script.VERIFY})],
                                 2: [script.writes(script.LEVEL2)]})


HOTEL_AGENTS = {"hotel booking": script.hotels_agent, "hotel booking with a broken verifier": repaired_agent}
